"""Streamlit AppTest helpers the page tests of every stage share: the app, its texts and charts, and
waiting for a run to finish."""

import base64
import json
import time

import numpy as np
from streamlit.testing.v1 import AppTest

from conftest import ROOT

TIMEOUT = 120
UPLOAD = "Upload a file"


def new_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    return at.run()


def texts(at) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.error, *at.header, *at.title,
                               *at.subheader)]
    return "\n".join(str(p) for p in parts)


def plotly_specs(at) -> list[dict]:
    specs = []
    for element in at.get("plotly_chart"):
        specs.append(json.loads(element.proto.spec))
    return specs


def train_until_done(at, timeout=300, finished_metric="Test accuracy"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        if any(m.label == finished_metric for m in at.metric):
            return at
        assert not at.exception, at.exception
        errors = [e.value for e in at.error]
        assert not errors, errors
        time.sleep(0.3)
    raise AssertionError("training did not finish")


def wait_for(at, found, timeout=300):
    """Rerun `at` until `found(at)` holds (a job finished); fails on an exception or an error on the page."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        errors = [e.value for e in at.error]
        assert not errors, errors
        if found(at):
            return at
        time.sleep(0.3)
    raise AssertionError("the job did not finish")


def plotly_array(values) -> np.ndarray:
    """A trace's x or y: a list, or Plotly's binary encoding {"dtype": "f8", "bdata": base64}."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.asarray(values, dtype=float)


def regression_done(at, timeout=300):
    return train_until_done(at, timeout, finished_metric="R²")


def predict_until_done(at: AppTest, timeout: float = 240) -> AppTest:
    """Rerun the Predict page until its prediction has ended (its result's heading, or an error, is drawn)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if any("rows with" in s.value for s in at.subheader) or at.error:
            return at
        time.sleep(0.3)
    raise AssertionError("the prediction did not finish")
