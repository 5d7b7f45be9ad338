"""End-to-end training time of mllab's engine vs plain Keras and plain scikit-learn scripts.

Run: .venv/bin/python bench/overhead.py [--quick] [--json out.json]

Both sides do the same work in the same run of this script, one after the other and alternating,
so the printed ratios hold even on a noisy machine where absolute times drift.

CNN (digits 8x8 images, mllab's CNN defaults: 2 conv blocks of 32/64 filters, max pooling, dropout
0.25, dense 64, Adam 1e-3, batch 32, validation split 0.1; standard scaling, stratified 20 % test
split, seed 42, deterministic TensorFlow ops):
  plain:  a fresh `python` process running a Keras script that builds the same model with the same
          seed; timed inside it from just before `fit` to just after `predict` on the test rows.
  mllab:  `Engine.submit` on warm workers; the figure is `JobState.result.duration_s`, which the
          worker measures around `run_training` (data preparation, model build, fit, predict and
          the full evaluation: confusion matrix, ROC curves...). The wall time from submit to the
          job being finished in the app process is printed as well (it adds Dask transfer and the
          watcher's 0.1 s polling).
  per epoch: mean time between the ends of consecutive epochs, (t_last - t_first) / (n - 1), which
          leaves out the first epoch (graph tracing). Plain: `on_epoch_end` timestamps. mllab: the
          history events carry no timestamp, so the times at which each epoch's event shows up in
          the app's JobState are used (polled every 5 ms; the engine's watcher drains the queue
          every 0.1 s, an error of about 0.2 s / (n - 1) per epoch). If a later version puts a
          timestamp in the events ("time", "timestamp", "t" or "wall_time"), that is used instead.

Random forest (digits, mllab's forest defaults: 200 trees, sqrt features, seed 42):
  plain:  a fresh process fitting `RandomForestClassifier(n_estimators=200, random_state=42,
          n_jobs=-1)` on the same split and predicting the test rows (timed fit -> predict).
  mllab:  `duration_s` of the engine job (mllab grows the forest in one fit, as the plain script
          does, and scores every finished tree's training and out-of-bag votes for the live curve on
          the thread that grew it, while the other threads grow theirs).
Same trees and seed on both sides, so both sides report the same test accuracy (printed as a
check that the work is the same).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

SEED = 42
FULL = {"cnn_epochs": 125, "rf_trees": 200, "repeats": 2}
QUICK = {"cnn_epochs": 3, "rf_trees": 20, "repeats": 1}
GOALS = {"cnn_total_ratio": 1.10, "cnn_epoch_ratio": 1.03, "rf_total_ratio": 1.10}
TIME_KEYS = ("time", "timestamp", "t", "wall_time")

# The same data preparation as mllab.prepare.prepare with the default PreprocessConfig:
# stratified 20 % test split with the seed, a standard scaler fitted on the training part, float32.
_PLAIN_DATA = r"""
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
seed = int(sys.argv[2])
digits = load_digits()
x = digits.images.reshape(len(digits.images), -1).astype(np.int64)
y = digits.target.astype(np.int64)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
scaler = StandardScaler().fit(x_train)
x_train = scaler.transform(x_train).astype(np.float32)
x_test = scaler.transform(x_test).astype(np.float32)
"""

PLAIN_KERAS = _PLAIN_DATA + r"""
epochs = int(sys.argv[1])
import keras
import tensorflow as tf
x_train, x_test = x_train.reshape(-1, 8, 8, 1), x_test.reshape(-1, 8, 8, 1)
keras.backend.clear_session()
keras.utils.set_random_seed(seed)
tf.config.experimental.enable_op_determinism()
stamps = []

class Stamp(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        stamps.append(time.perf_counter())

with tf.device("/CPU:0"):
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(), keras.layers.Dropout(0.25), keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax", name="output"),
    ], name="cnn_2d")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    started = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.1, shuffle=True, verbose=0,
              callbacks=[Stamp()])
    proba = model.predict(x_test, batch_size=1024, verbose=0)
    total = time.perf_counter() - started
print("RESULT " + json.dumps({"total_s": total, "stamps": stamps,
                              "accuracy": float((proba.argmax(1) == y_test).mean())}), flush=True)
