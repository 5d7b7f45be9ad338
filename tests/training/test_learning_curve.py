"""Learning curve by training-set size: growing subsets of the training rows, as one engine job."""

import time

import numpy as np
import pytest

from mllab import charts
from mllab.datasets.builtin import load_builtin
from mllab.errors import ParamError
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training.learning_curve import (DEFAULT_FRACTIONS, LearningCurveSpec, reading, run_learning_curve,
                                           run_learning_curve_job, sizes_for, subset_order, validate_learning_curve)
from mllab.training.schemes import ValidationConfig
from mllab.training.spec import LocalReporter, TrainingSpec


def _spec(key, family, params=None, **preprocessing):
    dataset = load_builtin(key)
    return validate_learning_curve(LearningCurveSpec(TrainingSpec(
        dataset=dataset, target=dataset.target, preprocessing=PreprocessConfig(**preprocessing), family=family,
        params=params or {})))


def test_digits_logistic_regression_scores_better_on_test_rows_with_more_training_rows():
    spec = _spec("digits", "logistic_regression")
    reporter = LocalReporter()
    result = run_learning_curve_job(spec, reporter)
    points = result.history
    assert result.status == "completed" and len(points) == len(DEFAULT_FRACTIONS)
    assert [p["n_rows"] for p in points] == [144, 287, 575, 1006, 1437] and result.n_train == 1437
    assert points[-1]["test_score"] > points[0]["test_score"] + 0.03
    assert points[-1]["test_score"] > 0.95
    assert all(p["train_score"] >= p["test_score"] for p in points)
    assert [e["step"] for e in reporter.history] == [1, 2, 3, 4, 5]
    assert sum(e.get("type") == "part_done" for e in reporter.events) == 5
    assert result.metric_label == "accuracy"
    assert result.reading().startswith(("The test score", "Training and test"))


def test_stop_after_the_first_size_keeps_one_point():
    spec = _spec("digits", "logistic_regression")

    class StopAfterFirst(LocalReporter):
        def report(self, event):
            super().report(event)
            if event.get("type") == "part_done":
                self.stop_event.set()

    result = run_learning_curve_job(spec, StopAfterFirst())
    assert result.status == "stopped" and len(result.history) == 1
    assert result.history[0]["n_rows"] == 144
    assert "Stopped after 1 of 5 sizes" in " ".join(result.notes)
    assert result.reading().startswith("Only one training-set size")


def test_every_prefix_of_the_order_is_stratified_and_holds_every_class():
    labels = np.array([0] * 90 + [1] * 8 + [2] * 2)
    order = subset_order(labels, "classification", seed=4)
    assert sorted(order.tolist()) == list(range(100))
    assert set(labels[order[:3]]) == {0, 1, 2}
    tenth = np.bincount(labels[order[:10]], minlength=3)
    assert tenth[0] >= 8
    assert np.array_equal(order, subset_order(labels, "classification", seed=4))  # seeded
    assert sizes_for((0.01, 0.02, 0.5, 1.0), 100, minimum=3) == [(0.01, 3), (0.5, 50), (1.0, 100)]


def test_a_regression_curve_scores_r2():
    dataset = load_builtin("sdss_mgs")
    frame = dataset.frame.iloc[:3000].copy()
    dataset.frame = frame
    spec = TrainingSpec(dataset=dataset, target=dataset.target, preprocessing=PreprocessConfig(),
                        family="linear_regression", params={"alpha": 1.0, "fit_intercept": True}, task="regression")
    result = run_learning_curve(spec, LocalReporter(), fractions=(0.2, 1.0))
    assert result.metric_label == "R²" and len(result.history) == 2
    assert result.history[-1]["test_score"] > 0.5


def test_bad_fractions_and_k_fold_runs():
    with pytest.raises(ParamError, match="increasing shares"):
        _spec_with_fractions((0.5, 0.2))
    with pytest.raises(ParamError, match="increasing shares"):
        _spec_with_fractions((0.0, 1.0))
    dataset = load_builtin("iris")
    spec = validate_learning_curve(LearningCurveSpec(TrainingSpec(
        dataset=dataset, target=dataset.target, preprocessing=PreprocessConfig(), family="random_forest",
        params={}, validation=ValidationConfig("stratified_kfold", 5))))
    assert not spec.base.validation.is_kfold  # the curve uses the hold-out split


