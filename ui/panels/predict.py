"""The Predict page's parts: which runs can predict, the rows to predict, the result and its downloads,
and keeping the last prediction in the workspace so a refresh or another device shows it again."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import streamlit as st

from mllab import charts
from mllab.charts.prediction import wrap_title
from mllab.datasets import BUILTIN_DATASETS, Dataset, load_builtin, markdown_escape
from mllab.errors import DataError
from mllab.io import server_folder
from mllab.io.limits import DEFAULT_IMAGE_SIZE
from mllab.io.single_objects import read_single_object
from mllab.io.upload import read_upload
from mllab.io.table_writers import TABLE_FORMATS, Provenance, table_bytes
from mllab.prepare import CleaningChoices, not_known_mask
from mllab.training import Run
from mllab.training.prediction import PredictionResult, model_info
from ui.state import session, widget_keys

PREVIEW_ROWS = 500
SURE_LABEL = "sure"  # the table's heading for the probability of the predicted class
ORDERS = {"file": "As the rows came", "least": "Least sure first", "most": "Surest first"}


def kept_model(run: Run) -> bytes | None:
    model_file = getattr(run.result, "model_file", None) if run.result is not None else None
    return model_file.data if model_file is not None and not model_file.refused and model_file.data else None


def predictable_runs(runs: list[Run]) -> list[Run]:
    """Finished runs whose trained model was kept, newest first."""
    return [r for r in reversed(runs) if r.status in ("completed", "stopped") and kept_model(r) is not None]


def run_label(run: Run) -> str:
    evaluation = run.result.evaluation
    score = (f"accuracy {evaluation.accuracy:.3f}" if evaluation.task == "classification"
             else f"RMSE {evaluation.rmse:.4g}")
    return f"{run.name} · {run.family_label} · {run.dataset_name} → {run.target} · {score}"


# -- the rows to predict ---------------------------------------------------------------------------
def rows_choice(run: Run) -> tuple[Dataset | None, str]:
    """Draw the choice of rows; return them (None until chosen) and how to name them."""
    raw, choices = session.raw_dataset(), session.cleaning_choices()
    options = {}
    if raw is not None and run.target in raw.frame.columns:
        mask = not_known_mask(raw.frame, run.target, choices or CleaningChoices(target=run.target))
        if mask.any():
            options["not-known"] = f"The {int(mask.sum()):,} rows of {raw.name} whose {run.target} is not known"
    if raw is not None:
        options["loaded"] = f"Every row of {raw.name} ({len(raw.frame):,})"
    options["upload"] = "A file to upload (a catalogue, a table, one spectrum or one image)"
    server_root = server_folder.folder()
    if server_root is not None:
        options["server"] = "A file on the server"
    options["builtin"] = "A built-in dataset"
    source = st.radio("Rows to predict", list(options), format_func=lambda k: options[k], key="predict-source")
    if source == "not-known":
        mask = not_known_mask(raw.frame, run.target, choices or CleaningChoices(target=run.target))
        return dataclasses.replace(raw, frame=raw.frame.loc[mask].reset_index(drop=True)), options[source]
    if source == "loaded":
        return raw, options[source]
    if source == "server":
        return _server_rows(server_root)
    if source == "builtin":
        key = st.selectbox("Built-in dataset", list(BUILTIN_DATASETS), key="predict-builtin",
                           format_func=lambda k: BUILTIN_DATASETS[k].name)
        return load_builtin(key), BUILTIN_DATASETS[key].name
    upload = st.file_uploader("File of rows to predict", key="predict-upload",
                              help="The same kinds of file as the Data page reads. Columns the model does not use "
                                   "(identifiers, coordinates) are carried along into the result.")
    if upload is None:
        return None, ""
    data = upload.getvalue()

    def read() -> Dataset:
        info = model_info(kept_model(run))
        # One image or one spectrum is read as the model's inputs; anything else as the Data page reads it.
        rows = read_single_object(upload.name, data, image_shape=info.get("image_shape"),
                                  signal_columns=info.get("signal_columns"), signal_axis=info.get("signal_axis"))
        if rows is None:
            # A zip of images is scaled to the size the model was trained on, not the Data page's default.
            shape = info.get("image_shape")
            size = (int(shape[0]), int(shape[1])) if shape and all(4 <= int(s) <= 256 for s in shape[:2]) \
                else DEFAULT_IMAGE_SIZE
            rows = read_upload(upload.name, data, image_size=size)
        return rows

    rows = _read_once("predict-upload-read", hashlib.sha256(data).hexdigest() + f"-{run.number}", read)
    return rows, upload.name if rows is not None else ""


def _read_once(state_key: str, token, read) -> Dataset | None:
    """`read()`'s dataset, read once per `token` (the file and what it is read for) and kept in the
    session across reruns; a DataError is shown as the page's sentence, and None returned."""
    reads = widget_keys.session_cache("predict-reads")
    cached = reads.get(state_key)
    if cached is None or cached[0] != token:
        try:
            cached = (token, read(), None)
        except DataError as err:
            cached = (token, None, str(err))
        reads[state_key] = cached
    if cached[2]:
        st.error(cached[2])
    return cached[1]


