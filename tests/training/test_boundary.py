"""The decision-boundary map worked out with a run: a logistic regression's map is its coefficients' line."""

import numpy as np
import pandas as pd
import pytest

from mllab.datasets.builtin import load_builtin
from mllab.datasets.model import Dataset
from mllab.errors import ParamError
from mllab.evaluation.boundary import GRID
from mllab.prepare.preprocessing import PreprocessConfig, prepare
from mllab.training.holdout import run_training
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec


def _spec(dataset, family, boundary, params=None):
    return validate_spec(TrainingSpec(dataset=dataset, target=dataset.target, preprocessing=PreprocessConfig(),
                                      family=family, params=params or {}, boundary=boundary))


def test_logistic_regression_map_over_two_features_matches_the_line_of_its_coefficients():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(11)
    cls = rng.integers(0, 2, 400)
    frame = pd.DataFrame({"flux": rng.normal(size=400) * 3 + 2 * cls, "colour": rng.normal(size=400) + cls,
                          "depth": rng.normal(size=400) * 10 + 5 * cls, "cls": np.where(cls, "star", "galaxy")})
    dataset = Dataset("three features", frame, "cls")
    spec = _spec(dataset, "logistic_regression", ("flux", "colour"), {"C": 1.0})
    result = run_training(spec, LocalReporter())
    boundary = result.boundary
    assert boundary.predicted.shape == (GRID, GRID) and boundary.x_label == "flux" and "median" in boundary.note
    # The same model fitted independently: the boundary is w·z + b = 0 in standardised units, depth at its median.
    data = prepare(frame, "cls", ["flux", "colour", "depth"], spec.preprocessing)
    scaler = data.preprocessor.named_steps["columns"].named_transformers_["numeric"].named_steps["scale"]
    model = LogisticRegression(C=1.0, max_iter=5000).fit(data.x_train, data.y_train)
    (w1, w2, w3), b = model.coef_[0], model.intercept_[0]
    mean, scale = scaler.mean_, scaler.scale_
    depth = frame.loc[data.train_rows, "depth"].median()
    x, y = np.meshgrid(boundary.x, boundary.y)
    side = w1 * (x - mean[0]) / scale[0] + w2 * (y - mean[1]) / scale[1] + w3 * (depth - mean[2]) / scale[2] + b
    expected = (side > 0).astype(int)  # class 1, "star", above the line
    # Away from the line (more than one grid step in either direction) every cell agrees with it.
    step = np.hypot(w1 / scale[0] * (boundary.x[1] - boundary.x[0]), w2 / scale[1] * (boundary.y[1] - boundary.y[0]))
    clear = np.abs(side) > step
    assert clear.mean() > 0.9 and (expected != boundary.predicted)[clear].sum() == 0
    assert 0 < expected.mean() < 1  # the line crosses the map
    assert float(boundary.probability.min()) >= 0.5 and float(boundary.probability.max()) <= 1.0


def test_pca_map_of_a_forest_carries_points_and_rings_the_misclassified():
    iris = load_builtin("iris")
    result = run_training(_spec(iris, "random_forest", "pca", {"n_estimators": 20}), LocalReporter())
    boundary = result.boundary
    assert boundary.x_label.startswith("PC1") and "principal components" in boundary.note
    assert set(np.unique(boundary.predicted)) == {0, 1, 2}
    assert len(boundary.train_points["x"]) == result.n_train and len(boundary.test_points["x"]) == result.n_test
    wrong = int((boundary.test_points["predicted"] != boundary.test_points["label"]).sum())
    assert wrong == result.n_test - int(round(result.evaluation.accuracy * result.n_test))


def test_a_map_needs_two_numeric_features():
    iris = load_builtin("iris")
    with pytest.raises(ParamError, match="two different features"):
        _spec(iris, "logistic_regression", ("petal_width_cm", "petal_width_cm"))
    with pytest.raises(ParamError, match="not one"):
        _spec(iris, "logistic_regression", ("petal_width_cm", "species"))


def test_an_mlp_sends_its_boundary_map_as_it_trains_and_the_last_one_is_the_final_map():
    rng = np.random.default_rng(3)
    cls = rng.integers(0, 2, 200)
    frame = pd.DataFrame({"a": rng.normal(size=200) + 2 * cls, "b": rng.normal(size=200) - cls,
                          "cls": np.where(cls, "yes", "no")})
    spec = _spec(Dataset("two features", frame, "cls"), "mlp", ("a", "b"),
                 {"hidden_layers": "8", "epochs": 6, "batch_size": 32, "validation_split": 0.0})
    reporter = LocalReporter()
    result = run_training(spec, reporter)
    maps = [e for e in reporter.events if e.get("type") == "boundary"]
    assert maps and maps[-1]["epoch"] == 6 and all("step" not in e for e in maps)  # not points of the curve
    np.testing.assert_array_equal(maps[-1]["map"].predicted, result.boundary.predicted)
    np.testing.assert_allclose(maps[-1]["map"].probability, result.boundary.probability, atol=1e-4)
