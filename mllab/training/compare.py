"""Comparing runs: what differs between their settings, their headline metrics side by side, and
which runs a filter keeps. Pure functions over `Run` records; the Runs page draws them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from mllab.models import FAMILIES
from mllab.params import Param
from mllab.prepare.preprocessing import PREPROCESSING_SCHEMA
from mllab.training.runs import METRIC_COLUMNS, Run, describe_params, runs_table
from mllab.training.schemes import HOLDOUT_SCHEMES, VALIDATION_SCHEMA, scheme_param
from mllab.training.search import shown_value

NOT_APPLICABLE = "—"  # a setting that did not act on a run: another model's, momentum under Adam, ...
SETTING_COLUMN = "Setting"
METRIC_COLUMN = "Metric"
BEST_COLUMN = "Best"
# Lower is better for these rows of metrics_side_by_side; higher for the others.
LOWER_IS_BETTER = {"RMSE", "MAE", "NMAD", "Outliers"}


def run_labels(runs: Sequence[Run]) -> list[str]:
    """One distinct label per run, in order: its name, with "(Run N)" added where two runs share a name."""
    names = [run.name for run in runs]
    return [name if names.count(name) == 1 or name == f"Run {run.number}" else f"{name} (Run {run.number})"
            for name, run in zip(names, runs)]


def _names_in_words(labels: Sequence[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _hyperparameter(run: Run, param: Param | None) -> str:
    """The run's value of one hyperparameter as describe_params writes it, or "—" where it did not act."""
    if param is None or not param.applies_to(run.task) or param.inactive_reason(run.params) is not None:
        return NOT_APPLICABLE
    value = run.params.get(param.name, param.default)
    kind = run.dataset.kind if run.dataset is not None else None
    if param.data_kinds is not None and (not param.offered_for(kind) or (kind is None and value == param.default)):
        return NOT_APPLICABLE  # augmentation for a table (describe_params leaves it out too)
    return shown_value(param, value)


def _preprocessing(run: Run, param: Param) -> str:
    if not param.applies_to(run.task):
        return NOT_APPLICABLE  # the stratified split of a regression
    return shown_value(param, run.preprocessing.get(param.name, param.default))


def _validation(run: Run, param: Param) -> str:
    values = {p.name: run.validation.get(p.name, p.default) for p in VALIDATION_SCHEMA}
    scheme = values["scheme"]
    if param.name == "scheme":
        return scheme_param(run.task).label_of(scheme)
    if (param.name == "n_folds" and scheme in HOLDOUT_SCHEMES) or (param.name == "n_repeats" and scheme != "repeated_kfold"):
        return NOT_APPLICABLE
    return shown_value(param, values[param.name])


def _cleaning_rows(run: Run) -> dict[str, str]:
    cleaning = run.cleaning or {}
    missing = ", ".join(f"{column} = {value:g}" for column, value in cleaning.get("missing", ()))
    derived = ", ".join(f"{d['name']} = {d['expression']}" for d in cleaning.get("derived", ()))
    return {"Columns left out": ", ".join(cleaning.get("excluded", ())) or "none",
            "Values read as missing": missing or "none", "New columns": derived or "none"}


def _hyperparameter_key(run: Run, param: Param | None) -> object:
    """What decides whether two runs' values of a hyperparameter differ: the value itself, so two models that
    word the same choice differently (a forest's "Equal" class weight, logistic regression's "None") agree."""
    shown = _hyperparameter(run, param)
    return shown if shown == NOT_APPLICABLE else repr(run.params.get(param.name, param.default))


def _setting_rows(runs: Sequence[Run]) -> list[tuple[str, list[str], list]]:
    """(setting label, one shown value per run, what is compared) of every setting, in the order the Train
    page shows them; what is compared is the shown value except for hyperparameters."""
    rows = [("Dataset", [r.dataset_name for r in runs]), ("Target", [r.target for r in runs]),
            ("Task", [r.task.capitalize() for r in runs])]
    cleaning = [_cleaning_rows(r) for r in runs]
    rows += [(label, [c[label] for c in cleaning]) for label in cleaning[0]]
    rows.append(("Model", [r.family_label for r in runs]))
    rows = [(label, values, values) for label, values in rows]
    # Every hyperparameter of the runs' families, each once (two families may share one: class weight).
    seen: dict[str, Param] = {}
    for family in dict.fromkeys(r.family for r in runs):
        for param in FAMILIES[family].params:
            seen.setdefault(param.name, param)
    for name, param in seen.items():
        per_family = {f: next((p for p in FAMILIES[f].params if p.name == name), None)
                      for f in {r.family for r in runs}}
        rows.append((param.label, [_hyperparameter(r, per_family[r.family]) for r in runs],
                     [_hyperparameter_key(r, per_family[r.family]) for r in runs]))
    for values in ([(p.label, [_preprocessing(r, p) for r in runs]) for p in PREPROCESSING_SCHEMA]
                   + [(p.label, [_validation(r, p) for r in runs]) for p in VALIDATION_SCHEMA]):
        rows.append((*values, values[1]))
    return rows


