"""One training run, from a dataset and settings to an evaluated model.

`run_training` is what a worker executes. It knows nothing of Dask or Streamlit: progress goes
to a Reporter, so the same code runs under the engine, in tests and in benchmarks.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from mllab.datasets import Dataset
from mllab.errors import ParamError
from mllab.evaluation import Evaluation, RegressionEvaluation, evaluate, evaluate_regression
from mllab.inspection import TestPredictions, test_predictions
from mllab.models import FAMILIES, DataInfo
from mllab.models.base import Device
from mllab.preprocessing import PreprocessConfig, prepare, split_columns
from mllab.validation import ValidationConfig, check_validation


@dataclass
class TrainingSpec:
    dataset: Dataset
    target: str
    preprocessing: PreprocessConfig
    family: str
    params: dict
    device: str = "CPU"  # "CPU" or "GPU"
    mixed_precision: bool = False  # float16 compute; offered on a GPU only
    validation: ValidationConfig = field(default_factory=ValidationConfig)  # hold-out unless K-fold is chosen
    task: str = "classification"  # or "regression": predict the target's value
    redshift: bool = False  # regression on a redshift: also report the photometric-redshift figures
    keep_model: bool = False  # pack the trained model and its preprocessing for download (hold-out runs)

    @property
    def seed(self) -> int:
        return self.preprocessing.seed

    def feature_columns(self) -> list[str]:
        return self.dataset.feature_columns(self.target)


@dataclass
class TrainingResult:
    status: str  # "completed" or "stopped"
    history: list[dict]
    evaluation: Evaluation | RegressionEvaluation  # which one: evaluation.task
    device_used: str
    duration_s: float
    n_train: int
    n_test: int
    n_features: int
    model_summary: str | None = None
    notes: list[str] = field(default_factory=list)
    cross_validation: object | None = None  # a validation.CrossValidationSummary for K-fold runs
    model_file: object | None = None  # a model_export.ModelFile when the run kept its model
    importance: object | None = None  # an importance.FeatureImportance, for hold-out runs trained to the end
    pca_variance_ratio: list[float] | None = None  # with PCA on: each kept component's share of the variance
    # The test rows (K-fold: the out-of-fold rows) with their labels and predictions, at most
    # inspection.MAX_INSPECTED_ROWS of them, for looking at single samples on the page.
    predictions: TestPredictions | None = None


class LocalReporter:
    """Collects events in memory; Stop is a threading.Event. For tests, benchmarks and scripts."""

    def __init__(self):
        self.events: list[dict] = []
        self.stop_event = threading.Event()

    def report(self, event: dict) -> None:
        self.events.append(event)

    def should_stop(self) -> bool:
        return self.stop_event.is_set()

    @property
    def history(self) -> list[dict]:
        return [e for e in self.events if "step" in e]


class BuiltOnRun:
    """For the engine's jobs that train a run's settings again (a search, a learning curve): the
    engine places and reports them like a run, by the family, device and seed of `self.base`."""

    base: TrainingSpec

    @property
    def family(self) -> str:
        return self.base.family

    @property
    def device(self) -> str:
        return self.base.device

    @property
    def seed(self) -> int:
        return self.base.seed


def data_info(spec: TrainingSpec) -> DataInfo:
    """What the family rules need, computed without fitting anything."""
    frame = spec.dataset.frame
    features = spec.feature_columns()
    numeric, categorical = split_columns(frame[features])
    n_features = len(numeric) + (len(categorical) if spec.preprocessing.one_hot else 0)
    return DataInfo(
        kind=spec.dataset.kind, n_features=n_features,
        n_classes=0 if spec.task == "regression" else int(frame[spec.target].nunique(dropna=True)),
        image_shape=spec.dataset.image_shape, pca_components=spec.preprocessing.pca_components, task=spec.task,
    )


def validate_spec(spec: TrainingSpec) -> TrainingSpec:
    """Check everything that can be checked before a worker is asked; returns the spec with clean params."""
    from mllab.datasets import check_target

    if spec.family not in FAMILIES:
        raise ParamError(f"Unknown model '{spec.family}'.")
    if spec.device not in ("CPU", "GPU"):
        raise ParamError("The device must be CPU or GPU.")
    if spec.mixed_precision and (spec.device != "GPU" or not FAMILIES[spec.family].deep):
        raise ParamError("Mixed precision speeds up neural networks on a GPU only; choose the GPU or turn it off.")
    if spec.task not in ("classification", "regression"):
        raise ParamError("The task must be classification or regression.")
    check_target(spec.dataset.frame, spec.target, task=spec.task)
    if spec.redshift and (spec.task != "regression" or (spec.dataset.frame[spec.target] <= -1).any()):
        raise ParamError("Only a regression on a target of redshifts (all above -1) gets the photometric-redshift "
                         "figures; untick 'target is a redshift' on the Data page.")
    family = FAMILIES[spec.family]
    spec.params = family.validate(spec.params, data_info(spec))
    check_validation(spec)
    return spec


def run_training(spec: TrainingSpec, reporter) -> TrainingResult:
    if spec.validation.is_kfold:
        from mllab.validation import run_cross_validation

        return run_cross_validation(spec, reporter)
    started = time.perf_counter()
    family = FAMILIES[spec.family]
    reporter.report({"type": "status", "message": "Preparing the data"})
    data = prepare(spec.dataset.frame, spec.target, spec.feature_columns(), spec.preprocessing, task=spec.task)
    info = data_info(spec)
    reporter.report({"type": "status", "message": f"Training {family.label}"})
    history: list[dict] = []

    class Recording:
        # Keep our own copy of the curve so the result carries it even if a queue drops events.
        def report(self, event: dict) -> None:
            if "step" in event:
                history.append(event)
            reporter.report(event)

        def should_stop(self) -> bool:
            return reporter.should_stop()

    outcome = family.train(spec.params, data, info, Recording(), Device(spec.device, spec.mixed_precision), spec.seed)
    if spec.task == "regression":
        evaluation = evaluate_regression(data.y_test, outcome.test_prediction, redshift=spec.redshift, seed=spec.seed)
        output = outcome.test_prediction
    else:
        evaluation = evaluate(data.y_test, np.asarray(outcome.test_proba), data.class_names)
        output = outcome.test_proba
    predictions = test_predictions(data.test_rows, data.y_test, output, data.class_names, spec.task, spec.seed)
    duration_s = time.perf_counter() - started  # the training's, without the inspection and packing below
    importance = None
    if not outcome.stopped:  # Stop asked for the run to end: no further work on its model
        from mllab.importance import measure_importance

        importance = measure_importance(outcome, data, spec.dataset.kind, spec.seed, reporter)
    model_file = None
    if spec.keep_model and outcome.model is not None:
        from mllab.model_export import export_model

        reporter.report({"type": "status", "message": "Packing the trained model for download"})
        model_file = export_model(spec, data, outcome, evaluation.summary())
    notes = list(outcome.notes)
    if data.dropped_missing_target:
        notes.append(f"{data.dropped_missing_target} rows without a target value were left out.")
    if data.dropped_columns:
        notes.append(f"Text columns left out (one-hot encoding is off): {', '.join(data.dropped_columns)}.")
    return TrainingResult(
        status="stopped" if outcome.stopped else "completed", history=history, evaluation=evaluation,
        device_used=outcome.device_used, duration_s=duration_s,
        n_train=len(data.y_train), n_test=len(data.y_test), n_features=data.x_train.shape[1],
        model_summary=outcome.summary, notes=notes, importance=importance, model_file=model_file, predictions=predictions,
        pca_variance_ratio=None if data.pca_variance_ratio is None else data.pca_variance_ratio.tolist(),
    )
