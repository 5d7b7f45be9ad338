"""The workspace behind every page: the store is the source of truth, session state its cache.

On a page's first run in a browser session, `open_workspace` finds the workspace named by the URL's
`ws` token (or makes one), and fills the session from the store: the loaded data, its cleaning,
target and task, the Train and Search settings, every run. A refresh, a bookmark, another device
or a restarted server therefore show the same work. Later reruns only read the session.

What the user makes is written through as it is made (`remember`, `keep_uploads`, `record_run`);
the engine's runs are written by the store's writer thread as their steps arrive.

When the store cannot be used (a read-only folder, a damaged file, a full disk, a database server
down) the page says so in a sentence and the session goes on in memory as before.
"""

from __future__ import annotations

import logging
import os

import streamlit as st

from mllab.datasets import load_builtin
from mllab.errors import DataError
from mllab.io import read_uploads, server_folder
from mllab.prepare import CleaningChoices, apply_cleaning
from mllab.store.codec import CodecError, decode, encode
from mllab.store import (RETENTION_DAYS_ENV, RunRecorder, Store, StoreError, StoreWriter, create_run, delete_run,
                         load_runs, update_run_meta)
from mllab.training import Run
from ui import presenter, session

log = logging.getLogger(__name__)

TOKEN_PARAM = "ws"
_STATE = "workspace"  # (token, workspace id) of this session
_SAVED = "workspace-saved"  # what was last written per key, so a rerun writes only changes
_NOTICE = "workspace-notice"

# Widgets whose values a workspace keeps (the Train and Search pages' settings). Buttons are never
# listed: Streamlit refuses a button's value set from session state.
SETTING_PREFIXES = ("hp-", "pp-", "val-", "boundary-", "search-val-")
SETTING_KEYS = ("family", "keep-model", "device", "mixed-precision", "search-family", "search-strategy",
                "search-budget", "search-metric")
BUTTON_KEYS = frozenset({"train-button", "stop-button", "search-run", "search-stop", "search-train-best",
                         "reopen-settings"})


@st.cache_resource(show_spinner=False)
def _store() -> tuple[Store | None, StoreWriter | None, str | None]:
    """The process's store and its writer, or the sentence saying why there is none."""
    try:
        store = Store()
        store.register_server()
        days = os.environ.get(RETENTION_DAYS_ENV)
        if days:
            removed = store.purge_unused(float(days))
            if removed:
                log.info("removed %d workspaces unused for %s days", removed, days)
        return store, StoreWriter(store), None
    except (StoreError, ValueError) as err:
        log.warning("run store unavailable: %s", err)
        if not isinstance(err, StoreError):
            return None, None, f"{RETENTION_DAYS_ENV} must be a number of days."
        cause = str(err).replace(", so this change was not saved", "")
        return None, None, f"Your work cannot be saved on this server: {cause[0].lower()}{cause[1:]} It is kept in " \
                           "this browser tab only, until the store works again."


def store() -> Store | None:
    return _store()[0]


def workspace_id() -> str | None:
    state = st.session_state.get(_STATE)
    return state[1] if state else None


def token() -> str | None:
    state = st.session_state.get(_STATE)
    return state[0] if state else None


def link_params() -> dict:
    """Query parameters every link between pages carries, so the workspace stays in the URL."""
    current = token()
    return {**({TOKEN_PARAM: current} if current else {}), **presenter.link_params()}  # and ?present=1


def page_link(page: str, **kwargs) -> None:
    st.page_link(page, query_params=link_params(), **kwargs)


def switch_page(page: str):
    st.switch_page(page, query_params=link_params())


def open_workspace() -> None:
    """Call first on every page: open (or make) the URL's workspace, restoring the session from it; then
    follow a share link in the URL (`cfg`: settings into this workspace; `run`: one run, read-only)."""
    _open_workspace()
    from ui.share_panel import follow_link_params

    follow_link_params()


