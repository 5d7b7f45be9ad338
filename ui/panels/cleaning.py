"""The Data page's cleaning controls: 'missing' markers, columns left out, new columns from formulas.

The choices live in the session as one `CleaningChoices` (the widgets' own state is dropped by
Streamlit whenever the user visits another page), and every widget is initialised from it. The
buttons work through callbacks, which run before the page is drawn, so what they add shows at once.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from mllab.datasets import Dataset, markdown_escape
from mllab.errors import DataError
from mllab.prepare import (FUNCTIONS, CleaningChoices, DerivedColumn, MissingMarker, add_derived_column, apply_cleaning,
                           count_value, format_value, group_markers, marker_sentence, optional_columns,
                           parse_marker_value, structural_columns, target_names)
from ui.state import session, widget_keys
from ui.state.transactions import TARGET_LEFT_OUT_WIDGET, TARGET_UNKNOWN_WIDGET

MESSAGE_KEY = "cleaning-message"     # (level, text) left by a callback for the page to show
UNKNOWN_KEY = TARGET_UNKNOWN_WIDGET  # the target's "not known yet" values (reset when new data is loaded)


MARKER_PREFIX = "clean-marker-box-"


def _marker_key(group) -> str:
    # Widget keys from column names of any kind: a digest keeps them short and free of odd characters.
    return MARKER_PREFIX + hashlib.sha1(repr((group.value, group.columns)).encode()).hexdigest()[:12]


def _message(level: str, text: str) -> None:
    widget_keys.flash(MESSAGE_KEY, text, level)


def _show_message() -> None:
    widget_keys.show_flash(MESSAGE_KEY)


def _numbers(frame, columns) -> list[str]:
    import pandas as pd

    return [c for c in columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]


# ---- callbacks ---------------------------------------------------------------------------------


def _add_marker(raw: Dataset) -> None:
    choices = session.cleaning_choices()
    column = widget_keys.get("clean-marker-column")
    text = widget_keys.get("clean-marker-value", "")
    if choices is None or column is None:
        return
    try:
        value = parse_marker_value(text)
    except DataError as err:
        _message("error", str(err))
        return
    count = count_value(raw.frame, column, value)
    if not count:
        _message("warning", f"Column {markdown_escape(str(column))} has no value {format_value(value)}, so nothing "
                            "changes.")
        return
    pair = (column, value)
    offered = choices.offered_markers if pair in choices.offered_markers else choices.offered_markers + (pair,)
    missing = choices.missing if pair in choices.missing else choices.missing + (pair,)
    session.set_cleaning_choices(choices.replace(offered_markers=offered, missing=missing))
    widget_keys.set("clean-marker-value", "")
    widget_keys.forget_prefixed(MARKER_PREFIX)   # the marker checkboxes are drawn again from the choices


def _add_derived(raw: Dataset) -> None:
    choices = session.cleaning_choices()
    if choices is None:
        return
    column = DerivedColumn(str(widget_keys.get("clean-derived-name", "")).strip(),
                           str(widget_keys.get("clean-derived-expr", "")).strip())
    # Checked on the data as the formula will see it: markers made missing, earlier new columns there.
    before = apply_cleaning(raw, choices.replace(excluded=(), target=None)).dataset.frame
    try:
        _, notes = add_derived_column(before, column)
    except DataError as err:
        _message("error", str(err))
        return
    session.set_cleaning_choices(choices.replace(derived=choices.derived + (column,)))
    widget_keys.set("clean-derived-name", "")
    widget_keys.set("clean-derived-expr", "")
    if notes:
        _message("warning", f"Added {markdown_escape(column.name)}. " + " ".join(notes))
    else:
        _message("success", f"Added the column {markdown_escape(column.name)}.")


def _remove_derived(index: int) -> None:
    choices = session.cleaning_choices()
    if choices is None or index >= len(choices.derived):
        return
    removed = choices.derived[index]
    derived = choices.derived[:index] + choices.derived[index + 1:]
    session.set_cleaning_choices(choices.replace(derived=derived,
                                                 excluded=tuple(c for c in choices.excluded if c != removed.name)))


# ---- the panel ---------------------------------------------------------------------------------


def markers_section(raw: Dataset, choices: CleaningChoices, markers: list[MissingMarker]) -> tuple:
    """Checkboxes for the detected and hand-added markers; returns the (column, value) pairs ticked."""
    st.markdown("**Values that mean 'missing'**")
    detected = {(m.column, m.value) for m in markers}
    extra = [MissingMarker(c, v, count_value(raw.frame, c, v)) for c, v in choices.offered_markers
             if (c, v) not in detected]
    active = set(choices.missing)
    ticked = []
    groups = group_markers(markers)
    for group, by_hand in [(g, False) for g in groups] + [(g, True) for g in group_markers(extra, limit=10 ** 9)]:
        key = _marker_key(group)
        if not widget_keys.has(key):
            widget_keys.set(key, all(p in active for p in group.pairs))
        if st.checkbox(markdown_escape(marker_sentence(group, detected=not by_hand)), key=key):
            ticked.extend(group.pairs)
    if not groups:
        st.caption("No value that catalogues use for 'missing' (-99, -99.99, -999, -9999, 99.99) was found outside "
                   "the range of a column's other values.")
    skip = set(structural_columns(raw)) if raw.kind == "image" else set()
    numeric = _numbers(raw.frame, [c for c in raw.frame.columns if c not in skip])
    left_out = set(choices.excluded)
    numeric = [c for c in numeric if c not in left_out] + [c for c in numeric if c in left_out]  # features first
    if numeric:
        if widget_keys.get("clean-marker-column") not in numeric:
            widget_keys.set("clean-marker-column", numeric[0])  # another dataset's column is no choice here
        left, middle, right = st.columns([2, 2, 1], vertical_alignment="bottom")
        left.selectbox("Another column with a 'missing' marker", numeric, key="clean-marker-column",
                       format_func=str)
        middle.text_input("The value that means 'missing' in it", key="clean-marker-value", placeholder="for example 0")
        right.button("Treat as missing", key="clean-marker-add", on_click=_add_marker, args=(raw,), width="stretch")
    return tuple(ticked)


def excluded_section(raw: Dataset, target: str | None, choices: CleaningChoices, suggested: list[str]) -> tuple:
    """The multiselect of columns left out of the features; returns the selection."""
    st.markdown("**Columns not used as features**")
    fixed = structural_columns(raw)
    if raw.kind == "image":
        st.caption(f"The model reads the {len(fixed):,} pixel columns; the other columns are never features.")
        return tuple(c for c in raw.frame.columns if c not in fixed and c != target)
    options = optional_columns(raw, target) + [d.name for d in choices.derived if d.name != target]
    _keep_selection("clean-excluded", choices.excluded, options)
    selected = st.multiselect(
        "Columns not used as features", options, key="clean-excluded", format_func=str, label_visibility="collapsed",
        placeholder="Every column except the target is a feature",
        help="Identifier and coordinate columns (a star's name, RA and Dec, a pixel position) name a row rather "
             "than describe it: a model given them learns nothing, or memorises rows. They are left out by "
             "default; change it here.")
    if fixed:
        st.caption(f"The {len(fixed):,} signal columns {markdown_escape(str(fixed[0]))} … "
                   f"{markdown_escape(str(fixed[-1]))} are always features; choose here among the others.")
    shown = [c for c in suggested if c in options]
    if shown:
        listed = ", ".join(markdown_escape(str(c)) for c in shown[:8]) + (" …" if len(shown) > 8 else "")
        st.caption(f"Left out by default because they name or locate a row: {listed}.")
    return tuple(selected)


def derived_section(raw: Dataset, choices: CleaningChoices, kind: str) -> None:
    st.markdown("**New columns from a formula**")
    if kind != "table":
        st.caption("New columns are offered for tables: the model reads the image or signal values in order."
                   if kind == "image" else
                   "New columns are offered for tables: turn off 'one ordered signal' above to add some.")
        return
    for i, column in enumerate(choices.derived):
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.markdown(f"**{markdown_escape(column.name)}** = {markdown_escape(column.expression)}")
        right.button("Remove", key=f"clean-derived-remove-{i}", on_click=_remove_derived, args=(i,))
    left, middle, right = st.columns([2, 3, 1], vertical_alignment="bottom")
    left.text_input("Name", key="clean-derived-name", placeholder="V_minus_I")
    functions = ", ".join(f for f in FUNCTIONS if f != "ln")
    middle.text_input("Formula", key="clean-derived-expr", placeholder="V - I   or   log10(P_1)",
                      help=f"Column names, numbers, + - * / ** ( ) and the functions {functions}. Put a column "
                           "name with spaces or symbols in backticks: `B-V` * 2. Rows where the formula has no "
                           "value (a division by zero, the logarithm of a negative number) get a missing value.")
    right.button("Add column", key="clean-derived-add", on_click=_add_derived, args=(raw,), width="stretch")


def cleaning_panel(raw: Dataset, target: str | None, choices: CleaningChoices, markers: list[MissingMarker],
                   suggested: list[str], kind: str) -> CleaningChoices:
    """Draw the cleaning controls and return the choices they now hold."""
    with st.expander("Clean the data: 'missing' markers, columns left out, new columns",
                     expanded=bool(markers) or bool(suggested), icon=":material/cleaning_services:"):
        _show_message()
        missing = markers_section(raw, choices, markers)
        st.divider()
        excluded = excluded_section(raw, target, choices, suggested)
        st.divider()
        derived_section(raw, choices, kind)
    # Re-read: a callback may have changed the stored choices before the page ran.
    current = session.cleaning_choices() or choices
    return current.replace(target=target, missing=missing, excluded=excluded,
                           kind=kind if raw.kind != "image" else None)


def _keep_selection(key: str, stored, options: list) -> None:
    """Start a multiselect on the stored choices, and drop those that are no longer options.

    Written only when that changes something: a value the script writes is sent to the browser and replaces
    what the widget shows there, so writing it on every run could undo a pick made while the run was under
    way (a CI browser test lost its pick of 'unknown' this way once, under load)."""
    state = widget_keys.get(key)
    current = list(stored) if state is None else list(state)
    kept = [v for v in dict.fromkeys(current) if v in options]
    if state is None or kept != list(state):
        widget_keys.set(key, kept)


MAX_TARGET_VALUES_LISTED = 100  # beyond this many distinct values the target is not a set of classes


def _mark_not_known(name: str) -> None:
    choices = session.cleaning_choices()
    if choices is None:
        return
    ticked = widget_keys.get(UNKNOWN_KEY)
    unknown = tuple(dict.fromkeys(tuple(choices.unknown if ticked is None else ticked) + (name,)))
    session.set_cleaning_choices(choices.replace(unknown=unknown))
    widget_keys.set(UNKNOWN_KEY, list(unknown))


def _not_known_offer(target: str, not_known: tuple[str, int] | None, unknown: tuple) -> None:
    """Say that the value which looks like "not known yet" is taken as such, or offer it in one click."""
    if not_known is None:
        return
    name, rows = not_known
    shown_target, shown_name = markdown_escape(str(target)), markdown_escape(name)
    if name in unknown:
        st.caption(f"{rows:,} rows have {shown_target} = {shown_name}, which looks like 'not known yet': they are "
                   "not trained on, and the Predict page can classify them. Take it out of the list to learn "
                   f"{shown_name} as a class.")
    else:
        st.button(f"Treat {name} as 'not known yet' ({rows:,} rows)", key="target-not-known-offer",
                  icon=":material/help:", on_click=_mark_not_known, args=(name,),
                  help=f"{shown_target} = {shown_name} looks like a label nobody has decided yet: train on the "
                       "other rows, then classify these on the Predict page.")


def target_values_section(raw: Dataset, target: str, task: str, choices: CleaningChoices,
                          not_known: tuple[str, int] | None = None) -> tuple[tuple, tuple]:
    """Target values that mean "not known yet", and classes left out: (unknown, left_out) as class names.

    Their rows are not trained on, and the Predict page offers them for classification: the
    astronomer's loop of training on the labelled stars to classify the others. `not_known` is the
    value that looks like "not known yet" (mllab.datasets.targets.not_known_value) with its row count:
    it is offered in one click.
    """
    if task != "classification" or target not in raw.frame.columns:
        return (), ()
    distinct = pd.unique(raw.frame[target].dropna())
    if len(distinct) > MAX_TARGET_VALUES_LISTED or len(distinct) < 2:
        return (), ()
    names = [n for n in dict.fromkeys(target_names(pd.Series(distinct))) if n is not None]
    names = sorted(names, key=lambda n: (0, float(n), n) if _is_number(n) else (1, 0.0, n))
    left, right = st.columns(2)
    picked = []
    for column, key, label, wanted, placeholder, help_text in (
            (left, UNKNOWN_KEY, f"Values of {target} that mean 'not known yet'", choices.unknown,
             "None: every row's class is known",
             "Rows with these values (a -1, 'unknown', '?') are not trained on or scored. Train on the others, then "
             "classify these on the Predict page."),
            (right, TARGET_LEFT_OUT_WIDGET, "Classes to leave out", choices.left_out,
             "None: the model learns every class",
             "Rows of these classes are not trained on (a class too rare to learn, or one to study apart). The "
             "Predict page can still classify them.")):
        _keep_selection(key, wanted, names)
        picked.append(tuple(column.multiselect(label, names, key=key, placeholder=placeholder, help=help_text,
                                               format_func=str)))
    unknown, left_out = picked
    _not_known_offer(target, not_known if not_known and not_known[0] in names else None, unknown)
    if set(unknown) & set(left_out):
        st.caption("A value chosen in both lists is treated as 'not known yet'.")
        left_out = tuple(n for n in left_out if n not in unknown)
    if len(set(unknown) | set(left_out)) >= len(names) - 1:
        st.error("At least two classes must be left to learn from: take a value out of these lists.")
        return (), ()
    return unknown, left_out


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False
