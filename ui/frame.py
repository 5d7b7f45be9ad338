"""The page frame: what runs around every page, once. `app.py` hands it the page `st.navigation` chose.

Before the page: the workspace is opened (or restored from the store), a share link in the URL is followed,
the held settings are put back on their widgets, the engine's jobs are synced, and the top of the page
(presenter bar, the store's notices, a link's error, a room's banner) and the sidebar (menu, workspace link,
heartbeat, workers) are drawn. After it: the settings the page's widgets hold and its finished searches and
learning curves are written to the workspace, and the training workers are started if they are not yet.
"""

from __future__ import annotations

import streamlit as st

from mllab.datasets import markdown_escape
from mllab.training import get_engine
from ui.pages import DATA, PAGES, TRAIN, key_of
from ui.panels.classroom import room_banner
from ui.panels.share import link_error
from ui.panels.shared_run import shared_run_page
from ui.state import jobs, navigation, opening, room, session, settings, workspace
from ui.widgets import presenter


def run(page: st.Page) -> None:
    """Draw `page` (the one `st.navigation` chose) inside the frame."""
    key = key_of(page)
    opening.open_workspace()
    run_link = st.query_params.get(opening.RUN_PARAM)
    if run_link is not None or st.query_params.get(opening.SETTINGS_PARAM) is not None:
        if workspace.store() is None or workspace.workspace_id() is None:
            st.error("This server cannot keep a run store just now, so share links cannot be opened.")
            st.stop()
        if run_link is not None:
            presenter.apply()
            shared_run_page(run_link)
            return
        if opening.follow_settings_link():
            navigation.switch_page(TRAIN)
    navigation.follow_pending_switch()
    if key == TRAIN:
        room.arrived_on_train()  # a room's Apply asked for this page: done
    settings.restore_widgets()
    # On the Data page the training workers start in the background once the page is drawn (below), so that
    # they are warm by the time the user presses Train; starting them first made the first visitor's page
    # wait, as their start (importing Dask, launching processes that import TensorFlow) took the CPU this run
    # needs. The other pages train, or show the workers' state: they start them at once.
    engine = get_engine(start=False)
    if key != DATA:
        engine.start()  # returns at once
    jobs.sync_all(engine, session.owner_id())
    data_caption = _frame(engine)
    try:
        page.run()
    finally:  # a page that ended early (st.stop) still starts the workers
        engine.start()
    _data_caption(data_caption)
    settings.capture()
    workspace.remember_data()
    workspace.remember_records()


def _frame(engine):
    """The top of the page and the sidebar; returns the sidebar's slot naming the data."""
    presenter.apply()
    if presenter.presenting():  # the sidebar is hidden (still drawn: its heartbeat keeps runs alive)
        presenter.top_bar()
    workspace.notices()
    link_error()
    room_banner()  # a room's member: the lecturer's newest push, at the top of every page
    with st.sidebar:
        st.markdown("### mllab")
        for spec in PAGES:
            navigation.page_link(spec.key, label=spec.title, icon=spec.icon)
        presenter.sidebar_toggle()
        st.divider()
        _workspace_link()
        data_caption = st.empty()
        _data_caption(data_caption)
        # A fixed slot: the heartbeat comes and goes with runs, and a last timed rerun of it after a run
        # ended once wrote into the place the workers' line had moved up to, showing that line twice.
        heartbeat_slot = st.container()
        if session.active_run() is not None or session.active_search() is not None or \
                session.active_learning_curve() is not None:
            with heartbeat_slot:
                _heartbeat(engine)
        if engine.start_error:
            st.caption("Training workers: could not start")
        elif engine.wait_ready(0):
            where = engine.scheduler_address or f"{engine.n_workers} local worker processes"
            st.caption(f"Training workers: ready ({where})")
        else:
            st.caption("Training workers: starting…")
    return data_caption


def _data_caption(slot) -> None:
    """The sidebar's "Data: …", drawn again after the page (the Data page may have loaded other data)."""
    dataset = session.current_dataset()
    if dataset is not None:
        slot.caption(f"Data: {markdown_escape(dataset.name)}")
    else:
        slot.empty()


def _workspace_link() -> None:
    """The address that reopens this workspace anywhere: a refresh, a bookmark, another device."""
    token = navigation.token()
    if token is None:
        st.caption("Work is kept in this tab only (the run store is not available).")
        return
    with st.popover("Copy my workspace link", icon=":material/link:", width="stretch"):
        base = (st.context.url or "").split("?")[0]
        st.code(f"{base}?{navigation.TOKEN_PARAM}={token}", language=None, wrap_lines=True)
        st.caption("Anyone with this link opens this workspace: its data, settings and runs. Keep it to yourself; "
                   "bookmark it to come back, or open it on another device.")


@st.fragment(run_every=10)
def _heartbeat(engine) -> None:
    """While a run is active, keep telling the engine this browser is open, whatever the page.

    A user reading the Data page during a long run triggers no reruns; without this the engine
    would take the silence for a closed tab and stop the run.
    """
    jobs.sync_all(engine, session.owner_id())
    active = session.active_run()
    if active is not None:
        st.caption(f"{active.name}: {active.status} ({active.family_label})")
    search = session.active_search()
    if search is not None:
        st.caption(f"Search {search.number}: {search.message or search.status}")
    curve = session.active_learning_curve()
    if curve is not None:
        st.caption(f"Learning curve of Run {curve.run_number}: {curve.message or curve.status}")
