"""Recording runs as the engine hears of them: one writer thread per app process.

The engine's watcher thread tells a `RunRecorder` of each batch of events; the recorder only
queues them, so the watcher (and through it every live curve) never waits for the database. The
writer thread takes everything queued, groups a run's steps into one transaction, and writes.
Training speed is therefore the engine's own: the worker never sees the store
(bench/store_overhead.py measures it).

A write the store refuses because of a fault (a full disk, a read-only folder, a database server
down: `StoreFault`) is not lost. It joins a backlog, in the order it came, with everything after
it; the page's own writes (a run created, a setting changed) join it too while the fault lasts.
Every few seconds the writer asks the store whether it can write again, and when it can, writes the
backlog back once, in order, and leaves a note for the workspaces whose work it saved. The
backlog lives in the app server, not in a browser tab: a tab closed meanwhile loses nothing; a
server stopped before the store answers again does, and says so in its log.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import queue
import threading
import time
from dataclasses import dataclass

from mllab.store import run_records
from mllab.store.database import StoreError, StoreFault
from mllab.store.store import HEARTBEAT_S, Store

log = logging.getLogger(__name__)

RETRY_S = 5.0  # how often a store in fault is asked whether it can write again


@dataclass
class Pending:
    """One write waiting for the store: `call()` writes it; for `kind` "steps", `call` is an `append_many` entry."""

    kind: str                      # "steps", "end", "create", "value", "file", ...
    call: object
    workspace: str | None = None
    run_id: str | None = None
    replaces: tuple | None = None  # a newer write of the same thing (a setting) makes the older one moot
    run: object = None             # the run a "create" stores: shown to the workspace's other tabs meanwhile


class StoreWriter:
    def __init__(self, store: Store):
        self.store = store
        self.fault: str | None = store.fault   # the sentence for the page while the store cannot write
        self._backlog: list[Pending] = []
        self._lock = threading.Lock()
        self._notes: dict[str, tuple[int, str]] = {}  # workspace -> (serial, what was written back)
        self._serial = itertools.count(1)
        self._queue: queue.Queue = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._loop, name="mllab-store-writer", daemon=True)
        self._thread.start()
        atexit.register(self._log_unsaved)

    # -- what the engine and the pages hand over --------------------------------------------------
    def put(self, run_id: str, kind: str, call, workspace: str | None = None) -> None:
        """Queue one write: for `kind` "steps", `call` is an `append_many` batch entry; otherwise a function.
        Steps queued together are written first, then the ends in the order they came (a run's end is
        queued after its last steps, so it lands after them)."""
        self._idle.clear()
        self._queue.put(Pending(kind, call, workspace, run_id))

    def defer(self, pending: Pending) -> bool:
        """Keep a page's write for later when the store is in fault (True); False when it is not, and the page
        writes it itself."""
        with self._lock:
            if self.fault is None and self.store.salvaged:  # found damaged by a read: nothing more is written
                self.fault = self.store.fault
            if self.fault is None:
                return False
            self._keep([pending])
            return True

    def refused(self, err: StoreFault, pending: Pending) -> None:
        """A page's write just failed for a fault: the store is in fault from now on, and the write waits."""
        with self._lock:
            self._faulted(err)
            self._keep([pending])
        self._queue.put(Pending("wake", None))  # the thread may be asleep for a heartbeat: it checks again soon

    def pending_runs(self, workspace: str) -> list:
        """Runs made in this workspace while the store was down, not yet written: other tabs show them too."""
        with self._lock:
            return [p.run for p in self._backlog if p.kind == "create" and p.workspace == workspace and p.run]

    def pending_workspace(self, workspace: str) -> bool:
        """A workspace made while the store was down, not yet written: its token opens it meanwhile."""
        with self._lock:
            return any(p.kind == "workspace" and p.workspace == workspace for p in self._backlog)

    def waiting(self, workspace: str | None = None) -> int:
        with self._lock:
            return sum(1 for p in self._backlog if workspace is None or p.workspace == workspace)

    def note(self, workspace: str) -> tuple[int, str] | None:
        """The latest "saved after the fault" sentence for a workspace, with a serial a session remembers."""
        return self._notes.get(workspace)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written or kept in the backlog (tests, a clean shutdown)."""
        done = threading.Event()
        self._idle.clear()
        self._queue.put(Pending("flush", done.set))
        return done.wait(timeout)

    def close(self) -> None:
        """Stop the thread once what is queued is written or kept (tests; the app's writer lives as long as it)."""
        self._queue.put(Pending("stop", None))
        self._thread.join(30)

    # -- the thread ---------------------------------------------------------------------------------
    def _loop(self) -> None:
        last_check = 0.0
        while True:
            try:
                wait = max(0.05, last_check + RETRY_S - time.monotonic()) if self.fault else HEARTBEAT_S
                first = self._queue.get(timeout=wait)
            except queue.Empty:
                first = None
            if first is not None:
                batch = [first]
                while True:  # take what else is waiting: one pass writes it all
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                work = [p for p in batch if p.kind not in ("flush", "stop", "wake")]
                if self.fault:
                    with self._lock:
                        self._keep(work)
                else:
                    self._write(work)
                for p in batch:
                    if p.kind == "flush":
                        p.call()
                if any(p.kind == "stop" for p in batch):
                    return
            # A live run queues steps all the time, so the check is timed, not left to an idle moment.
            if self.fault and time.monotonic() - last_check >= RETRY_S:
                last_check = time.monotonic()
                self._write_back()
            elif not self.fault:
                self._beat()
            if self._queue.empty():
                self._idle.set()

    def _keep(self, items: list[Pending]) -> None:
        """Add to the backlog (the lock held): a setting written again replaces its older value."""
        for item in items:
            if item.replaces is not None:
                self._backlog = [p for p in self._backlog if p.replaces != item.replaces]
            self._backlog.append(item)

    def _write(self, items: list[Pending]) -> list[Pending]:
        """Write in order (consecutive steps in one transaction). On a fault, the failed write and all after it
        go to the backlog; returns what was written."""
        written: list[Pending] = []
        index = 0
        while index < len(items):
            if items[index].kind == "steps":
                end = index
                while end < len(items) and items[end].kind == "steps":
                    end += 1
                group = items[index:end]
                call = (lambda g=group: run_records.append_many(self.store, [p.call for p in g]))
            else:
                end, group, call = index + 1, items[index:index + 1], items[index].call
            try:
                call()
            except StoreFault as err:
                log.warning("run store write failed, kept to write back: %s", err)
                with self._lock:
                    self._faulted(err)
                    self._backlog[:0] = items[index:]
                return written
            except StoreError as err:  # a refusal (a full workspace): writing it again would not help
                log.warning("run store refused a write: %s", err)
            except Exception:  # the writer must outlive any one bug; a write that fails for one is not retried
                log.exception("run store write failed")
            else:
                written.extend(group)
            index = end
        return written

    def _write_back(self) -> None:
        """When the store can write again: the backlog, once, in order; then the fault is over."""
        try:
            if not self.store.try_writing():
                return
        except StoreFault as err:
            self._faulted(err)
            return
        while True:
            with self._lock:
                items, self._backlog = self._backlog, []
                if not items:
                    self.fault = None
                    return
            ended = {p.run_id for p in items if p.kind == "end"}
            # A run that ended meanwhile stores its whole curve with its end: its live steps need not be written.
            items = [p for p in items if not (p.kind == "steps" and p.run_id in ended)]
            written = self._write(items)
            self._note(written)
            if self.fault and self._backlog:
                return  # failed again: the rest waits for the next check

    def _note(self, written: list[Pending]) -> None:
        for workspace in {p.workspace for p in written if p.workspace}:
            runs = sum(1 for p in written if p.workspace == workspace and p.kind == "create")
            text = (f"{runs} run{'s' if runs != 1 else ''} made while the store could not be written "
                    f"{'are' if runs != 1 else 'is'} now saved." if runs else
                    "The changes made while the store could not be written are now saved.")
            self._notes[workspace] = (next(self._serial), text)
        if written:
            log.info("run store writable again: %d waiting writes written back", len(written))

    def _beat(self) -> None:
        try:
            self.store.heartbeat()
        except StoreFault as err:
            self._faulted(err)
            log.warning("run store cannot be written: %s", err)
        except StoreError as err:
            log.warning("run store heartbeat failed: %s", err)

    def _faulted(self, err: StoreFault) -> None:
        # A damaged file read from a copy refuses writes as "read-only": its sentence stays the damage's.
        self.fault = self.store.fault if self.store.salvaged and self.store.fault else str(err)

    def _log_unsaved(self) -> None:
        left = self.waiting()
        if left:
            log.error("the app server stops with %d writes the run store could not take (%s); they are lost",
                      left, self.fault)


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
        self._writer.put(self._run_id, "steps", (self._run_id, self._part, first, steps, status), self._workspace)

    def on_finished(self, state) -> None:
        store, workspace, run_id = self._writer.store, self._workspace, self._run_id
        status, history, result = state.status, list(state.history), state.result
        error, summary = state.error, state.model_summary or (result.model_summary if result else None)

        def write_end():
            run_records.finish_run(store, workspace, run_id, status, history, result, error, summary)

        self._writer.put(run_id, "end", write_end, workspace)
