"""Train page, laid out as a workbench: the settings (grouped, folded) on the left; on the right, the actions
(Train, Stop; Pause, One epoch and Resume while a run trains), the progress and the live curve at the top, in
view without scrolling, and under them the result."""

import streamlit as st

from mllab.datasets import markdown_escape
from mllab.errors import UserError
from mllab.models import FAMILIES, DataShape, families_for
from mllab.params import applicable
from mllab.prepare import PREPROCESSING_SCHEMA, PreprocessConfig
from mllab.training import TrainingSpec, ValidationConfig, get_engine
from ui.panels.boundary import live_boundary_panel
from ui.panels.family_comparison import compare_button, comparison_panel, showing_comparison, start_comparison
from ui.panels.classroom import put_on_board, refuse_if_frozen, room_mode, room_train_note
from ui.panels.inspection_model import learning_curve_panel
from ui.panels.model_summary import layer_summary_panel
from ui.panels.pause import live_progress_text, pause_controls
from ui.panels.results import evaluation_panel, learning_curves, run_header
from ui.panels.share import applied_note, share_settings_button
from ui.panels.validation import live_fold_scores, supplied_parts, validation_settings
from ui.panels.verdict import boundary_settings
from ui.panels.workflow import applied_step_note
from ui.state import jobs, session, settings, transactions, widget_keys
from ui.widgets.device import device_choice
from ui.widgets.live import follow
from ui.widgets.params import render_schema
from ui.widgets.task import dataset_target_and_task_or_stop, hidden_settings_note

engine = get_engine()
owner = session.owner_id()
dataset, target, task, redshift = dataset_target_and_task_or_stop()

applied_step_note("train")
applied_note()
room = room_mode()  # a classroom's member on the step their lecturer pushed: some controls are the lecturer's
if room is not None:
    room_train_note(room)
active = session.active_run()
# A learning curve is a job too: one job per session, so Train waits for it.
measuring = session.active_learning_curve() is not None
controls, output = st.columns([1, 2], gap="large")
with output:
    # The actions first, then the run: what a click starts is drawn right under it (TensorFlow Playground
    # keeps play, pause and step on one line above its picture). Filled in below, once the settings are read.
    actions = st.container(key="train-actions")

with controls:
    # With the settings, not above both columns: the actions and the live curve start a line higher (720p).
    st.caption(f"Dataset: **{markdown_escape(dataset.name)}** · target **{markdown_escape(target)}** · "
               f"{len(dataset.frame):,} rows · task **{task}**{' (a redshift)' if redshift else ''}, "
               "chosen on the Data page")
    families = families_for(dataset.kind, task)
    if settings.value("family") not in [f.key for f in families]:
        settings.forget("family")  # a model of another task or data kind: back to the first
    family_key = st.selectbox("Model", [f.key for f in families], format_func=lambda k: FAMILIES[k].label,
                              key="family", disabled=room is not None)
    family = FAMILIES[family_key]
    settings.fit_to_data(family, DataShape.of(dataset, target, task))  # starting values that fit this data
    st.caption(family.description)
    with st.expander("Hyperparameters", expanded=True):
        raw_params = render_schema(applicable(family.params, task), prefix=f"{settings.HYPERPARAMETERS}-{family_key}",
                                   data_kind=dataset.kind,
                                   fixed=room.fixed_params() if room is not None else None)
        hidden_settings_note(family.params, task)
        if family.deep and task == "regression":
            st.caption("Output layer: one linear unit with mean squared error (the target is standardised for "
                       "training; curves and predictions are in its own units).")
        elif family.deep:
            n_classes = dataset.frame[target].nunique(dropna=True)
            st.caption("Output layer: one sigmoid unit with binary cross-entropy (two classes)." if n_classes == 2
                       else f"Output layer: {n_classes} softmax units with categorical cross-entropy.")
    # A room's member sees the preprocessing only when the lecturer shows some of it.
    with st.expander("Preprocessing", expanded=False) if room is None or room.shows_preprocessing else st.container():
        raw_preprocessing = render_schema(applicable(PREPROCESSING_SCHEMA, task), prefix=settings.PREPROCESSING,
                                          fixed=room.fixed_preprocessing() if room is not None else None)
        hidden_settings_note(PREPROCESSING_SCHEMA, task)
    # Folded: the page stays short, and its title says the scheme, so nothing is hidden that matters.
    with st.expander("Validation and what to keep", expanded=False):
        if room is not None:
            raw_validation = room.validation
            st.caption("Validation: hold-out, set by your lecturer.")
        else:
            raw_validation = validation_settings(task=task, parts=supplied_parts(dataset, target, task))
        kfold = raw_validation["scheme"] not in ("holdout", "supplied")
        widget_keys.start("keep-model", True)  # kept by default: the Predict page uses it
        keep_model = st.checkbox(
            "Keep the trained model", key="keep-model", disabled=kfold,
            help="To download it and to predict with it: packs the fitted preprocessing and model (scikit-learn "
                 "models with skops, networks in Keras's format) into a zip offered under the result once the run "
                 "ends, and offered on the Predict page. "
                 + ("K-fold trains one model per fold: choose hold-out to keep one." if kfold else ""))
        keep_model = keep_model and not kfold
        boundary = boundary_settings(dataset, target, task, kfold)
    device, mixed_precision = device_choice(engine, family.deep)
    # Folded: its title still shows the parameter count change.
    layer_summary_panel(family, raw_params, raw_preprocessing, dataset, target, task, expanded=False)
    share_settings_button(transactions.link_settings, key="share-train")

