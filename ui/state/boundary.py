"""A run's decision-boundary map drawn after training: the job drawing it, per run, and the map kept with the
run (its result's `boundary`, written to the workspace store as the run's other results are)."""

from __future__ import annotations

import streamlit as st

from mllab.store.run_records import put_run_result
from mllab.training import Run
from ui.state import keys, workspace


def _run_key(run: Run) -> str:
    return run.store_id or f"job-{run.job_id}"


def _jobs() -> dict:
    return st.session_state.setdefault(keys.BOUNDARY_JOBS, {})


def job(run: Run) -> dict | None:
    """{"job_id", "choice"} of the map being drawn for this run, or None."""
    return _jobs().get(_run_key(run))


def started(run: Run, job_id: str, choice) -> None:
    _jobs()[_run_key(run)] = {"job_id": job_id, "choice": choice}


def ended(run: Run) -> None:
    _jobs().pop(_run_key(run), None)


def finished(run: Run, result) -> None:
    """The drawn map becomes the run's (in this tab at once, in the workspace when it can be written)."""
    ended(run)
    run.result.boundary = result.boundary
    if run.store_id:
        def write(the_store, workspace_id):  # kept by the store's writer while the store cannot write
            put_run_result(the_store, workspace_id, run.store_id, "boundary", result.boundary)

        workspace.write_to_store(write)