def _spec_with_fractions(fractions):
    dataset = load_builtin("iris")
    return validate_learning_curve(LearningCurveSpec(TrainingSpec(
        dataset=dataset, target=dataset.target, preprocessing=PreprocessConfig(), family="random_forest",
        params={}), fractions=fractions))


def test_readings_say_whether_more_data_would_help():
    rising = [{"n_rows": 100, "train_score": 1.0, "test_score": 0.80},
              {"n_rows": 200, "train_score": 0.99, "test_score": 0.86}]
    assert "more data would help" in reading(rising, "accuracy")
    meeting = [{"n_rows": 100, "train_score": 0.90, "test_score": 0.85},
               {"n_rows": 200, "train_score": 0.87, "test_score": 0.855}]
    assert "more data will not help much" in reading(meeting, "accuracy")
    gap = [{"n_rows": 100, "train_score": 1.0, "test_score": 0.75},
           {"n_rows": 200, "train_score": 1.0, "test_score": 0.74}]
    assert "over-fits" in reading(gap, "accuracy")


def test_chart_has_training_and_test_score_against_rows():
    points = [{"n_rows": 100, "train_score": 1.0, "test_score": 0.8},
              {"n_rows": 1000, "train_score": 0.98, "test_score": 0.9}]
    figure = charts.training_size_figure(points, "accuracy")
    assert [t.name for t in figure.data] == ["Training score", "Test score"]
    assert list(figure.data[1].x) == [100, 1000] and figure.data[1].mode == "lines+markers"
    assert figure.layout.xaxis.title.text == "Training rows"


def test_the_engine_runs_a_learning_curve_as_one_job_and_refuses_a_second_job_meanwhile(shared_engine):
    from mllab.errors import UserError
    from mllab.training.learning_curve import LearningCurveResult

    engine = shared_engine
    spec = _spec("iris", "logistic_regression")
    job = engine.submit(spec, "learning-curve-owner")
    with pytest.raises(UserError, match="learning curve"):
        engine.submit(_spec("iris", "logistic_regression"), "learning-curve-owner")
    deadline = time.monotonic() + 120
    while not engine.job(job, "learning-curve-owner").finished and time.monotonic() < deadline:
        engine.touch("learning-curve-owner")
        time.sleep(0.2)
    state = engine.job(job, "learning-curve-owner")
    assert state.status == "completed", state.error
    assert isinstance(state.result, LearningCurveResult) and len(state.result.history) == 5
    assert [p["step"] for p in state.history] == [1, 2, 3, 4, 5]


def test_train_page_button_measures_the_learning_curve_of_a_finished_forest_and_draws_it():
    import json

    from page_support import new_app, plotly_specs, train_until_done

    at = new_app()
    at.selectbox(key="builtin-choice").set_value("pima").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("random_forest").run()
    at.slider(key="hp-random_forest-n_estimators").set_value(50).run()
    at.button(key="train-button").click().run()
    train_until_done(at)
    titles = [s["layout"]["title"]["text"] for s in plotly_specs(at)]
    assert any(t.startswith("Impurity importance (8 features)") for t in titles)
    permutation = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("Permutation"))
    assert permutation["data"][0]["y"][0] == "Glucose"
    button = at.button(key="learning-curve-1")
    assert button.label == "Learning curve (score vs training-set size)" and not button.disabled
    button.click().run()
    assert at.button(key="train-button").disabled  # one job per session: Train waits for the curve
    def curve_reading():  # the run's verdict is a success box too ("No warning signs: …")
        return next((s.value for s in at.success if "more data" in s.value or "over-fits" in s.value), None)

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and curve_reading() is None:
        time.sleep(0.5)
        at.run()
        assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert curve_reading() is not None, "the learning curve did not finish with its reading"
    curve = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                 if json.loads(c.proto.spec)["layout"]["title"]["text"].startswith("Learning curve:"))
    assert [trace["name"] for trace in curve["data"]] == ["Training score", "Test score"]
    assert curve["data"][0]["x"] == [61, 123, 246, 430, 614]
    assert not at.button(key="train-button").disabled
