"""Stage 5, evaluation: what a trained model's test predictions say: metrics (accuracy, balanced
accuracy, MCC, kappa, per-class scores, confusion matrix, ROC/PR; R², RMSE, the photo-z figures),
calibration (reliability curves, Brier score), the baseline a model must beat, the data checks and
the verdict in sentences, the samples behind each cell (inspection), feature importance and a decision tree's
diagram (tree_diagram).

May import: mllab.datasets, mllab.prepare, mllab.models, mllab.errors, mllab.params.
"""

from mllab.evaluation.baseline import Baseline, baseline_sentence, holdout_baseline
from mllab.evaluation.calibration import Calibration, ReliabilityCurve
from mllab.evaluation.importance import measure_importance, score, top_features
from mllab.evaluation.inspection import TestPredictions, test_predictions
from mllab.evaluation.metrics import (MACRO_LABEL, PHOTO_Z_OUTLIER_CUT, Evaluation, RegressionEvaluation, evaluate,
                                      evaluate_regression, photo_z_metrics)
from mllab.evaluation.tree_diagram import TreeDiagram, tree_diagram
from mllab.evaluation.verdict import Action, Finding, Verdict

__all__ = [
    "Action", "Baseline", "baseline_sentence", "Calibration", "Finding", "holdout_baseline", "ReliabilityCurve",
    "Verdict", "evaluate", "evaluate_regression", "Evaluation", "MACRO_LABEL", "measure_importance", "photo_z_metrics",
    "PHOTO_Z_OUTLIER_CUT", "RegressionEvaluation", "score", "test_predictions", "TestPredictions", "top_features",
    "tree_diagram", "TreeDiagram",
]
