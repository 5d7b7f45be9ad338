"""Model-level inspection of a finished run: feature importance, PCA explained variance, and the
learning curve by training-set size (a job of its own, run with the run's settings)."""

from __future__ import annotations

import streamlit as st

from mllab import charts
from mllab.datasets import markdown_escape
from mllab.errors import UserError
from mllab.evaluation import top_features
from mllab.prepare import PreprocessConfig
from mllab.training import LearningCurveRecord, LearningCurveSpec, Run, TrainingSpec
from ui.state import jobs, session
from ui.state.session import active_learning_curve, learning_curves_asked
from ui.widgets.live import follow

LEARNING_CURVE_BUTTON = "Learning curve (score vs training-set size)"
TOP = 20


# -- feature importance and PCA -----------------------------------------------------------------
def importance_tab(run: Run, key: str) -> None:
    """The "Feature importance" tab of a finished run: impurity and permutation bars, PCA variance."""
    result = run.result
    importance = result.importance
    if importance is None:
        if result.cross_validation is not None:
            st.info("Feature importance is measured on hold-out runs: a K-fold run trains one model per fold. "
                    "Choose hold-out under Validation and train again to see it.")
        elif run.status == "stopped":
            st.info("This run was stopped, so its feature importance was not measured.")
        else:
            st.info("This run has no feature importance.")
    else:
        kinds = [kind for kind, values in (("impurity", importance.impurity),
                                           ("permutation", importance.permutation_mean)) if values is not None]
        # One above the other: side by side in the Train page's output column, the feature names and
        # axis titles were cut off.
        for kind in kinds:
            rows = top_features(importance, kind, TOP)
            st.plotly_chart(charts.importance_figure(rows, kind, importance.score_label, importance.n_features),
                            key=f"{key}-importance-{kind}", width="stretch")
        if importance.impurity is not None:
            st.caption("Impurity importance: how much each feature's splits purify the forest's trees, as shares "
                       "summing to 1. Measured on the training rows; it favours features with many distinct values.")
        if importance.permutation_mean is not None:
            baseline = "" if importance.baseline_score is None else \
                f" ({importance.score_label} {importance.baseline_score:.3f} unshuffled)"
            # Worded without "test accuracy", the label of the run's headline metric that pages look up.
            st.caption(f"Permutation importance: how much the {importance.score_label} on the test rows drops when "
                       f"one feature's values are shuffled among {importance.n_rows:,} of them{baseline}; bars are the mean "
                       f"of {importance.n_repeats} shuffles, whiskers ± one standard deviation. Near 0: the model "
                       "does not need that feature (or another carries the same information).")
        for note in importance.notes:
            st.info(note)
    if result.pca_variance_ratio:
        ratios = result.pca_variance_ratio
        st.plotly_chart(charts.pca_variance_figure(ratios, "Variance kept by the PCA preprocessing"),
                        key=f"{key}-pca-variance", width="stretch")
        st.caption(f"The {len(ratios)} components the PCA kept hold {100 * sum(ratios):.1f}% of the variance of the "
                   "training rows' features after scaling. The model sees PC1, PC2, …, not the original columns, "
                   "so its feature importance is per component.")


# -- learning curve by training-set size ----------------------------------------------------------
def _busy_reason(run: Run, dataset, target: str, task: str) -> str | None:
    if session.active_run() is not None:
        return "A training run is in progress; the learning curve can start once it has finished."
    if session.active_search() is not None:
        return "A hyperparameter search is in progress; the learning curve can start once it has finished."
    if active_learning_curve() is not None:
        return "A learning curve is already being measured."
    if run.status == "failed":
        return f"{markdown_escape(run.name)} failed, so there are no working settings to measure."
    if dataset is None or dataset.name != run.dataset_name or target != run.target or task != run.task:
        return (f"The data chosen now is not what {markdown_escape(run.name)} trained on; load that dataset and target again, "
                "or train a new run.")
    return None


def learning_curve_panel(run: Run, dataset, target: str, task: str, engine, owner: str) -> None:
    """Under a finished run on the Train page: the button, live progress, then the chart and its reading.

    The page syncs the learning curves once, at its top, so the Train button and this panel agree on
    whether the curve has finished; while it runs, the live fragment reruns the page when it ends."""
    record = next((r for r in reversed(learning_curves_asked()) if r.run_number == run.number), None)
    with st.expander("Learning curve: score against training-set size", expanded=True):
        st.caption(f"Trains {markdown_escape(run.name)}'s settings again on 10%, 20%, 40%, 70% and 100% of its training rows "
                   "(the hold-out split, stratified subsets) and scores each model on its training rows and on "
                   "the test rows: does more data help?")
        reason = _busy_reason(run, dataset, target, task)
        clicked = st.button(LEARNING_CURVE_BUTTON, key=f"learning-curve-{run.number}", disabled=reason is not None,
                            help=reason)
        if reason is not None and (record is None or record.finished):
            st.caption(reason)
        if clicked and reason is None:
            spec = LearningCurveSpec(TrainingSpec(
                dataset=dataset, target=run.target, preprocessing=PreprocessConfig.from_values(run.preprocessing),
                family=run.family, params=dict(run.params), device=run.device_requested, task=run.task,
                redshift=run.redshift))
            try:
                job_id = engine.submit(spec, owner)
            except UserError as err:
                st.error(str(err))
            else:
                learning_curves_asked().append(LearningCurveRecord(run_number=run.number, job_id=job_id))
                st.rerun()
        if record is None:
            return
        if not record.finished:
            follow(lambda: _live(record.job_id, engine, owner))
        else:
            _finished(record, key=f"learning-curve-chart-{run.number}")


def _live(job_id: str, engine, owner: str) -> bool:
    """The learning curve as it is measured; True once it has ended."""
    jobs.sync_learning_curves(engine, owner)
    record = next(r for r in learning_curves_asked() if r.job_id == job_id)
    st.progress(record.progress, text=jobs.progress_text(record.message, record.queue_position))
    if st.button("Stop the learning curve", key="learning-curve-stop", disabled=record.finished):
        engine.stop(job_id, owner, message="Stopping after the current size…")
    metric = record.points[0]["metric"] if record.points else "accuracy"
    st.plotly_chart(charts.training_size_figure(record.points, metric), key="learning-curve-live", width="stretch")
    return record.finished  # a full rerun draws the result and re-enables the buttons


def _finished(record: LearningCurveRecord, key: str) -> None:
    if record.error:
        st.error(record.error)
    result = record.result
    if result is None:
        return
    st.plotly_chart(charts.training_size_figure(result.history, result.metric_label), key=key, width="stretch")
    if result.history:
        st.success(result.reading())
    for note in result.notes:
        st.info(note)
    st.caption(f"{result.n_train:,} training rows at most, {result.n_test:,} test rows · "
               f"{result.duration_s:.1f} s for {len(result.history)} size{'s' if len(result.history) != 1 else ''}.")
