"""The workspace store under a lecture's load, and what recording costs training.

Run: .venv/bin/python bench/store_sessions.py [--quick] [--json out.json]

1. Per epoch, with the store on: the CNN of bench/overhead.py (digits, mllab's defaults) trained by
   the engine with the run store recording it (a RunRecorder on the job, the app's one writer
   thread, a SQLite file in WAL mode), against a plain Keras script doing the same work, and
   against the engine with no store, alternating, in the same run. Per-epoch time is the mean gap
   between consecutive epochs as they reach the app (overhead.mean_epoch).
2. Forty sessions, each with its own workspace, each running three short jobs (logistic
   regression on iris, each with its own max_iter) at once on one engine with two workers, the
   store recording every one. Checked: 120 runs stored, three in each workspace, each with the
   settings, curve and accuracy its own job had. Printed: the time until the last is done, against
   the same 40 × 3 jobs with no store, in the same run.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import overhead  # noqa: E402  (bench/overhead.py: the plain Keras script and the engine follower)
from bench import harness  # noqa: E402

FULL = {"cnn_epochs": 60, "repeats": 2, "sessions": 40, "runs_each": 3}
QUICK = {"cnn_epochs": 5, "repeats": 1, "sessions": 6, "runs_each": 2}


def _logistic_spec(max_iter: int):
    from mllab.datasets import load_builtin
    from mllab.models import FAMILIES
    from mllab.prepare import PreprocessConfig
    from mllab.training import TrainingSpec

    data = load_builtin("iris")
    return TrainingSpec(dataset=data, target=data.target, preprocessing=PreprocessConfig(),
                        family="logistic_regression",
                        params={**FAMILIES["logistic_regression"].defaults(), "max_iter": max_iter})


def _sessions(engine, settings: dict, store=None, writer=None) -> dict:
    """Every session's jobs, all sessions at once; returns the wall time and what each job ended as."""
    from mllab.store import RunRecorder, create_run
    from mllab.training import new_run

    owners = [store.open_workspace(store.new_workspace()) if store else f"bench-{i}"
              for i in range(settings["sessions"])]
    ended: dict[str, list] = {o: [] for o in owners}
    failures = []

    def session(index, owner):
        try:
            for number in range(1, settings["runs_each"] + 1):
                spec = _logistic_spec(20 + index * settings["runs_each"] + number)
                job = engine.submit(spec, owner)
                if store is not None:
                    run = new_run(number, job, spec, {"kind": "builtin", "key": "iris"}, {})
                    engine.observe(job, RunRecorder(writer, owner, create_run(store, owner, run)))
                while True:
                    engine.touch(owner)
                    state = engine.job(job, owner)
                    if state.finished:
                        break
                    time.sleep(0.05)
                engine.forget(job, owner)
                ended[owner].append(state)
        except Exception as err:
            failures.append(f"session {index}: {err!r}")

    started = time.perf_counter()
    threads = [threading.Thread(target=session, args=(i, o)) for i, o in enumerate(owners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if writer is not None:
        writer.flush(120)
    return {"wall_s": time.perf_counter() - started, "owners": owners, "ended": ended, "failures": failures}


def _check_stored(store, outcome: dict, settings: dict) -> dict:
    from mllab.store import load_runs

    stored_total, mismatches = 0, 0
    for index, owner in enumerate(outcome["owners"]):
        runs = load_runs(store, owner)
        stored_total += len(runs)
        expected = [20 + index * settings["runs_each"] + n for n in range(1, settings["runs_each"] + 1)]
        if [r.params["max_iter"] for r in runs] != expected:
            mismatches += 1
            continue
        for run, state in zip(runs, outcome["ended"][owner]):
            if run.status != state.status or run.result is None or \
                    run.result.evaluation.accuracy != state.result.evaluation.accuracy or \
                    [h["step"] for h in run.history] != [h["step"] for h in state.history]:
                mismatches += 1
    return {"stored_runs": float(stored_total), "mismatched_workspaces": float(mismatches)}


def run(quick: bool = False) -> dict:
    from mllab.datasets import load_builtin
    from mllab.prepare import PreprocessConfig
    from mllab.store import RunRecorder, Store, StoreWriter, create_run
    from mllab.training import Engine, TrainingSpec, new_run

    settings = QUICK if quick else FULL
    folder = Path(tempfile.mkdtemp(prefix="mllab-bench-store-"))
    store = Store(data_dir=folder)
    store.register_server()
    writer = StoreWriter(store)
    digits = load_builtin("digits")
    cnn = TrainingSpec(dataset=digits, target="digit", preprocessing=PreprocessConfig(), family="cnn",
                       params={"epochs": settings["cnn_epochs"]})
    engine = Engine(n_workers=2)
    try:
        if not engine.wait_ready(180):
            raise RuntimeError(engine.start_error or "engine did not start")
        deadline = time.monotonic() + 180
        while engine.devices() is None and time.monotonic() < deadline:  # workers warm once TF is imported
            time.sleep(0.1)
        workspace = store.open_workspace(store.new_workspace())
        numbers = iter(range(1, 1000))

        def recorded(job_id):
            run = new_run(next(numbers), job_id, cnn, {"kind": "builtin", "key": "digits"}, {})
            return RunRecorder(writer, workspace, create_run(store, workspace, run))

        plain, stored, unstored = [], [], []
        for repeat in range(settings["repeats"]):
            order = [(plain, lambda: overhead.run_plain(overhead.PLAIN_KERAS, settings["cnn_epochs"])),
                     (stored, lambda: overhead.run_mllab(engine, cnn, owner=workspace, observe=recorded)),
                     (unstored, lambda: overhead.run_mllab(engine, cnn, owner="no-store"))]
            for bucket, measure in (order if repeat % 2 == 0 else order[::-1]):
                bucket.append(measure())
        writer.flush(60)

        with_store = _sessions(engine, settings, store, writer)
        without_store = _sessions(engine, settings)
        checked = _check_stored(store, with_store, settings)
    finally:
        engine.close()
    med = statistics.median
    figures = {
        "cnn_epochs": float(settings["cnn_epochs"]),
        "plain_epoch_s": med(overhead.mean_epoch(r["stamps"]) for r in plain),
        "stored_epoch_s": med(overhead.mean_epoch(r["stamps"]) for r in stored),
        "unstored_epoch_s": med(overhead.mean_epoch(r["stamps"]) for r in unstored),
        "sessions": float(settings["sessions"]),
        "runs_each": float(settings["runs_each"]),
        "jobs": float(settings["sessions"] * settings["runs_each"]),
        "with_store_s": with_store["wall_s"],
        "without_store_s": without_store["wall_s"],
        "failures": float(len(with_store["failures"]) + len(without_store["failures"])),
        "writer_fault": writer.fault or "",
        **checked,
    }
    figures["epoch_ratio_store"] = figures["stored_epoch_s"] / figures["plain_epoch_s"]
    figures["epoch_ratio_no_store"] = figures["unstored_epoch_s"] / figures["plain_epoch_s"]
    figures["sessions_ratio"] = figures["with_store_s"] / figures["without_store_s"]
    figures["all_stored"] = float(checked["stored_runs"] == figures["jobs"] and checked["mismatched_workspaces"] == 0
                                  and figures["failures"] == 0)
    return figures


def print_table(figures: dict) -> None:
    print(f"CNN per epoch ({figures['cnn_epochs']:.0f} epochs): plain Keras {figures['plain_epoch_s'] * 1000:.1f} ms, "
          f"engine with the store {figures['stored_epoch_s'] * 1000:.1f} ms "
          f"({figures['epoch_ratio_store']:.3f}x), engine without {figures['unstored_epoch_s'] * 1000:.1f} ms "
          f"({figures['epoch_ratio_no_store']:.3f}x)")
    print(f"{figures['sessions']:.0f} sessions x {figures['runs_each']:.0f} jobs at once: "
          f"{figures['with_store_s']:.1f} s with the store, {figures['without_store_s']:.1f} s without "
          f"({figures['sessions_ratio']:.3f}x); stored {figures['stored_runs']:.0f} of {figures['jobs']:.0f}, "
          f"workspaces with a wrong run: {figures['mismatched_workspaces']:.0f}, failures {figures['failures']:.0f}"
          + (f", writer fault: {figures['writer_fault']}" if figures["writer_fault"] else ""))


def main() -> None:
    harness.main(harness.parser(__doc__, "5 epochs, 6 sessions of 2 jobs, one repeat"), run, print_table)


if __name__ == "__main__":
    main()
