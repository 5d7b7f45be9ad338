"""The Train page's "Compare the lecture's classifiers": every family that fits the data trained at once on the same
split (mllab.training.family_comparison), each as an ordinary run; while they train, one progress bar per family;
then one table (best first, the baseline as a row, a row opens as a run) and a grid of decision-boundary maps."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mllab import charts
from mllab.datasets import markdown_escape
from mllab.errors import UserError
from mllab.prepare import PreprocessConfig
from mllab.training import ValidationConfig
from mllab.training.family_comparison import (ABOVE_BASELINE, MODEL, NOTE, STATUS, TIME, comparison_table, comparison_tag,
                                              latest_comparison, main_figure, next_comparison_number,
                                              plan_comparison, submission_order, task_word)
from ui.pages import RUNS, TRAIN
from ui.state import jobs, navigation, run_edits, session, transactions, widget_keys
from ui.widgets.live import follow

_ERROR = "family-comparison-error"


def compare_button(container, task: str, disabled: bool) -> bool:
    """The action, beside Train and Stop."""
    return container.button(f"Compare the lecture's {task_word(task)}", key="compare-families", width="stretch",
                            disabled=disabled,
                            help="Trains every model that fits this data, each with its starting settings for "
                                 "this data, on the same split and preprocessing as here, all at once on the "
                                 "training workers: one table and one decision-boundary map per model.")


def _plan(dataset, target, task, redshift, raw_preprocessing, raw_validation, boundary):
    return plan_comparison(dataset, target, task, PreprocessConfig.from_values(raw_preprocessing),
                           ValidationConfig.from_values(raw_validation), boundary, redshift)


def start_comparison(output, engine, owner, dataset, target, task, redshift, raw_preprocessing, raw_validation,
                     boundary) -> None:
    """Submit one run per family that fits, together (the first as Train would, the others alongside it), and
    draw the page again; a sentence in `output` when none can start."""
    try:
        entries = _plan(dataset, target, task, redshift, raw_preprocessing, raw_validation, boundary)
        runnable = submission_order(entries)
        if not runnable:
            raise UserError("No model can train on this data: " + " ".join(e.reason for e in entries))
        tag = comparison_tag(next_comparison_number(session.runs()))
        for index, entry in enumerate(runnable):
            jobs.start_run(engine, owner, entry.spec, title=entry.label, tags=(tag,), alongside=index > 0)
    except UserError as err:
        with output:
            st.error(str(err))
        return
    st.rerun()


def showing_comparison(dataset, target, task) -> list:
    """The runs of the newest comparison when it is the page's result (the newest run is one of them, on the data
    loaded now), else nothing."""
    runs = latest_comparison(session.runs())
    if runs and all(r.dataset_name == dataset.name and r.target == target and r.task == task for r in runs):
        return runs
    return []


def _progress(engine, owner, run) -> tuple[float, str]:
    try:
        state = engine.job(run.job_id, owner)
    except KeyError:
        return (1.0, "finished") if run.finished else (0.0, "waiting")
    text = jobs.progress_text(state.message, state.queue_position, idle="Starting")
    return (1.0 if state.finished else state.progress), text


def _live(engine, owner, run_numbers: list[int]) -> bool:
    """One progress bar per family; True once all have ended."""
    jobs.sync_runs(engine, owner)
    runs = [r for r in session.runs() if r.number in run_numbers]
    for run in runs:
        if run.finished:
            st.progress(1.0, text=f"{run.family_label} · {run.status}")
        else:
            share, text = _progress(engine, owner, run)
            st.progress(share, text=f"{run.family_label} · {text}")
    return all(run.finished for run in runs)


def _open_row(run, where: str) -> None:
    """Open a comparison's run as any run: on the Runs page, or with its settings put back on the Train page."""
    if where == RUNS:
        run_edits.open_on_runs_page(run)
        navigation.switch_page(RUNS)
        return
    try:
        transactions.load_run_settings(run)
    except UserError as err:
        widget_keys.flash(_ERROR, f"This run cannot be reopened. {err}")
    navigation.switch_page(TRAIN)


