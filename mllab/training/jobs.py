"""A job as the engine reports it to pages (JobState), what an observer of a job hears
(JobObserver), and the sentence a worker's failure becomes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from mllab.errors import UserError
from mllab.training.spec import TrainingResult

TERMINAL = frozenset({"completed", "stopped", "failed"})

log = logging.getLogger(__name__)


@dataclass
class JobState:
    job_id: str
    owner: str
    submitted_at: float
    status: str = "queued"  # queued -> running -> completed | stopped | failed
    message: str = "Waiting for a free training worker"
    history: list[dict] = field(default_factory=list)
    total_steps: int | None = None
    model_summary: str | None = None
    result: TrainingResult | None = None
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    stop_requested_at: float | None = None
    queue_position: int | None = None  # 1 = next to start, while waiting for a free worker
    worker_pid: int | None = None
    worker_address: str | None = None  # the Dask worker it was sent to
    worker_rss: int | None = None  # that worker's memory when the run ended
    deep_runs_on_worker: int = 0  # Keras runs that worker had done by then
    # Finished parts of a job made of parts (the folds of a K-fold run, the candidates of a search),
    # as their "part_done" events, so a page can list them while the rest still runs.
    parts_done: list[dict] = field(default_factory=list)
    # The latest decision-boundary map an MLP sent while training ({"epoch", "map"}), for the live panel.
    live_boundary: dict | None = None
    # Pause (mllab.training.pausing): asked for by the page; the step the worker waits at once it does;
    # single steps granted so far; whether the job's pause channels were ever made.
    pause_requested: bool = False
    paused_at: int | None = None
    steps_granted: int = 0
    pause_used: bool = False

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @property
    def progress(self) -> float:
        if self.status == "completed":
            return 1.0
        if not self.history or not self.total_steps:
            return 0.0
        return min(1.0, self.history[-1]["step"] / self.total_steps)


@dataclass(frozen=True)
class UserMistake:
    """What a job returns, rather than raises, when it ends on a user's mistake (a UserError): distributed
    logs every exception a task raises as "Compute Failed" with its traceback, on the worker's terminal,
    which is for bugs. The page shows `message`."""

    message: str


def _plain_failure(exc: BaseException) -> str:
    if isinstance(exc, UserError):
        return str(exc)
    name = type(exc).__name__
    if name == "KilledWorker":
        return ("The training worker stopped unexpectedly, most likely out of memory. Your data and other runs "
                "are safe: try again, perhaps with a smaller model, batch or dataset.")
    if isinstance(exc, MemoryError):
        return "Training ran out of memory. Try a smaller model, batch or dataset."
    return f"Training failed: {exc or name}. Your data and other runs are safe; check the settings and try again."


class JobObserver:
    """What the engine tells an observer of a job, from its watcher thread: both calls must return at
    once (the run store's recorder queues the writes for its own thread)."""

    def on_events(self, state: JobState, events: list[dict]) -> None:
        """Events drained from the job's queue, in order, after `state` took them in."""

    def on_finished(self, state: JobState) -> None:
        """The job ended: `state` holds its status, history, result or error."""


def _tell(method, *args) -> None:
    try:
        method(*args)
    except Exception:  # an observer's fault must never stop the watcher or the job
        log.exception("job observer failed")
