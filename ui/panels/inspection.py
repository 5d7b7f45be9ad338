"""Inspecting a finished run's test samples: the confusion matrix whose cells open their samples,
and one sample at a time with the model's probability of each class."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mllab import charts
from mllab.datasets import markdown_escape
from mllab.evaluation import TestPredictions, inspection
from mllab.training import Run
from ui.state import widget_keys
from ui.widgets import presenter


def _predictions_or_note(run: Run) -> TestPredictions | None:
    """The run's kept test predictions, or None after saying why there are none."""
    predictions = run.result.predictions if run.result is not None else None
    if predictions is None or run.dataset is None or not len(predictions):
        st.caption("This run kept no test samples to inspect.")
        return None
    return predictions


def _kept_note(run: Run, predictions: TestPredictions) -> None:
    notes = []
    if run.result.cross_validation is not None:
        notes.append("K-fold run: the samples are the out-of-fold rows, each predicted by the fold's model "
                     "that did not train on it.")
    if predictions.capped:
        notes.append(f"A fixed random sample of {len(predictions):,} of the {predictions.n_total:,} test rows is "
                     f"kept for inspection (at most {inspection.MAX_INSPECTED_ROWS:,}).")
    if notes:
        st.caption(" ".join(notes))


# -- the confusion matrix and its cells -------------------------------------------------------------

def _clicked_cell(event, k: int) -> tuple[int, int] | None:
    """(true, predicted) of the cell clicked on the chart, if a cell marker is selected."""
    points = event.selection.points if event is not None and hasattr(event, "selection") else []
    for point in points:
        custom = point.get("customdata")
        if isinstance(custom, (list, tuple)) and len(custom) >= 3:
            return int(custom[1]), int(custom[2])
        if point.get("point_index") is not None:
            return divmod(int(point["point_index"]), k)
    return None


def confusion_panel(run: Run, key: str) -> None:
    """The confusion matrix; clicking a cell (or choosing it in the list under it, for the keyboard)
    shows that cell's test samples."""
    evaluation = run.result.evaluation
    normalised = st.toggle("Row-normalised (share of each true class)", key=f"{key}-normalise")
    event = presenter.plotly_chart(charts.clickable_confusion_figure(evaluation, normalised=normalised),
                                   key=f"{key}-confusion", width="stretch", on_select="rerun", selection_mode="points")
    predictions = _predictions_or_note(run)
    if predictions is None:
        return
    k = len(predictions.class_names)
    found = inspection.cells(predictions)
    options = [i * k + j for i, j, _ in found]
    counts = {i * k + j: count for i, j, count in found}
    choice_key, clicked_key = f"{key}-cell", f"{key}-cell-clicked"
    clicked = _clicked_cell(event, k)
    if clicked is not None and clicked != widget_keys.get(clicked_key):
        # A new click moves the list to the clicked cell; the list stays the user's otherwise.
        widget_keys.set(clicked_key, clicked)
        widget_keys.set(choice_key, clicked[0] * k + clicked[1])
    chosen = widget_keys.get(choice_key)
    if chosen is not None and chosen not in options:
        options.append(chosen)  # an empty cell that was clicked: listed so the list shows the choice
    if not options:
        return
    names = predictions.class_names

    def label(cell: int) -> str:
        true_index, predicted_index = divmod(cell, k)
        return f"{names[true_index]} → {names[predicted_index]} ({counts.get(cell, 0):,})"

    st.caption("Click a cell of the matrix to see its test samples, or choose it here.")
    cell = st.selectbox("Test samples of the cell (true → predicted)", options, format_func=label, key=choice_key)
    cell_samples(run, predictions, *divmod(cell, k), key=key)


def cell_samples(run: Run, predictions: TestPredictions, true_index: int, predicted_index: int, key: str) -> None:
    st.markdown(markdown_escape(inspection.cell_sentence(predictions, true_index, predicted_index)))
    positions = inspection.cell_positions(predictions, true_index, predicted_index)
    if not len(positions):
        return
    dataset, names = run.dataset, predictions.class_names
    true_name, predicted_name = names[true_index], names[predicted_index]
    probability = predictions.proba[positions, predicted_index].astype(float)
    title = (f"Class {charts.shorten(true_name)} predicted as {charts.shorten(predicted_name)}"
             if true_index != predicted_index else f"Class {charts.shorten(true_name)}, predicted correctly")
    limit = {"image": inspection.MAX_CELL_IMAGES, "signal": inspection.MAX_CELL_CURVES}.get(
        dataset.kind, inspection.MAX_CELL_ROWS)
    shown = positions[:limit]
    if len(positions) > limit:
        st.caption(f"Showing the first {limit} of {len(positions):,}.")
    labels = [f"#{p + 1} · {100 * q:.0f}%" for p, q in zip(shown, probability)]
    drawn = _draw_rows(run, predictions, shown, labels,
                       f"{title} (sample number · probability of {charts.shorten(predicted_name)})",
                       key=f"{key}-cell-samples")
    if drawn:
        st.caption("The sample numbers are those of the Samples tab, where each one shows all its class "
                   "probabilities.")


