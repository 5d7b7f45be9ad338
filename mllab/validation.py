"""Validation schemes: hold-out, K-fold, stratified K-fold and repeated K-fold with reshuffling.

A K-fold run trains the chosen family once per fold. The preprocessing (imputation, scaling, PCA)
is fitted inside each fold on that fold's training rows only, so no statistic of the rows a fold
is scored on leaks into its model. Like `training.run_training`, the code here knows nothing of
Dask or Streamlit: it runs on a worker under the engine, and in tests with a LocalReporter.

Scores are plugged in per task (`SCORERS`): classification is scored by accuracy and macro F1; a
regression by R², RMSE and MAE, and a photometric redshift also by its NMAD (`scorers_for`).
Stratified schemes keep class proportions, so a regression's folds are plain shuffled (repeated) K-fold.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from mllab.errors import DataError, ParamError
from mllab.params import ChoiceParam, IntParam, validate_values
from mllab.preprocessing import (LabelledData, PreprocessConfig, _encoded_width, build_preprocessor, fit_and_transform,
                                 label_data, regression_data)

if TYPE_CHECKING:
    from mllab.training import TrainingResult, TrainingSpec

SCHEME_LABELS = {
    "holdout": "Hold-out (one test split)",
    "kfold": "K-fold (shuffled)",
    "stratified_kfold": "Stratified K-fold",
    "repeated_kfold": "Repeated K-fold (reshuffled each repeat; stratified for classes)",
}

VALIDATION_SCHEMA = (
    ChoiceParam("scheme", "Validation", "Hold-out trains once and scores on the test fraction. K-fold trains K "
                "models, each scored on a different fifth (tenth, …) of the rows, and reports the mean and spread "
                "of the scores: slower, but far less dependent on one lucky or unlucky split.", "holdout",
                tuple(SCHEME_LABELS), SCHEME_LABELS),
    IntParam("n_folds", "Folds (K)", "How many parts the rows are cut into; each part is the test set once.",
             5, 2, 20),
    IntParam("n_repeats", "Repeats (repeated K-fold only)",
             "How many times K-fold is run again on a fresh shuffle of the rows.", 3, 1, 10),
)


def scheme_param(task: str) -> ChoiceParam:
    """The validation choice as offered for this task: a regression has no classes to stratify by,
    so stratified K-fold is not offered and repeated K-fold says it is plain."""
    scheme = VALIDATION_SCHEMA[0]
    if task != "regression":
        return scheme
    return replace(scheme, options=tuple(o for o in scheme.options if o != "stratified_kfold"),
                   option_labels={**scheme.option_labels, "repeated_kfold": "Repeated K-fold (reshuffled each repeat)"})


@dataclass(frozen=True)
class ValidationConfig:
    scheme: str = "holdout"
    n_folds: int = 5
    n_repeats: int = 3

    @classmethod
    def from_values(cls, values: dict) -> "ValidationConfig":
        return cls(**validate_values(VALIDATION_SCHEMA, values))

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def is_kfold(self) -> bool:
        return self.scheme != "holdout"

    @property
    def repeats(self) -> int:
        return self.n_repeats if self.scheme == "repeated_kfold" else 1

    @property
    def n_splits(self) -> int:
        """Models trained in all: one for hold-out, K per repeat otherwise."""
        return self.n_folds * self.repeats if self.is_kfold else 1

    def describe(self, task: str = "classification") -> str:
        if self.scheme == "holdout":
            return "Hold-out"
        if self.scheme == "kfold":
            return f"{self.n_folds}-fold"
        if self.scheme == "stratified_kfold":
            return f"Stratified {self.n_folds}-fold"
        if task == "regression":  # repeated folds of a regression are plain: there are no classes to stratify
            return f"{self.n_folds}-fold × {self.n_repeats} repeats"
        return f"Stratified {self.n_folds}-fold × {self.n_repeats} repeats"


# -- scoring ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scorer:
    name: str
    label: str
    score: Callable[[np.ndarray, np.ndarray], float]  # (true values, predictions) -> score
    higher_is_better: bool = True
    # How a table prints the score: fixed decimals for scores between 0 and 1, significant figures
    # ("g") for errors in the target's units, which may be 0.018 (a redshift) or 23,000 (a price).
    number_format: str = ".3f"

    @property
    def in_text(self) -> str:
        """The label inside a sentence: "accuracy", but "R²" and "RMSE" keep their capitals."""
        return self.label if self.label[:2].isupper() or self.label == "R²" else self.label.lower()

    def format(self, value: float) -> str:
        """The score as a headline shows it: short enough for a metric tile, never in e-notation."""
        if not self.number_format.endswith("g") or not np.isfinite(value) or value == 0:
            return format(value, self.number_format)
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return np.format_float_positional(value, precision=3, unique=False, fractional=False, trim="k").rstrip(".")


def _accuracy(y_true, y_pred) -> float:
    return float(np.mean(y_true == y_pred))


def _macro_f1(y_true, y_pred) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, average="macro", zero_division=0))


def _r2(y_true, y_pred) -> float:
    from sklearn.metrics import r2_score

    return float(r2_score(y_true, y_pred))


def _rmse(y_true, y_pred) -> float:
    return float(np.sqrt(np.mean((np.asarray(y_true, float) - np.asarray(y_pred, float)) ** 2)))


def _mae(y_true, y_pred) -> float:
    return float(np.mean(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float))))


def _nmad(z_true, z_pred) -> float:
    from mllab.evaluation import photo_z_metrics

    return photo_z_metrics(z_true, z_pred).nmad


SCORERS: dict[str, tuple[Scorer, ...]] = {
    "classification": (Scorer("accuracy", "Accuracy", _accuracy), Scorer("macro_f1", "Macro F1", _macro_f1)),
    "regression": (Scorer("r2", "R²", _r2), Scorer("rmse", "RMSE", _rmse, higher_is_better=False, number_format=".4g"),
                   Scorer("mae", "MAE", _mae, higher_is_better=False, number_format=".4g")),
}
NMAD_SCORER = Scorer("nmad", "NMAD", _nmad, higher_is_better=False, number_format=".4f")


def scorers_for(task: str, redshift: bool = False) -> tuple[Scorer, ...]:
    """The scores of a task; a regression on redshifts also gets the astronomers' NMAD of Δz/(1+z)."""
    return SCORERS[task] + ((NMAD_SCORER,) if redshift and task == "regression" else ())


