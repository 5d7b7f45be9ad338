"""Whether a classifier's probabilities mean what they say: reliability curves and the Brier score.

A reliability curve (scikit-learn's `calibration_curve` with `strategy="quantile"`) puts the test
rows into bins of about equal size by the probability the model gave, and compares each bin's mean
probability with how often the event happened. Quantile bins, not equal-width ones, so no bin is
drawn from three rows while another holds hundreds; each bin keeps its row count for the page.

- Two classes: the curve of the positive (second) class.
- More classes: one class against the rest for each of the largest classes (at most MAX_CURVES).
- Always: the predicted class's probability against being right, which is what "when it says
  80 %, it is right 62 % of the time" is about.

The Brier score is the mean squared difference between the probabilities and what happened
(Brier 1950): for two classes that of the positive class (0 is perfect, 0.25 is a constant 50 %),
for more the sum over the classes (Brier's original definition, between 0 and 2).
Pure NumPy; the result is small lists, cheap to send back from a worker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_BINS = 10
MIN_BIN_ROWS = 15  # fewer bins than MAX_BINS when the test set is small: each holds about this many rows at least
MAX_CURVES = 6  # one-against-the-rest curves drawn for a multiclass model (the largest classes)
CONFIDENCE_LABEL = "predicted class"
# The probability the sentence speaks of ("when it says 80 %"), and the fewest rows its bin may hold.
SPOKEN_PROBABILITY = 0.8
SPOKEN_MIN_ROWS = 10


@dataclass
class ReliabilityCurve:
    label: str  # a class name, or CONFIDENCE_LABEL for the predicted class's probability
    predicted: list[float]  # mean probability the model gave, per bin
    observed: list[float]  # share of the bin's rows in the class (for CONFIDENCE_LABEL: predicted right)
    counts: list[int]  # test rows per bin
    low: list[float]  # lowest and highest probability in each bin
    high: list[float]
    brier: float  # of this curve's probabilities against what happened


@dataclass
class Calibration:
    brier: float
    curves: list[ReliabilityCurve]  # binary: the positive class; multiclass: one against the rest
    confidence: ReliabilityCurve
    n_samples: int

    def sentence(self) -> str:
        """e.g. "When it says 81 %, it is right 62 % of the time (the 31 test rows it gave 74–88 %)."""
        curve = self.confidence
        usable = [i for i, n in enumerate(curve.counts) if n >= SPOKEN_MIN_ROWS] or list(range(len(curve.counts)))
        if not usable:
            return ""
        i = min(usable, key=lambda j: abs(curve.predicted[j] - SPOKEN_PROBABILITY))
        said, right = 100 * curve.predicted[i], 100 * curve.observed[i]
        text = (f"When it says {said:.0f} %, it is right {right:.0f} % of the time (the {curve.counts[i]:,} rows "
                f"it gave {100 * curve.low[i]:.0f}–{100 * curve.high[i]:.0f} % for its answer).")
        if right < said - 10:
            text += " It is over-confident there: trust its probabilities less than they say."
        elif right > said + 10:
            text += " It is under-confident there: it is right more often than it says."
        return text


def n_bins_for(n_rows: int) -> int:
    return int(max(2, min(MAX_BINS, n_rows // MIN_BIN_ROWS)))


def reliability_curve(happened: np.ndarray, probability: np.ndarray, label: str) -> ReliabilityCurve:
    """Quantile bins of `probability`, each with its mean probability and the share of `happened`."""
    happened = np.asarray(happened, dtype=float)
    probability = np.asarray(probability, dtype=float)
    edges = np.unique(np.quantile(probability, np.linspace(0.0, 1.0, n_bins_for(len(probability)) + 1)))
    # Rows equal to an inner edge go to the bin above it, as in scikit-learn's calibration_curve.
    bins = np.searchsorted(edges[1:-1], probability, side="right")
    predicted, observed, counts, low, high = [], [], [], [], []
    for b in range(len(edges) - 1 if len(edges) > 1 else 1):
        rows = bins == b
        if not rows.any():
            continue
        predicted.append(float(probability[rows].mean()))
        observed.append(float(happened[rows].mean()))
        counts.append(int(rows.sum()))
        low.append(float(probability[rows].min()))
        high.append(float(probability[rows].max()))
    return ReliabilityCurve(label, predicted, observed, counts, low, high,
                            brier=float(np.mean((probability - happened) ** 2)))


def calibration(y: np.ndarray, proba: np.ndarray, class_names: list[str]) -> Calibration:
    """Reliability curves and Brier score of class probabilities `proba` (n × k) for labels `y` (0..k-1)."""
    y = np.asarray(y)
    proba = np.asarray(proba, dtype=float)
    k = proba.shape[1]
    onehot = np.eye(k)[y]
    if k == 2:
        curves = [reliability_curve(y == 1, proba[:, 1], class_names[1])]
        brier = curves[0].brier
    else:
        largest = np.argsort(-np.bincount(y, minlength=k), kind="stable")[:MAX_CURVES]
        curves = [reliability_curve(y == c, proba[:, c], class_names[c]) for c in sorted(largest)]
        brier = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
    predicted = proba.argmax(axis=1)
    confidence = reliability_curve(predicted == y, proba[np.arange(len(y)), predicted], CONFIDENCE_LABEL)
    return Calibration(brier=brier, curves=curves, confidence=confidence, n_samples=len(y))
