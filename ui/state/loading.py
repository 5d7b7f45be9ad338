"""The Data page's plumbing: which uploaded files to read, and caching what is computed from the data
(loading itself is `ui.state.transactions.load_once`).

Caching: a Dataset is not hashable and hashing a large frame on every rerun would be slow, so
every cached function takes a cheap text key (the loaded data's digest plus a digest of the
cleaning choices) and the frame as an `_`-prefixed argument, which Streamlit does not hash.

What every new session on the same data draws first (the class balance, the sample images, the
preview) is built once for all sessions: forty students opening the link together each pay only
for sending it (bench/first_page.py). Those caches are `st.cache_resource` (no pickling) and hold
objects no session ever receives to change: a Plotly figure is drawn here, where `st.plotly_chart`
only copies it (`Figure.to_dict` deep-copies), and a preview is an immutable Arrow table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import streamlit as st

from mllab.datasets import Dataset
from mllab.datasets.targets import not_known_value, rank_targets
from mllab.prepare import (CleaningChoices, CleaningResult, apply_cleaning, explore, find_missing_markers,
                           structural_columns)
from ui.prebuilt import prebuilt, prebuilt_dict
from ui.state import keys, session
from ui.state.sources import describe_uploads

CACHE_ENTRIES = 16


def choices_key(digest: str, choices: CleaningChoices) -> str:
    """A short key for one loaded dataset with one set of cleaning choices."""
    return f"{digest}|{hashlib.sha256(repr(choices).encode()).hexdigest()[:16]}"


def upload_choice(uploads, pick) -> tuple[list[int], str | None, dict]:
    """Which of the uploader's files to read (`pick`: mllab.io.pick_uploads), a note on the choice, and their source record:
    decided, and their content hashed, once per choice of files (the files' ids change only then)."""
    upload_ids = tuple(u.file_id for u in uploads)
    stored = st.session_state.get(keys.UPLOAD_CHOICE)
    if stored is None or stored[0] != upload_ids:
        files = [(u.name, u.getvalue()) for u in uploads]  # getvalue copies: up to 200 MB each time
        chosen, note = pick(files)
        source = describe_uploads([files[i] for i in chosen])
        stored = (upload_ids, (chosen, note, source))
        st.session_state[keys.UPLOAD_CHOICE] = stored
    return stored[1]


def detected_markers(dataset: Dataset, digest: str):
    """'Missing' markers found in the loaded dataset, once per dataset (kept in the session, and
    shared by every session that loads the same data).

    An image's pixels are not scanned: they are counts from 0 to 255, never markers.
    """
    known = session.known_markers(digest)
    if known is not None:
        return known
    skip = set(structural_columns(dataset)) if dataset.kind == "image" else set()
    columns = tuple(c for c in dataset.frame.columns if c not in skip)
    markers = _find_markers(digest, dataset.frame, columns)
    session.set_markers(digest, markers)
    return markers


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Looking for 'missing' markers…")
def _find_markers(digest: str, _frame, columns: tuple) -> list:
    # Keyed by the digest: the same loaded data gives the same markers. cache_data hands each
    # session its own copy of the (small) list.
    return find_missing_markers(_frame, list(columns))


def clean(dataset: Dataset, digest: str, choices: CleaningChoices) -> CleaningResult:
    """The cleaning applied to the loaded dataset; recomputed only when the choices change."""
    key = choices_key(digest, choices)
    result = session.cleaned(key)
    if result is None:
        result = apply_cleaning(dataset, choices)
        session.set_cleaned(key, result)
    return result


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def target_ranking(digest: str, _frame) -> list:
    """The columns that may be the label, most likely first (mllab.datasets.targets.rank_targets), once per data."""
    return rank_targets(_frame)


@st.cache_data(max_entries=CACHE_ENTRIES * 4, show_spinner=False)
def not_known(digest: str, _frame, target: str) -> tuple[str, int] | None:
    """The target's value that looks like "not known yet", with its row count (mllab.datasets.targets), once per
    data and target: a 400,000-row catalogue's labels are scanned once, not on every rerun."""
    return not_known_value(_frame[target])


# ---- cached exploration: keyed by text, the frame passed unhashed ------------------------------


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Computing column statistics…")
def column_statistics(key: str, _frame, columns: tuple[str, ...]) -> explore.ColumnStatistics:
    return explore.column_statistics(_frame, list(columns))


@st.cache_data(max_entries=CACHE_ENTRIES * 4, show_spinner=False)
def histogram(key: str, _frame, column: str, target: str | None) -> explore.Histogram:
    return explore.histogram(_frame, column, target)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def missing_values(key: str, _frame) -> explore.MissingSummary:
    return explore.missing_values(_frame)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Computing correlations…")
def correlation(key: str, _frame, columns: tuple[str, ...]) -> explore.Correlation:
    return explore.correlation(_frame, list(columns))


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Projecting the rows with PCA…")
def pca_projection(key: str, _frame, features: tuple[str, ...], target: str | None) -> explore.Projection:
    return explore.pca_projection(_frame, list(features), target)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def sample_signals(key: str, _frame, columns: tuple[str, ...], target: str | None, _axis, axis_label: str
                   ) -> explore.SignalSamples:
    return explore.sample_signals(_frame, list(columns), target, axis=_axis, axis_label=axis_label)


# ---- built once for every session: figures and previews -----------------------------------------


@st.cache_resource(max_entries=CACHE_ENTRIES * 4, show_spinner=False)
def _shared_figure(key: str, what: str, _build: Callable):
    # cache_resource, not cache_data: unpickling a Plotly figure validates every property again,
    # which for the 20 sample images cost about 40 ms of every new session here.
    figure = _build()
    # A figure's dict (mllab.charts' `*_dict` functions) is drawn as it is; a go.Figure is converted once.
    return prebuilt_dict(figure) if isinstance(figure, dict) else prebuilt(figure)


def plotly_chart(key: str, what: str, build: Callable, chart_key: str) -> None:
    """Draw `build()`'s figure, built once per (data key, `what`) for every session.

    `what` must name everything else the figure depends on (the target, say). Exceptions from
    `build` reach the caller before anything is drawn, and are not cached.
    """
    st.plotly_chart(_shared_figure(key, what, build), key=chart_key, width="stretch")


def sample_images_chart(key: str, dataset: Dataset, target: str, chart_key: str) -> None:
    """The grid of sample images, built as a dict (a go.Figure of 20 heatmaps took a few tenths of a second)."""
    from mllab import charts
    from mllab.datasets import sample_images

    def build():
        images, labels = sample_images(dataset, target)
        return charts.sample_images_dict(images, labels, columns=10)

    plotly_chart(key, f"sample-images:{target}", build, chart_key)


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def preview_table(key: str, _frame, columns: tuple | None, rows: int):
    """The first `rows` rows of these columns as an Arrow table (immutable, so safe to share), the
    conversion `st.dataframe` would otherwise repeat for every session; None when Arrow refuses the
    frame, for the caller to pass the frame itself so that Streamlit's own fixes for odd column
    types apply as before."""
    import pyarrow as pa

    head = (_frame if columns is None else _frame[list(columns)]).head(rows)  # None: every column
    try:
        # preserve_index=None, as st.dataframe converts a frame: a default index stays metadata.
        return pa.Table.from_pandas(head, preserve_index=None)
    except (pa.ArrowException, TypeError, ValueError):
        return None