with actions:
    train_col, stop_col, compare_col = st.columns([1, 1, 3])
    train_clicked = train_col.button("Train", type="primary",
                                     disabled=active is not None or measuring or (room is not None and room.frozen),
                                     width="stretch", key="train-button",
                                     help="A learning curve is being measured; Train is offered again when it "
                                          "finishes or is stopped." if measuring else None)
    stop_clicked = stop_col.button("Stop", disabled=active is None, width="stretch", key="stop-button")
    compare_clicked = compare_button(compare_col, task, disabled=active is not None or measuring or room is not None)

if engine.start_error:
    st.error(engine.start_error)

if stop_clicked and active is not None:
    for unfinished in [r for r in session.runs() if not r.finished]:  # a comparison's runs all stop
        engine.stop(unfinished.job_id, owner)
    st.rerun()  # redraw the buttons for the stopping run

if train_clicked and active is None and not measuring:
    try:
        refuse_if_frozen()
        spec = TrainingSpec(dataset=dataset, target=target,
                            preprocessing=PreprocessConfig.from_values(raw_preprocessing),
                            family=family_key, params=raw_params, device=device,
                            mixed_precision=mixed_precision, validation=ValidationConfig.from_values(raw_validation),
                            task=task, redshift=redshift, keep_model=keep_model, boundary=boundary)
        run = jobs.start_run(engine, owner, spec)
    except UserError as err:
        with output:
            st.error(str(err))
    else:
        put_on_board(room, run)
        st.rerun()  # redraw with Train disabled and Stop enabled for the new run


if (compare_clicked or transactions.take_comparison_request()) and active is None and not measuring and room is None:
    start_comparison(output, engine, owner, dataset, target, task, redshift, raw_preprocessing, raw_validation, boundary)


def draw_live_run(run_number: int) -> bool:
    """The run as it trains (progress, pause, fold scores, curves, the live map); True once it has ended."""
    run = next(r for r in session.runs() if r.number == run_number)
    try:
        state = engine.job(run.job_id, owner)
    except KeyError:
        # The engine forgets a job once a sync has seen it end, and the sidebar's heartbeat (a fragment of
        # its own, every 10 s) may be that sync: this poll then finds no job, and returning here left
        # the page on the live panel for good, the run finished but its evaluation never drawn (a CI
        # browser test waited 600 s for its tiles). The full rerun that ending asks for is made now.
        jobs.sync_runs(engine, owner)
        return next(r for r in session.runs() if r.number == run_number).finished
    jobs.sync_runs(engine, owner)
    st.progress(state.progress, text=f"{run.name} · " + live_progress_text(run, state))
    pause_controls(engine, run, state, owner)
    # The curves before anything that appears during the run (fold scores, the live map): drawn above them, a new
    # element moved the curves down and had them drawn afresh, blank for a moment.
    learning_curves(run, key=f"live-{run.number}", live=True)
    live_fold_scores(state.parts_done)
    live_boundary_panel(run, key=f"live-{run.number}")
    return run.finished  # a full rerun then draws the evaluation and re-enables Train


def trained_elsewhere(run) -> str | None:
    """Why `run` is not the result of what this page is set up for now (other data, target or task, or a
    workflow step applied since it was started); None when it is."""
    if (run.dataset_name != dataset.name or run.target != target or run.task != task
            or (run.data_source and session.data_source() and run.data_source != session.data_source())):
        return (f"was trained on {markdown_escape(run.dataset_name)} (target {markdown_escape(run.target)}, "
                f"{run.task}), not on the data loaded now")
    if jobs.step_changed_since(run.number, transactions.applied_step()):
        return "was trained before the workflow step that set this page up"
    return None


comparison = showing_comparison(dataset, target, task)
with output:
    if comparison:
        comparison_panel(engine, owner, comparison, dataset, target, task, redshift, raw_preprocessing,
                         raw_validation, boundary)
    elif active is not None:
        follow(lambda: draw_live_run(active.number))
    elif session.runs():
        latest = session.runs()[-1]
        elsewhere = trained_elsewhere(latest)
        if elsewhere is None:
            run_header(latest)
            evaluation_panel(latest, key=f"train-{latest.number}")
            learning_curve_panel(latest, dataset, target, task, engine, owner)
        else:
            # Not this step's result: said so, and folded away rather than shown under the new step's banner.
            st.info(f"No result for these settings yet: press Train. The last run, **{markdown_escape(latest.name)}** "
                    f"({latest.family_label}), {elsewhere}.", icon=":material/history:")
            with st.expander(f"{markdown_escape(latest.name)} as it was: {latest.family_label} on "
                             f"{markdown_escape(latest.dataset_name)}",
                             expanded=False):
                run_header(latest)
                evaluation_panel(latest, key=f"train-{latest.number}")
    else:
        st.info("Set the hyperparameters and press Train. Curves appear here as the model learns.")
