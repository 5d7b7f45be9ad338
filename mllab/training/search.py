"""Hyperparameter search: grid and random search over ranges set on a family's own schema.

A search space is one `Dimension` per searched hyperparameter, built from its Param: a set of
options for choices and switches, a range with a number of values for numbers (spaced on a log
scale where the Param is log-scaled). Every other hyperparameter keeps the value of the base spec.

A search is one engine job: its candidates run one after another on one worker, each scored by
K-fold cross-validation or on the hold-out split. That keeps the engine's rule of one running job
per browser session: in a lecture hall of forty students each searching, every student holds one
worker and the rest queue in order, instead of one search taking every core while the others wait.
scikit-learn forests already use the worker's threads within each candidate.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mllab.errors import ParamError
from mllab.models import FAMILIES
from mllab.models.base import Device
from mllab.params import BoolParam, ChoiceParam, FloatParam, IntListParam, IntParam, Param, format_int_list, is_active
from mllab.prepare import prepare
from mllab.training.cross_validation import cross_validate
from mllab.training.schemes import ValidationConfig
from mllab.training.scoring import Scorer, predictions, scorers_for
from mllab.training.spec import (BuiltOnRun, TrainingSpec, check_validation, data_info, is_redshift, supplied_test_mask,
                                 task_of, validate_spec)

# A grid beyond this many combinations would keep a worker busy for hours in a lecture; the user is
# asked to use fewer values or random search instead.
MAX_CANDIDATES = 200


@dataclass(frozen=True)
class Dimension:
    """The values one hyperparameter takes in a search.

    Either `options` (a choice's options, a switch's on/off, lists of layer sizes), or a range
    `low`..`high` offered as `n_values` evenly spaced values in a grid (log-spaced when `log`) and
    drawn uniformly (log-uniformly) in a random search.
    """

    name: str
    options: tuple = ()
    low: float | None = None
    high: float | None = None
    n_values: int = 3
    log: bool = False
    integer: bool = False
    step: float | None = None  # the slider's step: a grid value snaps to it (trees in tens, say)
    # The values a log-scaled slider offers (1, 1.8, 3.2, 5.6 per decade): a search picks among those
    # in the range, so every candidate can be loaded back onto the Train page's slider exactly.
    allowed: tuple[float, ...] = ()

    @property
    def is_range(self) -> bool:
        return not self.options

    def grid_values(self) -> list:
        if self.options:
            return list(self.options)
        if self.allowed:
            inside = self._allowed_inside()
            picks = np.linspace(0, len(inside) - 1, min(self.n_values, len(inside)))
            return list(dict.fromkeys(inside[int(round(i))] for i in picks))
        if self.low == self.high or self.n_values == 1:
            return [self._tidy(self.low)]
        spaced = (np.geomspace(self.low, self.high, self.n_values) if self.log
                  else np.linspace(self.low, self.high, self.n_values))
        values = []
        for value in spaced:
            tidy = self._tidy(value)
            if tidy not in values:
                values.append(tidy)
        return values

    def sample(self, rng: np.random.Generator):
        if self.options:
            return self.options[int(rng.integers(len(self.options)))]
        if self.allowed:  # uniform over a log-spaced grid: log-uniform at the slider's resolution
            inside = self._allowed_inside()
            return inside[int(rng.integers(len(inside)))]
        if self.integer and not self.step:
            return int(rng.integers(int(self.low), int(self.high) + 1))
        if self.log:
            return self._tidy(10 ** rng.uniform(math.log10(self.low), math.log10(self.high)))
        return self._tidy(rng.uniform(self.low, self.high))

    def _allowed_inside(self) -> list[float]:
        return [v for v in self.allowed if self.low <= v <= self.high] or [self.low]

    def _tidy(self, value: float):
        # Three significant figures: 0.000316 rather than 0.00031622776601683794 in the table.
        if self.step and not self.log:
            value = self.low + round((value - self.low) / self.step) * self.step
            value = min(max(value, self.low), self.high)
        if self.integer:
            return int(round(value))
        return float(f"{float(value):.3g}")


def dimension_for(param: Param, chosen: Any, n_values: int = 3) -> Dimension:
    """The dimension the search page builds from a Param and what the user picked for it.

    `chosen` is a list of options for a choice, a switch or a layer-size list, and a (low, high)
    pair for a number.
    """
    if isinstance(param, (ChoiceParam, BoolParam, IntListParam)):
        return Dimension(param.name, options=tuple(chosen))
    low, high = chosen
    step = param.step if isinstance(param, (IntParam, FloatParam)) and param.step not in (None, 1) else None
    log = isinstance(param, FloatParam) and param.log
    return Dimension(param.name, low=low, high=high, n_values=n_values, log=log,
                     integer=isinstance(param, IntParam), step=step, allowed=tuple(param.grid()) if log else ())


def suggested_range(param: IntParam | FloatParam, default: float | None = None) -> tuple:
    """Where a search of a number starts: the family's own `search_range` when it declares one, else half to
    double the default (`default`, the value on the Train page, or the schema's), within the bounds; the
    whole range when that leaves a single value (a default of 0)."""
    if param.search_range is not None:
        return tuple(param.search_range)
    default = param.default if default is None else default
    if isinstance(param, IntParam):
        step = param.step
        low = max(param.low, (default // 2) // step * step)
        high = min(param.high, default * 2)
        return (low, high) if low < high else (param.low, param.high)
    return float(param.low), float(param.high)


@dataclass
class SearchSpec(BuiltOnRun):
    base: TrainingSpec  # data, preprocessing, family and the values of every hyperparameter not searched
    dimensions: tuple[Dimension, ...]
    strategy: str = "grid"  # "grid" or "random"
    n_candidates: int = 10  # random search only
    validation: ValidationConfig = field(default_factory=lambda: ValidationConfig("stratified_kfold", 5))
    metric: str = "accuracy"
    # Filled by validate_search: the candidates to run and why others were left out.
    planned: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def task(self) -> str:
        return task_of(self.base)

    @property
    def scorers(self) -> tuple[Scorer, ...]:
        """The scores a candidate can be ranked by: R², RMSE, MAE (and NMAD for redshifts) for a regression."""
        return scorers_for(self.task, is_redshift(self.base))

    @property
    def scorer(self) -> Scorer:
        return next(s for s in self.scorers if s.name == self.metric)


def candidates(spec: SearchSpec) -> list[dict]:
    """Every grid combination, or `n_candidates` distinct random draws (reproducible from the seed)."""
    base = dict(spec.base.params)
    names = [d.name for d in spec.dimensions]
    if spec.strategy == "grid":
        combos = itertools.product(*(d.grid_values() for d in spec.dimensions))
        return _without_inactive_repeats(spec, [{**base, **dict(zip(names, combo))} for combo in combos])
    rng = np.random.default_rng(spec.seed)
    drawn, seen = [], set()
    for _ in range(spec.n_candidates * 50):  # a small discrete space runs out of distinct draws
        combo = tuple(d.sample(rng) for d in spec.dimensions)
        if combo in seen:
            continue
        seen.add(combo)
        drawn.append({**base, **dict(zip(names, combo))})
        drawn = _without_inactive_repeats(spec, drawn)
        if len(drawn) == spec.n_candidates:
            break
    return drawn


def _without_inactive_repeats(spec: SearchSpec, planned: list[dict]) -> list[dict]:
    """Candidates that differ only in settings that do not act (momentum under Adam, patience with
    early stopping off) train the same model: such settings go back to the base value and the
    repeats are dropped, keeping the first of each."""
    schema = FAMILIES[spec.family].params
    kind = spec.base.dataset.kind
    kept, seen = [], set()
    for values in planned:
        tidy = dict(values)
        for param in schema:
            if not is_active(param, values, kind):
                tidy[param.name] = spec.base.params.get(param.name, param.default)
        key = repr(sorted(tidy.items()))
        if key not in seen:
            seen.add(key)
            kept.append(tidy)
    return kept


def grid_size(dimensions) -> int:
    return math.prod(len(d.grid_values()) for d in dimensions)


def validate_search(spec: SearchSpec) -> SearchSpec:
    """Check the search before a worker is asked; fills `spec.planned` with the candidates to run."""
    validate_spec(spec.base)
    family = FAMILIES[spec.family]
    params = {p.name: p for p in family.params}
    if spec.strategy not in ("grid", "random"):
        raise ParamError("The search must be a grid search or a random search.")
    if not spec.dimensions:
        raise ParamError("Pick at least one hyperparameter to search over.")
    if spec.metric not in {s.name for s in spec.scorers}:
        raise ParamError(f"The score '{spec.metric}' does not apply to a {spec.task}; choose one of "
                         f"{', '.join(s.label for s in spec.scorers)}.")
    for dim in spec.dimensions:
        param = params.get(dim.name)
        if param is None:
            raise ParamError(f"{family.label} has no setting '{dim.name}'.")
        if isinstance(param, (ChoiceParam, BoolParam, IntListParam)):
            if not dim.options:
                raise ParamError(f"{param.label}: pick at least one value to try.")
            for option in dim.options:
                param.validate(option)
        else:
            if dim.low is None or dim.high is None or dim.low > dim.high:
                raise ParamError(f"{param.label}: the range must go from a lower to a higher value.")
            param.validate(dim.low)
            param.validate(dim.high)
            if not 1 <= dim.n_values <= 20:
                raise ParamError(f"{param.label}: choose between 1 and 20 values.")
    if spec.strategy == "grid":
        size = grid_size(spec.dimensions)
        if size > MAX_CANDIDATES:
            raise ParamError(f"The grid has {size:,} combinations; at most {MAX_CANDIDATES} run in one search. "
                             "Use fewer values, or a random search with a budget.")
    elif not 1 <= spec.n_candidates <= MAX_CANDIDATES:
        raise ParamError(f"A random search tries between 1 and {MAX_CANDIDATES} candidates.")
    if spec.validation.is_kfold:
        check_validation(TrainingSpec(dataset=spec.base.dataset, target=spec.base.target,
                                      preprocessing=spec.base.preprocessing, family=spec.family, params={},
                                      validation=spec.validation, task=spec.task, redshift=spec.base.redshift))
    info = data_info(spec.base)
    planned, problems = [], []
    for candidate in candidates(spec):
        try:
            planned.append(family.validate(candidate, info))
        except ParamError as err:
            problems.append(str(err))
    if not planned:
        raise ParamError(f"None of the combinations can be trained: {problems[0]}")
    spec.planned = planned
    spec.notes = []
    if problems:
        spec.notes.append(f"{len(problems)} combination(s) were left out because they cannot be trained, "
                          f"for example: {problems[0]}")
    if spec.strategy == "random" and len(planned) + len(problems) < spec.n_candidates:
        spec.notes.append(f"The space has only {len(planned) + len(problems)} distinct combinations; each is tried once.")
    return spec


@dataclass
class CandidateResult:
    index: int
    params: dict
    mean: float
    std: float
    fold_scores: list[float]
    duration_s: float


@dataclass
class SearchResult:
    status: str  # "completed" or "stopped"
    history: list[dict]  # one step per finished candidate, with its mean score
    candidates: list[CandidateResult]
    n_planned: int
    family: str
    searched: list[str]  # names of the searched hyperparameters
    metric: str
    metric_label: str  # as it reads in a sentence: "accuracy", "R²"
    higher_is_better: bool
    validation: str  # e.g. "Stratified 5-fold" or "Hold-out"
    duration_s: float
    notes: list[str] = field(default_factory=list)
    metric_format: str = ".3f"  # how the table and the headline print a score
    # Keeps the engine's bookkeeping uniform with training runs.
    model_summary: str | None = None

    @property
    def best(self) -> CandidateResult | None:
        if not self.candidates:
            return None
        sign = 1 if self.higher_is_better else -1
        # Ties go to the earlier candidate, so the best is the same whatever order a table is sorted in.
        return max(self.candidates, key=lambda c: (sign * c.mean, -c.index))

    def table(self) -> pd.DataFrame:
        """One row per finished candidate, best first: its settings, mean and spread of the score."""
        family = FAMILIES[self.family]
        params = {p.name: p for p in family.params}
        best = self.best
        rows = []
        for candidate in self.candidates:
            row = {"Candidate": candidate.index}
            for name in self.searched:
                row[params[name].label.split(" (")[0]] = shown_value(params[name], candidate.params[name])
            row[f"Mean {self.metric_label}"] = candidate.mean
            row["Std"] = candidate.std
            row["Duration (s)"] = round(candidate.duration_s, 1)
            row["Best"] = candidate is best
            rows.append(row)
        table = pd.DataFrame(rows)
        if not table.empty:
            table = table.sort_values([f"Mean {self.metric_label}", "Candidate"],
                                      ascending=[not self.higher_is_better, True], ignore_index=True)
        return table


def shown_value(param: Param, value) -> str:
    if isinstance(param, ChoiceParam):
        return param.label_of(value)
    if isinstance(param, IntListParam):
        return format_int_list(value)
    if isinstance(param, BoolParam):
        return "on" if value else "off"
    if isinstance(param, FloatParam):
        return f"{value:g}"
    return str(value)


class _StopOnly:
    """What a candidate's training sees: the search's Stop; its own curves and messages stay quiet."""

    def __init__(self, reporter):
        self._reporter = reporter

    def report(self, event: dict) -> None:
        pass

    def should_stop(self) -> bool:
        return self._reporter.should_stop()


def _holdout_scores(spec: TrainingSpec, params: dict, scorer: Scorer, reporter) -> tuple[list[float], bool]:
    """The candidate trained on the training part and scored on the hold-out part."""
    data = prepare(spec.dataset.frame, spec.target, spec.feature_columns(), spec.preprocessing, task=task_of(spec),
                   test_mask=supplied_test_mask(spec))
    outcome = FAMILIES[spec.family].train(params, data, data_info(spec), reporter,
                                          Device(spec.device, spec.mixed_precision), spec.seed)
    if outcome.stopped:
        return [], True
    return [scorer.score(data.y_test, predictions(task_of(spec), outcome))], False


def run_search(spec: SearchSpec, reporter) -> SearchResult:
    """Executed on a worker: score every planned candidate in turn; Stop keeps the finished ones."""
    started = time.perf_counter()
    scorer = spec.scorer
    planned = spec.planned or validate_search(spec).planned
    quiet = _StopOnly(reporter)
    finished: list[CandidateResult] = []
    history: list[dict] = []
    stopped = False
    for index, params in enumerate(planned, start=1):
        if reporter.should_stop():
            stopped = True
            break
        reporter.report({"type": "status", "message": f"Candidate {index} of {len(planned)}"})
        candidate_started = time.perf_counter()
        if spec.validation.is_kfold:
            outcome = cross_validate(spec.base, spec.validation, quiet, params=params, forward_steps=False)
            stopped = outcome.stopped
            scores = [] if stopped else outcome.summary.values(scorer.name).tolist()
        else:
            scores, stopped = _holdout_scores(spec.base, params, scorer, quiet)
        if stopped:  # a candidate cut short has no fair score: leave it out
            break
        result = CandidateResult(index=index, params=params, mean=float(np.mean(scores)), std=float(np.std(scores)),
                                 fold_scores=scores, duration_s=time.perf_counter() - candidate_started)
        finished.append(result)
        step = {"step": index, "total": len(planned), "score": result.mean}
        history.append(step)
        reporter.report(step)
        reporter.report({"type": "part_done", "index": index, "total": len(planned),
                         "params": {d.name: params[d.name] for d in spec.dimensions},
                         "mean": result.mean, "std": result.std})
    notes = list(spec.notes)
    if stopped:
        notes.append(f"Stopped after {len(finished)} of {len(planned)} candidates; the table shows those that "
                     "finished.")
    return SearchResult(
        status="stopped" if stopped else "completed", history=history, candidates=finished, n_planned=len(planned),
        family=spec.family, searched=[d.name for d in spec.dimensions], metric=scorer.name,
        metric_label=scorer.in_text, higher_is_better=scorer.higher_is_better,
        validation=spec.validation.describe(spec.task), duration_s=time.perf_counter() - started, notes=notes,
        metric_format=scorer.number_format,
    )


@dataclass
class SearchRecord:
    """A search kept in a browser session: what was asked, and what the engine reports of it."""

    number: int
    job_id: str
    family: str
    dataset_name: str
    strategy: str
    validation: str
    preprocessing: dict
    target: str = ""
    # The task the search scored: "Train with these settings" puts it back with the settings, so a
    # regression's best candidate is trained as a regression (and a redshift keeps its figures).
    task: str = "classification"
    redshift: bool = False
    metric_label: str = "accuracy"  # as in the live table's "Mean accuracy"
    status: str = "queued"
    message: str = ""
    parts_done: list[dict] = field(default_factory=list)
    progress: float = 0.0
    queue_position: int | None = None
    result: SearchResult | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "stopped", "failed")

    def update(self, state) -> None:
        """Copy what the engine knows about this search's job (an engine.JobState)."""
        self.status, self.message, self.error = state.status, state.message, state.error
        self.parts_done, self.progress, self.queue_position = state.parts_done, state.progress, state.queue_position
        if state.result is not None:
            self.result = state.result


def new_search_record(number: int, job_id: str, spec: SearchSpec) -> SearchRecord:
    return SearchRecord(number=number, job_id=job_id, family=spec.family, dataset_name=spec.base.dataset.name,
                        strategy=spec.strategy, validation=spec.validation.describe(spec.task),
                        preprocessing=spec.base.preprocessing.as_dict(), target=spec.base.target, task=spec.task,
                        redshift=is_redshift(spec.base), metric_label=spec.scorer.in_text)