"""

PLAIN_FOREST = _PLAIN_DATA + r"""
trees = int(sys.argv[1])
from sklearn.ensemble import RandomForestClassifier
forest = RandomForestClassifier(n_estimators=trees, random_state=seed, n_jobs=-1)
started = time.perf_counter()
forest.fit(x_train, y_train)
proba = forest.predict_proba(x_test)
total = time.perf_counter() - started
print("RESULT " + json.dumps({"total_s": total, "stamps": [],
                              "accuracy": float((proba.argmax(1) == y_test).mean())}), flush=True)
"""


def run_plain(script: str, amount: int) -> dict:
    """Run a plain script in a fresh interpreter; returns what it printed on its RESULT line."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-c", script, str(amount), str(SEED)], capture_output=True, text=True,
                          env=env, timeout=1200)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"plain script failed (rc {done.returncode}):\n{done.stderr[-3000:]}")


def mean_epoch(stamps: list[float]) -> float:
    """Mean time between consecutive epoch ends, first epoch left out."""
    if len(stamps) < 2:
        return float("nan")
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1)


def _event_time(event: dict) -> float | None:
    for key in TIME_KEYS:
        if isinstance(event.get(key), (int, float)):
            return float(event[key])
    return None


def run_mllab(engine, spec, owner: str = "bench", observe=None) -> dict:
    """Submit on the engine; follow the job from the app side until it ends. `observe(job_id)`, when
    given, returns an observer to attach (bench/store_sessions.py: the run store's recorder)."""
    started = time.perf_counter()
    job = engine.submit(spec, owner)
    if observe is not None:
        engine.observe(job, observe(job))
    arrivals: dict[int, float] = {}
    deadline = time.monotonic() + 1200
    while True:
        if hasattr(engine, "touch"):  # pages tell the engine their session is alive; so does this loop
            engine.touch(owner)
        state = engine.job(job, owner)
        now = time.perf_counter()
        for event in state.history:
            arrivals.setdefault(event["step"], now)
        if state.finished:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job} did not finish")
        time.sleep(0.005)
    wall = time.perf_counter() - started
    if state.status != "completed":
        raise RuntimeError(f"mllab job ended {state.status}: {state.error}")
    result = state.result
    stamped = [_event_time(e) for e in result.history]
    if result.history and all(t is not None for t in stamped):
        stamps, source = stamped, "event timestamps"
    else:
        stamps = [arrivals[e["step"]] for e in result.history if e["step"] in arrivals]
        source = "arrival in the app's JobState"
    engine.forget(job, owner)
    return {"total_s": result.duration_s, "wall_s": wall, "stamps": stamps, "stamp_source": source,
            "accuracy": result.evaluation.accuracy}


