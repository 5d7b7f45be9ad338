"""The workspace in the pages: a new browser session opened with the workspace's link (a refresh,
a bookmark, another device) shows the same data, cleaning, settings and runs; a link that opens
nothing says so; a second workspace sees none of the first one's runs."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from conftest import ROOT
from page_support import TIMEOUT, new_app, texts, train_until_done


def _reopen(token: str, page: str = "app.py") -> AppTest:
    """What a refresh or the link on another device does: a new session with the token in the URL."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["ws"] = token
    at.run()
    if page != "app.py":
        at.switch_page(page).run()
    return at


def test_a_refresh_shows_the_same_data_settings_and_runs():
    at = new_app()
    token = at.query_params["ws"]
    assert len(token) == 24  # 144 random bits
    at.selectbox(key="builtin-choice").set_value("wine").run()
    excluded = at.multiselect(key="clean-excluded")
    column = [o for o in excluded.options if o not in excluded.value][0]
    excluded.select(column).run()
    at.switch_page("pages/1_Train.py").run()
    at.selectbox(key="family").set_value("logistic_regression").run()
    at.button(key="train-button").click().run()
    train_until_done(at)
    accuracy = next(m.value for m in at.metric if m.label == "Test accuracy")
    at.slider(key="hp-logistic_regression-max_iter").set_value(150).run()  # a setting changed after the run

    train = _reopen(token, "pages/1_Train.py")
    assert not train.exception
    assert "Wine" in texts(train)
    assert train.selectbox(key="family").value == "logistic_regression"
    assert train.slider(key="hp-logistic_regression-max_iter").value == 150
    assert next(m.value for m in train.metric if m.label == "Test accuracy") == accuracy
    data = _reopen(token)
    assert column in data.multiselect(key="clean-excluded").value  # the cleaning choice came back
    runs = _reopen(token, "pages/2_Runs.py")
    table = runs.dataframe[0].value
    assert list(table["Run"]) == ["Run 1"] and list(table["Status"]) == ["Completed"]
    # The user's name, note and tags are the workspace's too.
    runs.text_input(key="run-title-1").set_value("Wine, logistic").run()
    runs.text_area(key="run-note-1").set_value("one column left out").run()
    runs.multiselect(key="run-tags-1").set_value(["lecture"]).run()
    again = _reopen(token, "pages/2_Runs.py")
    assert list(again.dataframe[0].value["Run"]) == ["Wine, logistic"]
    assert again.text_area(key="run-note-1").value == "one column left out"
    assert again.multiselect(key="run-tags-1").value == ["lecture"]
    # A deleted run stays deleted.
    again.button(key="delete-run").click().run()
    again.button(key="delete-yes").click().run()
    assert "No runs yet" in texts(_reopen(token, "pages/2_Runs.py"))

    # Another workspace (a classmate's) sees none of it.
    other = new_app()
    assert other.query_params["ws"] != token
    other.switch_page("pages/2_Runs.py").run()
    assert "No runs yet" in texts(other)


def test_a_link_that_opens_nothing_starts_a_new_workspace_and_says_so():
    for bad in ("A" * 24, "not-a-token", "<script>alert(1)</script>"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
        at.query_params["ws"] = bad
        at.run()
        assert not at.exception
        assert any("opens nothing" in i.value for i in at.info)
        assert at.query_params["ws"] != bad and len(at.query_params["ws"]) == 24
