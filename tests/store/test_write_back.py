"""When the store fails and comes back: a PostgreSQL server of the test's own, stopped and started again; a
real SQLite folder made read-only and writable again (a tmpfs remounted); a damaged SQLite file. Work stored
before the fault is read during it; work done during it (a run trained through the engine, settings) is
written back once, in order, when the store answers again, and the workspace gets a note; a damaged file
gives back the runs whose rows are intact and is left byte for byte."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import func, select

from mllab.datasets import load_builtin
from mllab.models import FAMILIES
from mllab.prepare import PreprocessConfig
from mllab.store import (Pending, RunRecorder, Store, StoreFault, StoreWriter, create_run, finish_run, load_runs,
                         new_run_id, new_token, workspace_id_of)
from mllab.store.schema import run_metrics, run_results, runs
from mllab.training import JobState, TrainingSpec, new_run

from fault_support import PostgresServer, remount, small_disk

RECOVERY_S = 60  # the bar: in the store within a minute of the store answering again


@pytest.fixture(scope="module")
def trained(shared_engine):
    """One real finished job (logistic regression on iris), replayed as the engine's watcher tells it."""
    data = load_builtin("iris")
    spec = TrainingSpec(dataset=data, target=data.target, preprocessing=PreprocessConfig(),
                        family="logistic_regression", params={**FAMILIES["logistic_regression"].defaults(),
                                                              "max_iter": 30})
    job_id = shared_engine.submit(spec, "write-back")
    deadline = time.monotonic() + 300
    while not shared_engine.job(job_id, "write-back").finished and time.monotonic() < deadline:
        shared_engine.touch("write-back")
        time.sleep(0.05)
    state = shared_engine.job(job_id, "write-back")
    assert state.status == "completed" and state.result.evaluation.accuracy > 0.8
    return spec, state


def _run(spec, number: int):
    run = new_run(number, f"job-{number}", spec, {"kind": "builtin", "key": "iris"}, {})
    run.store_id = new_run_id()
    return run


def _page_write(writer: StoreWriter, pending: Pending) -> None:
    """What a page does (ui.state.workspace._write): kept when the store is in fault, else written, and kept
    when that write meets a fault."""
    if writer.defer(pending):
        return
    try:
        pending.call()
    except StoreFault as err:
        writer.refused(err, pending)


def _train_during_fault(store: Store, writer: StoreWriter, workspace: str, spec, state, number: int):
    """A run made while the store cannot write: created through the page's path, then its steps and end as
    the engine's watcher hears them."""
    run = _run(spec, number)
    _page_write(writer, Pending("create", lambda: create_run(store, workspace, run), workspace, run=run))
    recorder = RunRecorder(writer, workspace, run.store_id)
    live = JobState(job_id=run.job_id, owner=workspace, submitted_at=time.time(), status="running")
    for event in state.history:
        live.history = [*live.history, event]
        recorder.on_events(live, [event])
    recorder.on_finished(state)
    return run


def _store_finished(store: Store, workspace: str, spec, state, number: int):
    run = _run(spec, number)
    create_run(store, workspace, run)
    finish_run(store, workspace, run.store_id, "completed", state.history, state.result, None, "")
    return run


def _wait_written_back(writer: StoreWriter) -> None:
    deadline = time.monotonic() + RECOVERY_S
    while writer.fault is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert writer.fault is None, f"still in fault {RECOVERY_S} s after the store answered: {writer.fault}"


def _assert_stored_once(store: Store, workspace: str, runs_made, state) -> None:
    stored = load_runs(store, workspace)
    assert [r.store_id for r in stored] == [r.store_id for r in runs_made]
    for run in stored:
        assert run.status == "completed"
        assert run.result.evaluation.accuracy == state.result.evaluation.accuracy
        assert [h["step"] for h in run.history] == [h["step"] for h in state.history]
    with store.engine.connect() as conn:  # once: one row each, its curve and figures not doubled
        for run in runs_made:
            assert conn.execute(select(func.count()).select_from(runs).where(runs.c.id == run.store_id)).scalar() == 1
            assert conn.execute(select(func.count()).select_from(run_metrics).where(
                run_metrics.c.run_id == run.store_id, run_metrics.c.key == "loss")).scalar() == len(state.history)
            kinds = conn.execute(select(run_results.c.kind).where(run_results.c.run_id == run.store_id)).scalars()
            kinds = list(kinds)
            assert len(kinds) == len(set(kinds)) and "evaluation" in kinds


@pytest.fixture
def postgres_server():
    server = PostgresServer()
    try:
        yield server
    finally:
        server.remove()


def test_work_done_while_postgresql_is_down_is_written_back_once_when_it_starts_again(postgres_server, trained,
                                                                                      tmp_path):
    spec, state = trained
    postgres_server.start()
    store = Store(url=postgres_server.url, data_dir=tmp_path / "files")
    writer = StoreWriter(store)
    store.register_server()
    workspace = store.open_workspace(store.new_workspace())
    before = _store_finished(store, workspace, spec, state, 1)
    store.put_value(workspace, "train-settings", {"family": "mlp"})

    postgres_server.stop()
    _page_write(writer, Pending("value", lambda: store.put_value(workspace, "train-settings", {"family": "svm"}),
                                workspace, replaces=(workspace, "train-settings")))
    assert writer.fault and "database server cannot be reached" in writer.fault
    during = _train_during_fault(store, writer, workspace, spec, state, 2)
    _page_write(writer, Pending("value", lambda: store.put_value(workspace, "train-settings", {"family": "forest"}),
                                workspace, replaces=(workspace, "train-settings")))
    assert writer.flush()
    assert writer.pending_runs(workspace) == [during]  # other tabs of the workspace show it meanwhile
    with pytest.raises(StoreFault, match="cannot be reached"):  # a plain sentence, never the driver's text
        load_runs(store, workspace)

    postgres_server.start()
    _wait_written_back(writer)
    _assert_stored_once(store, workspace, [before, during], state)
    assert store.values(workspace)["train-settings"] == {"family": "forest"}  # the last value, not an older one
    assert writer.note(workspace)[1] == "1 run made while the store could not be written is now saved."
    assert writer.pending_runs(workspace) == [] and writer.waiting() == 0

    # Written again (a first try whose answer was lost), a run is still stored once.
    create_run(store, workspace, during)
    finish_run(store, workspace, during.store_id, "completed", state.history, state.result, None, "")
    _assert_stored_once(store, workspace, [before, during], state)
    writer.close()
    store.close()


