"""Training runs on real built-in data reach the accuracy a user would expect, reproducibly."""

import os
import threading
import time

import numpy as np
import pytest

from mllab.datasets.builtin import load_builtin
from mllab.errors import ParamError
from mllab.models import FAMILIES
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training.holdout import run_training
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec


def _spec(dataset_key, family, params=None, **preprocessing):
    dataset = load_builtin(dataset_key)
    return validate_spec(TrainingSpec(dataset=dataset, target=dataset.target,
                                      preprocessing=PreprocessConfig(**preprocessing), family=family,
                                      params=params or {}))


def _train(spec):
    reporter = LocalReporter()
    result = run_training(spec, reporter)
    return result, reporter


def test_random_forest_on_digits_reaches_095_and_reports_trees():
    result, reporter = _train(_spec("digits", "random_forest"))
    assert result.status == "completed"
    assert result.evaluation.accuracy >= 0.95
    steps = [e["step"] for e in reporter.history]
    assert steps == sorted(steps) and steps[-1] == 200 and len(steps) >= 10
    assert {"loss", "accuracy", "val_accuracy"} <= set(reporter.history[-1])
    assert result.device_used == "CPU" and result.n_test == 360


@pytest.mark.parametrize("class_weight", ["none", "balanced"])
def test_random_forest_validation_curve_is_scikit_learns_out_of_bag_score(class_weight):
    # The curve keeps running out-of-bag votes instead of asking scikit-learn to recompute them
    # over all trees at every step; at the last step both must agree exactly.
    from sklearn.ensemble import RandomForestClassifier

    from mllab.models.base import DataInfo
    from mllab.prepare.preprocessing import prepare

    spec = _spec("wine", "random_forest", {"n_estimators": 60, "class_weight": class_weight}, seed=5)
    data = prepare(spec.dataset.frame, spec.target, spec.feature_columns(), spec.preprocessing)
    reporter = LocalReporter()
    FAMILIES["random_forest"].train(spec.params, data, DataInfo("table", data.x_train.shape[1], 3), reporter,
                                    "CPU", 5)
    reference = RandomForestClassifier(n_estimators=60, oob_score=True, random_state=5,
                                       class_weight=None if class_weight == "none" else class_weight)
    reference.fit(data.x_train, data.y_train)
    assert reporter.history[-1]["val_accuracy"] == pytest.approx(reference.oob_score_)
    assert reporter.history[-1]["accuracy"] == pytest.approx((reference.predict(data.x_train) == data.y_train).mean())
    # The page draws the error rate: out-of-bag error against the number of trees, as in scikit-learn's example.
    assert reporter.history[-1]["val_error"] == pytest.approx(1 - reference.oob_score_)
    assert FAMILIES["random_forest"].curves_for("classification")[0] == ("error", "Error rate")


def test_forest_curve_points_fall_on_the_same_tree_counts_whatever_order_the_trees_finish_in(monkeypatch):
    # The trees are grown on a pool of threads and finish in no fixed order, but each point sums exactly the
    # first n trees, so the same seed draws the same curve. Here every third tree is held back a little
    # before it is scored, so later trees finish first.
    import mllab.models.random_forest as random_forest

    spec = _spec("wine", "random_forest", {"n_estimators": 100}, seed=3)
    in_order, _ = _train(spec)
    score = random_forest._CurveVotes.tree_outputs
    held_back = []

    def slow_now_and_then(self, forest, tree, rows):
        if tree.random_state % 3 == 0:
            held_back.append(tree.random_state)
            time.sleep(0.02)
        return score(self, forest, tree, rows)

    monkeypatch.setattr(random_forest._CurveVotes, "tree_outputs", slow_now_and_then)
    out_of_order, _ = _train(spec)
    assert held_back  # the seeds of about a third of the trees
    assert [e["step"] for e in out_of_order.history] == list(range(2, 101, 2))
    assert out_of_order.history == in_order.history
    assert out_of_order.evaluation.accuracy == in_order.evaluation.accuracy


