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
    assert set(table["Model"]) == {f.label for f in classifiers} | {"Baseline (looks at no feature)"}
    assert set(table.loc[table["Status"] == "Done", "Model"]) == set(trained)
    assert "needs image or signal data" in table.loc[table["Model"] == FAMILIES["cnn"].label, "Note"].item()
    titles = [spec["layout"]["title"]["text"] for spec in plotly_specs(at)]
    for label in trained:
        assert any(title.startswith(label) for title in titles), (label, titles)
    assert "The lecture's classifiers on" in texts(at)
    # The comparison's runs are ordinary runs: the Runs page lists each under its model's name.
    at.switch_page("views/runs.py").run()
    runs = next(frame.value for frame in at.dataframe if "Run" in frame.value.columns)
    assert set(trained) <= set(runs["Run"]) and set(runs["Tags"]) == {"comparison 1"}
