"""What a run is: its settings (`TrainingSpec`), what it returns (`TrainingResult`), the checks made
before any worker is asked (`validate_spec`), and a Reporter for runs outside the engine.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mllab.datasets import PART_TEST, Dataset, check_target
from mllab.errors import DataError, ParamError
from mllab.evaluation import Evaluation, RegressionEvaluation, TestPredictions
from mllab.models import FAMILIES, DataInfo
from mllab.prepare import PreprocessConfig, split_columns
from mllab.training.schemes import STRATIFIED_REGRESSION_MESSAGE, ValidationConfig


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
    # The decision-boundary map worked out after a hold-out classification: None (none), "pca" (the
    # first two principal components) or two numeric feature columns (x, y).
    boundary: str | tuple[str, str] | None = None
    # A family that can (the MLP) redraws the map every few epochs while it trains, for the live panel; a family
    # comparison shows only each run's last map, and the redraws took over half of the MLP's time on OGLE-III.
    live_boundary: bool = True

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
    # What a model that looks at no feature scores on the same rows (an evaluation.baseline.Baseline),
    # and the verdict in sentences (an evaluation.verdict.Verdict), both worked out on the worker.
    baseline: object | None = None
    verdict: object | None = None
    boundary: object | None = None  # an evaluation.boundary.BoundaryMap, when the spec asked for one
    tree: object | None = None  # an evaluation.tree_diagram.TreeDiagram, for a hold-out run of one decision tree


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


def task_of(spec: TrainingSpec) -> str:
    """"classification" unless the spec says otherwise (the regression task sets `spec.task`)."""
    return getattr(spec, "task", "classification")


def is_redshift(spec: TrainingSpec) -> bool:
    return task_of(spec) == "regression" and getattr(spec, "redshift", False)


def data_info(spec: TrainingSpec) -> DataInfo:
    """What the family rules need, computed without fitting anything."""
    frame = spec.dataset.frame
    features = spec.feature_columns()
    numeric, categorical = split_columns(frame[features])
    n_features = len(numeric) + (len(categorical) if spec.preprocessing.one_hot else 0)
    rows = int(frame[spec.target].notna().sum())
    return DataInfo(
        kind=spec.dataset.kind, n_features=n_features,
        n_classes=0 if spec.task == "regression" else int(frame[spec.target].nunique(dropna=True)),
        image_shape=spec.dataset.image_shape, pca_components=spec.preprocessing.pca_components, task=spec.task,
        n_train_rows=rows - int(np.ceil(rows * spec.preprocessing.test_fraction)),
    )


def validate_spec(spec: TrainingSpec) -> TrainingSpec:
    """Check everything that can be checked before a worker is asked; returns the spec with clean params."""
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
    check_supplied(spec)
    check_boundary(spec)
    return spec


def supplied_test_mask(spec: "TrainingSpec") -> np.ndarray | None:
    """For the scheme "supplied": True for each row of the frame in the test part the data came with."""
    if spec.validation.scheme != "supplied":
        return None
    column = spec.dataset.part_column
    if column is None or column not in spec.dataset.frame.columns:
        raise ParamError("This data did not come with a test part, so it cannot be tested on one. Choose the "
                         "hold-out split or K-fold validation.")
    return (spec.dataset.frame[column] == PART_TEST).to_numpy()


def check_supplied(spec: "TrainingSpec") -> None:
    """The supplied test part needs data that came with one, and rows with a target in both parts."""
    mask = supplied_test_mask(spec)
    if mask is None:
        return
    frame = spec.dataset.frame
    target = frame[spec.target]
    has_target = (pd.to_numeric(target, errors="coerce").notna() if task_of(spec) == "regression"
                  else target.notna()).to_numpy()
    for name, rows in (("training", ~mask), ("test", mask)):
        if not (rows & has_target).any():
            raise ParamError(f"The supplied {name} part has no rows with a value of {spec.target}, so a model "
                             "cannot be trained on one part and tested on the other. Choose the hold-out split "
                             "or K-fold validation.")


def check_boundary(spec: "TrainingSpec") -> None:
    """A map over two features needs two different numeric feature columns."""
    choice = getattr(spec, "boundary", None)
    if choice is None or choice == "pca":
        return
    if spec.task != "classification":
        spec.boundary = None  # a regression has no classes to map
        return
    features = spec.feature_columns()
    frame = spec.dataset.frame
    if len(choice) != 2 or choice[0] == choice[1]:
        raise ParamError("Choose two different features for the decision-boundary map.")
    for column in choice:
        if column not in features:
            raise ParamError(f"The decision-boundary map needs feature columns; '{column}' is not one.")
        if not (pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column])):
            raise ParamError(f"The decision-boundary map needs numeric features; '{column}' holds text.")


def check_validation(spec: "TrainingSpec") -> None:
    """Refuse, before any worker is asked, a K-fold scheme the data cannot support."""
    config = spec.validation
    if not config.is_kfold:
        return
    if task_of(spec) == "regression" and config.scheme == "stratified_kfold":
        raise ParamError(STRATIFIED_REGRESSION_MESSAGE)
    target = spec.dataset.frame[spec.target].dropna()
    if len(target) < config.n_folds:
        raise DataError(f"{config.n_folds}-fold validation needs at least {config.n_folds} rows; the data has "
                        f"{len(target)}. Choose fewer folds.")
    if config.scheme in ("stratified_kfold", "repeated_kfold") and task_of(spec) == "classification":
        counts = target.value_counts()
        if counts.min() < config.n_folds:
            raise DataError(f"Class '{counts.idxmin()}' has only {counts.min()} rows, fewer than the "
                            f"{config.n_folds} folds, so some folds would have none of it. Choose at most "
                            f"{max(2, int(counts.min()))} folds, or plain K-fold.")
