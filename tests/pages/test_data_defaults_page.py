"""The Train page starts a network from values that fit the data, follows a change of data, and keeps a value
the user chose (AppTest)."""

from streamlit.testing.v1 import AppTest

from conftest import ROOT


def test_the_network_follows_the_data_until_the_user_sets_it():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.selectbox(key="builtin-choice").set_value("iris").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("mlp").run()
    assert not at.exception, at.exception
    assert at.text_input(key="hp-mlp-hidden_layers").value == "8, 4"  # 4 columns, 3 classes
    at.slider(key="hp-mlp-epochs").set_value(30).run()  # the user's own choice

    at.switch_page("views/data.py").run()
    at.selectbox(key="builtin-choice").set_value("digits").run()
    at.switch_page("views/train.py").run()
    assert not at.exception, at.exception
    assert at.text_input(key="hp-mlp-hidden_layers").value == "128, 64"  # 64 pixels, 10 classes
    assert at.slider(key="hp-mlp-epochs").value == 30
