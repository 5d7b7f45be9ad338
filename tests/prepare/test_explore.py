"""Exploring before training: statistics, histograms, missing values, correlations, PCA, sample signals."""

import time

import numpy as np
import pandas as pd
import pytest

from mllab.errors import DataError
from mllab.prepare import explore


@pytest.fixture(scope="module")
def stars():
    rng = np.random.default_rng(0)
    n = 300
    kind = np.where(np.arange(n) % 3 == 0, "Cep", "RRLyr")
    period = np.where(kind == "Cep", rng.uniform(3, 30, n), rng.uniform(0.3, 0.8, n))
    frame = pd.DataFrame({"log_P": np.log10(period), "I": rng.uniform(14, 19, n), "n_obs": rng.integers(10, 20, n),
                          "field": rng.choice(["LMC1", "LMC2", "SMC"], n), "Type": kind})
    frame["V"] = frame["I"] + rng.uniform(0.3, 1.0, n)
    frame.loc[:9, "V"] = np.nan
    return frame


def test_column_statistics(stars):
    stats = explore.column_statistics(stars)
    table = stats.table.set_index("Column")
    assert list(stats.table.columns) == explore.STAT_COLUMNS
    assert table.loc["V", "Count"] == 290 and table.loc["V", "Missing"] == 10 and table.loc["V", "Missing %"] == 3.3
    assert table.loc["I", "Mean"] == pytest.approx(stars["I"].mean())
    assert table.loc["I", "Std"] == pytest.approx(stars["I"].std())
    assert table.loc["I", "Median"] == pytest.approx(stars["I"].median())
    assert table.loc["I", "25%"] == pytest.approx(stars["I"].quantile(0.25))
    assert table.loc["log_P", "Min"] == pytest.approx(stars["log_P"].min())
    assert table.loc["n_obs", "Kind"] == "whole number" and table.loc["field", "Kind"] == "text"
    assert np.isnan(table.loc["field", "Mean"]) and table.loc["field", "Distinct"] == 3
    assert table.loc["Type", "Most common"] == "RRLyr (200)"
    assert stats.sampled_rows is None and stats.n_columns == 6


def test_column_statistics_sample_rows_and_cap_columns():
    frame = pd.DataFrame(np.arange(5000 * 10, dtype=float).reshape(5000, 10), columns=[f"c{i}" for i in range(10)])
    frame.iloc[0, 0] = np.nan
    stats = explore.column_statistics(frame, max_columns=4, sample=1000)
    assert len(stats.table) == 4 and stats.n_columns == 10 and stats.sampled_rows == 1000
    assert stats.table["Count"].tolist() == [4999, 5000, 5000, 5000]   # exact, not from the sample


def test_histogram_by_class_numbers_integers_and_text(stars):
    hist = explore.histogram(stars, "log_P", "Type")
    assert hist.by_class and hist.numeric and list(hist.counts) == ["Cep", "RRLyr"]
    assert len(hist.edges) == explore.HISTOGRAM_BINS + 1
    assert sum(c.sum() for c in hist.counts.values()) == 300
    assert hist.counts["Cep"].sum() == 100 and hist.missing == 0
    counts = explore.histogram(stars, "n_obs", "Type")
    assert counts.integer_bins and np.allclose(np.diff(counts.edges), 1)
    missing = explore.histogram(stars, "V", None)
    assert not missing.by_class and list(missing.counts) == [explore.ALL_ROWS] and missing.missing == 10
    text = explore.histogram(stars, "field", "Type")
    assert not text.numeric and sorted(text.categories) == ["LMC1", "LMC2", "SMC"]
    assert sum(c.sum() for c in text.counts.values()) == 300


def test_histogram_groups_rare_categories_and_handles_empty_columns():
    frame = pd.DataFrame({"name": [f"n{i % 40}" for i in range(400)], "empty": np.nan, "y": [0, 1] * 200})
    hist = explore.histogram(frame, "name", "y")
    assert len(hist.categories) == explore.MAX_CATEGORY_BARS + 1 and hist.categories[-1] == explore.OTHER
    assert sum(c.sum() for c in hist.counts.values()) == 400
    empty = explore.histogram(frame, "empty", "y")
    assert empty.missing == 400
    with pytest.raises(DataError):
        explore.histogram(frame, "nope", "y")


def test_missing_values(stars):
    summary = explore.missing_values(stars)
    assert summary.total == 10 and summary.columns_with_missing == 1 and summary.rows_with_missing == 10
    assert summary.table.to_dict("records") == [{"column": "V", "missing": 10, "share": 10 / 300}]
    assert explore.missing_values(stars.dropna()).total == 0


