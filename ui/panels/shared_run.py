"""The page a run link (`?run=`) opens: one run from a copy with no store id, owner's name, note, tags or
model file, so nothing reached through the link can change or delete the run; "Use these settings" sets the
run's data and settings up in the opener's own workspace."""

from __future__ import annotations

import streamlit as st

from mllab import charts
from mllab.errors import UserError
from mllab.store import StoreError
from mllab.store.shares import open_shared_run, use_shared_run
from ui.pages import DATA, TRAIN
from ui.panels.results import learning_curves, run_header, settings_text
from ui.state import navigation, opening, transactions, workspace


def shared_run_page(link_id: str) -> None:
    """The page a run link opens, whatever page its address names: one run, read-only."""
    st.title("A shared run")
    try:
        run = open_shared_run(workspace.store(), link_id)
    except (UserError, StoreError) as err:
        st.error(str(err))
        navigation.page_link(DATA, label="Open your own workspace", icon=":material/table_view:")
        return
    st.caption("Read-only: someone shared this run with you. It stays theirs; nothing here changes it, and the link "
               "opens nothing else of their work.")
    run_header(run)
    result = run.result
    if result is not None:
        evaluation = result.evaluation
        summary = evaluation.summary()
        baseline = getattr(result, "baseline", None)
        metric, label = ("r2", "Test R²") if run.task == "regression" else ("accuracy", "Test accuracy")
        cols = st.columns(3)
        cols[0].metric(label, f"{summary[metric]:.3f}")
        if baseline is not None and baseline.score(metric) is not None:
            cols[1].metric("Baseline (no features)", f"{baseline.score(metric):.3f}")
        cols[2].metric("Duration", f"{result.duration_s:.1f} s")
    elif run.error:
        st.error(run.error)
    learning_curves(run, key="shared-run")
    if result is not None and run.task != "regression":
        st.plotly_chart(charts.confusion_matrix_figure(result.evaluation, normalised=False), key="shared-confusion",
                        width="stretch")
    settings_text(run)
    navigation.page_link(DATA, label="Open your own workspace", icon=":material/table_view:")
    if st.button("Use these settings", key="shared-run-use", type="primary", icon=":material/content_copy:",
                 help="Sets up this run's data and settings in your own workspace's Train page."):
        try:
            transactions.apply_settings(use_shared_run(workspace.store(), link_id, workspace.workspace_id()))
        except (UserError, StoreError) as err:
            st.error(str(err))
            return
        opening.drop_run_link()
        navigation.switch_page(TRAIN)
