"""The Train page's "Compare the lecture's classifiers" on iris, with the real engine: one press trains every
classifier that fits, and the page shows one table row per family (the baseline and the refused CNN too) and one
boundary map per trained family, titled with its name."""

from page_support import new_app, plotly_specs, texts, wait_for
from mllab.models import FAMILIES


def _table(at):
    return next((frame.value for frame in at.dataframe if "Model" in frame.value.columns), None)


def test_one_press_compares_every_classifier_with_a_table_and_a_map_each():
    at = new_app()
    at.selectbox(key="builtin-choice").set_value("iris").run()
    at.switch_page("views/train.py").run()
    at.button(key="compare-families").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    wait_for(at, lambda at: _table(at) is not None, timeout=400)
    table = _table(at)
    classifiers = [f for f in FAMILIES.values() if "classification" in f.tasks]
    trained = [f.label for f in classifiers if "table" in f.data_kinds]
    assert set(table["Model"]) == set(trained) | {"Baseline (no feature)"}
    assert table["Accuracy"].notna().all()
    refused = [f.label for f in classifiers if "table" not in f.data_kinds]
    for label in refused:  # the CNN: listed with its reason under the table
        assert f"Left out: {label} needs image or signal data" in texts(at).replace("\\", "")
    titles = [spec["layout"]["title"]["text"] for spec in plotly_specs(at)]
    for label in trained:
        assert any(title.startswith(label.split(" (")[0]) for title in titles), (label, titles)
    assert "**The lecture's classifiers** on Iris" in texts(at)
    # The comparison's runs are ordinary runs: the Runs page lists each under its model's name.
    at.switch_page("views/runs.py").run()
    runs = next(frame.value for frame in at.dataframe if "Run" in frame.value.columns)
    assert set(trained) <= set(runs["Run"]) and set(runs["Tags"]) == {"comparison 1"}


def test_the_workflow_step_loads_ogle_and_starts_the_comparison_with_a_bar_per_family():
    at = new_app()
    at.switch_page("views/workflows.py").run()
    at.button(key="preset-lecture-classifiers-compare").click().run()
    assert not at.exception
    at.switch_page("views/train.py").run()  # AppTest follows st.switch_page one run late (tests/pages/test_presets.py)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "**The lecture's classifiers** on Variable stars (OGLE-III)" in texts(at).replace("\\", "")
    trained = [f.label for f in FAMILIES.values() if "classification" in f.tasks and "table" in f.data_kinds]
    bars = [bar.proto.text for bar in at.get("progress")]
    assert sorted(bar.split(" · ")[0] for bar in bars) == sorted(trained), bars
    # Stop ends every run of the comparison, and the page shows the table of what there is.
    at.button(key="stop-button").click().run()
    wait_for(at, lambda at: _table(at) is not None, timeout=120)
    assert set(_table(at)["Status"]) <= {"Stopped", "Done", "Not run", ""}