def test_a_server_started_while_postgresql_is_down_keeps_a_new_workspace_and_writes_it_when_it_answers(
        postgres_server, tmp_path):
    postgres_server.start()
    Store(url=postgres_server.url, data_dir=tmp_path / "files").close()  # the schema made once
    postgres_server.stop()
    store = Store(url=postgres_server.url, data_dir=tmp_path / "files")  # no exception: it waits for the server
    assert store.fault and "cannot be reached" in store.fault
    writer = StoreWriter(store)
    token = new_token()
    workspace = workspace_id_of(token)
    _page_write(writer, Pending("workspace", lambda: store.new_workspace(token), workspace))
    _page_write(writer, Pending("value", lambda: store.put_value(workspace, "target", "species"), workspace))
    assert writer.pending_workspace(workspace)
    postgres_server.start()
    _wait_written_back(writer)
    assert store.open_workspace(token) == workspace
    assert store.values(workspace) == {"target": "species"}
    assert writer.note(workspace)[1] == "The changes made while the store could not be written are now saved."
    writer.close()
    store.close()


def test_a_read_only_folder_is_read_and_written_back_once_it_is_writable_again(trained, tmp_path):
    spec, state = trained
    with small_disk(tmp_path / "disk", "20m") as disk:
        store = Store(data_dir=disk)
        store.register_server()
        token = store.new_workspace()
        workspace = store.open_workspace(token)
        before = _store_finished(store, workspace, spec, state, 1)
        upload = store.put_file(workspace, "stars.csv", b"a,b\n1,2\n", "upload")
        store.close()
        remount(disk, "ro")

        read_only = Store(data_dir=disk)  # another app process, started on the read-only folder
        assert read_only.fault == ("This server's folder for saved work cannot be written (it is read-only), so "
                                   "this change was not saved.")
        writer = StoreWriter(read_only)
        assert writer.fault == read_only.fault
        assert read_only.open_workspace(token) == workspace
        [stored] = load_runs(read_only, workspace)
        assert stored.store_id == before.store_id and stored.result.evaluation.accuracy > 0.8
        assert read_only.read_file(workspace, upload) == b"a,b\n1,2\n"
        during = _train_during_fault(read_only, writer, workspace, spec, state, 2)
        assert writer.flush() and writer.pending_runs(workspace) == [during]

        remount(disk, "rw")
        _wait_written_back(writer)
        assert read_only.fault is None
        _assert_stored_once(read_only, workspace, [before, during], state)
        writer.close()
        read_only.close()


def test_a_damaged_file_gives_back_the_runs_whose_rows_are_intact_and_is_left_as_it_was(trained, tmp_path, caplog):
    spec, state = trained
    data = tmp_path / "data"
    store = Store(data_dir=data)
    workspace = store.open_workspace(store.new_workspace())
    intact = _store_finished(store, workspace, spec, state, 1)
    damaged_run = _run(spec, 2)
    create_run(store, workspace, damaged_run)
    many = [{"step": s, "loss": 1.0 / s, "accuracy": s / 5000} for s in range(1, 5001)]  # its own pages
    finish_run(store, workspace, damaged_run.store_id, "completed", many, state.result, None, "")
    with store.engine.connect() as conn:
        page_size = conn.exec_driver_sql("PRAGMA page_size").scalar()
        last_page = conn.exec_driver_sql("SELECT max(pageno) FROM dbstat WHERE name = 'run_metrics'").scalar()
    store.close()
    path = data / "mllab.sqlite3"
    with open(path, "r+b") as handle:  # the run_metrics page holding the second run's last steps, scribbled over
        handle.seek((last_page - 1) * page_size)
        handle.write(b"\xde\xad" * (page_size // 2))
    before = path.read_bytes()

    reopened = Store(data_dir=data)
    writer = StoreWriter(reopened)
    with caplog.at_level(logging.WARNING):
        salvaged = load_runs(reopened, workspace)
    assert [r.store_id for r in salvaged] == [intact.store_id]
    assert salvaged[0].result.evaluation.accuracy == state.result.evaluation.accuracy
    assert reopened.salvaged and "damaged" in reopened.fault
    assert any(".recover" in r.getMessage() for r in caplog.records)  # the log says how to restore it
    assert any("1 of 2 runs could not be read" in r.getMessage() for r in caplog.records)
    _page_write(writer, Pending("value", lambda: reopened.put_value(workspace, "target", "x"), workspace))
    assert writer.fault == reopened.fault  # nothing written into a damaged file: the sentence stays the damage's
    assert not reopened.try_writing()
    assert path.read_bytes() == before
    writer.close()
    reopened.close()
