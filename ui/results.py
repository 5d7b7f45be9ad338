"""Panels that show a run: live progress while it trains, evaluation once it is done."""

from __future__ import annotations

import streamlit as st

from mllab import charts
from mllab.datasets import markdown_escape
from mllab.models import FAMILIES
from mllab.runs import Run, describe_params
from ui.validation_panel import cross_validation_panel

STATUS_TEXT = {"queued": "Queued", "running": "Training", "completed": "Finished", "stopped": "Stopped",
               "failed": "Failed"}


def learning_curves(run: Run, key: str) -> None:
    step_label = FAMILIES[run.family].step_label
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.learning_curves(run.history, "loss", "Loss", x_label=step_label),
                        key=f"{key}-loss", width="stretch")
    with right:
        st.plotly_chart(charts.learning_curves(run.history, "accuracy", "Accuracy", x_label=step_label),
                        key=f"{key}-accuracy", width="stretch")


def run_header(run: Run) -> None:
    st.markdown(f"**{run.name}** · {run.family_label} on {markdown_escape(run.dataset_name)} "
                f"(target: {markdown_escape(run.target)})")


def evaluation_panel(run: Run, key: str) -> None:
    """Everything known about a finished run; shared by the Train and Runs pages."""
    if run.error:
        st.error(run.error)
    result = run.result
    if result is None:
        if run.history:
            learning_curves(run, key)
        return
    evaluation = result.evaluation
    if result.cross_validation is not None:
        cross_validation_panel(result.cross_validation, key)
    cols = st.columns(5)
    cols[0].metric("Out-of-fold accuracy" if result.cross_validation else "Test accuracy", f"{evaluation.accuracy:.3f}")
    cols[1].metric("Macro F1", f"{evaluation.macro['f1']:.3f}")
    cols[2].metric("ROC AUC", "—" if evaluation.roc_auc is None else f"{evaluation.roc_auc:.3f}")
    cols[3].metric("Device used", result.device_used)
    cols[4].metric("Duration", f"{result.duration_s:.1f} s")
    st.caption(f"{STATUS_TEXT[run.status]} · {result.n_train} training rows, {result.n_test} test rows, "
               f"{result.n_features} features after preprocessing.")
    if run.status == "stopped" and result.cross_validation is None:  # a K-fold run's notes say what was kept
        reached = run.history[-1]["step"] if run.history else 0
        unit = FAMILIES[run.family].step_label.lower()
        st.warning(f"Stopped at {unit} {reached}; the model as it was then is evaluated below.")
    for note in result.notes:
        st.info(note)
    curves, confusion, roc, per_class, details = st.tabs(
        ["Learning curves", "Confusion matrix", "ROC curves", "Per-class metrics", "Model & settings"])
    with curves:
        learning_curves(run, key)
    with confusion:
        normalised = st.toggle("Row-normalised (share of each true class)", key=f"{key}-normalise")
        st.plotly_chart(charts.confusion_matrix_figure(evaluation, normalised=normalised), key=f"{key}-confusion",
                        width="stretch")
    with roc:
        st.plotly_chart(charts.roc_figure(evaluation), key=f"{key}-roc", width="stretch")
    with per_class:
        st.dataframe(charts.metrics_table(evaluation), hide_index=True, width="stretch")
    with details:
        st.markdown(f"**Hyperparameters:** {describe_params(run.family, run.params)}")
        pre = run.preprocessing
        st.markdown(
            f"**Preprocessing:** impute {pre['imputation']}, scaling {pre['scaling']}, "
            f"one-hot {'on' if pre['one_hot'] else 'off'}, PCA {pre['pca_components'] or 'off'}, "
            f"test fraction {pre['test_fraction']:g}, {'stratified' if pre['stratify'] else 'random'} split, "
            f"seed {pre['seed']}")
        if run.model_summary:
            st.code(run.model_summary, language=None)
