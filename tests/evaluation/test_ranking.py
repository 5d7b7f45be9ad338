"""One sort per class gives scikit-learn's own ROC and precision-recall figures, ties included."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

from mllab.evaluation.ranking import ranking_curves


@pytest.mark.parametrize("case", ["continuous", "ties", "forest_votes", "perfect", "inverted"])
def test_roc_and_pr_points_and_areas_equal_scikit_learns(case):
    rng = np.random.default_rng(7)
    positive = rng.random(400) < 0.3
    score = {
        "continuous": positive * 0.8 + rng.normal(0, 0.5, 400),
        "ties": np.round(positive * 0.3 + rng.random(400), 1),  # ten distinct scores: many ties
        "forest_votes": rng.binomial(50, np.where(positive, 0.6, 0.3)) / 50,  # a forest's vote shares
        "perfect": positive.astype(float),
        "inverted": 1.0 - positive,
    }[case]
    ours = ranking_curves(positive, score)
    fpr, tpr, _ = roc_curve(positive, score, drop_intermediate=True)
    precision, recall, _ = precision_recall_curve(positive, score)
    np.testing.assert_allclose(ours.fpr, fpr)
    np.testing.assert_allclose(ours.tpr, tpr)
    np.testing.assert_allclose(ours.precision, precision)
    np.testing.assert_allclose(ours.recall, recall)
    assert ours.auc == pytest.approx(roc_auc_score(positive, score), abs=1e-12)
    assert ours.average_precision == pytest.approx(average_precision_score(positive, score), abs=1e-12)