def test_correlation_caps_the_columns_by_variance_and_keeps_their_order():
    rng = np.random.default_rng(1)
    base = rng.normal(size=500)
    frame = pd.DataFrame({f"c{i}": base * (i + 1) + rng.normal(size=500) * 0.1 for i in range(40)})
    frame["constant"] = 1.0
    frame["text"] = "x"
    corr = explore.correlation(frame, list(frame.columns), max_columns=30)
    assert corr.n_numeric == 40 and corr.capped   # the constant column cannot correlate
    assert list(corr.matrix.columns) == [f"c{i}" for i in range(10, 40)]
    assert corr.matrix.loc["c10", "c39"] > 0.99
    small = explore.correlation(frame, ["c0", "c1"])
    assert not small.capped and small.matrix.shape == (2, 2)


def test_pca_projection_separates_classes_on_a_fixed_sample():
    rng = np.random.default_rng(2)
    n = 8000
    labels = np.where(np.arange(n) % 2, "a", "b")
    frame = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"f{i}" for i in range(6)])
    for column in ("f0", "f1", "f2"):   # three features that move together with the class
        frame[column] += np.where(labels == "a", 3, -3)
    frame.loc[3, "f1"] = np.nan
    frame["text"] = "x"
    frame["label"] = labels
    features = [c for c in frame.columns if c != "label"]
    projection = explore.pca_projection(frame, features, "label")
    assert projection.points.shape == (explore.PCA_SAMPLE_ROWS, 2)
    assert projection.n_used == 5000 and projection.n_rows == n and projection.n_features == 6
    assert projection.classes == ["a", "b"] and projection.left_out == ["text"]
    assert projection.explained[0] > projection.explained[1]
    first = projection.points[:, 0]
    labels_used = np.asarray(projection.labels)
    assert abs(first[labels_used == "a"].mean() - first[labels_used == "b"].mean()) > 3
    again = explore.pca_projection(frame, features, "label")
    np.testing.assert_allclose(again.points, projection.points)   # same sample, same picture


def test_pca_needs_two_varying_numeric_columns_and_colours_numeric_targets():
    frame = pd.DataFrame({"a": np.arange(60.0), "b": 1.0, "y": np.arange(60.0) * 1.5})
    with pytest.raises(DataError, match="two numeric feature columns"):
        explore.pca_projection(frame, ["a", "b"], "y")
    frame["c"] = np.sin(np.arange(60.0))
    projection = explore.pca_projection(frame, ["a", "b", "c"], "y")
    assert projection.labels is None and projection.values is not None


def test_sample_signals_a_few_per_class_against_the_axis():
    rng = np.random.default_rng(3)
    n, m = 60, 4000
    frame = pd.DataFrame(rng.normal(size=(n, m)), columns=[f"flux_{i:04d}" for i in range(m)])
    frame["CLASS"] = np.array(["STAR", "QSO", "GALAXY"])[np.arange(n) % 3]
    axis = np.linspace(3800, 9200, m)
    samples = explore.sample_signals(frame, list(frame.columns[:m]), "CLASS", axis=axis,
                                     axis_label="wavelength [Angstrom]")
    assert samples.classes == ["GALAXY", "QSO", "STAR"] and len(samples.labels) == 9
    assert samples.bin_width == 3 and samples.curves.shape == (9, m // 3) and len(samples.x) == m // 3
    assert samples.x[0] == pytest.approx(axis[:3].mean()) and samples.x_label == "wavelength [Angstrom]"
    assert samples.y_label == "flux"
    many = frame.assign(CLASS=[f"c{i % 12}" for i in range(n)])
    limited = explore.sample_signals(many, list(frame.columns[:50]), "CLASS", max_classes=8)
    assert len(limited.classes) == 8 and limited.n_classes == 12
    assert limited.x_label.startswith("position") and limited.y_label == "flux"
    assert explore.sample_signals(frame.rename(columns={"flux_0000": "a"}), ["a", "flux_0001"], None).y_label == "Value"


def test_signal_axis_from_column_names():
    x, label = explore.signal_axis(["400.0", "410.5", "421"])
    assert list(x) == [400.0, 410.5, 421.0] and "column names" in label


def test_wide_and_long_data_stay_quick():
    rng = np.random.default_rng(4)
    wide = pd.DataFrame(rng.normal(size=(3000, 3000)).astype(np.float32), columns=[f"p{i}" for i in range(3000)])
    wide["label"] = np.arange(3000) % 5
    long = pd.DataFrame(rng.normal(size=(400_000, 5)), columns=list("abcde"))
    long["label"] = rng.integers(0, 8, 400_000)
    start = time.perf_counter()
    for frame in (wide, long):
        features = [c for c in frame.columns if c != "label"]
        explore.column_statistics(frame)
        explore.histogram(frame, features[0], "label")
        explore.missing_values(frame)
        explore.correlation(frame, features)
        explore.pca_projection(frame, features, "label")
    elapsed = time.perf_counter() - start
    assert elapsed < 30, elapsed   # about 5 s on a 2-core machine; the page caches every result
