"""Regression as a task: metrics checked by hand, each family's regression mode on real data, the
photometric-redshift figures on the SDSS Main Galaxy Sample, and the task offered from the target."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from mllab import charts
from mllab.datasets.builtin import load_builtin
from mllab.datasets.targets import check_target, looks_like_redshift, suggest_task
from mllab.errors import DataError, ParamError, UserError
from mllab.evaluation.metrics import evaluate_regression, photo_z_metrics
from mllab.models import FAMILIES, families_for
from mllab.params import applicable, not_applicable
from mllab.prepare.preprocessing import PREPROCESSING_SCHEMA, PreprocessConfig, prepare
from mllab.training.holdout import run_training
from mllab.training.runs import new_run, runs_table
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec


def _sdss_spec(family, params=None, rows=None, **preprocessing):
    dataset = load_builtin("sdss_mgs")
    if rows:
        dataset = dataclasses.replace(dataset, frame=dataset.frame.sample(rows, random_state=0).reset_index(drop=True))
    return validate_spec(TrainingSpec(dataset=dataset, target="redshift", preprocessing=PreprocessConfig(**preprocessing),
                                      family=family, params=params or {}, task="regression", redshift=True))


def _train(spec):
    reporter = LocalReporter()
    return run_training(spec, reporter), reporter


# ---- metrics, by hand ----------------------------------------------------------------------------


def test_regression_metrics_on_a_hand_computed_example():
    # errors: +1, -1, +2, 0 -> MSE (1+1+4+0)/4 = 1.5, MAE 4/4 = 1, RMSE sqrt(1.5);
    # mean of y = 2.5, total sum of squares 1.5²+0.5²+0.5²+1.5² = 5, R² = 1 - 6/5 = -0.2.
    evaluation = evaluate_regression([1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 5.0, 4.0])
    assert evaluation.mse == pytest.approx(1.5)
    assert evaluation.mae == pytest.approx(1.0)
    assert evaluation.rmse == pytest.approx(np.sqrt(1.5))
    assert evaluation.r2 == pytest.approx(-0.2)
    assert evaluation.n_samples == 4 and evaluation.photo_z is None
    assert evaluation.summary() == {"r2": evaluation.r2, "rmse": evaluation.rmse, "mae": 1.0, "mse": 1.5}
    perfect = evaluate_regression([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert perfect.r2 == 1.0 and perfect.mse == 0.0
    # Every true value equal: R² is undefined, and says so rather than inventing a number.
    assert evaluate_regression([2.0, 2.0], [1.0, 3.0]).r2 is None


def test_photo_z_figures_on_a_hand_computed_example():
    z_true = np.array([0.0, 0.1, 0.2, 0.3, 1.0])
    z_pred = np.array([0.01, 0.1, 0.2 + 0.012, 0.3 - 0.013, 1.5])
    # e = Δz/(1+z): 0.01, 0, 0.01, -0.01, 0.25
    e = np.array([0.01, 0.0, 0.01, -0.01, 0.25])
    figures = photo_z_metrics(z_true, z_pred)
    assert figures.bias == pytest.approx(e.mean())
    assert figures.sigma == pytest.approx(e.std())
    # median(e) = 0.01; |e - 0.01| = 0, 0.01, 0, 0.02, 0.24 -> median 0.01 -> NMAD 0.014826
    assert figures.nmad == pytest.approx(0.014826)
    assert figures.outlier_fraction == pytest.approx(0.2) and figures.n_outliers == 1
    with pytest.raises(UserError, match="redshift"):
        photo_z_metrics([-1.5, 0.1], [0.0, 0.1])


def test_invalid_predictions_are_a_sentence_not_a_traceback():
    with pytest.raises(UserError, match="diverged"):
        evaluate_regression([1.0, 2.0], [np.nan, 2.0])


# ---- the task --------------------------------------------------------------------------------------


def test_the_task_is_suggested_from_the_target_and_the_dataset():
    sdss = load_builtin("sdss_mgs")
    assert sdss.task == "regression" and looks_like_redshift("redshift", sdss.redshift_columns)
    assert suggest_task(sdss.frame, "redshift", sdss.task, sdss.target) == "regression"
    pima = load_builtin("pima")
    assert suggest_task(pima.frame, "Outcome") == "classification"
    # BMI: hundreds of decimal values -> regression; Pregnancies: 17 whole numbers -> classes.
    assert suggest_task(pima.frame, "BMI") == "regression"
    assert suggest_task(pima.frame, "Pregnancies") == "classification"
    assert suggest_task(load_builtin("iris").frame, "species") == "classification"
    for name, expected in (("z_spec", True), ("zspec", True), ("Z", True), ("z_mag", False), ("size", False)):
        assert looks_like_redshift(name) is expected, name


def test_targets_a_regression_cannot_use_are_refused_with_a_sentence():
    frame = pd.DataFrame({"name": list("abcdefghijkl"), "same": [1.0] * 12, "few": [1.0, 2.0] + [np.nan] * 10,
                          "x": np.arange(12.0)})
    with pytest.raises(DataError, match="does not hold numbers.*Classification"):
        check_target(frame, "name", task="regression")
    with pytest.raises(DataError, match="is the same"):
        check_target(frame, "same", task="regression")
    with pytest.raises(DataError, match="only 2 numeric values"):
        check_target(frame, "few", task="regression")
    check_target(frame, "x", task="regression")
    # Classification of a continuous quantity now points at the regression task.
    sdss = load_builtin("sdss_mgs")
    with pytest.raises(DataError, match="Choose Regression as the task"):
        check_target(sdss.frame, "redshift")


def test_families_and_settings_follow_the_task():
    regression = {f.key for f in families_for("table", "regression")}
    assert regression == {"random_forest", "linear_regression", "mlp", "gradient_boosting", "knn", "svm",
                          "decision_tree"}  # naive Bayes has no regression twin
    assert "linear_regression" not in {f.key for f in families_for("table")}
    assert {f.key for f in families_for("signal", "regression")} >= {"cnn", "mlp"}
    forest = FAMILIES["random_forest"].params
    assert [p.name for p in not_applicable(forest, "regression")] == ["class_weight"]
    assert "class_weight" in [p.name for p in applicable(forest, "classification")]
    assert [p.name for p in not_applicable(PREPROCESSING_SCHEMA, "regression")] == ["stratify"]
    with pytest.raises(ParamError, match="does not do regression"):
        _sdss_spec("logistic_regression")
    with pytest.raises(ParamError, match="untick"):
        validate_spec(TrainingSpec(dataset=load_builtin("iris"), target="species", preprocessing=PreprocessConfig(),
                                   family="random_forest", params={}, redshift=True))


def test_regression_data_keeps_the_target_values_and_splits_without_stratifying():
    sdss = load_builtin("sdss_mgs")
    frame = sdss.frame.head(200).copy()
    frame.loc[0, "redshift"] = np.nan
    # stratify=True is the default for classification; a regression ignores it rather than failing.
    data = prepare(frame, "redshift", sdss.feature_columns("redshift"), PreprocessConfig(stratify=True),
                   task="regression")
    assert data.task == "regression" and data.class_names == [] and data.dropped_missing_target == 1
    assert data.y_train.dtype == np.float64 and len(data.y_train) + len(data.y_test) == 199
    kept = frame["redshift"].dropna().to_numpy()
    assert set(np.round(data.y_test, 6)) <= set(np.round(kept, 6))  # values, not class indices


# ---- families on real data -------------------------------------------------------------------------


def test_random_forest_photo_z_on_sdss_reaches_nmad_0015_with_default_settings_and_100_trees():
    # Every default (all columns per split for a regression), half the default 200 trees to keep the
    # test quick; 200 trees give NMAD 0.0134-0.0138 over seeds 1, 7 and 42.
    result, reporter = _train(_sdss_spec("random_forest", {"n_estimators": 100}))
    figures = result.evaluation.photo_z
    assert figures.nmad <= 0.015
    assert figures.outlier_fraction < 0.01
    assert result.evaluation.r2 >= 0.8
    steps = [e["step"] for e in reporter.history]
    assert steps[-1] == 100 and len(steps) >= 10
    # Curves in the target's units: training MSE below the out-of-bag MSE, both small for z < 0.3.
    last = reporter.history[-1]
    assert last["loss"] < last["val_loss"] < 0.001 and 0.8 <= last["val_r2"] <= 1


def test_random_forest_regression_curve_is_scikit_learns_out_of_bag_score():
    from sklearn.ensemble import RandomForestRegressor

    from mllab.models.base import DataInfo

    spec = _sdss_spec("random_forest", {"n_estimators": 40}, rows=1500, seed=5)
    data = prepare(spec.dataset.frame, spec.target, spec.feature_columns(), spec.preprocessing, task="regression")
    reporter = LocalReporter()
    FAMILIES["random_forest"].train(spec.params, data, DataInfo("table", data.x_train.shape[1], 0, task="regression"),
                                    reporter, "CPU", 5)
    reference = RandomForestRegressor(n_estimators=40, oob_score=True, random_state=5, max_features=None)
    reference.fit(data.x_train, data.y_train)
    assert reporter.history[-1]["val_r2"] == pytest.approx(reference.oob_score_)
    train_error = reference.predict(data.x_train) - data.y_train
    assert reporter.history[-1]["loss"] == pytest.approx(np.mean(train_error ** 2))


def test_ridge_and_ordinary_least_squares_on_sdss():
    ols, reporter = _train(_sdss_spec("linear_regression", {"alpha": 0.0}))
    ridge, _ = _train(_sdss_spec("linear_regression", {"alpha": 100.0}))
    # A straight line in the magnitudes and colours already explains most of the redshift...
    assert ols.evaluation.r2 >= 0.75 and ols.evaluation.photo_z.nmad <= 0.02
    # ...and the forest does better, as the photo-z literature says.
    assert len(reporter.history) == 1 and {"loss", "mae"} <= set(reporter.history[0])
    assert ridge.evaluation.mse != ols.evaluation.mse
    assert any("Ordinary least squares" in note for note in ols.notes)


def test_mlp_regression_on_sdss_has_one_linear_output_and_curves_in_target_units():
    params = {"hidden_layers": "32, 32", "epochs": 15, "batch_size": 64, "initialiser": "glorot_uniform"}
    result, reporter = _train(_sdss_spec("mlp", params))
    assert result.evaluation.r2 >= 0.8 and result.evaluation.photo_z.nmad <= 0.02
    assert "(None, 1)" in result.model_summary
    last = reporter.history[-1]
    assert {"loss", "mae", "val_loss", "val_mae"} <= set(last)
    # Reported in redshift units (not the standardised ones it trains on): errors of about 0.015.
    assert 0.005 < last["val_mae"] < 0.03 and last["val_loss"] < 0.002


def test_cnn_regression_predicts_temperature_from_simulated_spectra():
    spectra = load_builtin("stellar_spectra_simulated")
    frame = spectra.frame.sample(1200, random_state=0).reset_index(drop=True)
    dataset = dataclasses.replace(spectra, frame=frame, task=None)
    spec = validate_spec(TrainingSpec(dataset=dataset, target="T_eff", preprocessing=PreprocessConfig(), family="cnn",
                                      params={"epochs": 12, "filters": 8, "dense_units": 32, "conv_blocks": 3,
                                              "learning_rate": 0.003},
                                      task="regression"))
    result, _ = _train(spec)
    assert "conv1d" in result.model_summary.lower()
    assert result.evaluation.r2 >= 0.85
    assert result.evaluation.photo_z is None


def test_same_seed_same_regression_metrics_on_cpu():
    first, _ = _train(_sdss_spec("random_forest", {"n_estimators": 30}, rows=2000, seed=11))
    second, _ = _train(_sdss_spec("random_forest", {"n_estimators": 30}, rows=2000, seed=11))
    assert first.evaluation.summary() == second.evaluation.summary()
    assert first.history == second.history
    params = {"hidden_layers": "16", "epochs": 3, "batch_size": 64}
    mlp_a, _ = _train(_sdss_spec("mlp", params, rows=2000, seed=11))
    mlp_b, _ = _train(_sdss_spec("mlp", params, rows=2000, seed=11))
    assert mlp_a.evaluation.summary() == mlp_b.evaluation.summary()


# ---- charts and the runs table ---------------------------------------------------------------------


def test_predicted_vs_true_and_residual_figures_show_the_test_rows_and_reference_lines():
    evaluation = evaluate_regression([0.05, 0.1, 0.2, 0.25], [0.06, 0.09, 0.22, 0.5], redshift=True)
    scatter = charts.predicted_vs_true_figure(evaluation, "redshift", redshift=True)
    names = [trace.name for trace in scatter.data]
    assert names[:2] == [charts.TEST_ROWS_LABEL, charts.IDENTITY_LABEL] and charts.OUTLIER_LABEL in names
    assert list(scatter.data[0].x) == [0.05, 0.1, 0.2, 0.25] and list(scatter.data[0].y) == [0.06, 0.09, 0.22, 0.5]
    assert scatter.data[1].x[0] == scatter.data[1].y[0] and scatter.data[1].x[1] == scatter.data[1].y[1]
    assert scatter.layout.xaxis.title.text == "True redshift" and scatter.layout.yaxis.title.text == "Predicted redshift"
    residuals = charts.residuals_figure(evaluation, "redshift", redshift=True)
    assert residuals.layout.yaxis.title.text == "Δz / (1 + z)"
    assert list(residuals.data[0].y) == pytest.approx([0.01 / 1.05, -0.01 / 1.1, 0.02 / 1.2, 0.25 / 1.25])
    plain = charts.residuals_figure(evaluate_regression([1.0, 2.0], [1.5, 1.0]), "price")
    assert list(plain.data[0].y) == [0.5, -1.0] and [t.name for t in plain.data] == [charts.TEST_ROWS_LABEL, "No error"]
    curve = charts.learning_curves([{"step": 1, "loss": 0.2, "val_loss": 0.3}], "loss", "Mean squared error",
                                   x_label="Trees")
    assert curve.layout.yaxis.title.text == "Mean squared error" and [t.name for t in curve.data] == [
        "Training", "Validation"]


def test_runs_table_shows_regression_metrics_for_regression_runs():
    spec = _sdss_spec("linear_regression", rows=600)
    run = new_run(1, "job-1", spec)
    run.result, _ = _train(spec)
    run.status = "completed"
    table = runs_table([run])
    assert table["Task"][0] == "Regression"
    assert {"R²", "RMSE", "MAE", "NMAD", "Outliers"} <= set(table.columns)
    assert "Test accuracy" not in table.columns
    assert table["NMAD"][0] == pytest.approx(run.result.evaluation.photo_z.nmad)
    assert table["Settings"][0].startswith("Ridge penalty α 1")
    forest = new_run(3, "job-3", _sdss_spec("random_forest", {"n_estimators": 10}, rows=300))
    assert "Class weight" not in runs_table([forest])["Settings"][0]  # means nothing to a regression
    iris = validate_spec(TrainingSpec(dataset=load_builtin("iris"), target="species",
                                      preprocessing=PreprocessConfig(), family="random_forest",
                                      params={"n_estimators": 10}))
    classifier = new_run(2, "job-2", iris)
    classifier.result, _ = _train(iris)
    mixed = runs_table([run, classifier])
    assert mixed["Test accuracy"][1] >= 0.8 and pd.isna(mixed["Test accuracy"][0])
    assert mixed["R²"][0] == pytest.approx(run.result.evaluation.r2) and pd.isna(mixed["R²"][1])


def test_runs_table_shows_the_out_of_fold_figures_of_a_k_fold_regression():
    from mllab.training.schemes import ValidationConfig

    spec = _sdss_spec("random_forest", {"n_estimators": 20}, rows=1500)
    spec.validation = ValidationConfig(scheme="kfold", n_folds=3)
    run = new_run(1, "job-1", validate_spec(spec))
    run.result, _ = _train(spec)
    run.status = "completed"
    evaluation = run.result.evaluation
    assert evaluation.n_samples == 1500 and run.result.cross_validation.complete
    row = runs_table([run]).iloc[0]
    assert row["R²"] == pytest.approx(evaluation.r2) and row["R²"] > 0.7
    assert row["RMSE"] == pytest.approx(evaluation.rmse) and row["NMAD"] == pytest.approx(evaluation.photo_z.nmad)
    assert row["NMAD"] < 0.025
    assert row["Validation"].startswith("3-fold: R² 0.") and "±" in row["Validation"]
    queued = new_run(2, "job-2", spec)
    queued.validation = ValidationConfig(scheme="repeated_kfold", n_folds=3, n_repeats=2).as_dict()
    assert runs_table([queued])["Validation"][0] == "3-fold × 2 repeats"  # not "stratified": no classes
