"""Runs recorded as the app records them: a real Dask engine, the store's writer thread, and the
engine's observer. Forty workspaces each running three jobs: every run stored once, in its own
workspace, with its own curve and figures; nothing lost or mixed."""

from __future__ import annotations

import threading
import time

import pytest

from mllab.datasets import load_builtin
from mllab.models import FAMILIES
from mllab.prepare import PreprocessConfig
from mllab.store import RunRecorder, StoreWriter, create_run, load_runs
from mllab.training import JobState, TrainingSpec, new_run

WORKSPACES = 40
RUNS_EACH = 3


@pytest.fixture(scope="module")
def engine(shared_engine):
    return shared_engine


def _spec(max_iter: int):
    data = load_builtin("iris")
    params = {**FAMILIES["logistic_regression"].defaults(), "max_iter": max_iter}
    return TrainingSpec(dataset=data, target=data.target, preprocessing=PreprocessConfig(), family="logistic_regression",
                        params=params)


def _train(engine, store, writer, workspace, number, max_iter):
    spec = _spec(max_iter)
    job_id = engine.submit(spec, workspace)
    run = new_run(number, job_id, spec, {"kind": "builtin", "key": "iris"}, {})
    run_id = create_run(store, workspace, run)
    engine.observe(job_id, RunRecorder(writer, workspace, run_id))
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        engine.touch(workspace)
        state = engine.job(job_id, workspace)
        if state.finished:
            engine.forget(job_id, workspace)
            return state
        time.sleep(0.05)
    raise AssertionError("a run did not finish")


def test_a_run_is_recorded_step_by_step_and_at_its_end(engine, store):
    writer = StoreWriter(store)
    store.register_server()
    workspace = store.open_workspace(store.new_workspace())
    state = _train(engine, store, writer, workspace, 1, 60)
    assert writer.flush() and writer.fault is None
    [run] = load_runs(store, workspace)
    assert run.status == "completed" == state.status
    assert [h["step"] for h in run.history] == [h["step"] for h in state.history] and len(run.history) > 1
    assert run.result.evaluation.accuracy == state.result.evaluation.accuracy >= 0.85
    writer.close()


def test_forty_workspaces_with_three_runs_each_are_all_stored_and_never_mixed(store, trained_states):
    """Forty sessions at once, each recording three runs through the app's one writer thread, as the
    engine's watcher would: the states are real finished jobs, replayed step by step per workspace.
    (bench/store_sessions.py runs the same through the Dask engine, and prints its overhead.)"""
    store.register_server()
    writer = StoreWriter(store)
    spaces = [store.open_workspace(store.new_workspace()) for _ in range(WORKSPACES)]
    failures = []

    def session(workspace, index):
        try:
            for number, state in enumerate(trained_states, start=1):
                spec = _spec(20 + index * RUNS_EACH + number)  # each workspace's settings differ
                run = new_run(number, f"{index}-{number}", spec, {"kind": "builtin", "key": "iris"}, {})
                recorder = RunRecorder(writer, workspace, create_run(store, workspace, run))
                live = JobState(job_id=run.job_id, owner=workspace, submitted_at=time.time(), status="running")
                for event in state.history:  # one step at a time, as the watcher hears them
                    live.history = [*live.history, event]
                    recorder.on_events(live, [event])
                recorder.on_finished(state)
        except Exception as err:  # reported below with the workspace's number
            failures.append(f"workspace {index}: {err!r}")

    threads = [threading.Thread(target=session, args=(w, i)) for i, w in enumerate(spaces)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert writer.flush(120) and writer.fault is None
    for index, workspace in enumerate(spaces):
        stored = load_runs(store, workspace)
        assert [r.number for r in stored] == [1, 2, 3]
        assert [r.params["max_iter"] for r in stored] == [20 + index * RUNS_EACH + n for n in (1, 2, 3)]
        assert all(r.status == "completed" for r in stored)
        for run, state in zip(stored, trained_states):
            assert run.result.evaluation.accuracy == state.result.evaluation.accuracy
            assert [h["step"] for h in run.history] == [h["step"] for h in state.history]
    writer.close()
    from sqlalchemy import func, select

    from mllab.store.schema import runs

    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(runs)).scalar() == WORKSPACES * RUNS_EACH


@pytest.fixture(scope="module")
def trained_states(engine):
    """Three real finished jobs of the engine, to replay."""
    states = []
    for max_iter in (20, 40, 60):
        job_id = engine.submit(_spec(max_iter), "replay")
        deadline = time.monotonic() + 300
        while not engine.job(job_id, "replay").finished and time.monotonic() < deadline:
            engine.touch("replay")
            time.sleep(0.05)
        states.append(engine.job(job_id, "replay"))
    assert all(s.status == "completed" for s in states)
    return states
