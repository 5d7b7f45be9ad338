"""The verdict after a run, with a button for each fix that is a setting; the calibration tab; the Train
page's choice of what the boundary map is drawn over (the boundary tab and the MLP's live map are in
ui.panels.boundary).

A button loads the run's own settings back onto the Train page and changes the one the verdict
names, so the next run is one click away. Buttons act in callbacks, which run before the page draws
its widgets; a change to the data (a column left out, a marker made missing) goes into the Data
page's cleaning choices and the cleaned dataset is made again.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mllab import charts
from mllab.datasets import Dataset, markdown_escape
from mllab.evaluation.boundary import PCA
from mllab.models import FAMILIES
from mllab.prepare import PREPROCESSING_SCHEMA, split_columns
from mllab.training import VALIDATION_SCHEMA, Run
from ui.panels.cleaning import MARKER_PREFIX
from ui.pages import TRAIN
from ui.state import navigation, room, session, settings, transactions, widget_keys
from ui.widgets import presenter

MESSAGE_KEY = "verdict-message"  # (level, text) left by a button for the Train page to show
ICONS = {"success": ":material/check_circle:", "info": ":material/info:", "warning": ":material/warning:"}


def _change_data(run: Run, action) -> str | None:
    """Leave columns out or make markers missing in the cleaning choices; a sentence when impossible."""
    raw, choices = session.raw_dataset(), session.cleaning_choices()
    current = session.current_dataset()
    if raw is None or choices is None or current is None or current.name != run.dataset_name:
        return (f"This run was trained on {run.dataset_name}; load it on the Data page first, then press the button "
                "again.")
    if action.exclude:
        excluded = tuple(dict.fromkeys(choices.excluded + action.exclude))
        choices = choices.replace(excluded=excluded)
        if widget_keys.has("clean-excluded"):  # the Data page's multiselect starts from its own state
            widget_keys.set("clean-excluded", list(excluded))
    if action.missing:
        choices = choices.replace(missing=tuple(dict.fromkeys(choices.missing + action.missing)),
                                  offered_markers=tuple(dict.fromkeys(choices.offered_markers + action.missing)))
        widget_keys.forget_prefixed(MARKER_PREFIX)  # the marker checkboxes are drawn again from the choices
    transactions.change_cleaning(choices)
    return None


def apply_action(run: Run, action, switch: bool) -> None:
    """A verdict button's callback: the run's settings, with the change the verdict suggests."""
    if action.exclude or action.missing:
        problem = _change_data(run, action)
        if problem:
            widget_keys.flash(MESSAGE_KEY, problem, "error")
            return
    transactions.put_run_settings_on_train(run)
    if action.params:
        settings.put_values(FAMILIES[run.family].params, f"{settings.HYPERPARAMETERS}-{run.family}",
                            dict(action.params))
    if action.preprocessing:
        settings.put_values(PREPROCESSING_SCHEMA, settings.PREPROCESSING, dict(action.preprocessing))
    if action.validation:
        settings.put_values(VALIDATION_SCHEMA, settings.VALIDATION, dict(action.validation))
    widget_keys.flash(MESSAGE_KEY, f"Done: {action.label[0].lower()}{action.label[1:]}, with the other "
                                   f"settings of {markdown_escape(run.name)}. Press Train for the next run.")
    if switch:
        navigation.switch_after_callback(TRAIN)


def show_message() -> None:
    stored = widget_keys.take_flash(MESSAGE_KEY)
    if stored is not None:
        level, text = stored
        (st.error if level == "error" else st.success)(markdown_escape(text))


def verdict_panel(run: Run, key: str, switch: bool = False) -> None:
    """The verdict's sentences, each warning with its button; `switch` opens the Train page after one."""
    verdict = getattr(run.result, "verdict", None)
    if verdict is None:
        return
    step = room.step_in_force()  # a room's member: a fix may not change what the lecturer set
    with st.container(border=True, key=f"{key}-verdict"):
        st.markdown("**Verdict**")
        for index, finding in enumerate(verdict.findings):
            text = markdown_escape(finding.sentence)
            if finding.level == "warning":
                st.warning(text, icon=ICONS["warning"])
            elif finding.level == "success":
                st.success(text, icon=ICONS["success"])
            else:
                st.info(text, icon=ICONS["info"])
            if finding.action is not None and run.finished and room.fixed_by_lecturer(step, run.family,
                                                                                         finding.action):
                st.caption("Your lecturer set this for the room's step, so there is no button to change it here.")
            elif finding.action is not None and run.finished:
                st.button(finding.action.label, key=f"{key}-fix-{index}", on_click=apply_action,
                          args=(run, finding.action, switch), icon=":material/build:")


