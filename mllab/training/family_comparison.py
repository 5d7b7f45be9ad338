"""Every model family that fits the data, trained on the same split: scikit-learn's classifier comparison, as
ordinary runs. `plan_comparison` builds one TrainingSpec per family (its data-fitted defaults, the page's seed,
split and preprocessing, a decision-boundary map) or says in a sentence why the family cannot train on this data;
`comparison_table` lays the finished runs side by side with the baseline. The runs carry a tag
("comparison N"), so the comparison is found again in the store after a refresh or on another device.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from mllab.datasets import Dataset
from mllab.errors import UserError
from mllab.models import FAMILIES, DataShape, ModelFamily
from mllab.prepare import PreprocessConfig
from mllab.training.runs import Run
from mllab.training.schemes import ValidationConfig
from mllab.training.spec import TrainingSpec, validate_spec

# The lecture's slide, simplest first; families not registered are skipped, families not named here follow in
# the registry's order.
LECTURE_ORDER = ("linear_regression", "logistic_regression", "knn", "svm", "naive_bayes",
                 "decision_tree", "random_forest", "gradient_boosting", "mlp")
TAG_PREFIX = "comparison "
_TAG = re.compile(r"^comparison (\d+)$")
BASELINE_ROW = "Baseline (no feature)"
MODEL, STATUS, NOTE, TIME = "Model", "Status", "Note", "Training time (s)"
ABOVE_BASELINE = "Above baseline"
# (column, Evaluation.summary() key) of the table, the main figure first: it sorts the rows.
CLASSIFICATION_FIGURES = (("Accuracy", "accuracy"), ("Balanced accuracy", "balanced_accuracy"),
                          ("Macro F1", "macro_f1"))
REGRESSION_FIGURES = (("R²", "r2"), ("RMSE", "rmse"), ("MAE", "mae"))
REDSHIFT_FIGURES = (("NMAD", "nmad"),)


@dataclass(frozen=True)
class Entry:
    """One family of the comparison: the spec it trains, or why it cannot train on this data."""

    family: str
    label: str
    spec: TrainingSpec | None
    reason: str | None = None


def task_word(task: str) -> str:
    """What the comparison compares, for its button and headings."""
    return "classifiers" if task == "classification" else "regression models"


def lecture_families(task: str) -> list[ModelFamily]:
    """The registered families of this task, in the lecture's order."""
    rank = {key: i for i, key in enumerate(LECTURE_ORDER)}
    ordered = sorted(FAMILIES, key=lambda key: rank.get(key, len(rank)))
    return [FAMILIES[key] for key in ordered if task in FAMILIES[key].tasks]


def plan_comparison(dataset: Dataset, target: str, task: str, preprocessing: PreprocessConfig,
                    validation: ValidationConfig | None = None, boundary=None, redshift: bool = False,
                    overrides: dict[str, dict] | None = None) -> list[Entry]:
    """One Entry per family of the task, in the lecture's order: each with its data-fitted defaults (and
    `overrides[family]` over them), the same preprocessing, seed and split. K-fold validation becomes the
    hold-out split, since a comparison draws one map per model. A classification draws `boundary` (the page's
    choice), or the first two principal components when the page asked for none."""
    validation = validation if validation is not None and not validation.is_kfold else ValidationConfig()
    boundary = (boundary or "pca") if task == "classification" else None
    shape = DataShape.of(dataset, target, task)
    entries = []
    for family in lecture_families(task):
        params = {**family.defaults_for(shape), **(overrides or {}).get(family.key, {})}
        spec = TrainingSpec(dataset=dataset, target=target, preprocessing=preprocessing, family=family.key,
                            params=params, validation=validation, task=task, redshift=redshift, boundary=boundary,
                            live_boundary=False)
        try:
            entries.append(Entry(family.key, family.label, validate_spec(spec)))
        except UserError as err:
            entries.append(Entry(family.key, family.label, None, str(err)))
    return entries


