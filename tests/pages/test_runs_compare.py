"""The Runs page made for comparing: real runs (trained here, as the worker would) put into the session,
then compared, filtered, renamed, noted, tagged and deleted through the page's own widgets."""

import dataclasses

import pytest

from mllab.datasets.builtin import load_builtin
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training.holdout import run_training
from mllab.training.runs import new_run
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec
from page_support import TIMEOUT, plotly_specs, texts
from streamlit.testing.v1 import AppTest

from conftest import ROOT


def _run(number, dataset, family, params):
    spec = validate_spec(TrainingSpec(dataset=dataset, target=dataset.target, family=family, params=params,
                                      preprocessing=PreprocessConfig()))
    result = run_training(spec, LocalReporter())
    run = new_run(number, f"page-job-{number}", spec)
    run.status, run.history, run.result = result.status, result.history, result
    return run


@pytest.fixture(scope="module")
def trained():
    iris, wine = load_builtin("iris"), load_builtin("wine")
    return [_run(1, iris, "random_forest", {"n_estimators": 20}),
            _run(2, iris, "random_forest", {"n_estimators": 30, "max_depth": 3}),
            _run(3, wine, "logistic_regression", {})]


def _runs_page(trained, count=3):
    """The Runs page of a session that has trained these runs. AppTest finds a page of st.navigation only once
    the app has run, so the first run is the Data page's."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state["runs"] = [dataclasses.replace(r) for r in trained[:count]]
    at.run()
    at.switch_page("views/runs.py").run()
    assert not at.exception, at.exception
    return at


def _table(at):
    return at.dataframe[0].value


def _frames(at):
    return [d.value for d in at.dataframe]


def test_the_last_two_runs_are_compared_curves_overlaid_and_only_differing_settings_listed(trained):
    at = _runs_page(trained, count=2)
    assert at.multiselect(key="compare-runs").value == [1, 2]
    assert at.radio(key="compare-curve").value == "Error rate"
    overlay = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("Error rate (solid"))
    assert [t["name"] for t in overlay["data"]] == ["Run 1 · validation", "Run 1 · training", "Run 2 · validation",
                                                    "Run 2 · training"]
    assert [t["line"]["dash"] for t in overlay["data"]] == ["solid", "dot", "solid", "dot"]
    diff = next(f for f in _frames(at) if "Setting" in f.columns)
    assert list(diff["Setting"]) == ["Number of trees", "Max depth (0 = no limit)"]
    assert list(diff.columns) == ["Setting", "Run 1", "Run 2"]
    scores = next(f for f in _frames(at) if "Metric" in f.columns)
    assert scores["Metric"][0] == "Test accuracy" and list(scores.columns[1:3]) == ["Run 1", "Run 2"]
    accuracy = at.session_state["runs"][1].result.evaluation.accuracy
    assert scores["Run 2"][0] == f"{accuracy:.3f}"
    # The same two runs twice over: no difference, a sentence instead of a table.
    twin = dataclasses.replace(at.session_state["runs"][0], number=4, job_id="page-job-4")
    at.session_state["runs"] = [*at.session_state["runs"], twin]
    at.run()
    at.multiselect(key="compare-runs").set_value([1, 4]).run()
    assert not any("Setting" in f.columns for f in _frames(at))
    assert "Run 1 and Run 4 were trained on the same data with the same model and settings" in texts(at)


def test_runs_counted_in_trees_and_iterations_get_a_figure_each(trained):
    at = _runs_page(trained)
    at.multiselect(key="compare-runs").set_value([1, 3]).run()
    assert at.radio(key="compare-curve").options == ["Error rate", "Accuracy", "Loss"]
    at.radio(key="compare-curve").set_value("Accuracy").run()
    overlays = [s for s in plotly_specs(at) if "(solid: validation" in s["layout"]["title"]["text"]]
    assert [s["layout"]["xaxis"]["title"]["text"] for s in overlays] == ["Trees", "Iteration"]
    assert "each kind of step has its own figure" in texts(at)
    diff = next(f for f in _frames(at) if "Setting" in f.columns)
    assert list(diff["Setting"])[:3] == ["Dataset", "Target", "Model"]


def test_filters_hide_the_runs_that_do_not_match(trained):
    at = _runs_page(trained)
    assert list(_table(at)["Run"]) == ["Run 1", "Run 2", "Run 3"]
    at.multiselect(key="filter-families").set_value(["logistic_regression"]).run()
    assert list(_table(at)["Run"]) == ["Run 3"] and "Showing 1 of 3 runs." in texts(at)
    assert at.selectbox(key="open-run").options == ["Run 3"]
    at.multiselect(key="filter-families").set_value([])
    at.multiselect(key="filter-datasets").set_value(["Iris flowers"]).run()
    assert list(_table(at)["Run"]) == ["Run 1", "Run 2"]
    at.text_input(key="filter-text").set_value("max depth 3").run()
    assert list(_table(at)["Run"]) == ["Run 2"]
    at.text_input(key="filter-text").set_value("nothing like this").run()
    assert not at.dataframe and "No run matches these filters" in texts(at)


NAME = "Shallow [forest](http://x.org)"  # markdown in a name stays text


def test_rename_note_and_tags_land_on_the_run_and_in_the_table(trained):
    at = _runs_page(trained)
    at.selectbox(key="open-run").set_value("Run 2").run()
    at.text_input(key="run-title-2").set_value("  Shallow   [forest](http://x.org) ").run()
    assert not at.exception
    run = at.session_state["runs"][1]
    assert run.title == NAME and list(_table(at)["Run"]) == ["Run 1", NAME, "Run 3"]
    assert at.selectbox(key="open-run").value == NAME  # the renamed run stays open
    # The name is the user's text: shown as typed, never as a link.
    assert any(m.value.startswith(r"**Shallow \[forest\]\(http://x\.org\)** · Random forest") for m in at.markdown)
    at.text_area(key="run-note-2").set_value("Depth 3 is enough for iris.")
    at.multiselect(key="run-tags-2").set_value(["forest", " Forest ", "iris, depth"]).run()
    assert run.note == "Depth 3 is enough for iris." and run.tags == ("forest", "iris", "depth")
    table = _table(at)
    assert table["Tags"][1] == "forest, iris, depth" and table["Note"][1] == "Depth 3 is enough for iris."
    assert at.multiselect(key="run-tags-2").value == ["forest", "iris", "depth"]
    at.multiselect(key="filter-tags").set_value(["depth"]).run()
    assert list(_table(at)["Run"]) == [NAME]
    # A name of the runs' numbers is refused with a sentence; an empty one brings "Run 2" back.
    at.multiselect(key="filter-tags").set_value([])
    at.text_input(key="run-title-2").set_value("Run 1").run()
    assert "belong to the runs' numbers" in texts(at) and run.title == NAME
    assert at.text_input(key="run-title-2").value == NAME
    at.text_input(key="run-title-2").set_value("").run()
    assert run.title is None and list(_table(at)["Run"]) == ["Run 1", "Run 2", "Run 3"]
    assert at.selectbox(key="open-run").value == "Run 2"


def test_delete_asks_for_a_confirmation_then_removes_the_run(trained):
    at = _runs_page(trained)
    assert at.selectbox(key="open-run").value == "Run 3"
    at.button(key="delete-run").click().run()
    assert len(at.session_state["runs"]) == 3  # not yet: it asks first
    assert "Delete Run 3?" in "\n".join(w.value for w in at.warning)
    assert at.button(key="delete-yes").label == "Yes, delete Run 3"
    at.button(key="delete-cancel").click().run()
    assert len(at.session_state["runs"]) == 3 and not at.warning
    at.button(key="delete-run").click().run()
    at.button(key="delete-yes").click().run()
    assert not at.exception
    assert [r.number for r in at.session_state["runs"]] == [1, 2]
    assert list(_table(at)["Run"]) == ["Run 1", "Run 2"]
    assert any(s.value.startswith("Run 3 deleted") for s in at.success)
    assert at.multiselect(key="compare-runs").value == [2]  # the deleted run is no longer compared
    assert at.selectbox(key="open-run").value == "Run 2"
