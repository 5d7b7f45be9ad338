"""Worker memory after many Keras runs: recycled workers vs one plain process that never restarts.

Run: .venv/bin/python bench/memory.py [--quick] [--json out.json]

The same small Keras model (an MLP on digits, 2 epochs) is trained again and again, one run after
another, as a lecture's students would over an afternoon:
  mllab:  jobs submitted to an engine with one local worker (the app's recycling on); after run 5
          and after the last run, the resident memory (RSS) of the worker process serving jobs.
  plain:  the same runs with run_training in a fresh Python process of its own, no engine, no
          recycling; its RSS after run 5 and after the last run.
Figures: memory after the last run / after run 5, for both (goal for mllab: <= 1.10), and how
many times the engine recycled its worker.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

FULL = {"runs": 50}
QUICK = {"runs": 12}
PARAMS = {"epochs": 2, "batch_size": 32}

PLAIN = """
import os, sys, psutil
sys.path.insert(0, {root!r})
from mllab.datasets import load_builtin
from mllab.prepare import PreprocessConfig
from mllab.training import LocalReporter, TrainingSpec, run_training, validate_spec
data = load_builtin("digits")
rss = {{}}
for run in range(1, {runs} + 1):
    spec = validate_spec(TrainingSpec(dataset=data, target=data.target, preprocessing=PreprocessConfig(),
                                      family="mlp", params={params!r}))
    run_training(spec, LocalReporter())
    if run in (5, {runs}):
        rss[run] = psutil.Process().memory_info().rss
print(rss[5], rss[{runs}])
"""


def _worker_rss(engine) -> tuple[int, int]:
    """(pid, RSS) of the single worker process, once it is idle and any recycling is over."""
    import psutil

    time.sleep(2.5)  # the recycling check runs every second on an idle worker
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pids = list(engine._client.run(lambda: __import__("os").getpid()).values())
        if len(pids) == 1:
            return pids[0], psutil.Process(pids[0]).memory_info().rss
        time.sleep(0.5)
    raise RuntimeError("the worker did not come back")


def run(quick: bool = False, runs: int | None = None) -> dict:
    from mllab.datasets.builtin import load_builtin
    from mllab.training.engine import Engine
    from mllab.prepare.preprocessing import PreprocessConfig
    from mllab.training.spec import TrainingSpec

    runs = max(5, runs or (QUICK if quick else FULL)["runs"])
    engine = Engine(n_workers=1)
    pids = set()
    try:
        assert engine.wait_ready(120), engine.start_error
        data = load_builtin("digits")
        rss = {}
        for number in range(1, runs + 1):
            job = engine.submit(TrainingSpec(dataset=data, target=data.target, preprocessing=PreprocessConfig(),
                                             family="mlp", params=dict(PARAMS)), owner="memory")
            while not (state := engine.job(job, "memory")).finished:
                engine.touch("memory")
                time.sleep(0.1)
            if state.status != "completed":
                raise RuntimeError(f"run {number} ended {state.status}: {state.error}")
            pids.add(state.worker_pid)
            engine.forget(job, "memory")
            if number in (5, runs):
                rss[number] = _worker_rss(engine)[1]
    finally:
        engine.close()
    plain = subprocess.run([sys.executable, "-c", PLAIN.format(root=str(ROOT), runs=runs, params=PARAMS)],
                           capture_output=True, text=True, check=True, env={"TF_CPP_MIN_LOG_LEVEL": "2",
                                                                               **__import__("os").environ})
    plain_5, plain_last = (int(x) for x in plain.stdout.split()[-2:])
    return {
        "runs": float(runs),
        "mllab_rss_5_mb": rss[5] / 2**20, "mllab_rss_last_mb": rss[runs] / 2**20,
        "mllab_growth_ratio": rss[runs] / rss[5],
        "plain_rss_5_mb": plain_5 / 2**20, "plain_rss_last_mb": plain_last / 2**20,
        "plain_growth_ratio": plain_last / plain_5,
        "worker_processes": float(len(pids)),
    }


def print_table(f: dict) -> None:
    runs = int(f["runs"])
    print(f"{runs} sequential Keras runs (MLP on digits, {PARAMS['epochs']} epochs each)")
    print(f"{'':34} {'after 5':>9} {f'after {runs}':>9} {'ratio':>7} {'goal':>6}")
    print(f"{'mllab worker (recycled when grown)':34} {f['mllab_rss_5_mb']:8.0f}M {f['mllab_rss_last_mb']:8.0f}M "
          f"{f['mllab_growth_ratio']:7.3f} {'<=1.10':>6}")
    print(f"{'plain process, never restarted':34} {f['plain_rss_5_mb']:8.0f}M {f['plain_rss_last_mb']:8.0f}M "
          f"{f['plain_growth_ratio']:7.3f}")
    print(f"worker processes that served the runs: {f['worker_processes']:.0f} "
          f"(more than 1 means the worker was recycled)")


def main() -> None:
    harness.main(harness.parser(__doc__, f"{QUICK['runs']} runs instead of {FULL['runs']}"), run, print_table)


if __name__ == "__main__":
    main()
