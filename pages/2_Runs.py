"""Runs page: every run of this session side by side; reopen any of them."""

import streamlit as st

from mllab.training import get_engine, runs_table
from ui import session, workspace
from ui.nav import sidebar
from ui.results import evaluation_panel, run_header
from ui.verdict_panel import SWITCH_KEY, load_run_settings

st.set_page_config(page_title="mllab · Runs", page_icon="🔭", layout="wide")
workspace.open_workspace()
engine = get_engine()
owner = session.owner_id()
session.sync_runs(engine, owner)
sidebar(engine)

if st.session_state.pop(SWITCH_KEY, False):  # a verdict button set the Train page up for the next run
    workspace.switch_page("pages/1_Train.py")
st.title("Runs")
runs = session.runs()
if not runs:
    st.info("No runs yet in this session. Train a model and it appears here.")
    workspace.page_link("pages/1_Train.py", label="Go to the Train page", icon=":material/arrow_forward:")
    st.stop()

table = runs_table(runs)
st.dataframe(
    table, hide_index=True, width="stretch",
    column_config={
        "Test accuracy": st.column_config.NumberColumn(format="%.3f"),
        "Macro F1": st.column_config.NumberColumn(format="%.3f"),
        "ROC AUC": st.column_config.NumberColumn(format="%.3f"),
        "Balanced accuracy": st.column_config.NumberColumn(format="%.3f"),
        "MCC": st.column_config.NumberColumn(format="%.3f"),
        "Kappa": st.column_config.NumberColumn(format="%.3f", help="Cohen's kappa"),
        "Baseline": st.column_config.NumberColumn(
            format="%.3f", help="What a model that looks at no feature scores on the same rows: accuracy of always "
                                "answering the most common class, or the RMSE of always predicting the mean"),
        "Verdict": st.column_config.TextColumn(width="medium", help="The verdict's warnings; open the run to read them"),
        "R²": st.column_config.NumberColumn(format="%.3f"),
        "RMSE": st.column_config.NumberColumn(format="%.4g"),
        "MAE": st.column_config.NumberColumn(format="%.4g"),
        "NMAD": st.column_config.NumberColumn(format="%.4f"),
        "Outliers": st.column_config.NumberColumn(format="percent", help="Share of |Δz|/(1+z) > 0.15"),
        "Settings": st.column_config.TextColumn(width="large"),
        "Validation": st.column_config.TextColumn(width="medium"),
    },
)

names = [run.name for run in runs]
chosen = st.selectbox("Open a run", names, index=len(names) - 1, key="open-run")
run = runs[names.index(chosen)]
run_header(run)
if st.button("Load these settings into the Train page", key="reopen-settings",
             help="Sets the model, hyperparameters and preprocessing as they were for this run."):
    load_run_settings(run)
    workspace.switch_page("pages/1_Train.py")
if not run.finished:
    st.info("This run is still training; its live curves are on the Train page.")
evaluation_panel(run, key=f"runs-{run.number}", from_runs_page=True)
