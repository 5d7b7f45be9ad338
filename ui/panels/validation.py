"""The Train page's validation choice and a K-fold run's per-fold scores."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mllab.charts import validation as validation_charts
from mllab.datasets import PART_TEST, PART_TRAIN
from mllab.training import VALIDATION_SCHEMA, ValidationConfig, scheme_param, score_in_text
from ui.state import widget_keys
from ui.state.settings import widget_key
from ui.widgets.params import render_param

PREFIX = "val"
METRICS_PER_ROW = 3
_FOLDS, _REPEATS = VALIDATION_SCHEMA[1:]


def supplied_parts(dataset, target: str | None, task: str) -> tuple[int, int] | None:
    """(training rows, test rows) of the parts the data came with, counting rows with a target value
    (those a run trains and tests on); None when the data came as one whole."""
    column = getattr(dataset, "part_column", None)
    if dataset is None or column is None or column not in dataset.frame.columns:
        return None
    frame = dataset.frame
    has_target = frame[target].notna() if target in frame.columns else True
    if task == "regression" and target in frame.columns:
        has_target = pd.to_numeric(frame[target], errors="coerce").notna()
    parts = frame.loc[has_target, column] if target in frame.columns else frame[column]
    return int((parts == PART_TRAIN).sum()), int((parts == PART_TEST).sum())


def validation_settings(prefix: str = PREFIX, task: str = "classification",
                        parts: tuple[int, int] | None = None) -> dict:
    """A compact selector: the scheme, then K (and repeats) only when a K-fold scheme is chosen.

    A regression is not offered stratified folds; one chosen for classes before becomes plain K-fold.
    `parts` (training rows, test rows) offers, and starts on, the test part the data came with.
    """
    scheme = scheme_param(task, supplied_part=parts is not None)
    key = widget_key(prefix, scheme)
    if widget_keys.has(key) and widget_keys.get(key) not in scheme.options:
        # Stratified folds of a class before a regression become plain folds; the supplied part of
        # data no longer loaded becomes mllab's own split.
        widget_keys.set(key, "holdout" if widget_keys.get(key) == "supplied" else "kfold")
    offered = f"{key}-supplied-offered"
    if parts is not None and not widget_keys.get(offered):
        widget_keys.set(key, "supplied")  # data with a test part just loaded: start on it, as its tutorials do
    widget_keys.set(offered, parts is not None)
    values = {"scheme": render_param(scheme, prefix)}
    config_defaults = ValidationConfig()
    kfold = values["scheme"] not in ("holdout", "supplied")
    values["n_folds"] = render_param(_FOLDS, prefix) if kfold else config_defaults.n_folds
    values["n_repeats"] = (render_param(_REPEATS, prefix) if values["scheme"] == "repeated_kfold"
                           else config_defaults.n_repeats)
    if values["scheme"] == "supplied" and parts is not None:
        st.caption(f"Train on the {parts[0]:,} rows of the training part, test on the {parts[1]:,} of the supplied "
                   "test part, as the data was published (the test fraction is not used).")
    if kfold:
        st.caption("Each fold fits the preprocessing on its own training rows. The evaluation below the fold "
                   "scores (confusion matrix and ROC curves, or predicted-vs-true and residual plots) pools the "
                   "out-of-fold predictions; the test fraction is not used.")
    return values


def cross_validation_panel(summary, key: str) -> None:
    """Mean ± std of each score, the per-fold chart and table of a K-fold run."""
    st.markdown(f"**{summary.describe()} cross-validation** · {len(summary.folds)} of "
                f"{summary.n_planned} folds finished")
    tiles = [(f"Mean {scorer.in_text}", summary.mean_and_std(scorer)) for scorer in summary.scorers]
    tiles.append(("Folds", f"{len(summary.folds)} of {summary.n_planned}"))
    # At most three "mean ± std" tiles a row: four or five in a row cut the numbers short on the Train page.
    for start in range(0, len(tiles), METRICS_PER_ROW):
        for column, (label, value) in zip(st.columns(METRICS_PER_ROW), tiles[start:start + METRICS_PER_ROW]):
            column.metric(label, value)
    figure = validation_charts.fold_scores_figure(summary)
    scores = {s.label: st.column_config.NumberColumn(format=f"%{s.number_format}") for s in summary.scorers}
    scores["Duration (s)"] = st.column_config.NumberColumn(format="%.1f")
    if len(summary.scorers) > 2:  # a regression's four or five score columns need the full width
        st.plotly_chart(figure, key=f"{key}-folds", width="stretch")
        st.dataframe(summary.table(), hide_index=True, width="stretch", column_config=scores, key=f"{key}-fold-table")
    else:
        chart, table = st.columns([3, 2])
        with chart:
            st.plotly_chart(figure, key=f"{key}-folds", width="stretch")
        with table:
            st.dataframe(summary.table(), hide_index=True, width="stretch", column_config=scores,
                         key=f"{key}-fold-table")
    pooled = ("predicted-vs-true and residual plots" if summary.task == "regression"
              else "confusion matrix and ROC curves")
    st.caption(f"± is the standard deviation across folds. The metrics, {pooled} below pool the out-of-fold "
               "predictions (each row predicted by the model that did not train on it"
               + (", first repeat" if summary.config.repeats > 1 else "") + ").")


def live_fold_scores(parts_done: list[dict]) -> None:
    """While a K-fold run trains: the scores of the folds finished so far."""
    if not parts_done:
        return
    # The first score of the task leads: accuracy for a classifier, R² for a regression.
    name = next(iter(parts_done[0]["scores"]))
    values = [p["scores"][name] for p in parts_done]
    shown = ", ".join(f"{v:.3f}" for v in values)
    mean = sum(values) / len(values)
    st.caption(f"Finished folds ({score_in_text(name)}): {shown} · mean so far {mean:.3f}")
