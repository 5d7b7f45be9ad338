"""Hyperparameter search: the grid is the product of the chosen values, random search is reproducible
and respects log ranges, the best candidate is the best, Stop keeps finished candidates, and a search
runs as one engine job reporting "candidate i of n"."""

import dataclasses
import threading
import time

import numpy as np
import pytest

from mllab.datasets.builtin import load_builtin
from mllab.errors import ParamError
from mllab.models import FAMILIES
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training.schemes import ValidationConfig
from mllab.training.search import (CandidateResult, Dimension, SearchResult, SearchSpec, candidates, dimension_for,
                                   run_search, validate_search)
from mllab.training.spec import LocalReporter, TrainingSpec


def _base(dataset_key="iris", family="random_forest", params=None, **preprocessing):
    dataset = load_builtin(dataset_key)
    return TrainingSpec(dataset=dataset, target=dataset.target, preprocessing=PreprocessConfig(**preprocessing),
                        family=family, params=params or {})


def _params(family):
    return {p.name: p for p in FAMILIES[family].params}


def test_grid_enumerates_the_product_of_the_chosen_values_keeping_other_settings():
    mlp = _params("mlp")
    spec = SearchSpec(base=_base(family="mlp", params={"epochs": 7}), dimensions=(
        dimension_for(mlp["optimiser"], ["adam", "sgd"]),
        dimension_for(mlp["initialiser"], ["glorot_uniform", "random_uniform", "he_normal"]),
        dimension_for(mlp["batch_size"], (5, 20), n_values=2),
    ))
    found = candidates(spec)
    assert len(found) == 2 * 3 * 2
    assert {(c["optimiser"], c["initialiser"], c["batch_size"]) for c in found} == {
        (o, i, b) for o in ("adam", "sgd") for i in ("glorot_uniform", "random_uniform", "he_normal") for b in (5, 20)}
    assert all(c["epochs"] == 7 for c in found)
    assert len(validate_search(spec).planned) == 12


def test_settings_that_do_not_act_do_not_multiply_the_candidates():
    # Momentum only acts under SGD: Adam with momentum 0.5 and with 0.9 is one model, trained once.
    mlp = _params("mlp")
    spec = SearchSpec(base=_base(family="mlp", params={"epochs": 7, "momentum": 0.8}), dimensions=(
        dimension_for(mlp["optimiser"], ["adam", "sgd"]),
        dimension_for(mlp["momentum"], (0.5, 0.9), n_values=2),
    ))
    found = candidates(spec)
    assert sorted((c["optimiser"], c["momentum"]) for c in found) == [("adam", 0.8), ("sgd", 0.5), ("sgd", 0.9)]


def test_log_ranges_are_log_spaced_in_a_grid_and_log_uniform_in_a_random_search():
    rate = dimension_for(_params("mlp")["learning_rate"], (1e-4, 1e-1), n_values=4)
    assert rate.log and rate.grid_values() == [0.0001, 0.001, 0.01, 0.1]
    assert set(rate.grid_values()) <= set(_params("mlp")["learning_rate"].grid())  # values the slider offers
    draws = np.array([rate.sample(np.random.default_rng(seed)) for seed in range(400)])
    assert draws.min() >= 1e-4 and draws.max() <= 0.1
    decades = np.floor(np.log10(draws)).astype(int)
    # Log-uniform: each of the three decades gets about a third; uniform would put ~90 % in the last.
    assert all(0.25 < np.mean(decades == d) < 0.42 for d in (-4, -3, -2))


def test_random_search_is_reproducible_from_the_seed_and_distinct():
    forest = _params("random_forest")
    dims = (dimension_for(forest["n_estimators"], (10, 300)), dimension_for(forest["max_depth"], (0, 20)))
    first = candidates(SearchSpec(base=_base(seed=5), dimensions=dims, strategy="random", n_candidates=8))
    again = candidates(SearchSpec(base=_base(seed=5), dimensions=dims, strategy="random", n_candidates=8))
    other = candidates(SearchSpec(base=_base(seed=6), dimensions=dims, strategy="random", n_candidates=8))
    assert first == again and first != other and len(first) == 8
    assert len({(c["n_estimators"], c["max_depth"]) for c in first}) == 8
    assert all(10 <= c["n_estimators"] <= 300 and c["n_estimators"] % 10 == 0 for c in first)


def test_searches_that_cannot_run_are_refused_with_a_sentence():
    mlp = _params("mlp")
    too_big = SearchSpec(base=_base(family="mlp"), dimensions=(
        dimension_for(mlp["learning_rate"], (1e-5, 1.0), n_values=20),
        dimension_for(mlp["batch_size"], (1, 512), n_values=20)))
    with pytest.raises(ParamError, match="The grid has 400 combinations"):
        validate_search(too_big)
    with pytest.raises(ParamError, match="pick at least one value"):
        validate_search(SearchSpec(base=_base(family="mlp"), dimensions=(dimension_for(mlp["optimiser"], []),)))
    with pytest.raises(ParamError, match="between 1 and 512"):
        validate_search(SearchSpec(base=_base(family="mlp"), dimensions=(
            Dimension("batch_size", low=0, high=10, integer=True),)))


