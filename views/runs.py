"""Runs page: every run of this session side by side; compare some of them (curves, settings that
differ, metrics); open one to see everything about it, rename, note, tag or delete it."""

import streamlit as st

from mllab import charts
from mllab.datasets import markdown_escape
from mllab.errors import UserError
from mllab.models import FAMILIES
from mllab.training import (curve_choices, draws_curve, filter_runs, metrics_side_by_side, run_labels,
                            runs_table, same_settings_sentence, settings_diff)
from ui.pages import TRAIN
from ui.panels.results import evaluation_panel
from ui.state import navigation, run_edits, session, transactions, widget_keys

MESSAGE_KEY, ERROR_KEY, CONFIRM_KEY = "runs-message", "runs-edit-error", "runs-delete-confirm"
widget_keys.show_flash(MESSAGE_KEY)
runs = session.runs()
if not runs:
    st.info("No runs yet in this session. Train a model and it appears here.")
    navigation.page_link(TRAIN, label="Go to the Train page", icon=":material/arrow_forward:")
    st.stop()

# -- filters ---------------------------------------------------------------------------------------
columns = st.columns([2, 2, 2, 3])
chosen_datasets = columns[0].multiselect("Dataset", sorted({r.dataset_name for r in runs}), key="filter-datasets",
                                         placeholder="All datasets")
chosen_families = columns[1].multiselect("Model", list(dict.fromkeys(r.family for r in runs)), key="filter-families",
                                         format_func=lambda key: FAMILIES[key].label, placeholder="All models")
chosen_tags = columns[2].multiselect("Tag", sorted({t for r in runs for t in r.tags}, key=str.casefold),
                                     key="filter-tags", placeholder="Any tag", help="Runs with any of these tags")
search_text = columns[3].text_input("Search", key="filter-text", placeholder="Name, note, settings…",
                                    help="Looks in each run's name, note, tags, dataset, model and settings")
shown = filter_runs(runs, chosen_datasets, chosen_families, chosen_tags, search_text)
if not shown:
    st.info(f"No run matches these filters ({len(runs)} runs in this session); clear a filter to see them.")
    st.stop()
if len(shown) < len(runs):
    st.caption(f"Showing {len(shown)} of {len(runs)} runs.")

table = runs_table(shown)
# The user's tags and notes take room only once some run has them.
empty = [c for c in ("Tags", "Note") if not table[c].astype(bool).any()]
st.dataframe(
    table, hide_index=True, width="stretch", column_order=[c for c in table.columns if c not in empty],
    column_config={
        "Tags": st.column_config.TextColumn(width="small"),
        "Note": st.column_config.TextColumn(width="medium"),
        "Test accuracy": st.column_config.NumberColumn(format="%.3f"),
        "Macro F1": st.column_config.NumberColumn(format="%.3f"),
        "ROC AUC": st.column_config.NumberColumn(format="%.3f"),
        "Balanced accuracy": st.column_config.NumberColumn(format="%.3f"),
        "MCC": st.column_config.NumberColumn(format="%.3f"),
        "Kappa": st.column_config.NumberColumn(format="%.3f", help="Cohen's kappa"),
        "Baseline": st.column_config.NumberColumn(
            format="%.3f", help="What a model that looks at no feature scores on the same rows: accuracy of always "
                                "answering the most common class, or the RMSE of always predicting the mean"),
        "Verdict": st.column_config.TextColumn(width="medium", help="The verdict's warnings; open the run to read them"),
        "R²": st.column_config.NumberColumn(format="%.3f"),
        "RMSE": st.column_config.NumberColumn(format="%.4g"),
        "MAE": st.column_config.NumberColumn(format="%.4g"),
        "NMAD": st.column_config.NumberColumn(format="%.4f"),
        "Outliers": st.column_config.NumberColumn(format="percent", help="Share of |Δz|/(1+z) > 0.15"),
        "Duration (s)": st.column_config.NumberColumn(format="%.1f"),
        "Settings": st.column_config.TextColumn(width="large"),
        "Validation": st.column_config.TextColumn(width="medium"),
    },
)
def _score_text(metric: str, value) -> str:
    if value is None or value != value:
        return ""
    if metric == "Outliers":
        return f"{value:.1%}"
    if metric == "Duration (s)":
        return f"{value:.1f}"
    return f"{value:.4g}" if metric in ("RMSE", "MAE", "NMAD") else f"{value:.3f}"


