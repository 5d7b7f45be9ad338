"""Test-set evaluation of a trained model: a classifier's metrics, confusion matrix, ROC and
precision-recall curves;
a regression's errors, R² and, for photometric redshifts, the astronomers' figures.

Pure numpy / pandas / scikit-learn. An `Evaluation` is a plain dataclass of lists, floats, a
small DataFrame and a small array, so it pickles cheaply on its way back from a Dask worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mllab.errors import UserError
from mllab.evaluation.ranking import ranking_curves

# Points kept per ROC curve for drawing; the AUC is always computed on the full curve.
MAX_ROC_POINTS = 200
MACRO_LABEL = "macro average"


@dataclass
class RocCurve:
    label: str
    fpr: list[float]
    tpr: list[float]
    auc: float


@dataclass
class PrCurve:
    """Precision against recall of one class against the rest, as scikit-learn orders it (recall falling)."""

    label: str
    recall: list[float]
    precision: list[float]
    average_precision: float
    prevalence: float  # share of test rows in the class: a model that guesses scores this precision


@dataclass
class Evaluation:
    class_names: list[str]
    accuracy: float
    per_class: pd.DataFrame  # columns: class, precision, recall, f1, support (one row per class)
    macro: dict[str, float]  # precision, recall, f1
    weighted: dict[str, float]  # precision, recall, f1
    confusion: np.ndarray  # counts; rows = true class, columns = predicted class
    roc: list[RocCurve]  # binary: the positive class; multiclass: one-vs-rest per class + macro average
    roc_auc: float | None  # binary AUC or macro one-vs-rest AUC; None where no curve can be computed
    pr: list[PrCurve] = field(default_factory=list)  # binary: the positive class; multiclass: one-vs-rest
    # Figures that stay honest when one class dominates (accuracy does not): the mean recall over the
    # classes (a constant guess scores 1/k), Matthews' correlation and Cohen's kappa (both 0 for a guess).
    balanced_accuracy: float | None = None
    mcc: float | None = None
    kappa: float | None = None
    calibration: object | None = None  # a calibration.Calibration of the probabilities (reliability, Brier)

    task = "classification"

    @property
    def n_samples(self) -> int:
        return int(self.confusion.sum())

    @property
    def confusion_normalised(self) -> np.ndarray:
        """Each row divided by its total (share of each true class); rows without samples are 0."""
        counts = self.confusion.astype(float)
        totals = counts.sum(axis=1, keepdims=True)
        return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)

    def summary(self) -> dict[str, float | None]:
        """The headline numbers of a run, for comparison tables."""
        return {
            "accuracy": self.accuracy,
            "macro_precision": self.macro["precision"],
            "macro_recall": self.macro["recall"],
            "macro_f1": self.macro["f1"],
            "roc_auc": self.roc_auc,
            "balanced_accuracy": self.balanced_accuracy,
            "mcc": self.mcc,
            "kappa": self.kappa,
            "brier": None if self.calibration is None else self.calibration.brier,
        }


def _check_inputs(y_true, proba, class_names) -> tuple[np.ndarray, np.ndarray, list[str]]:
    class_names = [str(name) for name in class_names]
    k = len(class_names)
    if k < 2:
        raise ValueError(f"At least two classes are needed for an evaluation, got {k}.")
    y = np.asarray(y_true)
    if y.ndim == 2 and 1 in y.shape:  # a column or row vector
        y = y.reshape(-1)
    if y.ndim != 1:
        raise ValueError(f"y_true must be one-dimensional, got shape {np.shape(y_true)}.")
    if len(y) == 0:
        raise ValueError("The test set is empty, so there is nothing to evaluate.")
    if not np.issubdtype(y.dtype, np.integer):
        as_float = y.astype(float)
        if not np.all(np.isfinite(as_float)) or not np.all(as_float == np.round(as_float)):
            raise ValueError("y_true must hold integer class indices.")
        y = as_float.astype(np.int64)
    y = y.astype(np.int64)
    if y.min() < 0 or y.max() >= k:
        raise ValueError(f"y_true holds class indices outside 0..{k - 1}.")

    p = np.asarray(proba, dtype=float)
    if p.ndim == 1:
        p = p[:, None]
    if p.ndim != 2:
        raise ValueError(f"proba must be a 2-D array (samples x classes), got shape {p.shape}.")
    if p.shape[0] != len(y):
        raise ValueError(f"proba has {p.shape[0]} rows but y_true has {len(y)} labels.")
    if not np.all(np.isfinite(p)):
        bad = int((~np.isfinite(p)).any(axis=1).sum())
        raise UserError(
            f"The model produced invalid (NaN or infinite) probabilities for {bad} of {len(y)} test rows, "
            "so it cannot be evaluated. Training probably diverged: try a lower learning rate, scale the "
            "features, or use fewer epochs.")
    if p.shape[1] == 1 and k == 2:
        p = np.hstack([1.0 - p, p])  # a single column is P(class 1)
    if p.shape[1] != k:
        raise ValueError(f"proba has {p.shape[1]} columns but there are {k} classes.")
    return y, p, class_names


def _downsample(fpr: np.ndarray, tpr: np.ndarray, max_points: int = MAX_ROC_POINTS) -> tuple[list, list]:
    """At most about `max_points` points, spread evenly along the curve, endpoints kept."""
    n = len(fpr)
    if n > max_points:
        # fpr + tpr grows monotonically along the curve from 0 to 2: pick the first vertex past
        # each of max_points evenly spaced targets, so corners and long flat runs are both kept.
        travelled = fpr + tpr
        targets = np.linspace(travelled[0], travelled[-1], max_points)
        keep = np.unique(np.concatenate([[0, n - 1], np.searchsorted(travelled, targets).clip(0, n - 1)]))
        fpr, tpr = fpr[keep], tpr[keep]
    return [float(v) for v in fpr], [float(v) for v in tpr]


def _binary_curve(positive: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, float] | None:
    """ROC of one class against the rest; None when the test set lacks positives or negatives."""
    n_pos = int(positive.sum())
    if n_pos == 0 or n_pos == len(positive):
        return None
    curves = ranking_curves(positive, score)
    return curves.fpr, curves.tpr, curves.auc


def _roc_curves(y: np.ndarray, p: np.ndarray, class_names: list[str]) -> tuple[list[RocCurve], float | None]:
    k = len(class_names)
    if k == 2:
        found = _binary_curve(y == 1, p[:, 1])
        if found is None:
            return [], None
        fpr, tpr, auc = found
        return [RocCurve(class_names[1], *_downsample(fpr, tpr), auc)], auc

    curves: list[RocCurve] = []
    full: list[tuple[np.ndarray, np.ndarray]] = []
    for index, name in enumerate(class_names):
        found = _binary_curve(y == index, p[:, index])
        if found is None:  # class absent from (or alone in) the test set: no curve, no AUC
            continue
        fpr, tpr, auc = found
        full.append((fpr, tpr))
        curves.append(RocCurve(name, *_downsample(fpr, tpr), auc))
    if not curves:
        return [], None
    macro_auc = float(np.mean([curve.auc for curve in curves]))
    if len(curves) >= 2:
        grid = np.unique(np.concatenate([fpr for fpr, _ in full]))
        mean_tpr = np.mean([np.interp(grid, fpr, tpr) for fpr, tpr in full], axis=0)
        grid, mean_tpr = np.concatenate([[0.0], grid]), np.concatenate([[0.0], mean_tpr])
        curves.append(RocCurve(MACRO_LABEL, *_downsample(grid, mean_tpr), macro_auc))
    return curves, macro_auc


def _downsample_path(xs: np.ndarray, ys: np.ndarray, max_points: int = MAX_ROC_POINTS) -> tuple[list, list]:
    """At most about `max_points` points spread evenly by distance along a curve that need not be
    monotonic (precision goes up and down as recall falls), endpoints kept."""
    n = len(xs)
    if n > max_points:
        travelled = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(xs)) + np.abs(np.diff(ys)))])
        targets = np.linspace(0.0, travelled[-1], max_points)
        keep = np.unique(np.concatenate([[0, n - 1], np.searchsorted(travelled, targets).clip(0, n - 1)]))
        xs, ys = xs[keep], ys[keep]
    return [float(v) for v in xs], [float(v) for v in ys]


def _pr_curves(y: np.ndarray, p: np.ndarray, class_names: list[str]) -> list[PrCurve]:
    """Binary: the positive class (the second); multiclass: each class against the rest. A class
    absent from the test set has no curve (its average precision is undefined)."""
    indices = [1] if len(class_names) == 2 else range(len(class_names))
    curves = []
    for index in indices:
        positive = y == index
        if not positive.any():
            continue
        if positive.all():  # every test row positive: precision is 1 at every recall
            found_precision, found_recall, average_precision = np.ones(2), np.array([1.0, 0.0]), 1.0
        else:
            found = ranking_curves(positive, p[:, index])
            found_precision, found_recall, average_precision = found.precision, found.recall, found.average_precision
        recall_points, precision_points = _downsample_path(found_recall, found_precision)
        curves.append(PrCurve(class_names[index], recall_points, precision_points, average_precision,
                              float(positive.mean())))
    return curves


def evaluate(y_true: np.ndarray, proba: np.ndarray, class_names: list[str]) -> Evaluation:
    """Evaluate class probabilities `proba` (n x k) against integer labels `y_true` (0..k-1).

    Predictions are the most probable class. For two classes `proba` may be a single column
    (n x 1) holding P(class 1). A class missing from the test set gets zero precision/recall and
    no ROC curve; the macro AUC then averages the classes that have one.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    from mllab.evaluation.calibration import calibration

    y, p, class_names = _check_inputs(y_true, proba, class_names)
    k = len(class_names)
    labels = np.arange(k)
    predicted = p.argmax(axis=1)

    precision, recall, f1, support = precision_recall_fscore_support(
        y, predicted, labels=labels, average=None, zero_division=0)
    per_class = pd.DataFrame({
        "class": class_names,
        "precision": precision.astype(float),
        "recall": recall.astype(float),
        "f1": f1.astype(float),
        "support": support.astype(np.int64),
    })
    weights = support / support.sum()
    macro = {"precision": float(precision.mean()), "recall": float(recall.mean()), "f1": float(f1.mean())}
    weighted = {"precision": float(precision @ weights), "recall": float(recall @ weights),
                "f1": float(f1 @ weights)}
    roc, roc_auc = _roc_curves(y, p, class_names)
    agreement = imbalance_scores(y, predicted, k)
    return Evaluation(
        class_names=class_names,
        accuracy=float(np.mean(predicted == y)),
        per_class=per_class,
        macro=macro,
        weighted=weighted,
        confusion=confusion_matrix(y, predicted, labels=labels).astype(np.int64),
        roc=roc,
        roc_auc=roc_auc,
        pr=_pr_curves(y, p, class_names),
        calibration=calibration(y, p, class_names),
        **agreement,
    )


