"""Predict page: a finished run's kept model applied to rows nobody has labelled, on a training worker;
the rows come back with the predicted class and each class's probability, to download."""

import streamlit as st

from mllab.errors import UserError
from mllab.training import get_engine
from mllab.training.prediction import PredictionSpec
from ui.pages import TRAIN
from ui.panels import predict as predict_panel
from ui.state import jobs, navigation, prediction, session, widget_keys
from ui.widgets.live import follow

engine = get_engine()
owner = session.owner_id()
st.caption("Use a trained model: classify the objects nobody has labelled yet, or check it on a test set of "
           "your own, and take the rows back with their predictions.")
ERROR_KEY = "predict-error"
runs = predict_panel.predictable_runs(session.runs())
if not runs:
    finished = [r for r in session.runs() if r.finished]
    why = (f"No finished run of this workspace ({len(finished)}) kept its trained model: K-fold runs train one "
           "per fold, and keeping can be turned off or the model be too large to keep. " if finished else
           "No run has kept its trained model yet. ")
    st.info(why + "On the Train page, leave 'Keep the trained model' ticked (it is by default) and train on a "
                  "hold-out split: the run's model is then offered here.")
    navigation.page_link(TRAIN, label="Go to the Train page", icon=":material/arrow_forward:")
    st.stop()

# A workbench, as on the Train page: the choices and the action on the left, the answer beside them (at 1280x720
# the predictions were below the first screen under the choices).
controls, output = st.columns([1, 2], gap="large")
with controls:
    numbers = [r.number for r in runs]
    if widget_keys.get(prediction.RUN_WIDGET) not in numbers:
        widget_keys.forget(prediction.RUN_WIDGET)
    number = st.selectbox("Trained model", numbers, key=prediction.RUN_WIDGET,
                          format_func=lambda n: predict_panel.run_label(next(r for r in runs if r.number == n)))
    run = next(r for r in runs if r.number == number)
    rows, rows_label = predict_panel.rows_choice(run)
job = prediction.job()
state = None
if job is not None:
    try:
        state = engine.job(job["job_id"], owner)
    except KeyError:  # the server restarted: the job went with it
        prediction.job_gone()
        job = None

with controls:
    predict_col, stop_col = st.columns(2)
    busy = state is not None and not state.finished
    predict_clicked = predict_col.button("Predict", type="primary", disabled=busy or rows is None, width="stretch",
                                         key="predict-button")
    stop_clicked = stop_col.button("Stop", disabled=not busy, width="stretch", key="predict-stop")
    widget_keys.show_flash(ERROR_KEY)

if stop_clicked and busy:
    engine.stop(job["job_id"], owner)
    st.rerun()

if predict_clicked and not busy and rows is not None:
    model_zip = predict_panel.kept_model(run)
    try:
        job_id = engine.submit(PredictionSpec(model_zip=model_zip, rows=rows, cleaning=run.cleaning, run_name=run.name,
                                              family=run.family), owner)
    except UserError as err:
        widget_keys.flash(ERROR_KEY, str(err), "error")
    else:
        prediction.started(job_id, run.name, rows_label)
    st.rerun()


def finish(job: dict, state) -> None:
    """Take the ended job's result into the session and the workspace."""
    engine.forget(job["job_id"], owner)
    if state.status == "failed" or state.result is None:
        prediction.job_gone()
        widget_keys.flash(ERROR_KEY, state.error or state.message, "error")
        return
    trained_by = next((r for r in session.runs() if r.name == job["run"]), None)
    prediction.finished({"result": state.result, "run": job["run"], "rows": job["rows"],
                         "provenance": predict_panel.provenance(trained_by, job["rows"], state.result)})


def draw_live_prediction(job: dict) -> bool:
    """The prediction's progress; True once it has ended (its result taken into the session first)."""
    try:
        state = engine.job(job["job_id"], owner)
    except KeyError:
        return False
    engine.touch(owner)
    st.progress(state.progress, text=jobs.progress_text(state.message, state.queue_position, idle=""))
    if state.finished:
        finish(job, state)
    return state.finished


with output:
    if job is not None and state is not None:
        if state.finished:
            finish(job, state)
            st.rerun()
        follow(lambda: draw_live_prediction(job))
    else:
        record = prediction.restored()
        if record is not None:
            predict_panel.result_panel(record)
        else:
            st.info("Choose the model and the rows, and press Predict: the rows come back here with the predicted "
                    "class first, and how sure the model is.")
