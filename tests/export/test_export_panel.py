"""The run's "Model & settings" tab offers the run as code: one button writes it, then the zip, the script
and the notebook download (Streamlit's AppTest, no browser)."""

import io
import zipfile

from streamlit.testing.v1 import AppTest

from mllab.datasets.builtin import load_builtin
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.presets import clean_with_defaults
from mllab.training.holdout import run_training
from mllab.training.runs import new_run
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec


def _page():
    import streamlit as st

    from ui.panels.export import code_download

    code_download(st.session_state["run-under-test"])


def test_the_panel_writes_the_run_as_code_and_offers_the_zip_script_and_notebook():
    raw = load_builtin("iris")
    data = clean_with_defaults(raw, "petal_width_cm")
    spec = validate_spec(TrainingSpec(dataset=data.cleaned.dataset, target="petal_width_cm",
                                      preprocessing=PreprocessConfig(), family="linear_regression", params={},
                                      task="regression"))
    run = new_run(4, "job-4", spec, data_source={"kind": "builtin", "key": "iris"}, cleaning=data.choices.as_dict())
    run.result = run_training(spec, LocalReporter())
    run.status = "completed"
    at = AppTest.from_function(_page, default_timeout=60)
    at.session_state["run-under-test"] = run
    at.run()
    assert [b.label for b in at.button] == ["Write this run as code"]
    at.button[0].click().run()
    assert not at.exception
    export = at.session_state["caches"]["code-exports"]["job-4"]  # ui.state.widget_keys.session_cache
    assert export.script_name == "run_4_linear_regression.py"
    with zipfile.ZipFile(io.BytesIO(export.zip_bytes())) as archive:
        names = sorted(n.split("/", 1)[1] for n in archive.namelist())
    assert names == ["README.md", "iris.csv", "requirements.txt", "run_4_linear_regression.ipynb",
                     "run_4_linear_regression.py"]
    labels = [element.proto.label for element in at.get("download_button")]
    assert labels == ["Download the code (zip: script, notebook, data, requirements)", "Download as Python (.py)",
                      "Download as a notebook (.ipynb)"]
