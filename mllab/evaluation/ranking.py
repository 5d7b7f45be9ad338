"""ROC and precision-recall points of one class against the rest, from a single sort of the scores.

scikit-learn's roc_curve, roc_auc_score, precision_recall_curve and average_precision_score each
validate their input and sort the scores again: four sorts and four checks per class, about 10 ms a
class, a tenth of a forest's whole run on digits. These are the same formulas
(sklearn.metrics._ranking, version 1.9) on one sort; tests/evaluation/test_ranking.py checks them
against scikit-learn's own functions, ties included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RankingCurves:
    fpr: np.ndarray
    tpr: np.ndarray
    auc: float
    precision: np.ndarray  # from recall 1 down to recall 0, as precision_recall_curve returns them
    recall: np.ndarray
    average_precision: float


def ranking_curves(positive: np.ndarray, score: np.ndarray) -> RankingCurves:
    """ROC (intermediate collinear points dropped, as roc_curve does by default) and PR curve.

    `positive` is a boolean array with at least one positive and one negative row.
    """
    positive = np.asarray(positive, dtype=bool)
    score = np.asarray(score, dtype=np.float64)
    order = np.argsort(score, kind="mergesort")[::-1]
    ranked_score, ranked_positive = score[order], positive[order]
    # One point per distinct score: the counts of positives and negatives at or above it.
    last_of_each = np.r_[np.flatnonzero(np.diff(ranked_score)), ranked_score.size - 1]
    tps = np.cumsum(ranked_positive, dtype=np.float64)[last_of_each]
    fps = 1 + last_of_each - tps

    roc_tps, roc_fps = tps, fps
    if len(fps) > 2:  # keep the corners: points where the curve changes direction
        corners = np.flatnonzero(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])
        roc_tps, roc_fps = tps[corners], fps[corners]
    fpr = np.r_[0.0, roc_fps] / roc_fps[-1]
    tpr = np.r_[0.0, roc_tps] / roc_tps[-1]
    auc = float(np.trapezoid(tpr, fpr))

    predicted = tps + fps
    precision = np.divide(tps, predicted, out=np.zeros_like(tps), where=predicted != 0)
    recall = tps / tps[-1]
    precision, recall = np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0]
    average_precision = max(0.0, float(-np.sum(np.diff(recall) * precision[:-1])))
    return RankingCurves(fpr, tpr, auc, precision, recall, average_precision)
