"""Figures that make a result trustworthy: imbalance-proof metrics, the baseline, calibration."""

import numpy as np
import pytest
from sklearn.metrics import (balanced_accuracy_score, brier_score_loss, cohen_kappa_score, matthews_corrcoef)

from mllab.datasets.builtin import load_builtin
from mllab.evaluation.baseline import holdout_baseline
from mllab.evaluation.calibration import calibration
from mllab.evaluation.metrics import evaluate
from mllab.prepare.preprocessing import PreprocessConfig, prepare


def test_balanced_accuracy_mcc_and_kappa_are_scikit_learns_and_zero_for_a_constant_guess():
    rng = np.random.default_rng(3)
    y = rng.choice(3, size=400, p=[0.8, 0.15, 0.05])
    proba = rng.dirichlet([1, 1, 1], size=400)
    proba[np.arange(400), y] += 0.6 * rng.random(400)  # a model that is right more often than chance
    proba /= proba.sum(axis=1, keepdims=True)
    evaluation = evaluate(y, proba, ["a", "b", "c"])
    predicted = proba.argmax(axis=1)
    assert evaluation.balanced_accuracy == pytest.approx(balanced_accuracy_score(y, predicted))
    assert evaluation.mcc == pytest.approx(matthews_corrcoef(y, predicted))
    assert evaluation.kappa == pytest.approx(cohen_kappa_score(y, predicted))
    # Always answering the common class: 80 % accuracy, and nothing on the figures that resist imbalance.
    constant = evaluate(y, np.tile([0.8, 0.15, 0.05], (400, 1)), ["a", "b", "c"])
    assert constant.accuracy == pytest.approx(np.mean(y == 0))
    assert constant.balanced_accuracy == pytest.approx(1 / 3) and constant.mcc == 0 and constant.kappa == 0


def test_pima_baseline_is_the_majority_share_of_the_test_split():
    pima = load_builtin("pima")
    data = prepare(pima.frame, pima.target, pima.feature_columns(pima.target), PreprocessConfig())
    baseline = holdout_baseline("classification", data.y_train, data.y_test, data.class_names)
    majority = np.bincount(data.y_train).argmax()
    assert baseline.score("accuracy") == pytest.approx(np.mean(data.y_test == majority))
    assert baseline.score("accuracy") == pytest.approx(0.65, abs=0.01)
    assert baseline.score("balanced_accuracy") == 0.5 and baseline.score("mcc") == 0 and baseline.score("roc_auc") == 0.5
    assert f"'{data.class_names[majority]}'" in baseline.description
    # On a curve: the accuracy line at the same height, the error rate at one minus it, the loss at the prior's.
    assert baseline.curve_reference("error") == pytest.approx(1 - baseline.score("accuracy"))
    share = np.bincount(data.y_train) / len(data.y_train)
    assert baseline.curve_reference("loss") == pytest.approx(-np.mean(np.log(share[data.y_test])))


def test_regression_baseline_is_the_training_mean():
    y_train, y_test = np.array([1.0, 2.0, 3.0, 6.0]), np.array([2.0, 4.0])
    baseline = holdout_baseline("regression", y_train, y_test, [])
    assert baseline.score("rmse") == pytest.approx(np.sqrt(np.mean((y_test - 3.0) ** 2)))
    assert baseline.score("r2") == pytest.approx(1 - 2.0 / 2.0)  # (2-3)² + (4-3)² over (2-3)² + (4-3)²
    assert "3" in baseline.description and baseline.curve_reference("mae") == pytest.approx(1.0)


def test_reliability_curve_uses_quantile_bins_and_counts_and_matches_brier():
    rng = np.random.default_rng(0)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(int)  # calibrated by construction
    result = calibration(y, np.column_stack([1 - p, p]), ["no", "yes"])
    curve = result.curves[0]
    assert curve.label == "yes" and sum(curve.counts) == 1000
    assert len(curve.counts) == 10 and max(curve.counts) - min(curve.counts) <= 2  # quantile bins: equal sizes
    assert np.allclose(curve.observed, curve.predicted, atol=0.1)
    assert result.brier == pytest.approx(brier_score_loss(y, p))
    sentence = result.sentence()
    assert sentence.startswith("When it says 8") and "right" in sentence and "over-confident" not in sentence


def test_an_over_confident_multiclass_model_is_called_so_one_class_against_the_rest():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 600)
    proba = np.full((600, 3), 0.05)
    guess = np.where(rng.random(600) < 0.5, y, rng.integers(0, 3, 600))  # right about 2 times in 3
    proba[np.arange(600), guess] = 0.9
    result = calibration(y, proba, ["a", "b", "c"])
    assert [c.label for c in result.curves] == ["a", "b", "c"]
    onehot = np.eye(3)[y]
    assert result.brier == pytest.approx(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
    assert "When it says 90 %, it is right 6" in result.sentence() and "over-confident" in result.sentence()
