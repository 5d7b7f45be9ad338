"""Panels that show a run: live progress while it trains, evaluation once it is done."""

from __future__ import annotations

import streamlit as st

from mllab import charts
from mllab.datasets import markdown_escape
from mllab.models import FAMILIES
from mllab.prepare import CleaningChoices, not_known_mask
from mllab.training import Run, describe_params
from ui.pages import PREDICT
from ui.panels.boundary import boundary_tab
from ui.panels.export import code_download
from ui.panels.inspection import confusion_panel, misclassified_panel, samples_panel
from ui.panels.inspection_model import importance_tab
from ui.panels.share import share_run_button
from ui.panels.tree_diagram import tree_panel
from ui.panels.validation import cross_validation_panel
from ui.panels.verdict import (baseline_delta, baseline_help, calibration_tab, show_message,
                               verdict_panel)
from ui.prebuilt import prebuilt, prebuilt_dict
from ui.state import navigation, prediction, session, widget_keys
from ui.state.run_edits import CURVE_FIGURES
from ui.widgets import presenter

STATUS_TEXT = {"queued": "Queued", "running": "Training", "completed": "Finished", "stopped": "Stopped",
               "failed": "Failed", "interrupted": "Interrupted"}


# A live curve in presenter mode: shorter than the projector's 640 px, so that at 1280x720 the whole curve is on
# the first screen under the title, the page links, the actions, the progress and Pause (it ends near 710 px).
LIVE_PRESENTER_HEIGHT = 280


def learning_curves(run: Run, key: str, live: bool = False) -> None:
    family = FAMILIES[run.family]
    for column, (metric, title) in zip(st.columns(2), family.curves_for(run.task)):
        with column:
            st.plotly_chart(_curve_figure(run, metric, title, family.step_label, presenter.presenting(), live),
                            key=f"{key}-{metric}", width="stretch")


def _curve_figure(run: Run, metric: str, title: str, step_label: str, projector: bool = False, live: bool = False):
    """The curve figure, rebuilt only when the run has reported a new step.

    The live panel redraws twice a second in every watching browser, and building a Plotly figure
    costs ~30 ms here (a quarter of the server's CPU while one browser watched a run, py-spy); most
    polls find no new epoch. One figure is kept per run and metric, and the history is append-only.
    """
    cache = widget_keys.session_cache(CURVE_FIGURES)
    last = run.history[-1] if run.history else None
    baseline = getattr(run.result, "baseline", None) if run.result is not None else None
    reference = None if baseline is None else baseline.curve_reference(metric)
    signature = (len(run.history), tuple(sorted(last.items())) if last else (), reference, projector, live)
    cached = cache.get((run.job_id, metric))
    if cached is None or cached[0] != signature:
        if projector:  # presenter mode (one browser, the lecturer's): larger, made from a go.Figure
            big = charts.for_projector(charts.learning_curves(
                run.history, metric, title, x_label=step_label, baseline=reference), copy=False)
            if live:  # short: the legend in one row under the plot, in place of the step axis's title (the
                # progress above says "epoch 37 of 200"), so neither covers the other
                big.update_layout(height=LIVE_PRESENTER_HEIGHT, margin=dict(b=60), legend=dict(
                    orientation="h", x=0.5, xanchor="center", y=0, yref="container", yanchor="bottom",
                    title_text="", font=dict(size=20)))
                big.update_xaxes(title_text="")
            figure = prebuilt(big)
        else:
            figure = prebuilt_dict(charts.learning_curves_dict(run.history, metric, title, x_label=step_label,
                                                               baseline=reference))
        # Drawn again by every poll until a new step arrives: converted for Streamlit once.
        cached = (signature, figure)
        cache[(run.job_id, metric)] = cached
    return cached[1]


def run_header(run: Run) -> None:
    st.markdown(f"**{markdown_escape(run.name)}** · {run.family_label} on {markdown_escape(run.dataset_name)} "
                f"(target: {markdown_escape(run.target)})")