def _server_rows(root) -> tuple[Dataset | None, str]:
    """A file in the deployment's shared data folder (a survey catalogue too large to upload)."""
    try:
        files = server_folder.list_files(root)
    except DataError as err:
        st.error(str(err))
        return None, ""
    if not files:
        st.info("There are no data files in the server's data folder.")
        return None, ""
    by_name = {f.name: f for f in files}
    chosen = st.selectbox("File on the server", list(by_name), key="predict-server-file",
                          format_func=lambda n: f"{n}  ({by_name[n].size / 1024 ** 2:,.1f} MB)")
    info = by_name[chosen]
    rows = _read_once("predict-server-read", (info.name, info.size, info.mtime_ns),
                      lambda: server_folder.read_server_file(info.name, root))
    return rows, info.name if rows is not None else ""


# -- the result --------------------------------------------------------------------------------------
def _single_row(result: PredictionResult) -> None:
    row = result.table.iloc[0]
    if result.task == "regression":
        st.success(f"Predicted {markdown_escape(result.target)}: **{row[result.prediction_column]:.5g}**")
        return
    proba = row[result.probability_columns].to_numpy(dtype=float)
    best = int(proba.argmax())
    st.success(f"This one is **{markdown_escape(result.class_names[best])}**, with probability {proba[best]:.1%}.")
    table = pd.DataFrame({"class": result.class_names, "probability": proba,
                          "true": [False] * len(proba), "predicted": np.arange(len(proba)) == best})
    st.plotly_chart(charts.probability_figure(table, "The model's probability for each class"),
                    key="predict-single", width="stretch")


def _evaluation(result: PredictionResult) -> None:
    evaluation = result.evaluation
    st.subheader(f"Scored on the {result.n_evaluated:,} rows whose {result.target} is known")
    st.caption("A supplied test set, as Weka's Explorer calls it: the rows carry the target, so the model's "
               "predictions are checked against it.")
    if result.task == "regression":
        cols = st.columns(3)
        cols[0].metric("R²", f"{evaluation.r2:.3f}")
        cols[1].metric("RMSE", f"{evaluation.rmse:.4g}")
        cols[2].metric("MAE", f"{evaluation.mae:.4g}")
        st.plotly_chart(charts.predicted_vs_true_figure(evaluation, result.target), key="predict-vs-true",
                        width="stretch")
        return
    cols = st.columns(3)
    cols[0].metric("Accuracy on these rows", f"{evaluation.accuracy:.3f}")
    cols[1].metric("Macro F1", f"{evaluation.macro['f1']:.3f}")
    cols[2].metric("ROC AUC", "—" if evaluation.roc_auc is None else f"{evaluation.roc_auc:.3f}")
    confusion, roc = st.columns(2)
    confusion.plotly_chart(wrap_title(charts.confusion_matrix_figure(evaluation, normalised=False)),
                           key="predict-confusion", width="stretch")
    roc.plotly_chart(wrap_title(charts.roc_figure(evaluation)), key="predict-roc", width="stretch")


def result_panel(record: dict) -> None:
    result: PredictionResult = record["result"]
    done = "Predicted" if result.status == "completed" else "Stopped after"
    st.subheader(f"{done} {result.n_rows:,} rows with {record['run']}")
    st.caption(f"Rows: {markdown_escape(record['rows'])} · {result.duration_s:.1f} s on a training worker")
    for note in result.notes:
        st.info(note)
    if result.n_rows == 0:
        return
    if result.n_rows == 1:
        _single_row(result)
    # The answer first: the rows with their predictions, then the files, then how the predictions spread.
    rows_table(result)
    downloads(result, record["run"], record.get("provenance"))
    if result.n_rows > 1:
        _summary(result)
    if result.evaluation is not None:
        _evaluation(result)


def _summary(result: PredictionResult) -> None:
    """How the predictions spread: the classes' counts and how sure the model was, or a regression's range."""
    if result.task == "classification":
        counts, sure = st.columns(2)
        # Half of the page's answer column: titles wrapped at 30 characters (Plotly cuts a longer one).
        counts.plotly_chart(wrap_title(charts.predicted_counts_figure(result.counts), chars=30),
                            key="predict-counts", width="stretch")
        sure.plotly_chart(wrap_title(charts.top_probability_figure(result.top_probability(), len(result.class_names)),
                                     chars=30), key="predict-top-probability", width="stretch")
        return
    values = result.table[result.prediction_column]
    cols = st.columns(3)
    cols[0].metric(f"Mean predicted {result.target}", f"{values.mean():.4g}")
    cols[1].metric("Lowest", f"{values.min():.4g}")
    cols[2].metric("Highest", f"{values.max():.4g}")


