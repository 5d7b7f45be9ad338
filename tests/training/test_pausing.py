"""Pause, one step and resume through the real Dask engine (mllab.training.pausing), on iris."""

import time

import pytest

from mllab.datasets.builtin import load_builtin
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training.spec import TrainingSpec


@pytest.fixture(scope="module")
def engine(shared_engine):
    return shared_engine


def _spec(family, params):
    data = load_builtin("iris")
    return TrainingSpec(dataset=data, target=data.target, preprocessing=PreprocessConfig(), family=family, params=params)


def _wait(engine, job_id, owner, until, timeout=180, heartbeat=True):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if heartbeat:
            engine.touch(owner)  # as the page's heartbeat does while the lecturer watches
        state = engine.job(job_id, owner)
        if until(state):
            return state
        time.sleep(0.05)
    state = engine.job(job_id, owner)
    raise AssertionError(f"job {job_id} still {state.status}, paused at {state.paused_at}, "
                         f"{len(state.history)} steps")


def _steps(state) -> list[int]:
    return [event["step"] for event in state.history]


def _held_for(engine, job_id, owner, seconds: float) -> list[int]:
    """The steps reported after watching a paused job for `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        engine.touch(owner)
        time.sleep(0.1)
    return _steps(engine.job(job_id, owner))


def test_an_mlp_pauses_at_an_epoch_steps_one_epoch_then_resumes_to_the_end(engine):
    owner = "lecturer-mlp"
    job_id = engine.submit(_spec("mlp", {"epochs": 60, "batch_size": 16}), owner=owner)
    _wait(engine, job_id, owner, until=lambda s: len(s.history) >= 3)
    assert engine.can_pause(job_id, owner)
    engine.pause(job_id, owner)
    paused = _wait(engine, job_id, owner, until=lambda s: s.paused_at is not None)
    at = paused.paused_at
    assert 3 <= at < 60
    assert _held_for(engine, job_id, owner, 1.2) == list(range(1, at + 1))  # nothing trained while paused

    engine.step_once(job_id, owner)
    _wait(engine, job_id, owner, until=lambda s: s.paused_at == at + 1)
    assert _held_for(engine, job_id, owner, 0.6) == list(range(1, at + 2))  # exactly one epoch more

    engine.resume(job_id, owner)
    state = _wait(engine, job_id, owner, until=lambda s: s.finished)
    assert state.status == "completed", state.error
    assert _steps(state) == list(range(1, 61))
    assert state.result.evaluation.accuracy > 0.5 and state.paused_at is None


def test_stop_while_paused_ends_the_run_at_that_epoch_and_evaluates_it(engine):
    owner = "lecturer-stop"
    job_id = engine.submit(_spec("mlp", {"epochs": 200, "batch_size": 16}), owner=owner)
    engine.pause(job_id, owner)  # asked before the first epoch ends: it pauses after epoch 1
    _wait(engine, job_id, owner, until=lambda s: s.paused_at == 1)
    engine.step_once(job_id, owner)
    _wait(engine, job_id, owner, until=lambda s: s.paused_at == 2)
    stop_at = time.monotonic()
    engine.stop(job_id, owner)
    state = _wait(engine, job_id, owner, until=lambda s: s.finished)
    assert time.monotonic() - stop_at < 10
    assert state.status == "stopped"
    assert _steps(state) == [1, 2]
    assert state.result is not None and 0 <= state.result.evaluation.accuracy <= 1
    assert len(state.result.history) == 2


def test_a_logistic_regression_pauses_between_solver_steps_and_goes_one_step_at_a_time(engine):
    owner = "lecturer-logistic"
    job_id = engine.submit(_spec("logistic_regression", {"max_iter": 500}), owner=owner)
    engine.pause(job_id, owner)
    first = _wait(engine, job_id, owner, until=lambda s: s.paused_at is not None).paused_at
    assert _held_for(engine, job_id, owner, 1.0) == [first]  # one solver step: its iterations
    engine.step_once(job_id, owner)
    second = _wait(engine, job_id, owner, until=lambda s: s.paused_at not in (None, first)).paused_at
    assert _steps(engine.job(job_id, owner)) == [first, second]
    engine.resume(job_id, owner)
    state = _wait(engine, job_id, owner, until=lambda s: s.finished)
    assert state.status == "completed", state.error
    assert len(state.history) > 2


def test_gradient_boosting_pauses_between_rounds_and_goes_one_step_at_a_time(engine):
    owner = "lecturer-boosting"
    job_id = engine.submit(_spec("gradient_boosting", {"max_iter": 500, "early_stopping": False}), owner=owner)
    engine.pause(job_id, owner)
    first = _wait(engine, job_id, owner, until=lambda s: s.paused_at is not None).paused_at
    assert _held_for(engine, job_id, owner, 1.0) == _steps(engine.job(job_id, owner))  # held: no round added
    assert _steps(engine.job(job_id, owner))[-1] == first
    engine.step_once(job_id, owner)
    second = _wait(engine, job_id, owner, until=lambda s: s.paused_at not in (None, first)).paused_at
    assert second > first and _steps(engine.job(job_id, owner))[-1] == second
    engine.resume(job_id, owner)
    state = _wait(engine, job_id, owner, until=lambda s: s.finished)
    assert state.status == "completed", state.error
    assert _steps(state)[-1] == 500


def test_a_forest_offers_no_pause_and_a_pause_asked_anyway_changes_nothing(engine):
    owner = "lecturer-forest"
    job_id = engine.submit(_spec("random_forest", {"n_estimators": 60}), owner=owner)
    _wait(engine, job_id, owner, until=lambda s: s.status == "running" or s.finished)
    assert not engine.can_pause(job_id, owner)
    engine.pause(job_id, owner)
    state = _wait(engine, job_id, owner, until=lambda s: s.finished)
    assert state.status == "completed" and not state.pause_requested
    assert _steps(state)[-1] == 60


def test_a_paused_run_whose_session_went_away_is_stopped_like_any_run(engine):
    owner = "lecturer-gone"
    job_id = engine.submit(_spec("mlp", {"epochs": 200, "batch_size": 16}), owner=owner)
    engine.pause(job_id, owner)
    _wait(engine, job_id, owner, until=lambda s: s.paused_at == 1)
    usual = engine.abandon_after_s
    engine.abandon_after_s = 2.0  # the rule's wait, shortened for this test only
    try:
        # The tab closes: nothing touches the engine for this session any more.
        state = _wait(engine, job_id, owner, until=lambda s: s.finished, heartbeat=False, timeout=60)
    finally:
        engine.abandon_after_s = usual
    assert state.status == "stopped"
    assert state.stop_requested_at is not None
    assert _steps(state) == [1]
