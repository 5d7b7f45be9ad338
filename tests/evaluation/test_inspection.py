"""Inspection after a run: the test rows travel back with their predictions, a confusion cell finds
exactly its samples, precision-recall curves agree with scikit-learn, and the page shows one sample
with its class probabilities."""

import re

import numpy as np
import pandas as pd
import pytest

from mllab import charts
from mllab.datasets.builtin import load_builtin
from mllab.datasets.model import Dataset
from mllab.evaluation import inspection
from mllab.prepare.preprocessing import PreprocessConfig, prepare
from mllab.training.holdout import run_training
from mllab.training.schemes import ValidationConfig
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec


def _spec(dataset, family="logistic_regression", params=None, **kwargs):
    return validate_spec(TrainingSpec(dataset=dataset, target=kwargs.pop("target", dataset.target),
                                      preprocessing=PreprocessConfig(), family=family, params=params or {}, **kwargs))


@pytest.fixture(scope="module")
def digits_run():
    dataset = load_builtin("digits")
    return dataset, run_training(_spec(dataset), LocalReporter())


def test_digits_confusion_cells_hold_exactly_the_matrix_counts_and_point_at_their_rows(digits_run):
    dataset, result = digits_run
    predictions, evaluation = result.predictions, result.evaluation
    assert evaluation.accuracy >= 0.95
    assert len(predictions) == result.n_test == 360 and not predictions.capped
    k = len(evaluation.class_names)
    for i in range(k):
        for j in range(k):
            assert len(inspection.cell_positions(predictions, i, j)) == evaluation.confusion[i, j]
    # Each kept row is the dataset's row of that test sample: its label there is the true class.
    labels = dataset.frame[dataset.target].iloc[predictions.rows].astype(str).to_numpy()
    assert (labels == np.asarray(predictions.class_names)[predictions.y_true]).all()
    assert np.allclose(predictions.proba.sum(axis=1), 1, atol=1e-5)
    cells = inspection.cells(predictions)
    mistakes = [c for c in cells if c[0] != c[1]]
    assert sum(c[2] for c in mistakes) == int(evaluation.confusion.sum() - np.trace(evaluation.confusion))
    assert cells[:len(mistakes)] == mistakes and mistakes[0][2] == max(c[2] for c in mistakes)
    true_index, predicted_index, count = mistakes[0]
    assert inspection.cell_sentence(predictions, true_index, predicted_index) == (
        f"{count} test samples of class {true_index} predicted as {predicted_index}.")
    table = inspection.rows_table(dataset, dataset.target, predictions,
                                  inspection.cell_positions(predictions, true_index, predicted_index))
    assert list(table["True class"]) == [str(true_index)] * count
    assert list(table["Predicted class"]) == [str(predicted_index)] * count
    assert table.shape[1] == 4 + 64  # row, true, predicted, probability, then the 64 pixels


def test_test_rows_skip_the_rows_without_a_target():
    dataset = load_builtin("iris")
    frame = dataset.frame.copy()
    frame.loc[frame.index[::7], dataset.target] = None  # every seventh flower loses its species
    data = prepare(frame, dataset.target, dataset.feature_columns(dataset.target), PreprocessConfig())
    assert data.dropped_missing_target == 22
    species = frame[dataset.target].iloc[data.test_rows].astype(str).to_numpy()
    assert (species == np.asarray(data.class_names)[data.y_test]).all()
    features = frame[dataset.feature_columns(dataset.target)].iloc[data.test_rows].to_numpy(dtype=float)
    train_features = frame[dataset.feature_columns(dataset.target)].drop(frame.index[data.test_rows])
    # The scaled test matrix is the raw test rows standardised with the training rows' mean and spread.
    kept = train_features[frame[dataset.target].drop(frame.index[data.test_rows]).notna()].to_numpy(dtype=float)
    assert np.allclose(data.x_test, (features - kept.mean(axis=0)) / kept.std(axis=0), atol=1e-4)