def answer_first(result: PredictionResult) -> tuple[pd.DataFrame, str | None]:
    """The result's table with the prediction, how sure it is and the probabilities as its first columns, and
    the name of the "how sure" column (None for a regression). A prediction kept before the table was laid
    out so (its columns last, no "how sure" column) is laid out the same way here."""
    table = result.table
    if result.task != "classification" or not result.probability_columns:
        first = [c for c in [result.prediction_column] if c in table.columns]
        return table[first + [c for c in table.columns if c not in first]], None
    sure = result.sure_column
    if sure is None or sure not in table.columns:
        sure = f"{result.prediction_column}_probability"
        table = table.assign(**{sure: table[result.probability_columns].to_numpy(dtype=float).max(axis=1)})
    first = [c for c in (result.prediction_column, result.name_column, sure, *result.probability_columns)
             if c is not None and c in table.columns]
    return table[first + [c for c in table.columns if c not in first]], sure


def rows_table(result: PredictionResult) -> None:
    """The rows, the answer in the first columns; ordered by how sure the model is, for checking by hand."""
    table, sure = answer_first(result)
    if sure is not None:
        order = st.radio("Order", list(ORDERS), format_func=ORDERS.get, horizontal=True, key="predict-order",
                         label_visibility="collapsed")
        if order != "file":  # stable: rows equally sure keep their order
            table = table.sort_values(sure, ascending=order == "least", kind="stable")
    shown = table.head(PREVIEW_ROWS)
    if result.n_rows > PREVIEW_ROWS:
        st.caption(f"The first {PREVIEW_ROWS:,} of {result.n_rows:,} rows in this order; the downloads hold them "
                   "all, in the order they came.")
    config = {c: st.column_config.NumberColumn(format="%.3f") for c in result.probability_columns if c in shown}
    if sure is not None:
        config[sure] = st.column_config.ProgressColumn(
            SURE_LABEL, help="How sure the model is: its probability for the class it predicted", format="percent",
            min_value=0.0, max_value=1.0)
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config, key="predict-rows")


def provenance(run: Run | None, rows_label: str, result: PredictionResult) -> dict | None:
    """What the FITS and VOTable files say of where the predictions came from (a Provenance's fields)."""
    if run is None:
        return None
    evaluation = run.result.evaluation if run.result is not None else None
    figures = {}
    if evaluation is not None:
        names = ("rmse", "mae", "r2") if evaluation.task == "regression" else ("accuracy", "roc_auc")
        figures = {k: getattr(evaluation, k) for k in names if getattr(evaluation, k, None) is not None}
        if evaluation.task != "regression":
            figures["macro_f1"] = evaluation.macro["f1"]
    labels = CleaningChoices.from_dict(run.cleaning or {}).class_labels
    columns = [(result.prediction_column, f"the predicted {result.target}" + (
        ", as the training data held it" if result.task == "classification" else ""))]
    if result.name_column:
        columns.append((result.name_column, "the name given to the predicted class"))
    if result.sure_column:
        columns.append((result.sure_column, "how sure the model is: its probability for the predicted class"))
    if result.probability_columns:
        columns.append(("P_<class>", "the model's probability for each class"))
    return dataclasses.asdict(Provenance(
        run=run.name, model=run.family_label, target=run.target, dataset=run.dataset_name, rows=rows_label,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        n_test=int(getattr(run.result, "n_test", 0) or 0), test_figures=figures, class_labels=labels,
        columns=tuple(columns)))


def downloads(result: PredictionResult, run_name: str, provenance: dict | None = None) -> None:
    stem = "".join(ch if ch.isalnum() else "-" for ch in f"predictions-{run_name}").strip("-").lower()
    table, _ = answer_first(result)
    written_by = None
    if provenance:  # kept as plain JSON in the workspace: lists back to tuples, fields no longer known dropped
        known = {f.name for f in dataclasses.fields(Provenance)}
        written_by = Provenance(**{**{k: v for k, v in provenance.items() if k in known},
                                   "class_labels": tuple(map(tuple, provenance.get("class_labels", ()))),
                                   "columns": tuple(map(tuple, provenance.get("columns", ())))})
    # Each as wide as its label, onto a second row if need be: equal columns cut "Predictions as FITS binary table".
    with st.container(horizontal=True):
        for fmt, (label, extension, mime) in TABLE_FORMATS.items():
            # Written only when clicked: a 400,000-row FITS file takes seconds to build.
            st.download_button(f"Predictions as {label}", lambda fmt=fmt: table_bytes(table, fmt, written_by),
                               file_name=f"{stem}.{extension}", mime=mime, key=f"predict-download-{fmt}",
                               width="content", on_click="ignore")
