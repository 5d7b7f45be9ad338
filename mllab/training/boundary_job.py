"""A run's decision-boundary map drawn after training, from its kept model, on a training worker.

The Train page draws a map only when one was asked for before training; a run whose model was kept can
have one afterwards, over what the user chooses then: the first two principal components, two classes
(for many classes) or two features. The job opens the kept model as the Predict page does (safe loading,
mllab.training.prediction), cleans the run's rows as the run did, and works the map out with
mllab.evaluation.boundary over every labelled row (a sample of them drawn as points, ringed where the
model is wrong): the run's test rows are not known here, so the points are the data's rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mllab.datasets import Dataset
from mllab.errors import DataError, UserError
from mllab.training.prediction import _numeric_inputs, check_rows, load_kept_model, model_info, predict_inputs

PCA = "pca"
MAX_ROWS = 20_000  # the rows the map's components, medians and points are worked out on (a sample beyond)


@dataclass
class BoundarySpec:
    """A map over `choice`: "pca", ("features", x column, y column) or ("classes", first, second) by class name."""

    model_zip: bytes
    rows: Dataset  # the run's data, as it trained on it (cleaned)
    choice: str | tuple = PCA
    cleaning: dict = field(default_factory=dict)  # what remains to apply to `rows` (nothing for the run's own)
    run_name: str = "the run"
    seed: int = 0
    device: str = "CPU"  # TrainingSpec's field names, so the engine treats every job alike
    family: str = ""


@dataclass
class BoundaryResult:
    status: str  # "completed"
    boundary: object  # an evaluation.boundary.BoundaryMap
    choice: str | tuple = PCA
    duration_s: float = 0.0
    history: list[dict] = field(default_factory=list)  # the engine's TrainingResult field, unused here


def describe_choice(choice) -> str:
    if choice == PCA:
        return "the first two principal components"
    kind, first, second = choice
    return f"the classes {first} and {second}" if kind == "classes" else f"the features {first} and {second}"


def validate_boundary(spec: BoundarySpec) -> None:
    """Raise UserError at once for a map that cannot be drawn, before a worker is used."""
    info = model_info(spec.model_zip)
    if info.get("task", "classification") != "classification":
        raise UserError("A decision boundary is drawn for classifications only.")
    inputs = [str(c) for c in info.get("input_columns") or []]
    names = [str(c) for c in info.get("class_names") or []]
    if spec.rows is None or spec.rows.frame is None or spec.rows.frame.empty:
        raise UserError(f"Load the data {spec.run_name} was trained on (the Data page), then draw its map.")
    if spec.choice == PCA:
        if len(inputs) < 2:
            raise UserError("The model has only one input: there is no plane to draw a boundary on.")
        return
    if not (isinstance(spec.choice, (tuple, list)) and len(spec.choice) == 3):
        raise UserError("Choose what to draw the decision boundary over.")
    kind, first, second = spec.choice
    if first == second:
        raise UserError("Choose two different " + ("classes." if kind == "classes" else "features."))
    if kind == "classes":
        missing = [c for c in (first, second) if str(c) not in names]
        if missing:
            raise UserError(f"The model knows no class {missing[0]}; choose two of {', '.join(names)}.")
    elif kind == "features":
        missing = [c for c in (first, second) if str(c) not in inputs]
        if missing:
            raise UserError(f"The model does not use the column {missing[0]}; choose two of its input features.")
    else:
        raise UserError("Choose what to draw the decision boundary over.")


def _labelled_rows(frame: pd.DataFrame, target: str, names: list[str], seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows whose target is one of the model's classes (a sample of MAX_ROWS), and their class index."""
    if target not in frame.columns:
        raise DataError(f"These rows have no column {target}, the run's target: load the run's own data.")
    index = {name: i for i, name in enumerate(names)}
    values = frame[target]
    # Classes are named as text; a float column of whole numbers (1.0) names them as the run did (1).
    as_text = values.map(lambda v: str(int(v)) if isinstance(v, float) and float(v).is_integer() else str(v))
    labels = as_text.map(index)
    known = labels.notna().to_numpy()
    if known.sum() < 2:
        raise DataError(f"Too few rows of these data have a known {target} to draw the map on.")
    frame, labels = frame[known], labels[known].to_numpy(dtype=np.int64)
    if len(frame) > MAX_ROWS:
        keep = np.sort(np.random.default_rng(seed).choice(len(frame), MAX_ROWS, replace=False))
        frame, labels = frame.iloc[keep], labels[keep]
    return frame.reset_index(drop=True), labels


def run_boundary(spec: BoundarySpec, reporter) -> BoundaryResult:
    """Executed on a worker: open the kept model, clean the rows, work the map out."""
    from mllab.evaluation.boundary import class_pair_boundary, feature_boundary, pca_boundary

    started = time.perf_counter()
    reporter.report({"type": "status", "message": "Opening the kept model"})
    kept = load_kept_model(spec.model_zip)
    frame, _ = check_rows(kept.info, _numeric_inputs(kept.preprocessor), spec.rows, spec.cleaning)
    names = kept.class_names
    frame, labels = _labelled_rows(frame, str(kept.info.get("target", "")), names, spec.seed)
    raw = frame[kept.input_columns]
    x = np.asarray(kept.preprocessor.transform(raw), dtype=np.float32)

    def predictor(inputs: np.ndarray) -> np.ndarray:
        return predict_inputs(kept, np.asarray(inputs, dtype=np.float32))

    reporter.report({"type": "status", "message": f"Drawing the decision boundary over {describe_choice(spec.choice)}"})
    proba = predictor(x)
    if spec.choice == PCA:
        boundary = pca_boundary(predictor, x, x, labels, labels, proba, names, spec.seed)
    elif spec.choice[0] == "classes":
        pair = (names.index(str(spec.choice[1])), names.index(str(spec.choice[2])))
        boundary = class_pair_boundary(predictor, x, x, labels, labels, proba, names, pair, spec.seed)
    else:
        boundary = feature_boundary(predictor, kept.preprocessor, raw, raw, labels, labels, proba, names,
                                    str(spec.choice[1]), str(spec.choice[2]), seed=spec.seed)
    # Every labelled row is drawn once, ringed where the model is wrong: the run's own test rows are not
    # known here, and some of these rows trained the model.
    boundary.train_points = {}
    boundary.points_name = "data"
    boundary.note += (" Drawn after training from the kept model; the points are a sample of the data's rows "
                      "(training and test alike), ringed in black where the model is wrong.")
    reporter.report({"step": 1, "total": 1})
    return BoundaryResult(status="completed", boundary=boundary, choice=spec.choice,
                          duration_s=time.perf_counter() - started)
