"""Preprocessing: fitted on the training part only, columns handled by type, bad settings explained."""

import numpy as np
import pandas as pd
import pytest

from mllab.errors import DataError, ParamError
from mllab.prepare.preprocessing import PreprocessConfig, label_data, prepare


def _frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "mag": rng.normal(15, 2, n),
        "colour": rng.normal(1, 0.3, n),
        "survey": rng.choice(["OGLE", "SDSS", "Gaia"], n),
        "label": rng.choice(["star", "galaxy"], n),
    })
    frame.loc[::10, "mag"] = np.nan
    return frame


def test_scaler_is_fitted_on_the_training_part_only():
    frame = _frame()
    data = prepare(frame, "label", ["mag", "colour"], PreprocessConfig(scaling="standard", imputation="median"))
    assert np.allclose(data.x_train.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(data.x_train.std(axis=0), 1, atol=1e-3)
    # The test part was transformed with the training statistics, so it is not exactly centred.
    assert not np.allclose(data.x_test.mean(axis=0), 0, atol=1e-6)
    assert not np.isnan(data.x_train).any() and not np.isnan(data.x_test).any()
    assert len(data.y_train) + len(data.y_test) == len(frame)
    assert len(data.y_test) == 40


def test_one_hot_adds_a_column_per_category_and_off_leaves_text_out():
    frame = _frame()
    on = prepare(frame, "label", ["mag", "colour", "survey"], PreprocessConfig())
    assert on.x_train.shape[1] == 5 and any("survey" in name for name in on.feature_names)
    off = prepare(frame, "label", ["mag", "colour", "survey"], PreprocessConfig(one_hot=False))
    assert off.x_train.shape[1] == 2 and off.dropped_columns == ["survey"]


def test_pca_keeps_the_chosen_number_of_components_and_refuses_too_many():
    frame = _frame()
    data = prepare(frame, "label", ["mag", "colour", "survey"], PreprocessConfig(pca_components=2))
    assert data.x_train.shape[1] == 2 and data.feature_names == ["PC1", "PC2"]
    with pytest.raises(ParamError, match="PCA cannot keep 9 components"):
        prepare(frame, "label", ["mag", "colour", "survey"], PreprocessConfig(pca_components=9))


def test_stratified_split_keeps_class_proportions():
    frame = _frame(1000)
    frame["label"] = np.where(np.arange(1000) < 100, "rare", "common")
    data = prepare(frame, "label", ["mag", "colour"], PreprocessConfig(test_fraction=0.2))
    assert (data.y_test == data.class_names.index("rare")).sum() == 20


def test_same_seed_same_split_and_other_seed_other_split():
    frame = _frame()
    a = prepare(frame, "label", ["mag", "colour"], PreprocessConfig(seed=1))
    b = prepare(frame, "label", ["mag", "colour"], PreprocessConfig(seed=1))
    c = prepare(frame, "label", ["mag", "colour"], PreprocessConfig(seed=2))
    assert np.array_equal(a.x_test, b.x_test) and not np.array_equal(a.x_test, c.x_test)


def test_labels_sort_numerically_and_rows_without_target_are_counted():
    frame = pd.DataFrame({"x": range(6), "y": [10, 9, 2, None, 10, 2]})
    labelled = label_data(frame, "y", ["x"])
    assert labelled.class_names == ["2", "9", "10"]
    assert labelled.dropped_missing_target == 1 and len(labelled.labels) == 5


def test_a_single_row_class_explains_why_stratifying_fails():
    frame = _frame()
    frame.loc[0, "label"] = "quasar"
    with pytest.raises(DataError, match="Class 'quasar' has only 1 row"):
        prepare(frame, "label", ["mag"], PreprocessConfig())


def test_no_usable_columns_is_a_plain_message():
    frame = _frame()
    with pytest.raises(DataError, match="No usable feature columns"):
        prepare(frame, "label", ["survey"], PreprocessConfig(one_hot=False))
