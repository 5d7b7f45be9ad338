"""The benchmarks still run: each `bench/*.py` run(quick=True) gives its figures as positive finite numbers.

No timing is asserted here: speed goals are reported by bench/run_all.py, never tested (the CI
machine is shared and noisy). One warm engine serves the three benchmarks that need one.
"""

from __future__ import annotations

import math
import os

import pytest
from bench import (app_start, classroom, concurrency, engine_latency, families, first_page, memory, ogle_full,
                   overhead, predict_full, run_all, watching)


def _check(figures: dict, bench: str, keys: tuple[str, ...]) -> None:
    goal_keys = tuple(key for name, key, *_ in run_all.GOALS if name == bench)
    for key in (*keys, *goal_keys):
        assert key in figures, f"{bench}: no figure {key!r} in {sorted(figures)}"
        value = figures[key]
        assert isinstance(value, float) and math.isfinite(value) and value > 0, f"{bench}: {key} = {value!r}"


@pytest.fixture(scope="module")
def engine():
    import mllab.training.engine as engine_module

    os.environ.setdefault("MLLAB_WORKERS", "2")
    owned = engine_module._engine is None
    shared = engine_module.get_engine()
    yield shared
    if owned:
        shared.close()
        engine_module._engine = None


def test_overhead(engine):
    figures = overhead.run(quick=True, engine=engine)
    _check(figures, "overhead", ("cnn_plain_total_s", "cnn_mllab_total_s", "cnn_plain_epoch_s", "cnn_mllab_epoch_s",
                                 "rf_plain_total_s", "rf_mllab_total_s", "cnn_mllab_accuracy", "rf_mllab_accuracy"))


def test_engine_latency(engine):
    figures = engine_latency.run(quick=True, engine=engine)
    _check(figures, "engine_latency", ("plain_first_epoch_s", "mllab_first_epoch_s"))


def test_concurrency(engine):
    # Uses the app's get_engine(): the fixture's engine, which the Data page under AppTest shares.
    figures = concurrency.run(quick=True)
    _check(figures, "concurrency", ("sequential_s", "concurrent_s", "idle_rerun_s", "busy_rerun_s"))
    assert figures["jobs_completed"] == figures["jobs_run"]


def test_families():
    figures = families.run(quick=True)
    for key in figures["families"]:
        for data in ("digits", "ogle3"):
            prefix = f"{key}_{data}"
            _check(figures, "families", (f"{prefix}_ratio", f"{prefix}_with_score_ratio", f"{prefix}_mllab_accuracy"))
            assert figures[f"{prefix}_mllab_accuracy"] == figures[f"{prefix}_plain_accuracy"]  # the same model


def test_ogle_full():
    figures = ogle_full.run(quick=True)
    _check(figures, "ogle_full", ("plain_total_s", "mllab_total_s", "plain_maxrss_mb", "mllab_maxrss_mb",
                                  "plain_load_s", "mllab_load_s"))
    assert figures["mllab_accuracy"] == figures["plain_accuracy"]  # the same work on both sides


def test_predict_full():
    figures = predict_full.run(quick=True)
    _check(figures, "predict_full", ("plain_total_s", "mllab_total_s", "plain_rows", "mllab_csv_mb"))
    assert figures["mllab_rows"] == figures["plain_rows"] > 1000  # every star of the quick file predicted


def test_memory():
    figures = memory.run(runs=6)
    _check(figures, "memory", ("mllab_rss_5_mb", "mllab_rss_last_mb", "plain_rss_5_mb", "plain_rss_last_mb"))


def test_app_start():
    figures = app_start.run(quick=True)
    _check(figures, "app_start", ("hello_title_s", "mllab_title_s", "hello_idle_s", "mllab_idle_s"))


def test_results_file_lists_every_goal(tmp_path):
    runs = [{"name": name, "rc": 0, "seconds": 1.0, "stdout": "table", "stderr": "",
             "figures": {key: 1.0 for bench, key, *_ in run_all.GOALS if bench == name}}
            for name, _ in run_all.BENCHMARKS]
    load = {"wall_s": 60.0, "other_cpu_s": 0.0, "steal_s": 0.0, "other_share": 0.0, "shared": False,
            "loadavg_before": "0 0 0", "loadavg_after": "0 0 0"}
    import datetime as dt

    text = run_all.render(runs, quick=True, started=dt.datetime.now(), load=load)
    for _, key, *_ in run_all.GOALS:
        assert f"`{key}`" in text
    assert "Commit:" in text and "CPUs" in text


def test_watching():
    figures = watching.run(quick=True)
    _check(figures, "watching", ("server_cpu_share", "worker_cpu_share", "browser_cpu_share"))
    assert figures["still_training"] == 1.0  # the window fell inside the run, so the shares are mid-training


def test_first_page():
    figures = first_page.run(quick=True)
    _check(figures, "first_page", ("hello_session_cpu_s", "ready_s", "hello_ready_s", "crowd_last_ready_s",
                                   "hello_crowd_last_ready_s", "crowd_ratio", "crowd_session_cpu_s"))
    assert figures["sessions"] == 2.0 and figures["crowd_sessions"] == 4.0
    # Every session was ready after it was opened, and the crowd's last took longer than one alone.
    assert figures["crowd_last_ready_s"] >= figures["ready_s"] > 0
    assert figures["session_cpu_max_s"] >= figures["session_cpu_s"]


def test_classroom():
    figures = classroom.run(quick=True)
    _check(figures, "classroom", ("push_shown_median_s", "join_cpu_per_student_s", "poll_cpu_per_student_per_s",
                                  "board_runs", "train_wall_s"))
    assert figures["board_runs"] == figures["students"] == 3.0  # one run per student on the board
