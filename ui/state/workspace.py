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
from mllab.store import (RETENTION_DAYS_ENV, Pending, RunRecorder, Store, StoreError, StoreFault, StoreWriter,
                         create_run, delete_run, load_runs, new_run_id, new_token, update_run_meta, valid_token,
                         workspace_id_of)
from mllab.training import Run
from ui.state import keys, session
from ui.state.navigation import TOKEN_PARAM, token  # noqa: F401 - the workspace's link is its token

log = logging.getLogger(__name__)

RECHECK_S = 5  # how often a page showing a store fault looks again

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
    writer = StoreWriter(store)  # a store opened for reading only starts it in fault: it checks, then writes back
    if store.fault is None:
        try:
            store.register_server()
            if days:
                removed = store.purge_unused(days)
                if removed:
                    log.info("removed %d workspaces unused for %s days", removed, days)
        except StoreFault as err:
            log.info("run store opened for reading only: %s", err)
            writer.fault = str(err)
    return store, writer, None


def cause_of(err: StoreError | str) -> str:
    """A store sentence without its ending, to go inside another sentence."""
    cause = str(err).replace(", so this change was not saved", "")
    return f"{cause[0].lower()}{cause[1:]}"


def store() -> Store | None:
    return _store()[0]


def writer() -> StoreWriter | None:
    return _store()[1]


def workspace_id() -> str | None:
    state = st.session_state.get(keys.WORKSPACE)
    return state[1] if state else None


def fault_sentence() -> str | None:
    """What the page says while the store cannot write, or None."""
    the_store, the_writer, _ = _store()
    if the_writer is None or not the_writer.fault:
        return None
    if the_store is not None and the_store.salvaged:
        return (f"{the_writer.fault} What could still be read from it is shown, read-only; new work is kept in "
                "this tab only, and the server's log says how an administrator restores the file.")
    return (f"New work cannot be saved just now: {cause_of(the_writer.fault)} Work saved before opens as usual, and "
            "what you do meanwhile is kept on this server and saved as soon as the store can be written again.")


def notices() -> None:
    """The store's sentences for this page: a link that opened nothing, a store that cannot be written (checked
    again every few seconds, so the warning goes once the store works), work written back after a fault."""
    notice = st.session_state.pop(keys.NOTICE, None)
    if notice:
        st.info(notice)
    _, the_writer, error = _store()
    if error:
        st.warning(error)
    elif the_writer is not None and workspace_id():
        if the_writer.fault:
            _while_in_fault()
        _saved_note()


@st.fragment(run_every=RECHECK_S)
def _while_in_fault() -> None:
    """The fault's sentence, looked at again every few seconds (only while there is a fault: a healthy store
    costs the forty browsers of a lecture no polling)."""
    fault = fault_sentence()
    if fault is None:
        st.rerun(scope="app")  # the store writes again: the page is drawn anew without the warning, with the note
    st.warning(fault)
    if st.session_state.get(keys.STORE_FAULT_TOLD) != fault:  # also where the user is looking, once per fault
        st.session_state[keys.STORE_FAULT_TOLD] = fault
        st.toast("New work cannot be saved just now; it is kept on this server and saved when the store can be "
                 "written again.", icon=":material/cloud_off:")


def _saved_note() -> None:
    """Once per session: what the writer wrote back for this workspace after a fault."""
    note = writer().note(workspace_id())
    if note and st.session_state.get(keys.STORE_NOTE_SHOWN) != note[0]:
        st.session_state[keys.STORE_NOTE_SHOWN] = note[0]
        st.success(note[1])
        st.toast(note[1], icon=":material/cloud_done:")  # the page's top may be scrolled out of view


def _write(call, kind: str = "change", replaces: tuple | None = None, run=None) -> bool:
    """Run one write of this workspace's; `call(store, workspace)` writes it. While the store cannot write, the
    write is kept by the store's writer and written back when it can (True: stored or kept). A refusal (a
    full workspace) becomes the page's sentence (False)."""
    the_store, the_writer, workspace = store(), writer(), workspace_id()
    if workspace is None or the_store is None:
        return False
    pending = Pending(kind, lambda: call(the_store, workspace), workspace, replaces=replaces, run=run)
    if the_writer.defer(pending):
        return True
    try:
        pending.call()
        return True
    except StoreFault as err:
        the_writer.refused(err, pending)
        return True
    except StoreError as err:
        st.session_state[keys.NOTICE] = f"{err} Your work is kept in this browser tab."
        return False


def new_workspace() -> str | None:
    """A new workspace's token; made while the store cannot write, the workspace is written back with the rest.
    None (and the page's sentence) when the store refused it."""
    made = new_token()
    st.session_state[keys.WORKSPACE] = (made, workspace_id_of(made))  # _write writes for the session's workspace
    if _write(lambda s, _w: s.new_workspace(made), "workspace"):
        return made
    return None


def made_during_fault(wanted: str) -> bool:
    """Whether a token's workspace was made while the store could not write and waits to be written."""
    the_writer = writer()
    return the_writer is not None and valid_token(wanted) and the_writer.pending_workspace(workspace_id_of(wanted))


def pending_runs(workspace: str) -> list:
    the_writer = writer()
    return the_writer.pending_runs(workspace) if the_writer is not None else []


def write_to_store(call) -> bool:
    """Run a write of a page's own (`call(store, workspace)`); kept while the store cannot write."""
    return _write(call)


def remember(key: str, value) -> None:
    """Keep a value in the workspace (written only when it changed since this session last wrote it)."""
    saved = st.session_state.setdefault(keys.SAVED, {})
    if saved.get(key, object()) == value:
        return
    if _write(lambda s, w: s.put_value(w, key, value), "value", replaces=(workspace_id(), key)):
        saved[key] = value


def keep_uploads(files: list[tuple[str, bytes]]) -> None:
    """Keep the uploaded files (once by content) so the data reopens without uploading again."""
    for name, data in files:
        if not _write(lambda s, w, name=name, data=data: s.put_file(w, name, data, "upload"), "file"):
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
        if _write(lambda s, w, key=key, records=records: s.put_value(w, key, {"codec": encode(records)}), "value",
                  replaces=(workspace_id(), key)):
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
    """Store a run just submitted, and have the engine's events written to it (kept while the store cannot
    write, and written back after its creation)."""
    the_writer, workspace = writer(), workspace_id()
    if the_writer is None or workspace is None:
        return
    run.store_id = run.store_id or new_run_id()
    if _write(lambda s, w: create_run(s, w, run), "create", run=run):
        engine.observe(run.job_id, RunRecorder(the_writer, workspace, run.store_id))


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
        _write(lambda s, w: update_run_meta(s, w, run.store_id, title=run.title or "", note=run.note,
                                            tags=list(run.tags)))


def forget_run(run: Run) -> None:
    if run.store_id:
        _write(lambda s, w: delete_run(s, w, run.store_id))


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
