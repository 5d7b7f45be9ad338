"""The workspace's store, read and written for the session: the store is the source of truth, session
state its cache (`ui.state.opening` restores a session from it).

What the user makes is written through as it is made (`remember`, `keep_uploads`, `record_run`);
the engine's runs are written by the store's writer thread as their steps arrive.

When the store cannot be used (a read-only folder, a damaged file, a full disk, a database server
down) the page says so in a sentence and the session goes on in memory as before.
"""

from __future__ import annotations

import logging
import os

import streamlit as st

from mllab.store.codec import CodecError, decode, encode
from mllab.store import (RETENTION_DAYS_ENV, RunRecorder, Store, StoreError, StoreWriter, create_run, delete_run,
                         load_runs, update_run_meta)
from mllab.training import Run
from ui.state import keys, session
from ui.state.navigation import TOKEN_PARAM, token  # noqa: F401 - the workspace's link is its token

log = logging.getLogger(__name__)

@st.cache_resource(show_spinner=False)
def _store() -> tuple[Store | None, StoreWriter | None, str | None]:
    """The process's store and its writer, or the sentence saying why there is none."""
    try:
        store = Store()
        days = float(os.environ.get(RETENTION_DAYS_ENV) or 0)
    except (StoreError, ValueError) as err:
        log.warning("run store unavailable: %s", err)
        if not isinstance(err, StoreError):
            return None, None, f"{RETENTION_DAYS_ENV} must be a number of days."
        return None, None, f"Your work cannot be saved on this server: {cause_of(err)} It is kept in this browser " \
                           "tab only, until the store works again."
    writer = StoreWriter(store)
    try:
        store.register_server()
        if days:
            removed = store.purge_unused(days)
            if removed:
                log.info("removed %d workspaces unused for %s days", removed, days)
    except StoreError as err:
        # A store that cannot write (full disk, read-only folder) still opens saved work: only new work waits.
        # The writer's heartbeat registers this server once writes go through again.
        log.info("run store opened for reading only: %s", err)
        writer.fault = f"Work saved before opens as usual, but new work cannot be saved on this server: {cause_of(err)}"
    return store, writer, None


def cause_of(err: StoreError) -> str:
    """A store sentence without its ending, to go inside another sentence."""
    cause = str(err).replace(", so this change was not saved", "")
    return f"{cause[0].lower()}{cause[1:]}"


def store() -> Store | None:
    return _store()[0]


def workspace_id() -> str | None:
    state = st.session_state.get(keys.WORKSPACE)
    return state[1] if state else None


def notices() -> None:
    """The store's sentences for this page: a link that opened nothing, a store that cannot be written."""
    notice = st.session_state.pop(keys.NOTICE, None)
    if notice:
        st.info(notice)
    _, writer, error = _store()
    if error:
        st.warning(error)
    elif writer is not None and writer.fault and workspace_id():
        st.warning(f"{writer.fault} Your work is kept in this browser tab meanwhile.")


def _write(call) -> bool:
    """Run one write; a StoreError becomes the page's sentence. Returns whether it was stored."""
    if workspace_id() is None or store() is None:
        return False
    try:
        call()
        return True
    except StoreError as err:
        st.session_state[keys.NOTICE] = f"{err} Your work is kept in this browser tab."
        return False


def write_to_store(call) -> bool:
    """Run a write of a page's own (`call()` uses store() and workspace_id()); a fault becomes the page's sentence."""
    return _write(call)


def remember(key: str, value) -> None:
    """Keep a value in the workspace (written only when it changed since this session last wrote it)."""
    saved = st.session_state.setdefault(keys.SAVED, {})
    if saved.get(key, object()) == value:
        return
    if _write(lambda: store().put_value(workspace_id(), key, value)):
        saved[key] = value


def keep_uploads(files: list[tuple[str, bytes]]) -> None:
    """Keep the uploaded files (once by content) so the data reopens without uploading again."""
    for name, data in files:
        if not _write(lambda: store().put_file(workspace_id(), name, data, "upload")):
            return


# Searches and learning curves, kept whole once finished (a running one is the engine's until then).
RECORD_KEYS = (keys.SEARCHES, keys.LEARNING_CURVES)


def remember_records() -> None:
    """Keep the session's finished searches and learning curves (the frame calls it after every page); written
    when one has finished since the last write."""
    for key in RECORD_KEYS:
        records = [r for r in st.session_state.get(key, []) if r.finished]
        signature = tuple((r.job_id, r.status) for r in records)
        if st.session_state.get(f"{keys.SAVED}-{key}", ()) == signature:
            continue
        if _write(lambda: store().put_value(workspace_id(), key, {"codec": encode(records)})):
            st.session_state[f"{keys.SAVED}-{key}"] = signature


def restore_records(values: dict) -> None:
    for key in RECORD_KEYS:
        stored = values.get(key)
        if not stored:
            continue
        try:
            records = decode(stored["codec"])
        except (CodecError, KeyError, TypeError, ValueError):
            st.session_state[keys.NOTICE] = f"This workspace's {key.replace('-', ' ')} could not be read back."
            continue
        st.session_state[key] = records
        st.session_state[f"{keys.SAVED}-{key}"] = tuple((r.job_id, r.status) for r in records)


def record_run(run: Run, engine) -> None:
    """Store a run just submitted, and have the engine's events written to it."""
    _, writer, _ = _store()

    def write():
        run_id = create_run(store(), workspace_id(), run)
        engine.observe(run.job_id, RunRecorder(writer, workspace_id(), run_id))

    _write(write)


def kept_file(sha256: str) -> bytes | None:
    """The bytes of a file this workspace keeps (an upload), or None."""
    if workspace_id() is None or store() is None:
        return None
    try:
        return store().read_file(workspace_id(), sha256)
    except StoreError:
        return None


def save_run_meta(run: Run) -> None:
    if run.store_id:
        _write(lambda: update_run_meta(store(), workspace_id(), run.store_id, title=run.title or "", note=run.note,
                                       tags=list(run.tags)))


def forget_run(run: Run) -> None:
    if run.store_id:
        _write(lambda: delete_run(store(), workspace_id(), run.store_id))


def reload_run(run: Run) -> Run | None:
    """The stored version of a run (after another tab of the workspace saw it end)."""
    if not run.store_id or store() is None:
        return None
    try:
        return next(iter(load_runs(store(), workspace_id(), run.store_id)), None)
    except StoreError:
        return None


def remember_data() -> None:
    """Keep what the Data page decided: where the data came from, its cleaning, target and task."""
    raw, target = session.raw_dataset(), session.current_target()
    if raw is None or not session.data_source():
        return
    remember("data", {"source": session.data_source(), "digest": session.raw_digest(), "target": target})
    choices = session.cleaning_choices()
    if choices is not None:
        remember("cleaning", choices.as_dict())
    if target is not None and target in raw.frame.columns:
        task, redshift = session.current_task(raw, target)
        remember("task", [task, bool(redshift)])
