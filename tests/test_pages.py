"""Page tests with Streamlit's AppTest: what a user sees after each interaction."""

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT

TIMEOUT = 120


def _app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    return at.run()


def _texts(at) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.error, *at.header, *at.title,
                               *at.subheader)]
    return "\n".join(str(p) for p in parts)


def _plotly_specs(at) -> list[dict]:
    specs = []
    for element in at.get("plotly_chart"):
        specs.append(json.loads(element.proto.spec))
    return specs


def _train_until_done(at, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        if any(m.label == "Test accuracy" for m in at.metric):
            return at
        assert not at.exception, at.exception
        errors = [e.value for e in at.error]
        assert not errors, errors
        time.sleep(0.3)
    raise AssertionError("training did not finish")


def test_data_page_opens_on_built_in_data_with_description_and_class_balance():
    at = _app()
    assert not at.exception
    assert at.selectbox(key="builtin-choice").value == "digits"
    assert "Handwritten digits" in _texts(at) or "digits" in _texts(at).lower()
    assert any(m.label == "Rows" and m.value == "1,797" for m in at.metric)
    assert any(s["data"][0]["type"] == "bar" for s in _plotly_specs(at))


def test_choosing_another_built_in_dataset_shows_its_citation():
    at = _app()
    at.selectbox(key="builtin-choice").set_value("ogle3").run()
    assert "Udalski" in _texts(at)
    assert at.session_state.target == "Type"
    balance = next(s for s in _plotly_specs(at) if s["data"][0]["type"] == "bar")
    assert len(balance["data"][0]["x"] if balance["data"][0].get("orientation") != "h" else
               balance["data"][0]["y"]) >= 6


@pytest.mark.parametrize("content,expected", [
    (b"", "empty"),
    (b"\x00\x01\x02\xff" * 200, "not"),
])
def test_bad_uploads_give_a_message_and_keep_the_previous_dataset(content, expected):
    at = _app()
    at.selectbox(key="builtin-choice").set_value("iris").run()
    at.radio(key="data-source").set_value("Upload a CSV file").run()
    at.file_uploader[0].set_value(("bad.csv", content, "text/csv"))
    at.run()
    assert not at.exception
    messages = " ".join(e.value for e in at.error).lower()
    assert expected in messages, messages
    assert "Still using the previous dataset: Iris" in _texts(at)
    assert at.session_state.dataset.name.lower().startswith("iris")


def test_a_target_with_one_class_is_explained_and_train_is_not_offered():
    at = _app()
    at.radio(key="data-source").set_value("Upload a CSV file").run()
    at.file_uploader[0].set_value(("one.csv", b"a,b\n1,x\n2,x\n3,x\n4,x\n", "text/csv"))
    at.run()
    at.selectbox(key="target-one.csv").set_value("b").run()
    assert not at.exception
    assert "only one class" in " ".join(e.value for e in at.error)
    at.switch_page("pages/1_Train.py").run()
    assert "only one class" in " ".join(e.value for e in at.error)
    assert not at.button


def test_a_good_upload_becomes_the_dataset():
    csv = "mag,colour,cls\n" + "".join(f"{10 + i % 7},{i % 3 * 0.5},{'A' if i % 2 else 'B'}\n" for i in range(60))
    at = _app()
    at.radio(key="data-source").set_value("Upload a CSV file").run()
    at.file_uploader[0].set_value(("stars.csv", csv.encode(), "text/csv"))
    at.run()
    assert not at.exception
    assert at.session_state.dataset.name == "stars.csv"
    assert any(m.label == "Rows" and m.value == "60" for m in at.metric)


def test_train_page_without_data_points_to_the_data_page():
    at = _app()
    at.session_state["dataset"] = None  # as on a deep link to /Train in a new browser session
    at.switch_page("pages/1_Train.py").run()
    assert not at.exception
    assert "Choose a dataset" in _texts(at)
    assert not at.button


def test_train_a_forest_see_curves_and_evaluation_then_compare_in_runs():
    at = _app()
    at.selectbox(key="builtin-choice").set_value("iris").run()
    at.switch_page("pages/1_Train.py").run()
    assert not at.exception
    at.selectbox(key="family").set_value("random_forest").run()
    # Sliders come from the schema: the forest's number of trees is one of them.
    at.slider(key="hp-random_forest-n_estimators").set_value(50).run()
    at.button(key="train-button").click().run()
    _train_until_done(at)
    accuracy = next(m for m in at.metric if m.label == "Test accuracy")
    assert float(accuracy.value) >= 0.85
    titles = [s["layout"]["title"]["text"] for s in _plotly_specs(at)]
    assert any("Loss" in t for t in titles) and any("Confusion" in t or "confusion" in t for t in titles)
    assert any("ROC" in t for t in titles)
    at.slider(key="hp-random_forest-n_estimators").set_value(300).run()
    at.switch_page("pages/2_Runs.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Run"]) == ["Run 1"] and table["Model"][0] == "Random forest"
    assert table["Test accuracy"][0] >= 0.85
    # Reopening the run puts its settings back on the Train page.
    at.button(key="reopen-settings").click().run()
    assert not at.exception
    assert at.slider(key="hp-random_forest-n_estimators").value == 50


def test_invalid_hyperparameters_give_a_message_not_a_traceback():
    at = _app()
    at.selectbox(key="builtin-choice").set_value("pima").run()
    at.switch_page("pages/1_Train.py").run()
    at.selectbox(key="family").set_value("mlp").run()
    at.text_input(key="hp-mlp-hidden_layers").set_value("twelve").run()
    at.button(key="train-button").click().run()
    assert not at.exception
    assert "whole numbers separated by commas" in " ".join(e.value for e in at.error)


def test_switching_from_an_image_dataset_to_a_table_drops_the_cnn_choice():
    at = _app()
    at.switch_page("pages/1_Train.py").run()
    at.selectbox(key="family").set_value("cnn").run()
    assert any("Convolution blocks" == s.label for s in at.slider)
    at.switch_page("app.py").run()
    at.selectbox(key="builtin-choice").set_value("wine").run()
    at.switch_page("pages/1_Train.py").run()
    assert not at.exception
    assert at.selectbox(key="family").options == ["Random forest", "Logistic regression", "MLP (neural network)"]
    assert at.selectbox(key="family").value in ("random_forest", "logistic_regression", "mlp")
