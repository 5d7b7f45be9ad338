"""Per-browser-session state, in one place so every page agrees on the keys."""

from __future__ import annotations

import uuid

import streamlit as st

from mllab.datasets import Dataset
from mllab.prepare import CleaningChoices, CleaningResult
from mllab.training import Run

# Widget keys of the Data page's cleaning controls start with this; they are reset when a new
# dataset is loaded so one file's choices never leak onto another.
CLEANING_WIDGET_PREFIX = "clean-"


def owner_id() -> str:
    """Who owns this session's jobs: its workspace (so a refresh or a second tab of it sees a run still
    going), or a per-session id when the store is not in use. The engine shows a job only to its owner."""
    workspace = st.session_state.get("workspace")
    if workspace and workspace[1]:
        return workspace[1]
    if "owner" not in st.session_state:
        st.session_state.owner = uuid.uuid4().hex
    return st.session_state.owner


def current_dataset() -> Dataset | None:
    """The dataset to train on: the loaded one after the Data page's cleaning choices."""
    return st.session_state.get("dataset")


def set_dataset(dataset: Dataset) -> None:
    st.session_state.dataset = dataset


def raw_dataset() -> Dataset | None:
    """The dataset as the user loaded it (built-in, upload or server file), before cleaning."""
    return st.session_state.get("raw-dataset")


def raw_digest() -> str | None:
    """A short text that identifies the loaded data (file digest, built-in key): the cache key."""
    return st.session_state.get("raw-digest")


def data_source() -> dict:
    """Where the loaded data came from, as plain values (see `Run.data_source`)."""
    return st.session_state.get("data-source-record", {})


def load_dataset(dataset: Dataset, digest: str, target: str | None, source: dict | None = None) -> None:
    """Make a freshly loaded dataset the current one, with fresh cleaning choices.

    Until the Data page applies the cleaning, the dataset to train on is the loaded one.
    """
    st.session_state["raw-dataset"] = dataset
    st.session_state["raw-digest"] = digest
    st.session_state["data-source-record"] = dict(source or {})
    st.session_state.target = target
    for key in ("cleaning", "cleaned", "markers"):
        st.session_state.pop(key, None)
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(CLEANING_WIDGET_PREFIX)]:
        del st.session_state[key]
    st.session_state.dataset = dataset


def cleaning_choices() -> CleaningChoices | None:
    return st.session_state.get("cleaning")


def set_cleaning_choices(choices: CleaningChoices) -> None:
    st.session_state["cleaning"] = choices


def cleaned(key: str) -> CleaningResult | None:
    """The cleaning result computed for this key (data digest and choices), if it is the last one."""
    stored = st.session_state.get("cleaned")
    return stored[1] if stored is not None and stored[0] == key else None


def set_cleaned(key: str, result: CleaningResult) -> None:
    st.session_state["cleaned"] = (key, result)
    st.session_state.dataset = result.dataset


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
    sync_records(engine, owner, runs())
    # A run that ended while another tab of the workspace was watching: that tab took the engine's
    # state; the store has its end.
    from ui import workspace

    for i, run in enumerate(runs()):
        if not run.finished and run.store_id and _job_gone(engine, run.job_id, owner):
            stored = workspace.reload_run(run)
            if stored is not None and stored.finished:
                stored.dataset = run.dataset
                runs()[i] = stored


def _job_gone(engine, job_id: str, owner: str) -> bool:
    try:
        engine.job(job_id, owner)
    except KeyError:
        return True
    return False


def sync_records(engine, owner: str, records) -> None:
    """Update unfinished records of engine jobs (runs, searches, learning curves) from the engine, and
    tell it this session is still here. A finished job's state is then dropped from the engine."""
    engine.touch(owner)
    for record in records:
        if record.finished:
            continue
        try:
            state = engine.job(record.job_id, owner)
        except KeyError:
            continue
        record.update(state)
        if state.finished:
            engine.forget(record.job_id, owner)
