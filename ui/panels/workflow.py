"""What a workflow step says on the page it set up, and whether a workflow's steps suit the loaded data. Applying
a step is ui.state.transactions.apply_step."""

from __future__ import annotations

import streamlit as st

from mllab.datasets import BUILTIN_DATASETS, markdown_escape
from mllab.presets import Workflow, find_step
from ui.state import session, transactions


def applied_step_note(page: str) -> None:
    """On the Train or Search page: the lesson of the workflow step that set the page up, while the
    dataset is still the one the step chose."""
    applied = transactions.applied_step()
    dataset = session.current_dataset()
    if applied is None or dataset is None or applied[2] != dataset.name:
        return
    workflow, step = find_step(applied[0], applied[1])
    if (step.search is not None) != (page == "search"):
        return
    # On data loaded by the user (MNIST from its IDX files), the lesson that speaks of that data.
    lesson, expect = step.lesson_on(builtin=dataset.name == BUILTIN_DATASETS[workflow.dataset].name)
    st.info(f"**{workflow.title} — {step.title}.** {lesson} *Expect: {expect}*", icon=":material/school:")


def loaded_data_fits(workflow: Workflow) -> str | None:
    """The name of the session's loaded dataset when the workflow's steps also suit it (an image
    workflow with MNIST loaded), else None."""
    dataset = session.current_dataset()
    if workflow.also_fits is None or dataset is None or dataset.kind != workflow.also_fits:
        return None
    if dataset.name == BUILTIN_DATASETS[workflow.dataset].name:
        return None
    return markdown_escape(dataset.name)
