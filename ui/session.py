"""Per-browser-session state, in one place so every page agrees on the keys."""

from __future__ import annotations

import uuid

import streamlit as st

from mllab.datasets import Dataset
from mllab.runs import Run


def owner_id() -> str:
    """An id for this browser session: the engine shows a job only to the session that owns it."""
    if "owner" not in st.session_state:
        st.session_state.owner = uuid.uuid4().hex
    return st.session_state.owner


def current_dataset() -> Dataset | None:
    return st.session_state.get("dataset")


def set_dataset(dataset: Dataset) -> None:
    st.session_state.dataset = dataset


def current_target() -> str | None:
    return st.session_state.get("target")


def runs() -> list[Run]:
    return st.session_state.setdefault("runs", [])


def active_run() -> Run | None:
    """The run of this session whose job is queued or running, if any."""
    for run in runs():
        if not run.finished:
            return run
    return None


def sync_runs(engine, owner: str) -> None:
    """Bring this session's unfinished runs up to date with the engine's job states.

    Called on every page, so a run that finished while the user was elsewhere shows as done.
    It also tells the engine this session is still here, so its run is not stopped as abandoned.
    """
    engine.touch(owner)
    for run in runs():
        if run.finished:
            continue
        try:
            state = engine.job(run.job_id, owner)
        except KeyError:
            continue
        run.update(state)
        if state.finished:
            engine.forget(run.job_id, owner)