def test_forest_curve_is_the_one_its_code_export_draws_from_a_plain_fit():
    # The exported code fits the forest in one plain call and draws the out-of-bag curve from scikit-learn's
    # public `estimators_samples_`; the live curve must be the same points, tree count by tree count.
    from mllab.models.base import DataInfo
    from mllab.prepare.preprocessing import prepare

    spec = _spec("wine", "random_forest", {"n_estimators": 60}, seed=11)
    data = prepare(spec.dataset.frame, spec.target, spec.feature_columns(), spec.preprocessing)
    info = DataInfo("table", data.x_train.shape[1], 3)
    reporter = LocalReporter()
    FAMILIES["random_forest"].train(spec.params, data, info, reporter, "CPU", 11)
    exported = {"np": np}
    exec(FAMILIES["random_forest"].export(spec.params, info), exported)
    _, history = exported["train_model"](data.x_train, data.y_train, data.x_test, 11)
    assert [point["step"] for point in history] == [point["step"] for point in reporter.history]
    for live, plain in zip(reporter.history, history):
        for key in ("error", "accuracy", "val_error", "val_accuracy"):
            assert live.get(key) == pytest.approx(plain.get(key)), (live["step"], key)


def test_forest_error_rate_is_a_rate_from_the_first_trees_on():
    # Log-loss over a handful of out-of-bag votes starts near 3 (a clipped log(0)); the error rate
    # the page draws stays between 0 and 1 and falls as trees are added.
    result, _ = _train(_spec("breast_cancer", "random_forest", {"n_estimators": 100}, seed=0))
    errors = [e["val_error"] for e in result.history if "val_error" in e]
    assert all(0 <= e <= 1 for e in errors)
    assert errors[-1] < errors[0] and errors[-1] <= 0.08


def test_forest_curve_loss_is_scikit_learns_log_loss():
    # The curve computes cross-entropy itself (scikit-learn's log_loss validates on every call,
    # which cost more than the trees); it must give the same number, zero probabilities included.
    from sklearn.metrics import log_loss

    from mllab.models.random_forest import _log_loss

    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(4), size=300)
    proba[:20] = np.eye(4)[rng.integers(0, 4, 20)]  # confident rows, some of them wrong
    y = rng.integers(0, 4, 300)
    assert _log_loss(y, proba) == pytest.approx(log_loss(y, proba, labels=range(4)), rel=1e-9)


def test_logistic_regression_on_digits_reaches_094():
    result, reporter = _train(_spec("digits", "logistic_regression"))
    assert result.evaluation.accuracy >= 0.94
    assert len(reporter.history) >= 5
    losses = [e["loss"] for e in reporter.history]
    assert losses[-1] < losses[0]


def test_random_forest_on_ogle3_subset_reaches_095():
    result, _ = _train(_spec("ogle3", "random_forest"))
    assert result.evaluation.accuracy >= 0.95


def test_cnn_on_digits_reaches_095_with_conv2d():
    result, reporter = _train(_spec("digits", "cnn", scaling="minmax"))
    assert result.evaluation.accuracy >= 0.95
    assert "conv2d" in result.model_summary.lower()
    assert len(reporter.history) == 20 and "val_loss" in reporter.history[-1]


def test_pima_mlp_12_8_1_as_in_the_keras_tutorial_reaches_072():
    # What a user sets on the sliders; everything else stays at the app's defaults.
    params = {"hidden_layers": "12, 8", "activation": "relu", "optimiser": "adam", "epochs": 150,
              "batch_size": 10}
    result, reporter = _train(_spec("pima", "mlp", params))
    assert result.evaluation.accuracy >= 0.72
    assert len(reporter.history) == 150
    # Two classes: one sigmoid output unit, as in the tutorial.
    assert "(None, 1)" in result.model_summary
    assert len(result.evaluation.roc) == 1 and result.evaluation.roc_auc > 0.75