# -- compare ---------------------------------------------------------------------------------------
@st.fragment
def compare_section(shown, labels: dict[int, str]) -> None:
    """The runs chosen for comparing: their curves overlaid, the settings that differ, their scores side by
    side. A fragment: choosing runs or a curve redraws only this part, not the opened run's panels."""
    st.subheader("Compare runs")
    # The last two finished runs, until the user chooses.
    widget_keys.start(run_edits.COMPARE_KEY, [r.number for r in shown if r.finished][-2:])
    chosen_numbers = st.multiselect("Compare runs", list(labels), key=run_edits.COMPARE_KEY,
                                    format_func=lambda n: labels.get(n, f"Run {n}"),
                                    placeholder="Choose runs to compare", label_visibility="collapsed")
    # In the table's order, so a run keeps its colour whatever order it was picked in.
    compared = [r for r in shown if r.number in set(chosen_numbers)]
    if not compared:
        st.caption("Choose runs above to overlay their learning curves and see their settings and scores side by "
                   "side.")
        return
    choices = curve_choices(compared)
    common = [c for c in choices if all(draws_curve(r, c) for r in compared)]
    titles = {title: (key, title) for key, title in reversed(choices)}  # the first pair of each title wins
    title_options = list(dict.fromkeys(title for _, title in choices))
    if widget_keys.get("compare-curve") not in title_options:
        widget_keys.set("compare-curve", (common or choices)[0][1])
    chosen_title = st.radio("Curve", title_options, key="compare-curve", horizontal=True)
    choice = titles[chosen_title]
    drawn = [r for r in compared if draws_curve(r, choice)]
    histories = [charts.RunHistory(labels[r.number], r.history, FAMILIES[r.family].step_label) for r in drawn]
    figures = charts.overlaid_curve_figures(histories, choice[0], chosen_title) if histories else []
    for index, figure in enumerate(figures):
        st.plotly_chart(figure, key=f"compare-curves-{choice[0]}-{index}", width="stretch")
    notes = []
    if len(figures) > 1:
        notes.append("Trees, solver iterations and epochs are not the same unit, so each kind of step has its own "
                     "figure; a run keeps its colour on all of them.")
    left_out = [labels[r.number] for r in compared if r not in drawn]
    if left_out:
        notes.append(f"Not drawn, as their models plot other curves: {', '.join(left_out)}.")
    if any(r.validation.get("scheme", "holdout") not in ("holdout", "supplied") for r in drawn):
        notes.append("A K-fold run's curve is its last fold's.")
    if any(not r.finished for r in drawn):
        notes.append("A run still training shows its curve so far.")
    for note in notes:
        st.caption(markdown_escape(note))
    if len(compared) < 2:
        st.caption("Choose a second run to see how their settings and scores differ.")
        return
    st.markdown("**Settings that differ**")
    diff = settings_diff(compared)
    if diff.empty:
        st.info(markdown_escape(same_settings_sentence(compared)))
    else:
        st.dataframe(diff, hide_index=True, width="stretch")
    st.markdown("**Scores side by side**")
    scores = metrics_side_by_side(compared)
    for column in (labels[r.number] for r in compared):  # each row in its own units, as the runs table has them
        scores[column] = [_score_text(metric, value) for metric, value in zip(scores["Metric"], scores[column])]
    st.dataframe(scores, hide_index=True, width="stretch")


compare_section(shown, dict(zip((r.number for r in shown), run_labels(shown))))

# -- one run ---------------------------------------------------------------------------------------
st.divider()
names = run_labels(shown)
chosen = st.selectbox("Open a run", names, index=len(names) - 1, key=run_edits.OPEN_KEY)
run = shown[names.index(chosen)]
st.markdown(f"**{markdown_escape(run.name)}** · {run.family_label} on {markdown_escape(run.dataset_name)} "
            f"(target: {markdown_escape(run.target)})")
