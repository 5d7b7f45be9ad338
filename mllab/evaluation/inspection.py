"""Looking at single test samples after a run: which rows fell in a confusion-matrix cell, what the
model predicted for one row, and the row itself drawn as its data kind shows it.

The worker keeps the test rows' positions in the dataset's frame with their true labels and the
predicted probabilities (`TestPredictions`); the page looks the rows up in the dataset the run was
trained on. Pure numpy / pandas, no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mllab.datasets import Dataset
from mllab.prepare import MAX_SIGNAL_POINTS, SignalSamples, common_prefix, signal_axis

# Test rows kept per run for inspection: 20,000 rows × 10 classes (float32 probabilities, the
# rows and labels) pickle to 1.3 MB on their way back from the worker. A bigger test set keeps a
# fixed random sample of this many.
MAX_INSPECTED_ROWS = 20_000
# Samples drawn at once in a confusion cell's browser: a grid of images, a few curves, a table.
MAX_CELL_IMAGES = 24
MAX_CELL_CURVES = 8
MAX_CELL_ROWS = 200


@dataclass
class TestPredictions:
    """The model's output on the test rows (or, for K-fold, the pooled out-of-fold rows)."""

    rows: np.ndarray  # position of each row in the dataset's frame (int64)
    y_true: np.ndarray  # class index (classification) or true value (regression)
    y_pred: np.ndarray  # most probable class index, or predicted value
    proba: np.ndarray | None  # (n, k) float32 class probabilities; None for a regression
    class_names: list[str]
    n_total: int  # test rows before the cap

    @property
    def task(self) -> str:
        return "regression" if self.proba is None else "classification"

    @property
    def capped(self) -> bool:
        return len(self.rows) < self.n_total

    def __len__(self) -> int:
        return len(self.rows)


def test_predictions(rows: np.ndarray, y_true: np.ndarray, output: np.ndarray, class_names: list[str],
                     task: str = "classification", seed: int = 0) -> TestPredictions:
    """Bundle the test rows' positions, labels and `output` (probabilities n × k, or n × 1 holding
    P(class 1) for two classes; predicted values for a regression), capped at MAX_INSPECTED_ROWS."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    n_total = len(rows)
    keep = np.arange(n_total)
    if n_total > MAX_INSPECTED_ROWS:
        keep = np.sort(np.random.default_rng(seed).choice(n_total, MAX_INSPECTED_ROWS, replace=False))
    if task == "regression":
        values = np.asarray(output, dtype=float).reshape(-1)[keep]
        return TestPredictions(rows=rows[keep], y_true=np.asarray(y_true, dtype=float).reshape(-1)[keep],
                               y_pred=values, proba=None, class_names=[], n_total=n_total)
    proba = np.asarray(output, dtype=np.float32)
    if proba.ndim == 1:
        proba = proba[:, None]
    if proba.shape[1] == 1 and len(class_names) == 2:
        proba = np.hstack([1.0 - proba, proba])
    proba = proba[keep]
    return TestPredictions(rows=rows[keep], y_true=np.asarray(y_true, dtype=np.int64).reshape(-1)[keep],
                           y_pred=proba.argmax(axis=1).astype(np.int64), proba=proba,
                           class_names=[str(c) for c in class_names], n_total=n_total)


# -- confusion cells ------------------------------------------------------------------------------

def cell_positions(predictions: TestPredictions, true_index: int, predicted_index: int) -> np.ndarray:
    """Positions (into `predictions`) of the rows of class `true_index` predicted as `predicted_index`."""
    return np.flatnonzero((predictions.y_true == true_index) & (predictions.y_pred == predicted_index))


def cells(predictions: TestPredictions) -> list[tuple[int, int, int]]:
    """Every non-empty confusion cell as (true index, predicted index, count): the mistakes first,
    most common first, then the correct cells."""
    k = len(predictions.class_names)
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (predictions.y_true, predictions.y_pred), 1)
    found = [(i, j, int(counts[i, j])) for i in range(k) for j in range(k) if counts[i, j]]
    return sorted(found, key=lambda cell: (cell[0] == cell[1], -cell[2], cell[0], cell[1]))


def cell_sentence(predictions: TestPredictions, true_index: int, predicted_index: int) -> str:
    """"12 test samples of class 3 predicted as 8." (plain text: the caller escapes it for markdown)."""
    count = len(cell_positions(predictions, true_index, predicted_index))
    names = predictions.class_names
    noun = "test sample" if count == 1 else "test samples"
    if true_index == predicted_index:
        sentence = f"{count:,} {noun} of class {names[true_index]} predicted correctly."
    else:
        sentence = f"{count:,} {noun} of class {names[true_index]} predicted as {names[predicted_index]}."
    if predictions.capped:
        sentence += (f" Counted among the {len(predictions):,} test rows kept for inspection "
                     f"(of {predictions.n_total:,}); the matrix counts them all.")
    return sentence


def misclassified_positions(predictions: TestPredictions) -> np.ndarray:
    return np.flatnonzero(predictions.y_true != predictions.y_pred)


def most_confident_mistakes(predictions: TestPredictions) -> np.ndarray:
    """Misclassified positions, the ones the model was surest of first: the mistakes worth a look."""
    wrong = misclassified_positions(predictions)
    confidence = predictions.proba[wrong, predictions.y_pred[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")]


def next_misclassified(predictions: TestPredictions, after: int) -> int | None:
    """The first misclassified position after `after`, wrapping round; None when there is none."""
    wrong = misclassified_positions(predictions)
    if not len(wrong):
        return None
    later = wrong[wrong > after]
    return int(later[0] if len(later) else wrong[0])


def probability_table(predictions: TestPredictions, position: int) -> pd.DataFrame:
    """One row per class: class, probability, and whether it is the true and the predicted class."""
    proba = predictions.proba[position].astype(float)
    indices = np.arange(len(predictions.class_names))
    return pd.DataFrame({
        "class": predictions.class_names,
        "probability": proba,
        "true": indices == predictions.y_true[position],
        "predicted": indices == predictions.y_pred[position],
    })


# -- the rows themselves ----------------------------------------------------------------------------

def rows_table(dataset: Dataset, target: str, predictions: TestPredictions, positions: np.ndarray) -> pd.DataFrame:
    """The dataset's rows at these test positions with the true and predicted class (or value) first."""
    positions = np.asarray(positions, dtype=np.int64)
    frame = dataset.frame.iloc[predictions.rows[positions]]
    features = frame[dataset.feature_columns(target)].reset_index(drop=True)
    if predictions.task == "regression":
        head = pd.DataFrame({f"True {target}": predictions.y_true[positions],
                             f"Predicted {target}": predictions.y_pred[positions]})
    else:
        names = np.asarray(predictions.class_names, dtype=object)
        head = pd.DataFrame({"True class": names[predictions.y_true[positions]],
                             "Predicted class": names[predictions.y_pred[positions]],
                             "Probability": predictions.proba[positions, predictions.y_pred[positions]].astype(float)})
    head.insert(0, "Row", frame.index.to_numpy())
    return pd.concat([head, features], axis=1)


