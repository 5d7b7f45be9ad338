"""Figures for trusting a result: the baseline line on a curve, the reliability diagram, the boundary map."""

import json

import numpy as np
import plotly.io as pio
import plotly.tools

from mllab.charts.curves import BASELINE_LABEL, learning_curves
from mllab.charts.trust import PERFECT_CALIBRATION_LABEL, boundary_dict, boundary_figure, reliability_figure
from mllab.evaluation.boundary import GRID, BoundaryMap
from mllab.evaluation.calibration import calibration


def test_the_baseline_is_a_flat_line_across_the_curve():
    history = [{"step": s, "accuracy": 0.6 + s / 100, "val_accuracy": 0.6} for s in range(1, 11)]
    fig = learning_curves(history, "accuracy", "Accuracy", baseline=0.65)
    line = next(t for t in fig.data if t.name == BASELINE_LABEL)
    assert list(line.x) == [1, 10] and list(line.y) == [0.65, 0.65]
    assert BASELINE_LABEL not in [t.name for t in learning_curves(history, "accuracy", "Accuracy").data]


def test_reliability_figure_has_a_line_per_curve_with_each_bins_rows_and_the_diagonal():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 300)
    proba = rng.dirichlet([2, 2, 2], 300)
    result = calibration(y, proba, ["a", "b", "c"])
    fig = reliability_figure(result)
    names = [t.name for t in fig.data]
    assert names[-1] == PERFECT_CALIBRATION_LABEL and len(names) == 3 + 1 + 1  # 3 classes, its answer, diagonal
    counts = [row[0] for row in fig.data[0].customdata]
    assert sum(counts) == 300 and "Brier score" in fig.layout.title.text


def _small_boundary() -> BoundaryMap:
    predicted = np.zeros((GRID, GRID), dtype=np.int8)
    predicted[:, GRID // 2:] = 1
    boundary = BoundaryMap(
        x_label="flux", y_label="colour", x=list(np.linspace(0, 1, GRID)), y=list(np.linspace(0, 1, GRID)),
        predicted=predicted, probability=np.full((GRID, GRID), 0.8, dtype=np.float32), class_names=["galaxy", "star"],
        note="Every other feature (3) is fixed at its median in the training rows.", train_points={"x": np.array([0.1, 0.9]), "y": np.array([0.5, 0.5]), "label": np.array([0, 1])},
        test_points={"x": np.array([0.2, 0.8, 0.7]), "y": np.array([0.5, 0.5, 0.4]), "label": np.array([0, 1, 1]),
                     "predicted": np.array([0, 1, 0])})
    return boundary


def test_boundary_figure_paints_each_predicted_class_and_rings_misclassified_test_rows():
    fig = boundary_figure(_small_boundary())
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert [t.name for t in heatmaps] == ["Predicted galaxy", "Predicted star"]
    assert np.isnan(np.asarray(heatmaps[0].z, dtype=float)[:, -1]).all()  # the star half is not painted galaxy
    assert fig.layout.title.subtitle.text == "a slice: every other feature at its training median"
    star_test = next(t for t in fig.data if t.name == "star (test)")
    assert list(star_test.marker.line.width) == [1, 3]  # the star predicted as a galaxy is ringed


def _wine_map() -> BoundaryMap:
    """A real map: logistic regression on the wine data, over its first two principal components."""
    from sklearn.linear_model import LogisticRegression

    from mllab.datasets.builtin import load_builtin
    from mllab.evaluation.boundary import pca_boundary

    wine = load_builtin("wine")
    x = wine.frame[wine.feature_columns(wine.target)].to_numpy(dtype=float)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    y = wine.frame[wine.target].astype("category").cat.codes.to_numpy()
    model = LogisticRegression(max_iter=500).fit(x[::2], y[::2])
    return pca_boundary(model.predict_proba, x[::2], x[1::2], y[::2], y[1::2], model.predict_proba(x[1::2]),
                        ["class 0", "class 1", "class 2"])


def test_the_live_panels_boundary_dict_sends_the_figures_own_json():
    """The live panel sends `boundary_dict` instead of converting a go.Figure: what reaches the browser is the same."""
    from ui.prebuilt import prebuilt_dict

    nothing = _small_boundary()
    nothing.predicted[:] = 7  # no class painted anywhere, no rows: the figure says so
    nothing.train_points, nothing.test_points = {}, {}
    for boundary in (_small_boundary(), _wine_map(), nothing):
        # As st.plotly_chart turns either into the JSON it sends.
        sent = [json.loads(pio.to_json(plotly.tools.return_figure_from_figure_or_data(f, True), validate=False))
                for f in (boundary_figure(boundary), prebuilt_dict(boundary_dict(boundary)))]
        assert sent[1] == sent[0]
    assert [a["text"] for a in boundary_dict(nothing)["layout"]["annotations"]] == ["Nothing to draw"]