def test_average_precision_is_scikit_learns_for_each_class_and_for_a_binary_run(digits_run):
    from sklearn.metrics import average_precision_score

    _, result = digits_run
    predictions = result.predictions
    assert [c.label for c in result.evaluation.pr] == result.evaluation.class_names
    for index, curve in enumerate(result.evaluation.pr):
        expected = average_precision_score(predictions.y_true == index, predictions.proba[:, index])
        assert curve.average_precision == pytest.approx(expected, abs=1e-6)
        assert len(curve.recall) == len(curve.precision) <= inspection.MAX_INSPECTED_ROWS
    cancer = load_builtin("breast_cancer")
    binary = run_training(_spec(cancer), LocalReporter())
    [curve] = binary.evaluation.pr
    assert curve.label == binary.evaluation.class_names[1]
    expected = average_precision_score(binary.predictions.y_true == 1, binary.predictions.proba[:, 1])
    assert curve.average_precision == pytest.approx(expected, abs=1e-6) and curve.average_precision > 0.95
    assert curve.prevalence == pytest.approx(np.mean(binary.predictions.y_true == 1))
    figure = charts.precision_recall_figure(binary.evaluation)
    assert [t.name for t in figure.data] == [f"{curve.label} (AP {curve.average_precision:.3f})",
                                             f"Chance (share of {curve.label}: {curve.prevalence:.2f})"]
    assert figure.layout.xaxis.title.text == "Recall" and figure.layout.yaxis.title.text == "Precision"


def test_a_big_test_set_keeps_a_capped_sample_and_says_so():
    n = inspection.MAX_INSPECTED_ROWS + 5_000
    rng = np.random.default_rng(1)
    proba = rng.random(n)
    kept = inspection.test_predictions(np.arange(n) * 2, (proba > 0.5).astype(int), proba, ["no", "yes"])
    assert len(kept) == inspection.MAX_INSPECTED_ROWS and kept.capped and kept.n_total == n
    assert kept.proba.shape == (inspection.MAX_INSPECTED_ROWS, 2)
    # A single P(yes) column becomes both columns; every kept prediction here is right.
    assert (kept.y_pred == kept.y_true).all() and (kept.rows % 2 == 0).all()
    sentence = inspection.cell_sentence(kept, 1, 1)
    assert re.match(r"[\d,]+ test samples of class yes predicted correctly\. Counted among the 20,000 test rows "
                    r"kept for inspection \(of 25,000\)", sentence)


def test_k_fold_runs_keep_every_out_of_fold_row():
    dataset = load_builtin("iris")
    result = run_training(_spec(dataset, "random_forest", {"n_estimators": 30},
                                validation=ValidationConfig(scheme="stratified_kfold", n_folds=5)), LocalReporter())
    predictions = result.predictions
    assert len(predictions) == 150 == result.n_test
    assert sorted(predictions.rows) == list(range(150))
    k = len(result.evaluation.class_names)
    assert all(len(inspection.cell_positions(predictions, i, j)) == result.evaluation.confusion[i, j]
               for i in range(k) for j in range(k))


def test_a_regression_keeps_true_and_predicted_values_of_its_test_rows():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": 3 * x[:, 0] - x[:, 1] + 0.01 * rng.normal(size=200)})
    dataset = Dataset(name="line", frame=frame, target="y", task="regression")
    result = run_training(_spec(dataset, "linear_regression", task="regression"), LocalReporter())
    predictions = result.predictions
    assert predictions.task == "regression" and len(predictions) == 40
    assert np.allclose(frame["y"].to_numpy()[predictions.rows], predictions.y_true)
    assert np.abs(predictions.y_pred - predictions.y_true).max() < 0.1
    table = inspection.rows_table(dataset, "y", predictions, np.arange(3))
    assert list(table.columns) == ["Row", "True y", "Predicted y", "a", "b"]


def test_next_misclassified_moves_forward_and_wraps_round(digits_run):
    _, result = digits_run
    wrong = inspection.misclassified_positions(result.predictions)
    assert len(wrong) >= 2
    assert inspection.next_misclassified(result.predictions, -1) == wrong[0]
    assert inspection.next_misclassified(result.predictions, int(wrong[0])) == wrong[1]
    assert inspection.next_misclassified(result.predictions, int(wrong[-1])) == wrong[0]


