"""Pause, resume and one step at a time, as TensorFlow Playground has them, for the families that train
in epochs (`ModelFamily.pausable`: the networks and the logistic regression).

A lecturer pauses on the epoch where the validation loss turns, explains it, then steps one epoch at a
time. Two Dask channels per job carry it, next to the engine's Stop event: an Event that is set while the
job should pause, and a Variable counting the single steps asked for so far. The worker looks at them
where it reports a step (an epoch's end, a solver chunk's end): `PausableReporter` wraps the job's
reporter, so no family and none of the reporters stacked on it (hold-out, folds, the MLP's live map)
need to know. A paused worker holds its worker process and waits in a cheap poll that still hears Stop
within `WAIT_POLL_S`; Stop while paused ends the run at the epoch it paused on, which is then evaluated
as any stopped run is. A paused run's session is still watched by the engine's abandoned-run rule: a
closed tab stops it like a running one.

`PauseControls` is the engine's side (a base class of `engine.Engine`): the page's Pause, Resume and
One-step buttons call it, and `note_pause_event` keeps the job's `JobState` up to date from the
worker's "paused" and "resumed" events.
"""

from __future__ import annotations

import logging
import time

from mllab.models import FAMILIES
from mllab.models.base import STOP_CHECK_S
from mllab.training.spec import TrainingSpec

log = logging.getLogger(__name__)

# While running, the worker asks whether a pause was requested at most this often (a scheduler round
# trip each; a Pima epoch takes about 40 ms). The pause lands on the first step end after it is heard.
PAUSE_CHECK_S = 0.1
# While paused, how often the worker looks for Resume, One step and Stop.
WAIT_POLL_S = 0.1
PAUSE_EVENTS = frozenset({"paused", "resumed"})


def pause_event_name(job_id: str) -> str:
    return f"mllab-pause-{job_id}"


def steps_variable_name(job_id: str) -> str:
    return f"mllab-steps-{job_id}"


def is_pausable(spec) -> bool:
    """A training run (hold-out or K-fold) of a family that reports its progress once per epoch."""
    family = FAMILIES.get(getattr(spec, "family", None)) if isinstance(spec, TrainingSpec) else None
    return family is not None and family.pausable


class PausableReporter:
    """The worker side: reports pass through; after a step's report, waits while the run is paused.

    `reporter` is the engine's reporter of the job (a Dask queue and the Stop event).
    """

    def __init__(self, reporter, job_id: str):
        from distributed import Event, Variable

        self._reporter = reporter
        self._pause = Event(pause_event_name(job_id))
        self._steps = Variable(steps_variable_name(job_id))
        self._steps_taken = 0  # single steps granted by the page and used here
        self._stepping = False  # one step granted: pause again after it, without asking
        self._last_check = 0.0

    def report(self, event: dict) -> None:
        self._reporter.report(event)
        step, total = event.get("step"), event.get("total")
        if step is not None and event.get("type") in (None, "step") and (total is None or step < total):
            self._maybe_wait(step)

    def should_stop(self) -> bool:
        return self._reporter.should_stop()

    def _pause_requested(self) -> bool:
        if self._stepping:  # the last epoch was a single step: pause here again unless Resume came meanwhile
            self._stepping = False
            return self._pause.is_set()
        now = time.monotonic()
        if now - self._last_check < PAUSE_CHECK_S:
            return False
        self._last_check = now
        return self._pause.is_set()

    def _granted_steps(self) -> int:
        try:
            return int(self._steps.get(timeout=1))
        except Exception:  # not set: the engine sets it before the pause event, so nothing was granted
            return self._steps_taken

    def _maybe_wait(self, step: int) -> None:
        if not self._pause_requested():
            return
        self._reporter.report({"type": "paused", "at_step": step})
        began = time.monotonic()
        while True:
            if self._reporter.should_stop():  # the run ends at this epoch and is evaluated as it is
                # The family asks about Stop at most every STOP_CHECK_S, last before this pause: waiting
                # that long makes its next check, at this epoch's end, ask again and hear it.
                time.sleep(max(0.0, STOP_CHECK_S - (time.monotonic() - began)))
                break
            if not self._pause.is_set():  # Resume: single steps asked for meanwhile are spent with it
                self._steps_taken = max(self._steps_taken, self._granted_steps())
                break
            if self._granted_steps() > self._steps_taken:
                self._steps_taken += 1
                self._stepping = True
                break
            time.sleep(WAIT_POLL_S)
        self._reporter.report({"type": "resumed", "at_step": step, "one_step": self._stepping})


def with_pausing(reporter, spec, job_id: str):
    """The job's reporter, made pausable when its family trains in epochs (see the module's text)."""
    return PausableReporter(reporter, job_id) if is_pausable(spec) else reporter


def note_pause_event(state, event: dict) -> None:
    """The engine's watcher: a worker's "paused" or "resumed" event into the job's state."""
    if event["type"] == "paused":
        state.paused_at = event["at_step"]
    else:
        state.paused_at = None


class PauseControls:
    """The engine's Pause, Resume and One step (a base class of `engine.Engine`, which provides `job`,
    `_specs`, `_client` and `n_workers`)."""

    def can_pause(self, job_id: str, owner: str) -> bool:
        """Whether the page should offer Pause for this job: running, of a family that trains in epochs."""
        try:
            state = self.job(job_id, owner)
        except KeyError:  # ended and forgotten since the page looked
            return False
        return not state.finished and state.status == "running" and is_pausable(self._specs.get(job_id))

    def pause(self, job_id: str, owner: str) -> None:
        """Ask the job to wait at its next epoch's end (it says "paused" when it does)."""
        state = self._pausable_state(job_id, owner)
        if state is None or state.pause_requested:
            return
        from distributed import Event, Variable

        Variable(steps_variable_name(job_id), client=self._client).set(state.steps_granted)
        state.pause_requested = state.pause_used = True
        Event(pause_event_name(job_id), client=self._client).set()

    def resume(self, job_id: str, owner: str) -> None:
        state = self._pausable_state(job_id, owner)
        if state is None or not state.pause_requested:
            return
        from distributed import Event

        state.pause_requested = False
        Event(pause_event_name(job_id), client=self._client).clear()

    def step_once(self, job_id: str, owner: str) -> None:
        """Let a paused job train one more epoch (or solver step), then pause again."""
        state = self._pausable_state(job_id, owner)
        if state is None or not state.pause_requested:
            return
        from distributed import Variable

        state.steps_granted += 1
        Variable(steps_variable_name(job_id), client=self._client).set(state.steps_granted)

    def training_slots(self) -> int:
        """How many runs the engine's workers run at once (a paused run holds one of them)."""
        try:
            return sum(self._client.nthreads().values()) or self.n_workers
        except Exception:  # the scheduler could not be asked: the local cluster's size
            return self.n_workers

    def _pausable_state(self, job_id: str, owner: str):
        state = self.job(job_id, owner)  # KeyError for another session's job, as Stop
        if state.finished or state.stop_requested_at is not None or not is_pausable(self._specs.get(job_id)):
            return None
        return state

    def _release_pause_channels(self, state) -> None:
        """At a job's end: the scheduler forgets its pause event and step count, if it was ever paused."""
        if not state.pause_used:
            return
        from distributed import Event, Variable

        Event(pause_event_name(state.job_id), client=self._client).clear()
        Variable(steps_variable_name(state.job_id), client=self._client).delete()