def evaluation_panel(run: Run, key: str, from_runs_page: bool = False) -> None:
    """Everything known about a finished run, answers first: a few headline figures beside their baseline, the
    verdict, the next steps, then the other figures folded and the charts in a handful of tabs (they fit at
    1280x720). Shared by the Train and Runs pages (whose verdict buttons open the Train page)."""
    show_message()
    if run.error:
        st.error(run.error)
    result = run.result
    if result is None:
        share_run_button(run, key)
        if run.history:
            learning_curves(run, key)
        return
    evaluation = result.evaluation
    if result.cross_validation is not None:
        cross_validation_panel(result.cross_validation, key)
    if evaluation.task == "regression":
        regression_panel(run, key, from_runs_page)
        return
    headline = st.columns(3)
    headline[0].metric("Out-of-fold accuracy" if result.cross_validation else "Test accuracy",
                       f"{evaluation.accuracy:.3f}", delta=baseline_delta(run, "accuracy", evaluation.accuracy),
                       help=baseline_help(run))
    if getattr(evaluation, "balanced_accuracy", None) is not None:  # None: a run from before these figures existed
        headline[1].metric("Balanced accuracy", f"{evaluation.balanced_accuracy:.3f}",
                           delta=baseline_delta(run, "balanced_accuracy", evaluation.balanced_accuracy),
                           help="The mean of the classes' recalls: always answering one class scores 1 / (number of "
                                "classes). Under the figure: how far it is above that, and that score.")
    headline[2].metric("Macro F1", f"{evaluation.macro['f1']:.3f}",
                       help="The mean over the classes of F1 (the balance of precision and recall): a rare class "
                            "counts as much as a common one.")
    _status_lines(run)
    verdict_panel(run, key, switch=from_runs_page)
    next_steps(run, key)
    with st.expander("More figures", expanded=False):
        _more_classification_figures(run)
    # Which tab is open is tracked (a rerun on a switch) so that opening Boundary draws a missing map at once.
    curves, errors, scores, boundary, importance, details = st.tabs(
        ["Curves", "Errors", "Scores", "Boundary", "Features", "Model"], key=f"{key}-result-tabs", on_change="rerun")
    with curves:
        learning_curves(run, key)
    with errors:
        confusion, misclassified, samples = st.tabs(["Confusion matrix", "Misclassified", "Samples"])
        with confusion:
            confusion_panel(run, key)
        with misclassified:
            misclassified_panel(run, key)
        with samples:
            samples_panel(run, key)
    with scores:
        roc, precision_recall, calibration, per_class = st.tabs(
            ["ROC curves", "Precision–recall", "Calibration", "Per-class metrics"])
        with roc:
            presenter.plotly_chart(charts.roc_figure(evaluation), key=f"{key}-roc", width="stretch")
        with precision_recall:
            presenter.plotly_chart(charts.precision_recall_figure(evaluation), key=f"{key}-precision-recall",
                                   width="stretch")
        with calibration:
            calibration_tab(evaluation, key)
        with per_class:
            st.dataframe(charts.metrics_table(evaluation), hide_index=True, width="stretch")
    with boundary:
        boundary_tab(run, key, opened=boundary.open)
    with importance:
        importance_tab(run, key)
    with details:
        settings_details(run, key)


def _more_classification_figures(run: Run) -> None:
    """The figures after the headline: ROC AUC, MCC, kappa, the Brier score, where and how long it trained."""
    result = run.result
    evaluation = result.evaluation
    first, second = st.columns(3), st.columns(3)
    first[0].metric("ROC AUC", "—" if evaluation.roc_auc is None else f"{evaluation.roc_auc:.3f}",
                    help="The chance that the model ranks a random row of a class above a random row of another: "
                         "1 perfect, 0.5 a coin.")
    if getattr(evaluation, "mcc", None) is not None:
        first[1].metric("MCC", f"{evaluation.mcc:.3f}",
                        help="Matthews correlation between the true and predicted classes: 1 perfect, 0 no better "
                             "than guessing, below 0 worse.")
        first[2].metric("Cohen's kappa", f"{evaluation.kappa:.3f}",
                        help="Agreement with the true classes beyond what chance gives: 1 perfect, 0 chance.")
    if getattr(evaluation, "calibration", None) is not None:
        second[0].metric("Brier score", f"{evaluation.calibration.brier:.3f}",
                         help="Mean squared difference between the probabilities and what happened: 0 is perfect. "
                              "See Scores › Calibration.")
    second[1].metric("Device used", result.device_used)
    second[2].metric("Duration", duration_text(result.duration_s))


