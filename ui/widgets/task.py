"""The learning task — classification or regression — chosen on the Data page, and the guard of the pages
that train. The choice is the session's (ui.state.session.current_task), kept per (dataset, target)."""

from __future__ import annotations

from typing import Sequence

import streamlit as st

from mllab.datasets import TASKS, TASK_LABELS, Dataset, check_target
from mllab.errors import UserError
from mllab.params import Param, not_applicable
from ui.pages import DATA
from ui.state import navigation, session, widget_keys


def dataset_target_and_task_or_stop() -> tuple[Dataset, str, str, bool]:
    """For the pages that train: the session's dataset, target, task and whether the target is a
    redshift; when there is nothing usable, say what to do on the Data page and end the page here."""
    dataset, target = session.current_dataset(), session.current_target()
    if dataset is None or target is None:
        st.info("Choose a dataset and its target column on the Data page first.")
        navigation.page_link(DATA, label="Go to the Data page", icon=":material/arrow_back:")
        st.stop()
    task, redshift = session.current_task(dataset, target)
    try:
        check_target(dataset.frame, target, task=task)
    except UserError as err:
        st.error(str(err))
        navigation.page_link(DATA, label="Pick another target on the Data page", icon=":material/arrow_back:")
        st.stop()
    return dataset, target, task, redshift


def task_choice(dataset: Dataset, target: str) -> tuple[str, bool]:
    """The Data page's task radio and, for a regression, the "target is a redshift" checkbox."""
    stored_task, stored_redshift = session.current_task(dataset, target)
    suggested, _ = session.suggested_task(dataset, target)
    task_key, redshift_key = f"task-{dataset.name}-{target}", f"redshift-{dataset.name}-{target}"
    widget_keys.start(task_key, stored_task)
    why = ("it holds many different numbers" if suggested == "regression" else "it holds a few distinct values")
    task = st.radio("Task", TASKS, format_func=TASK_LABELS.get, horizontal=True, key=task_key,
                    help=f"Suggested for this target: {suggested}, because {why}. Classification predicts "
                         "one of a few classes; regression predicts a number, such as a redshift.")
    redshift = False
    if task == "regression":
        widget_keys.start(redshift_key, stored_redshift)
        redshift = st.checkbox(
            "The target is a redshift (adds the photometric-redshift figures)", key=redshift_key,
            help="Adds the bias and scatter σ of Δz/(1+z), its NMAD = 1.4826 × median |Δz/(1+z) − median| and "
                 "the share of outliers with |Δz|/(1+z) > 0.15, and draws Δz/(1+z) in the residual plot.")
    session.set_task(dataset.name, target, task, redshift)
    return task, redshift


def hidden_settings_note(schema: Sequence[Param], task: str) -> None:
    """Say which settings are hidden because they mean nothing for this task."""
    hidden = not_applicable(schema, task)
    if hidden:
        names = ", ".join(p.label for p in hidden)
        st.caption(f"Not used for {task}: {names} ({' and '.join(hidden[0].tasks)} only).")
