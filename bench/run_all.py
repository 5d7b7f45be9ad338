"""Run every benchmark and write bench/RESULTS.md.

Run: .venv/bin/python bench/run_all.py [--quick] [--output bench/RESULTS.md]

Each benchmark runs in its own Python process (`bench/NAME.py [--quick] --json FILE`), one after the
other, so one that fails is reported and the others still run. Every benchmark compares mllab with
a plain script doing the same work in the same run and reports ratios: absolute times on a shared
2-core machine drift too much to mean anything alone. Speed goals are reported, never asserted.

The CPU time used by other processes during the run (sampled from /proc, plus the hypervisor's
steal time) is written down: figures taken on a shared machine are noisier.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

# name, what it measures
BENCHMARKS = (
    ("overhead", "Training time: mllab engine vs plain Keras / scikit-learn scripts"),
    ("engine_latency", "Train -> first epoch, and Stop, vs a plain Keras script"),
    ("app_start", "App cold start to first page vs a hello-world Streamlit app"),
    ("ogle_full", "Full OGLE-III catalogue: load + random forest vs plain pandas + scikit-learn"),
    ("concurrency", "Many sessions training on one engine; page reruns while busy"),
    ("memory", "Worker memory after many sequential Keras runs, recycled vs never restarted"),
    ("watching", "Server CPU while browsers watch live runs vs the workers' training CPU"),
    ("first_page", "Server CPU and time per new browser session on the Data page vs a hello-world app"),
    ("store_sessions", "The workspace store: per-epoch time with it recording, and 40 sessions x 3 jobs stored"),
    ("predict_full", "Full OGLE-III catalogue classified by a kept forest and written as CSV vs a plain script"),
    ("classroom", "40 students in one room: push -> shown, all train it, the leaderboard, server CPU per student"),
    ("families", "The one-step families and the tree ensembles' train vs a plain fit of the same estimator"),
    ("boosting", "Gradient boosting with its live curve vs a plain HistGradientBoosting fit, up to full OGLE-III"),
    ("family_comparison", "Compare the lecture's classifiers on OGLE-III vs the longest plain fit x families / workers"),
)

# (benchmark, figure, comparison, goal, description); comparison "<=" or ">="
GOALS = (
    ("overhead", "cnn_total_ratio", "<=", 1.10, "CNN training time, mllab duration_s / plain fit..predict"),
    ("overhead", "cnn_epoch_ratio", "<=", 1.03, "CNN time per epoch, mllab / plain"),
    ("overhead", "rf_total_ratio", "<=", 1.10, "Random forest training time, mllab duration_s / plain fit..predict"),
    ("engine_latency", "first_epoch_ratio", "<=", 0.5, "Train -> first epoch on screen / plain script launch -> "
                                                       "first epoch"),
    ("engine_latency", "stop_s", "<=", 2.0, "Stop -> run ended and evaluated (seconds)"),
    ("app_start", "title_ratio", "<=", 1.5, "Cold start -> Data page title in chromium / hello-world app"),
    ("app_start", "idle_ratio", "<=", 2.5, "Cold start -> Data page's first script run finished / hello-world app"),
    ("ogle_full", "time_ratio", "<=", 1.2, "OGLE-III 400k rows load + forest time, mllab / plain"),
    ("ogle_full", "memory_ratio", "<=", 1.5, "OGLE-III peak memory (maxrss), mllab / plain"),
    ("concurrency", "all_completed", ">=", 1.0, "All concurrent sessions' jobs completed (1 = yes)"),
    ("concurrency", "throughput_ratio", ">=", 0.9, "Throughput of N sessions at once / one after another"),
    ("concurrency", "rerun_ratio", "<=", 2.0, "Data page rerun while jobs run / idle"),
    ("memory", "mllab_growth_ratio", "<=", 1.10, "Worker memory after the last Keras run / after run 5"),
    ("watching", "server_per_training_ratio", "<=", 0.25, "Server CPU while browsers watch their runs / the "
                                                          "workers' training CPU"),
    ("first_page", "session_cpu_s", "<=", 0.25, "Server CPU seconds per new browser session on the Data page "
                                                "(built-in digits)"),
    ("first_page", "ready_ratio", "<=", 2.0, "New session -> Data page ready / hello-world app"),
    ("store_sessions", "epoch_ratio_store", "<=", 1.03, "CNN time per epoch, engine with the run store / plain Keras"),
    ("predict_full", "time_ratio", "<=", 1.3, "OGLE-III 400k rows read, predicted and written as CSV, mllab / plain"),
    ("predict_full", "same_predictions", ">=", 1.0, "Both sides predict the same class for every star (1 = yes)"),
    ("classroom", "push_shown_max_s", "<=", 5.0, "Lecturer's push -> shown on the slowest of 40 students' pages (s)"),
    ("classroom", "all_scores_right", ">=", 1.0, "Leaderboard holds exactly one run per student, each its own "
                                                 "stored test accuracy (1 = yes)"),
    ("classroom", "workspaces_separate", ">=", 1.0, "No student saw another's workspace or nickname (1 = yes)"),
    ("store_sessions", "all_stored", ">=", 1.0, "40 sessions x 3 jobs at once: every run stored once, in its own "
                                                "workspace (1 = yes)"),
    *(("families", f"{family}_{data}_with_score_ratio", "<=", 1.10,
       f"{label} on {data}: mllab's train / plain fit + predict_proba, both with the training score the verdict needs")
      for family, label in (("knn", "k-nearest neighbours"), ("svm", "SVM"), ("naive_bayes", "Naive Bayes"),
                            ("decision_tree", "Decision tree"), ("gradient_boosting", "Gradient boosting"))
      for data in ("digits", "ogle3")),
    ("boosting", "digits_time_ratio", "<=", 1.10, "Gradient boosting on the digits, mllab / plain fit + predict_proba"),
    ("boosting", "ogle3_time_ratio", "<=", 1.10, "Gradient boosting on the OGLE-III subset, mllab / plain"),
    ("boosting", "ogle3_full_time_ratio", "<=", 1.2, "Gradient boosting on the full OGLE-III catalogue, time, mllab / "
                                                     "plain"),
    ("boosting", "ogle3_full_memory_ratio", "<=", 1.5, "Gradient boosting on the full OGLE-III catalogue, peak memory, "
                                                       "mllab / plain"),
    ("family_comparison", "ratio", "<=", 1.2, "Compare-all wall time / (longest plain fit x families / workers)"),
)

# Figures shown without a goal: what the ratios are made of.
INFO = {
    "overhead": ("cnn_epochs", "cnn_plain_total_s", "cnn_mllab_total_s", "cnn_mllab_wall_s", "cnn_wall_ratio",
                 "cnn_plain_epoch_s", "cnn_mllab_epoch_s", "cnn_plain_accuracy", "cnn_mllab_accuracy", "rf_trees",
                 "rf_plain_total_s", "rf_mllab_total_s", "rf_mllab_wall_s", "rf_wall_ratio", "rf_plain_accuracy",
                 "rf_mllab_accuracy"),
    "engine_latency": ("plain_first_epoch_s", "mllab_first_epoch_s"),
    "app_start": ("hello_server_s", "mllab_server_s", "hello_title_s", "mllab_title_s", "hello_idle_s",
                  "mllab_idle_s", "mllab_noworkers_title_s", "mllab_noworkers_idle_s",
                  "noworkers_title_ratio", "mllab_nowatcher_title_s", "mllab_nowatcher_idle_s", "nowatcher_title_ratio",
                  "nested_cluster_errors"),
    "ogle_full": ("plain_rows", "trees", "plain_load_s", "mllab_load_s", "load_ratio", "plain_train_s",
                  "mllab_train_s", "train_ratio", "plain_total_s", "mllab_total_s", "plain_maxrss_mb",
                  "mllab_maxrss_mb", "plain_accuracy", "mllab_accuracy", "mllab_engine_train_s", "mllab_engine_total_s",
                  "engine_train_ratio", "engine_time_ratio", "mllab_engine_accuracy"),
    "memory": ("runs", "mllab_rss_5_mb", "mllab_rss_last_mb", "plain_rss_5_mb", "plain_rss_last_mb",
               "plain_growth_ratio", "worker_processes"),
    "watching": ("browsers", "window_s", "still_training", "server_cpu_share", "worker_cpu_share",
                 "browser_cpu_share"),
    "first_page": ("sessions", "crowd_sessions", "settle_s", "hello_session_cpu_s", "session_cpu_max_s",
                   "hello_session_cpu_max_s", "session_cpu_ratio", "ready_s", "hello_ready_s", "crowd_last_ready_s",
                   "hello_crowd_last_ready_s", "crowd_ratio", "crowd_session_cpu_s", "hello_crowd_session_cpu_s",
                   "idle_cpu_share", "hello_idle_cpu_share", "session_cpu_net_s", "hello_session_cpu_net_s"),
    "store_sessions": ("cnn_epochs", "plain_epoch_s", "stored_epoch_s", "unstored_epoch_s", "epoch_ratio_no_store",
                       "sessions", "runs_each", "jobs", "with_store_s", "without_store_s", "sessions_ratio",
                       "stored_runs", "mismatched_workspaces", "failures"),
    "predict_full": ("trees", "plain_rows", "plain_total_s", "mllab_total_s", "plain_maxrss_mb", "mllab_maxrss_mb",
                     "memory_ratio", "mllab_csv_mb", "mllab_engine_total_s", "engine_time_ratio"),
    "classroom": ("students", "push_shown_median_s", "join_wall_s", "join_cpu_per_student_s",
                  "poll_cpu_per_student_per_s", "board_runs", "train_wall_s", "train_switch_retried"),
    "concurrency": ("sessions", "jobs_run", "jobs_completed", "sequential_s", "sequential_gap_per_job_s",
                    "concurrent_s", "idle_rerun_s",
                    "busy_rerun_s", "busy_rerun_max_s", "busy_reruns"),
}

# Messages in a benchmark's output that explain a figure; written into the notes when seen.
KNOWN_MESSAGES = (
    ("Inside a Dask worker with daemon=True, setting n_jobs=1",
     "scikit-learn warned \"Inside a Dask worker with daemon=True, setting n_jobs=1\": random forests trained "
     "by the engine's workers use one core where the plain script uses all of them (joblib refuses to start "
     "workers inside daemonic Dask worker processes)."),
    ("re-ran app.py and tried to start a cluster",
     "The mllab server's log shows \"Nanny failed to start\": the local cluster's worker processes are spawned "
     "while Streamlit has app.py registered as `__main__`, so multiprocessing's spawn re-runs app.py in each "
     "worker, which imports the page's modules and tries to start a nested cluster (it fails). This costs "
     "CPU while the first page renders."),
)


RUN_TOKEN_ENV = "MLLAB_BENCH_RUN"


def _cpu_ticks() -> tuple[int, int]:
    """(steal, total) CPU time of the whole machine so far, in clock ticks."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