def settings_diff(runs: Sequence[Run]) -> pd.DataFrame:
    """One row per setting whose shown value is not the same for all `runs`: "Setting", then one column
    per run (`run_labels`). A setting that did not act on a run (another model's, momentum under Adam,
    the folds of a hold-out run) reads "—". Empty (with those columns) when all agree or fewer than two
    runs are given; `same_settings_sentence` says so.
    """
    labels = run_labels(runs)
    if len(runs) < 2:
        return pd.DataFrame(columns=[SETTING_COLUMN, *labels])
    differing = [{SETTING_COLUMN: label, **dict(zip(labels, values))}
                 for label, values, compared in _setting_rows(runs) if len(set(compared)) > 1]
    return pd.DataFrame(differing, columns=[SETTING_COLUMN, *labels])


def same_settings_sentence(runs: Sequence[Run]) -> str:
    """What to show instead of an empty settings diff."""
    if len(runs) < 2:
        return "Choose two runs or more to see how their settings differ."
    return (f"{_names_in_words(run_labels(runs))} were trained on the same data with the same model and settings, "
            "seed included: no setting differs.")


def metrics_side_by_side(runs: Sequence[Run]) -> pd.DataFrame:
    """The runs table's headline figures with one column per run: "Metric", a column per run (`run_labels`),
    and "Best", the run(s) with the best value (highest, or lowest for errors). Rows are the metric
    columns the runs table shows for these runs, then "Baseline" and "Duration (s)"; a figure a run
    does not have (a regression's accuracy, a run still training) is empty.
    """
    labels = run_labels(runs)
    table = runs_table(list(runs)) if runs else pd.DataFrame()
    rows = [c for c in table.columns if c in METRIC_COLUMNS] + [c for c in ("Baseline", "Duration (s)")
                                                                 if c in table.columns]
    out = []
    for metric in rows:
        values = [None if pd.isna(v) else float(v) for v in table[metric]]
        known = [v for v in values if v is not None]
        best = ""
        if metric not in ("Baseline", "Duration (s)") and len(known) > 1 and len(set(known)) > 1:
            target = min(known) if metric in LOWER_IS_BETTER else max(known)
            best = ", ".join(label for label, v in zip(labels, values) if v == target)
        out.append({METRIC_COLUMN: metric, **dict(zip(labels, values)), BEST_COLUMN: best})
    return pd.DataFrame(out, columns=[METRIC_COLUMN, *labels, BEST_COLUMN])


def _words(run: Run) -> str:
    return " ".join([run.name, f"Run {run.number}", run.note, *run.tags, run.dataset_name, run.target,
                     run.family_label, describe_params(run.family, run.params, run.task)]).casefold()


def filter_runs(runs: Iterable[Run], datasets: Iterable[str] | None = None, families: Iterable[str] | None = None,
                tags: Iterable[str] | None = None, text: str | None = None) -> list[Run]:
    """The runs that pass every filter given, in their order. `datasets` are dataset names, `families`
    family keys ("random_forest"); a run passes `tags` when it has any of them; `text` is looked for,
    ignoring case, in the run's name, note, tags, dataset, target, model and settings. An empty or None
    filter keeps every run."""
    datasets, families = set(datasets or ()), set(families or ())
    wanted_tags = {t.casefold() for t in tags or ()}
    needle = (text or "").strip().casefold()
    kept = []
    for run in runs:
        if datasets and run.dataset_name not in datasets:
            continue
        if families and run.family not in families:
            continue
        if wanted_tags and not wanted_tags & {t.casefold() for t in run.tags}:
            continue
        if needle and needle not in _words(run):
            continue
        kept.append(run)
    return kept


def curve_choices(runs: Sequence[Run]) -> list[tuple[str, str]]:
    """(history key, chart title) of every learning curve the runs' models draw, each once, in order."""
    return list(dict.fromkeys(pair for run in runs for pair in FAMILIES[run.family].curves_for(run.task)))


def draws_curve(run: Run, choice: tuple[str, str]) -> bool:
    """Whether the run's model draws this curve (the Train page's own choice of curves for the run)."""
    return tuple(choice) in FAMILIES[run.family].curves_for(run.task)