def duration_text(seconds: float) -> str:
    """A run's duration as people say it: "1.8 s", "2 min 05 s"."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def next_steps(run: Run, key: str) -> None:
    """Under the result, what to do with it: predict the rows not known yet (the Predict page), write it as code
    (the export panel), share it (a read-only link)."""
    with st.container(horizontal=True, key=f"next-steps-{key}"):
        model_file = getattr(run.result, "model_file", None)
        if model_file is not None and not model_file.refused:
            if st.button(_predict_label(run), key=f"predict-with-{run.number}", icon=":material/label:",
                         help="Opens the Predict page with this run chosen: classify rows nobody has labelled yet."):
                prediction.choose_run(run.number)
                navigation.switch_page(PREDICT)
        if run.status in ("completed", "stopped"):
            with st.popover("Write as code", icon=":material/code:"):
                code_download(run)
        share_run_button(run, key)


def _predict_label(run: Run) -> str:
    """ "Predict the 753 rows not known yet" when the loaded data is the run's and has such rows."""
    raw = session.raw_dataset()
    if raw is not None and run.data_source and run.data_source == session.data_source() and run.target in raw.frame:
        choices = session.cleaning_choices() or CleaningChoices(target=run.target)
        mask = not_known_mask(raw.frame, run.target, choices)
        if mask.any():
            return f"Predict the {int(mask.sum()):,} rows not known yet"
    return "Predict new rows with this model"


def settings_details(run: Run, key: str) -> None:
    """The Model tab: the settings in words, a decision tree's diagram and the kept model (the code is under
    "Write as code")."""
    settings_text(run)
    tree_panel(run, key)
    model_download(run)


def settings_text(run: Run) -> None:
    """The run's settings in words, and its layers (the read-only view of a shared run shows only this)."""
    st.markdown(f"**Hyperparameters:** {describe_params(run.family, run.params, run.task)}")
    pre = run.preprocessing
    stratified = pre["stratify"] and run.task != "regression"
    st.markdown(
        f"**Preprocessing:** impute {pre['imputation']}, scaling {pre['scaling']}, "
        f"one-hot {'on' if pre['one_hot'] else 'off'}, PCA {pre['pca_components'] or 'off'}, "
        f"test fraction {pre['test_fraction']:g}, {'stratified' if stratified else 'random'} split, "
        f"seed {pre['seed']}")
    if run.model_summary:
        st.code(run.model_summary, language=None)


def model_download(run: Run) -> None:
    """The trained model as a zip, when the run kept it (see mllab.training.model_export)."""
    model_file = getattr(run.result, "model_file", None) if run.result is not None else None
    if model_file is None:
        st.caption("To take the trained model away or predict with it, tick 'Keep the trained model' before "
                   "training (hold-out runs).")
    elif model_file.refused:
        st.warning(model_file.refused)
    else:
        st.download_button(f"Download the trained model ({file_size(len(model_file.data))} zip)", model_file.data,
                           file_name=model_file.filename, mime="application/zip", key=f"download-{run.number}",
                           help="The fitted preprocessing and model in safe formats (skops, .keras), with "
                                "model_info.json and a README saying how to load them in Python. To predict with it "
                                "here, use the Predict button under the result.",
                           icon=":material/download:", on_click="ignore")


def file_size(n_bytes: int) -> str:
    """ "740 kB", "12.3 MB": a small model said in kB rather than "0.0 MB"."""
    return f"{max(1, round(n_bytes / 1000)):,} kB" if n_bytes < 1_000_000 else f"{n_bytes / 1_000_000:.1f} MB"


def _status_lines(run: Run) -> None:
    result = run.result
    if result.cross_validation is not None:
        # Each fold trains on its own rows; the pooled evaluation covers every row once.
        rows = (f"about {result.n_train:,} training rows per fold, {result.n_test:,} rows each predicted by the "
                "fold that did not train on it")
    else:
        rows = f"{result.n_train:,} training rows, {result.n_test:,} test rows"
    st.caption(f"{STATUS_TEXT[run.status]} · {rows}, {result.n_features:,} features after preprocessing.")
    if run.status == "stopped" and result.cross_validation is None:  # a K-fold run's notes say what was kept
        reached = run.history[-1]["step"] if run.history else 0
        unit = FAMILIES[run.family].step_label.lower()
        st.warning(f"Stopped at {unit} {reached}; the model as it was then is evaluated below.")
    for note in result.notes:
        st.info(note)


def _number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


OUT_OF_FOLD_LABEL = "Out-of-fold predictions"


