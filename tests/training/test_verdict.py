"""The verdict after a run: each case gets its sentence, and none gets one that does not apply."""

import numpy as np
import pandas as pd
import pytest

from mllab.datasets.builtin import load_builtin
from mllab.datasets.model import Dataset
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training.holdout import run_training
from mllab.training.schemes import ValidationConfig
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec


def _run(frame, family, params=None, target="cls", validation=None, dataset=None, **preprocessing):
    dataset = dataset or Dataset("cases", frame, target)
    spec = validate_spec(TrainingSpec(dataset=dataset, target=dataset.target, family=family, params=params or {},
                                      preprocessing=PreprocessConfig(**preprocessing),
                                      validation=validation or ValidationConfig()))
    return run_training(spec, LocalReporter())


def _warnings(result):
    return {f.rule for f in result.verdict.warnings}


def _finding(result, rule):
    return next(f for f in result.verdict.findings if f.rule == rule)


def _signal(n, seed, weights=(0.5, 0.5), separation=1.5):
    """Two informative columns and a class, in shares `weights`."""
    rng = np.random.default_rng(seed)
    cls = rng.choice(len(weights), size=n, p=weights)
    x = rng.normal(size=(n, 2)) + separation * cls[:, None]
    return pd.DataFrame({"flux": x[:, 0], "colour": x[:, 1], "cls": np.where(cls == 1, "star", "galaxy")})


@pytest.fixture(scope="module")
def digits_forest():
    return _run(None, "random_forest", {"n_estimators": 100}, dataset=load_builtin("digits"))


def test_digits_with_a_forest_gets_no_warning_and_its_baseline(digits_forest):
    verdict = digits_forest.verdict
    assert not verdict.warnings, verdict.text()
    assert verdict.rules() == ["headline", "fine"]
    headline = verdict.findings[0].sentence
    assert "against 0.1" in headline and "always answering the most common class" in headline
    assert digits_forest.baseline.score("accuracy") == pytest.approx(0.1, abs=0.01)


def test_a_forest_on_hard_data_is_not_called_over_fitted_for_scoring_its_own_training_rows_near_one():
    # Pima with the default forest: training accuracy 1.000 against test 0.747. That gap is how every
    # forest looks (each tree grows pure leaves on its bootstrap sample), not a fault to fix.
    result = _run(None, "random_forest", {"n_estimators": 30}, dataset=load_builtin("pima"))
    assert result.evaluation.accuracy > result.baseline.score("accuracy")
    assert "overfit" not in _warnings(result), result.verdict.text()
    assert "scores alike on training" not in result.verdict.text()  # nor is it told the opposite


def test_an_identifier_that_predicts_the_class_is_a_likely_leak_with_a_button_to_leave_it_out():
    frame = _signal(400, 1, separation=0.3).sort_values("cls").reset_index(drop=True)
    frame.insert(0, "star_number", np.arange(1, len(frame) + 1))  # the catalogue numbered galaxies first
    result = _run(frame, "random_forest", {"n_estimators": 30})
    assert result.evaluation.accuracy > 0.9  # the forest learnt the numbering
    assert "identifier" in _warnings(result) and not _warnings(result) & {"leak", "imbalance", "markers", "barely",
                                                                           "unscaled", "few_rows"}
    finding = _finding(result, "identifier")
    assert "star_number looks like an identifier" in finding.sentence
    assert finding.action.exclude == ("star_number",)


def test_a_heavily_imbalanced_case_reports_balanced_accuracy_and_offers_class_weights():
    result = _run(_signal(1500, 2, weights=(0.97, 0.03), separation=2.0), "random_forest", {"n_estimators": 30})
    assert _warnings(result) <= {"imbalance", "overfit"} and "imbalance" in _warnings(result)
    finding = _finding(result, "imbalance")
    assert "'star' is only 3" in finding.sentence and "judge the model by its balanced accuracy" in finding.sentence
    # The headline measures the gain on balanced accuracy, against 0.5 for always answering one class.
    headline = result.verdict.findings[0].sentence
    assert f"balanced accuracy {result.evaluation.balanced_accuracy:.3f}, against 0.500" in headline
    assert finding.action.params == (("class_weight", "balanced"),)


