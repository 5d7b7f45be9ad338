"""Train page: Pause, One epoch, Resume and Stop while paused on a live MLP (AppTest, real engine)."""

import re
import time

from streamlit.testing.v1 import AppTest

from conftest import ROOT
from page_support import TIMEOUT, texts, train_until_done


def _train_page(family: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.selectbox(key="builtin-choice").set_value("iris").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value(family).run()
    assert not at.exception, at.exception
    return at


def _until(at, found, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        match = found(at)
        if match:
            return match
        time.sleep(0.2)
    raise AssertionError(f"not seen in time; the page said: {texts(at)[-800:]}")


def _keys(at) -> set[str]:
    return {b.key for b in at.button}


def _pause_offered(at) -> bool:
    """Pause is on the page from the start, greyed out until the run trains."""
    return any(b.key == "pause-1" and not b.disabled for b in at.button)


def _paused_after(at):
    return re.search(r"Paused after epoch (\d+) — this run holds one of the 2 training workers\.", texts(at))


def test_pause_one_epoch_and_resume_on_the_train_page():
    at = _train_page("mlp")  # its default for iris, 200 epochs: many seconds to press Pause in, then trains to the end
    at.button(key="train-button").click().run()
    _until(at, _pause_offered)
    at.button(key="pause-1").click().run()
    paused = _until(at, _paused_after)
    epoch = int(paused.group(1))
    assert {"resume-1", "one-step-1"} <= _keys(at) and "pause-1" not in _keys(at)
    at.button(key="one-step-1").click().run()
    paused = _until(at, lambda at: (m := _paused_after(at)) and int(m.group(1)) == epoch + 1 and m)
    assert int(paused.group(1)) == epoch + 1
    at.button(key="resume-1").click().run()
    train_until_done(at)
    assert "Stopped at" not in " ".join(w.value for w in at.warning)


def test_stop_while_paused_evaluates_the_model_at_that_epoch():
    at = _train_page("mlp")
    at.slider(key="hp-mlp-epochs").set_value(300).run()
    at.button(key="train-button").click().run()
    _until(at, _pause_offered)
    at.button(key="pause-1").click().run()
    epoch = int(_until(at, _paused_after).group(1))
    at.button(key="stop-button").click().run()
    train_until_done(at)
    assert f"Stopped at epoch {epoch}; the model as it was then is evaluated below." in [w.value for w in at.warning]


def test_a_forest_shows_no_pause_button_while_it_trains():
    at = _train_page("random_forest")
    at.slider(key="hp-random_forest-n_estimators").set_value(300).run()
    at.button(key="train-button").click().run()
    deadline = time.monotonic() + 180
    while not any(m.label == "Test accuracy" for m in at.metric) and time.monotonic() < deadline:
        assert not {"pause-1", "resume-1", "one-step-1"} & _keys(at)
        at.run()
    assert any(m.label == "Test accuracy" for m in at.metric)
