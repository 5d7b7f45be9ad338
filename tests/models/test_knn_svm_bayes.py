"""k-nearest neighbours, SVM and Gaussian naive Bayes on real data: the scores plain scikit-learn gets with the
same settings and split, their code export, kept models, the maps and importances, and the sentences a user
reads when a setting cannot work."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import numpy as np
import pytest

from mllab.datasets.builtin import load_builtin
from mllab.errors import DataError, ParamError
from mllab.models import FAMILIES
from mllab.models.base import DataInfo
from mllab.prepare import prepare
from mllab.prepare.cleaning import CleaningChoices, apply_cleaning
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training.holdout import run_training
from mllab.training.prediction import TRUSTED_SKOPS_TYPES, PredictionSpec, run_prediction
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec


def _prepared(dataset, task="classification", **preprocessing):
    config = PreprocessConfig(**preprocessing)
    return prepare(dataset.frame, dataset.target, dataset.feature_columns(dataset.target), config, task=task)


def _fit(key, params, data, task="classification", seed=42):
    family = FAMILIES[key]
    info = DataInfo("table", data.x_train.shape[1], data.n_classes, task=task, n_train_rows=len(data.y_train))
    values = family.validate({**family.defaults(), **params}, info)
    reporter = LocalReporter()
    return family.train(values, data, info, reporter, "CPU", seed), reporter, values, info


@pytest.fixture(scope="module")
def wine():
    return _prepared(load_builtin("wine"), seed=3)


@pytest.fixture(scope="module")
def sdss():
    # 1,500 galaxies of the SDSS photo-z sample: enough for an R² well above 0, an SVR in well under a second.
    dataset = load_builtin("sdss_mgs")
    small = dataclasses.replace(dataset, frame=dataset.frame.sample(1_500, random_state=0).reset_index(drop=True))
    return _prepared(small, task="regression", seed=1)


def _plain_classifier(key, params):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC, LinearSVC

    if key == "knn":
        return KNeighborsClassifier(**params)
    if key == "naive_bayes":
        return GaussianNB(**params)
    kernel = params.pop("kernel", "rbf")
    svm = LinearSVC(dual="auto", max_iter=5000, random_state=42, **params) if kernel == "linear" else \
        SVC(kernel=kernel, **params)
    return CalibratedClassifierCV(svm, cv=5, ensemble=False)


CLASSIFIERS = {
    "knn": ({"n_neighbors": 7, "weights": "distance", "metric": "manhattan"},
            {"n_neighbors": 7, "weights": "distance", "metric": "manhattan"}),
    "knn_minkowski": ({"n_neighbors": 3, "metric": "minkowski", "p": 3.0}, {"n_neighbors": 3, "metric": "minkowski",
                                                                            "p": 3.0}),
    "svm": ({"kernel": "rbf", "C": 3.0, "gamma": "value", "gamma_value": 0.05},
            {"kernel": "rbf", "C": 3.0, "gamma": 0.05}),
    "svm_poly": ({"kernel": "poly", "degree": 2, "class_weight": "balanced"},
                 {"kernel": "poly", "degree": 2, "gamma": "scale", "class_weight": "balanced"}),
    "svm_linear": ({"kernel": "linear", "C": 0.5}, {"kernel": "linear", "C": 0.5}),
    "naive_bayes": ({"var_smoothing": 1e-6}, {"var_smoothing": 1e-6}),
}


@pytest.mark.parametrize("case", sorted(CLASSIFIERS))
def test_each_classifier_scores_what_plain_scikit_learn_scores_on_the_same_split(case, wine):
    key = case.split("_linear")[0].split("_poly")[0].split("_minkowski")[0]
    ours, plain_settings = CLASSIFIERS[case]
    outcome, reporter, _, _ = _fit(key, ours, wine)
    plain = _plain_classifier(key, dict(plain_settings)).fit(wine.x_train, wine.y_train)
    expected = plain.predict_proba(wine.x_test)
    accuracy = np.mean(outcome.test_proba.argmax(axis=1) == wine.y_test)
    assert round(accuracy, 3) == round(float(np.mean(expected.argmax(axis=1) == wine.y_test)), 3)
    assert accuracy >= 0.85  # wine, scaled: every one of these separates the three cultivars
    np.testing.assert_allclose(outcome.test_proba, expected, atol=1e-9)
    # One fit, one point: the training rows' scores, which the verdict then reads from the curve.
    assert [(p["step"], p["total"]) for p in reporter.history] == [(1, 1)]
    assert 0.9 <= reporter.history[0]["accuracy"] <= 1.0 and reporter.history[0]["loss"] > 0


@pytest.mark.parametrize("key", ["knn", "svm"])
def test_the_regression_twins_score_what_plain_scikit_learn_scores_on_the_photo_z_sample(key, sdss):
    from sklearn.metrics import r2_score
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.svm import SVR

    settings = {"knn": {"n_neighbors": 10, "weights": "distance"}, "svm": {"C": 3.0, "epsilon": 0.01}}[key]
    outcome, reporter, values, _ = _fit(key, settings, sdss, task="regression")
    assert outcome.test_proba is None
    plain = (KNeighborsRegressor(**settings) if key == "knn" else SVR(**settings)).fit(sdss.x_train, sdss.y_train)
    r2 = r2_score(sdss.y_test, outcome.test_prediction)
    assert round(r2, 3) == round(r2_score(sdss.y_test, plain.predict(sdss.x_test)), 3)
    assert r2 >= 0.5
    assert {"loss", "mae", "r2"} <= set(reporter.history[0])


@pytest.mark.parametrize("case", ["knn", "svm", "svm_linear", "naive_bayes"])
def test_the_code_export_reproduces_the_test_output_and_the_curve(case, wine):
    key = case.split("_linear")[0]
    outcome, reporter, values, info = _fit(key, CLASSIFIERS[case][0], wine)
    namespace = {"np": np, "N_CLASSES": wine.n_classes}
    exec(FAMILIES[key].export(values, info), namespace)
    output, history = namespace["train_model"](wine.x_train, wine.y_train, wine.x_test, 42)
    np.testing.assert_allclose(output, outcome.test_proba, atol=1e-12)
    assert len(history) == 1
    for name in ("loss", "accuracy"):
        assert history[0][name] == pytest.approx(reporter.history[0][name], abs=1e-12)


def test_the_svr_export_reproduces_the_predictions(sdss):
    outcome, reporter, values, info = _fit("svm", {"kernel": "linear", "epsilon": 0.01}, sdss, task="regression")
    namespace = {"np": np, "N_CLASSES": 0}
    exec(FAMILIES["svm"].export(values, info), namespace)
    output, history = namespace["train_model"](sdss.x_train, sdss.y_train, sdss.x_test, 42)
    np.testing.assert_allclose(output, outcome.test_prediction, atol=1e-12)
    assert history[0]["r2"] == pytest.approx(reporter.history[0]["r2"], abs=1e-12)


def test_a_kernel_svm_on_the_full_ogle_catalogue_is_refused_with_what_to_do_instead():
    catalogue = load_builtin("ogle3_full")  # 399,679 stars: the example
    spec = TrainingSpec(dataset=catalogue, target="Type", preprocessing=PreprocessConfig(), family="svm",
                        params={"kernel": "rbf"})
    with pytest.raises(ParamError, match=r"319,743 training rows would take hours.*Choose the linear kernel.*"
                                         r"sample at most 30,000 rows.*gradient boosting"):
        validate_spec(spec)
    assert validate_spec(dataclasses.replace(spec, params={"kernel": "linear"})).params["kernel"] == "linear"
    # Other families never look at the rows: a DataInfo without them (0) is not a reason to refuse.
    assert not FAMILIES["svm"].rules(FAMILIES["svm"].defaults(), DataInfo("table", 4, 8))


def test_k_larger_than_the_training_rows_is_a_sentence():
    iris = load_builtin("iris")
    spec = TrainingSpec(dataset=iris, target=iris.target, preprocessing=PreprocessConfig(), family="knn",
                        params={"n_neighbors": 100})
    validate_spec(spec)  # 120 training rows
    with pytest.raises(ParamError, match="more than the 75 training rows; choose k of at most 75"):
        validate_spec(dataclasses.replace(spec, preprocessing=PreprocessConfig(test_fraction=0.5)))


def test_an_svm_needs_two_training_rows_of_each_class_for_its_probabilities(wine):
    few = dataclasses.replace(wine, x_train=wine.x_train[:41], y_train=np.r_[wine.y_train[:40], 2])
    few.y_train[:40] = np.arange(40) % 2
    with pytest.raises(DataError, match="single training row, too few for the SVM's probabilities"):
        _fit("svm", {}, few)


def _run(dataset, family, params, **spec):
    values = FAMILIES[family].validate({**FAMILIES[family].defaults(), **params})
    return run_training(validate_spec(TrainingSpec(dataset=dataset, target=dataset.target,
                                                   preprocessing=PreprocessConfig(seed=0), family=family,
                                                   params=values, **spec)), LocalReporter())


@pytest.fixture(scope="module")
def kept_runs():
    """One kept run of each family on the OGLE-III subset (6,000 stars, four columns), with its map."""
    ogle = load_builtin("ogle3")
    choices = CleaningChoices(target=ogle.target, excluded=tuple(ogle.id_columns))
    data = apply_cleaning(ogle, choices).dataset
    data = dataclasses.replace(data, frame=data.frame.sample(6_000, random_state=0).reset_index(drop=True))
    return ogle, data, choices, {key: _run(data, key, {}, keep_model=True, boundary="pca")
                                 for key in ("knn", "svm", "naive_bayes")}


@pytest.mark.parametrize("key, bar", [("knn", 0.95), ("svm", 0.95), ("naive_bayes", 0.85)])
def test_a_run_of_each_family_maps_its_boundary_measures_importance_and_keeps_a_model_that_predicts_alike(
        kept_runs, key, bar):
    import skops.io as sio

    ogle, data, choices, runs = kept_runs
    result = runs[key]
    assert result.status == "completed" and result.evaluation.accuracy >= bar
    assert result.boundary is not None and not any("could not be drawn" in note for note in result.notes)
    importance = result.importance
    assert importance is not None and importance.n_permuted == 4
    assert max(importance.permutation_mean) > 0.05  # the period separates the classes
    # The verdict read the training score from the curve's one point.
    assert result.history[-1]["step"] == 1 and "overfit" not in result.verdict.rules()
    with zipfile.ZipFile(io.BytesIO(result.model_file.data)) as archive:
        for name in archive.namelist():
            if name.endswith(".skops"):
                assert set(sio.get_untrusted_types(data=archive.read(name))) <= TRUSTED_SKOPS_TYPES
    rows = dataclasses.replace(data, frame=data.frame.iloc[result.predictions.rows].reset_index(drop=True))
    predicted = run_prediction(PredictionSpec(model_zip=result.model_file.data, rows=rows,
                                              cleaning=choices.as_dict(), family=key), LocalReporter())
    assert predicted.evaluation.accuracy == pytest.approx(result.evaluation.accuracy, abs=1e-12)


def test_knn_on_unscaled_columns_is_told_why_scaling_matters():
    wine = load_builtin("wine")  # proline in the hundreds, hue near 1
    result = _run(wine, "knn", {})
    unscaled = run_training(validate_spec(TrainingSpec(
        dataset=wine, target=wine.target, preprocessing=PreprocessConfig(scaling="none", seed=0), family="knn",
        params=FAMILIES["knn"].defaults())), LocalReporter())
    finding = next(f for f in unscaled.verdict.findings if f.rule == "unscaled")
    assert "the neighbours are measured almost only along the widest columns" in finding.sentence
    assert dict(finding.action.preprocessing) == {"scaling": "standard"}
    assert unscaled.evaluation.accuracy < result.evaluation.accuracy - 0.1  # what scaling is worth here


def test_knn_on_text_columns_uses_their_one_hot_columns_or_says_why_there_is_nothing_to_use():
    iris = load_builtin("iris")
    frame = iris.frame.copy()
    frame["size"] = np.where(frame["petal_length_cm"] > 4.5, "large", "small")  # a text column
    texts = dataclasses.replace(iris, frame=frame)
    result = _run(texts, "knn", {})
    assert result.evaluation.accuracy >= 0.9 and result.n_features == 6  # four numbers, two one-hot columns
    only_text = dataclasses.replace(iris, frame=frame[[iris.target, "size"]])
    spec = TrainingSpec(dataset=only_text, target=iris.target, preprocessing=PreprocessConfig(one_hot=False),
                        family="knn", params=FAMILIES["knn"].defaults())
    with pytest.raises(DataError, match="No usable feature columns are left. Turn on one-hot encoding"):
        run_training(validate_spec(spec), LocalReporter())


def test_the_families_are_offered_for_their_tasks():
    from mllab.models import families_for

    assert {"knn", "svm", "naive_bayes"} <= {f.key for f in families_for("table", "classification")}
    regression = {f.key for f in families_for("table", "regression")}
    assert {"knn", "svm"} <= regression and "naive_bayes" not in regression
    with pytest.raises(ParamError, match="does not do regression"):
        FAMILIES["naive_bayes"].validate({}, DataInfo("table", 4, 0, task="regression"))
