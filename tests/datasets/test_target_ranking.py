"""Ranking the columns that may be the label, on real tables shaped like the ones users bring.

The Kepler red-giant table is not on this machine; its shape is rebuilt from real rows: the Pima table's label
renamed `clump`, with -1 ("not known yet") on some rows, and a last column `src` naming one of three surveys, the
column the old rule (the last column with few values) picked.
"""

import numpy as np
import pandas as pd
import pytest

from mllab.datasets import load_builtin
from mllab.datasets.targets import not_known_value, rank_targets, suggest_target, target_reason


@pytest.fixture(scope="module")
def kepler_shaped() -> pd.DataFrame:
    frame = load_builtin("pima").frame.rename(columns={"Outcome": "clump"})
    frame.loc[frame.index[::4], "clump"] = -1  # 192 rows whose class nobody has decided yet
    frame["src"] = np.array(["APOKASC", "Yu2018", "Vrard2016"])[np.arange(len(frame)) % 3]
    return frame


def test_a_class_named_column_with_minus_one_beats_the_last_column(kepler_shaped):
    ranked = rank_targets(kepler_shaped)
    assert [c.column for c in ranked[:2]] == ["clump", "src"]
    clump = ranked[0]
    assert clump.named_like_a_class and clump.values == 3
    assert (clump.not_known, clump.not_known_rows) == ("-1", 192)
    assert clump.sentence() == "clump: named like a class, 3 values, -1 on 192 rows looks like not known yet"
    assert suggest_target(kepler_shaped) == "clump"
    assert target_reason(ranked, "clump") == ("Suggested target — clump: named like a class, 3 values, -1 on 192 "
                                              "rows looks like not known yet.")
    assert target_reason(ranked, "src").startswith("The suggested target was clump:")


def test_not_known_values_only_outside_the_classes():
    assert not_known_value(pd.Series([0, 1, 2, -1, -1])) == ("-1", 2)
    assert not_known_value(pd.Series([0.0, 1.0, np.nan, -1.0])) == ("-1", 1)  # read as float: still "-1"
    assert not_known_value(pd.Series([1, 2, 3, 99])) == ("99", 1)
    assert not_known_value(pd.Series(["RC", "RGB", "?", "?"])) == ("?", 2)
    assert not_known_value(pd.Series([-1, 1, -1, 1])) is None  # two classes, -1 one of them
    assert not_known_value(pd.Series([-2, -1, 0, 1])) is None  # -1 inside the range of the others
    assert not_known_value(pd.Series([10, 60, 99])) is None  # 99 a value among others that reach it


def test_ogle_type_with_question_marks_beats_its_survey_field():
    frame = load_builtin("ogle3").frame
    frame["Type"] = frame["Type"].astype(object)
    frame.loc[frame.index[::10], "Type"] = "?"
    frame["field"] = frame["ID"].str.split("-").str[1]  # LMC, SMC, BLG: where the star was observed
    ranked = rank_targets(frame)
    assert ranked[0].column == "Type" and ranked[0].not_known == "?" and ranked[0].not_known_rows == 883
    assert "field" in [c.column for c in ranked]


def test_measurements_and_identifiers_are_no_target():
    frame = load_builtin("sdss_mgs").frame
    assert "redshift" not in [c.column for c in rank_targets(frame)]
    assert suggest_target(pd.DataFrame({"x": np.linspace(0, 1, 50), "y": range(50)})) is None


def test_a_built_in_dataset_says_its_target_is_the_published_one():
    # That every built-in classification keeps its target is tests/datasets/test_datasets.py's test_suggest_target.
    dataset = load_builtin("iris")
    assert target_reason(rank_targets(dataset.frame), "species", dataset.target) == \
        "species is the target this dataset was published with."