class OtherLoad(threading.Thread):
    """Samples the CPU time of processes that are not this run's, twice a second.

    This run's processes (the benchmarks, their servers, workers and browsers) inherit a token in
    their environment; everything else on the machine is "other", plus the time the hypervisor gave
    to other machines (steal). Processes that come and go between samples are partly missed, so
    the figure errs low.
    """

    def __init__(self, token: str):
        super().__init__(daemon=True, name="other-load")
        self.token = f"{RUN_TOKEN_ENV}={token}".encode()
        self.boot_ticks = self._now_ticks()
        self.first: dict[tuple[int, int], int] = {}
        self.last: dict[tuple[int, int], int] = {}
        self.ours: dict[tuple[int, int], bool] = {}
        self.halt = threading.Event()
        self.steal0, self.total0 = _cpu_ticks()
        self._sample(initial=True)

    @staticmethod
    def _now_ticks() -> int:
        return int(float(Path("/proc/uptime").read_text().split()[0]) * os.sysconf("SC_CLK_TCK"))

    def _sample(self, initial: bool = False) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                fields = stat[stat.rindex(")") + 2:].split()
                key = (int(entry), int(fields[19]))
                cpu = int(fields[11]) + int(fields[12])
                if key not in self.ours:
                    try:
                        environ = Path(f"/proc/{entry}/environ").read_bytes()
                    except OSError:
                        environ = b""
                    self.ours[key] = self.token in environ or int(entry) == os.getpid()
                    # Started during the run: all its CPU time is the run's; else from now on.
                    self.first[key] = cpu if initial or key[1] < self.boot_ticks else 0
            except (OSError, ValueError, IndexError):
                continue
            self.last[key] = cpu

    def run(self) -> None:
        while not self.halt.wait(0.5):
            self._sample()

    def stop(self) -> dict:
        self.halt.set()
        self.join()
        self._sample()
        steal1, total1 = _cpu_ticks()
        ticks = os.sysconf("SC_CLK_TCK")
        others = sum(self.last[k] - self.first[k] for k in self.last if not self.ours.get(k))
        other_s = (others + steal1 - self.steal0) / ticks
        capacity = (total1 - self.total0) / ticks
        return {"other_cpu_s": other_s, "steal_s": (steal1 - self.steal0) / ticks,
                "other_share": other_s / capacity if capacity else 0.0}


