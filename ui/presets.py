"""Applying a workflow step: load its dataset as the Data page would, set every widget of the page
the step opens, and remember which step was applied so that page can say what to watch for."""

from __future__ import annotations

import streamlit as st

from mllab.datasets import markdown_escape
from mllab.models import FAMILIES
from mllab.prepare import PREPROCESSING_SCHEMA
from mllab.presets import Step, Workflow, find_step, full_settings, load_workflow_data
from mllab.training import VALIDATION_SCHEMA
from ui import session, workspace
from ui.params import set_widget_values
from ui.task import set_task

APPLIED_KEY = "preset-applied"  # (workflow key, step key, dataset name) of the last step applied
BUILTIN_SOURCE = "Built-in dataset"  # the Data page's source radio label for built-ins


def _load_builtin(workflow: Workflow) -> None:
    """Make the workflow's built-in dataset current, cleaned with the Data page's defaults."""
    from ui.data import choices_key

    with st.spinner("Loading the workflow's dataset…"):
        data = load_workflow_data(workflow)
    digest = f"built-in:{workflow.dataset}"
    session.load_dataset(data.raw, digest, workflow.target, {"kind": "builtin", "key": workflow.dataset})
    st.session_state["markers"] = (digest, data.markers)
    st.session_state["cleaning-suggested"] = (
        digest, [c for c in data.choices.excluded if c not in data.raw.id_columns])
    session.set_cleaning_choices(data.choices)
    session.set_cleaned(choices_key(digest, data.choices), data.cleaned)
    # The Data page keeps its source and built-in choice for the session; point them at this dataset,
    # or the next visit there would load the previous choice again.
    st.session_state["data-source"] = BUILTIN_SOURCE
    st.session_state.pop("builtin-choice", None)


def _reset_task_widgets(dataset_name: str, target: str) -> None:
    # The Data page's task radio starts from the stored choice only when it has no state of its own.
    for key in (f"task-{dataset_name}-{target}", f"redshift-{dataset_name}-{target}", f"target-{dataset_name}"):
        st.session_state.pop(key, None)


def apply_step(workflow: Workflow, step: Step, on_loaded_data: bool = False) -> None:
    """Set everything for `step` and open the page it trains on. With `on_loaded_data`, the session's
    current dataset and target stay (MNIST uploaded as IDX files for an image workflow)."""
    if not on_loaded_data:
        _load_builtin(workflow)
    dataset, target = session.current_dataset(), session.current_target()
    _reset_task_widgets(dataset.name, target)
    set_task(dataset.name, target, workflow.task, workflow.redshift and not on_loaded_data)
    settings = full_settings(step)
    st.session_state[APPLIED_KEY] = (workflow.key, step.key, dataset.name)
    if step.search is not None:
        _set_search(step, settings)
        workspace.switch_page("pages/3_Search.py")
    st.session_state["family"] = step.family
    # Kept by default, for the Predict page; a K-fold step trains one model per fold, so none is kept.
    st.session_state["keep-model"] = step.keep_model and settings["validation"].get("scheme", "holdout") in ("holdout", "supplied")
    set_widget_values(FAMILIES[step.family].params, f"hp-{step.family}", settings["params"])
    set_widget_values(PREPROCESSING_SCHEMA, "pp", settings["preprocessing"])
    set_widget_values(VALIDATION_SCHEMA, "val", settings["validation"])
    workspace.switch_page("pages/1_Train.py")


def _set_search(step: Step, settings: dict) -> None:
    """The Search page's widgets: the family, what varies (and over what), the fixed values, the scoring."""
    from ui.search_panel import set_search_plan

    plan = step.search
    st.session_state["search-family"] = step.family
    st.session_state["search-strategy"] = plan.strategy
    set_search_plan(FAMILIES[step.family], plan.vary, settings["params"], settings["preprocessing"])
    set_widget_values(VALIDATION_SCHEMA, "search-val", {**settings["validation"], **plan.validation})
    st.session_state["search-metric"] = plan.metric


def applied_step_note(page: str) -> None:
    """On the Train or Search page: the lesson of the workflow step that set the page up, while the
    dataset is still the one the step chose."""
    applied = st.session_state.get(APPLIED_KEY)
    dataset = session.current_dataset()
    if applied is None or dataset is None or applied[2] != dataset.name:
        return
    workflow, step = find_step(applied[0], applied[1])
    if (step.search is not None) != (page == "search"):
        return
    from mllab.datasets import BUILTIN_DATASETS

    # On data loaded by the user (MNIST from its IDX files), the lesson that speaks of that data.
    lesson, expect = step.lesson_on(builtin=dataset.name == BUILTIN_DATASETS[workflow.dataset].name)
    st.info(f"**{workflow.title} — {step.title}.** {lesson} *Expect: {expect}*", icon=":material/school:")


def loaded_data_fits(workflow: Workflow) -> str | None:
    """The name of the session's loaded dataset when the workflow's steps also suit it (an image
    workflow with MNIST loaded), else None."""
    dataset = session.current_dataset()
    if workflow.also_fits is None or dataset is None or dataset.kind != workflow.also_fits:
        return None
    from mllab.datasets import BUILTIN_DATASETS

    if dataset.name == BUILTIN_DATASETS[workflow.dataset].name:
        return None
    return markdown_escape(dataset.name)
