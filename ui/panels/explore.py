"""The Data page's views of the data: sample images or signals, and the exploration tabs.

Every figure comes from `mllab.prepare.explore` through the caches in `ui.state.loading`, keyed by the data's
digest and the cleaning choices. The tabs are lazy (`on_change="rerun"`): only the open one is
computed, so a 400,000-row catalogue or a table of 4,000-pixel spectra stays quick.
"""

from __future__ import annotations

import streamlit as st

from mllab import charts
from mllab.datasets import Dataset, markdown_escape
from mllab.errors import DataError
from mllab.prepare import explore, structural_columns
from ui.state import loading as cached
from ui.state import widget_keys

TABS = ["Columns", "Histogram", "Missing values", "Correlations", "PCA map"]


def signal_columns(raw: Dataset, cleaned: Dataset, target: str | None) -> list[str]:
    """The columns that form the signal: the reader's signal columns, or every feature when the user
    said the table's features are one ordered signal."""
    fixed = [c for c in structural_columns(raw) if c in cleaned.frame.columns and c != target]
    return fixed or cleaned.feature_columns(target)


def _signal_title(axis_label: str) -> str:
    label = axis_label.lower()
    if "wave" in label or "lambda" in label or "freq" in label:
        return "Sample spectra, a few per class"
    if any(word in label for word in ("time", "mjd", "phase", "day")):
        return "Sample light curves, a few per class"
    return "Sample signals, a few per class"


def samples(raw: Dataset, cleaned: Dataset, target: str, key: str) -> None:
    """Images as a labelled grid, signals as curves against their axis, a few per class."""
    if cleaned.kind == "image" and cleaned.image_shape is not None:
        st.subheader("Samples")
        try:
            cached.sample_images_chart(key, cleaned, target, "sample-images")
        except (ValueError, DataError):
            st.caption("The images could not be drawn: the feature columns are not the image's pixels.")
            return
    elif cleaned.kind == "signal":
        st.subheader("Samples")
        columns = signal_columns(raw, cleaned, target)
        axis = getattr(raw, "axis", None)
        axis_label = getattr(raw, "axis_label", "") or ""
        try:
            result = cached.sample_signals(key, cleaned.frame, tuple(columns), target, axis, axis_label)
        except DataError as err:
            st.caption(str(err))
            return
        st.plotly_chart(charts.signal_samples_figure(result, _signal_title(result.x_label)), key="sample-signals",
                        width="stretch")
        notes = []
        if result.n_classes > len(result.classes):
            notes.append(f"the {len(result.classes)} most common of {result.n_classes} classes")
        if result.bin_width > 1:
            notes.append(f"each point the mean of {result.bin_width} neighbouring values")
        if notes:
            st.caption("Shown: " + "; ".join(notes) + ".")


def _sampled(n_used: int | None, n_rows: int, what: str) -> str:
    return (f" {what} on a random sample of {n_used:,} of the {n_rows:,} rows (always the same sample)."
            if n_used else "")