if run.note:
    st.caption(markdown_escape(run.note))


def _edit(action, edited, widget_key: str, shown) -> None:
    """Apply one edit from its widget; input that cannot be used is a sentence, and the widget goes back."""
    try:
        action(edited, widget_keys.get(widget_key))
    except UserError as err:
        widget_keys.flash(ERROR_KEY, markdown_escape(str(err)), "error")  # it may quote the name or tag the user typed
    widget_keys.set(widget_key, shown(edited))  # as the run now has it: stripped, deduplicated, or as it was


def _ask_delete(number: int) -> None:
    widget_keys.set(CONFIRM_KEY, number)


def _delete(doomed) -> None:
    name = doomed.name
    try:
        run_edits.delete_run(doomed)
    except UserError as err:
        widget_keys.flash(ERROR_KEY, markdown_escape(str(err)), "error")
    else:
        widget_keys.flash(MESSAGE_KEY, f"{markdown_escape(name)} deleted.")
    widget_keys.forget(CONFIRM_KEY)


title_key, note_key, tags_key = (f"run-title-{run.number}", f"run-note-{run.number}", f"run-tags-{run.number}")
widget_keys.start(title_key, run.title or "")
widget_keys.start(note_key, run.note)
widget_keys.start(tags_key, list(run.tags))
with st.expander("Name, note and tags", expanded=False):
    left, right = st.columns(2)
    left.text_input("Name", key=title_key, max_chars=run_edits.MAX_TITLE, placeholder=f"Run {run.number}",
                    help="Leave it empty to call the run by its number again.",
                    on_change=_edit, args=(run_edits.rename_run, run, title_key, lambda r: r.title or ""))
    right.multiselect("Tags", sorted({t for r in runs for t in r.tags} | set(run.tags), key=str.casefold),
                      key=tags_key, accept_new_options=True, placeholder="Type a tag and press Enter",
                      help=f"Up to {run_edits.MAX_TAGS} tags of at most {run_edits.MAX_TAG} characters; "
                           "commas separate tags.",
                      on_change=_edit, args=(run_edits.set_tags, run, tags_key, lambda r: list(r.tags)))
    st.text_area("Note", key=note_key, placeholder="What you tried and what you saw",
                 on_change=_edit, args=(run_edits.set_note, run, note_key, lambda r: r.note))
widget_keys.show_flash(ERROR_KEY)

buttons = st.columns([3, 1])
if buttons[0].button("Reopen this run on the Train page", key="reopen-settings", icon=":material/history:",
                     help="Brings back the run's data, cleaning, target and task, and puts its model, "
                          "hyperparameters, preprocessing and validation on the Train page."):
    try:
        transactions.load_run_settings(run)
    except UserError as err:
        st.error(f"This run cannot be reopened. {markdown_escape(str(err))}")
    else:
        navigation.switch_page(TRAIN)
shown_name = markdown_escape(run.name)
if widget_keys.get(CONFIRM_KEY) not in (None, run.number):  # asked about another run, then moved on
    widget_keys.forget(CONFIRM_KEY)
if widget_keys.get(CONFIRM_KEY) == run.number:
    st.warning(f"Delete {shown_name}? Its curves, figures and settings go from this session and cannot be brought "
               "back.")
    yes, no = st.columns(2)
    yes.button(f"Yes, delete {shown_name}", key="delete-yes", type="primary", on_click=_delete, args=(run,))
    no.button("Cancel", key="delete-cancel", on_click=widget_keys.forget, args=(CONFIRM_KEY,))
else:
    buttons[1].button(f"Delete {shown_name}", key="delete-run", icon=":material/delete:", on_click=_ask_delete,
                      args=(run.number,),
                      disabled=not run.finished, help=None if run.finished else "Stop the run before deleting it.")
if not run.finished:
    st.info("This run is still training; its live curves are on the Train page.")
evaluation_panel(run, key=f"runs-{run.number}", from_runs_page=True)

