"""Train page (AppTest): a setting that only one choice of another uses is greyed out with its reason, from the
schema; a result's figures are said the way people read them."""

from streamlit.testing.v1 import AppTest

from conftest import ROOT
from page_support import TIMEOUT
from ui.panels.results import duration_text, file_size


def test_the_l1_ratio_is_greyed_out_with_its_reason_unless_the_penalty_is_elastic_net():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.selectbox(key="builtin-choice").set_value("iris").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("logistic_regression").run()
    ratio = "hp-logistic_regression-l1_ratio"
    reason = "L1 ratio: used by the elastic-net penalty only; choose it as the penalty to change it."
    assert at.slider(key=ratio).disabled and reason in [c.value for c in at.caption]  # the default, L2
    at.selectbox(key="hp-logistic_regression-penalty").set_value("elasticnet").run()
    assert not at.slider(key=ratio).disabled and reason not in [c.value for c in at.caption]
    assert not at.exception


def test_durations_and_file_sizes_are_said_as_people_read_them():
    assert duration_text(1.8) == "1.8 s" and duration_text(125.4) == "2 min 05 s"
    assert file_size(41_000) == "41 kB" and file_size(300) == "1 kB" and file_size(12_345_678) == "12.3 MB"
