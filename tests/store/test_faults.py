"""What a user or an administrator can do to the store: kill the server mid-run, make the folder
read-only, damage the file, fill the disk, fill the workspace. Each ends in a sentence, and
nothing stored before is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mllab.store import Store, StoreError, WorkspaceFull, load_runs
from mllab.store.database import describe_fault

ROOT = Path(__file__).resolve().parents[2]

# A stand-in for an app server: opens the store, starts a run, records three steps, then waits to be killed.
SERVER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from datetime import datetime
    from mllab.store import Store, append_steps, create_run
    from mllab.training.runs import Run

    store = Store(url={url!r}, data_dir={data!r})
    store.register_server()
    workspace = store.open_workspace({token!r})
    run = Run(number=2, job_id="job2", dataset_name="Iris flowers", target="species", family="mlp", params={{}},
              preprocessing={{}}, device_requested="CPU", started=datetime.now())
    run_id = create_run(store, workspace, run)
    append_steps(store, run_id, 0, 0, [{{"step": s, "loss": 1.0 / s, "val_loss": 1.2 / s}} for s in (1, 2, 3)],
                 status="running")
    print(run_id, flush=True)
    time.sleep(600)
""")


def test_a_server_killed_mid_run_leaves_the_run_interrupted_with_its_curve(store, tmp_path):
    token = store.new_workspace()
    workspace = store.open_workspace(token)
    script = SERVER.format(root=str(ROOT), url=store.url, data=str(store.data_dir), token=token)
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    run_id = server.stdout.readline().strip()
    assert run_id, "the stand-in server did not start its run"
    [running] = load_runs(store, workspace)
    assert running.status == "running"  # its server is alive: not interrupted
    os.kill(server.pid, signal.SIGKILL)
    server.wait()

    restarted = Store(url=store.url, data_dir=store.data_dir)
    restarted.register_server()  # what the app does on start: runs of dead servers are marked
    [run] = load_runs(restarted, workspace)
    assert run.status == "interrupted" and run.finished
    assert "Interrupted" in run.error
    assert [h["step"] for h in run.history] == [1, 2, 3] and run.history[-1]["loss"] == pytest.approx(1 / 3)
    restarted.close()


def test_a_damaged_database_file_gives_a_sentence_and_is_left_as_it_was(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    damaged = data / "mllab.sqlite3"
    damaged.write_bytes(b"this is not a database, but somebody's bytes" * 100)
    before = damaged.read_bytes()
    with pytest.raises(StoreError, match="damaged"):
        Store(data_dir=data)
    assert damaged.read_bytes() == before


def test_a_read_only_folder_gives_a_sentence(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data_dir=data)
    token = store.new_workspace()
    workspace = store.open_workspace(token)
    store.put_value(workspace, "target", "species")
    store.close()
    # root ignores permission bits, so the folder is made read-only the way an administrator's mount
    # would be: by opening the database read-only (SQLite's own flag), the same error as EROFS.
    read_only = Store(url=f"sqlite:///file:{data / 'mllab.sqlite3'}?mode=ro&uri=true", data_dir=data)
    assert read_only.values(workspace) == {"target": "species"}  # what was stored is still read
    with pytest.raises(StoreError, match="cannot be written"):
        read_only.put_value(workspace, "target", "other")
    read_only.close()
    assert Store(data_dir=data).values(workspace) == {"target": "species"}


def test_a_full_disk_gives_a_sentence_and_keeps_what_was_stored(tmp_path):
    """A real full file system: a 2 MB tmpfs (CI runs as root, as the README's test command does here)."""
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                             capture_output=True).returncode == 0
    assert mounted, "a 2 MB tmpfs could not be mounted for the full-disk test (the tests run as root in CI)"
    try:
        store = Store(data_dir=mount)
        workspace = store.open_workspace(store.new_workspace())
        store.put_value(workspace, "target", "species")
        kept = store.put_file(workspace, "small.csv", b"a,b\n1,2\n", "upload")
        with pytest.raises(StoreError, match="full"):
            for i in range(100):
                store.put_file(workspace, f"big{i}.bin", os.urandom(256 * 1024), "upload")
        assert store.values(workspace) == {"target": "species"}
        assert store.read_file(workspace, kept) == b"a,b\n1,2\n"
        store.close()
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_workspace_says_what_to_delete(tmp_path):
    store = Store(data_dir=tmp_path / "data", max_workspace_bytes=300_000)
    workspace = store.open_workspace(store.new_workspace())
    store.put_file(workspace, "catalogue.fits", b"x" * 200_000, "upload")
    with pytest.raises(WorkspaceFull) as full:
        store.put_file(workspace, "second.fits", b"y" * 200_000, "upload")
    message = str(full.value)
    assert "Runs page" in message and "catalogue.fits" in message and "MB" in message
    assert [f["name"] for f in store.files(workspace)] == ["catalogue.fits"]


def test_retention_removes_only_workspaces_unused_for_that_long(tmp_path):
    from sqlalchemy import update

    from mllab.store.schema import workspaces

    store = Store(data_dir=tmp_path / "data")
    old, recent = (store.open_workspace(store.new_workspace()) for _ in range(2))
    sha = store.put_file(old, "old.csv", b"old,data\n", "upload")
    with store.engine.begin() as conn:
        conn.execute(update(workspaces).where(workspaces.c.id == old).values(last_seen_at=time.time() - 40 * 86400))
    assert store.purge_unused(30) == 1
    assert not store.workspace_exists(old) and store.workspace_exists(recent)
    assert not store._path(sha).exists()


def test_fault_sentences_name_the_cause():
    assert "full" in describe_fault(OSError(28, "No space left on device"))
    assert "locked" in describe_fault(Exception("database is locked"))
