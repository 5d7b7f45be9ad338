"""What one browser session holds, read and written through one set of functions: the loaded data, its
cleaning, target and task, and the records of its jobs (runs, searches, learning curves).

The store is the source of truth (`ui.state.workspace` writes through to it and restores from it); this
is its cache for the page being drawn.
"""

from __future__ import annotations

import uuid

import streamlit as st

from mllab.datasets import Dataset, looks_like_redshift, suggest_task
from mllab.prepare import CleaningChoices, CleaningResult
from mllab.training import LearningCurveRecord, Run, SearchRecord
from ui.state import keys

# Widget keys of the Data page's cleaning controls start with this; they are reset when a new
# dataset is loaded so one file's choices never leak onto another.
CLEANING_WIDGET_PREFIX = "clean-"


def owner_id() -> str:
    """Who owns this session's jobs: its workspace (so a refresh or a second tab of it sees a run still
    going), or a per-session id when the store is not in use. The engine shows a job only to its owner."""
    workspace = st.session_state.get(keys.WORKSPACE)
    if workspace and workspace[1]:
        return workspace[1]
    if keys.OWNER not in st.session_state:
        st.session_state[keys.OWNER] = uuid.uuid4().hex
    return st.session_state[keys.OWNER]


# -- the data ------------------------------------------------------------------------------------------

def current_dataset() -> Dataset | None:
    """The dataset to train on: the loaded one after the Data page's cleaning choices."""
    return st.session_state.get(keys.DATASET)


def raw_dataset() -> Dataset | None:
    """The dataset as the user loaded it (built-in, upload or server file), before cleaning."""
    return st.session_state.get(keys.RAW_DATASET)


def raw_digest() -> str | None:
    """A short text that identifies the loaded data (file digest, built-in key): the cache key."""
    return st.session_state.get(keys.RAW_DIGEST)


def data_source() -> dict:
    """Where the loaded data came from, as plain values (see `Run.data_source`)."""
    return st.session_state.get(keys.DATA_SOURCE_RECORD, {})


def load_dataset(dataset: Dataset, digest: str, target: str | None, source: dict | None = None) -> None:
    """Make a freshly loaded dataset the current one, with fresh cleaning choices (the low-level half of
    `ui.state.transactions.make_data_current`).

    Until the Data page applies the cleaning, the dataset to train on is the loaded one.
    """
    st.session_state[keys.RAW_DATASET] = dataset
    st.session_state[keys.RAW_DIGEST] = digest
    st.session_state[keys.DATA_SOURCE_RECORD] = dict(source or {})
    st.session_state[keys.TARGET] = target
    for key in (keys.CLEANING, keys.CLEANED, keys.MARKERS):
        st.session_state.pop(key, None)
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(CLEANING_WIDGET_PREFIX)]:
        del st.session_state[key]
    st.session_state[keys.DATASET] = dataset


def cleaning_choices() -> CleaningChoices | None:
    return st.session_state.get(keys.CLEANING)


def set_cleaning_choices(choices: CleaningChoices) -> None:
    st.session_state[keys.CLEANING] = choices


def cleaned(key: str) -> CleaningResult | None:
    """The cleaning result computed for this key (data digest and choices), if it is the last one."""
    stored = st.session_state.get(keys.CLEANED)
    return stored[1] if stored is not None and stored[0] == key else None


def set_cleaned(key: str, result: CleaningResult) -> None:
    st.session_state[keys.CLEANED] = (key, result)
    st.session_state[keys.DATASET] = result.dataset


def current_target() -> str | None:
    return st.session_state.get(keys.TARGET)


def set_target(target: str) -> None:
    st.session_state[keys.TARGET] = target


def suggested_identifiers(digest: str) -> list[str] | None:
    """The identifier columns suggested for leaving out when this data's cleaning was first made, if known."""
    stored = st.session_state.get(keys.CLEANING_SUGGESTED)
    return stored[1] if stored and stored[0] == digest else None


def set_suggested_identifiers(digest: str, columns: list[str]) -> None:
    st.session_state[keys.CLEANING_SUGGESTED] = (digest, list(columns))


def known_markers(digest: str):
    stored = st.session_state.get(keys.MARKERS)
    return stored[1] if stored is not None and stored[0] == digest else None


def set_markers(digest: str, markers) -> None:
    st.session_state[keys.MARKERS] = (digest, markers)


# -- the task: kept per (dataset, target) outside any widget, since Streamlit drops a widget's state on a
# page that does not draw it; the Data page's radio is re-initialised from it on every run.

def _task_choices() -> dict:
    return st.session_state.setdefault(keys.TASK_CHOICES, {})


def suggested_task(dataset: Dataset, target: str) -> tuple[str, bool]:
    task = suggest_task(dataset.frame, target, dataset.task, dataset.target)
    return task, task == "regression" and looks_like_redshift(target, dataset.redshift_columns)


def current_task(dataset: Dataset, target: str) -> tuple[str, bool]:
    """The task chosen for this dataset and target (or the suggested one), and whether the target is a redshift."""
    return _task_choices().get((dataset.name, target)) or suggested_task(dataset, target)


def set_task(dataset_name: str, target: str, task: str, redshift: bool) -> None:
    _task_choices()[(dataset_name, target)] = (task, redshift)


# -- records of jobs -------------------------------------------------------------------------------------

def runs() -> list[Run]:
    return st.session_state.setdefault(keys.RUNS, [])


def set_runs(records: list[Run]) -> None:
    st.session_state[keys.RUNS] = records


def active_run() -> Run | None:
    """The run of this session whose job is queued or running, if any."""
    return next((run for run in runs() if not run.finished), None)


def searches() -> list[SearchRecord]:
    return st.session_state.setdefault(keys.SEARCHES, [])


def active_search() -> SearchRecord | None:
    return next((record for record in searches() if not record.finished), None)


def learning_curves_asked() -> list[LearningCurveRecord]:
    return st.session_state.setdefault(keys.LEARNING_CURVES, [])


def active_learning_curve() -> LearningCurveRecord | None:
    return next((record for record in learning_curves_asked() if not record.finished), None)

