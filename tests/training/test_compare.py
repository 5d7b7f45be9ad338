"""Comparing real runs: the settings diff lists exactly what differs, the metrics sit side by side,
filters keep the right runs, and the overlaid curves draw each run in its colour (validation solid,
training dotted)."""

import dataclasses

import pytest

from mllab.charts.compare import RunHistory, overlaid_curve_figures, overlaid_curves
from mllab.datasets.builtin import load_builtin
from mllab.models import FAMILIES
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training.compare import (NOT_APPLICABLE, filter_runs, metrics_side_by_side, run_labels,
                                    same_settings_sentence, settings_diff)
from mllab.training.holdout import run_training
from mllab.training.runs import new_run, runs_table
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec


def _run(number, dataset, family, params, **preprocessing):
    spec = validate_spec(TrainingSpec(dataset=dataset, target=dataset.target, family=family, params=params,
                                      preprocessing=PreprocessConfig(**preprocessing)))
    result = run_training(spec, LocalReporter())
    run = new_run(number, f"job-{number}", spec)
    run.status, run.history, run.result = result.status, result.history, result
    return run


@pytest.fixture(scope="module")
def runs():
    iris, wine = load_builtin("iris"), load_builtin("wine")
    return [_run(1, iris, "random_forest", {"n_estimators": 20}),
            _run(2, iris, "random_forest", {"n_estimators": 30, "max_depth": 3}, seed=7),
            _run(3, iris, "logistic_regression", {}),
            _run(4, wine, "logistic_regression", {"C": 0.5})]


def _rows(diff):
    return list(diff["Setting"])


def test_two_forests_differ_in_trees_depth_and_seed_only(runs):
    diff = settings_diff(runs[:2])
    assert _rows(diff) == ["Number of trees", "Max depth (0 = no limit)", "Random seed"]
    assert list(diff.columns) == ["Setting", "Run 1", "Run 2"]
    assert diff.set_index("Setting").loc["Number of trees"].tolist() == ["20", "30"]
    assert diff.set_index("Setting").loc["Max depth (0 = no limit)"].tolist() == ["0", "3"]
    assert diff.set_index("Setting").loc["Random seed"].tolist() == ["42", "7"]


def test_a_forest_against_a_logistic_regression_shows_each_models_own_settings_as_not_applying_to_the_other(runs):
    diff = settings_diff([runs[0], runs[2]]).set_index("Setting")
    forest = [p.label for p in FAMILIES["random_forest"].params if p.name != "class_weight"]
    # A setting the run's own choices switch off (the L1 ratio under an L2 penalty) applies to neither run.
    logistic = [p.label for p in FAMILIES["logistic_regression"].params
                if p.name != "class_weight" and p.inactive_reason(runs[2].params) is None]
    # Both leave class weights off, so that shared setting is no difference; nothing else differs.
    assert list(diff.index) == ["Model", *forest, *logistic]
    assert diff.loc["Model"].tolist() == ["Random forest", "Logistic regression"]
    assert all(diff.loc[label, "Run 3"] == NOT_APPLICABLE for label in forest)
    assert all(diff.loc[label, "Run 1"] == NOT_APPLICABLE for label in logistic)
    assert diff.loc["Penalty", "Run 3"] == FAMILIES["logistic_regression"].params[1].label_of("l2")


def test_runs_on_other_data_differ_in_the_dataset_and_target(runs):
    diff = settings_diff(runs[2:]).set_index("Setting")
    assert list(diff.index) == ["Dataset", "Target", "C (inverse regularisation)"]
    assert diff.loc["Dataset"].tolist() == ["Iris flowers", "Wine cultivars"]
    assert diff.loc["Target"].tolist() == ["species", "cultivar"]
    assert diff.loc["C (inverse regularisation)"].tolist() == ["1", "0.5"]


def test_runs_with_the_same_settings_show_no_row_and_a_sentence(runs):
    twin = dataclasses.replace(runs[0], number=5, job_id="job-5")
    diff = settings_diff([runs[0], twin])
    assert diff.empty and list(diff.columns) == ["Setting", "Run 1", "Run 5"]
    assert same_settings_sentence([runs[0], twin]) == ("Run 1 and Run 5 were trained on the same data with the same "
                                                       "model and settings, seed included: no setting differs.")
    assert settings_diff(runs[:1]).empty and "two runs or more" in same_settings_sentence(runs[:1])