def test_a_model_that_barely_beats_the_baseline_is_told_so():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"a": rng.normal(size=600), "b": rng.normal(size=600),
                          "cls": rng.choice(["x", "y"], size=600, p=[0.6, 0.4])})  # noise: nothing to learn
    result = _run(frame, "logistic_regression")
    assert "barely" in _warnings(result) and not _warnings(result) & {"identifier", "leak", "imbalance", "overfit",
                                                                       "markers", "unscaled"}
    baseline = result.baseline.score("accuracy")
    assert f"against {baseline:.3f}" in _finding(result, "barely").sentence


def test_markers_left_in_and_unscaled_features_into_logistic_regression_each_get_their_button():
    frame = _signal(300, 5)
    frame["flux"] = frame["flux"] * 1000 + 20_000  # counts, beside a colour of about 1
    frame.loc[::15, "colour"] = -99.99
    result = _run(frame, "logistic_regression", scaling="none")
    assert {"markers", "unscaled"} <= _warnings(result)
    markers = _finding(result, "markers")
    assert "20 values of -99.99 in column colour" in markers.sentence
    assert markers.action.missing == (("colour", -99.99),)
    assert _finding(result, "unscaled").action.preprocessing == (("scaling", "standard"),)


def test_a_class_too_rare_for_the_folds_suggests_fewer_folds():
    frame = _signal(200, 6)
    frame.loc[:6, "cls"] = "quasar"  # 7 rows: fewer than twice the 5 folds
    result = _run(frame, "logistic_regression", validation=ValidationConfig("stratified_kfold", 5))
    finding = _finding(result, "few_rows")
    assert "'quasar' has only 7 rows" in finding.sentence and finding.action.validation == (("n_folds", 3),)
    assert result.cross_validation.baseline_mean("accuracy") is not None
    assert result.baseline.score("accuracy") == pytest.approx(np.mean(frame["cls"] == frame["cls"].mode()[0]),
                                                              abs=0.02)


def test_an_over_fitting_network_is_told_the_epoch_of_its_lowest_validation_loss():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.normal(size=(160, 12)), columns=[f"f{i}" for i in range(12)])
    frame["cls"] = np.where(frame["f0"] + rng.normal(scale=1.5, size=160) > 0, "a", "b")  # weak signal, much noise
    params = {"hidden_layers": "128, 128", "epochs": 60, "batch_size": 16, "learning_rate": 0.01,
              "initialiser": "glorot_uniform", "validation_split": 0.3}
    result = _run(frame, "mlp", params)
    assert "overfit_epochs" in _warnings(result) and not _warnings(result) & {"underfit", "identifier", "leak",
                                                                               "imbalance", "markers"}
    finding = _finding(result, "overfit_epochs")
    losses = [(e["step"], e["val_loss"]) for e in result.history]
    best = min(losses, key=lambda p: p[1])[0]
    assert f"lowest at epoch {best} " in finding.sentence
    assert dict(finding.action.params)["early_stopping"] is True


def test_a_regression_names_its_errors_against_the_mean_and_a_column_that_copies_the_target():
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"g_r": rng.normal(size=500), "r_i": rng.normal(size=500)})
    frame["z"] = 0.1 + 0.03 * frame["g_r"] + 0.01 * rng.normal(size=500)
    frame["z_pipeline"] = frame["z"] + 1e-4 * rng.normal(size=500)  # the answer under another name
    dataset = Dataset("photo-z", frame, "z", task="regression")
    spec = validate_spec(TrainingSpec(dataset=dataset, target="z", family="linear_regression", params={},
                                      preprocessing=PreprocessConfig(), task="regression"))
    result = run_training(spec, LocalReporter())
    headline = result.verdict.findings[0].sentence
    base = result.baseline
    assert base.score("r2") <= 0  # the training mean, on the test rows
    assert headline.startswith(f"Test R² {result.evaluation.r2:.3f} (RMSE {result.evaluation.rmse:.4g}), against "
                               f"{base.score('r2'):.3f} (RMSE {base.score('rmse'):.4g})")
    assert "always predicting the training mean" in headline
    assert _warnings(result) == {"leak"} and "z_pipeline alone predicts" in _finding(result, "leak").sentence
