"""The sidebar every page shares: the menu, and what the training workers are doing."""

from __future__ import annotations

import streamlit as st

from mllab.datasets import markdown_escape
from ui import presenter, session, workspace
from ui.inspection_model_panel import active_learning_curve, sync_learning_curves
from ui.search_session import active_search, sync_searches

# Material icons ship with Streamlit's front end; emoji need a font the viewer may lack.
PAGES = (("app.py", "Data", ":material/table_view:"), ("pages/1_Train.py", "Train", ":material/model_training:"),
         ("pages/2_Runs.py", "Runs", ":material/leaderboard:"), ("pages/5_Predict.py", "Predict", ":material/label:"),
         ("pages/3_Search.py", "Search", ":material/tune:"),
         ("pages/4_Workflows.py", "Workflows", ":material/school:"),
         ("pages/6_Classroom.py", "Classroom", ":material/groups:"))


def sidebar(engine, top=None) -> None:
    """The sidebar, and what goes at the top of the page: the presenter's bar, notices, a room's banner. `top`:
    a container made at the top of a page that draws its own widgets before calling this (the Data page)."""
    from ui.classroom_panel import room_banner
    from ui.share_panel import link_error

    presenter.apply()
    with top if top is not None else st.container():
        if presenter.presenting():  # the sidebar is hidden (still drawn: its heartbeat keeps runs alive)
            presenter.top_bar(PAGES, workspace.page_link)
        workspace.notices()
        link_error()
        room_banner()  # a room's member: the lecturer's newest push, at the top of every page
    with st.sidebar:
        st.markdown("### mllab")
        for path, label, icon in PAGES:
            workspace.page_link(path, label=label, icon=icon)
        presenter.sidebar_toggle()
        st.divider()
        _workspace_link()
        dataset = session.current_dataset()
        if dataset is not None:
            st.caption(f"Data: {markdown_escape(dataset.name)}")
        # A fixed slot: the heartbeat comes and goes with runs, and a last timed rerun of it after a run
        # ended once wrote into the place the workers' line had moved up to, showing that line twice.
        heartbeat_slot = st.container()
        if session.active_run() is not None or active_search() is not None or active_learning_curve() is not None:
            with heartbeat_slot:
                _heartbeat(engine)
        if engine.start_error:
            st.caption("Training workers: could not start")
        elif engine.wait_ready(0):
            where = engine.scheduler_address or f"{engine.n_workers} local worker processes"
            st.caption(f"Training workers: ready ({where})")
        else:
            st.caption("Training workers: starting…")


def _workspace_link() -> None:
    """The address that reopens this workspace anywhere: a refresh, a bookmark, another device."""
    token = workspace.token()
    if token is None:
        st.caption("Work is kept in this tab only (the run store is not available).")
        return
    with st.popover("Copy my workspace link", icon=":material/link:", width="stretch"):
        base = (st.context.url or "").split("?")[0]
        st.code(f"{base}?{workspace.TOKEN_PARAM}={token}", language=None, wrap_lines=True)
        st.caption("Anyone with this link opens this workspace: its data, settings and runs. Keep it to yourself; "
                   "bookmark it to come back, or open it on another device.")


@st.fragment(run_every=10)
def _heartbeat(engine) -> None:
    """While a run is active, keep telling the engine this browser is open, whatever the page.

    A user reading the Data page during a long run triggers no reruns; without this the engine
    would take the silence for a closed tab and stop the run.
    """
    session.sync_runs(engine, session.owner_id())
    sync_searches(engine, session.owner_id())
    sync_learning_curves(engine, session.owner_id())
    active = session.active_run()
    if active is not None:
        st.caption(f"{active.name}: {active.status} ({active.family_label})")
    search = active_search()
    if search is not None:
        st.caption(f"Search {search.number}: {search.message or search.status}")
    curve = active_learning_curve()
    if curve is not None:
        st.caption(f"Learning curve of Run {curve.run_number}: {curve.message or curve.status}")
