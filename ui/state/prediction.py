"""The Predict page's state: the run chosen, the prediction job under way, and the last prediction, kept in the
workspace (its table as a Parquet file, the rest through the codec) so a refresh or another device shows it."""

from __future__ import annotations

import dataclasses
import io

import pandas as pd
import streamlit as st

from mllab.io.table_writers import table_bytes
from mllab.store import StoreError
from mllab.store.codec import CodecError, decode, encode
from mllab.training.prediction import PredictionResult
from ui.state import keys, workspace

STORE_KEY = "prediction"
RUN_WIDGET = "predict-run"  # the Predict page's choice of run (its selectbox's key)


def choose_run(number: int) -> None:
    """Open the Predict page on this run (a "Predict new rows" button)."""
    st.session_state[RUN_WIDGET] = number


def job() -> dict | None:
    """{"job_id", "run", "rows"} of the prediction under way."""
    return st.session_state.get(keys.PREDICT_JOB)


def started(job_id: str, run_name: str, rows_label: str) -> None:
    st.session_state[keys.PREDICT_JOB] = {"job_id": job_id, "run": run_name, "rows": rows_label}


def job_gone() -> None:
    st.session_state.pop(keys.PREDICT_JOB, None)


def finished(record: dict) -> None:
    """The ended job's result ({"result", "run", "rows", "provenance"}: the last a Provenance's fields, what
    the FITS and VOTable files say of it): the session's and the workspace's last prediction."""
    st.session_state.pop(keys.PREDICT_JOB, None)
    st.session_state[keys.PREDICT_RESULT] = record
    remember(record)


def remember(record: dict) -> None:
    """Keep the prediction in the workspace: its table as a Parquet file, the rest as a value."""
    result: PredictionResult = record["result"]
    the_store, workspace_id = workspace.store(), workspace.workspace_id()
    if the_store is None or workspace_id is None:
        return

    def write():
        sha = the_store.put_file(workspace_id, "predictions.parquet", table_bytes(result.table, "parquet"),
                                 "prediction")
        the_store.put_value(workspace_id, STORE_KEY, {
            "sha256": sha, "run": record["run"], "rows": record["rows"], "provenance": record.get("provenance"),
            "result": encode(dataclasses.replace(result, table=pd.DataFrame()))})

    workspace.write_to_store(lambda _store, _workspace: write())


def restored() -> dict | None:
    """The workspace's last prediction, read back once per session (None when there is none)."""
    if keys.PREDICT_RESULT in st.session_state:
        return st.session_state[keys.PREDICT_RESULT]
    the_store, workspace_id = workspace.store(), workspace.workspace_id()
    record = None
    if the_store is not None and workspace_id is not None:
        try:
            stored = the_store.values(workspace_id).get(STORE_KEY)
            if stored:
                result = decode(stored["result"])
                table = pd.read_parquet(io.BytesIO(the_store.read_file(workspace_id, stored["sha256"])))
                # A prediction kept before files carried provenance has none: its files are written without.
                record = {"result": dataclasses.replace(result, table=table), "run": stored["run"],
                          "rows": stored["rows"], "provenance": stored.get("provenance")}
        except (CodecError, StoreError, KeyError, TypeError, ValueError, OSError) as err:
            st.warning(f"This workspace's last prediction could not be read back ({err}).")
    st.session_state[keys.PREDICT_RESULT] = record
    return record