def imbalance_scores(y: np.ndarray, predicted: np.ndarray, k: int) -> dict[str, float]:
    """Balanced accuracy (mean recall of the classes present), Matthews correlation and Cohen's kappa.

    scikit-learn's own functions; a constant prediction gets 0 for MCC and kappa (scikit-learn
    returns 0 where the formula divides by zero), and 1/(classes present) for balanced accuracy.
    """
    import warnings

    from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, matthews_corrcoef

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "y_pred contains classes not in y_true" for a small test set
        kappa = cohen_kappa_score(y, predicted, labels=np.arange(k))
        return {"balanced_accuracy": float(balanced_accuracy_score(y, predicted)),
                "mcc": float(matthews_corrcoef(y, predicted)),
                "kappa": 0.0 if not np.isfinite(kappa) else float(kappa)}


# ------------------------------------------------------------------------------------------------
# Regression
# ------------------------------------------------------------------------------------------------

# Points kept for the predicted-vs-true and residual plots; every metric uses all test rows.
MAX_SCATTER_POINTS = 20_000
# A photometric redshift is an outlier when |Δz| / (1 + z) exceeds this (the usual cut, e.g.
# Hildebrandt et al. 2010; Carrasco Kind & Brunner 2013).
PHOTO_Z_OUTLIER_CUT = 0.15
# Scales the median absolute deviation to a standard deviation for normally distributed errors.
NMAD_SCALE = 1.4826


