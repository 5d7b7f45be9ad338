"""Gradient boosting on real data: the model is plain scikit-learn's, the live curve is its own scores, Stop ends a
long run, the export reproduces the run, the kept model loads, and impossible settings are a sentence."""

import dataclasses
import threading

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import balanced_accuracy_score, f1_score

from mllab.datasets.builtin import load_builtin
from mllab.errors import ParamError
from mllab.models import FAMILIES, DataInfo
from mllab.models.gradient_boosting import _settings
from mllab.prepare.preprocessing import PreprocessConfig, prepare
from mllab.training.holdout import run_training
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec

FAMILY = FAMILIES["gradient_boosting"]
SEED = 7


def _spec(dataset, params, task="classification", **spec):
    return validate_spec(TrainingSpec(dataset=dataset, target=dataset.target, preprocessing=PreprocessConfig(seed=SEED),
                                      family="gradient_boosting", params={**FAMILY.defaults(), **params}, task=task,
                                      **spec))


def _prepared(spec):
    return prepare(spec.dataset.frame, spec.target, spec.feature_columns(), spec.preprocessing, task=spec.task)


def _export_reproduces(values, info, data, keys):
    """Train as the page does and run the exported code: the same test output and the same curve."""
    live = LocalReporter()
    outcome = FAMILY.train(values, data, info, live, None, SEED)
    namespace = {"np": np}
    exec(FAMILY.export(values, info), namespace)
    output, history = namespace["train_model"](data.x_train, data.y_train, data.x_test, SEED)
    assert np.array_equal(output, outcome.test_prediction if info.task == "regression" else outcome.test_proba)
    assert [p["step"] for p in history] == [p["step"] for p in live.history]
    for point, plain in zip(live.history, history):
        for key in keys:
            assert point[key] == pytest.approx(plain[key], rel=1e-9), (point["step"], key)


@pytest.fixture(scope="module")
def ogle_balanced():
    """OGLE-III subset, balanced class weights, early stopping on: the run, its reporter and its prepared data."""
    spec = _spec(load_builtin("ogle3"), {"class_weight": "balanced", "early_stopping": True, "max_iter": 200},
                 keep_model=True)
    reporter = LocalReporter()
    return spec, run_training(spec, reporter), reporter, _prepared(spec)


def test_ogle_run_scores_as_plain_scikit_learn_with_the_same_settings_and_split(ogle_balanced):
    spec, result, _, data = ogle_balanced
    assert result.status == "completed"
    plain = HistGradientBoostingClassifier(learning_rate=0.1, max_iter=200, max_leaf_nodes=31, min_samples_leaf=20,
                                           class_weight="balanced", early_stopping=True, validation_fraction=0.1,
                                           n_iter_no_change=10, random_state=SEED).fit(data.x_train, data.y_train)
    predicted = plain.predict(data.x_test)
    evaluation = result.evaluation
    assert evaluation.balanced_accuracy == pytest.approx(balanced_accuracy_score(data.y_test, predicted), abs=1e-12)
    assert evaluation.macro["f1"] == pytest.approx(f1_score(data.y_test, predicted, average="macro"), abs=1e-12)
    assert evaluation.balanced_accuracy >= 0.80 and evaluation.macro["f1"] >= 0.75 and evaluation.accuracy >= 0.95


def test_the_live_curve_is_the_estimators_own_scores_and_ends_where_early_stopping_did(ogle_balanced):
    spec, result, reporter, data = ogle_balanced
    plain = HistGradientBoostingClassifier(**_settings(spec.params, False, SEED)).fit(data.x_train, data.y_train)
    history = reporter.history
    last = history[-1]
    assert plain.n_iter_ < 200 and last["step"] == plain.n_iter_  # early stopping ended it, and the curve there
    # scikit-learn's scores for scoring="loss" are minus the loss: the curve shows the loss itself, falling.
    assert last["loss"] == pytest.approx(-plain.train_score_[-1], rel=1e-12)
    assert last["val_loss"] == pytest.approx(-plain.validation_score_[-1], rel=1e-12)
    assert history[0]["loss"] > last["loss"]
    assert last["best_step"] == int(np.argmax(plain.validation_score_))
    assert any(f"iteration {plain.n_iter_} of 200" in note and f"lowest at iteration {last['best_step']}" in note
               for note in result.notes)
    # The page's training accuracy is the curve's last point (training_score_in_history).
    assert result.verdict is not None
    assert FAMILY.abilities.training_score_in_history and 0.9 <= last["accuracy"] <= 1.0


def test_feature_importance_is_measured_by_permutation(ogle_balanced):
    _, result, _, data = ogle_balanced
    importance = result.importance
    assert importance.impurity is None and importance.n_permuted == data.x_train.shape[1]
    assert max(importance.permutation_mean) > 0.05  # shuffling the period must hurt a variable-star classifier


