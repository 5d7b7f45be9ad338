"""K-fold runs: the chosen family trained once per fold.

The preprocessing (imputation, scaling, PCA) is fitted inside each fold on that fold's training
rows only, so no statistic of the rows a fold is scored on leaks into its model. Like
`holdout.run_training`, the code here knows nothing of Dask or Streamlit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mllab.errors import ParamError
from mllab.evaluation import evaluate, evaluate_regression, test_predictions
from mllab.evaluation.baseline import class_prior, classification_baseline, regression_baseline
from mllab.models import FAMILIES
from mllab.models.base import Device
from mllab.prepare import (LabelledData, PreprocessConfig, build_preprocessor, encoded_width, fit_and_transform,
                           label_data, regression_data)
from mllab.training.schemes import ValidationConfig, fold_indices
from mllab.training.scoring import Scorer, predictions, scorers_for
from mllab.training.judging import class_counts, judge, training_score
from mllab.training.spec import TrainingResult, TrainingSpec, data_info, is_redshift, task_of


def prepare_fold(labelled: LabelledData, train_rows: np.ndarray, test_rows: np.ndarray,
                 config: PreprocessConfig, task: str = "classification"):
    """The fold's PreparedData, with the preprocessing fitted on its training rows only; and that pipeline."""
    x_train = labelled.features.iloc[train_rows]
    x_test = labelled.features.iloc[test_rows]
    pipeline, dropped = build_preprocessor(x_train, config)
    if config.pca_components:
        width = min(encoded_width(pipeline, x_train), len(x_train))
        if config.pca_components > width:
            raise ParamError(f"PCA cannot keep {config.pca_components} components: a fold has only {width} "
                             f"features or rows after encoding. Choose at most {width}.")
    data = fit_and_transform(pipeline, dropped, labelled, x_train, x_test, labelled.labels[train_rows],
                             labelled.labels[test_rows], config, task)
    return data, pipeline


# -- results ------------------------------------------------------------------------------------
@dataclass
class FoldScore:
    repeat: int
    fold: int
    n_train: int
    n_test: int
    scores: dict[str, float]
    duration_s: float
    history: list[dict] = field(default_factory=list)
    baseline: dict[str, float] = field(default_factory=dict)  # the baseline's scores on this fold's test rows
    train_score: float | None = None  # accuracy or R² on (a sample of) the fold's training rows, when asked


@dataclass
class CrossValidationSummary:
    """The completed folds of one K-fold run and their scores."""

    config: ValidationConfig
    task: str
    n_planned: int
    folds: list[FoldScore] = field(default_factory=list)
    redshift: bool = False  # a photometric-redshift regression: each fold's NMAD too

    @property
    def scorers(self) -> tuple[Scorer, ...]:
        return scorers_for(self.task, self.redshift)

    @property
    def complete(self) -> bool:
        return len(self.folds) == self.n_planned

    def values(self, name: str) -> np.ndarray:
        return np.array([f.scores[name] for f in self.folds], dtype=float)

    def mean(self, name: str) -> float:
        return float(self.values(name).mean()) if self.folds else float("nan")

    def std(self, name: str) -> float:
        # Population standard deviation over the folds, as scikit-learn's tutorials and the classic
        # Keras K-fold recipe print it ("75.0% (+/- 4.1%)").
        return float(self.values(name).std()) if self.folds else float("nan")

    def describe(self) -> str:
        return self.config.describe(self.task)

    def mean_and_std(self, scorer: Scorer) -> str:
        """e.g. "0.849 ± 0.005" or "0.0181 ± 0.0004": the spread to the mean's last decimal."""
        mean = scorer.format(self.mean(scorer.name))
        decimals = len(mean.split(".")[1]) if "." in mean else 0
        return f"{mean} ± {self.std(scorer.name):,.{decimals}f}"

    def baseline_mean(self, name: str) -> float | None:
        """The baseline's mean score over the folds (fitted on each fold's training rows)."""
        values = [f.baseline[name] for f in self.folds if name in f.baseline]
        return float(np.mean(values)) if values else None

    def headline(self) -> str:
        """e.g. "Stratified 10-fold: accuracy 0.752 ± 0.041", or "5-fold: R² 0.951 ± 0.004"."""
        first = self.scorers[0]
        text = f"{self.describe()}: {first.in_text} {self.mean_and_std(first)}"
        if not self.complete:
            text += f" ({len(self.folds)} of {self.n_planned} folds)"
        return text

    def table(self) -> pd.DataFrame:
        rows = []
        for fold in self.folds:
            row = {"Repeat": fold.repeat, "Fold": fold.fold, "Training rows": fold.n_train, "Test rows": fold.n_test}
            row.update({s.label: fold.scores[s.name] for s in self.scorers})
            row["Duration (s)"] = round(fold.duration_s, 1)
            rows.append(row)
        table = pd.DataFrame(rows)
        if self.config.repeats == 1 and not table.empty:
            table = table.drop(columns="Repeat")
        return table


