"""The family comparison's wall time on the OGLE-III subset against plain scripts fitting the same models.

Run: .venv/bin/python bench/family_comparison.py [--quick] [--json out.json]

mllab:  `plan_comparison` on the OGLE-III subset (the Workflows page's "lecture's classifiers": every classifier
        that fits, each with its data-fitted defaults, the default preprocessing, a 20 % stratified test split,
        seed 42, a PCA boundary map each), submitted together to an Engine of W warm workers (`alongside`), timed
        from the first submit until every run has ended in this process (data preparation, fit, the whole
        evaluation, the verdict and the map included).
plain:  each family's own exported code (`family.export`: plain scikit-learn or Keras, what the Export tab writes;
        the forest's out-of-bag curve included, as the page draws it), run in a fresh process on the same
        prepared split and timed around `train_model` only, one family after another.
ideal:  the longest plain fit × the number of families / W, the wall time the brief asks to be within 1.2 of; the
        sum of the plain fits / W (perfect packing) is printed beside it. Both sides run in the same run of this
        script, so the ratio holds on a noisy machine. `--quick`: a tenth of the rows per class and small models.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

GOAL = 1.2
QUICK_OVERRIDES = {"mlp": {"epochs": 10}, "random_forest": {"n_estimators": 50}}

_PLAIN = r"""
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
arrays = np.load(sys.argv[1])
task = json.load(open(sys.argv[2]))
# What the whole exported script defines before a family's part (the tree prints its rules with the names).
namespace = {"np": np, "N_CLASSES": task["n_classes"], "FEATURE_NAMES": task["feature_names"],
             "CLASS_NAMES": task["class_names"]}