def _open_workspace() -> None:
    state = st.session_state.get(_STATE)
    wanted = st.query_params.get(TOKEN_PARAM)
    if state is not None and (wanted is None or wanted == state[0]):
        if wanted is None:  # a link without the token (switch_page, a typed address): put it back
            st.query_params[TOKEN_PARAM] = state[0]
        return
    the_store = store()
    if the_store is None:
        st.session_state[_STATE] = (None, None)
        return
    try:
        opened = the_store.open_workspace(wanted) if wanted is not None else None
        if opened is None:
            if wanted is not None:
                st.session_state[_NOTICE] = ("That workspace link opens nothing: it may be mistyped, or the workspace "
                                             "was removed after a long time unused. This is a new, empty workspace.")
            new_token = the_store.new_workspace()
            st.session_state[_STATE] = (new_token, the_store.open_workspace(new_token))
            st.query_params[TOKEN_PARAM] = new_token
            return
        _reset_session()
        st.session_state[_STATE] = (wanted, opened)
        _restore(the_store, opened)
    except StoreError as err:
        st.session_state[_STATE] = (None, None)
        st.session_state[_NOTICE] = f"{err} Your work is kept in this browser tab only."


def _reset_session() -> None:
    """Another workspace opened in this session: nothing of the previous one stays."""
    for key in list(st.session_state):
        del st.session_state[key]


def notices() -> None:
    """The store's sentences for this page: a link that opened nothing, a store that cannot be written."""
    notice = st.session_state.pop(_NOTICE, None)
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
        st.session_state[_NOTICE] = f"{err} Your work is kept in this browser tab."
        return False


def write_to_store(call) -> bool:
    """Run a write of a page's own (`call()` uses store() and workspace_id()); a fault becomes the page's sentence."""
    return _write(call)


def remember(key: str, value) -> None:
    """Keep a value in the workspace (written only when it changed since this session last wrote it)."""
    saved = st.session_state.setdefault(_SAVED, {})
    if saved.get(key, object()) == value:
        return
    if _write(lambda: store().put_value(workspace_id(), key, value)):
        saved[key] = value


def keep_uploads(files: list[tuple[str, bytes]]) -> None:
    """Keep the uploaded files (once by content) so the data reopens without uploading again."""
    for name, data in files:
        if not _write(lambda: store().put_file(workspace_id(), name, data, "upload")):
            return


def remember_settings() -> None:
    """Keep the Train and Search pages' widget values (call at the end of those pages)."""
    values = {}
    for key, value in st.session_state.items():
        if not isinstance(key, str) or key in BUTTON_KEYS:
            continue
        if key in SETTING_KEYS or key.startswith(SETTING_PREFIXES) or _is_search_setting(key):
            if isinstance(value, (bool, int, float, str)) or (
                    isinstance(value, (list, tuple)) and all(isinstance(v, (bool, int, float, str)) for v in value)):
                values[key] = list(value) if isinstance(value, tuple) else value
    remember("settings", values)


def remembered_settings() -> dict:
    """The Train and Search pages' widget values as last kept. On any other page Streamlit has already
    dropped those widgets' state, so this is where their values are then (the Classroom page's "push the
    settings on my Train page" reads them)."""
    return dict(st.session_state.get(_SAVED, {}).get("settings") or {})


def _is_search_setting(key: str) -> bool:
    # search-<family>-…: the Search page's per-family plan; its live tables and charts are not settings.
    return key.startswith("search-") and not key.startswith(("search-live", "search-table", "search-chart"))


# Searches and learning curves, kept whole once finished (a running one is the engine's until then).
RECORD_KEYS = ("searches", "learning-curves")