class _FoldReporter:
    """Passes a fold's curve on with its fold number; Stop is the run's Stop."""

    def __init__(self, reporter, repeat: int, fold: int, history: list[dict], forward_steps: bool = True):
        self._reporter, self._repeat, self._fold = reporter, repeat, fold
        self._history = history
        self._forward_steps = forward_steps

    def report(self, event: dict) -> None:
        if "step" in event:
            self._history.append(event)
            if self._forward_steps:
                self._reporter.report({**event, "fold": self._fold, "repeat": self._repeat})
        elif event.get("type") == "summary" and self._forward_steps:
            self._reporter.report(event)

    def should_stop(self) -> bool:
        return self._reporter.should_stop()


@dataclass
class FoldRunOutcome:
    summary: CrossValidationSummary
    stopped: bool
    # Out-of-fold predictions of the first repeat: each row predicted once, by the model that did not
    # train on it. NaN rows belong to folds that did not finish.
    out_of_fold: np.ndarray | None
    labelled: LabelledData
    device_used: str
    model_summary: str | None
    notes: list[str]
    # The baseline's out-of-fold output for the same rows: the class shares (or the mean) of each
    # row's fold's training rows.
    baseline_out_of_fold: np.ndarray | None = None
    last_x_train: np.ndarray | None = None  # the last finished fold's preprocessed training rows


def cross_validate(spec: "TrainingSpec", config: ValidationConfig, reporter, params: dict | None = None,
                   forward_steps: bool = True, score_training: bool = False) -> FoldRunOutcome:
    """Train and score one model per fold; Stop keeps the folds already finished.

    `params` overrides the spec's hyperparameters (a search candidate). Events: "part_started" when
    a fold starts (the engine starts a fresh live curve for it), the fold's per-step curve, and
    "part_done" with its scores. Each fold also scores the baseline on its test rows, and with
    `score_training` the model on a sample of its training rows (for the verdict).
    """

    family = FAMILIES[spec.family]
    params = spec.params if params is None else params
    task = task_of(spec)
    labelled = regression_data(spec.dataset.frame, spec.target, spec.feature_columns()) if task == "regression" \
        else label_data(spec.dataset.frame, spec.target, spec.feature_columns(), spec.dataset.class_labels)
    splits = fold_indices(labelled.labels, config, spec.seed, task)
    info = data_info(spec)
    summary = CrossValidationSummary(config=config, task=task, n_planned=len(splits), redshift=is_redshift(spec))
    scorers = summary.scorers
    n_classes = len(labelled.class_names)
    out_of_fold = np.full((len(labelled.labels), n_classes if task == "classification" else 1), np.nan)
    baseline_out_of_fold = np.full_like(out_of_fold, np.nan)
    stopped, device_used, model_summary, notes, last_x_train = False, "CPU", None, [], None
    for index, (repeat, fold, train_rows, test_rows) in enumerate(splits, start=1):
        if reporter.should_stop():
            stopped = True
            break
        started = time.perf_counter()
        where = f"fold {fold} of {config.n_folds}" + (f", repeat {repeat} of {config.repeats}"
                                                      if config.repeats > 1 else "")
        reporter.report({"type": "part_started", "index": index, "total": len(splits), "message": where.capitalize()})
        data, _ = prepare_fold(labelled, train_rows, test_rows, spec.preprocessing, task)
        history: list[dict] = []
        outcome = family.train(params, data, info, _FoldReporter(reporter, repeat, fold, history, forward_steps),
                               Device(spec.device, spec.mixed_precision), spec.seed)
        if outcome.stopped:  # a fold cut short would score a half-trained model: leave it out
            stopped = True
            break
        device_used, model_summary = outcome.device_used, outcome.summary or model_summary
        last_x_train = data.x_train
        for note in outcome.notes:
            if note not in notes:
                notes.append(note)
        predicted = predictions(task, outcome)
        scores = {s.name: s.score(data.y_test, predicted) for s in scorers}
        if task == "classification":
            baseline_output = np.tile(class_prior(data.y_train, n_classes), (len(test_rows), 1))
            baseline_predicted = baseline_output.argmax(axis=1)
        else:
            baseline_predicted = np.full(len(test_rows), float(np.mean(data.y_train)))
            baseline_output = baseline_predicted[:, None]
        train_score = training_score(task, outcome.predictor, data.x_train, data.y_train, spec.seed, spec.family,
                                     history) if score_training else None
        summary.folds.append(FoldScore(repeat=repeat, fold=fold, n_train=len(train_rows), n_test=len(test_rows),
                                       scores=scores, duration_s=time.perf_counter() - started, history=history,
                                       baseline={s.name: s.score(data.y_test, baseline_predicted) for s in scorers},
                                       train_score=train_score))
        if repeat == 1:
            out_of_fold[test_rows] = (np.asarray(outcome.test_proba, dtype=float) if task == "classification"
                                      else predicted[:, None])
            baseline_out_of_fold[test_rows] = baseline_output
        reporter.report({"type": "part_done", "index": index, "total": len(splits), "repeat": repeat, "fold": fold,
                         "scores": scores})
    return FoldRunOutcome(summary=summary, stopped=stopped, out_of_fold=out_of_fold, labelled=labelled,
                          device_used=device_used, model_summary=model_summary, notes=notes,
                          baseline_out_of_fold=baseline_out_of_fold, last_x_train=last_x_train)