def misclassified_panel(run: Run, key: str) -> None:
    """Every misclassified test sample, the most confidently wrong first."""
    predictions = _predictions_or_note(run)
    if predictions is None:
        return
    _kept_note(run, predictions)
    wrong = inspection.most_confident_mistakes(predictions)
    st.markdown(f"{len(wrong):,} of the {len(predictions):,} test samples are misclassified"
                + ("; the ones the model was surest of come first." if len(wrong) else "."))
    if not len(wrong):
        return
    limit = {"image": inspection.MAX_CELL_IMAGES, "signal": inspection.MAX_CELL_CURVES}.get(
        run.dataset.kind, inspection.MAX_CELL_ROWS)
    shown = wrong[:limit]
    if len(wrong) > limit:
        st.caption(f"Showing the {limit} most confident of {len(wrong):,}.")
    names = predictions.class_names
    # Short captions: eight images a row leave about ten characters each.
    labels = [f"{charts.shorten(names[predictions.y_true[p]], 6)}→{charts.shorten(names[predictions.y_pred[p]], 6)}"
              f" · {100 * predictions.proba[p, predictions.y_pred[p]]:.0f}%" for p in shown]
    if _draw_rows(run, predictions, shown, labels, "Misclassified test samples (true→predicted · probability)",
                  key=f"{key}-misclassified", columns=6):
        st.caption("Their numbers in the Samples tab, in this order: "
                   + ", ".join(f"#{p + 1}" for p in shown) + ".")


def _draw_rows(run: Run, predictions: TestPredictions, positions: np.ndarray, labels: list[str], title: str,
               key: str, columns: int = 8) -> bool:
    """Images as a grid, signals as curves, anything else as a table; False when drawn as a table."""
    dataset = run.dataset
    rows = predictions.rows[positions]
    if dataset.kind == "image" and dataset.image_shape is not None:
        try:
            pictures = inspection.images(dataset, run.target, rows)
        except ValueError:
            pass  # the columns are no longer the image's pixels (cleaned away): show the rows instead
        else:
            st.plotly_chart(charts.images_figure(pictures, labels, title, columns=columns), key=key,
                            width="stretch" if len(pictures) > 3 else "content")
            return True
    if dataset.kind == "signal":
        samples = inspection.signals(dataset, run.target, rows, labels)
        st.plotly_chart(charts.signal_samples_figure(samples, title), key=key, width="stretch")
        return True
    st.dataframe(inspection.rows_table(dataset, run.target, predictions, positions), hide_index=True,
                 width="stretch", key=key)
    return False


# -- one sample -----------------------------------------------------------------------------------------

def samples_panel(run: Run, key: str) -> None:
    """One test sample at a time, drawn as its data kind shows it, with what the model predicted."""
    predictions = _predictions_or_note(run)
    if predictions is None:
        return
    _kept_note(run, predictions)
    n = len(predictions)
    number_key = f"{key}-sample"
    pick, random_col, wrong_col = st.columns([2, 1, 1], vertical_alignment="bottom")
    # The buttons run before the number input is made, so they can move it.
    if random_col.button("Random sample", key=f"{key}-random", width="stretch"):
        widget_keys.set(number_key, int(np.random.default_rng().integers(n)) + 1)
    classification = predictions.task == "classification"
    if classification:
        current = int(widget_keys.get(number_key, 1)) - 1
        if wrong_col.button("Next misclassified", key=f"{key}-next-wrong", width="stretch",
                            disabled=not len(inspection.misclassified_positions(predictions))):
            widget_keys.set(number_key, inspection.next_misclassified(predictions, current) + 1)
    number = pick.number_input(f"Test sample (1 to {n:,})", min_value=1, max_value=n, step=1, key=number_key)
    position = int(number) - 1
    row = int(predictions.rows[position])
    if classification:
        _class_sample(run, predictions, position, row, key)
    else:
        _regression_sample(run, predictions, position, row)


def _class_sample(run: Run, predictions: TestPredictions, position: int, row: int, key: str) -> None:
    names = predictions.class_names
    true_name = names[predictions.y_true[position]]
    predicted_index = int(predictions.y_pred[position])
    table = inspection.probability_table(predictions, position)
    verdict = "correct" if predictions.y_true[position] == predicted_index else "wrong"
    st.markdown(markdown_escape(f"Row {run.dataset.frame.index[row]} of the data · true class {true_name} · "
                                f"predicted {names[predicted_index]} "
                                f"({100 * table['probability'][predicted_index]:.1f}%, {verdict})"))
    left, right = st.columns(2)
    with left:
        if run.dataset.kind in ("image", "signal"):
            _draw_rows(run, predictions, np.array([position]), [f"true class {true_name}"],
                       f"Test sample {position + 1}", key=f"{key}-sample-drawn")
        else:
            st.dataframe(inspection.feature_values(run.dataset, run.target, row), hide_index=True,
                         width="stretch", key=f"{key}-sample-values")
    with right:
        st.plotly_chart(charts.probability_figure(table, "Predicted probability of each class"),
                        key=f"{key}-probabilities", width="stretch")


def _regression_sample(run: Run, predictions: TestPredictions, position: int, row: int) -> None:
    true, predicted = float(predictions.y_true[position]), float(predictions.y_pred[position])
    cols = st.columns(3)
    target = markdown_escape(run.target)
    cols[0].metric(f"True {target}", f"{true:.4g}")
    cols[1].metric(f"Predicted {target}", f"{predicted:.4g}")
    cols[2].metric("Error (predicted − true)", f"{predicted - true:+.4g}")
    st.caption(markdown_escape(f"Row {run.dataset.frame.index[row]} of the data."))
    st.dataframe(inspection.feature_values(run.dataset, run.target, row), hide_index=True, width="stretch")
