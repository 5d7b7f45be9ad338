"""Scores a fold or a search candidate is judged by, per task (`scorers_for`): classification by
accuracy, macro F1, balanced accuracy, Matthews correlation (MCC) and Cohen's kappa; a regression by R², RMSE and MAE, and a photometric redshift also by its NMAD.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from mllab.evaluation import photo_z_metrics


@dataclass(frozen=True)
class Scorer:
    name: str
    label: str
    score: Callable[[np.ndarray, np.ndarray], float]  # (true values, predictions) -> score
    higher_is_better: bool = True
    # How a table prints the score: fixed decimals for scores between 0 and 1, significant figures
    # ("g") for errors in the target's units, which may be 0.018 (a redshift) or 23,000 (a price).
    number_format: str = ".3f"

    @property
    def in_text(self) -> str:
        """The label inside a sentence: "accuracy", but "R²" and "RMSE" keep their capitals."""
        return self.label if self.label[:2].isupper() or self.label == "R²" else self.label.lower()

    def format(self, value: float) -> str:
        """The score as a headline shows it: short enough for a metric tile, never in e-notation."""
        if not self.number_format.endswith("g") or not np.isfinite(value) or value == 0:
            return format(value, self.number_format)
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return np.format_float_positional(value, precision=3, unique=False, fractional=False, trim="k").rstrip(".")


def _accuracy(y_true, y_pred) -> float:
    return float(np.mean(y_true == y_pred))


def _macro_f1(y_true, y_pred) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, average="macro", zero_division=0))


def _balanced_accuracy(y_true, y_pred) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y_true, y_pred))


def _mcc(y_true, y_pred) -> float:
    from sklearn.metrics import matthews_corrcoef

    return float(matthews_corrcoef(y_true, y_pred))


def _kappa(y_true, y_pred) -> float:
    from sklearn.metrics import cohen_kappa_score

    value = cohen_kappa_score(y_true, y_pred)
    return float(value) if np.isfinite(value) else 0.0  # a fold where truth and guess are one class


def _r2(y_true, y_pred) -> float:
    from sklearn.metrics import r2_score

    return float(r2_score(y_true, y_pred))


def _rmse(y_true, y_pred) -> float:
    return float(np.sqrt(np.mean((np.asarray(y_true, float) - np.asarray(y_pred, float)) ** 2)))


def _mae(y_true, y_pred) -> float:
    return float(np.mean(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float))))


def _nmad(z_true, z_pred) -> float:
    return photo_z_metrics(z_true, z_pred).nmad


SCORERS: dict[str, tuple[Scorer, ...]] = {
    # Balanced accuracy, MCC and kappa stay honest when one class dominates (a constant guess scores
    # 1/classes, 0 and 0), where accuracy rewards always answering the common class.
    "classification": (Scorer("accuracy", "Accuracy", _accuracy), Scorer("macro_f1", "Macro F1", _macro_f1),
                       Scorer("balanced_accuracy", "Balanced accuracy", _balanced_accuracy),
                       Scorer("mcc", "MCC", _mcc), Scorer("kappa", "Kappa", _kappa)),
    "regression": (Scorer("r2", "R²", _r2), Scorer("rmse", "RMSE", _rmse, higher_is_better=False, number_format=".4g"),
                   Scorer("mae", "MAE", _mae, higher_is_better=False, number_format=".4g")),
}
NMAD_SCORER = Scorer("nmad", "NMAD", _nmad, higher_is_better=False, number_format=".4f")


def scorers_for(task: str, redshift: bool = False) -> tuple[Scorer, ...]:
    """The scores of a task; a regression on redshifts also gets the astronomers' NMAD of Δz/(1+z)."""
    return SCORERS[task] + ((NMAD_SCORER,) if redshift and task == "regression" else ())


def score_in_text(name: str) -> str:
    """How a score known by its name reads in a sentence (live events carry names only)."""
    known = {s.name: s for scorers in SCORERS.values() for s in scorers}
    known[NMAD_SCORER.name] = NMAD_SCORER
    return known[name].in_text if name in known else name


def predictions(task: str, outcome) -> np.ndarray:
    """What a fold's model predicts for its test rows: a class index, or a number for regression."""
    if task == "classification":
        return np.asarray(outcome.test_proba).argmax(axis=1)
    return np.ravel(np.asarray(getattr(outcome, "test_prediction", outcome.test_proba), dtype=float))
