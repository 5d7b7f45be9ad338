"""The full OGLE-III catalogue (~400k stars) classified by a forest trained on a subset of it: mllab's
Predict path vs a plain script doing the same work.

Run: .venv/bin/python bench/predict_full.py [--quick] [--json out.json]

Set-up (not timed): the catalogue is decompressed (bench/ogle_full.py's catalogue_text); every 20th star
is read and cleaned as the Data page does it (-99.99 made missing, log_P = log10(P_1) and
V_minus_I = V - I as new columns, the other columns left out) and a random forest is trained on it
with its model kept, as the Train page does by default. The kept model's zip and the run's cleaning
are what the Predict page has.

Each side then runs in a fresh Python process, imports done, alternating which goes first, timed from
the file's bytes in memory to the predictions written as a CSV file:

  mllab:  mllab.io.read_upload (format, delimiter and header detection) ->
          mllab.training.prediction.run_prediction (the kept model opened with skops, the run's cleaning
          applied, the columns checked, predicted in chunks with progress and Stop checks, every input
          column carried along) -> mllab.io.table_writers.table_bytes(…, "csv") -> the file.
  plain:  pandas.read_csv(sep="\\t", comment="#", names from the '# ID' line) -> the same two new columns
          and missing values in pandas -> the same fitted preprocessing and forest, loaded from the
          same zip with skops -> predict_proba -> the input columns plus the predicted class and the
          probabilities -> DataFrame.to_csv -> the file.

Full mode adds a diagnostic third side, mllab_engine: the mllab side's work submitted to a warm Engine
(2 local Dask workers) as the Predict page does, the frame travelling to a worker and the result back.
Both sides must predict the same class for every star: printed as the check that the work is the same.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

from bench.ogle_full import (MISSING, RAW, TARGET, catalogue_text, clean_like_the_data_page,  # noqa: E402
                             read_plain, run_child)

TRAIN_EVERY = 20
FULL = {"every": 1, "repeats": 3, "trees": 100}
QUICK = {"every": 50, "repeats": 1, "trees": 20}  # every 50th star (~8k rows) predicted
GOALS = {"time_ratio": 1.3}


def train_kept_model(trees: int) -> tuple[bytes, dict]:
    """A forest trained on every TRAIN_EVERY-th star, as the Train page does with its model kept."""
    from mllab.prepare.cleaning import CleaningChoices
    from mllab.prepare.formulas import DerivedColumn
    from mllab.prepare.preprocessing import PreprocessConfig
    from mllab.training.holdout import run_training
    from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec

    path = catalogue_text(TRAIN_EVERY)
    dataset, _ = clean_like_the_data_page(path.read_bytes(), path.name)
    spec = validate_spec(TrainingSpec(dataset=dataset, target=TARGET, preprocessing=PreprocessConfig(),
                                      family="random_forest", params={"n_estimators": trees}, keep_model=True))
    result = run_training(spec, LocalReporter())
    kept = {"I", "A_1", TARGET}
    from mllab.io.upload import read_upload

    columns = read_upload(path.name, path.read_bytes()).frame.columns
    choices = CleaningChoices(
        target=TARGET, missing=tuple((column, MISSING) for column in RAW),
        derived=(DerivedColumn("log_P", "log10(P_1)"), DerivedColumn("V_minus_I", "V - I")),
        excluded=tuple(c for c in columns if c not in kept))
    return result.model_file.data, choices.as_dict()


def side_mllab(data: bytes, filename: str, model_zip: bytes, cleaning: dict, out: Path, engine=None) -> dict:
    from mllab.io.table_writers import table_bytes
    from mllab.io.upload import read_upload
    from mllab.training.prediction import PredictionSpec, run_prediction
    from mllab.training.spec import LocalReporter

    rows = read_upload(filename, data)
    spec = PredictionSpec(model_zip=model_zip, rows=rows, cleaning=cleaning, family="random_forest")
    if engine is None:
        result = run_prediction(spec, LocalReporter())
    else:
        job = engine.submit(spec, "bench")
        while not (state := engine.job(job, "bench")).finished:
            engine.touch("bench")
            time.sleep(0.02)
        if state.status != "completed":
            raise RuntimeError(f"engine job ended {state.status}: {state.error}")
        result = state.result
    out.write_bytes(table_bytes(result.table, "csv"))
    return {"rows": result.n_rows, "predicted": list(result.table[result.prediction_column])}


def side_plain(data: bytes, filename: str, model_zip: bytes, cleaning: dict, out: Path) -> dict:
    import io
    import zipfile

    import numpy as np
    import pandas as pd
    import skops.io as sio

    frame = read_plain(data)
    for column in RAW:
        frame[column] = frame[column].where(frame[column] != MISSING)
    frame["log_P"] = np.log10(frame["P_1"])
    frame["V_minus_I"] = frame["V"] - frame["I"]
    with zipfile.ZipFile(io.BytesIO(model_zip)) as archive:
        info = json.loads(archive.read("model_info.json"))
        load = {name: sio.loads(archive.read(name), trusted=sio.get_untrusted_types(data=archive.read(name)))
                for name in ("preprocessing.skops", "model.skops")}
    x = load["preprocessing.skops"].transform(frame[info["input_columns"]]).astype("float32")
    proba = load["model.skops"].predict_proba(x)
    classes = np.asarray(info["class_names"], dtype=object)
    result = frame.assign(**{f"predicted_{TARGET}": classes[proba.argmax(axis=1)]})
    result = pd.concat([result, pd.DataFrame(proba, columns=[f"P_{c}" for c in classes])], axis=1)
    result.to_csv(out, index=False)
    return {"rows": len(result), "predicted": list(result[f"predicted_{TARGET}"])}


def child(side: str, path: Path, setup: Path) -> None:
    import importlib
    import resource

    if side.startswith("mllab"):
        from mllab.training.worker_plugins import WORKER_SKLEARN_MODULES

        modules = ("mllab.io", "mllab.prepare", "mllab.training", "mllab.training.prediction", "skops.io",
                   *WORKER_SKLEARN_MODULES)
    else:
        modules = ("pandas", "skops.io", "sklearn.ensemble", "sklearn.impute", "sklearn.compose")
    for module in modules:
        importlib.import_module(module)
    engine = None
    if side == "mllab_engine":
        from mllab.training.engine import Engine

        engine = Engine(n_workers=2)
        if not engine.wait_ready(180):
            raise RuntimeError(engine.start_error)
        while engine.devices() is None:
            time.sleep(0.1)
        # Both workers done with their start-up imports (TensorFlow takes seconds of CPU in the background):
        # in the app they are warm long before anyone predicts; here they would compete with the timed work.
        from mllab.models.keras_common import import_tensorflow

        engine._client.run(import_tensorflow)
    stored = json.loads(setup.read_text())
    model_zip, cleaning = bytes.fromhex(stored["zip"]), stored["cleaning"]
    out = Path(tempfile.mkdtemp(prefix="mllab-bench-predict-")) / "predictions.csv"
    data = path.read_bytes()
    started = time.perf_counter()
    if side == "plain":
        result = side_plain(data, path.name, model_zip, cleaning, out)
    else:
        result = side_mllab(data, path.name, model_zip, cleaning, out, engine)
    total = time.perf_counter() - started
    if engine is not None:
        engine.close()
    import hashlib

    print("RESULT " + json.dumps({
        "total_s": total, "rows": result["rows"], "csv_mb": out.stat().st_size / 1e6,
        "predicted_sha": hashlib.sha256("\n".join(map(str, result["predicted"])).encode()).hexdigest(),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)


def run_side(side: str, path: Path, setup: Path) -> dict:
    return run_child(Path(__file__), side, ["--file", str(path), "--setup", str(setup)])


def run(quick: bool = False) -> dict:
    settings = QUICK if quick else FULL
    model_zip, cleaning = train_kept_model(settings["trees"])
    setup = Path(tempfile.mkdtemp(prefix="mllab-bench-predict-")) / "setup.json"
    setup.write_text(json.dumps({"zip": model_zip.hex(), "cleaning": cleaning}))
    path = catalogue_text(settings["every"])
    results: dict[str, list[dict]] = {"mllab": [], "plain": []}
    if not quick:
        results["mllab_engine"] = []
    for repeat in range(settings["repeats"]):
        for side in sorted(results, reverse=repeat % 2 == 1):
            results[side].append(run_side(side, path, setup))
    shas = {r["predicted_sha"] for runs in results.values() for r in runs}
    med = statistics.median
    figures: dict = {"trees": float(settings["trees"]), "repeats": float(settings["repeats"]),
                     "same_predictions": 1.0 if len(shas) == 1 else 0.0}
    for side, runs in results.items():
        for key in ("total_s", "rows", "csv_mb", "maxrss_mb"):
            figures[f"{side}_{key}"] = float(med(r[key] for r in runs))
    figures["time_ratio"] = figures["mllab_total_s"] / figures["plain_total_s"]
    figures["memory_ratio"] = figures["mllab_maxrss_mb"] / figures["plain_maxrss_mb"]
    if "mllab_engine" in results:
        figures["engine_time_ratio"] = figures["mllab_engine_total_s"] / figures["plain_total_s"]
        del figures["mllab_engine_maxrss_mb"]  # the app process only; the worker holds the rows
    return figures


def print_table(figures: dict) -> None:
    print(f"{int(figures['plain_rows']):,} stars predicted by a {int(figures['trees'])}-tree forest "
          f"(median of {int(figures['repeats'])}); same class for every star on both sides: "
          f"{'yes' if figures['same_predictions'] else 'NO'}")
    print(f"{'side':<14}{'total s':>10}{'peak MB':>10}{'CSV MB':>9}")
    for side in ("plain", "mllab", "mllab_engine"):
        if f"{side}_total_s" in figures:
            peak = figures.get(f"{side}_maxrss_mb")
            print(f"{side:<14}{figures[f'{side}_total_s']:>10.2f}{'' if peak is None else f'{peak:10.0f}':>10}"
                  f"{figures[f'{side}_csv_mb']:>9.1f}")
    print(f"time ratio mllab / plain: {figures['time_ratio']:.2f} (goal ≤ {GOALS['time_ratio']})")
    print(f"memory ratio mllab / plain: {figures['memory_ratio']:.2f}")
    if "engine_time_ratio" in figures:
        print(f"through the engine (diagnostic): {figures['engine_time_ratio']:.2f}")


def main() -> None:
    parser = harness.parser(__doc__, "every 50th star, 20 trees, one run per side", json_help=None)
    parser.add_argument("--side")
    parser.add_argument("--file", type=Path)
    parser.add_argument("--setup", type=Path)
    harness.main(parser, run, print_table, child=lambda args: child(args.side, args.file, args.setup), indent=2)


if __name__ == "__main__":
    main()