def _pooled_points(figure, pooled: bool):
    """A K-fold run's points are every row, each predicted out of fold: the legend says so, not "Test rows"."""
    if pooled:
        figure.update_traces(name=OUT_OF_FOLD_LABEL, selector=dict(name=charts.TEST_ROWS_LABEL))
    return figure


def regression_panel(run: Run, key: str, from_runs_page: bool = False) -> None:
    """A finished regression: errors, R², photo-z figures, predicted-vs-true and residual plots.

    For a K-fold run every figure is computed on the pooled out-of-fold predictions, and says so.
    """
    result = run.result
    evaluation = result.evaluation
    # A K-fold run's numbers are not from one test split: every row is predicted by the fold model
    # that did not train on it. The per-fold table above it is drawn by evaluation_panel.
    pooled = result.cross_validation is not None
    prefix = "Out-of-fold " if pooled else ""
    rows = "out-of-fold predictions" if pooled else "test rows"
    photo_z = evaluation.photo_z
    headline = st.columns(3)
    headline[0].metric(f"{prefix}R²", "—" if evaluation.r2 is None else f"{evaluation.r2:.3f}",
                       delta=baseline_delta(run, "r2", evaluation.r2),
                       help=f"Share of the target's variance the model explains on the {rows}: 1 is perfect, "
                            "0 is no better than always predicting the mean (the baseline, under the figure).")
    baseline = getattr(result, "baseline", None)
    rmse_baseline = None if baseline is None else baseline.score("rmse")
    headline[1].metric(f"{prefix}RMSE", _number(evaluation.rmse), delta_color="inverse",
                       help="Root mean squared error, in the target's units. Under the figure: the change from "
                            "always predicting the mean, and that predictor's RMSE.",
                       delta=None if rmse_baseline is None else f"{_number(evaluation.rmse - rmse_baseline, 3)} vs "
                                                                 f"{_number(rmse_baseline, 3)}")
    if photo_z is not None:
        headline[2].metric(f"{prefix}NMAD", f"{photo_z.nmad:.4f}",
                           help="1.4826 × median |Δz/(1+z) − median|: the scatter of the scaled errors, "
                                "not inflated by outliers.")
    else:
        headline[2].metric(f"{prefix}MAE", _number(evaluation.mae), help="Mean absolute error, in the target's units.")
    _status_lines(run)
    verdict_panel(run, key, switch=from_runs_page)
    next_steps(run, key)
    with st.expander("More figures", expanded=False):
        more = st.columns(3)
        if photo_z is not None:
            more[0].metric(f"{prefix}MAE", _number(evaluation.mae), help="Mean absolute error, in the target's units.")
        more[1].metric("Device used", result.device_used)
        more[2].metric("Duration", duration_text(result.duration_s))
        if photo_z is not None:
            z_cols = st.columns(3)
            z_cols[0].metric("σ(Δz/(1+z))", f"{photo_z.sigma:.4f}", help="Standard deviation of Δz/(1+z).")
            z_cols[1].metric("Bias", f"{photo_z.bias:+.4f}",
                             help="Mean of Δz/(1+z): above 0, redshifts come out too high.")
            z_cols[2].metric("Outliers", f"{100 * photo_z.outlier_fraction:.2f} %",
                             help=f"{rows.capitalize()} with |Δz|/(1+z) > 0.15: {photo_z.n_outliers:,} of "
                                  f"{evaluation.n_samples:,}.")
        st.caption(f"MSE {_number(evaluation.mse)} (squared target units) on {evaluation.n_samples:,} {rows}"
                   + (" (each row predicted once, by the fold model that did not train on it)." if pooled else "."))
    curves, errors, importance, details = st.tabs(["Curves", "Errors", "Features", "Model"])
    with curves:
        learning_curves(run, key)
    with errors:
        scatter, residuals, samples = st.tabs(["Predicted vs true", "Residuals", "Samples"])
        with scatter:
            presenter.plotly_chart(
                _pooled_points(charts.predicted_vs_true_figure(evaluation, run.target, run.redshift), pooled),
                key=f"{key}-predicted", width="stretch")
        with residuals:
            presenter.plotly_chart(
                _pooled_points(charts.residuals_figure(evaluation, run.target, run.redshift), pooled),
                key=f"{key}-residuals", width="stretch")
        with samples:
            samples_panel(run, key)
    with importance:
        importance_tab(run, key)
    with details:
        settings_details(run, key)
