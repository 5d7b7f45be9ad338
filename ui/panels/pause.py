"""Pause, Resume and One epoch under the live curve, for the families that can pause
(mllab.training.pausing); drawn inside the Train page's live fragment, so a click reruns only that."""

from __future__ import annotations

import streamlit as st

from mllab.models import FAMILIES
from ui.state import jobs


def paused_sentence(unit: str, step: int, slots: int) -> str:
    held = "the only training worker" if slots == 1 else f"one of the {slots} training workers"
    return f"Paused after {unit} {step} — this run holds {held}."


def live_progress_text(run, state) -> str:
    """The progress bar's sentence: what the run is doing ("Paused", "Stopping", the worker's own words, which
    already say "Training …"), its place in the queue, and the step it has reached."""
    unit = FAMILIES[run.family].step_label.lower()
    if state.stop_requested_at is not None and not state.finished:
        # After Stop the model is evaluated as it is and, when kept, packed for download (a network's .keras file:
        # 6 s on an idle 2-core machine, far more under a class's load). The worker's own words say which.
        doing = state.message if state.message and not state.message.startswith("Stopping") else \
            "evaluating the model as it is"
        text = f"Stopping · {doing[0].lower()}{doing[1:]}"
    elif state.pause_requested and state.paused_at is not None:
        text = f"Paused after {unit} {state.paused_at}"
    else:
        text = jobs.progress_text(state.message, state.queue_position, idle="Starting")
    if run.history and state.total_steps:
        text += f" · {unit} {run.history[-1]['step']} of {state.total_steps}"
    return text


def pause_controls(engine, run, state, owner: str) -> None:
    """Pause, or Resume and One epoch, in one row that is always drawn for a family that can pause (disabled while
    the run waits for a worker or is stopping): the curves under it then neither jump nor are drawn afresh when the
    buttons change (a row that came and went made the live curves blank for a moment). Nothing for a family that
    cannot pause. Once Stop was pressed the run is being evaluated, and the row says nothing more: "Pausing at the
    end of this epoch" there read as a run that would not stop."""
    family = FAMILIES[run.family]
    if state.finished or not family.pausable:
        return
    unit = family.step_label.lower()
    one_label = "One epoch" if unit == "epoch" else "One step"
    key = f"{run.number}"
    offered = state.stop_requested_at is None and engine.can_pause(run.job_id, owner)
    with st.container(horizontal=True, vertical_alignment="center", key=f"pause-row-{key}"):
        if offered and state.pause_requested and state.paused_at is not None:
            if st.button("Resume", key=f"resume-{key}", icon=":material/play_arrow:"):
                engine.resume(run.job_id, owner)
                st.rerun(scope="fragment")  # redraw the buttons for the new state at once
            if st.button(one_label, key=f"one-step-{key}", icon=":material/skip_next:",
                         help=f"Train one more {unit} (logistic regression: one point of its curve, a few solver "
                              "iterations), then pause again."):
                engine.step_once(run.job_id, owner)
                st.rerun(scope="fragment")  # redraw the buttons for the new state at once
            st.caption(paused_sentence(unit, state.paused_at, engine.training_slots()) +
                       f" Resume goes on to the end, {one_label} trains one more and pauses again, "
                       "Stop ends the run here and evaluates the model as it is.")
        elif offered and state.pause_requested:
            if st.button("Resume", key=f"resume-{key}", icon=":material/play_arrow:"):
                engine.resume(run.job_id, owner)
                st.rerun(scope="fragment")  # redraw the buttons for the new state at once
            st.caption(f"Pausing at the end of this {unit}…")
        elif offered and state.paused_at is not None:
            st.button("Pause", key=f"pause-{key}", icon=":material/pause:", disabled=True)
            st.caption("Resuming…")
        elif st.button("Pause", key=f"pause-{key}", icon=":material/pause:", disabled=not offered,
                       help=f"Wait at the end of this {unit}, to look at the curves; then resume or go one {unit} "
                            "at a time. A paused run keeps its training worker."):
            engine.pause(run.job_id, owner)
            st.rerun(scope="fragment")
