"""Which features a trained model leans on: impurity importance (forests) and permutation importance.

Measured on the worker right after training, while the fitted model is still there (FitOutcome's
`predictor`); the result carries only the numbers. Permutation importance follows
sklearn.inspection.permutation_importance: the drop in the run's score (accuracy, or R² for a
regression) on the test rows when one feature column is shuffled, as mean ± std over a few seeded
shuffles. It is written out here rather than called so that Stop is honoured between features and
the repeats of one feature go to the model in one batch (one Keras predict call, not five).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Shuffles are scored on at most this many test rows: enough for a steady mean on any built-in
# set, and a few seconds for a forest or a network.
MAX_ROWS = 2_000
N_REPEATS = 5
# Beyond this many columns (images, spectra, light curves) one shuffled pixel or wavelength among
# hundreds of correlated neighbours barely moves the score, and the chart would be unreadable.
MAX_PERMUTED_FEATURES = 100
# A wide forest's impurity importances are kept for its most important columns only.
MAX_KEPT_FEATURES = 50


@dataclass
class FeatureImportance:
    """Importance per feature column, aligned with `features` (the columns after preprocessing).

    `permutation_mean`/`permutation_std` hold NaN for features not measured (Stop during the
    measurement); both are None where permutation importance was not measured at all.
    """

    features: list[str]
    n_features: int  # columns in all; `features` keeps only the top MAX_KEPT_FEATURES of a wide forest
    impurity: list[float] | None = None
    permutation_mean: list[float] | None = None
    permutation_std: list[float] | None = None
    score_label: str = "accuracy"  # what the permutation drop is measured in: "accuracy" or "R²"
    baseline_score: float | None = None  # the score on the unshuffled rows
    n_rows: int = 0  # test rows shuffled
    n_repeats: int = N_REPEATS
    notes: list[str] = field(default_factory=list)

    @property
    def n_permuted(self) -> int:
        return 0 if self.permutation_mean is None else int(np.isfinite(self.permutation_mean).sum())


def score(task: str, y_true: np.ndarray, output: np.ndarray) -> float:
    """The run's score: accuracy of the most probable class, or R² of predicted values."""
    if task == "classification":
        return float(np.mean(np.asarray(output).argmax(axis=1) == y_true))
    y_true = np.asarray(y_true, dtype=np.float64)
    residual = float(np.sum((y_true - np.ravel(output)) ** 2))
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    return 1.0 - residual / total if total > 0 else 0.0


def permutation_importance(predict, x: np.ndarray, y: np.ndarray, task: str, seed: int,
                           n_repeats: int = N_REPEATS, should_stop=lambda: False) -> tuple[np.ndarray, np.ndarray, float]:
    """Mean and std of the score's drop per shuffled column (NaN for columns Stop left unmeasured),
    and the unshuffled score."""
    rng = np.random.default_rng(seed)
    baseline = score(task, y, predict(x))
    n_rows, n_features = x.shape
    mean = np.full(n_features, np.nan)
    std = np.full(n_features, np.nan)
    for column in range(n_features):
        if should_stop():
            break
        shuffled = np.tile(x, (n_repeats, 1))
        for repeat in range(n_repeats):
            shuffled[repeat * n_rows:(repeat + 1) * n_rows, column] = rng.permutation(x[:, column])
        output = predict(shuffled)
        drops = [baseline - score(task, y, output[repeat * n_rows:(repeat + 1) * n_rows])
                 for repeat in range(n_repeats)]
        mean[column], std[column] = float(np.mean(drops)), float(np.std(drops))
    return mean, std, baseline


def measure_importance(outcome, data, data_kind: str, seed: int, reporter) -> FeatureImportance:
    """Impurity importance if the family has it, permutation importance for tables, on the test rows.

    `outcome` is the family's FitOutcome and `data` the PreparedData it was trained on.
    """
    names = list(data.feature_names)
    n_features = len(names)
    task = data.task
    result = FeatureImportance(features=names, n_features=n_features,
                               score_label="R²" if task == "regression" else "accuracy")
    impurity = outcome.impurity_importance
    impurity = impurity() if callable(impurity) else impurity  # a forest's is computed only now
    if impurity is not None and len(impurity) == n_features:
        result.impurity = [float(v) for v in impurity]
    if outcome.predictor is None:
        result.notes.append("This model cannot be asked for predictions after training, so permutation importance "
                            "was not measured.")
    elif data_kind != "table" or n_features > MAX_PERMUTED_FEATURES:
        what = {"image": "pixels", "signal": "points of the signal"}.get(data_kind, "columns")
        result.notes.append(f"Permutation importance is measured for tables of up to {MAX_PERMUTED_FEATURES} "
                            f"columns; this model sees {n_features:,} {what}. Shuffling one of them among its "
                            "neighbours barely changes the score, so it was not measured.")
    else:
        x, y = data.x_test, data.y_test
        if len(y) > MAX_ROWS:
            rows = np.sort(np.random.default_rng(seed).choice(len(y), size=MAX_ROWS, replace=False))
            x, y = x[rows], y[rows]
        reporter.report({"type": "status", "message": "Measuring feature importance"})
        mean, std, baseline = permutation_importance(outcome.predictor, np.asarray(x), np.asarray(y), task, seed,
                                                     should_stop=reporter.should_stop)
        result.permutation_mean, result.permutation_std = mean.tolist(), std.tolist()
        result.baseline_score, result.n_rows = baseline, len(y)
        if result.n_permuted < n_features:
            result.notes.append(f"Stopped while measuring permutation importance: {result.n_permuted} of "
                                f"{n_features} columns were measured; the others are not shown.")
    if n_features > MAX_KEPT_FEATURES and result.permutation_mean is None and result.impurity is not None:
        # A wide forest (an image's pixels): keep its most important columns, not hundreds of zeros.
        top = np.argsort(result.impurity)[::-1][:MAX_KEPT_FEATURES]
        result.features = [names[i] for i in top]
        result.impurity = [result.impurity[i] for i in top]
    return result


def top_features(importance: FeatureImportance, kind: str, limit: int = 20) -> list[tuple[str, float, float]]:
    """(feature, value, error) of the `limit` most important features by `kind` ("impurity" or
    "permutation"), most important first; the error is the permutation std (0 for impurity)."""
    if kind == "impurity":
        values, errors = importance.impurity or [], [0.0] * len(importance.impurity or [])
    else:
        values, errors = importance.permutation_mean or [], importance.permutation_std or []
    rows = [(name, float(v), float(e)) for name, v, e in zip(importance.features, values, errors) if np.isfinite(v)]
    rows.sort(key=lambda row: row[1], reverse=True)
    return rows[:limit]
