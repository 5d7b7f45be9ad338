"""Cleaning: 'missing' markers, identifier columns, formulas for new columns, and applying the choices."""

import numpy as np
import pandas as pd
import pytest

from mllab.datasets.builtin import load_builtin
from mllab.datasets.model import Dataset, SignalDataset
from mllab.errors import DataError
from mllab.prepare.cleaning import (CleaningChoices, MarkerGroup, MissingMarker, apply_cleaning, count_value,
                                    default_choices, find_identifier_columns, find_missing_markers, group_markers,
                                    looks_like_identifier_name, marker_sentence, optional_columns, parse_marker_value,
                                    structural_columns)
from mllab.prepare.formulas import DerivedColumn, add_derived_column, evaluate_expression


def _catalogue(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    i_mag = rng.uniform(12, 20, n)
    i_mag[:7] = -99.99
    v_mag = i_mag + 0.8
    v_mag[7:9] = 99.99
    v_mag[:7] = -99.99
    return pd.DataFrame({
        "ID": [f"OGLE-LMC-{k:05d}" for k in range(n)],
        "RAJ2000": rng.uniform(70, 90, n),
        "DEJ2000": rng.uniform(-72, -65, n),
        "I": i_mag.astype(np.float32),   # float32, as in FITS catalogues: -99.99 is -99.98999786 there
        "V": v_mag,
        "P_1": rng.uniform(0.2, 50, n),
        "flux": rng.normal(0, 100, n),    # -99 would be an ordinary value here
        "Type": np.where(np.arange(n) % 2, "RRLyr", "Cep"),
    })


# ---- markers ---------------------------------------------------------------------------------------


def test_markers_outside_the_range_of_the_other_values_are_found_with_their_counts():
    frame = _catalogue()
    frame.loc[5, "flux"] = -99.0   # inside the range of flux: a real value
    markers = find_missing_markers(frame)
    assert markers == [MissingMarker("I", -99.99, 7), MissingMarker("V", -99.99, 7), MissingMarker("V", 99.99, 2)]
    assert marker_sentence(group_markers(markers[:1])[0]) == (
        "Column I has 7 values of -99.99, which look like a 'missing' marker — treat as missing?")
    one = MarkerGroup(-9999.0, ("mag",), 1)
    assert marker_sentence(one) == ("Column mag has 1 value of -9999, which looks like a 'missing' marker — "
                                    "treat as missing?")
    assert marker_sentence(MarkerGroup(0.0, ("Insulin",), 374), detected=False) == \
        "Column Insulin: treat its 374 values of 0 as missing"


def test_a_column_of_markers_only_and_integer_columns():
    frame = pd.DataFrame({"a": [-9999] * 5, "b": [1, 2, -999, 4, 5], "c": [True, False] * 2 + [True],
                          "d": list("abcde")})
    found = {(m.column, m.value): m.count for m in find_missing_markers(frame)}
    assert found == {("a", -9999.0): 5, ("b", -999.0): 1}


def test_a_marker_in_many_columns_is_one_question():
    frame = pd.DataFrame(np.ones((4, 20)), columns=[f"flux_{i}" for i in range(20)])
    frame.iloc[0, :] = -9999
    frame["x"] = [1.0, -99.0, 2.0, 3.0]
    groups = group_markers(find_missing_markers(frame))
    assert [(g.value, len(g.columns), g.count) for g in groups] == [(-9999.0, 20, 20), (-99.0, 1, 1)]
    assert marker_sentence(groups[0]).startswith("The value -9999 appears 20 times in 20 columns (flux_0, flux_1, "
                                                 "flux_2 and 17 more)")


def test_wide_data_is_scanned_in_blocks():
    frame = pd.DataFrame(np.random.default_rng(1).normal(size=(50, 700)), columns=[f"c{i}" for i in range(700)])
    frame.iloc[3, 650] = -999
    assert find_missing_markers(frame) == [MissingMarker("c650", -999.0, 1)]


def test_typed_marker_values():
    assert parse_marker_value(" -99.99 ") == -99.99 and parse_marker_value("−1") == -1.0
    for bad in ("", "minus one", "nan", "inf"):
        with pytest.raises(DataError):
            parse_marker_value(bad)
    frame = _catalogue()
    assert count_value(frame, "I", -99.99) == 7 and count_value(frame, "ID", 0) == 0


# ---- identifiers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ID", "id", "objid", "objID", "SpecObjID", "source_id", "star name", "Name",
                                  "RAJ2000", "DEJ2000", "_RAJ2000", "RA_ICRS", "ra", "Dec", "DEC_deg", "glon",
                                  "GLAT", "X_IMAGE", "ypix", "ID_OGLE", "fiberID", "Unnamed: 0"])
def test_identifier_and_coordinate_names(name):
    assert looks_like_identifier_name(name)


@pytest.mark.parametrize("name", ["x", "y", "b", "l", "valid", "grid", "period", "I_mag", "radius", "redshift",
                                  "declination_error_flag_count", "Type", "amplitude", "idle"])