def score_in_text(name: str) -> str:
    """How a score known by its name reads in a sentence (live events carry names only)."""
    known = {s.name: s for scorers in SCORERS.values() for s in scorers}
    known[NMAD_SCORER.name] = NMAD_SCORER
    return known[name].in_text if name in known else name


def task_of(spec: "TrainingSpec") -> str:
    """"classification" unless the spec says otherwise (the regression task sets `spec.task`)."""
    return getattr(spec, "task", "classification")


def is_redshift(spec: "TrainingSpec") -> bool:
    return task_of(spec) == "regression" and getattr(spec, "redshift", False)


def predictions(task: str, outcome) -> np.ndarray:
    """What a fold's model predicts for its test rows: a class index, or a number for regression."""
    if task == "classification":
        return np.asarray(outcome.test_proba).argmax(axis=1)
    return np.ravel(np.asarray(getattr(outcome, "test_prediction", outcome.test_proba), dtype=float))


# -- folds --------------------------------------------------------------------------------------
STRATIFIED_REGRESSION_MESSAGE = ("Stratified folds keep class proportions, so they need classes; for a numeric "
                                 "target choose plain K-fold (or repeated K-fold).")


def fold_indices(labels: np.ndarray, config: ValidationConfig, seed: int,
                 task: str = "classification") -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """(repeat, fold, training row indices, test row indices) for every split of a K-fold scheme.

    Every scheme shuffles with the run's seed, so the same seed gives the same folds. Stratified
    schemes keep each class's share of rows the same in every fold; a regression's repeated K-fold
    is plain K-fold reshuffled each repeat.
    """
    from sklearn.model_selection import KFold, RepeatedKFold, RepeatedStratifiedKFold, StratifiedKFold

    if not config.is_kfold:
        raise ValueError("fold_indices is for K-fold schemes")
    n_rows, k = len(labels), config.n_folds
    if n_rows < k:
        raise DataError(f"{k}-fold validation needs at least {k} rows; the data has {n_rows}. Choose fewer folds.")
    if config.scheme == "stratified_kfold" and task != "classification":
        raise ParamError(STRATIFIED_REGRESSION_MESSAGE)
    stratified = task == "classification" and config.scheme in ("stratified_kfold", "repeated_kfold")
    if stratified:
        counts = np.bincount(labels)
        counts = counts[counts > 0]
        if counts.min() < k:
            raise DataError(f"The smallest class has only {counts.min()} rows, fewer than the {k} folds, so some "
                            f"folds would have none of it. Choose at most {max(2, counts.min())} folds, or plain "
                            "K-fold.")
    if config.scheme == "repeated_kfold" and not stratified:
        splitter = RepeatedKFold(n_splits=k, n_repeats=config.n_repeats, random_state=seed)
    elif config.scheme == "repeated_kfold":
        splitter = RepeatedStratifiedKFold(n_splits=k, n_repeats=config.n_repeats, random_state=seed)
    elif stratified:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=k, shuffle=True, random_state=seed)
    return [(i // k + 1, i % k + 1, train, test)
            for i, (train, test) in enumerate(splitter.split(np.zeros(n_rows), labels))]


def prepare_fold(labelled: LabelledData, train_rows: np.ndarray, test_rows: np.ndarray,
                 config: PreprocessConfig, task: str = "classification"):
    """The fold's PreparedData, with the preprocessing fitted on its training rows only; and that pipeline."""
    x_train = labelled.features.iloc[train_rows]
    x_test = labelled.features.iloc[test_rows]
    pipeline, dropped = build_preprocessor(x_train, config)
    if config.pca_components:
        width = min(_encoded_width(pipeline, x_train), len(x_train))
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


def cross_validate(spec: "TrainingSpec", config: ValidationConfig, reporter, params: dict | None = None,
                   forward_steps: bool = True) -> FoldRunOutcome:
    """Train and score one model per fold; Stop keeps the folds already finished.

    `params` overrides the spec's hyperparameters (a search candidate). Events: "part_started" when
    a fold starts (the engine starts a fresh live curve for it), the fold's per-step curve, and
    "part_done" with its scores.
    """
    from mllab.models import FAMILIES
    from mllab.models.base import Device
    from mllab.training import data_info

    family = FAMILIES[spec.family]
    params = spec.params if params is None else params
    task = task_of(spec)
    labelled = (regression_data if task == "regression" else label_data)(
        spec.dataset.frame, spec.target, spec.feature_columns())
    splits = fold_indices(labelled.labels, config, spec.seed, task)
    info = data_info(spec)
    summary = CrossValidationSummary(config=config, task=task, n_planned=len(splits), redshift=is_redshift(spec))
    scorers = summary.scorers
    n_classes = len(labelled.class_names)
    out_of_fold = np.full((len(labelled.labels), n_classes if task == "classification" else 1), np.nan)
    stopped, device_used, model_summary, notes = False, "CPU", None, []
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
        for note in outcome.notes:
            if note not in notes:
                notes.append(note)
        predicted = predictions(task, outcome)
        scores = {s.name: s.score(data.y_test, predicted) for s in scorers}
        summary.folds.append(FoldScore(repeat=repeat, fold=fold, n_train=len(train_rows), n_test=len(test_rows),
                                       scores=scores, duration_s=time.perf_counter() - started, history=history))
        if repeat == 1:
            out_of_fold[test_rows] = (np.asarray(outcome.test_proba, dtype=float) if task == "classification"
                                      else predicted[:, None])
        reporter.report({"type": "part_done", "index": index, "total": len(splits), "repeat": repeat, "fold": fold,
                         "scores": scores})
    return FoldRunOutcome(summary=summary, stopped=stopped, out_of_fold=out_of_fold, labelled=labelled,
                          device_used=device_used, model_summary=model_summary, notes=notes)


def run_cross_validation(spec: "TrainingSpec", reporter) -> "TrainingResult":
    """A K-fold training run: per-fold scores, and an evaluation of the pooled out-of-fold predictions.

    The confusion matrix and ROC curves of a K-fold run (a regression's predicted-vs-true and residual
    plots, R², RMSE and NMAD) are drawn from the out-of-fold predictions of the first repeat: every row
    that a finished fold scored, predicted by the model that never saw it.
    """
    from mllab.evaluation import evaluate, evaluate_regression
    from mllab.inspection import test_predictions
    from mllab.training import TrainingResult, data_info

    started = time.perf_counter()
    info = data_info(spec)
    reporter.report({"type": "status", "message": "Preparing the folds"})
    run = cross_validate(spec, spec.validation, reporter)
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
    )



def check_validation(spec: "TrainingSpec") -> None:
    """Refuse, before any worker is asked, a K-fold scheme the data cannot support."""
    config = spec.validation
    if not config.is_kfold:
        return
    if task_of(spec) == "regression" and config.scheme == "stratified_kfold":
        raise ParamError(STRATIFIED_REGRESSION_MESSAGE)
    target = spec.dataset.frame[spec.target].dropna()
    if len(target) < config.n_folds:
        raise DataError(f"{config.n_folds}-fold validation needs at least {config.n_folds} rows; the data has "
                        f"{len(target)}. Choose fewer folds.")
    if config.scheme in ("stratified_kfold", "repeated_kfold") and task_of(spec) == "classification":
        counts = target.value_counts()
        if counts.min() < config.n_folds:
            raise DataError(f"Class '{counts.idxmin()}' has only {counts.min()} rows, fewer than the "
                            f"{config.n_folds} folds, so some folds would have none of it. Choose at most "
                            f"{max(2, int(counts.min()))} folds, or plain K-fold.")