def run(quick: bool = False, engine=None) -> dict:
    """The figures as a dict. `engine`: an Engine to use (left running) instead of a fresh one."""
    from mllab.datasets.builtin import load_builtin
    from mllab.training.engine import Engine
    from mllab.prepare.preprocessing import PreprocessConfig
    from mllab.training.spec import TrainingSpec

    settings = QUICK if quick else FULL
    digits = load_builtin("digits")
    cnn_spec = TrainingSpec(dataset=digits, target="digit", preprocessing=PreprocessConfig(), family="cnn",
                            params={"epochs": settings["cnn_epochs"]})
    rf_spec = TrainingSpec(dataset=digits, target="digit", preprocessing=PreprocessConfig(),
                           family="random_forest", params={"n_estimators": settings["rf_trees"]})

    owned = engine is None
    engine = Engine(n_workers=2) if owned else engine
    try:
        if not engine.wait_ready(180):
            raise RuntimeError(engine.start_error or "engine did not start")
        deadline = time.monotonic() + 180
        while engine.devices() is None:  # the device query imports TensorFlow: workers are warm after it
            if engine.device_error or time.monotonic() > deadline:
                raise RuntimeError(engine.device_error or "workers did not import TensorFlow")
            time.sleep(0.1)
        cnn_plain, cnn_mllab, rf_plain, rf_mllab = [], [], [], []
        for repeat in range(settings["repeats"]):
            # Alternate which side goes first so slow drift of the machine does not favour one.
            order = ((cnn_plain, lambda: run_plain(PLAIN_KERAS, settings["cnn_epochs"])),
                     (cnn_mllab, lambda: run_mllab(engine, cnn_spec)))
            for bucket, measure in (order if repeat % 2 == 0 else order[::-1]):
                bucket.append(measure())
            order = ((rf_plain, lambda: run_plain(PLAIN_FOREST, settings["rf_trees"])),
                     (rf_mllab, lambda: run_mllab(engine, rf_spec)))
            for bucket, measure in (order if repeat % 2 == 0 else order[::-1]):
                bucket.append(measure())
    finally:
        if owned:
            engine.close()

    med = statistics.median
    figures = {
        "cnn_epochs": float(settings["cnn_epochs"]),
        "cnn_plain_total_s": med(r["total_s"] for r in cnn_plain),
        "cnn_mllab_total_s": med(r["total_s"] for r in cnn_mllab),
        "cnn_mllab_wall_s": med(r["wall_s"] for r in cnn_mllab),
        "cnn_plain_epoch_s": med(mean_epoch(r["stamps"]) for r in cnn_plain),
        "cnn_mllab_epoch_s": med(mean_epoch(r["stamps"]) for r in cnn_mllab),
        "cnn_plain_accuracy": med(r["accuracy"] for r in cnn_plain),
        "cnn_mllab_accuracy": med(r["accuracy"] for r in cnn_mllab),
        "rf_trees": float(settings["rf_trees"]),
        "rf_plain_total_s": med(r["total_s"] for r in rf_plain),
        "rf_mllab_total_s": med(r["total_s"] for r in rf_mllab),
        "rf_mllab_wall_s": med(r["wall_s"] for r in rf_mllab),
        "rf_plain_accuracy": med(r["accuracy"] for r in rf_plain),
        "rf_mllab_accuracy": med(r["accuracy"] for r in rf_mllab),
    }
    figures["cnn_total_ratio"] = figures["cnn_mllab_total_s"] / figures["cnn_plain_total_s"]
    figures["cnn_wall_ratio"] = figures["cnn_mllab_wall_s"] / figures["cnn_plain_total_s"]
    figures["cnn_epoch_ratio"] = figures["cnn_mllab_epoch_s"] / figures["cnn_plain_epoch_s"]
    figures["rf_total_ratio"] = figures["rf_mllab_total_s"] / figures["rf_plain_total_s"]
    figures["rf_wall_ratio"] = figures["rf_mllab_wall_s"] / figures["rf_plain_total_s"]
    figures["repeats"] = float(settings["repeats"])
    figures["epoch_time_source"] = cnn_mllab[0]["stamp_source"]
    return figures


def print_table(figures: dict) -> None:
    f = figures
    print(f"repeats: {f['repeats']:.0f} (medians); CNN {f['cnn_epochs']:.0f} epochs, forest {f['rf_trees']:.0f} trees")
    print(f"{'':34} {'plain':>9} {'mllab':>9} {'ratio':>7} {'goal':>6}")
    print(f"{'CNN fit..predict / duration_s':34} {f['cnn_plain_total_s']:8.2f}s {f['cnn_mllab_total_s']:8.2f}s "
          f"{f['cnn_total_ratio']:7.3f} {'<=1.10':>6}")
    print(f"{'CNN per epoch':34} {f['cnn_plain_epoch_s']:8.3f}s {f['cnn_mllab_epoch_s']:8.3f}s "
          f"{f['cnn_epoch_ratio']:7.3f} {'<=1.03':>6}")
    print(f"{'CNN submit..finished in app':34} {'':9} {f['cnn_mllab_wall_s']:8.2f}s {f['cnn_wall_ratio']:7.3f}")
    print(f"{'forest fit..predict / duration_s':34} {f['rf_plain_total_s']:8.2f}s {f['rf_mllab_total_s']:8.2f}s "
          f"{f['rf_total_ratio']:7.3f} {'<=1.10':>6}")
    print(f"{'forest submit..finished in app':34} {'':9} {f['rf_mllab_wall_s']:8.2f}s {f['rf_wall_ratio']:7.3f}")
    print(f"test accuracy CNN plain {f['cnn_plain_accuracy']:.4f} / mllab {f['cnn_mllab_accuracy']:.4f}; "
          f"forest plain {f['rf_plain_accuracy']:.4f} / mllab {f['rf_mllab_accuracy']:.4f}")
    print(f"mllab per-epoch times from: {f['epoch_time_source']}")


def main() -> None:
    harness.main(harness.parser(__doc__, "a few epochs and trees, one repeat"), run, print_table)


if __name__ == "__main__":
    main()