exec(task["code"], namespace)
started = time.perf_counter()
proba, _ = namespace["train_model"](arrays["x_train"], arrays["y_train"], arrays["x_test"], task["seed"])
seconds = time.perf_counter() - started
accuracy = float(np.mean(np.asarray(proba).argmax(axis=1) == arrays["y_test"]))
print(json.dumps({"seconds": seconds, "accuracy": accuracy}))
"""


def _dataset(quick: bool):
    from mllab.presets import clean_with_defaults
    from mllab.datasets import load_builtin

    raw = load_builtin("ogle3")
    if quick:
        frame = raw.frame
        kept = [rows.index if len(rows) <= 200 else rows.sample(frac=0.1, random_state=0).index
                for _, rows in frame.groupby("Type")]
        raw.frame = frame.loc[np.sort(np.concatenate(kept))].reset_index(drop=True)
    return clean_with_defaults(raw, "Type").cleaned.dataset


def _plain(entries, folder: Path) -> dict[str, dict]:
    """Each family's exported code, fitted in a fresh process on the comparison's own split."""
    from mllab.prepare import prepare
    from mllab.training.spec import data_info

    spec = entries[0].spec
    data = prepare(spec.dataset.frame, spec.target, spec.feature_columns(), spec.preprocessing, task=spec.task)
    arrays = folder / "split.npz"
    np.savez(arrays, x_train=data.x_train, y_train=data.y_train, x_test=data.x_test, y_test=data.y_test)
    script = folder / "plain.py"
    script.write_text(_PLAIN)
    out = {}
    for entry in entries:
        from mllab.models import FAMILIES

        task = folder / f"{entry.family}.json"
        task.write_text(json.dumps({"code": FAMILIES[entry.family].export(entry.spec.params, data_info(entry.spec)),
                                    "n_classes": data.n_classes, "seed": entry.spec.seed,
                                    "feature_names": list(data.feature_names),
                                    "class_names": [str(name) for name in data.class_names]}))
        done = subprocess.run([sys.executable, str(script), str(arrays), str(task)], capture_output=True, text=True,
                              check=True)
        out[entry.family] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def _compare(engine, entries, owner: str) -> dict:
    """Submit the entries together, as the Train page does; the wall time until all have ended, and each run."""
    from mllab.training.family_comparison import submission_order

    started = time.perf_counter()
    jobs = {e.family: engine.submit(e.spec, owner, alongside=i > 0) for i, e in enumerate(submission_order(entries))}
    states = {}
    while len(states) < len(jobs):
        engine.touch(owner)
        for family, job_id in jobs.items():
            state = engine.job(job_id, owner)
            if state.finished and family not in states:
                states[family] = (state, time.perf_counter() - started)
        time.sleep(0.05)
    wall = time.perf_counter() - started
    return {"wall_s": wall, "runs": {
        family: {"status": state.status, "error": state.error, "ended_at_s": ended,
                 "duration_s": state.result.duration_s if state.result else None,
                 "accuracy": state.result.evaluation.accuracy if state.result else None}
        for family, (state, ended) in states.items()}}


def _mllab(entries, warm_up, workers: int) -> dict:
    from mllab.training import Engine

    engine = Engine(n_workers=workers)
    try:
        assert engine.wait_ready(180), engine.start_error
        # Warm workers, as a class finds them: every family's imports done (TensorFlow's too) by a small comparison.
        _compare(engine, warm_up, "bench-warm-up")
        return _compare(engine, entries, "bench")
    finally:
        engine.close()


def run(quick: bool, workers: int = 2) -> dict:
    from mllab.prepare import PreprocessConfig
    from mllab.training.family_comparison import plan_comparison

    dataset = _dataset(quick)
    entries = plan_comparison(dataset, "Type", "classification", PreprocessConfig(),
                              overrides=QUICK_OVERRIDES if quick else None)
    refused = {e.family: e.reason for e in entries if e.spec is None}
    entries = [e for e in entries if e.spec is not None]
    with tempfile.TemporaryDirectory() as folder:
        plain = _plain(entries, Path(folder))
    small = plan_comparison(_dataset(quick=True), "Type", "classification", PreprocessConfig(),
                            overrides={"mlp": {"epochs": 2}, "random_forest": {"n_estimators": 10}})
    mllab = _mllab(entries, [e for e in small if e.spec is not None], workers)
    longest = max(p["seconds"] for p in plain.values())
    ideal = longest * len(entries) / workers
    packed = sum(p["seconds"] for p in plain.values()) / workers
    return {"rows": len(dataset.frame), "workers": workers, "families": [e.family for e in entries],
            "refused": refused, "plain": plain, "mllab": mllab, "ideal_s": ideal, "packed_s": packed,
            "ratio": mllab["wall_s"] / ideal, "ratio_to_packed": mllab["wall_s"] / packed, "goal": GOAL}


def print_table(figures: dict) -> None:
    print(f"OGLE-III subset, {figures['rows']} rows, {figures['workers']} workers; refused: {figures['refused']}")
    print(f"{'family':<22}{'plain fit (s)':>15}{'plain acc':>11}{'mllab run (s)':>15}{'ended at (s)':>14}"
          f"{'mllab acc':>11}")
    for family in figures["families"]:
        plain, ours = figures["plain"][family], figures["mllab"]["runs"][family]
        print(f"{family:<22}{plain['seconds']:>15.2f}{plain['accuracy']:>11.3f}{ours['duration_s'] or 0:>15.2f}"
              f"{ours['ended_at_s']:>14.2f}{ours['accuracy'] or 0:>11.3f}")
    print(f"compare-all wall time {figures['mllab']['wall_s']:.2f} s; longest plain fit x families / workers "
          f"{figures['ideal_s']:.2f} s -> ratio {figures['ratio']:.2f} (goal <= {GOAL}); against the sum of the "
          f"plain fits / workers {figures['packed_s']:.2f} s -> {figures['ratio_to_packed']:.2f}")


if __name__ == "__main__":
    harness.main(harness.parser(__doc__, "a tenth of the rows and small models (a minute)"), run, print_table)
