"""Following this session's jobs on the engine: bringing runs, searches and learning curves up to date, and
the one sentence a progress bar says about a job."""

from __future__ import annotations

from mllab.training import Run, new_run
from ui.state import session, transactions, widget_keys, workspace

# Per session: the workflow step (ui.state.transactions.applied_step) in force when each run was started.
_RUN_STEPS = "run-steps"


def sync_records(engine, owner: str, records) -> None:
    """Update unfinished records of engine jobs (runs, searches, learning curves) from the engine, and
    tell it this session is still here. A finished job's state is then dropped from the engine."""
    engine.touch(owner)
    for record in records:
        if record.finished:
            continue
        try:
            state = engine.job(record.job_id, owner)
        except KeyError:
            continue
        record.update(state)
        if state.finished:
            engine.forget(record.job_id, owner)


def sync_runs(engine, owner: str) -> None:
    """Bring this session's unfinished runs up to date with the engine's job states.

    Called on every page, so a run that finished while the user was elsewhere shows as done.
    It also tells the engine this session is still here, so its run is not stopped as abandoned.
    """
    runs = session.runs()
    sync_records(engine, owner, runs)
    # A run that ended while another tab of the workspace was watching: that tab took the engine's
    # state; the store has its end.
    for i, run in enumerate(runs):
        if not run.finished and run.store_id and _job_gone(engine, run.job_id, owner):
            stored = workspace.reload_run(run)
            if stored is not None and stored.finished:
                stored.dataset = run.dataset
                runs[i] = stored


def sync_searches(engine, owner: str) -> None:
    """Bring unfinished searches up to date; also tells the engine this session is still here."""
    sync_records(engine, owner, session.searches())


def sync_learning_curves(engine, owner: str) -> None:
    """Bring unfinished learning curves up to date; also tells the engine this session is still here."""
    sync_records(engine, owner, session.learning_curves_asked())


def sync_all(engine, owner: str) -> None:
    sync_runs(engine, owner)
    sync_searches(engine, owner)
    sync_learning_curves(engine, owner)


def _job_gone(engine, job_id: str, owner: str) -> bool:
    try:
        engine.job(job_id, owner)
    except KeyError:
        return True
    return False


def progress_text(message: str | None, queue_position: int | None, idle: str = "Waiting for a free training worker"
                  ) -> str:
    """A job's progress sentence: its own message, and its place in the queue while it waits."""
    text = message or idle
    if queue_position:
        text += f" · number {queue_position} in the queue"
    return text


def note_run_step(run_number: int, step) -> None:
    """Remember the workflow step that set the Train page up when run `run_number` was started (None: none)."""
    widget_keys.session_cache(_RUN_STEPS)[run_number] = step


def step_changed_since(run_number: int, step) -> bool:
    """Whether a workflow step has been applied since run `run_number` was started: its result is then not the
    new step's. A run of an earlier browser session (restored from the store) counts as started before any step."""
    return step is not None and widget_keys.session_cache(_RUN_STEPS).get(run_number) != step


def start_run(engine, owner: str, spec, title: str | None = None, tags: tuple[str, ...] = (),
              alongside: bool = False) -> Run:
    """Submit `spec` and keep it as this session's newest run, written to the workspace: what Train does, and
    each family of a comparison (`alongside` its others, with its name and the comparison's tag). Raises
    UserError (a sentence) when the engine refuses it; nothing is kept then."""
    job_id = engine.submit(spec, owner, alongside=alongside)
    choices = session.cleaning_choices()
    number = max((r.number for r in session.runs()), default=0) + 1
    run = new_run(number, job_id, spec, session.data_source(), choices.as_dict() if choices is not None else {})
    run.title, run.tags = title, tuple(tags)
    session.runs().append(run)
    note_run_step(run.number, transactions.applied_step())
    workspace.record_run(run, engine)
    return run