def test_most_confident_mistakes_come_first(digits_run):
    _, result = digits_run
    predictions = result.predictions
    ordered = inspection.most_confident_mistakes(predictions)
    assert sorted(ordered) == list(inspection.misclassified_positions(predictions))
    confidence = predictions.proba[ordered].max(axis=1)
    assert (np.diff(confidence) <= 0).all()


def test_probability_chart_highlights_the_predicted_class_and_marks_the_true_one(digits_run):
    _, result = digits_run
    predictions = result.predictions
    position = int(inspection.misclassified_positions(predictions)[0])
    figure = charts.probability_figure(inspection.probability_table(predictions, position), "Probabilities")
    traces = {t.name: t for t in figure.data}
    assert set(traces) == {charts.OTHER_CLASSES_LABEL, charts.PREDICTED_LABEL, charts.TRUE_LABEL}
    bars = np.concatenate([np.asarray(traces[name].x) for name in (charts.OTHER_CLASSES_LABEL,
                                                                   charts.PREDICTED_LABEL)])
    assert bars.sum() == pytest.approx(1, abs=1e-5)
    assert traces[charts.PREDICTED_LABEL].x[0] == bars.max()
    true_name = predictions.class_names[predictions.y_true[position]]
    assert traces[charts.TRUE_LABEL].y == (f"<b>{true_name} (true)</b>",)
    assert traces[charts.PREDICTED_LABEL].y == (predictions.class_names[predictions.y_pred[position]],)


def test_clickable_confusion_matrix_has_one_selectable_marker_per_cell(digits_run):
    _, result = digits_run
    figure = charts.clickable_confusion_figure(result.evaluation, normalised=False)
    [cells] = [t for t in figure.data if t.name == charts.CELL_TRACE_NAME]
    k = len(result.evaluation.class_names)
    assert len(cells.x) == k * k
    for index, (count, i, j, _) in enumerate(cells.customdata):
        assert (i, j) == divmod(index, k) and count == result.evaluation.confusion[i, j]
        assert (cells.y[index], cells.x[index]) == (str(i), str(j))
    assert figure.data[0].hoverinfo == "skip"  # the markers answer the pointer, not the heatmap


# -- the pages ------------------------------------------------------------------------------------


def test_train_page_cell_list_shows_its_samples_and_the_sample_viewer_its_probabilities():
    from page_support import new_app, plotly_array, plotly_specs, train_until_done

    at = new_app()
    assert at.session_state.dataset.kind == "image"  # digits, the default dataset
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("logistic_regression").run()
    at.button(key="train-button").click().run()
    train_until_done(at)
    run = at.session_state.runs[0]
    evaluation, predictions = run.result.evaluation, run.result.predictions
    cell_list = at.selectbox(key="train-1-cell")
    k = len(evaluation.class_names)
    # The list offers every non-empty cell, mistakes first; pick the last mistake listed.
    true_index, predicted_index, count = [c for c in inspection.cells(predictions) if c[0] != c[1]][-1]
    cell_list.set_value(true_index * k + predicted_index).run()
    assert not at.exception
    expected = f"{evaluation.confusion[true_index, predicted_index]} test sample"
    sentences = [m.value for m in at.markdown if "predicted as" in m.value]
    assert sentences == [f"{expected}{'s' if count > 1 else ''} of class {true_index} predicted as "
                         f"{predicted_index}\\."]
    titles = [s["layout"]["title"]["text"] for s in plotly_specs(at)]
    assert f"Class {true_index} predicted as {predicted_index} (sample number · probability of {predicted_index})" \
        in titles
    assert any(t.startswith("Precision–recall curves") for t in titles)

    # The Misclassified tab: every mistake, the most confident first.
    n_wrong = int(evaluation.confusion.sum() - np.trace(evaluation.confusion))
    assert f"{n_wrong} of the 360 test samples are misclassified; the ones the model was surest of come first." \
        in [m.value for m in at.markdown]
    [grid] = [s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("Misclassified test samples")]
    first = int(inspection.most_confident_mistakes(predictions)[0])
    assert grid["layout"]["annotations"][0]["text"] == (
        f"{predictions.y_true[first]}→{predictions.y_pred[first]} · {100 * predictions.proba[first].max():.0f}%")
    assert any(c.value.startswith(f"Their numbers in the Samples tab, in this order: #{first + 1}, ") for c in at.caption)
    assert len(grid["layout"]["annotations"]) == min(n_wrong, inspection.MAX_CELL_IMAGES)

    at.button(key="train-1-next-wrong").click().run()
    position = int(at.number_input(key="train-1-sample").value) - 1
    assert position == inspection.misclassified_positions(predictions)[0]
    [spec] = [s for s in plotly_specs(at) if s["layout"]["title"]["text"] == "Predicted probability of each class"]
    bars = {trace["name"]: trace for trace in spec["data"] if trace["type"] == "bar"}
    heights = np.concatenate([plotly_array(bars[name]["x"]) for name in bars])
    assert heights.sum() == pytest.approx(1, abs=1e-5)
    predicted_bar = bars[charts.PREDICTED_LABEL]
    assert plotly_array(predicted_bar["x"]).max() == heights.max()
    assert predicted_bar["y"] == [predictions.class_names[predictions.y_pred[position]]]
    true_name = predictions.class_names[predictions.y_true[position]]
    assert any(m.value.startswith("Row ") and f"true class {true_name}" in m.value and "wrong" in m.value
               for m in at.markdown)
    assert any(s["layout"]["title"]["text"] == f"Test sample {position + 1}" for s in plotly_specs(at))


