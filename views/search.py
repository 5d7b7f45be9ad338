"""Search page: grid or random search over hyperparameter ranges, scored by K-fold or hold-out."""

import streamlit as st

from mllab.datasets import markdown_escape
from mllab.errors import UserError
from mllab.models import FAMILIES, families_for
from mllab.prepare import PreprocessConfig
from mllab.training import (MAX_CANDIDATES, SearchSpec, TrainingSpec, ValidationConfig, get_engine, grid_size,
                            new_search_record, scorers_for)
from ui.pages import TRAIN
from ui.panels.classroom import room_mode, room_search_note
from ui.panels.search import live_progress, results_panel, search_space
from ui.panels.validation import validation_settings
from ui.panels.workflow import applied_step_note
from ui.state import jobs, navigation, session, settings, transactions
from ui.widgets.live import follow
from ui.widgets.task import dataset_target_and_task_or_stop

SCORE_HELP = {
    "classification": "What the candidates are ranked by, higher is better: accuracy (the share right), macro F1 and "
                      "balanced accuracy (every class counts the same, for rare classes), MCC and Cohen's kappa "
                      "(agreement beyond chance).",
    "regression": "What the candidates are ranked by: R² (higher is better) or an error in the target's units "
                  "(RMSE, MAE; lower is better).",
    "redshift": "What the candidates are ranked by: NMAD of Δz/(1+z) (lower is better), R², or an error in the "
                "target's units (RMSE, MAE; lower is better).",
}

engine = get_engine()
owner = session.owner_id()
dataset, target, task, redshift = dataset_target_and_task_or_stop()

# The preprocessing of the latest run (or the defaults): the search compares models, not preprocessing.
# A workflow step's own preprocessing wins until the next run is trained.
latest_run = session.runs()[-1] if session.runs() else None
from_step = settings.preset_preprocessing(len(session.runs()))
if from_step is not None:
    preprocessing, source = PreprocessConfig.from_values(from_step), "the workflow step"
else:
    preprocessing = PreprocessConfig.from_values(latest_run.preprocessing) if latest_run else PreprocessConfig()
    source = latest_run.name if latest_run else "the Train page defaults"
room = room_mode()  # a classroom's member on their lecturer's step: the model and hidden settings are fixed
if room is not None:  # the lecturer's split and seed, and the preprocessing they hid
    preprocessing = PreprocessConfig.from_values({**preprocessing.as_dict(), **room.fixed_preprocessing()})
    source = "your lecturer's step"
st.caption(f"Dataset: **{markdown_escape(dataset.name)}** · target **{markdown_escape(target)}** · "
           f"{len(dataset.frame):,} rows · task **{task}**{' (a redshift)' if redshift else ''} · "
           f"preprocessing as in {source} (scaling {preprocessing.scaling}, "
           f"PCA {preprocessing.pca_components or 'off'}, seed {preprocessing.seed})")
applied_step_note("search")
if room is not None:
    room_search_note(room)
active = session.active_search()
controls, output = st.columns([1, 1], gap="large")

