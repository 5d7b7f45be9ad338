"""Learning curve: score against the number of training rows, to tell whether more data would help.

The hold-out split is prepared once (preprocessing fitted on all its training rows); the family is
then trained on growing subsets of the training rows — nested, each holding the one before, and
stratified for a classification — and scored on its own training rows and on the whole test set.
A learning curve is one engine job (see mllab.training.engine), so it keeps the rule of one running job per
browser session, like a search.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from mllab.errors import ParamError
from mllab.evaluation import score
from mllab.models import FAMILIES
from mllab.models.base import Device
from mllab.prepare import prepare
from mllab.training.schemes import ValidationConfig
from mllab.training.spec import BuiltOnRun, TrainingSpec, data_info, supplied_test_mask, validate_spec

DEFAULT_FRACTIONS = (0.1, 0.2, 0.4, 0.7, 1.0)
# Training scores are computed on at most this many of a subset's rows (seeded sample).
MAX_SCORED_TRAINING_ROWS = 5_000
# A test score at the largest size above every earlier one by more than this is "still rising".
RISING = 0.01
# Training and test scores closer than this at the largest size "meet".
MEETING_GAP = 0.03


@dataclass
class LearningCurveSpec(BuiltOnRun):
    base: TrainingSpec  # the run whose settings are trained at every size
    fractions: tuple[float, ...] = DEFAULT_FRACTIONS


def validate_learning_curve(spec: LearningCurveSpec) -> LearningCurveSpec:
    """Check before a worker is asked. The curve always uses the hold-out split, whatever the base run used."""
    fractions = tuple(float(f) for f in spec.fractions)
    if not fractions or any(not 0 < f <= 1 for f in fractions) or list(fractions) != sorted(set(fractions)):
        raise ParamError("The training-set sizes must be increasing shares of the training rows, each above 0 "
                         "and at most 1.")
    spec.fractions = fractions
    spec.base = validate_spec(replace(spec.base, validation=ValidationConfig()))
    return spec


def subset_order(y_train: np.ndarray, task: str, seed: int) -> np.ndarray:
    """An order of the training rows whose every prefix is a stratified sample (classification).

    Each class's rows are shuffled and spread evenly through the order, and one row of every
    class comes first, so a prefix of at least as many rows as classes holds every class.
    A regression's order is a plain shuffle.
    """
    rng = np.random.default_rng(seed)
    n = len(y_train)
    if task == "regression":
        return rng.permutation(n)
    keys = np.empty(n)
    for label in np.unique(y_train):
        rows = rng.permutation(np.flatnonzero(y_train == label))
        keys[rows] = (np.arange(len(rows)) + rng.uniform(size=len(rows))) / len(rows)
        keys[rows[0]] = -1.0 + rng.uniform() * 1e-3
    return np.argsort(keys, kind="stable")


def sizes_for(fractions: tuple[float, ...], n_train: int, minimum: int) -> list[tuple[float, int]]:
    """(fraction, rows) for each fraction, each at least `minimum` rows; sizes that coincide are kept once."""
    sizes: list[tuple[float, int]] = []
    for fraction in fractions:
        rows = min(n_train, max(minimum, int(round(fraction * n_train))))
        if not sizes or rows > sizes[-1][1]:
            sizes.append((fraction, rows))
    return sizes


@dataclass
class LearningCurveResult:
    status: str  # "completed" or "stopped"
    history: list[dict]  # one step per finished size: n_rows, train_score, test_score
    n_planned: int
    family: str
    metric_label: str  # "accuracy" or "R²"
    n_train: int  # training rows available (the largest size)
    n_test: int
    duration_s: float
    notes: list[str] = field(default_factory=list)
    # Keeps the engine's bookkeeping uniform with training runs.
    model_summary: str | None = None

    def reading(self) -> str:
        """One sentence a lecturer can read out: would more data help?"""
        return reading(self.history, self.metric_label)


def reading(points: list[dict], metric_label: str) -> str:
    if len(points) < 2:
        return "Only one training-set size has a score; at least two are needed to see a trend."
    first, last = points[0], points[-1]
    # Against the best earlier size, not just the previous one: a small test set's score wobbles.
    rise = last["test_score"] - max(p["test_score"] for p in points[:-1])
    gap = last["train_score"] - last["test_score"]
    if rise > RISING:
        return (f"The test score is still rising ({first['test_score']:.3f} {metric_label} with {first['n_rows']:,} "
                f"rows, {last['test_score']:.3f} with {last['n_rows']:,}): more data would help.")
    if gap <= MEETING_GAP:
        return (f"Training and test scores meet ({last['train_score']:.3f} and {last['test_score']:.3f} "
                f"{metric_label}): more data will not help much.")
    return (f"The test score has levelled off, {gap:.3f} below the training score: more data of the same kind "
            "helps only slowly; the model over-fits, so stronger regularisation or a simpler model may help more.")


class _QuietTraining:
    """What each size's training sees: the job's Stop; its own curves and messages stay quiet."""

    def __init__(self, reporter):
        self._reporter = reporter

    def report(self, event: dict) -> None:
        pass

    def should_stop(self) -> bool:
        return self._reporter.should_stop()


def run_learning_curve(spec: TrainingSpec, reporter, fractions=DEFAULT_FRACTIONS) -> LearningCurveResult:
    """Train the run's settings on growing subsets of its training rows; Stop keeps the finished sizes."""
    started = time.perf_counter()
    family = FAMILIES[spec.family]
    reporter.report({"type": "status", "message": "Preparing the data"})
    # A run tested on the supplied test part measures its curve on that part too.
    data = prepare(spec.dataset.frame, spec.target, spec.feature_columns(), spec.preprocessing, task=spec.task,
                   test_mask=supplied_test_mask(spec))
    task = data.task
    info = data_info(spec)
    n_train = len(data.y_train)
    order = subset_order(data.y_train, task, spec.seed)
    sizes = sizes_for(tuple(fractions), n_train, minimum=max(data.n_classes, 2))
    quiet = _QuietTraining(reporter)
    metric_label = "R²" if task == "regression" else "accuracy"
    history: list[dict] = []
    stopped = False
    for index, (fraction, n_rows) in enumerate(sizes, start=1):
        if reporter.should_stop():
            stopped = True
            break
        reporter.report({"type": "status", "message": f"Training on {n_rows:,} rows (size {index} of {len(sizes)})"})
        size_started = time.perf_counter()
        rows = np.sort(order[:n_rows])  # the split's own (shuffled) order, as a full run trains in
        subset = replace(data, x_train=data.x_train[rows], y_train=data.y_train[rows])
        outcome = family.train(spec.params, subset, info, quiet, Device(spec.device, spec.mixed_precision), spec.seed)
        if outcome.stopped:  # a model cut short has no fair score: leave it out
            stopped = True
            break
        scored = rows if n_rows <= MAX_SCORED_TRAINING_ROWS else \
            np.sort(np.random.default_rng(spec.seed).choice(rows, size=MAX_SCORED_TRAINING_ROWS, replace=False))
        test_output = outcome.test_proba if task == "classification" else outcome.test_prediction
        point = {"step": index, "total": len(sizes), "n_rows": n_rows, "fraction": fraction,
                 "train_score": score(task, data.y_train[scored], outcome.predictor(data.x_train[scored])),
                 "test_score": score(task, data.y_test, test_output),
                 "metric": metric_label, "duration_s": time.perf_counter() - size_started}
        history.append(point)
        reporter.report(point)
        reporter.report({"type": "part_done", "index": index, "total": len(sizes), "n_rows": n_rows,
                         "train_score": point["train_score"], "test_score": point["test_score"]})
    notes = []
    if len(sizes) < len(fractions):
        notes.append("Some sizes came out the same number of rows and were trained once.")
    if stopped:
        notes.append(f"Stopped after {len(history)} of {len(sizes)} sizes; the chart shows those that finished.")
    return LearningCurveResult(
        status="stopped" if stopped else "completed", history=history, n_planned=len(sizes), family=spec.family,
        metric_label=metric_label, n_train=n_train, n_test=len(data.y_test),
        duration_s=time.perf_counter() - started, notes=notes,
    )


def run_learning_curve_job(spec: LearningCurveSpec, reporter) -> LearningCurveResult:
    """What an engine worker runs for a LearningCurveSpec."""
    return run_learning_curve(spec.base, reporter, spec.fractions)


@dataclass
class LearningCurveRecord:
    """A learning curve kept in a browser session, for the run it was asked for."""

    run_number: int
    job_id: str
    status: str = "queued"
    message: str = ""
    history: list[dict] = field(default_factory=list)
    progress: float = 0.0
    queue_position: int | None = None
    result: LearningCurveResult | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "stopped", "failed")

    @property
    def points(self) -> list[dict]:
        return self.result.history if self.result is not None else self.history

    def update(self, state) -> None:
        """Copy what the engine knows about this job (an engine.JobState)."""
        self.status, self.message, self.error = state.status, state.message, state.error
        self.history, self.progress, self.queue_position = state.history, state.progress, state.queue_position
        if state.result is not None:
            self.result = state.result
