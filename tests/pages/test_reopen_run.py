"""A sensible target on upload, a file's choices remembered by its content, and a run reopened whole (its data,
cleaning, target and settings), through the pages."""

from __future__ import annotations

import re

import numpy as np

from page_support import UPLOAD, new_app, texts, train_until_done
from mllab.datasets import load_builtin


def _kepler_shaped_csv() -> bytes:
    """Real rows (Pima's first 80) shaped like the Kepler red-giant table: a label `clump` with -1 on the rows
    nobody has classified, and a last column `src` naming the survey, which the old rule took for the label."""
    frame = load_builtin("pima").frame.head(80).rename(columns={"Outcome": "clump"})
    frame.loc[frame.index[::4], "clump"] = -1
    frame["src"] = np.array(["APOKASC", "Yu2018", "Vrard2016"])[np.arange(len(frame)) % 3]
    return frame.to_csv(index=False).encode()


def _plain(at) -> str:
    """The page's texts as read on screen (user-derived names are escaped for markdown)."""
    return re.sub(r"\\(.)", r"\1", texts(at))


def _upload(at, name: str, data: bytes):
    at.file_uploader[0].set_value((name, data, "text/csv"))
    return at.run()


def test_the_kepler_table_defaults_to_clump_with_minus_one_not_known_and_a_reupload_restores_its_choices():
    at = new_app()
    at.radio(key="data-source").set_value(UPLOAD).run()
    _upload(at, "red_giants.csv", _kepler_shaped_csv())
    assert not at.exception
    assert at.selectbox(key="target-red_giants.csv").value == "clump"
    shown = _plain(at)
    assert "Suggested target — clump: named like a class, 3 values, -1 on 20 rows looks like not known yet." in shown
    assert at.multiselect(key="target-unknown").value == ["-1"]  # taken as "not known yet" from the start
    assert "20 rows have clump = -1, which looks like 'not known yet'" in shown
    assert any(m.label == "Classes" and m.value == "2" for m in at.metric)
    # Undone, it is offered back in one click.
    at.multiselect(key="target-unknown").set_value([]).run()
    assert any(m.label == "Classes" and m.value == "3" for m in at.metric)
    at.button(key="target-not-known-offer").click().run()
    assert at.multiselect(key="target-unknown").value == ["-1"]
    # The user's own choices: -1 is a class after all, and Insulin is not a feature.
    at.multiselect(key="target-unknown").set_value([]).run()
    at.multiselect(key="clean-excluded").set_value(["Insulin"]).run()

    _upload(at, "other.csv", load_builtin("iris").frame.to_csv(index=False).encode())
    assert at.selectbox(key="target-other.csv").value == "species"
    _upload(at, "red_giants.csv", _kepler_shaped_csv())
    assert not at.exception
    assert "This workspace has seen this file before: its choices are back (target clump; 1 column not used as " \
           "features)." in _plain(at)
    assert at.multiselect(key="target-unknown").value == []
    assert at.multiselect(key="clean-excluded").value == ["Insulin"]
    assert any(m.label == "Classes" and m.value == "3" for m in at.metric)


def test_reopening_a_run_brings_back_its_data_cleaning_target_and_settings():
    at = new_app()
    at.selectbox(key="builtin-choice").set_value("iris").run()
    at.multiselect(key="clean-excluded").set_value(["petal_width_cm"]).run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("random_forest").run()
    at.slider(key="hp-random_forest-n_estimators").set_value(20).run()
    at.button(key="train-button").click().run()
    train_until_done(at)
    at.switch_page("views/data.py").run()
    at.selectbox(key="builtin-choice").set_value("wine").run()  # other data, its own cleaning
    at.switch_page("views/train.py").run()
    at.slider(key="hp-random_forest-n_estimators").set_value(200).run()

    at.switch_page("views/runs.py").run()
    at.button(key="reopen-settings").click().run()
    assert not at.exception
    assert at.session_state["raw-dataset"].name == "Iris flowers"
    assert at.session_state["target"] == "species"
    assert at.session_state["cleaning"].excluded == ("petal_width_cm",)
    assert at.slider(key="hp-random_forest-n_estimators").value == 20
    assert "Reopened **Run 1: Random forest on Iris flowers**: its data, cleaning, target and settings." in texts(at)
    at.switch_page("views/data.py").run()
    assert at.selectbox(key="builtin-choice").value == "iris"
    assert at.multiselect(key="clean-excluded").value == ["petal_width_cm"]

    # A run whose file the workspace no longer keeps says so, and the data stays as it was.
    at.session_state["runs"][0].data_source = {"kind": "upload", "files": [
        {"name": "gone.csv", "sha256": "0" * 64, "size": 10}]}
    at.switch_page("views/runs.py").run()
    at.button(key="reopen-settings").click().run()
    assert not at.exception
    assert any("This run cannot be reopened. The file gone.csv could not be opened" in re.sub(r"\\(.)", r"\1", e.value)
               for e in at.error)
    assert at.session_state["raw-dataset"].name == "Iris flowers"