with controls:
    families = families_for(dataset.kind, task)
    offered = [f.key for f in families]
    room_fixes_model = room is not None and room.family in offered  # the lecturer's model, and their hidden settings
    if room_fixes_model:
        settings.put("search-family", room.family)
    elif settings.value("search-family") not in offered:
        settings.put("search-family", settings.value("family") if settings.value("family") in offered else offered[0])
    family_key = st.selectbox("Model", offered, format_func=lambda k: FAMILIES[k].label, key="search-family",
                              disabled=room_fixes_model)
    family = FAMILIES[family_key]
    strategy = st.radio("Search", ["grid", "random"], horizontal=True, key="search-strategy",
                        format_func={"grid": "Grid (every combination)", "random": "Random (a budget of draws)"}.get)
    budget = 10
    if strategy == "random":
        budget = st.slider("Candidates to try", 1, 100, 10, key="search-budget",
                           help="Random draws from the ranges below; log-scaled settings are drawn log-uniformly.")
    with st.expander("Hyperparameters: tick Vary to search over a setting", expanded=True):
        try:
            last_of_family = next((r for r in reversed(session.runs()) if r.family == family_key), None)
            dimensions, fixed = search_space(family, show_counts=strategy == "grid",
                                             initial=last_of_family.params if last_of_family else None, task=task,
                                             fixed=room.fixed_params() if room_fixes_model else None)
            space_error = None
        except UserError as err:
            dimensions, fixed, space_error = (), {}, str(err)
    with st.expander("Scoring", expanded=True):
        # A search scores on folds from the start: stratified for classes, plain K-fold for a regression.
        # Set on every run while it is the stratified default: set once, a browser that reran the page
        # before the widget was first drawn came back to the widget's own default, hold-out (seen in CI).
        if settings.value("search-val-scheme", "stratified_kfold") == "stratified_kfold":
            settings.put("search-val-scheme", "kfold" if task == "regression" else "stratified_kfold")
        raw_validation = validation_settings(prefix="search-val", task=task)
        scorers = scorers_for(task, redshift)
        if settings.value("search-metric") not in [s.name for s in scorers]:
            settings.forget("search-metric")  # a score of the other task: back to this task's first
        metric = st.selectbox("Score", [s.name for s in scorers], key="search-metric",
                              format_func={s.name: s.label for s in scorers}.get,
                              help=SCORE_HELP[task if not redshift else "redshift"])
    validation = ValidationConfig.from_values(raw_validation)
    if dimensions:
        count = grid_size(dimensions) if strategy == "grid" else budget
        st.caption(f"{count:,} candidate{'s' if count != 1 else ''} × {validation.n_splits} model"
                   f"{'s' if validation.n_splits != 1 else ''} each"
                   + (f" — more than the {MAX_CANDIDATES} a search may run" if count > MAX_CANDIDATES else ""))
    run_col, stop_col = st.columns(2)
    run_clicked = run_col.button("Run search", type="primary", disabled=active is not None, width="stretch",
                                 key="search-run")
    stop_clicked = stop_col.button("Stop", disabled=active is None, width="stretch", key="search-stop")

if stop_clicked and active is not None:
    engine.stop(active.job_id, owner, message="Stopping after the current candidate…")
    st.rerun()

if run_clicked and active is None:
    try:
        if space_error:
            raise UserError(space_error)
        if not dimensions:
            raise UserError("Tick Vary next to at least one hyperparameter to search over it.")
        base = TrainingSpec(dataset=dataset, target=target, preprocessing=preprocessing, family=family_key,
                            params=fixed, task=task, redshift=redshift)
        spec = SearchSpec(base=base, dimensions=dimensions, strategy=strategy, n_candidates=budget,
                          validation=validation, metric=metric)
        job_id = engine.submit(spec, owner)
    except UserError as err:
        with output:
            st.error(str(err))
    else:
        session.searches().append(new_search_record(len(session.searches()) + 1, job_id, spec))
        st.rerun()


def draw_live_search(number: int) -> bool:
    """The search as it runs ("Candidate 7 of 24" and the candidates done); True once it has ended."""
    jobs.sync_searches(engine, owner)
    record = next(r for r in session.searches() if r.number == number)
    live_progress(record, FAMILIES[record.family])
    return record.finished


with output:
    if active is not None:
        st.markdown(f"**Search {active.number}** · {FAMILIES[active.family].label}")
        follow(lambda: draw_live_search(active.number))
    elif session.searches():
        latest = session.searches()[-1]
        st.markdown(f"**Search {latest.number}** · {FAMILIES[latest.family].label} on "
                    f"{markdown_escape(latest.dataset_name)} · {latest.status}")
        if results_panel(latest, FAMILIES[latest.family]):
            transactions.put_candidate_on_train(latest)
            navigation.switch_page(TRAIN)
    else:
        st.info("Tick Vary next to the hyperparameters to try, set their ranges and press Run search. Each "
                "candidate is scored by cross-validation; the table of results appears here.")

