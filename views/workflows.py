"""Workflows page: the classic examples, each step set up in one click (for lectures)."""

import streamlit as st

from mllab.datasets import BUILTIN_DATASETS
from mllab.models import FAMILIES
from mllab.presets import WORKFLOWS
from ui.panels.share import share_settings_button
from ui.panels.workflow import loaded_data_fits
from ui.state import navigation, transactions

st.caption("Classic examples, set up in one click. Each step loads its dataset and sets the model, its "
           "hyperparameters, the preprocessing and the validation, then opens the page to press Train (or Search) "
           "on. Everything stays adjustable afterwards.")

for workflow in WORKFLOWS:
    with st.container(border=True):
        st.subheader(workflow.title, anchor=False)
        st.markdown(workflow.story)
        info = BUILTIN_DATASETS[workflow.dataset]
        st.caption(f"Data: {info.name} · target {workflow.target} · {workflow.task}")
        loaded = loaded_data_fits(workflow)
        for column, step in zip(st.columns(len(workflow.steps)), workflow.steps):
            with column:
                where = "Search page" if step.search is not None else "Train page"
                does = ("Every model that fits the data, trained side by side" if step.compare
                        else FAMILIES[step.family].label)
                if st.button(step.title, key=f"preset-{workflow.key}-{step.key}", width="stretch",
                             help=f"{does}; opens the {where}."):
                    navigation.switch_page(transactions.apply_step(workflow, step))
                st.caption(step.expect)
                share_settings_button(lambda w=workflow, s=step: transactions.settings_of_step(w, s),
                                      key=f"share-{workflow.key}-{step.key}")
                if loaded is not None and st.button(f"{step.title} — on {loaded}",
                                                    key=f"preset-{workflow.key}-{step.key}-loaded", width="stretch",
                                                    help="The same settings on the dataset loaded now, with its "
                                                         "target."):
                    navigation.switch_page(transactions.apply_step(workflow, step, on_loaded_data=True))
                if loaded is not None and step.expect_elsewhere:
                    st.caption(step.expect_elsewhere)
