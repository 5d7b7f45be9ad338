"""Runs kept for one browser session: what was trained, how, and how well."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from mllab.datasets import Dataset
from mllab.models import FAMILIES
from mllab.params import ChoiceParam, FloatParam, IntListParam, applicable, format_int_list
from mllab.training.engine import JobState
from mllab.training.schemes import ValidationConfig
from mllab.training.spec import TrainingResult, TrainingSpec


# "interrupted": the app server stopped while the run trained (the store marks it after a restart).
FINISHED = frozenset({"completed", "stopped", "failed", "interrupted"})


@dataclass
class Run:
    number: int
    job_id: str
    dataset_name: str
    target: str
    family: str
    params: dict
    preprocessing: dict
    device_requested: str
    started: datetime
    status: str = "queued"
    history: list[dict] = field(default_factory=list)
    result: TrainingResult | None = None
    error: str | None = None
    model_summary: str | None = None
    validation: dict = field(default_factory=dict)  # the ValidationConfig's values; empty = hold-out
    task: str = "classification"  # or "regression"
    redshift: bool = False  # a regression on a redshift: photometric-redshift figures shown too
    # The dataset the run was trained on (the session's object, not a copy): the inspection tabs
    # look the test rows up in it after the user has loaded other data.
    dataset: Dataset | None = field(default=None, repr=False, compare=False)
    live_boundary: dict | None = field(default=None, repr=False, compare=False)  # {"epoch", "map"} while training
    # Where the data came from, as plain values: {"kind": "builtin", "key"}, {"kind": "upload", "files":
    # [{"name", "sha256", "size"}]} or {"kind": "server", "name", "size", "mtime_ns"}; empty when not known.
    data_source: dict = field(default_factory=dict)
    cleaning: dict = field(default_factory=dict)  # the Data page's CleaningChoices.as_dict() for this run
    store_id: str | None = field(default=None, compare=False)  # its record in the workspace store, once written
    # The user's own words about the run (the Runs page edits them; ui/run_edits.py checks them).
    title: str | None = None  # the user's name for the run; None = "Run N"
    note: str = ""
    tags: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The user's name for the run when given, else "Run N"."""
        return self.title or f"Run {self.number}"

    @property
    def family_label(self) -> str:
        return FAMILIES[self.family].label

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def update(self, state: JobState) -> None:
        """Copy what the engine knows about this run's job."""
        self.status = state.status
        self.history = state.history
        self.error = state.error
        self.model_summary = state.model_summary or self.model_summary
        self.live_boundary = getattr(state, "live_boundary", None)
        if state.result is not None:
            self.result = state.result
            self.model_summary = state.result.model_summary or self.model_summary


def new_run(number: int, job_id: str, spec: TrainingSpec, data_source: dict | None = None,
            cleaning: dict | None = None) -> Run:
    return Run(
        number=number, job_id=job_id, dataset_name=spec.dataset.name, target=spec.target, family=spec.family,
        params=dict(spec.params), preprocessing=spec.preprocessing.as_dict(), device_requested=spec.device,
        started=datetime.now(), validation=spec.validation.as_dict(), task=spec.task, redshift=spec.redshift,
        dataset=spec.dataset, data_source=dict(data_source or {}), cleaning=dict(cleaning or {}),
    )


def describe_params(family_key: str, params: dict, task: str = "classification") -> str:
    """Short human text of a run's hyperparameters, e.g. "Hidden layers 12, 8 · Optimiser Adam".

    Settings that do not apply to the run's task (a forest's class weight in a regression) are left out.
    """
    parts = []
    for param in applicable(FAMILIES[family_key].params, task):
        value = params.get(param.name, param.default)
        # Leave out what did not act on this run: momentum under Adam, augmentation left off.
        if param.inactive_reason(params) is not None or (param.data_kinds is not None and value == param.default):
            continue
        if isinstance(param, ChoiceParam):
            shown = param.label_of(value)
        elif isinstance(param, IntListParam):
            shown = format_int_list(value)
        elif isinstance(param, FloatParam):
            shown = f"{value:g}"
        elif isinstance(value, bool):
            shown = "on" if value else "off"
        else:
            shown = str(value)
        parts.append(f"{param.label.split(' (')[0]} {shown}")
    return " · ".join(parts)


# The headline columns of each task in the runs table: (column, summary key). A table of
# classifiers shows no regression columns and the other way round; a mixed session shows both,
# each run filling its own.
CLASSIFICATION_COLUMNS = (("Test accuracy", "accuracy"), ("Balanced accuracy", "balanced_accuracy"), ("MCC", "mcc"),
                          ("Kappa", "kappa"), ("Macro F1", "macro_f1"), ("ROC AUC", "roc_auc"))
REGRESSION_COLUMNS = (("R²", "r2"), ("RMSE", "rmse"), ("MAE", "mae"), ("NMAD", "nmad"),
                      ("Outliers", "outlier_fraction"))
METRIC_COLUMNS = tuple(name for name, _ in CLASSIFICATION_COLUMNS + REGRESSION_COLUMNS)


def _baseline_figure(run: Run) -> float | None:
    """The baseline's accuracy (classification) or RMSE (regression) on the run's own rows."""
    baseline = getattr(run.result, "baseline", None) if run.result else None
    if baseline is None:
        return None
    return baseline.score("accuracy" if run.task == "classification" else "rmse")


def _verdict_summary(run: Run) -> str | None:
    """"No warning", or the verdict's warnings by name: "over-fitting, imbalanced classes"."""
    verdict = getattr(run.result, "verdict", None) if run.result else None
    if verdict is None:
        return None
    names = list(dict.fromkeys(WARNING_NAMES.get(f.rule, f.rule) for f in verdict.warnings))
    return ", ".join(names) if names else "No warning"


WARNING_NAMES = {"barely": "barely beats the baseline", "overfit": "over-fitting", "overfit_epochs": "over-fitting",
                 "underfit": "under-fitting", "leak": "possible leak", "identifier": "identifier leak",
                 "markers": "'missing' markers", "imbalance": "imbalanced classes", "few_rows": "too few rows per fold",
                 "unscaled": "unscaled features"}


def runs_table(runs: list[Run]) -> pd.DataFrame:
    rows = []
    tasks = {run.task for run in runs}
    shown = (CLASSIFICATION_COLUMNS if "classification" in tasks else ()) + \
        (REGRESSION_COLUMNS if "regression" in tasks else ())
    if not any(run.redshift for run in runs):
        shown = tuple(c for c in shown if c[1] not in ("nmad", "outlier_fraction"))
    for run in runs:
        summary = run.result.evaluation.summary() if run.result else {}
        rows.append({
            "Run": run.name,
            "Tags": ", ".join(run.tags),
            "Note": run.note,
            "Dataset": run.dataset_name,
            "Model": run.family_label,
            "Task": run.task.capitalize(),
            "Status": run.status.capitalize(),
            **{name: summary.get(key) for name, key in shown},
            "Baseline": _baseline_figure(run),
            "Verdict": _verdict_summary(run),
            "Device": run.result.device_used if run.result else run.device_requested,
            "Duration (s)": round(run.result.duration_s, 1) if run.result else None,
            "Started": run.started.strftime("%H:%M:%S"),
            "Settings": describe_params(run.family, run.params, run.task),
            "Validation": (run.result.cross_validation.headline() if run.result and run.result.cross_validation
                           else ValidationConfig(**run.validation).describe(run.task) if run.validation
                           else "Hold-out"),
        })
    return pd.DataFrame(rows)