def calibration_tab(evaluation, key: str) -> None:
    calibration = getattr(evaluation, "calibration", None)
    if calibration is None:
        st.caption("This run has no calibration figures (it was trained before they were added).")
        return
    sentence = calibration.sentence()
    if sentence:
        st.markdown(markdown_escape(sentence))
    st.caption(f"Brier score {calibration.brier:.3f} (0 is perfect; lower is better). The {calibration.n_samples:,} "
               "rows are sorted by the probability the model gave and cut into bins of about equal size (quantile "
               "bins); each point is one bin, its size and hover say how many rows it holds. On the dotted line the "
               "model's probabilities mean what they say.")
    presenter.plotly_chart(charts.reliability_figure(calibration), key=f"{key}-reliability", width="stretch")


BOUNDARY_OFF, BOUNDARY_PCA, BOUNDARY_FEATURES = "Off", "First two principal components", "Two features I choose"


def boundary_settings(dataset: Dataset, target: str, task: str, kfold: bool):
    """The Train page's choice of the decision-boundary map: None, "pca" or two numeric feature columns."""
    if task != "classification":
        return None
    with st.expander("Decision-boundary map", expanded=False):
        if kfold:
            st.caption("Drawn for hold-out runs: K-fold trains one model per fold.")
            return None
        numeric, _ = split_columns(dataset.frame[dataset.feature_columns(target)])
        options = [BOUNDARY_OFF, BOUNDARY_PCA] + ([BOUNDARY_FEATURES] if dataset.kind == "table" and
                                                  len(numeric) >= 2 else [])
        if settings.value("boundary-choice") not in options:
            # Images and signals: off unless asked for (a forest on digits would spend a third longer on the map).
            settings.put("boundary-choice", BOUNDARY_PCA if dataset.kind == "table" else BOUNDARY_OFF)
        choice = st.radio("Draw the predicted class over", options, key="boundary-choice",
                          help="Worked out after training on a 100 × 100 grid, with the trained model: the other "
                               "features are held at their median. A neural network (MLP) redraws it every few "
                               "epochs while it trains.")
        if choice == BOUNDARY_OFF:
            return None
        if choice == BOUNDARY_PCA:
            return PCA
        left, right = st.columns(2)
        for name, default in (("boundary-x", 0), ("boundary-y", 1)):
            if settings.value(name) not in numeric:
                settings.put(name, numeric[default])
        x = left.selectbox("Across", numeric, key="boundary-x", format_func=str)
        y = right.selectbox("Up", numeric, key="boundary-y", format_func=str)
        if x == y:
            st.caption("Choose two different features.")
        return (x, y)


def baseline_help(run: Run) -> str | None:
    """The baseline in a sentence, for the help of a run's headline figure."""
    baseline = getattr(run.result, "baseline", None)
    if baseline is None:
        return None
    return (f"Under the figure: how far it is above the baseline, and the baseline's own score: what a model that looks "
            f"at no feature gets on the same rows by {baseline.description}.")


def baseline_delta(run: Run, name: str, value: float | None) -> str | None:
    """e.g. "+0.098 vs 0.649" for a metric tile: the gain over the baseline's score, short enough for a tile."""
    baseline = getattr(run.result, "baseline", None)
    reference = None if baseline is None else baseline.score(name)
    if reference is None or value is None or pd.isna(value):
        return None
    return f"{value - reference:+.3f} vs {reference:.3f}"
