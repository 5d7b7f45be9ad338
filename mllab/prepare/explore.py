"""Exploring a dataset before training: column statistics, histograms, missing values, correlations,
a 2-D PCA map and sample signals. Pure pandas/NumPy/scikit-learn; the figures are in `mllab.charts`.

Everything here must stay quick on wide or long data (a spectrum per row with thousands of
columns, a catalogue of 400,000 stars), so each function looks at a bounded amount of it: a
random sample of rows (fixed seed, so the page shows the same thing every time) and a capped
number of columns. Each result says what it was computed on, so the page can tell the user.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mllab.datasets import class_name, class_sort_key
from mllab.errors import DataError

SEED = 0
MAX_CLASSES = 50                  # a target with more distinct values is not shown as classes
STATS_SAMPLE_ROWS = 100_000       # statistics other than count and missing use at most this many rows
MAX_STAT_COLUMNS = 200
HISTOGRAM_BINS = 30
MAX_CATEGORY_BARS = 25            # text columns: the most common categories, the rest as "other"
MAX_MISSING_BARS = 30
MAX_CORRELATION_COLUMNS = 30
CORRELATION_SAMPLE_ROWS = 50_000
PCA_SAMPLE_ROWS = 5_000
SCREE_COMPONENTS = 20  # components whose explained variance the PCA tab's scree plot shows
MAX_SIGNAL_POINTS = 1_500         # points drawn per sample curve; longer signals are averaged in bins
ALL_ROWS = "All rows"
OTHER = "(other values)"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _floats(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values):
        values = values.astype("float64")
    return values.to_numpy(dtype=float, na_value=np.nan)


def sample_rows(frame: pd.DataFrame, max_rows: int, seed: int = SEED) -> pd.DataFrame:
    """At most `max_rows` rows, drawn at random with a fixed seed, in their original order."""
    if len(frame) <= max_rows:
        return frame
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(frame), size=max_rows, replace=False))
    return frame.iloc[picked]


def is_class_target(frame: pd.DataFrame, target: str | None) -> bool:
    """Whether the target holds classes (2 to MAX_CLASSES distinct values) that charts can colour by."""
    if target is None or target not in frame.columns:
        return False
    return 2 <= frame[target].nunique(dropna=True) <= MAX_CLASSES


def _class_labels(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each row's class as text, and the classes in the order the rest of the app uses."""
    present = values.dropna()
    order = sorted(present.unique(), key=class_sort_key)
    names = [class_name(v) for v in order]
    mapping = dict(zip(order, names))
    labels = np.array([mapping.get(v, "") if not _is_missing(v) else "" for v in values.to_numpy(dtype=object)],
                      dtype=object)
    return labels, list(dict.fromkeys(names))


def _is_missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------------------------
# Per-column statistics
# --------------------------------------------------------------------------------------------


@dataclass
class ColumnStatistics:
    table: pd.DataFrame            # one row per column shown
    n_columns: int                 # columns in the data
    sampled_rows: int | None       # rows the statistics (other than count and missing) came from, if sampled
    n_rows: int


STAT_COLUMNS = ["Column", "Kind", "Count", "Missing", "Missing %", "Distinct", "Mean", "Std", "Min", "25%",
                "Median", "75%", "Max", "Most common"]


def column_statistics(frame: pd.DataFrame, columns: Sequence[str] | None = None, *,
                      max_columns: int = MAX_STAT_COLUMNS, sample: int = STATS_SAMPLE_ROWS,
                      seed: int = SEED) -> ColumnStatistics:
    """Count, missing, distinct values, mean, std, min, quartiles and max of each column.

    Count and missing are exact; the rest come from a random sample of `sample` rows when the
    data is longer. At most `max_columns` columns (the first ones) are described.
    """
    names = list(frame.columns if columns is None else [c for c in columns if c in frame.columns])
    shown = names[:max_columns]
    part = sample_rows(frame[shown], sample, seed)
    n = len(frame)
    present = frame[shown].notna().sum()
    numeric = [c for c in shown if _is_number(frame[c]) or pd.api.types.is_bool_dtype(frame[c])]
    stats: dict[str, dict] = {}
    if numeric:
        block = np.column_stack([_floats(part[c]) for c in numeric])
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)   # columns without any value give NaN, as they should
            means = np.nanmean(block, axis=0)
            stds = np.nanstd(block, axis=0, ddof=1)
            quantiles = np.nanquantile(block, [0.0, 0.25, 0.5, 0.75, 1.0], axis=0)
        for j, column in enumerate(numeric):
            stats[column] = {"Mean": means[j], "Std": stds[j], "Min": quantiles[0, j], "25%": quantiles[1, j],
                             "Median": quantiles[2, j], "75%": quantiles[3, j], "Max": quantiles[4, j]}
    records = []
    for column in shown:
        values = part[column]
        count = int(present[column])
        record = {"Column": str(column), "Kind": _type_name(frame[column]), "Count": count, "Missing": n - count,
                  "Missing %": round(100.0 * (n - count) / n, 1) if n else 0.0,
                  "Distinct": int(values.nunique(dropna=True)), "Most common": ""}
        record.update(stats.get(column, {}))
        if column not in stats:
            counts = values.value_counts(dropna=True)
            if len(counts):
                record["Most common"] = f"{class_name(counts.index[0])} ({int(counts.iloc[0]):,})"
        records.append(record)
    table = pd.DataFrame.from_records(records, columns=STAT_COLUMNS)
    for name in ("Mean", "Std", "Min", "25%", "Median", "75%", "Max"):
        table[name] = table[name].astype(float)
    return ColumnStatistics(table=table, n_columns=len(names), sampled_rows=len(part) if len(part) < n else None,
                            n_rows=n)


