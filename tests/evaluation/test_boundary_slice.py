"""The boundary map says it is a slice and what it holds; over two principal components of the digits it warns
that a good model may look wrong there, and a slice through two chosen classes shows the model right."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from mllab.evaluation.boundary import GRID, class_pair_boundary, feature_boundary, pca_boundary


def _fitted(x, y):
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    scaler = StandardScaler().fit(x_train)
    model = LogisticRegression(max_iter=2000).fit(scaler.transform(x_train), y_train)
    return scaler, model, x_train, x_test, y_train, y_test


def _agreement(boundary) -> float:
    """Share of the drawn rows whose true class the map predicts at the rows' own place."""
    points = boundary.test_points
    col = np.clip(np.searchsorted(boundary.x, points["x"]), 0, GRID - 1)
    row = np.clip(np.searchsorted(boundary.y, points["y"]), 0, GRID - 1)
    return float(np.mean(boundary.predicted[row, col] == points["label"]))


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    scaler, model, x_train, x_test, y_train, y_test = _fitted(x, y)
    s_train, s_test = scaler.transform(x_train), scaler.transform(x_test)
    proba = model.predict_proba(s_test)
    assert np.mean(proba.argmax(axis=1) == y_test) > 0.93  # a good model
    return model, s_train, s_test, y_train, y_test, proba, [str(c) for c in range(10)]


def test_over_two_components_of_the_digits_the_map_says_it_is_a_slice_and_warns(digits):
    model, s_train, s_test, y_train, y_test, proba, names = digits
    boundary = pca_boundary(model.predict_proba, s_train, s_test, y_train, y_test, proba, names)
    assert boundary.note.startswith("A slice through the data")
    assert "62 other components held at 0" in boundary.note
    assert "look wrong even for a model that scores well" in boundary.caution
    assert "62 other components at 0" in boundary.held
    assert _agreement(boundary) < 0.6  # the 0.95 model does look wrong on this slice


def test_a_slice_through_two_chosen_classes_shows_the_model_right_on_their_rows(digits):
    model, s_train, s_test, y_train, y_test, proba, names = digits
    boundary = class_pair_boundary(model.predict_proba, s_train, s_test, y_train, y_test, proba, names, (3, 8))
    assert set(np.unique(boundary.test_points["label"])) == {3, 8}
    assert _agreement(boundary) > 0.9
    assert "mean rows of 3 and 8" in boundary.note and not boundary.caution
    assert boundary.x_label == "from 3 to 8"


def test_over_two_features_the_map_names_how_many_others_sit_at_their_medians():
    iris = load_iris(as_frame=True)
    frame, y = iris.data, iris.target.to_numpy()
    scaler, model, x_train, x_test, y_train, y_test = _fitted(frame, y)
    proba = model.predict_proba(scaler.transform(x_test))
    columns = list(frame.columns)
    boundary = feature_boundary(model.predict_proba, scaler, x_train, x_test, y_train, y_test, proba,
                                ["setosa", "versicolor", "virginica"], columns[2], columns[3])
    assert boundary.note.startswith("A slice through the data: the 2 other features held at their medians")
    assert boundary.held == "a slice: the 2 other features at their medians"
    two = feature_boundary(model.predict_proba, scaler, x_train[columns], x_test, y_train, y_test, proba,
                           ["a", "b", "c"], columns[0], columns[1])
    assert isinstance(two.note, str) and not two.caution
    pca = pca_boundary(model.predict_proba, scaler.transform(x_train), scaler.transform(x_test), y_train, y_test,
                       proba, ["a", "b", "c"])
    assert not pca.caution  # four features, two components hold most of the variance: no warning
    assert isinstance(pd.Series(pca.x).iloc[0], float)