def test_metrics_side_by_side_are_the_runs_tables_figures_with_the_best_named(runs):
    chosen = runs[:3]
    table = metrics_side_by_side(chosen)
    assert list(table.columns) == ["Metric", "Run 1", "Run 2", "Run 3", "Best"]
    assert list(table["Metric"][:6]) == ["Test accuracy", "Balanced accuracy", "MCC", "Kappa", "Macro F1", "ROC AUC"]
    assert list(table["Metric"][6:]) == ["Baseline", "Duration (s)"]
    rows = table.set_index("Metric")
    accuracies = [r.result.evaluation.accuracy for r in chosen]
    assert rows.loc["Test accuracy", ["Run 1", "Run 2", "Run 3"]].tolist() == pytest.approx(accuracies)
    wide = runs_table(chosen).set_index("Run")
    assert rows.loc["ROC AUC", "Run 2"] == pytest.approx(wide.loc["Run 2", "ROC AUC"])
    best = max(accuracies)
    if len(set(accuracies)) > 1:
        assert rows.loc["Test accuracy", "Best"] == ", ".join(f"Run {r.number}" for r, a in zip(chosen, accuracies)
                                                             if a == best)
    assert rows.loc["Baseline", "Best"] == ""


def test_names_notes_and_tags_show_in_the_runs_table_and_labels_stay_distinct(runs):
    a, b = dataclasses.replace(runs[0]), dataclasses.replace(runs[1])
    assert a.name == "Run 1"
    a.title, a.note, a.tags = "deep forest", "more trees next", ("forest", "baseline")
    b.title = "deep forest"
    table = runs_table([a, b])
    assert table["Run"].tolist() == ["deep forest", "deep forest"]
    assert table["Tags"].tolist() == ["forest, baseline", ""] and table["Note"][0] == "more trees next"
    assert run_labels([a, b]) == ["deep forest (Run 1)", "deep forest (Run 2)"]


def test_filters_keep_the_runs_that_match_every_filter(runs):
    tagged = [dataclasses.replace(r) for r in runs]
    tagged[0].tags, tagged[2].tags = ("Baseline",), ("baseline", "linear")
    tagged[3].note = "Wine, C halved"
    numbers = lambda kept: [r.number for r in kept]  # noqa: E731
    assert numbers(filter_runs(tagged)) == [1, 2, 3, 4]
    assert numbers(filter_runs(tagged, datasets=[runs[3].dataset_name])) == [4]
    assert numbers(filter_runs(tagged, families=["random_forest"])) == [1, 2]
    assert numbers(filter_runs(tagged, tags=["baseline"])) == [1, 3]  # any of the tags, ignoring case
    assert numbers(filter_runs(tagged, tags=["linear", "baseline"], families=["logistic_regression"])) == [3]
    assert numbers(filter_runs(tagged, text="c HALVED")) == [4]
    assert numbers(filter_runs(tagged, text="Number of trees 30")) == [2]  # the settings' own words
    assert numbers(filter_runs(tagged, datasets=[runs[0].dataset_name], text="halved")) == []


def _history(run):
    return RunHistory(run.name, run.history, FAMILIES[run.family].step_label)


def test_overlaid_curves_draw_each_run_in_one_colour_validation_solid_training_dotted(runs):
    fig = overlaid_curves([_history(runs[0]), _history(runs[1])], "error", "Error rate")
    traces = fig.data
    assert [t.name for t in traces] == ["Run 1 · validation", "Run 1 · training", "Run 2 · validation",
                                        "Run 2 · training"]
    assert [t.line.dash for t in traces] == ["solid", "dot", "solid", "dot"]
    assert traces[0].line.color == traces[1].line.color != traces[2].line.color == traces[3].line.color
    assert list(traces[0].x) == [e["step"] for e in runs[0].history]
    assert list(traces[2].y) == pytest.approx([e["val_error"] for e in runs[1].history])
    assert fig.layout.xaxis.title.text == "Trees" and fig.layout.yaxis.title.text == "Error rate"
    assert fig.layout.font.size >= 16


def test_runs_counted_in_different_steps_get_one_figure_each_and_keep_their_colours(runs):
    chosen = [_history(runs[0]), _history(runs[2]), _history(runs[1])]
    trees, iterations = overlaid_curve_figures(chosen, "accuracy", "Accuracy")
    assert trees.layout.xaxis.title.text == "Trees" and iterations.layout.xaxis.title.text == "Iteration"
    assert [t.name for t in trees.data] == ["Run 1 · validation", "Run 1 · training", "Run 2 · validation",
                                            "Run 2 · training"]
    # Logistic regression reports no validation curve: its training curve alone, dotted, in the second colour.
    assert [(t.name, t.line.dash) for t in iterations.data] == [("Run 3 · training", "dot")]
    assert iterations.layout.showlegend  # a lone trace keeps its legend: the run's name
    assert len({trees.data[0].line.color, iterations.data[0].line.color, trees.data[2].line.color}) == 3
    together = overlaid_curves(chosen, "accuracy", "Accuracy")
    assert together.layout.xaxis.title.text == "Step, not the same unit: Trees for Run 1, Run 2; Iteration for Run 3"


def test_a_users_name_is_plain_text_in_the_figure(runs):
    fig = overlaid_curves([RunHistory("<b>bold</b> & co", runs[0].history, "Trees")], "error", "Error rate")
    assert fig.data[0].name == "&lt;b&gt;bold&lt;/b&gt; &amp; co · validation"
