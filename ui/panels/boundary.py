"""The decision-boundary tab of a run's result, and the MLP's map as it trains.

A run with a kept model has its map drawn on demand, on a training worker (mllab.training.boundary_job), over
what the user chooses: the first two principal components, two classes (offered first for many classes:
over two components of the ten digits a good model looks wrong) or two features. The map is kept with the
run. Every map says it is a slice and what it holds fixed, and warns where the slice misleads.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mllab import charts
from mllab.datasets import markdown_escape
from mllab.errors import UserError
from mllab.training import Run, get_engine
from mllab.training.boundary_job import PCA, BoundarySpec, describe_choice
from mllab.training.prediction import model_info
from ui.prebuilt import prebuilt_dict
from ui.state import boundary as boundary_state
from ui.state import jobs, session, widget_keys
from ui.widgets import presenter
from ui.widgets.live import follow

OVER_PCA, OVER_CLASSES, OVER_FEATURES = ("The first two principal components", "Two classes I choose",
                                         "Two features I choose")
MESSAGE = "boundary-message"  # a sentence for the tab's next run (a map that could not be drawn)


def _kept_model(run: Run) -> bytes | None:
    model_file = getattr(run.result, "model_file", None) if run.result is not None else None
    return model_file.data if model_file is not None and not model_file.refused and model_file.data else None


def _run_data(run: Run):
    """The data the run trained on: the run's own, or the session's when it is the same dataset."""
    if run.dataset is not None:
        return run.dataset
    current = session.current_dataset()
    return current if current is not None and current.name == run.dataset_name else None


def _choice(run: Run, key: str, info: dict, data, picks):
    """The selectboxes: what to draw the map over, then (in `picks`, two columns) the two classes or features;
    the choice as BoundarySpec takes it (None until valid)."""
    names = [str(c) for c in info.get("class_names") or []]
    inputs = [str(c) for c in info.get("input_columns") or []]
    numeric = []
    if data is not None and data.kind == "table":
        numeric = [c for c in data.frame.columns if str(c) in inputs and pd.api.types.is_numeric_dtype(data.frame[c])
                   and not pd.api.types.is_bool_dtype(data.frame[c])]
    options = ([OVER_CLASSES] if len(names) > 2 else []) + [OVER_PCA] + ([OVER_FEATURES] if len(numeric) >= 2 else [])
    over = st.selectbox("Draw the map over", options, key=f"{key}-boundary-over",
                        help="Every choice is a slice through the data: the model sees all its inputs, the map two "
                             "directions. Two classes: the plane through both classes' mean rows, where both lie.")
    if over == OVER_PCA:
        return PCA
    values = names if over == OVER_CLASSES else numeric
    left, right = picks
    first = left.selectbox("Across" if over == OVER_FEATURES else "One class", values, index=0,
                           key=f"{key}-boundary-{over[4:9]}-a", format_func=str)
    second = right.selectbox("Up" if over == OVER_FEATURES else "The other", values, index=min(1, len(values) - 1),
                             key=f"{key}-boundary-{over[4:9]}-b", format_func=str)
    if first == second:
        st.caption("Choose two different " + ("classes." if over == OVER_CLASSES else "features."))
        return None
    return ("classes" if over == OVER_CLASSES else "features", str(first), str(second))


def _start(run: Run, choice, model_zip: bytes, data) -> None:
    engine, owner = get_engine(), session.owner_id()
    try:
        job_id = engine.submit(BoundarySpec(model_zip=model_zip, rows=data, choice=choice, run_name=run.name,
                                            family=run.family), owner)
    except UserError as err:
        widget_keys.flash(MESSAGE, str(err), "error")
        return
    boundary_state.started(run, job_id, choice)


def _follow(run: Run, job: dict) -> None:
    """The map being drawn: a progress sentence, then the map (the tab is drawn again when it ends)."""
    engine, owner = get_engine(), session.owner_id()

    def draw() -> bool:
        try:
            state = engine.job(job["job_id"], owner)
        except KeyError:  # the server restarted: the job went with it
            boundary_state.ended(run)
            return True
        engine.touch(owner)
        text = jobs.progress_text(state.message, state.queue_position,
                                  idle=f"Drawing the decision boundary over {describe_choice(job['choice'])}")
        st.progress(state.progress, text=markdown_escape(text))
        if not state.finished:
            return False
        engine.forget(job["job_id"], owner)
        if state.status == "completed" and state.result is not None:
            boundary_state.finished(run, state.result)
        else:
            boundary_state.ended(run)
            widget_keys.flash(MESSAGE, state.error or "The decision-boundary map was not drawn.", "error")
        return True

    follow(draw)


def boundary_tab(run: Run, key: str, opened: bool | None = None) -> None:
    """The run's map, and the choice to draw it (again) from the kept model. `opened`: the tab is the one
    shown (tabs that track which is open): then a run with a kept model and no map has it drawn at once."""
    if run.task != "classification":
        st.caption("A decision boundary is drawn for classifications: a regression has no classes to map.")
        return
    boundary = getattr(run.result, "boundary", None)
    model_zip = _kept_model(run)
    job = boundary_state.job(run)
    widget_keys.show_flash(MESSAGE)
    if model_zip is None:
        if boundary is None:
            st.caption("K-fold trains one model per fold, so there is no single boundary to draw: choose hold-out "
                       "on the Train page." if run.result.cross_validation is not None else
                       "No map for this run: it kept no model to draw one from. Train it again with 'Keep the "
                       "trained model' on, or choose 'Decision-boundary map' on the Train page before training.")
    else:
        data = _run_data(run)
        info = model_info(model_zip)
        # The choice, then its two picks beside the button: full names, and the button where the eye ends.
        over_row = st.container()
        left, right, button = st.columns(3, vertical_alignment="bottom")
        with over_row:
            choice = _choice(run, key, info, data, (left, right))
        press = button.button("Draw the map" if boundary is None else "Draw again", key=f"{key}-boundary-draw",
                              type="primary" if boundary is None else "secondary", icon=":material/map:",
                              disabled=job is not None or choice is None or data is None, width="stretch")
        if data is None:
            st.caption(f"Load {markdown_escape(run.dataset_name)}, the data this run trained on, on the Data page to "
                       "draw its map.")
        elif job is None and choice is not None and (press or (opened and boundary is None)):
            _start(run, choice, model_zip, data)
            job = boundary_state.job(run)
        if job is not None:
            _follow(run, job)
            return
    if boundary is not None:
        _draw(boundary, key)


def _draw(boundary, key: str) -> None:
    caution = getattr(boundary, "caution", "")
    if caution:
        st.warning(markdown_escape(caution), icon=":material/warning:")
    # The map right under its controls; what it holds fixed is its subtitle, and at length under it.
    presenter.plotly_chart(charts.boundary_figure(boundary), key=f"{key}-boundary", width="stretch")
    ringed = "" if "ringed in black" in boundary.note else " Misclassified test rows are ringed in black."
    st.caption(markdown_escape(boundary.note) + ringed)


def live_boundary_panel(run: Run, key: str) -> None:
    """The MLP's boundary map as it trains, redrawn when a newer epoch's map has arrived."""
    live = run.live_boundary
    if not live:
        return
    cache = widget_keys.session_cache("live-boundary-figures")
    cached = cache.get(run.job_id)
    if cached is None or cached[0] != live["epoch"]:
        # Drawn again by every poll until a newer map arrives: converted for Streamlit once.
        cached = (live["epoch"], prebuilt_dict(charts.boundary_dict(live["map"])))
        cache.clear()  # one run trains at a time: older runs' maps are done with
        cache[run.job_id] = cached
    st.caption(f"Decision boundary after epoch {live['epoch']}: " + markdown_escape(live["map"].note))
    st.plotly_chart(cached[1], key=f"{key}-live-boundary", width="stretch")
