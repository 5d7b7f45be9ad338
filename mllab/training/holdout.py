"""One training run on a hold-out split, from a dataset and settings to an evaluated model.

`run_training` is what a worker executes. It knows nothing of Dask or Streamlit: progress goes
to a Reporter, so the same code runs under the engine, in tests and in benchmarks. A K-fold run is
handed to `mllab.training.cross_validation`.
"""

from __future__ import annotations

import time

import numpy as np

from mllab.evaluation import (evaluate, evaluate_regression, holdout_baseline, measure_importance, test_predictions,
                              tree_diagram)
from mllab.models import FAMILIES
from mllab.models.base import Device
from mllab.prepare import prepare
from mllab.training.cross_validation import run_cross_validation
from mllab.training.judging import boundary_map, class_counts, judge, live_map_maker, training_score
from mllab.training.spec import TrainingResult, TrainingSpec, data_info, supplied_test_mask


def run_training(spec: TrainingSpec, reporter) -> TrainingResult:
    if spec.validation.is_kfold:
        return run_cross_validation(spec, reporter)
    started = time.perf_counter()
    family = FAMILIES[spec.family]
    reporter.report({"type": "status", "message": "Preparing the data"})
    data = prepare(spec.dataset.frame, spec.target, spec.feature_columns(), spec.preprocessing, task=spec.task,
                   test_mask=supplied_test_mask(spec), class_labels=spec.dataset.class_labels)
    info = data_info(spec)
    reporter.report({"type": "status", "message": f"Training {family.label}"})
    history: list[dict] = []

    class Recording:
        # Keep our own copy of the curve so the result carries it even if a queue drops events.
        def report(self, event: dict) -> None:
            if "step" in event:
                history.append(event)
            reporter.report(event)

        def should_stop(self) -> bool:
            return reporter.should_stop()

    recording = Recording()
    recording.live_map = live_map_maker(spec, data)  # an MLP draws its boundary map every few epochs with it
    outcome = family.train(spec.params, data, info, recording, Device(spec.device, spec.mixed_precision), spec.seed)
    if spec.task == "regression":
        evaluation = evaluate_regression(data.y_test, outcome.test_prediction, redshift=spec.redshift, seed=spec.seed)
        output = outcome.test_prediction
    else:
        evaluation = evaluate(data.y_test, np.asarray(outcome.test_proba), data.class_names)
        output = outcome.test_proba
    predictions = test_predictions(data.test_rows, data.y_test, output, data.class_names, spec.task, spec.seed)
    duration_s = time.perf_counter() - started  # the training's, without the inspection and packing below
    baseline = holdout_baseline(spec.task, data.y_train, data.y_test, data.class_names, spec.redshift)
    labels = None if spec.task == "regression" else np.concatenate([data.y_train, data.y_test])
    verdict = judge(spec, evaluation, baseline, history, stopped=outcome.stopped, pooled=False, x_train=data.x_train,
                    train_score=None if outcome.stopped else training_score(
                        spec.task, outcome.predictor, data.x_train, data.y_train, spec.seed, spec.family, history),
                    class_counts={} if labels is None else class_counts(labels, data.class_names))
    importance = None
    if not outcome.stopped:  # Stop asked for the run to end: no further work on its model
        importance = measure_importance(outcome, data, spec.dataset.kind, spec.seed, reporter)
    boundary, boundary_note = boundary_map(spec, data, outcome, reporter)
    tree = None if outcome.tree is None else tree_diagram(outcome.tree, data, spec.preprocessing)
    model_file = None
    if spec.keep_model and outcome.model is not None:
        from mllab.training.model_export import export_model

        reporter.report({"type": "status", "message": "Packing the trained model for download"})
        model_file = export_model(spec, data, outcome, evaluation.summary())
    notes = list(outcome.notes) + ([boundary_note] if boundary_note else [])
    if data.dropped_missing_target:
        notes.append(f"{data.dropped_missing_target} rows without a target value were left out.")
    if data.dropped_columns:
        notes.append(f"Text columns left out (one-hot encoding is off): {', '.join(data.dropped_columns)}.")
    return TrainingResult(
        status="stopped" if outcome.stopped else "completed", history=history, evaluation=evaluation,
        device_used=outcome.device_used, duration_s=duration_s,
        n_train=len(data.y_train), n_test=len(data.y_test), n_features=data.x_train.shape[1],
        model_summary=outcome.summary, notes=notes, importance=importance, model_file=model_file, predictions=predictions,
        baseline=baseline, verdict=verdict, boundary=boundary, tree=tree,
        pca_variance_ratio=None if data.pca_variance_ratio is None else data.pca_variance_ratio.tolist(),
    )