@dataclass
class PhotoZMetrics:
    """Photometric-redshift quality on the test set, with e = (z_pred - z_true) / (1 + z_true)."""

    bias: float  # mean of e
    sigma: float  # standard deviation of e: σ(Δz/(1+z))
    nmad: float  # 1.4826 × median(|e - median(e)|): a spread that outliers do not inflate
    outlier_fraction: float  # share of rows with |e| > 0.15
    n_outliers: int


@dataclass
class RegressionEvaluation:
    """How close the predicted values are to the true ones on the test set.

    `y_true` and `y_pred` are kept (at most MAX_SCATTER_POINTS of them, a fixed random sample) to
    draw the predicted-vs-true and residual plots; the metrics use every test row.
    """

    n_samples: int
    mse: float
    mae: float
    rmse: float
    r2: float | None  # None when the test targets are all equal (R² is then undefined)
    y_true: np.ndarray
    y_pred: np.ndarray
    photo_z: PhotoZMetrics | None = None

    task = "regression"

    def summary(self) -> dict[str, float | None]:
        """The headline numbers of a run, for comparison tables."""
        numbers: dict[str, float | None] = {"r2": self.r2, "rmse": self.rmse, "mae": self.mae, "mse": self.mse}
        if self.photo_z is not None:
            numbers.update(nmad=self.photo_z.nmad, sigma_dz=self.photo_z.sigma, bias_dz=self.photo_z.bias,
                           outlier_fraction=self.photo_z.outlier_fraction)
        return numbers


