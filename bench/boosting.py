"""Gradient boosting: mllab's training (live curve, Stop, pause) against a plain scikit-learn fit, time and memory.

Run: .venv/bin/python bench/boosting.py [--quick] [--json out.json]

Both sides get the same prepared data: the built-in dataset through mllab.prepare.prepare with the default
PreprocessConfig (stratified 20 % test split, seed 42, standard scaling), done before the clock starts. Then

  mllab:  FAMILIES["gradient_boosting"].train with a LocalReporter (mllab.training.spec), as a worker calls it:
          one fit whose loss is watched between iterations for the live curve (a point every
          max_iter // 50 iterations: the training loss and accuracy, the validation loss with early
          stopping) and asked about Stop, then predict_proba on the test rows;
  plain:  HistGradientBoostingClassifier with the same settings (mllab's defaults: learning rate 0.1,
          31 leaves, 20 rows a leaf, early stopping off, seed 42), fit, predict_proba on the test rows.

Each side runs in a fresh Python process of its own, alternating which goes first, so that its peak memory
(`resource.getrusage(RUSAGE_SELF).ru_maxrss`, loading and preparing included, the same on both sides) is its
own. The test accuracies are printed as the check that both did the same work (they are equal: the same fit).
Datasets: digits (1,797 images of 8x8), the OGLE-III subset (8,829 stars) and the full OGLE-III catalogue
(built-in "ogle3_full", ~400k stars). Goals: within 1.10x on the small sets; on the full catalogue within
1.2x the time and 1.5x the peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

SEED = 42
# (dataset, iterations) per mode; the full catalogue is the slow one.
FULL = {"sets": (("digits", 100), ("ogle3", 100), ("ogle3_full", 100)), "repeats": 3}
QUICK = {"sets": (("digits", 30), ("ogle3", 30), ("ogle3_full", 10)), "repeats": 1}
GOALS = {"small_time_ratio": 1.10, "full_time_ratio": 1.2, "full_memory_ratio": 1.5}


def _prepared(key: str):
    from mllab.datasets.builtin import load_builtin
    from mllab.prepare.preprocessing import PreprocessConfig, prepare

    dataset = load_builtin(key)
    return prepare(dataset.frame, dataset.target, dataset.feature_columns(dataset.target),
                   PreprocessConfig(seed=SEED))


def child(side: str, key: str, iterations: int) -> None:
    """One side on one dataset, in this fresh process; prints its figures on a RESULT line."""
    from mllab.models import FAMILIES, DataInfo
    from mllab.models.base import Device
    from mllab.models.gradient_boosting import _settings
    from mllab.training.spec import LocalReporter

    data = _prepared(key)
    family = FAMILIES["gradient_boosting"]
    values = family.validate({**family.defaults(), "max_iter": iterations})
    info = DataInfo("table", data.x_train.shape[1], data.n_classes)
    started = time.perf_counter()
    if side == "mllab":
        reporter = LocalReporter()
        proba = family.train(values, data, info, reporter, Device(), SEED).test_proba
        points = len(reporter.history)
    else:
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(**_settings(values, False, SEED)).fit(data.x_train, data.y_train)
        proba = model.predict_proba(data.x_test)
        points = 0
    total = time.perf_counter() - started
    print("RESULT " + json.dumps({"total_s": total, "points": points, "rows": len(data.y_train),
                                  "accuracy": float((proba.argmax(1) == data.y_test).mean()),
                                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}),
          flush=True)


def _side(side: str, key: str, iterations: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--side", side, "--data", key, "--iterations", str(iterations)],
                          capture_output=True, text=True, timeout=3600, cwd=ROOT)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"{side} on {key} failed (rc {done.returncode}):\n{done.stderr[-3000:]}")


def run(quick: bool = False) -> dict:
    settings = QUICK if quick else FULL
    figures: dict = {"repeats": float(settings["repeats"])}
    for key, iterations in settings["sets"]:
        runs: dict[str, list[dict]] = {"mllab": [], "plain": []}
        for repeat in range(settings["repeats"]):
            order = ("plain", "mllab") if repeat % 2 == 0 else ("mllab", "plain")
            for side in order:
                runs[side].append(_side(side, key, iterations))
        med = statistics.median
        for side, results in runs.items():
            figures[f"{key}_{side}_s"] = med(r["total_s"] for r in results)
            figures[f"{key}_{side}_mb"] = med(r["maxrss_mb"] for r in results)
            figures[f"{key}_{side}_accuracy"] = med(r["accuracy"] for r in results)
        figures[f"{key}_iterations"] = float(iterations)
        figures[f"{key}_rows"] = float(runs["plain"][0]["rows"])
        figures[f"{key}_points"] = float(runs["mllab"][0]["points"])
        figures[f"{key}_time_ratio"] = figures[f"{key}_mllab_s"] / figures[f"{key}_plain_s"]
        figures[f"{key}_memory_ratio"] = figures[f"{key}_mllab_mb"] / figures[f"{key}_plain_mb"]
    return figures


def print_table(figures: dict) -> None:
    print(f"repeats: {figures['repeats']:.0f} (medians); time = fit + predict_proba on prepared data")
    print(f"{'':28} {'plain':>9} {'mllab':>9} {'ratio':>7} {'goal':>6}   test accuracy plain / mllab")
    for key in ("digits", "ogle3", "ogle3_full"):
        if f"{key}_time_ratio" not in figures:
            continue
        f = {name[len(key) + 1:]: value for name, value in figures.items() if name.startswith(key + "_")}
        full = key == "ogle3_full"
        label = f"{key} ({f['rows']:,.0f} rows, {f['iterations']:.0f} it.)"
        print(f"{label:28} {f['plain_s']:8.2f}s {f['mllab_s']:8.2f}s {f['time_ratio']:7.3f} "
              f"{'<=1.2' if full else '<=1.10':>6}   {f['plain_accuracy']:.4f} / {f['mllab_accuracy']:.4f}")
        print(f"{'  peak memory':28} {f['plain_mb']:7.0f}MB {f['mllab_mb']:7.0f}MB {f['memory_ratio']:7.3f} "
              f"{'<=1.5' if full else '':>6}   ({f['points']:.0f} curve points)")


def _options(parser) -> None:
    parser.add_argument("--side", choices=("mllab", "plain"), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--iterations", type=int, help=argparse.SUPPRESS)


def main() -> None:
    harness.main(harness.parser(__doc__, "fewer iterations, one repeat", first=_options), run, print_table,
                 child=lambda args: child(args.side, args.data, args.iterations))


if __name__ == "__main__":
    main()