def _type_name(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "yes/no"
    if pd.api.types.is_integer_dtype(values):
        return "whole number"
    if pd.api.types.is_numeric_dtype(values):
        return "number"
    return "text"


# --------------------------------------------------------------------------------------------
# Histograms
# --------------------------------------------------------------------------------------------


@dataclass
class Histogram:
    column: str
    numeric: bool
    edges: np.ndarray | None            # numeric: bin edges (len = bins + 1)
    categories: list[str] | None        # text: the bars, most common first
    counts: dict[str, np.ndarray]       # class (or ALL_ROWS) -> count per bin or category
    missing: int                        # rows without a value in the column
    by_class: bool = False
    integer_bins: bool = False


def histogram(frame: pd.DataFrame, column: str, target: str | None = None, bins: int = HISTOGRAM_BINS) -> Histogram:
    """Counts of `column`'s values in bins (numbers) or per category (text), per class of the target
    when it holds classes. Counted on every row: binning is cheap, and only the counts travel."""
    if column not in frame.columns:
        raise DataError(f"There is no column called {column}.")
    values = frame[column]
    by_class = is_class_target(frame, target) and column != target
    if by_class:
        labels, classes = _class_labels(frame[target])
    else:
        labels, classes = np.full(len(frame), ALL_ROWS, dtype=object), [ALL_ROWS]
    missing = int(values.isna().sum())
    if _is_number(values) or pd.api.types.is_bool_dtype(values):
        numbers = _floats(values)
        finite = np.isfinite(numbers)
        if not finite.any():
            return Histogram(column, True, np.array([0.0, 1.0]), None, {c: np.zeros(1, int) for c in classes},
                             missing, by_class)
        low, high = float(numbers[finite].min()), float(numbers[finite].max())
        integer = bool(np.all(np.mod(numbers[finite], 1) == 0)) and high - low <= 60
        if integer:
            edges = np.arange(low - 0.5, high + 1.5)
        elif high == low:
            edges = np.array([low - 0.5, low + 0.5])
        else:
            edges = np.linspace(low, high, bins + 1)
        counts = {c: np.histogram(numbers[finite & (labels == c)], bins=edges)[0] for c in classes}
        return Histogram(column, True, edges, None, counts, missing, by_class, integer_bins=integer)
    text = values.map(lambda v: None if _is_missing(v) else class_name(v))
    common = text.value_counts(dropna=True)
    categories = [str(c) for c in common.index[:MAX_CATEGORY_BARS]]
    grouped = text.where(text.isin(categories) | text.isna(), OTHER)
    if len(common) > MAX_CATEGORY_BARS:
        categories.append(OTHER)
    grouped = grouped.to_numpy(dtype=object)
    counts = {}
    for c in classes:
        mine = pd.Series(grouped[labels == c]).value_counts()
        counts[c] = np.array([int(mine.get(k, 0)) for k in categories])
    return Histogram(column, False, None, categories, counts, missing, by_class)


# --------------------------------------------------------------------------------------------
# Missing values
# --------------------------------------------------------------------------------------------


@dataclass
class MissingSummary:
    table: pd.DataFrame        # column, missing, share (of rows): the columns with missing values, most first
    total: int                 # missing values in the whole frame
    columns_with_missing: int
    rows_with_missing: int
    n_rows: int


def missing_values(frame: pd.DataFrame, limit: int = MAX_MISSING_BARS) -> MissingSummary:
    missing = frame.isna()
    per_column = missing.sum()
    per_column = per_column[per_column > 0].sort_values(ascending=False, kind="stable")
    n = len(frame)
    table = pd.DataFrame({"column": [str(c) for c in per_column.index[:limit]],
                          "missing": [int(v) for v in per_column.iloc[:limit]],
                          "share": [int(v) / n if n else 0.0 for v in per_column.iloc[:limit]]},
                         columns=["column", "missing", "share"])
    return MissingSummary(table=table, total=int(per_column.sum()), columns_with_missing=len(per_column),
                          rows_with_missing=int(missing.any(axis=1).sum()), n_rows=n)


# --------------------------------------------------------------------------------------------
# Correlations
# --------------------------------------------------------------------------------------------


@dataclass
class Correlation:
    matrix: pd.DataFrame            # Pearson correlations of the columns shown (square)
    n_numeric: int                  # numeric columns that could have been shown
    sampled_rows: int | None        # rows used, when sampled
    n_rows: int

    @property
    def capped(self) -> bool:
        return self.matrix.shape[0] < self.n_numeric


def correlation(frame: pd.DataFrame, columns: Sequence[str], *, max_columns: int = MAX_CORRELATION_COLUMNS,
                sample: int = CORRELATION_SAMPLE_ROWS, seed: int = SEED) -> Correlation:
    """Correlations between numeric columns: the `max_columns` with the largest variance, kept in
    their order in the data, computed on a random sample of at most `sample` rows."""
    part = sample_rows(frame, sample, seed)
    numeric = [c for c in columns if c in frame.columns and _is_number(frame[c])]
    variances = {}
    for c in numeric:
        values = _floats(part[c])
        finite = values[np.isfinite(values)]
        if len(finite) > 1 and np.ptp(finite) > 0:
            variances[c] = float(np.var(finite))
    usable = list(variances)
    if len(usable) > max_columns:
        keep = set(sorted(usable, key=lambda c: -variances[c])[:max_columns])
        usable = [c for c in usable if c in keep]
    matrix = part[usable].astype(float).corr() if usable else pd.DataFrame()
    return Correlation(matrix=matrix, n_numeric=len(variances), sampled_rows=len(part) if len(part) < len(frame)
                       else None, n_rows=len(frame))


# --------------------------------------------------------------------------------------------
# PCA map
# --------------------------------------------------------------------------------------------


@dataclass
class Projection:
    points: np.ndarray                  # (n, 2)
    labels: list[str] | None            # class of each point, when the target holds classes
    classes: list[str]                  # class order for the legend
    values: np.ndarray | None           # the target's value per point, when it is a number but not classes
    explained: tuple[float, float]      # share of the variance along each axis
    n_used: int
    n_rows: int
    n_features: int
    left_out: list[str] = field(default_factory=list)   # text columns not used
    variance_ratios: tuple[float, ...] = ()  # share of the variance of each of the first SCREE_COMPONENTS


def pca_projection(frame: pd.DataFrame, features: Sequence[str], target: str | None, *,
                   max_rows: int = PCA_SAMPLE_ROWS, seed: int = SEED) -> Projection:
    """The rows projected on the first two principal components of the standardised numeric
    features (missing values filled with the column median), on a random sample of rows."""
    from sklearn.decomposition import PCA

    numeric = [c for c in features if c in frame.columns and c != target
               and (_is_number(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))]
    left_out = [c for c in features if c in frame.columns and c != target and c not in numeric]
    rows = frame if target is None or target not in frame.columns else frame[frame[target].notna()]
    part = sample_rows(rows, max_rows, seed)
    if len(part) < 3:
        raise DataError("The map needs at least three rows with a target value.")
    block = np.column_stack([_floats(part[c]) for c in numeric]) if numeric else np.empty((len(part), 0))
    block[~np.isfinite(block)] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        medians = np.nanmedian(block, axis=0) if block.shape[1] else np.empty(0)
    keep = ~np.isnan(medians)
    block, medians = block[:, keep], medians[keep]
    block = np.where(np.isnan(block), medians[None, :], block)
    std = block.std(axis=0)
    varying = std > 0
    block = (block[:, varying] - block[:, varying].mean(axis=0)) / std[varying]
    if block.shape[1] < 2:
        raise DataError("The map needs at least two numeric feature columns whose values vary. Include more "
                        "feature columns, or mark fewer values as missing.")
    # A few more components than the map's two cost little and give the scree plot beside it.
    n_components = min(SCREE_COMPONENTS, block.shape[1], len(part))
    pca = PCA(n_components=n_components, random_state=seed,
              svd_solver="randomized" if block.shape[1] > 200 else "full")
    points = pca.fit_transform(block)[:, :2]
    labels, classes, values = None, [], None
    if is_class_target(frame, target):
        label_array, classes = _class_labels(part[target])
        labels = [str(v) for v in label_array]
    elif target is not None and target in part.columns and _is_number(part[target]):
        values = _floats(part[target])
    ratio = pca.explained_variance_ratio_
    return Projection(points=points, labels=labels, classes=classes, values=values,
                      explained=(float(ratio[0]), float(ratio[1])), n_used=len(part), n_rows=len(rows),
                      n_features=int(block.shape[1]), left_out=left_out,
                      variance_ratios=tuple(float(r) for r in ratio))


# --------------------------------------------------------------------------------------------
# Sample signals (spectra, light curves)
# --------------------------------------------------------------------------------------------


@dataclass
class SignalSamples:
    x: np.ndarray                       # the axis, one value per point drawn
    x_label: str
    curves: np.ndarray                  # (k, len(x))
    labels: list[str]                   # class of each curve ("" when there are no classes)
    classes: list[str]                  # classes shown, in order
    n_classes: int                      # classes in the data
    bin_width: int = 1                  # values averaged into each point drawn
    y_label: str = "Value"              # what the values are ("flux" for columns flux_0000, flux_0001, ...)


def signal_axis(columns: Sequence[str], axis: np.ndarray | None = None, axis_label: str = "") -> tuple[np.ndarray, str]:
    """The coordinate of each signal column: the reader's axis when it has one, else numbers in the
    column names (a CSV whose header is the wavelengths), else the position."""
    if axis is not None and len(axis) == len(columns):
        return np.asarray(axis, dtype=float), axis_label or "coordinate"
    try:
        numbers = np.array([float(str(c).strip()) for c in columns])
        if np.all(np.isfinite(numbers)) and len(numbers) > 1 and np.all(np.diff(numbers) > 0):
            return numbers, "coordinate (from the column names)"
    except ValueError:
        pass
    return np.arange(len(columns), dtype=float), "position in the signal (column number)"


def sample_signals(frame: pd.DataFrame, columns: Sequence[str], target: str | None, *,
                   axis: np.ndarray | None = None, axis_label: str = "", per_class: int = 3, max_classes: int = 8,
                   max_points: int = MAX_SIGNAL_POINTS, seed: int = SEED) -> SignalSamples:
    """A few rows of each class as curves over their axis. With more than `max_classes` classes
    the most common are shown; signals longer than `max_points` are averaged in bins."""
    columns = [c for c in columns if c in frame.columns and _is_number(frame[c])]
    if not columns:
        raise DataError("There are no numeric signal columns to draw.")
    x, x_label = signal_axis(columns, axis, axis_label)
    classes_all: list[str] = []
    if is_class_target(frame, target):
        rows = frame[frame[target].notna()]
        labels_all, classes_all = _class_labels(rows[target])
        counts = pd.Series(labels_all).value_counts()
        chosen = [c for c in classes_all if c in set(counts.index[:max_classes])]
        rng = np.random.default_rng(seed)
        picked, labels = [], []
        for c in chosen:
            where = np.flatnonzero(labels_all == c)
            take = rng.choice(where, size=min(per_class, len(where)), replace=False)
            picked.extend(sorted(take))
            labels.extend([c] * len(take))
        part = rows.iloc[picked]
    else:
        part = sample_rows(frame, per_class * 4, seed)
        labels, chosen = [""] * len(part), []
    curves = np.column_stack([_floats(part[c]) for c in columns]) if len(part) else np.empty((0, len(columns)))
    width = max(1, math.ceil(len(columns) / max_points))
    if width > 1:
        usable = (len(columns) // width) * width
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # a bin of missing values stays missing
            curves = np.nanmean(curves[:, :usable].reshape(len(curves), -1, width), axis=2)
        x = x[:usable].reshape(-1, width).mean(axis=1)
    return SignalSamples(x=x, x_label=x_label, curves=curves, labels=labels, classes=chosen,
                         n_classes=len(classes_all), bin_width=width, y_label=common_prefix(columns) or "Value")


def common_prefix(columns: Sequence[str]) -> str:
    """'flux' for the columns flux_0000 … flux_3999 (as the readers name a signal), else ''."""
    prefixes = {re.sub(r"[_\s]*\d+$", "", str(c)) for c in (columns[0], columns[-1])}
    prefix = prefixes.pop() if len(prefixes) == 1 else ""
    return prefix if prefix and all(str(c).startswith(prefix) for c in columns[:50]) else ""
