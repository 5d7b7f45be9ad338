"""The figures show the numbers they are given, with the names the pages and users rely on."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from mllab import charts
from mllab.evaluation.metrics import evaluate

HISTORY = [
    {"step": 1, "total": 3, "loss": 0.9, "val_loss": 1.0, "accuracy": 0.6, "val_accuracy": 0.55},
    {"step": 2, "total": 3, "loss": 0.5, "val_loss": 0.7, "accuracy": 0.8, "val_accuracy": 0.75},
    {"step": 3, "total": 3, "loss": 0.3, "val_loss": 0.6, "accuracy": 0.9, "val_accuracy": 0.8},
]


@pytest.fixture(scope="module")
def iris_evaluation():
    data = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(data.data, data.target, test_size=0.4,
                                                        stratify=data.target, random_state=1)
    proba = LogisticRegression(max_iter=1000).fit(x_train, y_train).predict_proba(x_test)
    return evaluate(y_test, proba, list(data.target_names))


@pytest.fixture(scope="module")
def binary_evaluation():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, 300), 0, 1)
    return evaluate(y, p, ["0", "1"])  # numeric-looking names must stay categories


def _check_readable(fig: go.Figure):
    layout = fig.layout
    assert layout.template == pio.templates["plotly_white"]
    assert layout.font.size >= 16 and layout.title.font.size >= 20 and layout.height
    fig.to_json()  # serialisable, as Streamlit needs


@pytest.mark.parametrize("metric, keys", [("loss", ("loss", "val_loss")), ("accuracy", ("accuracy", "val_accuracy"))])
def test_learning_curves_show_the_history(metric, keys):
    fig = charts.learning_curves(HISTORY, metric, metric.title())
    assert [t.name for t in fig.data] == ["Training", "Validation"]
    for trace, key in zip(fig.data, keys):
        assert list(trace.x) == [1, 2, 3]
        assert list(trace.y) == [e[key] for e in HISTORY]
        assert trace.line.width == 3 and "markers" in trace.mode
    assert fig.layout.xaxis.title.text == "Epoch"
    if metric == "accuracy":
        assert fig.layout.yaxis.range[0] == 0 and 1 <= fig.layout.yaxis.range[1] <= 1.05
    _check_readable(fig)


def test_a_short_run_is_ticked_at_whole_steps_not_halves():
    # Plotly's own ticks over steps 1..3 fall on 1, 1.5, 2, 2.5, 3: an epoch 1.5 that never happened.
    assert charts.learning_curves(HISTORY, "loss", "Loss").layout.xaxis.dtick == 1
    assert charts.learning_curves_dict(HISTORY, "loss", "Loss")["layout"]["xaxis"]["dtick"] == 1
    long = [{"step": i, "loss": 1 / i} for i in range(1, 151)]
    assert charts.learning_curves(long, "loss", "Loss").layout.xaxis.dtick is None  # Plotly's whole-number ticks


def test_learning_curves_with_training_only_and_partial_validation():
    history = [{"step": s, "loss": 1 / s} for s in range(1, 41)]
    fig = charts.learning_curves(history, "loss", "Loss", x_label="Iteration")
    assert [t.name for t in fig.data] == ["Training"]
    assert fig.data[0].mode == "lines"  # many points: no markers
    assert fig.layout.xaxis.title.text == "Iteration"

    history[5]["val_loss"] = 2.0  # validation appears only from some step on (out-of-bag rows)
    history[6]["val_loss"] = 1.5
    fig = charts.learning_curves(history, "loss", "Loss")
    validation = fig.data[1]
    assert validation.name == "Validation" and list(validation.x) == [6, 7] and list(validation.y) == [2.0, 1.5]


def test_learning_curves_empty_history_waits():
    fig = charts.learning_curves([], "loss", "Loss")
    assert len(fig.data) == 0
    assert [a.text for a in fig.layout.annotations] == ["Waiting for the first epoch…"]
    _check_readable(fig)


def test_learning_curves_without_the_metric_say_so():
    fig = charts.learning_curves([{"step": 1, "loss": 0.4}], "accuracy", "Accuracy")
    assert len(fig.data) == 0 and len(fig.layout.annotations) == 1


@pytest.mark.parametrize("history, metric, options", [
    (HISTORY, "loss", {}), (HISTORY, "accuracy", {"baseline": 0.5}), ([], "loss", {}),
    ([{"step": 1, "loss": 0.4}], "accuracy", {}), ([{"step": s, "loss": 1 / s} for s in range(1, 41)], "loss",
                                                   {"x_label": "Trees", "baseline": 0.02}),
    ([{"step": 1, "loss": float("nan"), "val_loss": 0.5}], "loss", {})])
def test_the_live_panels_curve_dict_is_the_figures_own(history, metric, options):
    """The live panel sends `learning_curves_dict` instead of converting a go.Figure: the same chart."""
    from ui.prebuilt import prebuilt_dict

    expected = charts.learning_curves(history, metric, metric.title(), **options).to_dict()
    spec = charts.learning_curves_dict(history, metric, metric.title(), **options)
    assert spec == expected
    figure = prebuilt_dict(spec)
    # What st.plotly_chart reads is that dict itself; anything else finds an ordinary figure with its content.
    assert isinstance(figure, go.Figure) and figure.to_dict() is spec
    assert figure.layout.height == expected["layout"]["height"]
    assert [t.name for t in figure.data] == [t["name"] for t in expected["data"]]
    assert figure.to_dict() is spec  # still, once the go.Figure has been built for those questions


@pytest.mark.parametrize("normalised", [False, True])
def test_confusion_matrix_figure(iris_evaluation, normalised):
    fig = charts.confusion_matrix_figure(iris_evaluation, normalised=normalised)
    heatmap = fig.data[0]
    names = iris_evaluation.class_names
    assert list(heatmap.x) == names and list(heatmap.y) == names
    expected = iris_evaluation.confusion_normalised if normalised else iris_evaluation.confusion
    np.testing.assert_allclose(np.array(heatmap.z, dtype=float), expected)
    assert fig.layout.xaxis.title.text == "Predicted class" and fig.layout.yaxis.title.text == "True class"
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.type == "category" and fig.layout.yaxis.type == "category"
    texts = [a.text for a in fig.layout.annotations]
    assert len(texts) == len(names) ** 2
    if normalised:
        assert all(t.endswith("%") for t in texts)
    else:
        assert texts == [str(v) for v in iris_evaluation.confusion.ravel()]
    colours = {a.font.color for a in fig.layout.annotations}
    assert {"white", charts.TEXT_DARK, charts.EMPTY_CELL} == colours
    _check_readable(fig)


def test_the_projector_enlarges_the_clickable_confusion_matrix_and_its_cell_frames(iris_evaluation):
    fig = charts.clickable_confusion_figure(iris_evaluation, normalised=False)
    big = charts.for_projector(fig)
    assert big.layout.height >= charts.PRESENTER_HEIGHT > fig.layout.height
    assert big.layout.title.font.size > fig.layout.title.font.size
    assert big.layout.xaxis.tickfont.size > fig.layout.xaxis.tickfont.size
    assert [a.font.size for a in big.layout.annotations] == [round(a.font.size * 1.5) for a in fig.layout.annotations]
    # The frame a click draws round a cell is sized to the cell: it grows with the figure's height.
    cells, big_cells = (next(t for t in f.data if t.name == charts.CELL_TRACE_NAME) for f in (fig, big))
    assert big_cells.marker.size == pytest.approx(cells.marker.size * big.layout.height / fig.layout.height)
    assert fig.layout.height == charts.confusion_matrix_figure(iris_evaluation, False).layout.height  # not changed
    big.to_json()
    assert charts.for_projector(fig, copy=False) is fig and fig.layout.height == big.layout.height  # in place


def test_roc_figure(iris_evaluation, binary_evaluation):
    fig = charts.roc_figure(iris_evaluation)
    names = [t.name for t in fig.data]
    assert len(fig.data) == len(iris_evaluation.roc) + 1 and names[-1] == "Chance"
    for trace, curve in zip(fig.data, iris_evaluation.roc):
        assert trace.name == f"{curve.label} (AUC {curve.auc:.3f})"
        assert list(trace.x) == curve.fpr and list(trace.y) == curve.tpr
    assert names[0].startswith("setosa (AUC ")
    macro = fig.data[len(iris_evaluation.roc) - 1]
    assert macro.name.startswith("macro average") and macro.line.dash == "dash"
    assert macro.line.width > fig.data[0].line.width
    assert fig.data[-1].line.dash == "dot"
    assert fig.layout.xaxis.title.text == "False positive rate"
    assert fig.layout.yaxis.title.text == "True positive rate"
    assert fig.layout.yaxis.scaleanchor == "x"
    _check_readable(fig)

    fig = charts.roc_figure(binary_evaluation)
    assert [t.name for t in fig.data] == [f"1 (AUC {binary_evaluation.roc_auc:.3f})", "Chance"]


def test_roc_figure_without_curves():
    evaluation = evaluate(np.ones(5, dtype=int), np.full((5, 2), 0.5), ["a", "b"])
    fig = charts.roc_figure(evaluation)
    assert [t.name for t in fig.data] == ["Chance"] and len(fig.layout.annotations) == 1


def test_class_balance_figure():
    balance = pd.DataFrame({"class": ["no", "yes", "maybe"], "count": [500, 268, 32]})
    balance["fraction"] = balance["count"] / balance["count"].sum()
    fig = charts.class_balance_figure(balance)
    bar = fig.data[0]
    assert list(bar.x) == [500, 268, 32] and list(bar.y) == ["no", "yes", "maybe"]
    assert list(bar.text) == ["500 (62.5%)", "268 (33.5%)", "32 (4.0%)"]
    _check_readable(fig)


def test_metrics_table(iris_evaluation):
    table = charts.metrics_table(iris_evaluation)
    names = iris_evaluation.class_names
    assert list(table.columns) == ["Class", "Precision", "Recall", "F1", "Support"]
    assert list(table["Class"]) == names + ["macro avg", "weighted avg"]
    assert table["F1"].iloc[-2] == round(iris_evaluation.macro["f1"], 3)
    assert table["Recall"].iloc[0] == round(iris_evaluation.per_class["recall"].iloc[0], 3)
    assert table["Support"].iloc[-1] == iris_evaluation.per_class["support"].sum()
    assert all((table[c] == table[c].round(3)).all() for c in ["Precision", "Recall", "F1"])


def test_sample_images_figure_has_one_square_heatmap_per_image_titled_by_class():
    images = np.arange(3 * 8 * 8, dtype=float).reshape(3, 8, 8)
    fig = charts.sample_images_figure(images, ["a", "b", "c"], columns=2)
    assert [t.type for t in fig.data] == ["heatmap"] * 3
    assert [a.text for a in fig.layout.annotations][:3] == ["a", "b", "c"]
    assert fig.layout.yaxis2.scaleanchor == "x2"
    # Row 0 of the image is drawn at the top.
    assert np.array_equal(np.asarray(fig.data[0].z)[-1], images[0][0])


@pytest.mark.parametrize("count,columns", [(20, 10), (3, 2), (7, 4)])
def test_the_data_pages_sample_images_dict_sends_the_figures_own_json(count, columns):
    """The Data page sends `sample_images_dict` instead of converting a go.Figure: what reaches the browser is the
    same, dark ink on white included (the dict spells the colour scale out: plotly.js's own "Greys" is reversed)."""
    import json

    import plotly

    from mllab.datasets import load_builtin, sample_images
    from ui.prebuilt import prebuilt_dict

    digits = load_builtin("digits")
    images, labels = sample_images(digits, digits.target)
    images, labels = images[:count], labels[:count]
    # As st.plotly_chart turns either into the JSON it sends.
    sent = [json.loads(pio.to_json(plotly.tools.return_figure_from_figure_or_data(figure, True), validate=False))
            for figure in (charts.sample_images_figure(images, labels, columns),
                           prebuilt_dict(charts.sample_images_dict(images, labels, columns)))]
    assert sent[1] == sent[0]
    assert len(sent[1]["data"]) == count and sent[1]["data"][0]["colorscale"][0] == [0.0, "rgb(255,255,255)"]


# ---- exploring the data ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def star_frame():
    rng = np.random.default_rng(5)
    n = 400
    kind = np.array(["Cep", "RRLyr", "LPV"])[np.arange(n) % 3]
    frame = pd.DataFrame({"log_P": rng.normal(0, 1, n) + (kind == "Cep"), "I": rng.uniform(14, 19, n),
                          "field": rng.choice(["LMC", "SMC"], n), "Type": kind})
    frame["V"] = frame["I"] + 0.5 + rng.normal(0, 0.1, n)
    frame.loc[:20, "V"] = np.nan
    return frame


@pytest.mark.parametrize("share", [False, True])
def test_histogram_figure_by_class_draws_a_step_outline_per_class(star_frame, share):
    from mllab.prepare import explore

    hist = explore.histogram(star_frame, "log_P", "Type")
    fig = charts.histogram_figure(hist, share=share)
    assert [t.name for t in fig.data] == ["Cep", "LPV", "RRLyr"]
    assert len({t.line.color for t in fig.data}) == 3 and fig.data[0].line.width == charts.LINE_WIDTH
    heights = np.asarray(fig.data[0].y)
    if share:
        assert heights[::2].sum() == pytest.approx(100)
        assert fig.layout.yaxis.title.text.startswith("Share")
    else:
        assert heights[::2].sum() == hist.counts["Cep"].sum()
    assert fig.layout.title.text == "Distribution of log_P by class" and fig.layout.xaxis.title.text == "log_P"
    _check_readable(fig)


def test_histogram_figure_without_classes_and_for_text(star_frame):
    from mllab.prepare import explore

    fig = charts.histogram_figure(explore.histogram(star_frame, "I", None))
    assert [t.type for t in fig.data] == ["bar"] and sum(fig.data[0].y) == 400 and not fig.layout.showlegend
    text = charts.histogram_figure(explore.histogram(star_frame, "field", "Type"))
    assert [t.type for t in text.data] == ["bar"] * 3 and text.layout.barmode == "group"
    _check_readable(text)


def test_missing_values_figure(star_frame):
    from mllab.prepare import explore

    fig = charts.missing_values_figure(explore.missing_values(star_frame))
    assert list(fig.data[0].y) == ["V"] and list(fig.data[0].text) == ["21 (5.2%)"]
    _check_readable(fig)
    empty = charts.missing_values_figure(explore.missing_values(star_frame.dropna()))
    assert [a.text for a in empty.layout.annotations] == ["No missing values."]


def test_correlation_figure_is_symmetric_from_minus_one_to_one(star_frame):
    from mllab.prepare import explore

    corr = explore.correlation(star_frame, ["log_P", "I", "V", "field"])
    fig = charts.correlation_figure(corr)
    heatmap = fig.data[0]
    assert list(heatmap.x) == ["log_P", "I", "V"] and heatmap.zmin == -1 and heatmap.zmax == 1
    z = np.asarray(heatmap.z, dtype=float)
    np.testing.assert_allclose(z, z.T) and np.testing.assert_allclose(np.diag(z), 1)
    assert len(fig.layout.annotations) == 9 and fig.layout.title.text == "Correlation between features"
    _check_readable(fig)


def test_pca_figure_one_trace_per_class_with_variance_in_the_axis_titles(star_frame):
    from mllab.prepare import explore

    projection = explore.pca_projection(star_frame, ["log_P", "I", "V", "field"], "Type")
    fig = charts.pca_figure(projection)
    assert [t.name for t in fig.data] == ["Cep", "LPV", "RRLyr"]
    assert sum(len(t.x) for t in fig.data) == 400
    assert fig.layout.xaxis.title.text.startswith("PC 1 (") and "variance" in fig.layout.yaxis.title.text
    _check_readable(fig)


def test_signal_samples_figure_one_legend_entry_per_class():
    from mllab.prepare import explore

    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 50)), columns=[f"f{i}" for i in range(50)])
    frame["CLASS"] = ["STAR", "QSO", "GALAXY"] * 10
    samples = explore.sample_signals(frame, list(frame.columns[:50]), "CLASS", axis=np.linspace(4000, 5000, 50),
                                     axis_label="wavelength [Angstrom]")
    fig = charts.signal_samples_figure(samples, "Sample spectra, a few per class")
    assert len(fig.data) == 9 and [t.name for t in fig.data if t.showlegend] == ["GALAXY", "QSO", "STAR"]
    assert fig.layout.xaxis.title.text == "wavelength [Angstrom]"
    assert list(fig.data[0].x) == list(samples.x)
    _check_readable(fig)
