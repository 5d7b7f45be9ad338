"""The learning task — classification or regression — chosen on the Data page, read by the Train page.

The choice is kept per (dataset, target) outside any widget, because Streamlit drops a widget's
state when the user visits another page: the radio is re-initialised from it on every run.
"""

from __future__ import annotations

from typing import Sequence

import streamlit as st

from mllab.datasets import TASKS, TASK_LABELS, Dataset, check_target, looks_like_redshift, suggest_task
from mllab.errors import UserError
from mllab.params import Param, not_applicable
from ui import session, workspace

CHOICES_KEY = "task-choices"  # {(dataset name, target): (task, target is a redshift)}


def _choices() -> dict:
    return st.session_state.setdefault(CHOICES_KEY, {})


def _suggested(dataset: Dataset, target: str) -> tuple[str, bool]:
    task = suggest_task(dataset.frame, target, dataset.task, dataset.target)
    return task, task == "regression" and looks_like_redshift(target, dataset.redshift_columns)


def current_task(dataset: Dataset, target: str) -> tuple[str, bool]:
    """The task chosen for this dataset and target (or the suggested one), and whether the target is a redshift."""
    return _choices().get((dataset.name, target)) or _suggested(dataset, target)


def dataset_target_and_task_or_stop() -> tuple[Dataset, str, str, bool]:
    """For the pages that train: the session's dataset, target, task and whether the target is a
    redshift; when there is nothing usable, say what to do on the Data page and end the page here."""
    dataset, target = session.current_dataset(), session.current_target()
    if dataset is None or target is None:
        st.info("Choose a dataset and its target column on the Data page first.")
        workspace.page_link("app.py", label="Go to the Data page", icon=":material/arrow_back:")
        st.stop()
    task, redshift = current_task(dataset, target)
    try:
        check_target(dataset.frame, target, task=task)
    except UserError as err:
        st.error(str(err))
        workspace.page_link("app.py", label="Pick another target on the Data page", icon=":material/arrow_back:")
        st.stop()
    return dataset, target, task, redshift


def set_task(dataset_name: str, target: str, task: str, redshift: bool) -> None:
    """Record a task choice (used when a run's settings are loaded back)."""
    _choices()[(dataset_name, target)] = (task, redshift)


def task_choice(dataset: Dataset, target: str) -> tuple[str, bool]:
    """The Data page's task radio and, for a regression, the "target is a redshift" checkbox."""
    stored_task, stored_redshift = current_task(dataset, target)
    suggested, _ = _suggested(dataset, target)
    task_key, redshift_key = f"task-{dataset.name}-{target}", f"redshift-{dataset.name}-{target}"
    if task_key not in st.session_state:
        st.session_state[task_key] = stored_task
    why = ("it holds many different numbers" if suggested == "regression" else "it holds a few distinct values")
    task = st.radio("Task", TASKS, format_func=TASK_LABELS.get, horizontal=True, key=task_key,
                    help=f"Suggested for this target: {suggested}, because {why}. Classification predicts "
                         "one of a few classes; regression predicts a number, such as a redshift.")
    redshift = False
    if task == "regression":
        if redshift_key not in st.session_state:
            st.session_state[redshift_key] = stored_redshift
        redshift = st.checkbox(
            "The target is a redshift (adds the photometric-redshift figures)", key=redshift_key,
            help="Adds the bias and scatter σ of Δz/(1+z), its NMAD = 1.4826 × median |Δz/(1+z) − median| and "
                 "the share of outliers with |Δz|/(1+z) > 0.15, and draws Δz/(1+z) in the residual plot.")
    set_task(dataset.name, target, task, redshift)
    return task, redshift


def hidden_settings_note(schema: Sequence[Param], task: str) -> None:
    """Say which settings are hidden because they mean nothing for this task."""
    hidden = not_applicable(schema, task)
    if hidden:
        names = ", ".join(p.label for p in hidden)
        st.caption(f"Not used for {task}: {names} ({' and '.join(hidden[0].tasks)} only).")
