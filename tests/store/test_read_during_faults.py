"""Reading never needs a write: a store that cannot write (a full disk, a read-only database) still opens a
workspace by its token and gives back its values and runs; an upload that does not fit leaves nothing behind
and says how much room it needed. Real file systems (a small tmpfs; the tests run as root, as in CI)."""

from __future__ import annotations

import logging
import shutil
import time
from datetime import datetime

import pytest
from sqlalchemy import update

from mllab.store import Store, StoreError, append_steps, create_run, load_runs
from mllab.store.schema import servers
from mllab.training.runs import Run

from fault_support import fill, small_disk


def stored_workspace(store: Store) -> tuple[str, str]:
    """A workspace with a value and a run whose app server is gone (so reading its runs would like to write)."""
    store.register_server()
    token = store.new_workspace()
    workspace = store.open_workspace(token)
    store.put_value(workspace, "target", "species")
    run = Run(number=1, job_id="job1", dataset_name="Iris flowers", target="species", family="mlp", params={},
              preprocessing={}, device_requested="CPU", started=datetime.now())
    run_id = create_run(store, workspace, run)
    append_steps(store, run_id, 0, 0, [{"step": s, "loss": 1.0 / s} for s in (1, 2)], status="running")
    with store.engine.begin() as conn:  # its server stopped beating long ago
        conn.execute(update(servers).values(heartbeat_at=time.time() - 3600))
    return token, workspace


def assert_reads(store: Store, token: str, workspace: str) -> None:
    assert store.open_workspace(token) == workspace
    assert store.values(workspace) == {"target": "species"}
    [run] = load_runs(store, workspace)
    assert run.number == 1 and [h["step"] for h in run.history] == [1, 2]


def test_a_read_only_store_opens_a_workspace_and_reads_its_values_and_runs(tmp_path, caplog):
    data = tmp_path / "data"
    store = Store(data_dir=data)
    token, workspace = stored_workspace(store)
    store.close()
    # Root ignores permission bits, so the database is opened read-only (SQLite's own flag), as test_faults.py does.
    read_only = Store(url=f"sqlite:///file:{data / 'mllab.sqlite3'}?mode=ro&uri=true", data_dir=data)
    with pytest.raises(StoreError, match="cannot be written"):
        read_only.put_value(workspace, "target", "other")
    with caplog.at_level(logging.INFO):
        caplog.clear()
        assert_reads(read_only, token, workspace)
    # The skipped bookkeeping is logged at info, never as a warning.
    assert caplog.records and all(r.levelno <= logging.INFO for r in caplog.records)
    assert read_only.open_workspace("A" * 24) is None  # a token that opens nothing still opens nothing
    read_only.close()


def test_a_full_disk_opens_a_workspace_and_reads_its_values_and_runs(tmp_path):
    with small_disk(tmp_path / "small", "3m") as disk:
        store = Store(data_dir=disk)
        token, workspace = stored_workspace(store)
        fill(disk)
        with pytest.raises(StoreError, match="full"):
            store.put_value(workspace, "big", "y" * 2_000_000)
        assert_reads(store, token, workspace)
        store.close()
        reopened = Store(data_dir=disk)  # another app process, started on the full disk
        assert_reads(reopened, token, workspace)
        reopened.close()


def test_an_upload_bigger_than_the_free_space_leaves_nothing_and_names_the_sizes(tmp_path):
    with small_disk(tmp_path / "small", "2m") as disk:
        store = Store(data_dir=disk)
        workspace = store.open_workspace(store.new_workspace())
        kept = store.put_file(workspace, "stars.csv", b"a,b\n1,2\n", "upload")
        with pytest.raises(StoreError) as refused:
            store.put_file(workspace, "catalogue.fits", b"x" * 3 * 1024 ** 2, "upload")
        message = str(refused.value)
        assert "3.0 MB" in message and "free" in message and "full" in message
        assert "frees room (the upload stars.csv (8 bytes))" in message  # what to delete: the largest items
        assert [p.name for p in (disk / "files").rglob("*") if p.is_file()] == [kept]
        assert [f["name"] for f in store.files(workspace)] == ["stars.csv"]
        store.close()


def test_an_upload_that_fills_the_disk_while_written_leaves_no_partial_file(tmp_path):
    """Free space looked enough, but the disk filled while the file or its database row was written: neither a
    temporary file nor a file the database does not know is left."""
    with small_disk(tmp_path / "small", "2m") as disk:
        store = Store(data_dir=disk)
        workspace = store.open_workspace(store.new_workspace())
        kept = store.put_file(workspace, "small.csv", b"a,b\n1,2\n", "upload")
        with pytest.raises(StoreError, match="full"):
            for i in range(100):  # each fits the free space measured before it, until the disk's overhead bites
                free = shutil.disk_usage(disk).free
                store.put_file(workspace, f"part{i}.bin", bytes([i]) * max(free - 4096, 1), "upload")
        assert not list((disk / "files").rglob(".incoming-*"))
        on_disk = {p.name for p in (disk / "files").rglob("*") if p.is_file()}
        assert on_disk == {f["sha256"] for f in store.files(workspace)}  # nothing stored that the store does not know
        assert store.read_file(workspace, kept) == b"a,b\n1,2\n"
        store.close()