def run_cross_validation(spec: "TrainingSpec", reporter) -> "TrainingResult":
    """A K-fold training run: per-fold scores, and an evaluation of the pooled out-of-fold predictions.

    The confusion matrix and ROC curves of a K-fold run (a regression's predicted-vs-true and residual
    plots, R², RMSE and NMAD) are drawn from the out-of-fold predictions of the first repeat: every row
    that a finished fold scored, predicted by the model that never saw it.
    """

    started = time.perf_counter()
    info = data_info(spec)
    reporter.report({"type": "status", "message": "Preparing the folds"})
    run = cross_validate(spec, spec.validation, reporter, score_training=True)
    summary = run.summary
    if not summary.folds:
        raise ParamError("Stopped before the first fold finished, so there are no scores to show. "
                         "Train again and let at least one fold finish.")
    scored = ~np.isnan(run.out_of_fold).any(axis=1)
    if summary.task == "classification":
        evaluation = evaluate(run.labelled.labels[scored], run.out_of_fold[scored], run.labelled.class_names)
    else:
        evaluation = evaluate_regression(run.labelled.labels[scored], run.out_of_fold[scored, 0],
                                         redshift=summary.redshift, seed=spec.seed)
    output = run.out_of_fold[scored] if summary.task == "classification" else run.out_of_fold[scored, 0]
    labels = run.labelled.labels[scored]
    baseline = (classification_baseline(labels, run.baseline_out_of_fold[scored], run.labelled.class_names)
                if summary.task == "classification" else
                regression_baseline(labels, run.baseline_out_of_fold[scored, 0], summary.redshift))
    train_scores = [f.train_score for f in summary.folds if f.train_score is not None]
    verdict = judge(spec, evaluation, baseline, summary.folds[-1].history, stopped=run.stopped, pooled=True,
                    train_score=float(np.mean(train_scores)) if train_scores else None, x_train=run.last_x_train,
                    class_counts=({} if summary.task == "regression"
                                  else class_counts(run.labelled.labels, run.labelled.class_names)))
    predictions = test_predictions(run.labelled.rows[scored], run.labelled.labels[scored], output,
                                   run.labelled.class_names, summary.task, spec.seed)
    notes = list(run.notes)
    if run.labelled.dropped_missing_target:
        notes.append(f"{run.labelled.dropped_missing_target} rows without a target value were left out.")
    if run.stopped:
        notes.append(f"Stopped after {len(summary.folds)} of {summary.n_planned} folds; the scores below are "
                     "those of the finished folds.")
    last = summary.folds[-1]
    return TrainingResult(
        status="stopped" if run.stopped else "completed", history=last.history, evaluation=evaluation,
        device_used=run.device_used, duration_s=time.perf_counter() - started,
        n_train=last.n_train, n_test=int(scored.sum()), n_features=info.pca_components or info.n_features,
        model_summary=run.model_summary, notes=notes, cross_validation=summary, predictions=predictions,
        baseline=baseline, verdict=verdict,
    )