def machine() -> dict:
    info = {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram_gib"] = round(int(line.split()[1]) / 1024 ** 2, 1)
                break
    except OSError:
        pass
    return info


def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
        return commit + (" (with uncommitted changes in the working tree)" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_one(name: str, quick: bool, folder: Path) -> dict:
    out = folder / f"{name}.json"
    command = [sys.executable, str(BENCH / f"{name}.py"), "--json", str(out), *(["--quick"] if quick else [])]
    started = time.perf_counter()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, timeout=3600)
        rc, stdout, stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as err:
        rc, stdout, stderr = -1, err.stdout or "", f"timed out after {err.timeout} s"
        stdout = stdout.decode() if isinstance(stdout, bytes) else stdout
    elapsed = time.perf_counter() - started
    figures = json.loads(out.read_text()) if rc == 0 and out.exists() else None
    return {"name": name, "rc": rc, "seconds": elapsed, "stdout": stdout, "stderr": stderr, "figures": figures}


def _fmt(value) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.3f}"


def verdict(value, comparison: str, goal: float) -> tuple[str, str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no figure", ""
    met = value <= goal if comparison == "<=" else value >= goal
    if met:
        return "met", ""
    # How far off, as a share of the goal.
    miss = value / goal - 1 if comparison == "<=" else 1 - value / goal
    return "**missed**", f"{miss:+.0%}" if comparison == "<=" else f"-{miss:.0%}"


def render(runs: list[dict], quick: bool, started: dt.datetime, load: dict) -> str:
    info = machine()
    lines = [
        "# mllab benchmark results",
        "",
        f"Written by `bench/run_all.py{' --quick' if quick else ''}`; running it again replaces this file.",
        *(["", "**Quick mode: small development versions of the benchmarks; not the reference figures.**"]
          if quick else []),
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} {started.astimezone().tzname()} (run took {load['wall_s'] / 60:.1f} min)",
        f"- Commit: {git_commit()}",
        f"- Machine: {info.get('nproc')} CPUs ({info.get('cpu', 'unknown CPU')}), {info.get('ram_gib', '?')} GiB RAM, "
        f"Python {info['python']}, {info['platform']}",
        f"- Other load: processes outside this run used {load['other_cpu_s']:.0f} CPU-seconds during it, "
        f"{load['other_share']:.0%} of the machine's capacity (of which {load['steal_s']:.0f} s stolen by the "
        "hypervisor for other machines)"
        + (" — **the machine was shared; absolute times are noisy, compare the ratios**" if load["shared"] else
           " (machine essentially to ourselves)")
        + f"; load average {load['loadavg_before']} before, {load['loadavg_after']} after.",
        "",
        "Every ratio compares mllab with a plain script doing the same work in the same run "
        "(alternating which goes first). Goals are targets, not test assertions.",
        "",
        "## Goals",
        "",
        "| Benchmark | Figure | Value | Goal | Result |",
        "|---|---|---:|---:|---|",
    ]
    by_name = {r["name"]: r for r in runs}
    for bench, key, comparison, goal, description in GOALS:
        figures = by_name.get(bench, {}).get("figures") or {}
        value = figures.get(key)
        result, miss = verdict(value, comparison, goal)
        lines.append(f"| {bench} | {description} (`{key}`) | {_fmt(value)} | {comparison} {goal:g} | "
                     f"{result}{' ' + miss if miss else ''} |")
    lines += ["", "## All figures", ""]
    for name, what in BENCHMARKS:
        run = by_name.get(name)
        lines.append(f"### {name}: {what}")
        lines.append("")
        if run is None:
            lines += ["Not run.", ""]
            continue
        if run["figures"] is None:
            tail = (run["stderr"] or run["stdout"])[-2500:]
            lines += [f"**Failed** (exit status {run['rc']}, after {run['seconds']:.0f} s):", "", "```", tail.strip(),
                      "```", ""]
            continue
        lines.append(f"Took {run['seconds']:.0f} s. Printed table:")
        lines += ["", "```", run["stdout"].strip(), "```", ""]
        shown = [k for k in INFO.get(name, ()) if k in run["figures"]]
        if shown:
            lines.append("| Figure | Value |")
            lines.append("|---|---:|")
            lines += [f"| `{k}` | {_fmt(run['figures'][k])} |" for k in shown]
            lines.append("")
    notes = []
    for run in runs:
        text = run["stdout"] + run["stderr"]
        for message, note in KNOWN_MESSAGES:
            if message in text:
                notes.append(f"{run['name']}: {note}")
    overhead = (by_name.get("overhead") or {}).get("figures") or {}
    if overhead.get("epoch_time_source"):
        notes.append(f"overhead: mllab's per-epoch times come from the {overhead['epoch_time_source']} "
                     "(see bench/overhead.py).")
    lines += ["## Notes", ""]
    lines += [f"- {n}" for n in notes] or ["- None."]
    lines += [
        "- How each figure is measured is in the docstring at the top of each `bench/*.py` file.",
        "- ogle_full: mllab cannot express derived columns (log P, V−I) yet, so both sides compute them the "
        "same way in pandas after loading, and replace -99.99 with missing values; missing values are then "
        "imputed with the training mean on both sides.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small development version of every benchmark")
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--only", nargs="*", help="run only these benchmarks")
    args = parser.parse_args()

    started = dt.datetime.now()
    loadavg_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    token = uuid.uuid4().hex
    os.environ[RUN_TOKEN_ENV] = token  # inherited by every process this run starts
    sampler = OtherLoad(token)
    sampler.start()
    wall0 = time.perf_counter()
    runs = []
    with tempfile.TemporaryDirectory(prefix="mllab-bench-") as folder:
        for name, what in BENCHMARKS:
            if args.only and name not in args.only:
                continue
            print(f"== {name}: {what}", flush=True)
            run = run_one(name, args.quick, Path(folder))
            print(run["stdout"].strip() if run["figures"] is not None else
                  f"FAILED (exit {run['rc']}):\n{(run['stderr'] or run['stdout'])[-2000:]}", flush=True)
            print(f"({run['seconds']:.0f} s)\n", flush=True)
            runs.append(run)
    load = {"wall_s": time.perf_counter() - wall0, **sampler.stop(),
            "loadavg_before": loadavg_before, "loadavg_after": " ".join(Path("/proc/loadavg").read_text().split()[:3])}
    load["shared"] = load["other_share"] > 0.05
    args.output.write_text(render(runs, args.quick, started, load))
    print(f"wrote {args.output}")
    failed = [r["name"] for r in runs if r["figures"] is None]
    if failed:
        print("failed:", ", ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
