"""Runs page: every run of this session side by side; reopen any of them."""

import streamlit as st

from mllab.models import FAMILIES
from mllab.prepare import PREPROCESSING_SCHEMA
from mllab.training import VALIDATION_SCHEMA, ValidationConfig, get_engine, runs_table
from ui import session
from ui.nav import sidebar
from ui.params import set_widget_values
from ui.results import evaluation_panel, run_header
from ui.task import set_task

st.set_page_config(page_title="mllab · Runs", page_icon="🔭", layout="wide")
engine = get_engine()
owner = session.owner_id()
session.sync_runs(engine, owner)
sidebar(engine)

st.title("Runs")
runs = session.runs()
if not runs:
    st.info("No runs yet in this session. Train a model and it appears here.")
    st.page_link("pages/1_Train.py", label="Go to the Train page", icon=":material/arrow_forward:")
    st.stop()

table = runs_table(runs)
st.dataframe(
    table, hide_index=True, width="stretch",
    column_config={
        "Test accuracy": st.column_config.NumberColumn(format="%.3f"),
        "Macro F1": st.column_config.NumberColumn(format="%.3f"),
        "ROC AUC": st.column_config.NumberColumn(format="%.3f"),
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
    st.session_state.family = run.family
    set_task(run.dataset_name, run.target, run.task, run.redshift)
    set_widget_values(FAMILIES[run.family].params, f"hp-{run.family}", run.params)
    set_widget_values(PREPROCESSING_SCHEMA, "pp", run.preprocessing)
    set_widget_values(VALIDATION_SCHEMA, "val", run.validation or ValidationConfig().as_dict())
    st.switch_page("pages/1_Train.py")
if not run.finished:
    st.info("This run is still training; its live curves are on the Train page.")
evaluation_panel(run, key=f"runs-{run.number}")