def test_the_kept_model_loads_and_holds_only_trusted_types(ogle_balanced):
    import io
    import zipfile

    import skops.io as sio

    from mllab.prepare.cleaning import CleaningChoices
    from mllab.training.prediction import TRUSTED_SKOPS_TYPES, PredictionSpec, run_prediction

    spec, result, _, _ = ogle_balanced
    with zipfile.ZipFile(io.BytesIO(result.model_file.data)) as archive:
        for name in archive.namelist():
            if name.endswith(".skops"):
                assert set(sio.get_untrusted_types(data=archive.read(name))) <= TRUSTED_SKOPS_TYPES
    raw = spec.dataset
    rows = dataclasses.replace(raw, frame=raw.frame.iloc[result.predictions.rows].reset_index(drop=True))
    choices = CleaningChoices(target=raw.target)
    predicted = run_prediction(PredictionSpec(result.model_file.data, rows, choices.as_dict(),
                                              family="gradient_boosting"), LocalReporter())
    assert predicted.status == "completed"
    assert predicted.evaluation.accuracy == pytest.approx(result.evaluation.accuracy, abs=1e-12)


def test_the_exported_code_reproduces_the_test_output_and_the_curve(ogle_balanced):
    spec, _, _, data = ogle_balanced
    _export_reproduces(spec.params, DataInfo("table", data.x_train.shape[1], data.n_classes), data,
                       ("loss", "accuracy", "val_loss"))


@pytest.fixture(scope="module")
def sdss_run():
    dataset = load_builtin("sdss_mgs")
    dataset = dataclasses.replace(dataset, frame=dataset.frame.sample(3000, random_state=0).reset_index(drop=True))
    spec = _spec(dataset, {"max_iter": 150}, task="regression", redshift=True)
    reporter = LocalReporter()
    return spec, run_training(spec, reporter), reporter, _prepared(spec)


def test_sdss_photo_z_regression_matches_plain_scikit_learn(sdss_run):
    spec, result, reporter, data = sdss_run
    evaluation = result.evaluation
    plain = HistGradientBoostingRegressor(max_iter=150, early_stopping=False, random_state=SEED)
    plain.fit(data.x_train, data.y_train)
    assert np.allclose(evaluation.y_pred, plain.predict(data.x_test), rtol=0, atol=1e-12)
    assert evaluation.r2 >= 0.75 and evaluation.photo_z.nmad <= 0.025
    last = reporter.history[-1]
    assert last["step"] == 150
    errors = plain.predict(data.x_train) - data.y_train
    assert last["loss"] == pytest.approx(np.mean(errors ** 2), rel=1e-9)  # mean squared error, as the chart says
    assert last["mae"] == pytest.approx(np.mean(np.abs(errors)), rel=1e-9)


def test_the_regression_export_reproduces_the_predictions_and_the_curve(sdss_run):
    spec, _, reporter, data = sdss_run
    values = {**spec.params, "early_stopping": True, "max_iter": 60}
    _export_reproduces(values, DataInfo("table", data.x_train.shape[1], 0, task="regression"), data,
                       ("loss", "mae", "val_loss"))


def test_stop_ends_a_long_run_with_the_iterations_done():
    spec = _spec(load_builtin("ogle3"), {"max_iter": 2000, "learning_rate": 0.01})
    reporter = LocalReporter()

    def stop_after_first_point():
        while not reporter.history:
            threading.Event().wait(0.01)
        reporter.stop_event.set()

    threading.Thread(target=stop_after_first_point, daemon=True).start()
    result = run_training(spec, reporter)
    assert result.status == "stopped"
    done = result.history[-1]["step"]
    assert done < 2000 and any(f"Stopped after {done} of 2000 iterations." in note for note in result.notes)
    assert result.evaluation.accuracy > 0.5  # the model boosted so far is evaluated


def test_too_few_rows_for_the_validation_fraction_is_a_sentence():
    iris = load_builtin("iris")
    small = dataclasses.replace(iris, frame=iris.frame.groupby(iris.target).head(10).reset_index(drop=True))
    spec = _spec(small, {"early_stopping": True, "validation_fraction": 0.05})
    with pytest.raises(ParamError, match="keeps back 2 of 24 training rows"):
        run_training(spec, LocalReporter())
    # A fraction of 0 watches the training loss instead: no rows kept back, and the run trains.
    assert run_training(_spec(small, {"early_stopping": True, "validation_fraction": 0.0, "max_iter": 20}),
                        LocalReporter()).status == "completed"


def test_on_many_rows_the_curve_scores_a_seeded_sample_that_the_export_draws_too(ogle_balanced, monkeypatch):
    import mllab.models.gradient_boosting as gradient_boosting

    monkeypatch.setattr(gradient_boosting, "SCORE_ROWS", 1000)  # the OGLE subset's 5,000 fitted rows count as many
    spec, _, _, data = ogle_balanced
    values = {**spec.params, "max_iter": 20}
    _export_reproduces(values, DataInfo("table", data.x_train.shape[1], data.n_classes), data,
                       ("loss", "accuracy", "val_loss"))
