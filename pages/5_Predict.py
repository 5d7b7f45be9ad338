"""Predict page: a finished run's kept model applied to rows nobody has labelled, on a training worker;
the rows come back with the predicted class and each class's probability, to download."""

import streamlit as st

from mllab.errors import UserError
from mllab.training import get_engine
from mllab.training.prediction import PredictionSpec
from ui import predict_panel, session, workspace
from ui.nav import sidebar

st.set_page_config(page_title="mllab · Predict", page_icon="🔭", layout="wide")
workspace.open_workspace()
engine = get_engine()
owner = session.owner_id()
session.sync_runs(engine, owner)
sidebar(engine)

st.title("Predict")
st.caption("Use a trained model: classify the objects nobody has labelled yet, or check it on a test set of "
           "your own, and take the rows back with their predictions.")
JOB_KEY, ERROR_KEY = "predict-job", "predict-error"
runs = predict_panel.predictable_runs(session.runs())
if not runs:
    finished = [r for r in session.runs() if r.finished]
    why = (f"No finished run of this workspace ({len(finished)}) kept its trained model: K-fold runs train one "
           "per fold, and keeping can be turned off or the model be too large to keep. " if finished else
           "No run has kept its trained model yet. ")
    st.info(why + "On the Train page, leave 'Keep the trained model' ticked (it is by default) and train on a "
                  "hold-out split: the run's model is then offered here.")
    workspace.page_link("pages/1_Train.py", label="Go to the Train page", icon=":material/arrow_forward:")
    st.stop()

numbers = [r.number for r in runs]
if st.session_state.get("predict-run") not in numbers:
    st.session_state.pop("predict-run", None)
number = st.selectbox("Trained model", numbers, key="predict-run",
                      format_func=lambda n: predict_panel.run_label(next(r for r in runs if r.number == n)))
run = next(r for r in runs if r.number == number)
rows, rows_label = predict_panel.rows_choice(run)
job = st.session_state.get(JOB_KEY)
state = None
if job is not None:
    try:
        state = engine.job(job["job_id"], owner)
    except KeyError:  # the server restarted: the job went with it
        st.session_state.pop(JOB_KEY, None)
        job = None

predict_col, stop_col, _ = st.columns([1, 1, 3])
busy = state is not None and not state.finished
predict_clicked = predict_col.button("Predict", type="primary", disabled=busy or rows is None, width="stretch",
                                     key="predict-button")
stop_clicked = stop_col.button("Stop", disabled=not busy, width="stretch", key="predict-stop")
if error := st.session_state.pop(ERROR_KEY, None):
    st.error(error)

if stop_clicked and busy:
    engine.stop(job["job_id"], owner)
    st.rerun()

if predict_clicked and not busy and rows is not None:
    model_zip = predict_panel.kept_model(run)
    try:
        job_id = engine.submit(PredictionSpec(model_zip=model_zip, rows=rows, cleaning=run.cleaning, run_name=run.name,
                                              family=run.family), owner)
    except UserError as err:
        st.session_state[ERROR_KEY] = str(err)
    else:
        st.session_state[JOB_KEY] = {"job_id": job_id, "run": run.name, "rows": rows_label}
    st.rerun()


def finish(job: dict, state) -> None:
    """Take the ended job's result into the session and the workspace."""
    st.session_state.pop(JOB_KEY, None)
    engine.forget(job["job_id"], owner)
    if state.status == "failed" or state.result is None:
        st.session_state[ERROR_KEY] = state.error or state.message
        return
    record = {"result": state.result, "run": job["run"], "rows": job["rows"]}
    st.session_state[predict_panel.RESULT_KEY] = record
    predict_panel.remember(record)


@st.fragment(run_every=0.5)
def live(job: dict) -> None:
    try:
        state = engine.job(job["job_id"], owner)
    except KeyError:
        return
    engine.touch(owner)
    label = state.message
    if state.queue_position:
        label += f" · number {state.queue_position} in the queue"
    st.progress(state.progress, text=label)
    if state.finished:
        finish(job, state)
        st.rerun()


if job is not None and state is not None:
    if state.finished:
        finish(job, state)
        st.rerun()
    live(job)
else:
    record = predict_panel.restored()
    if record is not None:
        predict_panel.result_panel(record)
