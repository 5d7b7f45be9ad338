"""Stage 7, training: a run's settings and checks (spec), the hold-out and K-fold runners, the
validation schemes and scorers, hyperparameter search, the learning curve by training-set size,
the Dask engine that runs them on workers, the session's run records, comparing runs (compare.py)
and the kept-model export.

May import every stage below: datasets, io, prepare, models, evaluation (never charts or the pages).
"""

from mllab.training.compare import (curve_choices, draws_curve, filter_runs, metrics_side_by_side, run_labels,
                                    same_settings_sentence, settings_diff)
from mllab.training.engine import Engine, JobState, get_engine
from mllab.training.learning_curve import LearningCurveRecord, LearningCurveSpec
from mllab.training.runs import Run, describe_params, new_run, runs_table
from mllab.training.schemes import VALIDATION_SCHEMA, ValidationConfig, scheme_param
from mllab.training.scoring import score_in_text, scorers_for
from mllab.training.search import (MAX_CANDIDATES, Dimension, SearchRecord, SearchSpec, dimension_for, grid_size,
                                   new_search_record, shown_value, suggested_range)
from mllab.training.holdout import run_training
from mllab.training.spec import LocalReporter, TrainingResult, TrainingSpec, validate_spec

__all__ = [
    "describe_params", "Engine", "JobState", "LocalReporter", "run_training", "TrainingResult", "Dimension", "dimension_for", "get_engine", "grid_size", "LearningCurveRecord",
    "LearningCurveSpec", "MAX_CANDIDATES", "new_run", "new_search_record", "Run", "runs_table", "scheme_param",
    "score_in_text", "scorers_for", "SearchRecord", "SearchSpec", "shown_value", "TrainingSpec", "validate_spec",
    "VALIDATION_SCHEMA", "ValidationConfig", "suggested_range",
    "curve_choices", "draws_curve", "filter_runs", "metrics_side_by_side", "run_labels", "same_settings_sentence",
    "settings_diff",
]
