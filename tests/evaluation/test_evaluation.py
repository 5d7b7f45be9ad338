"""evaluate() agrees with scikit-learn on real classifiers and copes with awkward test sets."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mllab.errors import UserError
from mllab.evaluation.metrics import MAX_ROC_POINTS, Evaluation, RocCurve, evaluate


def _fit(loader):
    data = loader()
    x_train, x_test, y_train, y_test = train_test_split(data.data, data.target, test_size=0.3,
                                                        stratify=data.target, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x_train, y_train)
    return y_test, model.predict_proba(x_test), [str(n) for n in data.target_names]


@pytest.fixture(scope="module")
def iris():
    return _fit(load_iris)


@pytest.fixture(scope="module")
def cancer():
    return _fit(load_breast_cancer)


def _evaluate_quietly(y, proba, names) -> Evaluation:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may leak to the page's log
        return evaluate(y, proba, names)


def _check_against_sklearn(evaluation: Evaluation, y, proba, names):
    predicted = proba.argmax(axis=1)
    assert evaluation.accuracy == pytest.approx(accuracy_score(y, predicted))
    report = classification_report(y, predicted, labels=range(len(names)), target_names=names,
                                   output_dict=True, zero_division=0)
    assert list(evaluation.per_class.columns) == ["class", "precision", "recall", "f1", "support"]
    assert list(evaluation.per_class["class"]) == names
    for _, row in evaluation.per_class.iterrows():
        expected = report[row["class"]]
        assert row["precision"] == pytest.approx(expected["precision"])
        assert row["recall"] == pytest.approx(expected["recall"])
        assert row["f1"] == pytest.approx(expected["f1-score"])
        assert row["support"] == expected["support"]
    for ours, theirs in ((evaluation.macro, report["macro avg"]), (evaluation.weighted, report["weighted avg"])):
        assert ours["precision"] == pytest.approx(theirs["precision"])
        assert ours["recall"] == pytest.approx(theirs["recall"])
        assert ours["f1"] == pytest.approx(theirs["f1-score"])
    np.testing.assert_array_equal(evaluation.confusion, confusion_matrix(y, predicted))
    assert evaluation.confusion.sum() == len(y)
    np.testing.assert_allclose(evaluation.confusion_normalised.sum(axis=1), 1.0)


def _check_curve(curve: RocCurve):
    assert len(curve.fpr) == len(curve.tpr) <= MAX_ROC_POINTS + 2
    assert (curve.fpr[0], curve.tpr[0]) == (0.0, 0.0) and (curve.fpr[-1], curve.tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(curve.fpr) >= 0) and np.all(np.diff(curve.tpr) >= 0)
    assert all(type(v) is float for v in curve.fpr + curve.tpr)
    assert 0.0 <= curve.auc <= 1.0


def test_multiclass_matches_sklearn(iris):
    y, proba, names = iris
    evaluation = _evaluate_quietly(y, proba, names)
    _check_against_sklearn(evaluation, y, proba, names)
    assert evaluation.accuracy > 0.85
    expected_auc = roc_auc_score(y, proba, multi_class="ovr", average="macro")
    assert evaluation.roc_auc == pytest.approx(expected_auc)
    assert [c.label for c in evaluation.roc] == names + ["macro average"]
    for index, curve in enumerate(evaluation.roc[:-1]):
        assert curve.auc == pytest.approx(roc_auc_score(y == index, proba[:, index]))
        _check_curve(curve)
    macro = evaluation.roc[-1]
    _check_curve(macro)
    assert macro.auc == pytest.approx(expected_auc)


def test_binary_matches_sklearn(cancer):
    y, proba, names = cancer
    evaluation = _evaluate_quietly(y, proba, names)
    _check_against_sklearn(evaluation, y, proba, names)
    assert evaluation.accuracy > 0.93
    expected_auc = roc_auc_score(y, proba[:, 1])
    assert evaluation.roc_auc == pytest.approx(expected_auc)
    assert len(evaluation.roc) == 1 and evaluation.roc[0].label == names[1]
    assert evaluation.roc[0].auc == pytest.approx(expected_auc)
    _check_curve(evaluation.roc[0])


def test_single_probability_column_means_class_one(cancer):
    y, proba, names = cancer
    two_columns = _evaluate_quietly(y, proba, names)
    one_column = _evaluate_quietly(y, proba[:, 1:], names)
    one_dimensional = _evaluate_quietly(y, proba[:, 1], names)
    for evaluation in (one_column, one_dimensional):
        assert evaluation.accuracy == two_columns.accuracy
        assert evaluation.roc_auc == pytest.approx(two_columns.roc_auc)
        np.testing.assert_array_equal(evaluation.confusion, two_columns.confusion)


def test_class_absent_from_test_set(iris):
    y, proba, names = iris
    keep = y != 2
    evaluation = _evaluate_quietly(y[keep], proba[keep], names)  # would warn if zero_division leaked
    assert evaluation.per_class["support"].tolist()[2] == 0
    assert evaluation.per_class.loc[2, "recall"] == 0.0
    assert evaluation.confusion.shape == (3, 3) and evaluation.confusion[2].sum() == 0
    assert evaluation.confusion_normalised[2].tolist() == [0.0, 0.0, 0.0]
    assert not np.isnan(evaluation.confusion_normalised).any()
    assert [c.label for c in evaluation.roc] == names[:2] + ["macro average"]
    per_class_auc = [roc_auc_score(y[keep] == i, proba[keep, i]) for i in (0, 1)]
    assert evaluation.roc_auc == pytest.approx(np.mean(per_class_auc))


def test_binary_test_set_with_one_class_has_no_roc(cancer):
    y, proba, names = cancer
    keep = y == 1
    evaluation = _evaluate_quietly(y[keep], proba[keep], names)
    assert evaluation.roc == [] and evaluation.roc_auc is None
    assert evaluation.summary()["roc_auc"] is None
    assert evaluation.confusion.sum() == keep.sum()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_probabilities_raise(iris, bad):
    y, proba, names = iris
    broken = proba.copy()
    broken[3, 1] = bad
    with pytest.raises(ValueError, match="NaN or infinite") as caught:
        evaluate(y, broken, names)
    assert isinstance(caught.value, UserError)


def test_shape_mismatches_raise(iris):
    y, proba, names = iris
    with pytest.raises(ValueError, match="columns"):
        evaluate(y, proba[:, :2], names)
    with pytest.raises(ValueError, match="rows"):
        evaluate(y[:-1], proba, names)
    with pytest.raises(ValueError, match="outside"):
        evaluate(np.where(y == 2, 5, y), proba, names)


def test_long_curves_are_downsampled_keeping_endpoints():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 20_000)
    score = np.clip(y * 0.3 + rng.normal(0.35, 0.25, len(y)), 0, 1)
    evaluation = _evaluate_quietly(y, score, ["no", "yes"])
    curve = evaluation.roc[0]
    _check_curve(curve)
    assert len(curve.fpr) >= MAX_ROC_POINTS // 2
    assert curve.auc == pytest.approx(roc_auc_score(y, score))
    # The drawn curve stays close to the full one: its trapezoid area is nearly the AUC.
    assert np.trapezoid(curve.tpr, curve.fpr) == pytest.approx(curve.auc, abs=0.005)


def test_summary_and_pickle_round_trip(iris):
    y, proba, names = iris
    evaluation = _evaluate_quietly(y, proba, names)
    assert evaluation.summary() == {
        "accuracy": evaluation.accuracy, "macro_precision": evaluation.macro["precision"],
        "macro_recall": evaluation.macro["recall"], "macro_f1": evaluation.macro["f1"],
        "roc_auc": evaluation.roc_auc, "balanced_accuracy": evaluation.balanced_accuracy, "mcc": evaluation.mcc,
        "kappa": evaluation.kappa, "brier": evaluation.calibration.brier,
    }
    restored = pickle.loads(pickle.dumps(evaluation))
    assert restored.accuracy == evaluation.accuracy and restored.roc_auc == evaluation.roc_auc
    assert restored.per_class.equals(evaluation.per_class)
    np.testing.assert_array_equal(restored.confusion, evaluation.confusion)
    assert restored.roc == evaluation.roc
    assert len(pickle.dumps(evaluation)) < 100_000
