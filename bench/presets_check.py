"""The figures the workflow presets promise (mllab/presets.py `expect`), measured again.

Run: .venv/bin/python bench/presets_check.py [--quick] [--only WORKFLOW] [--idx FOLDER]

Each step that trains (not the searches) goes through mllab.training.run_training, what a worker
runs, on the built-in dataset cleaned with the Data page's defaults. --quick skips the K-fold steps
(Pima's 10-fold cross-validation takes several minutes on two cores). --idx FOLDER reads the
MNIST-style IDX files in FOLDER as if chosen together in the uploader (MNIST itself, or the full
Fashion-MNIST) and runs the image workflows' hold-out steps on them instead.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def headline(result) -> str:
    evaluation = result.evaluation
    if evaluation.task == "regression":
        text = f"R² {evaluation.r2:.3f}"
        if evaluation.photo_z is not None:
            text += f", NMAD {evaluation.photo_z.nmad:.4f}, outliers {100 * evaluation.photo_z.outlier_fraction:.2f} %"
        return text
    text = f"accuracy {evaluation.accuracy:.3f}"
    val_losses = [e["val_loss"] for e in result.history if "val_loss" in e]
    if val_losses:  # where the validation loss bottomed out: after it, the network over-fits
        lowest = min(range(len(val_losses)), key=val_losses.__getitem__)
        text += f", validation loss lowest at epoch {lowest + 1} of {len(val_losses)} " \
                f"({val_losses[lowest]:.3f}, last {val_losses[-1]:.3f})"
    if result.cross_validation is not None:
        text += f" (out of fold); folds {result.cross_validation.headline()}"
    return text


def main() -> None:
    from mllab.presets import WORKFLOWS, load_workflow_data, training_spec
    from mllab.training.holdout import run_training
    from mllab.training.spec import LocalReporter

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the K-fold steps")
    parser.add_argument("--only", help="one workflow key")
    parser.add_argument("--idx", type=Path, help="a folder of MNIST-style IDX files (.gz or not)")
    args = parser.parse_args()
    uploaded = _read_idx_folder(args.idx) if args.idx else None
    for workflow in WORKFLOWS:
        if args.only and workflow.key != args.only:
            continue
        if uploaded is not None and workflow.also_fits != "image":
            continue
        data = uploaded or load_workflow_data(workflow)
        for step in workflow.steps:
            kfold = step.validation.get("scheme", "holdout") != "holdout"
            if step.search is not None or ((args.quick or uploaded) and kfold):
                continue
            spec = training_spec(workflow, step, data.cleaned.dataset,
                                 target=None if uploaded is None else uploaded.cleaned.dataset.target)
            started = time.perf_counter()
            result = run_training(spec, LocalReporter())
            print(f"{workflow.key:13} {step.key:10} {headline(result)}  [expect: {step.expect}]  "
                  f"{time.perf_counter() - started:.0f} s", flush=True)


def _read_idx_folder(folder: Path):
    from mllab.presets import clean_with_defaults
    from mllab.io.upload import read_uploads

    files = sorted(p for p in folder.iterdir() if "ubyte" in p.name)
    raw = read_uploads([(p.name, p.read_bytes()) for p in files])
    print(f"{raw.name}: {len(raw.frame):,} images {raw.image_shape}", flush=True)
    return clean_with_defaults(raw, raw.target)


if __name__ == "__main__":
    main()