def feature_values(dataset: Dataset, target: str, row: int) -> pd.DataFrame:
    """One row's features as a two-column table (feature, value), for a table row shown on its own."""
    values = dataset.frame.iloc[int(row)][dataset.feature_columns(target)]
    return pd.DataFrame({"Feature": [str(c) for c in values.index], "Value": [str(v) for v in values.to_numpy()]})


def images(dataset: Dataset, target: str, rows: np.ndarray) -> np.ndarray:
    """The rows as (n, height, width) greyscale images, colour averaged over channels like the Data page."""
    if dataset.kind != "image" or dataset.image_shape is None:
        raise ValueError("images needs an image dataset")
    height, width, channels = dataset.image_shape
    pixels = dataset.frame.iloc[np.asarray(rows, dtype=np.int64)][dataset.feature_columns(target)]
    return pixels.to_numpy(dtype=float).reshape(len(pixels), height, width, channels).mean(axis=3)


def signals(dataset: Dataset, target: str, rows: np.ndarray, labels: list[str]):
    """The rows as curves against the dataset's axis (an explore.SignalSamples with these labels)."""
    import warnings

    frame = dataset.frame.iloc[np.asarray(rows, dtype=np.int64)]
    columns = [c for c in dataset.feature_columns(target) if pd.api.types.is_numeric_dtype(frame[c])]
    x, x_label = signal_axis(columns, getattr(dataset, "axis", None), getattr(dataset, "axis_label", "") or "")
    curves = frame[columns].to_numpy(dtype=float)
    width = max(1, -(-len(columns) // MAX_SIGNAL_POINTS))
    if width > 1:  # long spectra are averaged in bins, as on the Data page
        usable = (len(columns) // width) * width
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a bin of missing values stays missing
            curves = np.nanmean(curves[:, :usable].reshape(len(curves), -1, width), axis=2)
        x = x[:usable].reshape(-1, width).mean(axis=1)
    classes = list(dict.fromkeys(labels))
    return SignalSamples(x=x, x_label=x_label, curves=curves, labels=list(labels), classes=classes,
                         n_classes=len(classes), bin_width=width, y_label=common_prefix(columns) or "Value")
