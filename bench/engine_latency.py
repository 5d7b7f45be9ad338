"""Train -> first epoch on screen, and Stop -> run ended, for mllab's engine vs a plain Keras script.

Run: .venv/bin/python bench/engine_latency.py [--repeats 3] [--quick] [--json out.json]

Both sides train the same MLP (digits, 64-32-10, Adam, batch 32) in the same run of this script,
so the printed ratio holds even on a noisy machine where absolute times drift.
  plain:  a fresh `python` process that imports Keras and trains; time from launch to the end
          of its first epoch (what a user of a plain script waits for).
  mllab:  Engine.submit on warm workers (TensorFlow already imported) to the first epoch in the
          app process's JobState (what the page draws on its next poll, <= 0.5 s later).
  stop:   Engine.stop to the job being finished, partial model evaluated.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

PLAIN_SCRIPT = """
import os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import keras
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler
x, y = load_digits(return_X_y=True)
x = StandardScaler().fit_transform(x).astype("float32")
keras.utils.set_random_seed(42)
model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
class First(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            print("first-epoch", flush=True)
model.fit(x, y, epochs=3, batch_size=32, validation_split=0.2, verbose=0, callbacks=[First()])
"""


def plain_first_epoch() -> float:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", PLAIN_SCRIPT], stdout=subprocess.PIPE, text=True)
    for line in process.stdout:
        if line.startswith("first-epoch"):
            elapsed = time.perf_counter() - started
            break
    process.wait()
    return elapsed


def run(quick: bool = False, repeats: int | None = None, engine=None) -> dict:
    """The figures as a dict; --quick is one repeat. `engine`: one to use (left running) instead of a fresh one."""
    repeats = repeats or (1 if quick else 3)
    from mllab.datasets.builtin import load_builtin
    from mllab.training.engine import Engine
    from mllab.prepare.preprocessing import PreprocessConfig
    from mllab.training.spec import TrainingSpec

    owned = engine is None
    engine = Engine(n_workers=2) if owned else engine
    assert engine.wait_ready(120), engine.start_error
    while engine.devices() is None:  # the device query imports TensorFlow: the workers are warm
        time.sleep(0.1)
    digits = load_builtin("digits")

    def spec(epochs: int, batch: int) -> TrainingSpec:
        return TrainingSpec(dataset=digits, target="digit", preprocessing=PreprocessConfig(), family="mlp",
                            params={"hidden_layers": "32", "epochs": epochs, "batch_size": batch})

    def wait(job_id, condition, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if hasattr(engine, "touch"):  # a page would say its session is alive on every rerun
                engine.touch("bench")
            state = engine.job(job_id, "bench")
            if condition(state):
                return state
            time.sleep(0.005)
        raise TimeoutError(job_id)

    first_epoch, stop, plain = [], [], []
    try:
        for _ in range(repeats):
            plain.append(plain_first_epoch())
            started = time.perf_counter()
            job = engine.submit(spec(3, 32), "bench")
            wait(job, lambda s: s.history)
            first_epoch.append(time.perf_counter() - started)
            wait(job, lambda s: s.finished)

            job = engine.submit(spec(500, 1), "bench")
            wait(job, lambda s: s.history)
            started = time.perf_counter()
            engine.stop(job, "bench")
            state = wait(job, lambda s: s.finished)
            stop.append(time.perf_counter() - started)
            assert state.status == "stopped", state.status
    finally:
        if owned:
            engine.close()

    med = statistics.median
    return {"repeats": float(repeats), "plain_first_epoch_s": med(plain), "mllab_first_epoch_s": med(first_epoch),
            "first_epoch_ratio": med(first_epoch) / med(plain), "stop_s": med(stop)}


def print_table(figures: dict) -> None:
    f = figures
    print(f"repeats: {f['repeats']:.0f} (medians shown)")
    print(f"plain Keras script, launch -> first epoch:   {f['plain_first_epoch_s']:6.2f} s")
    print(f"mllab engine, Train -> first epoch in app:   {f['mllab_first_epoch_s']:6.2f} s")
    print(f"ratio mllab / plain (goal <= 0.5):           {f['first_epoch_ratio']:6.2f}")
    print(f"mllab Stop -> run ended and evaluated:       {f['stop_s']:6.2f} s  (promise: within 2 s)")


def main() -> None:
    def repeats(parser) -> None:
        parser.add_argument("--repeats", type=int, default=None, help="default 3 (1 with --quick)")

    harness.main(harness.parser(__doc__, "one repeat", first=repeats), run, print_table,
                 run_args=lambda args: (args.quick, args.repeats))


if __name__ == "__main__":
    main()
