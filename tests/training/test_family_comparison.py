"""The family comparison on iris: every classifier planned with its data-fitted defaults on one split, trained
together on the engine's workers, gives the figures each gives trained alone; a family that cannot train on the
data is listed with its sentence; a failed run's row says why."""

import time

import pytest

from mllab.datasets import load_builtin
from mllab.models import FAMILIES, DataShape
from mllab.prepare import PreprocessConfig
from mllab.training import LocalReporter, TrainingSpec, new_run, run_training, validate_spec
from mllab.training.family_comparison import (ABOVE_BASELINE, BASELINE_ROW, LECTURE_ORDER, comparison_table,
                                              comparison_tag, latest_comparison, plan_comparison)

SMALL = {"mlp": {"epochs": 5}, "random_forest": {"n_estimators": 30}}  # the claim holds at any size; CI is short


@pytest.fixture(scope="module")
def iris():
    return load_builtin("iris")


@pytest.fixture(scope="module")
def compared(iris, shared_engine):
    """The comparison's runs, trained together on the engine, as the Train page keeps them."""
    entries = plan_comparison(iris, "species", "classification", PreprocessConfig(seed=7), overrides=SMALL)
    owner = "family-comparison-test"
    runs = []
    for index, entry in enumerate(e for e in entries if e.spec is not None):
        job_id = shared_engine.submit(entry.spec, owner, alongside=index > 0)
        run = new_run(index + 1, job_id, entry.spec)
        run.title, run.tags = entry.label, (comparison_tag(1),)
        runs.append(run)
    deadline = time.monotonic() + 300
    while not all(run.finished for run in runs) and time.monotonic() < deadline:
        shared_engine.touch(owner)
        for run in runs:
            if not run.finished:
                run.update(shared_engine.job(run.job_id, owner))
        time.sleep(0.1)
    assert all(run.status == "completed" for run in runs), [(r.family, r.status, r.error) for r in runs]
    return entries, runs


def test_every_classifier_is_planned_in_the_lectures_order_and_the_cnn_refused_with_its_sentence(iris):
    entries = plan_comparison(iris, "species", "classification", PreprocessConfig())
    keys = [e.family for e in entries]
    assert set(keys) == {k for k, f in FAMILIES.items() if "classification" in f.tasks}
    assert set(LECTURE_ORDER) <= set(FAMILIES)  # the slide's order names real families
    ranked = [k for k in keys if k in LECTURE_ORDER]
    assert ranked == sorted(ranked, key=LECTURE_ORDER.index)
    cnn = next(e for e in entries if e.family == "cnn")
    assert cnn.spec is None and "needs image or signal data" in cnn.reason
    for entry in entries:
        if entry.spec is not None:
            assert entry.spec.boundary == "pca" and entry.spec.seed == 42 and not entry.spec.validation.is_kfold
            assert entry.spec.params == FAMILIES[entry.family].defaults_for(DataShape.of(iris, "species",
                                                                                         "classification"))


def test_a_family_whose_rules_refuse_its_settings_is_listed_with_the_sentence_and_the_others_still_planned(iris):
    entries = plan_comparison(iris, "species", "classification", PreprocessConfig(),
                              overrides={"logistic_regression": {"penalty": "l1", "solver": "lbfgs"}})
    logistic = next(e for e in entries if e.family == "logistic_regression")
    assert logistic.spec is None and "does not support the l1 penalty" in logistic.reason
    assert next(e for e in entries if e.family == "random_forest").spec is not None
    table = comparison_table([], [e for e in entries if e.spec is None])
    assert table.loc[table["Model"] == logistic.label, "Note"].item() == logistic.reason


def test_the_comparisons_rows_equal_the_same_runs_trained_one_by_one(iris, compared):
    entries, runs = compared
    table = comparison_table(runs, [e for e in entries if e.spec is None])
    for run in runs:
        family = FAMILIES[run.family]
        alone = validate_spec(TrainingSpec(
            dataset=iris, target="species", preprocessing=PreprocessConfig(seed=7), family=run.family,
            params={**family.defaults_for(DataShape.of(iris, "species", "classification")),
                    **SMALL.get(run.family, {})}))
        result = run_training(alone, LocalReporter())
        row = table[table["Run"] == run.number].iloc[0]
        assert row["Model"] == family.label and row["Status"] == "Done"
        assert round(row["Accuracy"], 3) == round(result.evaluation.accuracy, 3)
        assert round(row["Macro F1"], 3) == round(result.evaluation.summary()["macro_f1"], 3)
        assert run.result.boundary is not None  # each run drew its map
    baseline = table[table["Model"] == BASELINE_ROW].iloc[0]
    assert round(baseline["Accuracy"], 3) == 0.333 and baseline[ABOVE_BASELINE] == 0
    ranked = table["Accuracy"].dropna().tolist()
    assert ranked == sorted(ranked, reverse=True)
    assert table.iloc[-1]["Status"] == "Not run"  # the CNN, after the ranked rows
    assert latest_comparison(runs) == sorted(runs, key=lambda r: LECTURE_ORDER.index(r.family))


def test_a_failed_run_says_why_in_its_row_and_the_others_keep_theirs(compared):
    entries, runs = compared
    failed = new_run(99, "gone", next(e for e in entries if e.spec is not None).spec)
    failed.status, failed.error = "failed", "The worker running this job stopped (out of memory)."
    table = comparison_table([*runs, failed])
    row = table[table["Run"] == 99].iloc[0]
    assert row["Status"] == "Failed" and row["Note"] == failed.error and row.isna()["Accuracy"]
    assert table["Accuracy"].notna().sum() == len(runs) + 1  # every other run and the baseline


def test_a_regression_compares_the_regression_families_without_maps(iris):
    entries = plan_comparison(iris, "petal_width_cm", "regression", PreprocessConfig(stratify=False))
    assert entries[0].family == "linear_regression"
    assert all(e.spec is None or e.spec.boundary is None for e in entries)
    assert {e.family for e in entries} == {k for k, f in FAMILIES.items() if "regression" in f.tasks}
