"""Opening the session's workspace, and following a settings link, before any page is drawn (the frame).

On a browser session's first run, `open_workspace` finds the workspace named by the URL's `ws` token (or
makes one) and fills the session from the store: the loaded data, its cleaning, target and task, the Train
and Search settings, every run. A refresh, a bookmark, another device or a restarted server therefore show
the same work. Later reruns only read the session.
"""

from __future__ import annotations

import streamlit as st

from mllab.errors import DataError, UserError
from mllab.prepare import CleaningChoices
from mllab.store import Store, StoreError, load_runs, workspace_id_of
from mllab.store.rooms import room_for_lecturer
from mllab.store.shares import open_settings
from ui.state import keys, navigation, room, session, settings, transactions, workspace

SETTINGS_PARAM, RUN_PARAM = "cfg", "run"


def open_workspace() -> None:
    """Open (or make) the URL's workspace, restoring the session from it."""
    state = st.session_state.get(keys.WORKSPACE)
    wanted = st.query_params.get(navigation.TOKEN_PARAM)
    if state is not None and (wanted is None or wanted == state[0]):
        # A link without the token (switch_page, a typed address): put it back, unless the hall sees this address.
        if wanted is None and state[0] and not navigation.lecturing():
            st.query_params[navigation.TOKEN_PARAM] = state[0]
        return
    the_store = workspace.store()
    if the_store is None:
        st.session_state[keys.WORKSPACE] = (None, None)
        return
    lecture = _kept_lecture(the_store) if state is None and wanted is None else None
    if lecture is not None:
        wanted = lecture[0]
    try:
        opened = the_store.open_workspace(wanted) if wanted is not None else None
        if opened is None and wanted is not None and workspace.made_during_fault(wanted):
            opened = workspace_id_of(wanted)
        if opened is None:
            if wanted is not None:
                st.session_state[keys.NOTICE] = ("That workspace link opens nothing: it may be mistyped, or the "
                                                 "workspace was removed after a long time unused. This is a new, "
                                                 "empty workspace.")
            new_token = workspace.new_workspace()
            if new_token is None:  # refused outright: the visitor works in memory, and is told so
                st.session_state[keys.WORKSPACE] = (None, None)
                return
            st.session_state[keys.WORKSPACE] = (new_token, workspace_id_of(new_token))
            st.query_params[navigation.TOKEN_PARAM] = new_token
            return
        _reset_session()
        st.session_state[keys.WORKSPACE] = (wanted, opened)
        _restore(the_store, opened)
        if lecture is not None:
            room.set_lecturer_secret(lecture[1])
    except StoreError as err:
        st.session_state[keys.WORKSPACE] = (None, None)
        st.session_state[keys.NOTICE] = f"{err} Your work is kept in this browser tab only."


def _kept_lecture(the_store: Store) -> tuple[str, str] | None:
    """A refresh of a lecturer's page: the address carries no token (ui.state.room keeps it off the hall's
    screen), the browser's lecture cookie does. Used only while its room is open and no lecturer link is in
    the address; otherwise the visitor gets a workspace as usual."""
    kept = room.lecture_from_cookie()
    if kept is None or st.query_params.get(room.ADMIN_PARAM) is not None:
        return None
    try:
        lectured = room_for_lecturer(the_store, kept[1])
    except StoreError:
        return None
    return kept if lectured is not None and lectured.usable else None


def _reset_session() -> None:
    """Another workspace opened in this session: nothing of the previous one stays."""
    for key in list(st.session_state):
        del st.session_state[key]


def _restore(the_store: Store, workspace_id: str) -> None:
    values = the_store.values(workspace_id)
    st.session_state[keys.SAVED] = {k: v for k, v in values.items() if k not in workspace.RECORD_KEYS}
    data = values.get("data")
    if data:
        try:
            _restore_data(data, values)
        except (DataError, StoreError, UserError) as err:
            st.session_state[keys.NOTICE] = f"This workspace's data could not be opened again: {err}"
    settings.hold_stored(values.get(keys.SETTINGS) or {})
    workspace.restore_records(values)
    runs = load_runs(the_store, workspace_id)
    stored = {run.store_id for run in runs}
    # Runs made in this workspace while the store could not write wait in the server's writer: shown too.
    runs += [run for run in workspace.pending_runs(workspace_id) if run.store_id not in stored]
    current = session.current_dataset()
    for run in runs:  # the inspection tabs look a run's rows up in the data it was trained on
        if current is not None and run.data_source == session.data_source() and \
                run.cleaning == (values.get("cleaning") or {}):
            run.dataset = current
    session.set_runs(runs)


def _restore_data(data: dict, values: dict) -> None:
    source = data.get("source") or {}
    if source.get("kind") not in ("builtin", "upload", "server"):
        return
    raw = transactions.read_source(source)
    choices = CleaningChoices.from_dict(values["cleaning"]) if values.get("cleaning") else None
    transactions.make_data_current(raw, source, data.get("target"), choices)
    task = values.get("task")
    if task and data.get("target"):
        session.set_task(raw.name, data["target"], task[0], bool(task[1]))


# -- a settings link (`?cfg=`): its data and settings into this workspace, then the Train page ----------------

def follow_settings_link() -> bool:
    """Act on a `cfg` parameter in the URL. Returns True when the Train page is due (the settings were applied);
    a link that opened nothing leaves its sentence for `take_link_error`."""
    wanted = st.query_params.get(SETTINGS_PARAM)
    if wanted is None or st.session_state.get(keys.LINK_FOLLOWED) == wanted:
        return False
    st.session_state[keys.LINK_FOLLOWED] = wanted
    try:
        transactions.apply_settings(open_settings(workspace.store(), wanted, workspace.workspace_id()))
    except (UserError, StoreError) as err:
        st.session_state[keys.LINK_ERROR] = str(err)
        del st.query_params[SETTINGS_PARAM]
        return False
    return True


def take_link_error() -> str | None:
    """The sentence for a link that opened nothing (shown by the page the link landed on), once."""
    return st.session_state.pop(keys.LINK_ERROR, None)


def drop_run_link() -> None:
    del st.query_params[RUN_PARAM]