def test_a_grid_search_scores_every_candidate_and_picks_the_best():
    forest = _params("random_forest")
    spec = validate_search(SearchSpec(
        base=_base("wine"),
        dimensions=(dimension_for(forest["max_depth"], (1, 8), n_values=2),
                    dimension_for(forest["n_estimators"], (10, 60), n_values=2)),
        validation=ValidationConfig("stratified_kfold", n_folds=3)))
    reporter = LocalReporter()
    result = run_search(spec, reporter)
    assert result.status == "completed" and len(result.candidates) == 4
    best = result.best
    assert best.mean == max(c.mean for c in result.candidates)
    assert best.params["max_depth"] == 8 and best.mean >= 0.9  # depth-1 stumps cannot separate three wines
    table = result.table()
    assert table.iloc[0]["Best"] and table.iloc[0]["Mean accuracy"] == best.mean
    assert list(table["Mean accuracy"]) == sorted(table["Mean accuracy"], reverse=True)
    assert {"Max depth", "Number of trees", "Std"} <= set(table.columns)
    assert [e["step"] for e in reporter.history] == [1, 2, 3, 4]
    assert [e["message"] for e in reporter.events if e.get("type") == "status"][:2] == [
        "Candidate 1 of 4", "Candidate 2 of 4"]


def test_best_is_the_lowest_for_an_error_score_and_ties_go_to_the_first():
    def result(means, higher):
        return SearchResult(status="completed", history=[], n_planned=len(means), family="random_forest",
                            searched=[], metric="m", metric_label="m", higher_is_better=higher, validation="",
                            duration_s=0.0, candidates=[CandidateResult(i + 1, {}, m, 0.0, [m], 0.0)
                                                        for i, m in enumerate(means)])

    assert result([0.3, 0.9, 0.9, 0.1], higher=True).best.index == 2
    assert result([0.3, 0.9, 0.1, 0.1], higher=False).best.index == 3


def test_stop_ends_the_search_promptly_and_keeps_the_finished_candidates():
    mlp = _params("mlp")
    spec = validate_search(SearchSpec(
        base=_base("pima", family="mlp", params={"epochs": 200, "validation_split": 0.0}),
        dimensions=(dimension_for(mlp["optimiser"], ["adam", "rmsprop", "sgd"]),),
        validation=ValidationConfig("holdout")))
    spec.planned[0]["epochs"] = 2  # the first candidate finishes quickly, the second trains long
    reporter = LocalReporter()
    original = reporter.report

    def report(event):
        original(event)
        if event.get("message") == "Candidate 2 of 3":
            threading.Timer(1.0, reporter.stop_event.set).start()  # Stop pressed a second into candidate 2

    reporter.report = report
    result = run_search(spec, reporter)
    assert result.status == "stopped"
    assert [c.index for c in result.candidates] == [1]
    assert any("Stopped after 1 of 3 candidates" in note for note in result.notes)


def _sdss_base(rows=2000, **params):
    dataset = load_builtin("sdss_mgs")
    small = dataclasses.replace(dataset, frame=dataset.frame.sample(rows, random_state=0).reset_index(drop=True))
    return TrainingSpec(dataset=small, target="redshift", preprocessing=PreprocessConfig(), family="random_forest",
                        params=params, task="regression", redshift=True)


def test_a_photo_z_search_on_the_hold_out_ranks_by_r2_and_by_an_error_lowest_first():
    forest = _params("random_forest")
    dimensions = (dimension_for(forest["n_estimators"], (20, 40), n_values=2),
                  dimension_for(forest["max_depth"], (2, 12), n_values=2))
    spec = validate_search(SearchSpec(base=_sdss_base(), dimensions=dimensions, validation=ValidationConfig("holdout"),
                                      metric="r2"))
    assert [s.name for s in spec.scorers] == ["r2", "rmse", "mae", "nmad"]
    result = run_search(spec, LocalReporter())
    table = result.table()
    assert result.status == "completed" and len(table) == 4 and result.validation == "Hold-out"
    assert table["Mean R²"].max() == result.best.mean == table.iloc[0]["Mean R²"] and table.iloc[0]["Best"]
    assert result.best.params["max_depth"] == 12 and result.best.mean > 0.75  # depth-2 trees cannot fit redshift
    assert all(len(c.fold_scores) == 1 for c in result.candidates)
    by_nmad = run_search(validate_search(SearchSpec(base=_sdss_base(), dimensions=dimensions[1:],
                                                    validation=ValidationConfig("kfold", n_folds=3), metric="nmad")),
                         LocalReporter())
    nmad_table = by_nmad.table()
    assert by_nmad.metric_label == "NMAD" and not by_nmad.higher_is_better
    assert list(nmad_table["Mean NMAD"]) == sorted(nmad_table["Mean NMAD"]) and nmad_table.iloc[0]["Best"]
    assert by_nmad.best.params["max_depth"] == 12 and by_nmad.best.mean < 0.025
    assert all(len(c.fold_scores) == 3 for c in by_nmad.candidates)