def comparison_panel(engine, owner, runs: list, dataset, target, task, redshift, raw_preprocessing,
                     raw_validation, boundary) -> None:
    """The comparison as it trains, then its table and maps."""
    widget_keys.show_flash(_ERROR)
    # A line, not a heading: in presenter mode a heading took two lines of the table's room at 1280 x 720.
    st.markdown(f"**The lecture's {task_word(task)}** on {markdown_escape(dataset.name)}, one split, each with its "
                "starting settings for this data")
    if not all(run.finished for run in runs):
        follow(lambda numbers=[r.number for r in runs]: _live(engine, owner, numbers))
        return
    refused = [e for e in _plan(dataset, target, task, redshift, raw_preprocessing, raw_validation, boundary)
               if e.spec is None]
    table = comparison_table(runs, task=task)
    # The baseline trains nothing: a dash, not the "None" a number column shows for a missing value.
    table[TIME] = table[TIME].map(lambda seconds: "—" if pd.isna(seconds) else f"{seconds:.1f}")
    main = main_figure(task)
    figures = [c for c in table.columns if c not in ("Run", MODEL, STATUS, NOTE, TIME, ABOVE_BASELINE)]
    # Status and the note only when some run did not end well: the table then fits the result column.
    trouble = any(run.status != "completed" for run in runs)
    shown = [c for c in table.columns if c != "Run" and (trouble or c not in (STATUS, NOTE))]
    picked = st.dataframe(
        table, hide_index=True, width="stretch", key="comparison-table", on_select="rerun",
        selection_mode="single-row", column_order=shown,
        column_config={MODEL: st.column_config.TextColumn(width="medium"),
                       NOTE: st.column_config.TextColumn(width="medium"),
                       ABOVE_BASELINE: st.column_config.NumberColumn(
                           "vs baseline", format="%+.3f", help=f"{main} minus the baseline's: what the features add"),
                       TIME: st.column_config.TextColumn("Time (s)", help="Seconds of training on its worker"),
                       "Balanced accuracy": st.column_config.NumberColumn("Balanced", format="%.3f",
                                                                          help="Balanced accuracy"),
                       **{c: st.column_config.NumberColumn(format="%.3f") for c in figures
                          if c != "Balanced accuracy"}})
    if refused:
        st.caption("Left out: " + " ".join(markdown_escape(e.reason) for e in refused))
    rows = picked.selection.rows if picked is not None else []
    number = table.iloc[rows[0]]["Run"] if rows else None
    chosen = next((r for r in runs if number is not None and r.number == number), None)
    left, right = st.columns(2)
    if left.button("Open the chosen row on the Runs page", key="comparison-open", disabled=chosen is None,
                   width="stretch", help="Tick a model's row in the table first."):
        _open_row(chosen, RUNS)
    if right.button("Put its settings on the Train page", key="comparison-reopen", disabled=chosen is None,
                    width="stretch", help="Tick a model's row first: its model and settings go on this page, to "
                                          "change and train again."):
        _open_row(chosen, TRAIN)
    _maps(runs, task)


def _maps(runs: list, task: str) -> None:
    if task != "classification":
        st.caption("A regression has no classes to map: the table is the comparison.")
        return
    drawn = [r for r in runs if r.result is not None and getattr(r.result, "boundary", None) is not None]
    if not drawn:
        return
    st.caption(markdown_escape(drawn[0].result.boundary.note) + " Each map: the predicted class, paler where the "
               "model is less sure; test rows as diamonds, the misclassified ones ringed in black.")
    # Three across in presenter mode (no sidebar: the result column is about 750 px at 1280 x 720), two beside
    # the sidebar, where three were 180 px each and their titles cut.
    per_row = 3 if navigation.presenting() else 2
    for start in range(0, len(drawn), per_row):
        for column, run in zip(st.columns(per_row), drawn[start:start + per_row]):
            accuracy = run.result.evaluation.summary().get("accuracy")
            title = run.family_label.split(" (")[0] + (f" · {accuracy:.3f}" if accuracy is not None else "")
            with column:
                st.plotly_chart(charts.boundary_thumbnail(run.result.boundary, title, height=280),
                                key=f"comparison-map-{run.number}", width="stretch")