def submission_order(entries: Sequence[Entry]) -> list[Entry]:
    """The runnable entries in the order to queue them: the deep families first, since they take longest and the
    engine starts jobs oldest first (on OGLE-III with two workers, the MLP queued last started only when the forest
    had ended, and the comparison took 30 s instead of about 20). The table keeps the lecture's order."""
    return sorted((e for e in entries if e.spec is not None), key=lambda e: not FAMILIES[e.family].deep)


def comparison_tag(number: int) -> str:
    return f"{TAG_PREFIX}{number}"


def comparison_number(run: Run) -> int | None:
    """The number of the comparison the run belongs to, or None."""
    for tag in run.tags:
        found = _TAG.match(tag)
        if found:
            return int(found.group(1))
    return None


def next_comparison_number(runs: Sequence[Run]) -> int:
    return max((n for n in map(comparison_number, runs) if n is not None), default=0) + 1


def latest_comparison(runs: Sequence[Run]) -> list[Run]:
    """The runs of the newest comparison when the newest run is one of them (else nothing: a run trained since
    is the page's result), in the lecture's order."""
    if not runs:
        return []
    number = comparison_number(runs[-1])
    if number is None:
        return []
    rank = {family.key: i for i, family in enumerate(lecture_families(runs[-1].task))}
    members = [run for run in runs if comparison_number(run) == number]
    return sorted(members, key=lambda run: (rank.get(run.family, len(rank)), run.number))


def _figures(task: str, redshift: bool) -> tuple[tuple[str, str], ...]:
    if task == "classification":
        return CLASSIFICATION_FIGURES
    return REGRESSION_FIGURES + (REDSHIFT_FIGURES if redshift else ())


def _status(run: Run) -> str:
    return {"completed": "Done", "failed": "Failed", "stopped": "Stopped", "interrupted": "Interrupted",
            "queued": "Waiting", "running": "Training"}.get(run.status, run.status.capitalize())


def comparison_table(runs: Sequence[Run], refused: Sequence[Entry] = (), task: str = "classification") -> pd.DataFrame:
    """One row per run (Model, Status, the task's figures, how far the main figure is above the baseline, the
    training time, a note: why it failed), a row for the baseline, sorted by the main figure (best first, the
    baseline where it ranks, runs without a figure after), then one row per refused family with its reason.
    The column "Run" holds each run's number (None for the baseline and refused rows)."""
    if not runs and not refused:
        return pd.DataFrame()
    task = runs[0].task if runs else task
    redshift = any(run.redshift for run in runs)
    figures = _figures(task, redshift)
    main = figures[0][0]
    lower_is_better = task == "regression" and figures[0][1] != "r2"
    rows, baseline = [], None
    for run in runs:
        result = run.result if run.status in ("completed", "stopped") else None
        summary = result.evaluation.summary() if result is not None else {}
        rows.append({"Run": run.number, MODEL: run.family_label, STATUS: _status(run),
                     **{name: summary.get(key) for name, key in figures},
                     TIME: None if result is None else round(result.duration_s, 2),
                     NOTE: run.error or ("" if run.status != "stopped" else "Stopped before the end")})
        if baseline is None and result is not None and getattr(result, "baseline", None) is not None:
            baseline = result.baseline
    if baseline is not None:
        rows.append({"Run": None, MODEL: BASELINE_ROW, STATUS: "", **{n: baseline.score(k) for n, k in figures},
                     TIME: None, NOTE: baseline.description})
    table = pd.DataFrame(rows, columns=["Run", MODEL, STATUS, *(n for n, _ in figures), TIME, NOTE])
    if baseline is not None and baseline.score(figures[0][1]) is not None:
        table.insert(4, ABOVE_BASELINE, table[main] - baseline.score(figures[0][1]))
    table = table.sort_values(main, ascending=lower_is_better, na_position="last", kind="stable")
    if refused:
        table = pd.concat([table, pd.DataFrame([{"Run": None, MODEL: entry.label, STATUS: "Not run",
                                                 NOTE: entry.reason} for entry in refused])], ignore_index=True)
    table["Run"] = table["Run"].astype("Int64")
    return table.reset_index(drop=True)


def main_figure(task: str) -> str:
    return _figures(task, False)[0][0]