def explore_tabs(cleaned: Dataset, target: str, key: str, signal: list[str] = ()) -> None:
    """`signal`: the pixel or signal columns, listed after the others in the statistics table."""
    frame = cleaned.frame
    features = cleaned.feature_columns(target)
    in_signal = set(signal)
    ordered = tuple([c for c in frame.columns if c not in in_signal] + [c for c in frame.columns if c in in_signal])
    st.subheader("Explore")
    tabs = st.tabs(TABS, key="explore-tab", on_change="rerun")
    with tabs[0]:
        if tabs[0].open:
            stats = cached.column_statistics(key, frame, ordered)
            table = stats.table
            # Numbers and text apart: a text column has no mean, and a table of blanks reads badly.
            is_text = table["Kind"] == "text"
            numbers = table.loc[~is_text].drop(columns=["Most common"])
            if len(numbers):
                st.dataframe(numbers, hide_index=True, height=min(600, 38 + 35 * len(numbers)), width="stretch",
                             column_config={name: st.column_config.NumberColumn(format="%.4g") for name in
                                            ("Mean", "Std", "Min", "25%", "Median", "75%", "Max")})
            if is_text.any():
                text = table.loc[is_text, ["Column", "Count", "Missing", "Missing %", "Distinct", "Most common"]]
                st.markdown("**Text columns**")
                st.dataframe(text, hide_index=True, height=min(400, 38 + 35 * len(text)), width="stretch")
            caption = ("Count and Missing are exact." + _sampled(stats.sampled_rows, stats.n_rows, " The other "
                                                                  "statistics were computed"))
            if stats.n_columns > len(table):
                caption = f"The first {len(table):,} of {stats.n_columns:,} columns. " + caption
            st.caption(caption)
    with tabs[1]:
        if tabs[1].open:
            columns = [c for c in frame.columns if c != target] or list(frame.columns)
            if widget_keys.get("explore-histogram-column") not in columns:
                widget_keys.set("explore-histogram-column", columns[0])
            left, right = st.columns([3, 2], vertical_alignment="bottom")
            column = left.selectbox("Column", columns, key="explore-histogram-column", format_func=str)
            by_class = explore.is_class_target(frame, target)
            share = right.radio("Bars show", ["Rows", "Share of each class"], horizontal=True,
                                key="explore-histogram-share", disabled=not by_class,
                                help="Scale each class to 100% to compare the shapes of a rare and a common "
                                     "class.") == "Share of each class"
            hist = cached.histogram(key, frame, column, target)
            st.plotly_chart(charts.histogram_figure(hist, share=share and by_class), key="explore-histogram",
                            width="stretch")
            if hist.missing:
                st.caption(f"{hist.missing:,} rows have no value in {markdown_escape(str(column))} and are not shown.")
    with tabs[2]:
        if tabs[2].open:
            summary = cached.missing_values(key, frame)
            if summary.total == 0:
                st.success("No missing values: every row has a value in every column.")
            else:
                st.plotly_chart(charts.missing_values_figure(summary), key="explore-missing", width="stretch")
                more = (f" The {len(summary.table)} columns with most missing values are shown."
                        if summary.columns_with_missing > len(summary.table) else "")
                st.caption(f"{summary.total:,} missing values in {summary.columns_with_missing:,} columns; "
                           f"{summary.rows_with_missing:,} of {summary.n_rows:,} rows miss at least one value. "
                           f"The Train page fills them in (see Preprocessing).{more}")
    with tabs[3]:
        if tabs[3].open:
            corr = cached.correlation(key, frame, tuple(features))
            if corr.matrix.shape[0] < 2:
                st.info("Correlations need at least two numeric feature columns whose values vary.")
            else:
                st.plotly_chart(charts.correlation_figure(corr), key="explore-correlation", width="stretch")
                caption = "Pearson correlation between numeric feature columns: +1 rise together, -1 opposite."
                if corr.capped:
                    caption += (f" Only the {corr.matrix.shape[0]} of {corr.n_numeric:,} columns with the largest "
                                "variance are shown.")
                st.caption(caption + _sampled(corr.sampled_rows, corr.n_rows, " Computed"))
    with tabs[4]:
        if tabs[4].open:
            try:
                projection = cached.pca_projection(key, frame, tuple(features), target)
            except DataError as err:
                st.info(str(err))
            else:
                st.plotly_chart(charts.pca_figure(projection), key="explore-pca", width="stretch")
                sample = (f"a random sample of {projection.n_used:,} of the {projection.n_rows:,} rows (always the "
                          "same sample)" if projection.n_used < projection.n_rows
                          else f"all {projection.n_rows:,} rows")
                caption = (f"Each point is a row, placed by the two directions along which the "
                           f"{projection.n_features:,} standardised numeric features vary most; {sample}. Classes "
                           "that form separate clouds here are easy to tell apart.")
                if projection.left_out:
                    caption += f" {len(projection.left_out):,} text column(s) are not used."
                st.caption(caption)
                count = len(projection.variance_ratios)
                st.plotly_chart(charts.pca_variance_figure(
                    projection.variance_ratios, f"Variance explained by the first {count} principal components"),
                    key="explore-pca-scree", width="stretch")
                st.caption("Scree plot: each component's share of the variance of the standardised features "
                           "(bars) and the running total (line). Where the bars flatten, further components add "
                           "little; the total says how many components PCA preprocessing needs to keep most of it.")


def preview(frame, target: str | None, key: str, max_columns: int = 30, rows: int = 200) -> None:
    """The first rows, with at most `max_columns` columns (the first ones and the target).

    `key` names the frame (data digest and cleaning choices): the preview is converted once for every
    session showing the same data."""
    columns = list(frame.columns)
    shown = None
    if len(columns) > max_columns:
        shown = [c for c in columns if c != target][:max_columns - 1] + ([target] if target in columns else [])
    table = cached.preview_table(key, frame, None if shown is None else tuple(shown), rows)
    if table is None:
        table = (frame if shown is None else frame[shown]).head(rows)
    st.dataframe(table, height=300, width="stretch")
    if shown is not None:
        st.caption(f"Showing {len(shown)} of {len(columns):,} columns (the first ones and the target).")