def remember_records() -> None:
    """Keep the session's finished searches and learning curves (called at the end of the pages that
    start them); written when one has finished since the last write."""
    for key in RECORD_KEYS:
        records = [r for r in st.session_state.get(key, []) if r.finished]
        signature = tuple((r.job_id, r.status) for r in records)
        if st.session_state.get(f"{_SAVED}-{key}", ()) == signature:
            continue
        if _write(lambda: store().put_value(workspace_id(), key, {"codec": encode(records)})):
            st.session_state[f"{_SAVED}-{key}"] = signature


def _restore_records(values: dict) -> None:
    for key in RECORD_KEYS:
        stored = values.get(key)
        if not stored:
            continue
        try:
            records = decode(stored["codec"])
        except (CodecError, KeyError, TypeError, ValueError):
            st.session_state[_NOTICE] = f"This workspace's {key.replace('-', ' ')} could not be read back."
            continue
        st.session_state[key] = records
        st.session_state[f"{_SAVED}-{key}"] = tuple((r.job_id, r.status) for r in records)


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


# -- restoring a session from the store ------------------------------------------------------------


def _restore(the_store: Store, workspace: str) -> None:
    values = the_store.values(workspace)
    st.session_state[_SAVED] = {k: v for k, v in values.items() if k not in RECORD_KEYS}
    data = values.get("data")
    if data:
        try:
            _restore_data(the_store, workspace, data, values)
        except (DataError, StoreError) as err:
            st.session_state[_NOTICE] = f"This workspace's data could not be opened again: {err}"
    for key, value in (values.get("settings") or {}).items():
        st.session_state[key] = value
    _restore_records(values)
    runs = load_runs(the_store, workspace)
    current = session.current_dataset()
    for run in runs:  # the inspection tabs look a run's rows up in the data it was trained on
        if current is not None and run.data_source == session.data_source() and \
                run.cleaning == (values.get("cleaning") or {}):
            run.dataset = current
    st.session_state["runs"] = runs


def _restore_data(the_store: Store, workspace: str, data: dict, values: dict) -> None:
    from ui.data import choices_key
    from ui.presets import BUILTIN_SOURCE
    from ui.task import set_task

    source = data.get("source") or {}
    kind = source.get("kind")
    if kind == "builtin":
        dataset = load_builtin(source["key"])
        st.session_state["data-source"] = BUILTIN_SOURCE
    elif kind == "upload":
        files = [(f["name"], the_store.read_file(workspace, f["sha256"])) for f in source.get("files", [])]
        dataset = read_uploads(files)
        st.session_state["data-source"] = "Upload a file"
    elif kind == "server":
        root = server_folder.folder()
        if root is None:
            raise DataError("this server no longer shares a data folder.")
        dataset = server_folder.read_server_file(source["name"], root)
        st.session_state["data-source"] = "File on the server"
        st.session_state["server-request"] = source["name"]
        st.session_state["server-file"] = source["name"]
    else:
        return
    digest = data["digest"]
    session.load_dataset(dataset, digest, data.get("target"), source)
    if kind == "upload":  # the Data page shows this file as loaded until another is chosen
        st.session_state["restored-upload"] = [f["name"] for f in source.get("files", [])]
    if values.get("cleaning"):
        choices = CleaningChoices.from_dict(values["cleaning"])
        session.set_cleaning_choices(choices)
        session.set_cleaned(choices_key(digest, choices), apply_cleaning(dataset, choices))
    task = values.get("task")
    if task and data.get("target"):
        set_task(dataset.name, data["target"], task[0], bool(task[1]))


def remember_data() -> None:
    """Keep what the Data page decided: where the data came from, its cleaning, target and task."""
    from ui.task import current_task

    raw, target = session.raw_dataset(), session.current_target()
    if raw is None or not session.data_source():
        return
    remember("data", {"source": session.data_source(), "digest": session.raw_digest(), "target": target})
    choices = session.cleaning_choices()
    if choices is not None:
        remember("cleaning", choices.as_dict())
    if target is not None and target in raw.frame.columns:
        task, redshift = current_task(raw, target)
        remember("task", [task, bool(redshift)])
