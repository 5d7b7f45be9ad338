"""Many sessions training at once on one engine: throughput, and page reruns while the workers are busy.

Run: .venv/bin/python bench/concurrency.py [--quick] [--json out.json]

One engine with 2 local workers (the app's own `get_engine()`, so the page below talks to it too), warm
(TensorFlow already imported on the workers). Each "session" is an owner id submitting one small
model: even sessions a logistic regression on iris, odd ones a 50-tree random forest on wine.

  throughput:  the same N jobs run one after another (submit, wait until finished, next) and all at
               once (N owners submit together); ratio = sequential time / concurrent time, so above
               1 means running them together is faster. Every job must complete. The sequential time
               includes the engine's latency around each job (the watcher polls every 0.1 s), printed
               per job as the time not spent inside run_training.
  page rerun:  the Data page (app.py) under Streamlit's AppTest, in this process as under
               `streamlit run`: after a first run, each `AppTest.run()` is a rerun like a widget
               interaction. Timed idle, then again while another batch of N jobs runs (reruns back
               to back until the batch has finished); ratio = busy median / idle median.
Both measurements are taken in the same run of this script; the order sequential/concurrent
alternates over the repeats.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

FULL = {"sessions": 20, "repeats": 2, "idle_reruns": 10}
QUICK = {"sessions": 6, "repeats": 1, "idle_reruns": 3}
GOALS = {"throughput_ratio": 0.9, "rerun_ratio": 2.0}
TIMEOUT_S = 600


def _specs(n: int) -> list:
    from mllab.datasets.builtin import load_builtin
    from mllab.prepare.preprocessing import PreprocessConfig
    from mllab.training.spec import TrainingSpec

    iris, wine = load_builtin("iris"), load_builtin("wine")
    specs = []
    for i in range(n):
        if i % 2 == 0:
            specs.append(TrainingSpec(dataset=iris, target="species", preprocessing=PreprocessConfig(),
                                      family="logistic_regression", params={}))
        else:
            specs.append(TrainingSpec(dataset=wine, target="cultivar", preprocessing=PreprocessConfig(),
                                      family="random_forest", params={"n_estimators": 50}))
    return specs


def _touch(engine, owners) -> None:
    # Pages tell the engine their session is alive on every rerun; these sessions have no page.
    if hasattr(engine, "touch"):
        for owner in owners:
            engine.touch(owner)


def _wait_all(engine, jobs: list[tuple[str, str]], while_waiting=None) -> list:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        _touch(engine, {owner for _, owner in jobs})
        states = [engine.job(job, owner) for job, owner in jobs]
        if all(s.finished for s in states):
            return states
        if time.monotonic() > deadline:
            raise TimeoutError(f"{sum(not s.finished for s in states)} jobs did not finish")
        if while_waiting is not None:
            while_waiting()
        else:
            time.sleep(0.01)


def _forget(engine, jobs) -> None:
    for job, owner in jobs:
        engine.forget(job, owner)


def sequential(engine, specs, tag: str) -> tuple[float, list]:
    started = time.perf_counter()
    states = []
    for i, spec in enumerate(specs):
        owner = f"{tag}-seq-{i}"
        job = engine.submit(spec, owner)
        states += _wait_all(engine, [(job, owner)])
        _forget(engine, [(job, owner)])
    return time.perf_counter() - started, states


def concurrent(engine, specs, tag: str, while_waiting=None) -> tuple[float, list]:
    started = time.perf_counter()
    jobs = []
    for i, spec in enumerate(specs):
        owner = f"{tag}-conc-{i}"
        jobs.append((engine.submit(spec, owner), owner))
    states = _wait_all(engine, jobs, while_waiting)
    elapsed = time.perf_counter() - started
    _forget(engine, jobs)
    return elapsed, states


def run(quick: bool = False) -> dict:
    from streamlit.testing.v1 import AppTest

    import mllab.training.engine as engine_module

    settings = QUICK if quick else FULL
    n = settings["sessions"]
    os.environ.setdefault("MLLAB_WORKERS", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    owned = engine_module._engine is None  # in a test run another test may have started it already
    engine = engine_module.get_engine()
    try:
        if not engine.wait_ready(180):
            raise RuntimeError(engine.start_error or "engine did not start")
        deadline = time.monotonic() + 180
        while engine.devices() is None:  # workers warm: TensorFlow's import is not competing below
            if engine.device_error or time.monotonic() > deadline:
                raise RuntimeError(engine.device_error or "workers did not import TensorFlow")
            time.sleep(0.1)
        specs = _specs(n)
        # One job each way first, unmeasured: the first forest and regression on a worker pay imports.
        sequential(engine, specs[:2], "warm")

        seq_times, conc_times, statuses, seq_gaps = [], [], [], []
        for repeat in range(settings["repeats"]):
            order = ("seq", "conc") if repeat % 2 == 0 else ("conc", "seq")
            for kind in order:
                if kind == "seq":
                    elapsed, states = sequential(engine, specs, f"r{repeat}")
                    seq_times.append(elapsed)
                    # Time between jobs not spent training: submit -> start, finish -> seen by the app.
                    seq_gaps.append((elapsed - sum(st.result.duration_s for st in states if st.result)) / n)
                else:
                    elapsed, states = concurrent(engine, specs, f"r{repeat}")
                    conc_times.append(elapsed)
                statuses += [s.status for s in states]

        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.run()  # first run: imports, the built-in dataset loaded into the session
        if at.exception:
            raise RuntimeError(f"the Data page failed: {at.exception}")

        def rerun() -> float:
            started = time.perf_counter()
            at.run()
            elapsed = time.perf_counter() - started
            if at.exception:
                raise RuntimeError(f"the Data page failed: {at.exception}")
            return elapsed

        idle = [rerun() for _ in range(settings["idle_reruns"])]
        busy: list[float] = []
        busy_elapsed, states = concurrent(engine, specs, "busy", while_waiting=lambda: busy.append(rerun()))
        statuses += [s.status for s in states]
        idle += [rerun() for _ in range(settings["idle_reruns"])]  # idle again after, against drift
    finally:
        if owned:
            engine.close()
            engine_module._engine = None

    med = statistics.median
    figures = {
        "sessions": float(n),
        "repeats": float(settings["repeats"]),
        "jobs_run": float(len(statuses)),
        "jobs_completed": float(sum(s == "completed" for s in statuses)),
        "sequential_s": med(seq_times),
        "sequential_gap_per_job_s": med(seq_gaps),
        "concurrent_s": med(conc_times),
        "busy_batch_s": busy_elapsed,
        "idle_rerun_s": med(idle),
        "busy_rerun_s": med(busy) if busy else float("nan"),
        "busy_rerun_max_s": max(busy) if busy else float("nan"),
        "busy_reruns": float(len(busy)),
    }
    figures["all_completed"] = 1.0 if figures["jobs_completed"] == figures["jobs_run"] else 0.0
    figures["throughput_ratio"] = figures["sequential_s"] / figures["concurrent_s"]
    figures["rerun_ratio"] = figures["busy_rerun_s"] / figures["idle_rerun_s"]
    return figures


def print_table(figures: dict) -> None:
    f = figures
    print(f"{f['sessions']:.0f} sessions, each one small model (logistic regression on iris / 50-tree forest on "
          f"wine); repeats: {f['repeats']:.0f} (medians)")
    print(f"jobs completed: {f['jobs_completed']:.0f} of {f['jobs_run']:.0f}")
    print(f"{'':38} {'value':>9} {'ratio':>7} {'goal':>6}")
    print(f"{'one after another':38} {f['sequential_s']:8.2f}s"
          f"   ({f['sequential_gap_per_job_s']:.2f}s per job outside training: submit, start, result seen)")
    print(f"{'all at once':38} {f['concurrent_s']:8.2f}s {f['throughput_ratio']:7.2f} {'>=0.9':>6}"
          "   (throughput: sequential / concurrent)")
    print(f"{'Data page rerun, idle':38} {f['idle_rerun_s']:8.3f}s")
    print(f"{'Data page rerun, while jobs run':38} {f['busy_rerun_s']:8.3f}s {f['rerun_ratio']:7.2f} {'<=2':>6}"
          f"   ({f['busy_reruns']:.0f} reruns, worst {f['busy_rerun_max_s']:.3f}s)")


def main() -> None:
    harness.main(harness.parser(__doc__, "6 sessions, one repeat"), run, print_table)


if __name__ == "__main__":
    main()