def test_names_that_are_measurements(name):
    assert not looks_like_identifier_name(name)


def test_identifier_columns_by_name_and_by_content():
    n = 40
    frame = pd.DataFrame({
        "star": [f"S{i}" for i in range(n)],               # every value distinct text
        "row": np.arange(n),                                # row numbers
        "catalogue": np.arange(n) * 7 + 2_000_000,          # large distinct numbers
        "counts": np.arange(n) * 3 + 5,                     # distinct whole numbers, but a measurement range
        "mag": np.linspace(10, 20, n),                      # distinct floats: a measurement
        "band": ["V", "I"] * (n // 2),
        "RAJ2000": np.linspace(0, 1, n),
        "label": ["a", "b"] * (n // 2),
    })
    assert find_identifier_columns(frame, target="label") == ["star", "row", "catalogue", "RAJ2000"]
    assert find_identifier_columns(frame.head(5), target="label") == ["RAJ2000"]  # too few rows to judge content


# ---- formulas --------------------------------------------------------------------------------------


@pytest.fixture
def stars():
    return pd.DataFrame({"V": [15.0, 16.0, 17.5, np.nan], "I": [14.0, 15.5, 16.0, 15.0],
                         "P_1": [0.5, 1.0, 10.0, 100.0], "B-V": [0.1, 0.2, 0.3, 0.4], "zero": [0.0, 1.0, 2.0, 3.0],
                         "Type": ["a", "b", "a", "b"], "flag": [True, False, True, False]})


@pytest.mark.parametrize("expression,expected", [
    ("V - I", [1.0, 0.5, 1.5, np.nan]),
    ("log10(P_1)", [np.log10(0.5), 0.0, 1.0, 2.0]),
    ("`B-V` * 2", [0.2, 0.4, 0.6, 0.8]),
    ("sqrt(abs(I - 15))", [1.0, np.sqrt(0.5), 1.0, 0.0]),
    ("-I + 2 ** 3 % 5 // 1", [-11.0, -12.5, -13.0, -12.0]),
    ("max(I, 15) + min(P_1, 1)", [15.5, 16.5, 17.0, 16.0]),
    ("I ^ 2", [196.0, 240.25, 256.0, 225.0]),
    ("pi * zero + flag", [1.0, np.pi, 1 + 2 * np.pi, 3 * np.pi]),
    ("hypot(I, 0)  +  exp(0 * I)", [15.0, 16.5, 17.0, 16.0]),
])
def test_formulas(stars, expression, expected):
    values, notes = evaluate_expression(stars, expression)
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    assert notes == []


@pytest.mark.parametrize("expression,words", [
    ("V - Imag", "no column called Imag"),
    ("`Vmag` + 1", "no column called Vmag"),
    ("log(", "could not be read"),
    ("V -", "could not be read"),
    ("`B-V", "not closed"),
    ("B-V", "no column called B"),
    ("Type * 2", "holds text"),
    ("lg(V)", "Did you mean log"),
    ("__import__('os')", "not a function mllab knows"),
    ("__import__('os').system('echo hi')", "not a function name"),
    ("V.real", "a dot"),
    ("[V, I][0]", "square brackets"),
    ("V if I else 0", "if ... else"),
    ("V > 3", "comparison"),
    ("V and I", "'and' / 'or'"),
    ("log10(x=V)", "without names"),
    ("log10(V, I)", "takes one value"),
    ("max(V)", "takes two values"),
    ("'abc'", "the text"),
    ("1 + 2", "does not use any column"),
    ("log10", "is a function"),
    ("V / 0", "no usable value"),
    ("9 ** 9 ** 9 * V", "no usable value"),
    ("V +" * 200 + "V", "characters long"),
    ("-" * 150 + "V", "too complicated"),
    ("V; import os", "could not be read"),
    ("lambda: V", "lambda"),
])
def test_formulas_that_are_refused_with_a_plain_sentence(stars, expression, words):
    with pytest.raises(DataError) as err:
        evaluate_expression(stars, expression)
    assert words in str(err.value)
    assert "Traceback" not in str(err.value)


def test_infinite_and_impossible_values_become_missing_with_a_note(stars):
    values, notes = evaluate_expression(stars, "I / zero")
    assert np.isnan(values[0]) and np.isfinite(values[1:]).all()
    assert notes == ["The formula gives an infinite value in 1 row (a division by zero, or the logarithm of 0); "
                     "those rows get a missing value."]
    values, notes = evaluate_expression(stars, "sqrt(zero - 1)")
    assert np.isnan(values[0]) and np.isfinite(values[1:]).all() and "no value in 1 row " in notes[0]


def test_new_columns_are_checked_and_added(stars):
    frame, notes = add_derived_column(stars, DerivedColumn(" colour ", "V - I"))
    assert "colour" in frame and "colour" not in stars and notes == []
    for name, words in (("", "Give the new column a name"), ("V", "already a column"), ("x" * 61, "under 60")):
        with pytest.raises(DataError, match=words):
            add_derived_column(stars, DerivedColumn(name, "V - I"))


# ---- applying the choices --------------------------------------------------------------------------


def _dataset(frame, **kwargs) -> Dataset:
    return Dataset(name="cat.csv", frame=frame, target=None, source="upload", **kwargs)


def test_defaults_exclude_identifiers_and_tick_the_detected_markers():
    frame = _catalogue()
    dataset = _dataset(frame)
    markers = find_missing_markers(frame)
    choices = default_choices(dataset, "Type", markers)
    assert choices.excluded == ("ID", "RAJ2000", "DEJ2000")
    assert choices.missing == (("I", -99.99), ("V", -99.99), ("V", 99.99))
    assert choices.target == "Type"
    hash(choices)  # part of cache keys


def test_apply_cleaning_makes_a_new_dataset_and_leaves_the_loaded_one_alone():
    frame = _catalogue()
    frame.loc[[3, 4], "Type"] = None
    original = frame.copy()
    dataset = _dataset(frame)
    choices = default_choices(dataset, "Type", find_missing_markers(frame)).replace(
        derived=(DerivedColumn("V_minus_I", "V - I"), DerivedColumn("logP", "log10(P_1)"),
                 DerivedColumn("broken", "V - nothing")))
    result = apply_cleaning(dataset, choices)
    cleaned = result.dataset
    pd.testing.assert_frame_equal(dataset.frame, original)       # the loaded data is untouched
    assert cleaned is not dataset and cleaned.name == dataset.name and cleaned.target == "Type"
    assert list(cleaned.frame.columns) == ["I", "V", "P_1", "flux", "Type", "V_minus_I", "logP"]
    assert cleaned.feature_columns("Type") == ["I", "V", "P_1", "flux", "V_minus_I", "logP"]
    assert result.replaced == {("I", -99.99): 7, ("V", -99.99): 7, ("V", 99.99): 2}
    assert result.dropped_rows == 2 and len(cleaned.frame) == 58
    assert cleaned.frame["I"].isna().sum() == 5                 # rows 3 and 4 were dropped
    assert cleaned.frame["V_minus_I"].isna().sum() == 7
    assert any(n.startswith("The new column broken was left out: There is no column called nothing") for n in
               result.notes)
    assert "2 rows with no value in the target column Type were left out." in result.notes


def test_without_markers_values_stay_and_the_target_is_never_excluded():
    frame = _catalogue()
    dataset = _dataset(frame)
    result = apply_cleaning(dataset, CleaningChoices(target="ID", excluded=("ID", "flux")))
    assert "ID" in result.dataset.frame and "flux" not in result.dataset.frame
    assert (result.dataset.frame["I"] < -99).sum() == 7
    assert result.replaced == {} and result.dropped_rows == 0


def test_signal_datasets_keep_their_signal_and_axis():
    n, m = 6, 12
    flux = pd.DataFrame(np.random.default_rng(0).normal(size=(n, m)), columns=[f"flux_{i:04d}" for i in range(m)])
    frame = pd.concat([flux, pd.DataFrame({"OBJID": np.arange(n) + 10, "z": np.linspace(0, 1, n),
                                           "CLASS": ["STAR", "QSO"] * 3})], axis=1)
    dataset = SignalDataset(name="s.fits", frame=frame, target="CLASS", kind="signal", source="upload",
                            id_columns=("OBJID", "z", "CLASS"), axis=np.linspace(4000, 5000, m),
                            axis_label="wavelength [Angstrom]")
    assert structural_columns(dataset) == list(flux.columns)
    assert optional_columns(dataset, "CLASS") == ["OBJID", "z"]
    choices = default_choices(dataset, "CLASS")
    assert choices.excluded == ("OBJID", "z")
    cleaned = apply_cleaning(dataset, choices).dataset
    assert isinstance(cleaned, SignalDataset) and cleaned.kind == "signal"
    assert cleaned.feature_columns("CLASS") == list(flux.columns)
    np.testing.assert_allclose(cleaned.axis, dataset.axis)
    as_table = apply_cleaning(dataset, choices.replace(kind="table", excluded=("OBJID",))).dataset
    assert as_table.kind == "table" and as_table.feature_columns("CLASS")[-1] == "z"


def test_images_keep_only_their_pixels_as_features():
    digits = load_builtin("digits")
    digits.frame["writer"] = np.arange(len(digits.frame)) % 43
    choices = default_choices(digits, "digit")
    assert choices.excluded == ("writer",)
    cleaned = apply_cleaning(digits, choices.replace(kind="table")).dataset
    assert cleaned.kind == "image" and len(cleaned.feature_columns("digit")) == 64


def test_built_in_ogle_subset_needs_no_markers_and_loses_its_id():
    ogle = load_builtin("ogle3")
    assert find_missing_markers(ogle.frame) == []
    assert default_choices(ogle, "Type").excluded == ("ID",)
