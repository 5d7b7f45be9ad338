"""Validation schemes: folds that respect stratification and the seed, preprocessing fitted per fold,
reproducible per-fold scores, Stop keeping the finished folds, and Pima's classic 10-fold figure."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from mllab.datasets.builtin import load_builtin
from mllab.datasets.model import Dataset
from mllab.errors import DataError, ParamError
from mllab.prepare.preprocessing import PreprocessConfig, label_data
from mllab.training.cross_validation import prepare_fold
from mllab.training.holdout import run_training
from mllab.training.schemes import ValidationConfig, fold_indices
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec


def _spec(dataset_key="iris", family="random_forest", params=None, validation=None, **preprocessing):
    dataset = load_builtin(dataset_key)
    return validate_spec(TrainingSpec(dataset=dataset, target=dataset.target,
                                      preprocessing=PreprocessConfig(**preprocessing), family=family,
                                      params=params or {}, validation=validation or ValidationConfig()))


def test_stratified_folds_keep_class_shares_cover_every_row_once_and_follow_the_seed():
    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    config = ValidationConfig(scheme="stratified_kfold", n_folds=5)
    folds = fold_indices(labels, config, seed=7)
    assert len(folds) == 5
    tested = np.concatenate([test for *_, test in folds])
    assert sorted(tested.tolist()) == list(range(100))
    for _, _, train, test in folds:
        assert np.bincount(labels[test]).tolist() == [12, 6, 2]
        assert not set(train) & set(test)
    again = fold_indices(labels, config, seed=7)
    other = fold_indices(labels, config, seed=8)
    assert all(np.array_equal(a[3], b[3]) for a, b in zip(folds, again))
    assert not all(np.array_equal(a[3], b[3]) for a, b in zip(folds, other))


def test_repeated_kfold_reshuffles_each_repeat():
    labels = np.array([0, 1] * 30)
    folds = fold_indices(labels, ValidationConfig(scheme="repeated_kfold", n_folds=3, n_repeats=2), seed=1)
    assert [(r, f) for r, f, *_ in folds] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
    first = sorted(folds[0][3].tolist())
    assert all(sorted(test.tolist()) != first for *_, test in folds[3:])


def test_preprocessing_is_fitted_on_each_folds_training_rows_only():
    dataset = load_builtin("wine")
    labelled = label_data(dataset.frame, dataset.target, dataset.feature_columns(dataset.target))
    config = PreprocessConfig()
    means = []
    for _, _, train, test in fold_indices(labelled.labels, ValidationConfig(scheme="kfold", n_folds=4), 42):
        data, pipeline = prepare_fold(labelled, train, test, config)
        scaler = pipeline.named_steps["columns"].named_transformers_["numeric"].named_steps["scale"]
        expected = labelled.features.iloc[train].to_numpy(dtype=float).mean(axis=0)
        np.testing.assert_allclose(scaler.mean_, expected, rtol=1e-9)
        np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-4)  # standardised on its own rows
        means.append(scaler.mean_)
    assert not np.allclose(means[0], means[1])


def test_kfold_run_reports_per_fold_scores_mean_and_std_and_pooled_out_of_fold_evaluation():
    reporter = LocalReporter()
    spec = _spec("breast_cancer", validation=ValidationConfig(scheme="stratified_kfold", n_folds=5))
    result = run_training(spec, reporter)
    summary = result.cross_validation
    assert result.status == "completed" and summary.complete and len(summary.folds) == 5
    accuracies = summary.values("accuracy")
    assert 0.92 <= summary.mean("accuracy") <= 1.0
    assert summary.std("accuracy") == pytest.approx(accuracies.std())
    assert all(0 < f <= 1 for f in summary.values("macro_f1"))
    assert result.evaluation.n_samples == len(spec.dataset.frame)  # every row predicted once, out of fold
    table = summary.table()
    assert list(table["Fold"]) == [1, 2, 3, 4, 5] and "Accuracy" in table and "Macro F1" in table
    assert summary.headline().startswith("Stratified 5-fold: accuracy 0.9")
    assert [e["index"] for e in reporter.events if e.get("type") == "part_done"] == [1, 2, 3, 4, 5]


def test_the_same_seed_gives_the_same_per_fold_scores():
    def scores(seed):
        spec = _spec("wine", family="logistic_regression", seed=seed,
                     validation=ValidationConfig(scheme="repeated_kfold", n_folds=3, n_repeats=2))
        return run_training(spec, LocalReporter()).cross_validation.values("accuracy").tolist()

    assert scores(3) == scores(3)
    assert len(scores(3)) == 6


def test_stop_keeps_the_folds_already_finished():
    reporter = LocalReporter()
    original = reporter.report

    def report(event):
        original(event)
        if event.get("type") == "part_done" and event["index"] == 2:
            reporter.stop_event.set()

    reporter.report = report
    spec = _spec("iris", validation=ValidationConfig(scheme="kfold", n_folds=5))
    result = run_training(spec, reporter)
    assert result.status == "stopped"
    assert [f.fold for f in result.cross_validation.folds] == [1, 2]
    assert result.evaluation.n_samples == 60  # the two finished folds' rows
    assert any("2 of 5 folds" in note for note in result.notes)


def test_stop_during_a_keras_fold_ends_quickly_and_keeps_the_earlier_folds():
    reporter = LocalReporter()
    original = reporter.report

    def report(event):
        original(event)
        if event.get("fold") == 2 and event.get("step") == 2:
            reporter.stop_event.set()

    reporter.report = report
    spec = _spec("pima", family="mlp", params={"epochs": 30, "validation_split": 0.0},
                 validation=ValidationConfig(scheme="stratified_kfold", n_folds=3))
    result = run_training(spec, reporter)
    assert result.status == "stopped"
    assert len(result.cross_validation.folds) == 1
    fold_two_steps = [e["step"] for e in reporter.history if e.get("fold") == 2]
    assert max(fold_two_steps) < 30  # the second fold stopped mid-way, not after its 30 epochs


def test_schemes_the_data_cannot_support_are_refused_with_a_sentence():
    frame = pd.DataFrame({"x": np.arange(40.0), "label": ["common"] * 36 + ["rare"] * 4})
    dataset = Dataset(name="small", frame=frame, target="label")
    spec = TrainingSpec(dataset=dataset, target="label", preprocessing=PreprocessConfig(), family="random_forest",
                        params={}, validation=ValidationConfig(scheme="stratified_kfold", n_folds=5))
    with pytest.raises(DataError, match="Class 'rare' has only 4 rows, fewer than the 5 folds"):
        validate_spec(spec)
    spec.validation = ValidationConfig(scheme="kfold", n_folds=5)
    assert validate_spec(spec).validation.n_folds == 5  # plain K-fold does not need every class in every fold
    with pytest.raises(ParamError, match="between 2 and 20"):
        ValidationConfig.from_values({"scheme": "kfold", "n_folds": 1})


def test_pima_mlp_12_8_1_stratified_10_fold_lands_in_the_classic_range():
    # The classic tutorial's 12-8-1 network (uniform initialiser, relu, sigmoid, Adam, batch 10), with
    # 25 epochs instead of 150 to keep CI quick. Measured on this machine, seed 42: 25 epochs 0.769 ± 0.030;
    # the full 150 epochs 0.767 ± 0.038 (the tutorial reports about 0.75).
    spec = _spec("pima", family="mlp", params={"epochs": 25, "batch_size": 10, "validation_split": 0.0},
                 validation=ValidationConfig(scheme="stratified_kfold", n_folds=10))
    assert spec.params["hidden_layers"] == (12, 8) and spec.params["initialiser"] == "random_uniform"
    summary = run_training(spec, LocalReporter()).cross_validation
    assert len(summary.folds) == 10
    assert 0.70 <= summary.mean("accuracy") <= 0.80
    assert summary.std("accuracy") < 0.08


# ---- regression ----------------------------------------------------------------------------------


def _sdss_kfold_spec(validation, rows=None, n_estimators=30, **preprocessing):
    dataset = load_builtin("sdss_mgs")
    if rows:
        dataset = dataclasses.replace(dataset, frame=dataset.frame.sample(rows, random_state=0).reset_index(drop=True))
    return validate_spec(TrainingSpec(dataset=dataset, target="redshift", family="random_forest",
                                      preprocessing=PreprocessConfig(**preprocessing),
                                      params={"n_estimators": n_estimators}, task="regression", redshift=True,
                                      validation=validation))


def test_photo_z_forest_5_fold_scores_each_fold_and_pools_every_row_out_of_fold():
    spec = _sdss_kfold_spec(ValidationConfig(scheme="kfold", n_folds=5))
    reporter = LocalReporter()
    result = run_training(spec, reporter)
    summary = result.cross_validation
    assert result.status == "completed" and summary.complete and len(summary.folds) == 5
    assert summary.mean("nmad") <= 0.016 and summary.std("nmad") < 0.003
    assert (summary.values("r2") > 0.8).all() and summary.mean("rmse") < 0.03
    assert (summary.values("mae") <= summary.values("rmse")).all()  # as it must be, fold by fold
    evaluation = result.evaluation
    assert evaluation.task == "regression" and evaluation.n_samples == len(spec.dataset.frame) == 10_000
    assert evaluation.photo_z.nmad <= 0.016 and evaluation.r2 > 0.8
    table = summary.table()
    assert list(table["Fold"]) == [1, 2, 3, 4, 5] and {"R²", "RMSE", "MAE", "NMAD"} <= set(table.columns)
    assert (table["Test rows"] == 2000).all()
    assert summary.headline().startswith("5-fold: R² 0.8") and "±" in summary.headline()
    done = [e for e in reporter.events if e.get("type") == "part_done"]
    assert [e["index"] for e in done] == [1, 2, 3, 4, 5] and list(done[0]["scores"]) == ["r2", "rmse", "mae", "nmad"]


def test_the_same_seed_gives_the_same_regression_fold_scores_and_repeats_reshuffle():
    def summary(seed):
        spec = _sdss_kfold_spec(ValidationConfig(scheme="repeated_kfold", n_folds=3, n_repeats=2), rows=1500,
                                n_estimators=20, seed=seed)
        return run_training(spec, LocalReporter()).cross_validation

    first, again, other = summary(4), summary(4), summary(5)
    assert first.values("r2").tolist() == again.values("r2").tolist()
    assert first.values("nmad").tolist() == again.values("nmad").tolist()
    assert first.values("r2").tolist() != other.values("r2").tolist()
    assert [(f.repeat, f.fold) for f in first.folds] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
    assert first.headline().startswith("3-fold × 2 repeats: R²")  # plain folds: a regression has no classes
    folds = fold_indices(np.linspace(0, 1, 30), ValidationConfig(scheme="repeated_kfold", n_folds=3, n_repeats=2),
                         seed=1, task="regression")
    assert sorted(folds[0][3].tolist()) not in [sorted(test.tolist()) for *_, test in folds[3:]]


def test_a_regression_is_offered_every_scheme_but_stratified_kfold():
    from mllab.training.schemes import VALIDATION_SCHEMA, scheme_param

    # "supplied" (the test part the data came with) is offered only for data that has one.
    assert scheme_param("classification").options == tuple(o for o in VALIDATION_SCHEMA[0].options if o != "supplied")
    regression = scheme_param("regression")
    assert regression.options == ("holdout", "kfold", "repeated_kfold")
    assert "stratified" not in regression.label_of("repeated_kfold")
    assert regression.validate("kfold") == "kfold"


def test_stratified_kfold_on_a_regression_is_refused_with_a_sentence():
    dataset = load_builtin("sdss_mgs")
    spec = TrainingSpec(dataset=dataset, target="redshift", preprocessing=PreprocessConfig(), family="random_forest",
                        params={}, task="regression", redshift=True,
                        validation=ValidationConfig(scheme="stratified_kfold", n_folds=5))
    with pytest.raises(ParamError, match="Stratified folds keep class proportions, so they need classes; for a "
                                         "numeric target choose plain K-fold"):
        validate_spec(spec)
    with pytest.raises(ParamError, match="need classes"):
        fold_indices(np.linspace(0, 1, 20), ValidationConfig(scheme="stratified_kfold", n_folds=5), seed=0,
                     task="regression")