def photo_z_metrics(z_true: np.ndarray, z_pred: np.ndarray) -> PhotoZMetrics:
    """Bias, σ(Δz/(1+z)), NMAD and outlier fraction of predicted redshifts `z_pred`."""
    z_true = np.asarray(z_true, dtype=float).reshape(-1)
    z_pred = np.asarray(z_pred, dtype=float).reshape(-1)
    if np.any(z_true <= -1):
        raise UserError("Some target values are -1 or less, which no redshift can be, so Δz/(1+z) cannot be "
                        "computed. Untick 'target is a redshift' on the Data page.")
    scaled = (z_pred - z_true) / (1.0 + z_true)
    outliers = np.abs(scaled) > PHOTO_Z_OUTLIER_CUT
    return PhotoZMetrics(
        bias=float(np.mean(scaled)),
        sigma=float(np.std(scaled)),
        nmad=float(NMAD_SCALE * np.median(np.abs(scaled - np.median(scaled)))),
        outlier_fraction=float(np.mean(outliers)),
        n_outliers=int(outliers.sum()),
    )


def evaluate_regression(y_true: np.ndarray, y_pred: np.ndarray, redshift: bool = False,
                        seed: int = 0) -> RegressionEvaluation:
    """Errors of the predictions `y_pred` against the true values `y_true` (both 1-D, same length)."""
    y = np.asarray(y_true, dtype=float).reshape(-1)
    predicted = np.asarray(y_pred, dtype=float).reshape(-1)
    if len(y) == 0:
        raise ValueError("The test set is empty, so there is nothing to evaluate.")
    if predicted.shape != y.shape:
        raise ValueError(f"{len(predicted)} predictions for {len(y)} test rows.")
    if not np.all(np.isfinite(predicted)):
        bad = int((~np.isfinite(predicted)).sum())
        raise UserError(
            f"The model produced invalid (NaN or infinite) predictions for {bad} of {len(y)} test rows, so it "
            "cannot be evaluated. Training probably diverged: try a lower learning rate, scale the features, "
            "or use fewer epochs.")
    errors = predicted - y
    mse = float(np.mean(errors ** 2))
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = None if total == 0 else 1.0 - float(np.sum(errors ** 2)) / total
    keep = np.arange(len(y))
    if len(y) > MAX_SCATTER_POINTS:
        keep = np.sort(np.random.default_rng(seed).choice(len(y), MAX_SCATTER_POINTS, replace=False))
    return RegressionEvaluation(
        n_samples=len(y), mse=mse, mae=float(np.mean(np.abs(errors))), rmse=float(np.sqrt(mse)), r2=r2,
        y_true=y[keep], y_pred=predicted[keep],
        photo_z=photo_z_metrics(y, predicted) if redshift else None,
    )