def test_regression_sample_viewer_shows_the_rows_true_and_predicted_values():
    from page_support import UPLOAD, new_app, regression_done

    rng = np.random.default_rng(0)
    area = rng.uniform(30, 200, 120)
    price = 2.5 * area + rng.normal(0, 5, 120)
    csv = "area,price\n" + "".join(f"{a:.1f},{p:.2f}\n" for a, p in zip(area, price))
    at = new_app()
    at.radio(key="data-source").set_value(UPLOAD).run()
    at.file_uploader[0].set_value(("flats.csv", csv.encode(), "text/csv"))
    at.run()
    at.selectbox(key="target-flats.csv").set_value("price").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("linear_regression").run()
    at.button(key="train-button").click().run()
    regression_done(at)
    predictions = at.session_state.runs[0].result.predictions
    at.number_input(key="train-1-sample").set_value(3).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    true, predicted = predictions.y_true[2], predictions.y_pred[2]
    assert float(metrics["True price"]) == pytest.approx(true, rel=1e-3)
    assert float(metrics["Predicted price"]) == pytest.approx(predicted, rel=1e-3)
    assert abs(predicted - true) < 20  # a straight line plus noise of spread 5
    [values] = [d.value for d in at.dataframe if list(d.value.columns) == ["Feature", "Value"]]
    assert list(values["Feature"]) == ["area"]
    assert float(values["Value"][0]) == pytest.approx(area[predictions.rows[2]], abs=0.05)


def test_spectra_are_drawn_against_their_wavelengths_one_curve_per_sample():
    dataset = load_builtin("stellar_spectra_simulated")
    rows = np.array([3, 10])
    samples = inspection.signals(dataset, dataset.target, rows, ["#4 · 90%", "#11 · 50%"])
    assert samples.x_label == "wavelength [Angstrom]" and np.allclose(samples.x, dataset.axis)
    flux = [c for c in dataset.feature_columns(dataset.target) if c.startswith("flux_")]
    assert np.allclose(samples.curves, dataset.frame.iloc[rows][flux].to_numpy(dtype=float))
    figure = charts.signal_samples_figure(samples, "Class G predicted as K")
    assert [t.name for t in figure.data] == ["#4 · 90%", "#11 · 50%"]
    assert figure.layout.xaxis.title.text == "wavelength [Angstrom]" and figure.layout.yaxis.title.text == "flux"