def test_a_regression_search_refuses_a_classification_score_and_stratified_folds_with_a_sentence():
    forest = _params("random_forest")
    depth = (dimension_for(forest["max_depth"], (2, 12), n_values=2),)
    with pytest.raises(ParamError, match="does not apply to a regression; choose one of R², RMSE, MAE, NMAD"):
        validate_search(SearchSpec(base=_sdss_base(), dimensions=depth, metric="accuracy"))
    with pytest.raises(ParamError, match="Stratified folds keep class proportions"):
        validate_search(SearchSpec(base=_sdss_base(), dimensions=depth, metric="r2",
                                   validation=ValidationConfig("stratified_kfold", n_folds=3)))


@pytest.fixture(scope="module")
def engine(shared_engine):
    return shared_engine


def test_a_search_runs_as_one_engine_job_reporting_candidates_and_their_scores(engine):
    forest = _params("random_forest")
    spec = SearchSpec(base=_base("iris"), dimensions=(dimension_for(forest["max_depth"], (1, 6), n_values=3),),
                      validation=ValidationConfig("kfold", n_folds=3))
    job_id = engine.submit(spec, "searcher")
    with pytest.raises(Exception, match="already have a run in progress"):
        engine.submit(_base("iris"), "searcher")  # one job per session, a search included
    deadline = time.monotonic() + 240
    seen_messages = set()
    while time.monotonic() < deadline:
        engine.touch("searcher")
        state = engine.job(job_id, "searcher")
        seen_messages.add(state.message)
        if state.finished:
            break
        time.sleep(0.05)
    assert state.status == "completed", state.error
    assert [p["index"] for p in state.parts_done] == [1, 2, 3]
    assert state.progress == 1.0 and len(state.history) == 3
    assert any(m.startswith("Candidate") and m.endswith("of 3") for m in seen_messages)
    assert state.result.best.params["max_depth"] >= 3 and state.result.best.mean > 0.9


def test_a_kfold_run_on_the_engine_lists_finished_folds_and_restarts_the_live_curve_per_fold(engine):
    base = _base("pima", family="mlp", params={"epochs": 4, "validation_split": 0.0})
    base.validation = ValidationConfig("stratified_kfold", n_folds=3)
    job_id = engine.submit(base, "kfold-user")
    deadline = time.monotonic() + 240
    longest_curve = 0
    while time.monotonic() < deadline:
        engine.touch("kfold-user")
        state = engine.job(job_id, "kfold-user")
        longest_curve = max(longest_curve, len(state.history))
        if state.finished:
            break
        time.sleep(0.05)
    assert state.status == "completed", state.error
    assert [p["fold"] for p in state.parts_done] == [1, 2, 3]
    assert longest_curve <= 4  # each fold's curve replaces the previous one instead of trailing after it
    summary = state.result.cross_validation
    assert len(summary.folds) == 3 and 0.6 <= summary.mean("accuracy") <= 0.85


def test_pima_grid_over_optimiser_initialiser_epochs_and_batch_size_finishes_with_a_results_table():
    # The classic Pima grid search (optimiser × initialiser × epochs × batch size), made small enough for CI.
    mlp = _params("mlp")
    spec = validate_search(SearchSpec(
        base=_base("pima", family="mlp", params={"validation_split": 0.0}),
        dimensions=(dimension_for(mlp["optimiser"], ["adam", "rmsprop"]),
                    dimension_for(mlp["initialiser"], ["glorot_uniform", "random_uniform"]),
                    dimension_for(mlp["epochs"], (5, 10), n_values=2),
                    dimension_for(mlp["batch_size"], (32, 128), n_values=2)),
        validation=ValidationConfig("stratified_kfold", n_folds=2)))
    assert len(spec.planned) == 16
    result = run_search(spec, LocalReporter())
    table = result.table()
    assert result.status == "completed" and len(table) == 16
    assert list(table.columns[1:5]) == ["Optimiser", "Weight initialiser", "Epochs", "Batch size"]
    assert set(table["Epochs"]) == {"5", "10"} and set(table["Batch size"]) == {"32", "128"}
    assert table.iloc[0]["Best"] and 0.70 <= table.iloc[0]["Mean accuracy"] <= 0.85
    assert all(len(c.fold_scores) == 2 for c in result.candidates)
