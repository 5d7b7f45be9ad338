"""The training engine: jobs run on Dask distributed workers, never in Streamlit's script thread.

By default the app starts a local cluster of worker processes; with MLLAB_SCHEDULER_ADDRESS set
(e.g. tcp://10.0.0.5:8786) the same jobs go to that cluster's workers instead. A job streams its
per-step metrics through a Dask Queue and watches a Dask Event for Stop. One watcher thread in the
app process drains the queues into JobState objects, which pages read without blocking; so a
rerun, a slider move or a page switch never touches a running job.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import traceback
import uuid

from mllab.errors import UserError
from mllab.models import FAMILIES
from mllab.training.holdout import run_training
from mllab.training.jobs import JobObserver, JobState, _plain_failure, _tell  # noqa: F401 (JobObserver: re-exported)
from mllab.training.jobs import UserMistake
from mllab.training.boundary_job import BoundarySpec, run_boundary, validate_boundary
from mllab.training.learning_curve import LearningCurveSpec, run_learning_curve_job, validate_learning_curve
from mllab.training.pausing import PAUSE_EVENTS, PauseControls, note_pause_event, with_pausing
from mllab.training.prediction import PredictionSpec, run_prediction, validate_prediction
from mllab.training.search import SearchSpec, run_search, validate_search
from mllab.training.spec import TrainingResult, TrainingSpec, validate_spec

SCHEDULER_ADDRESS_ENV = "MLLAB_SCHEDULER_ADDRESS"
WORKERS_ENV = "MLLAB_WORKERS"
ABANDON_AFTER_ENV = "MLLAB_ABANDON_AFTER_S"
POLL_INTERVAL_S = 0.1
BATCH_SECONDS = 0.2  # curve points reported faster than this travel to the app together (see _DaskReporter)
# A session that has not been heard from for this long has closed its browser tab: its job is
# stopped so it does not hold a worker that forty students are queueing for. Pages touch the
# engine on every rerun and from a 10-second heartbeat while a run is active.
DEFAULT_ABANDON_AFTER_S = 60.0
# An engine made with start=False starts its workers when `start()` is called, or after this long at the latest.
START_LATEST_S = 10.0
# TensorFlow keeps about 7 MB per Keras model it has built, even after clear_session(); a
# worker whose memory has grown by this share since its first Keras run is restarted as soon as
# its run ends (bench/memory.py measures it).
RECYCLE_GROWTH_ENV = "MLLAB_RECYCLE_GROWTH"
DEFAULT_RECYCLE_GROWTH = 0.08

# Dask's housekeeping, slowed to what an app without Dask's dashboard needs. The scheduler, the nannies and
# the client live in the Streamlit process, and with the defaults (a 20 ms event-loop tick per server, a
# 500 ms system monitor, a 100 ms nanny memory check) they cost it 0.04 core with nobody connected, which
# every browser session then paid for as long as it was open (bench/first_page.py); each worker's
# statistical profiler (every 10 ms, for the dashboard only) cost another 0.02 core per worker. With these:
# 0.009 core in the app and 0.003 per idle worker (2 workers, measured here). A worker past its memory
# limit is still terminated by its nanny, within half a second.
QUIET_CLUSTER = {
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "500ms",
    "distributed.worker.profile.enabled": False,
}

log = logging.getLogger(__name__)


def _progress_queue_name(job_id: str) -> str:
    return f"mllab-progress-{job_id}"


def _stop_event_name(job_id: str) -> str:
    return f"mllab-stop-{job_id}"


class _DaskReporter:
    """The worker side of a job's channel to the app: puts lists of events on the job's queue.

    Each put is a round trip to the scheduler (about 1.5 ms here), and a forest reports its curve's 50 points
    in bursts of dozens at the end of each step (a fast MLP: several epochs a tenth of a second). A curve
    point ("step" event) coming less than BATCH_SECONDS after the last put waits for the next put: the next
    other event or Stop check (a family asks every STOP_CHECK_S at most), whichever comes first: at most about
    0.25 s later, within the live panel's half-second poll.
    """

    def __init__(self, job_id: str):
        from distributed import Event, Queue

        self._queue = Queue(_progress_queue_name(job_id))
        self._stop = Event(_stop_event_name(job_id))
        self._waiting: list[dict] = []
        self._sent_at = float("-inf")

    def report(self, event: dict) -> None:
        self._waiting.append(event)
        if "step" not in event or time.monotonic() - self._sent_at >= BATCH_SECONDS:
            self._send()

    def should_stop(self) -> bool:
        self._send()
        return self._stop.is_set()

    def _send(self) -> None:
        if self._waiting:
            self._queue.put(self._waiting)
            self._waiting = []
            self._sent_at = time.monotonic()


_deep_runs_here = 0  # on a worker: how many Keras runs this process has done


def run_job(spec: TrainingSpec, job_id: str) -> TrainingResult:
    """Executed on a worker."""
    global _deep_runs_here
    reporter = with_pausing(_DaskReporter(job_id), spec, job_id)  # Pause, for families that train in epochs
    reporter.report({"type": "started", "worker": os.getpid()})
    try:
        return _runner(spec)(spec, reporter)
    except UserError as err:  # a sentence for the page, not a traceback for the terminal (see UserMistake)
        return UserMistake(str(err))
    finally:
        if FAMILIES.get(spec.family) is not None and FAMILIES[spec.family].deep:  # a prediction may load a network
            _deep_runs_here += 1
        import psutil

        reporter.report({"type": "memory", "rss": psutil.Process().memory_info().rss, "deep_runs": _deep_runs_here})


def _runner(spec):
    """What a worker runs for this kind of job: a training run (hold-out or K-fold), a search or a
    learning curve."""
    if isinstance(spec, LearningCurveSpec):
        return run_learning_curve_job
    if isinstance(spec, PredictionSpec):
        return run_prediction
    if isinstance(spec, BoundarySpec):
        return run_boundary
    return run_search if isinstance(spec, SearchSpec) else run_training


def _validator(spec):
    if isinstance(spec, LearningCurveSpec):
        return validate_learning_curve
    if isinstance(spec, PredictionSpec):
        return validate_prediction
    if isinstance(spec, BoundarySpec):
        return validate_boundary
    return validate_search if isinstance(spec, SearchSpec) else validate_spec


def worker_devices() -> list[dict]:
    """Executed on a worker: the devices TensorFlow finds there."""
    from mllab.models.keras_common import available_devices

    return available_devices()


def _start_workers_without_the_page() -> None:
    """Keep new worker processes from re-running the Streamlit page that is running now.

    Python's "spawn" start method makes a child run the parent's __main__ module again (as
    __mp_main__). Under Streamlit, __main__ is whichever page script is running when the nanny
    starts or restarts a worker, so each worker would execute that page — import Streamlit, build
    widgets, try to start an engine of its own. Workers need nothing from __main__ (jobs are
    functions in mllab), so the main module is left out of what a new process prepares.
    """
    from multiprocessing import spawn

    if getattr(spawn.get_preparation_data, "_mllab_without_main", False):
        return
    original = spawn.get_preparation_data

    def get_preparation_data(name):
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    get_preparation_data._mllab_without_main = True
    spawn.get_preparation_data = get_preparation_data


def _keep_restarting_workers_registered() -> None:
    """Keep the local cluster from closing, for good, a worker that its nanny is restarting.

    When a worker leaves the scheduler, a LocalCluster waits `distributed.deploy.lost-worker-timeout`
    (15 s) and then closes that worker's nanny if no worker of the same name is registered at that
    instant. Recycling restarts workers often: a worker recycled twice within 15 s is absent for a
    moment, so the check from its first restart closed it, the cluster had one worker fewer, and
    with both gone a run waited forever for a free worker (CI's hung CNN and photo-z runs). Here a
    nanny restarts its own worker, so no worker is "lost"; the setting is read when a worker leaves,
    so it is set for the process rather than only while the cluster starts. `_replace_lost_workers`
    still brings back one lost some other way.
    """
    import dask

    dask.config.set({"distributed.deploy.lost-worker-timeout": "3650 days"})


class Engine(PauseControls):  # Pause, Resume and One step: mllab.training.pausing
    def __init__(self, scheduler_address: str | None = None, n_workers: int | None = None,
                 abandon_after_s: float = DEFAULT_ABANDON_AFTER_S, recycle_growth: float = DEFAULT_RECYCLE_GROWTH,
                 start: bool = True):
        """`start=False`: the workers start when `start()` is called (or a job is submitted), and at the latest
        START_LATEST_S from now."""
        self.scheduler_address = scheduler_address
        self.n_workers = n_workers or max(1, min(4, os.cpu_count() or 1))
        self.abandon_after_s = abandon_after_s
        self.recycle_growth = recycle_growth
        self._last_seen: dict[str, float] = {}
        self._baseline_rss: dict[str, int] = {}  # worker address -> memory after its first Keras run
        self._recycling: set[str] = set()
        self._next_replacement_at = 0.0
        self._jobs: dict[str, JobState] = {}
        self._futures: dict[str, object] = {}
        self._queues: dict[str, object] = {}
        self._specs: dict[str, TrainingSpec] = {}
        self._observers: dict[str, object] = {}  # job id -> a JobObserver (the run store's recorder)
        self._lock = threading.RLock()
        self._client = None
        self._cluster = None
        self._ready = threading.Event()
        self._closed = threading.Event()
        self._go = threading.Event()
        if start:
            self._go.set()
        self.start_error: str | None = None
        self._devices: list[dict] | None = None
        self.device_error: str | None = None
        threading.Thread(target=self._start, name="mllab-engine-start", daemon=True).start()
        threading.Thread(target=self._watch, name="mllab-engine-watch", daemon=True).start()

    # -- start-up -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the workers now, if they are not started yet (see `start=False`); returns at once."""
        self._go.set()

    def _start(self) -> None:
        self._go.wait(START_LATEST_S)
        if self._closed.is_set():  # closed before its workers were asked for: start none
            self._ready.set()
            return
        try:
            from distributed import Client, LocalCluster

            import dask

            if self.scheduler_address:
                client = Client(self.scheduler_address, timeout=15)
            else:
                _start_workers_without_the_page()
                # A job whose worker dies (killed, out of memory) fails at once with a message,
                # instead of being re-run from scratch on another worker up to three times.
                _keep_restarting_workers_registered()
                with dask.config.set({"distributed.scheduler.allowed-failures": 0, **QUIET_CLUSTER}):
                    self._cluster = LocalCluster(
                        n_workers=self.n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                        silence_logs=logging.WARNING,
                    )
                client = Client(self._cluster)
            from mllab.training.worker_plugins import WarmImports

            client.register_plugin(WarmImports())
            self._client = client
        except Exception as exc:  # the page shows this instead of a dead Train button
            if self._closed.is_set():  # the process is exiting while the cluster was starting
                return
            log.exception("could not start the training engine")
            self.start_error = f"The training workers could not be started: {exc}"
        finally:
            self._ready.set()
        if self._client is not None:
            try:
                self._devices = self._client.submit(worker_devices, pure=False).result(timeout=120)
            except Exception as exc:
                log.exception("device query failed")
                self.device_error = f"The training workers could not list their devices: {exc}"

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout) and self._client is not None

    def devices(self) -> list[dict] | None:
        """Devices TensorFlow finds on the workers; None while they are still being asked."""
        return self._devices

    def gpu_available(self) -> bool:
        return any(d["type"] == "GPU" for d in self._devices or [])

    # -- jobs -----------------------------------------------------------------------------
    def submit(self, spec: TrainingSpec, owner: str, observer=None, alongside: bool = False) -> str:
        """Validate and queue a job (a TrainingSpec, a search.SearchSpec, a learning_curve.LearningCurveSpec or a
        prediction.PredictionSpec); raises UserError at once for settings that cannot work. One job per owner,
        except `alongside` the owner's others: the runs of one family comparison, queued together.

        `observer`, when given, hears of the job as the engine does (see `JobObserver`): the run store
        records runs through it, so a run's steps are written even while no page is open.
        """
        self.touch(owner)
        self.start()
        if not alongside and any(not j.finished for j in self.jobs_of(owner)):
            raise UserError("You already have a run in progress (a training run, a search, a learning curve or a "
                            "prediction). "
                            "Wait for it to finish or press Stop on its page, then start again.")
        _validator(spec)(spec)
        if spec.device == "GPU" and self._devices is not None and not self.gpu_available():
            raise UserError("No GPU was found on the training workers; choose CPU.")
        if self.start_error:
            raise UserError(self.start_error)
        job_id = uuid.uuid4().hex[:12]
        with self._lock:
            self._jobs[job_id] = JobState(job_id=job_id, owner=owner, submitted_at=time.time())
            self._specs[job_id] = spec
            if observer is not None:
                self._observers[job_id] = observer
        return job_id

    def observe(self, job_id: str, observer) -> None:
        """Attach an observer to a job submitted without one (it hears what comes from now on)."""
        with self._lock:
            if job_id in self._jobs and not self._jobs[job_id].finished:
                self._observers[job_id] = observer

    def touch(self, owner: str) -> None:
        """Note that this browser session is still there (see DEFAULT_ABANDON_AFTER_S)."""
        self._last_seen[owner] = time.monotonic()

    def job(self, job_id: str, owner: str) -> JobState:
        with self._lock:
            state = self._jobs.get(job_id)
        if state is None or state.owner != owner:
            raise KeyError(job_id)  # another session's job is as good as absent
        return state

    def jobs_of(self, owner: str) -> list[JobState]:
        with self._lock:
            return [j for j in self._jobs.values() if j.owner == owner]

    def stop(self, job_id: str, owner: str, message: str = "Stopping…") -> None:
        state = self.job(job_id, owner)
        if state.finished:
            return
        state.stop_requested_at = time.time()
        state.message = message
        future = self._futures.get(job_id)
        if state.status == "queued":
            if future is not None:
                future.cancel()
            self._finish(state, "stopped", message="Stopped before it started.")
            return
        from distributed import Event

        Event(_stop_event_name(job_id), client=self._client).set()

    def forget(self, job_id: str, owner: str) -> None:
        """Drop a finished job's state (its result now lives in the session's runs)."""
        state = self.job(job_id, owner)
        if state.finished:
            with self._lock:
                self._jobs.pop(job_id, None)

    # -- the watcher ----------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._closed.is_set():
            try:
                self._poll()
            except Exception:  # the watcher must outlive any one job's trouble
                log.exception("engine watcher")
            time.sleep(POLL_INTERVAL_S)

    def _poll(self) -> None:
        if not self._ready.is_set():
            return
        self._replace_lost_workers()
        with self._lock:
            active = [j for j in self._jobs.values() if not j.finished]
        self._stop_abandoned(active)
        for state in active:
            if state.finished:  # stopped just now, as abandoned
                continue
            if self._client is None:
                self._finish(state, "failed", error=self.start_error or "The training workers are not running.")
                continue
            if state.job_id not in self._futures:
                continue  # waiting for a free worker: see _launch_waiting
            self._drain(state)
            future = self._futures[state.job_id]
            if future.done():
                self._drain(state)
                self._collect(state, future)
        self._launch_waiting(active)

    def _launch_waiting(self, active: list[JobState]) -> None:
        """Send waiting jobs, oldest first, each to a worker of its own.

        The engine, not Dask's scheduler, decides which worker runs a job and when: a job is sent
        only to a free worker, so the page can show an exact place in the queue, and a worker
        being recycled is never handed a job that its restart would kill.
        """
        if self._client is None:
            return
        sent = [j for j in active if not j.finished and j.job_id in self._futures and j.status == "queued"]
        waiting = [j for j in active if not j.finished and j.job_id not in self._futures]
        if not (sent or waiting):
            return
        slots = self._client.nthreads()
        for state in sent:
            if state.worker_address not in slots:  # its worker went away before the job could start
                self._futures.pop(state.job_id).cancel()
                self._queues.pop(state.job_id, None)
                waiting.append(state)
        waiting.sort(key=lambda j: j.submitted_at)
        for state, address in zip(waiting, self._free_workers(slots)):
            self._launch(state, address)
        # Places in the queue, counted after this round's starts so they are never one behind.
        for position, state in enumerate((j for j in waiting if j.job_id not in self._futures), start=1):
            state.queue_position = position

    def _replace_lost_workers(self) -> None:
        """Start again a local worker whose nanny the cluster closed: the engine's capacity is the
        number of workers it was asked for, and a run must never wait for a worker that will not
        come back. (A department's own scheduler manages its own workers.)"""
        cluster = self._cluster
        if cluster is None or self._closed.is_set() or cluster.status.name not in ("created", "running"):
            return
        now = time.monotonic()
        if len(cluster.workers) >= self.n_workers or now < self._next_replacement_at:
            return
        self._next_replacement_at = now + 30  # a new worker takes seconds to register: ask once per 30 s
        log.warning("the local cluster has %d of its %d workers: starting the missing ones",
                    len(cluster.workers), self.n_workers)
        cluster.scale(self.n_workers)

    def _free_workers(self, slots: dict[str, int]) -> list[str]:
        """One entry per free thread of every worker the scheduler knows, but not those being recycled."""
        slots = dict(slots)
        with self._lock:
            for state in self._jobs.values():
                if state.job_id in self._futures and state.worker_address in slots:
                    slots[state.worker_address] -= 1
        return [address for address, free in sorted(slots.items()) if address not in self._recycling
                for _ in range(max(0, free))]

    def _stop_abandoned(self, active: list[JobState]) -> None:
        now = time.monotonic()
        for state in active:
            seen = self._last_seen.get(state.owner)
            if state.stop_requested_at is None and seen is not None and now - seen > self.abandon_after_s:
                log.info("stopping job %s: its browser session has gone away", state.job_id)
                self.stop(state.job_id, state.owner,
                          message="Stopped: the browser session that started it has gone away.")

    def _launch(self, state: JobState, address: str) -> None:
        from distributed import Queue

        spec = self._specs[state.job_id]  # kept until the job ends, in case it must be sent again
        self._queues[state.job_id] = Queue(_progress_queue_name(state.job_id), client=self._client)
        state.worker_address = address
        self._futures[state.job_id] = self._client.submit(run_job, spec, state.job_id, pure=False,
                                                          key=f"mllab-train-{state.job_id}", workers=[address],
                                                          allow_other_workers=False)

    def _drain(self, state: JobState) -> None:
        queue = self._queues.get(state.job_id)
        if queue is None:
            return
        events = [event for batch in queue.get(batch=True) for event in batch]  # a worker puts lists (_DaskReporter)
        for event in events:
            kind = event.get("type")
            if kind == "started" or state.status == "queued":
                state.status = "running"
                state.started_at = state.started_at or time.time()
                state.queue_position = None
                state.message = "Running"
                state.worker_pid = event.get("worker", state.worker_pid)
            if kind == "status":
                state.message = event["message"]
            elif kind == "memory":
                state.worker_rss, state.deep_runs_on_worker = event["rss"], event["deep_runs"]
            elif kind == "summary":
                state.model_summary = event["summary"]
            elif kind == "part_started":  # a new fold or candidate: its live curve starts afresh
                state.message, state.history, state.total_steps = event["message"], [], None
            elif kind == "part_done":
                state.parts_done = [*state.parts_done, event]
            elif kind == "boundary":
                state.live_boundary = event
            elif kind in PAUSE_EVENTS:
                note_pause_event(state, event)
            elif "step" in event:
                state.total_steps = event.get("total", state.total_steps)
                state.history = [*state.history, event]  # a new list: readers never see it half-built
        observer = self._observers.get(state.job_id)
        if observer is not None and events:
            _tell(observer.on_events, state, events)

    def _collect(self, state: JobState, future) -> None:
        if future.status == "cancelled":
            self._finish(state, "stopped", message="Stopped.")
            return
        exc = future.exception()
        if exc is None and isinstance(future.result(), UserMistake):
            self._finish(state, "failed", error=future.result().message)
        elif exc is None:
            result: TrainingResult = future.result()
            state.result = result
            state.history = result.history
            self._finish(state, result.status, message="Stopped; the model as it was is evaluated below."
                         if result.status == "stopped" else "Finished.")
            self._maybe_recycle(state)  # after _finish, which lets go of the result held on the worker
        else:
            if not isinstance(exc, UserError):
                log.error("job %s failed:\n%s", state.job_id,
                          "".join(traceback.format_exception(type(exc), exc, future.traceback())))
            self._finish(state, "failed", error=_plain_failure(exc))

    def _maybe_recycle(self, state: JobState) -> None:
        """Restart the worker that ran `state` if Keras runs have grown its memory too much."""
        address, rss = state.worker_address, state.worker_rss
        if self._cluster is None or address is None or rss is None or state.deep_runs_on_worker == 0:
            return  # a department's own workers are theirs to manage
        baseline = self._baseline_rss.setdefault(address, rss)
        if rss <= baseline * (1 + self.recycle_growth):
            return
        log.info("recycling worker %s: %d MB after %d Keras runs, %d MB after the first", address, rss >> 20,
                 state.deep_runs_on_worker, baseline >> 20)
        self._recycling.add(address)  # no job is sent there from now on

        def restart():
            if self._closed.is_set():
                return
            try:
                # Wait until the worker no longer holds the run's result (the app has its copy):
                # a worker that left holding it would make the scheduler compute the job again.
                deadline = time.monotonic() + 10
                while self._client.has_what([address]).get(address) and time.monotonic() < deadline:
                    time.sleep(0.1)
                self._client.restart_workers([address], timeout=120, raise_for_error=False)
            except Exception:  # the worker may be gone already; its replacement registers anyway
                if self._closed.is_set():  # the engine closed meanwhile: nothing to restart
                    return
                log.warning("restarting worker %s failed", address, exc_info=True)
            finally:
                self._baseline_rss.pop(address, None)
                self._recycling.discard(address)

        threading.Thread(target=restart, name="mllab-recycle-worker", daemon=True).start()

    def _finish(self, state: JobState, status: str, message: str | None = None, error: str | None = None) -> None:
        state.status = status
        state.error = error
        state.message = error or message or status
        state.finished_at = time.time()
        observer = self._observers.pop(state.job_id, None)
        if observer is not None:
            _tell(observer.on_finished, state)
        self._futures.pop(state.job_id, None)
        self._specs.pop(state.job_id, None)
        queue = self._queues.pop(state.job_id, None)
        if self._client is not None:
            try:
                if queue is not None:
                    queue.close()
                from distributed import Event

                Event(_stop_event_name(state.job_id), client=self._client).clear()
                self._release_pause_channels(state)
            except Exception:  # releasing scheduler-side channels is best effort
                log.debug("cleanup of job %s channels failed", state.job_id, exc_info=True)

    def close(self) -> None:
        self._closed.set()
        self._go.set()  # an engine still waiting to start (start=False) stops waiting, and starts nothing
        for closable in (self._client, self._cluster):
            if closable is not None:
                try:
                    closable.close()
                except Exception:
                    pass


_engine: Engine | None = None
_engine_lock = threading.Lock()


def get_engine(start: bool = True) -> Engine:
    """The process-wide engine, made on first use. Its workers start in the background: at once, or with
    `start=False` when `Engine.start()` is called (see `Engine`)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            workers = os.environ.get(WORKERS_ENV)
            abandon = os.environ.get(ABANDON_AFTER_ENV)
            growth = os.environ.get(RECYCLE_GROWTH_ENV)
            _engine = Engine(scheduler_address=os.environ.get(SCHEDULER_ADDRESS_ENV) or None,
                             n_workers=int(workers) if workers else None,
                             abandon_after_s=float(abandon) if abandon else DEFAULT_ABANDON_AFTER_S,
                             recycle_growth=float(growth) if growth else DEFAULT_RECYCLE_GROWTH, start=start)
            atexit.register(_engine.close)
        return _engine
