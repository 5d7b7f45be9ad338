"""Presenter mode (?present=1): larger learning curves and evaluation figures, the sidebar and Plotly's mode bar
hidden by constant CSS (AppTest)."""

from streamlit.testing.v1 import AppTest

from mllab.charts.style import BASE_FONT, HEIGHT, PRESENTER_HEIGHT, TITLE_FONT

from conftest import ROOT
from page_support import TIMEOUT, plotly_specs, train_until_done


def _loss_figure(at) -> dict:
    return next(s for s in plotly_specs(at) if s["layout"]["title"]["text"] == "Loss")


def _figure(at, title_start: str) -> dict:
    return next(s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith(title_start))


# The Train page's evaluation figures a lecturer shows besides the curves (iris, logistic regression).
EVALUATION_TITLES = ("Confusion matrix", "ROC curves", "Precision", "Reliability")


def _presenter_css(at) -> list[str]:
    return [m.value for m in at.markdown if 'data-testid="stSidebar"' in m.value]


def test_presenter_mode_enlarges_the_curves_and_hides_the_sidebar_and_can_be_left():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.selectbox(key="builtin-choice").set_value("iris").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("logistic_regression").run()
    at.button(key="train-button").click().run()
    train_until_done(at)
    usual = _loss_figure(at)["layout"]
    assert usual["height"] <= HEIGHT + 40 and usual["font"]["size"] == BASE_FONT
    assert not _presenter_css(at)
    assert at.toggle(key="presenter-toggle").value is False
    usual_evaluation = {title: _figure(at, title)["layout"] for title in EVALUATION_TITLES}
    assert all(layout["height"] < PRESENTER_HEIGHT for layout in usual_evaluation.values())

    at.toggle(key="presenter-toggle").set_value(True).run()  # the sidebar's way in
    assert "1" in at.query_params["present"]  # a list or a string, by Streamlit version
    big = _loss_figure(at)["layout"]
    assert big["height"] >= PRESENTER_HEIGHT and big["font"]["size"] == round(BASE_FONT * 1.5)
    assert big["xaxis"]["tickfont"]["size"] > usual["xaxis"]["tickfont"]["size"]
    for title, layout in usual_evaluation.items():  # the confusion matrix, ROC etc. are enlarged too
        enlarged = _figure(at, title)["layout"]
        assert enlarged["height"] >= PRESENTER_HEIGHT, title
        assert enlarged["title"]["font"]["size"] == round(layout["title"]["font"]["size"] * 1.5), title
    assert _figure(at, "Confusion matrix")["layout"]["title"]["font"]["size"] == round(TITLE_FONT * 1.5)
    css = _presenter_css(at)
    assert len(css) == 1 and "display: none" in css[0] and "font-size: 24px" in css[0]
    assert ".modebar-container { display: none !important; }" in css[0]  # no toolbar over the charts' titles
    assert at.button(key="leave-presenter")

    at.button(key="leave-presenter").click().run()
    assert "present" not in at.query_params
    assert not _presenter_css(at) and _loss_figure(at)["layout"]["height"] == usual["height"]
    assert all(_figure(at, title)["layout"]["height"] == layout["height"] for title, layout in usual_evaluation.items())


def test_a_page_opened_with_present_1_is_in_presenter_mode():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    assert len(_presenter_css(at)) == 1
    assert at.button(key="leave-presenter") and at.toggle(key="presenter-toggle").value is True