def test_same_seed_same_result_on_cpu():
    params = {"epochs": 5, "batch_size": 32}
    first, _ = _train(_spec("iris", "mlp", params, seed=7))
    second, _ = _train(_spec("iris", "mlp", params, seed=7))
    assert first.history == second.history
    assert first.evaluation.accuracy == second.evaluation.accuracy
    forest_a, _ = _train(_spec("wine", "random_forest", seed=3))
    forest_b, _ = _train(_spec("wine", "random_forest", seed=3))
    assert forest_a.history == forest_b.history


@pytest.mark.parametrize("family,params", [
    ("mlp", {"epochs": 500, "batch_size": 1}),
    ("random_forest", {"n_estimators": 1000}),
])
def test_stop_ends_training_at_once_and_keeps_the_curve(family, params, monkeypatch):
    import mllab.models.random_forest as random_forest

    # A forest asks about Stop after every tree it adds to its curve here (every STOP_CHECK_S in the app).
    monkeypatch.setattr(random_forest, "STOP_CHECK_S", 0.0)
    spec = _spec("digits", family, params)
    reporter = LocalReporter()
    seen_at_stop = {}

    def stop_after_first_step():
        while not reporter.history:
            time.sleep(0.01)
        seen_at_stop["step"] = reporter.history[-1]["step"]
        reporter.stop_event.set()

    threading.Thread(target=stop_after_first_step, daemon=True).start()
    result = run_training(spec, reporter)
    assert result.status == "stopped"
    # Not a timing test: the run ends within the step under way when Stop was pressed; Keras even breaks off
    # mid-epoch. A forest draws a point every 20 trees: it ends within the 20 trees after the point seen, plus at
    # most the trees its threads had already started (one a core).
    step_size = 1 if family == "mlp" else 20 + (os.cpu_count() or 1)
    assert result.history[-1]["step"] <= seen_at_stop["step"] + step_size
    assert 0 <= result.evaluation.accuracy <= 1  # the partial model is still evaluated


def test_cnn_refuses_tables_and_pca_before_any_training():
    with pytest.raises(ParamError, match="needs image or signal data"):
        _spec("iris", "cnn")
    with pytest.raises(ParamError, match="turn PCA off"):
        _spec("digits", "cnn", pca_components=10)


def test_cnn_on_ordered_signals_uses_conv1d():
    import pandas as pd

    from mllab.datasets.model import Dataset

    # Light-curve-like rows: a sine of one of two periods with noise; a Conv1D tells them apart.
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 64)
    periods = rng.choice([0.1, 0.35], size=300)
    signals = np.sin(2 * np.pi * (t[None, :] / periods[:, None] + rng.uniform(0, 1, (300, 1))))
    signals += rng.normal(0, 0.3, signals.shape)
    frame = pd.DataFrame(signals, columns=[f"t{i:02d}" for i in range(64)])
    frame["variable"] = np.where(periods < 0.2, "short period", "long period")
    dataset = Dataset(name="simulated light curves", frame=frame, target="variable", kind="signal",
                      source="upload")
    spec = validate_spec(TrainingSpec(dataset=dataset, target="variable", preprocessing=PreprocessConfig(),
                                      family="cnn", params={"epochs": 8, "filters": 8, "dense_units": 16}))
    result, _ = _train(spec)
    assert "conv1d" in result.model_summary.lower()
    assert result.evaluation.accuracy >= 0.9


def test_mixed_precision_is_refused_off_the_gpu_and_for_scikit_learn_models():
    with pytest.raises(ParamError, match="GPU only"):
        validate_spec(TrainingSpec(dataset=load_builtin("digits"), target="digit", preprocessing=PreprocessConfig(),
                                   family="mlp", params={}, device="CPU", mixed_precision=True))
    with pytest.raises(ParamError, match="GPU only"):
        validate_spec(TrainingSpec(dataset=load_builtin("digits"), target="digit", preprocessing=PreprocessConfig(),
                                   family="random_forest", params={}, device="GPU", mixed_precision=True))
