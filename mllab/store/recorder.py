"""Recording runs as the engine hears of them: one writer thread per app process.

The engine's watcher thread tells a `RunRecorder` of each batch of events; the recorder only
queues them, so the watcher (and through it every live curve) never waits for the database. The
writer thread takes everything queued, groups a run's steps into one transaction, and writes.
Training speed is therefore the engine's own: the worker never sees the store
(bench/store_overhead.py measures it).

A write that fails (disk full, database locked past its timeout, read-only folder) is not
retried forever: the sentence is kept in `StoreWriter.fault` for the page to show, the session
goes on with its runs in memory, and what was stored before stays as it was.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from mllab.store import run_records
from mllab.store.database import StoreError
from mllab.store.store import HEARTBEAT_S, Store

log = logging.getLogger(__name__)


class StoreWriter:
    def __init__(self, store: Store):
        self.store = store
        self.fault: str | None = None
        self._queue: queue.Queue = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._loop, name="mllab-store-writer", daemon=True)
        self._thread.start()

    def put(self, run_id: str, kind: str, call) -> None:
        """Queue one write: for `kind` "steps", `call` is an `append_many` batch entry; otherwise a function.
        Steps queued together are written first, then the ends in the order they came (a run's end is
        queued after its last steps, so it lands after them)."""
        self._idle.clear()
        self._queue.put((run_id, kind, call))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written (tests, and a clean shutdown)."""
        done = threading.Event()
        self._idle.clear()
        self._queue.put((None, "flush", done.set))
        return done.wait(timeout)

    def _loop(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=HEARTBEAT_S)
            except queue.Empty:
                self._safely(self.store.heartbeat, clears_fault=False)
                continue
            batch = [first]
            while True:  # take what else is waiting: one pass writes it all
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            steps = [call for _, kind, call in batch if kind == "steps"]
            if steps:  # every run's new steps in one transaction
                self._safely(lambda: run_records.append_many(self.store, steps), clears_fault=True)
            for _, kind, call in batch:
                if kind != "steps":
                    self._safely(call, clears_fault=kind != "flush")
            self._safely(self.store.heartbeat, clears_fault=False)
            if self._queue.empty():
                self._idle.set()

    def _safely(self, call: Callable[[], None], clears_fault: bool) -> None:
        try:
            call()
        except StoreError as err:
            self.fault = str(err)
            log.warning("run store write failed: %s", err)
        except Exception as err:  # the writer must outlive any one fault
            self.fault = f"The run store could not save a change ({type(err).__name__}); your work stays in this tab."
            log.exception("run store write failed")
        else:
            if clears_fault:  # a write went through: the store works again
                self.fault = None


class RunRecorder:
    """The engine's observer for one run (see mllab.training.engine.JobObserver)."""

    def __init__(self, writer: StoreWriter, workspace: str, run_id: str):
        self._writer, self._workspace, self._run_id = writer, workspace, run_id
        self._part = 0
        self._seq = 0
        self._status = "queued"

    def on_events(self, state, events: list[dict]) -> None:
        steps = []
        for event in events:
            if event.get("type") == "part_started":  # a new fold or candidate: its curve starts afresh
                if steps:
                    self._queue_steps(steps, None)
                    steps = []
                self._part += 1
                self._seq = 0
            elif "step" in event and event.get("type") in (None, "step"):
                steps.append(dict(event))
        status = "running" if state.status == "running" and self._status != "running" else None
        if status:
            self._status = status
        if steps or status:
            self._queue_steps(steps, status)

    def _queue_steps(self, steps: list[dict], status: str | None) -> None:
        first = self._seq
        self._seq += len(steps)
        self._writer.put(self._run_id, "steps", (self._run_id, self._part, first, steps, status))

    def on_finished(self, state) -> None:
        store, workspace, run_id = self._writer.store, self._workspace, self._run_id
        status, history, result = state.status, list(state.history), state.result
        error, summary = state.error, state.model_summary or (result.model_summary if result else None)

        def write_end():
            run_records.finish_run(store, workspace, run_id, status, history, result, error, summary)

        self._writer.put(run_id, "end", write_end)
