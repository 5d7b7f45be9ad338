"""The Data page's names for the target's classes: "1" is a red clump star, "0" a first-ascent giant.

Named once here, kept in the cleaning choices (`CleaningChoices.class_labels`, so the workspace, share links
and each run's record keep them), and taken by training as the classes' names: the charts, the verdict,
the classroom's board, the Predict page and the files written all say "red clump" from then on.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from mllab.datasets import Dataset, class_sort_key, markdown_escape
from mllab.prepare import CleaningChoices, target_names
from mllab.prepare.preprocessing import display_names
from ui.state import session, widget_keys

MAX_NAMED_CLASSES = 30   # more classes than this are not named one by one
MAX_NAME_CHARS = 40      # a name fits an axis label and a table's column
PER_ROW = 3


def _name_key(raw: Dataset, target: str, value: str) -> str:
    # Widget keys from any column name and value: a digest keeps them short and free of odd characters.
    digest = hashlib.sha1(repr((raw.name, target, value)).encode()).hexdigest()[:12]
    return f"class-name-{digest}"


def class_names_section(raw: Dataset, target: str, task: str, choices: CleaningChoices) -> CleaningChoices:
    """Draw a name box for each class of a classification's target; return the choices with the names given."""
    labels = _name_boxes(raw, target, task, choices)
    named = choices.replace(class_labels=tuple(labels))
    # Held at once: the cleaning controls drawn next start from the session's choices (a callback may have
    # changed them), and would otherwise drop the names.
    session.set_cleaning_choices(named)
    return named


def _name_boxes(raw: Dataset, target: str, task: str, choices: CleaningChoices) -> list[tuple[str, str]]:
    if task != "classification" or target not in raw.frame.columns:
        return []
    distinct = pd.unique(raw.frame[target].dropna())
    if not 2 <= len(distinct) <= MAX_NAMED_CLASSES:
        return []
    values = sorted(distinct, key=class_sort_key)
    names = [n for n in dict.fromkeys(target_names(pd.Series(values, dtype=object))) if n is not None]
    names = [n for n in names if n not in set(choices.unknown)]  # "not known yet" is no class
    given = dict(choices.class_labels)
    labels = []
    # One label whatever is named: an expander whose label changes is a new one, and folds while being typed in.
    with st.expander(f"Name the classes of {markdown_escape(target)}", expanded=False, icon=":material/label:"):
        st.caption(f"Give a value of {markdown_escape(target)} a name (1 → red clump): the charts, the verdict, the "
                   "predictions and the files written say it from then on. Left empty, a class keeps its value.")
        columns = st.columns(min(PER_ROW, len(names)))
        for i, name in enumerate(names):
            key = _name_key(raw, target, name)
            widget_keys.start(key, given.get(name, ""))
            text = columns[i % PER_ROW].text_input(f"{markdown_escape(name)} →", key=key, max_chars=MAX_NAME_CHARS,
                                                   placeholder="its name")
            text = " ".join(str(text).split())  # one line: tabs and newlines pasted in become spaces
            if text and text != name:
                labels.append((name, text))
        shown = dict(zip(names, display_names(names, tuple(labels))))
        kept_apart = [f"'{markdown_escape(label)}'" for name, label in labels if shown[name] != label]
        if kept_apart:
            st.caption("A name that is also another class's keeps its value beside it (" + ", ".join(kept_apart)
                       + "), so no two classes are called the same.")
    return labels
