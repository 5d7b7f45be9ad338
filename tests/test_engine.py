"""The Dask engine: jobs run on worker processes, stream their curves, stop, fail politely, stay private."""

import subprocess
import sys
import time

import pytest

from mllab.datasets import load_builtin
from mllab.engine import Engine
from mllab.errors import UserError
from mllab.preprocessing import PreprocessConfig
from mllab.training import TrainingSpec

from conftest import ROOT


@pytest.fixture(scope="module")
def engine():
    engine = Engine(n_workers=2)
    assert engine.wait_ready(120), engine.start_error
    yield engine
    engine.close()


def _spec(family="random_forest", params=None, dataset="iris", **preprocessing):
    data = load_builtin(dataset)
    return TrainingSpec(dataset=data, target=data.target, preprocessing=PreprocessConfig(**preprocessing),
                        family=family, params=params or {})


def _wait(engine, job_id, owner, timeout=240, until=lambda s: s.finished):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = engine.job(job_id, owner)
        if until(state):
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {engine.job(job_id, owner).status}")


def test_a_job_runs_on_a_worker_and_streams_its_curve(engine):
    job_id = engine.submit(_spec(params={"n_estimators": 100}), owner="alice")
    state = _wait(engine, job_id, "alice")
    assert state.status == "completed", state.error
    assert state.result.evaluation.accuracy >= 0.9
    assert [e["step"] for e in state.history][-1] == 100
    assert state.progress == 1.0


def test_workers_report_their_devices_and_keras_jobs_record_the_device_used(engine):
    deadline = time.monotonic() + 120
    while engine.devices() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    devices = engine.devices()
    assert devices and any(d["type"] == "CPU" for d in devices)
    job_id = engine.submit(_spec("mlp", {"epochs": 3, "batch_size": 16}), owner="alice")
    state = _wait(engine, job_id, "alice")
    assert state.status == "completed", state.error
    expected = "GPU" if engine.gpu_available() else "CPU"
    assert state.result.device_used.startswith(expected)
    assert len(state.history) == 3 and state.model_summary


def test_stop_keeps_the_partial_curve_and_evaluates_the_partial_model(engine):
    job_id = engine.submit(_spec("mlp", {"epochs": 500, "batch_size": 1}, dataset="digits"), owner="bob")
    running = _wait(engine, job_id, "bob", until=lambda s: len(s.history) >= 1)
    engine.stop(job_id, "bob")
    state = _wait(engine, job_id, "bob")
    assert state.status == "stopped"
    assert 1 <= len(state.history) < 500
    assert state.result is not None and state.result.evaluation.accuracy > 0.5
    assert running.history[0]["step"] == 1


def test_sessions_cannot_see_or_stop_each_others_jobs(engine):
    job_id = engine.submit(_spec(params={"n_estimators": 50}), owner="carol")
    with pytest.raises(KeyError):
        engine.job(job_id, "mallory")
    with pytest.raises(KeyError):
        engine.stop(job_id, "mallory")
    assert all(j.owner == "mallory" for j in engine.jobs_of("mallory"))
    assert _wait(engine, job_id, "carol").status == "completed"


def test_bad_settings_are_refused_before_a_worker_is_used(engine):
    with pytest.raises(UserError, match="needs image or signal data"):
        engine.submit(_spec("cnn"), owner="dave")
    with pytest.raises(UserError, match="between"):
        engine.submit(_spec(params={"n_estimators": 5}), owner="dave")


def test_a_failure_inside_the_worker_becomes_a_plain_message(engine):
    # 6 PCA components on iris's 4 features passes the quick checks but fails when fitted.
    job_id = engine.submit(_spec(pca_components=6), owner="erin")
    state = _wait(engine, job_id, "erin")
    assert state.status == "failed"
    assert state.error.startswith("PCA cannot keep 6 components")


def test_importing_mllab_does_not_import_streamlit_or_tensorflow():
    code = ("import sys, mllab, mllab.engine, mllab.training, mllab.runs, mllab.models, mllab.charts;"
            "bad = [m for m in ('streamlit', 'tensorflow', 'keras') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_keras_job_submitted_while_workers_still_import_tensorflow_runs():
    # Right after start the workers import TensorFlow in a warm-up thread; a Keras job arriving
    # then must wait for that import, not race it (TensorFlow fails on a concurrent first import).
    fresh = Engine(n_workers=1)
    try:
        assert fresh.wait_ready(120), fresh.start_error
        job_id = fresh.submit(_spec("mlp", {"epochs": 2, "batch_size": 16}), owner="frank")
        state = _wait(fresh, job_id, "frank")
        assert state.status == "completed", state.error
        assert len(state.history) == 2
    finally:
        fresh.close()
