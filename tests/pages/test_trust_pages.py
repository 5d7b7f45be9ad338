"""The verdict, the baseline, calibration and the decision-boundary map on the Train and Runs pages."""

import time

import numpy as np

from page_support import UPLOAD, new_app, plotly_specs, train_until_done


def _plain(elements) -> str:
    """The elements' texts as the user reads them (markdown escapes removed)."""
    return "\n".join(e.value for e in elements).replace("\\", "")


def _warnings(at) -> str:
    return _plain(at.warning)


def _catalogue_csv() -> bytes:
    """Two well separated classes, and a 'flag' column that copies the class: a leak."""
    rng = np.random.default_rng(0)
    cls = rng.integers(0, 2, 240)
    flux = rng.normal(size=240) + 2.5 * cls
    colour = rng.normal(size=240) + 2.5 * cls
    lines = ["flux,colour,flag,type"] + [f"{f:.3f},{c:.3f},{k},{'star' if k else 'galaxy'}"
                                         for f, c, k in zip(flux, colour, cls)]
    return ("\n".join(lines) + "\n").encode()


def test_a_leaking_column_is_named_left_out_by_its_button_and_the_next_run_has_no_warning():
    at = new_app()
    at.radio(key="data-source").set_value(UPLOAD).run()
    at.file_uploader[0].set_value(("catalogue.csv", _catalogue_csv(), "text/csv")).run()
    assert at.session_state.target == "type"
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("random_forest").run()
    at.slider(key="hp-random_forest-n_estimators").set_value(30).run()
    at.radio(key="boundary-choice").set_value("Two features I choose").run()
    assert at.selectbox(key="boundary-x").value == "flux" and at.selectbox(key="boundary-y").value == "colour"
    at.button(key="train-button").click().run()
    train_until_done(at)
    assert "Possible leak: flag alone predicts the target almost perfectly" in _warnings(at)
    assert "flux" not in _warnings(at) and "colour" not in _warnings(at)  # informative, but no leak
    accuracy = next(m for m in at.metric if m.label == "Test accuracy")
    baseline = at.session_state.runs[0].result.baseline.score("accuracy")
    assert accuracy.delta.endswith(f" vs {baseline:.3f}")
    assert f"against {baseline:.3f} for always answering the most common class" in _plain(at.info)
    titles = [s["layout"]["title"]["text"] for s in plotly_specs(at)]
    assert any(t.startswith("Reliability") for t in titles)
    boundary = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("Decision boundary"))
    assert boundary["layout"]["xaxis"]["title"]["text"] == "flux" and "median" in _plain(at.caption)
    assert any(m.label == "Balanced accuracy" for m in at.metric) and any(m.label == "MCC" for m in at.metric)
    # One click leaves the column out (the Data page's cleaning choice) and keeps the run's settings.
    next(b for b in at.button if b.label == "Leave flag out of the features").click().run()
    assert not at.exception
    assert "flag" in at.session_state["cleaning"].excluded
    assert "flag" not in at.session_state.dataset.feature_columns("type")
    assert "Press Train for the next run" in _plain(at.success)
    assert at.slider(key="hp-random_forest-n_estimators").value == 30
    at.button(key="train-button").click().run()
    at = train_until_done(at)
    assert "No warning signs" in _plain(at.success) and not at.warning, _warnings(at)
    at.switch_page("views/runs.py").run()
    table = at.dataframe[0].value
    assert list(table["Verdict"]) == ["possible leak", "No warning"]
    assert {"Balanced accuracy", "MCC", "Kappa", "Baseline"} <= set(table.columns)
    assert table["Baseline"][0] == table["Baseline"][1] and 0.4 < table["Baseline"][0] < 0.6
    # The first run's verdict is on the Runs page too; its button opens the Train page, set up.
    at.selectbox(key="open-run").set_value("Run 1").run()
    assert "Possible leak: flag" in _warnings(at)
    next(b for b in at.button if b.label == "Leave flag out of the features").click().run()
    assert not at.exception and [t.value for t in at.title] == ["Train"]
    assert "with the other settings of Run 1" in _plain(at.success)


def test_pima_with_the_tutorial_network_shows_the_majority_share_of_its_test_split_as_baseline():
    at = new_app()
    at.selectbox(key="builtin-choice").set_value("pima").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("mlp").run()
    assert at.text_input(key="hp-mlp-hidden_layers").value == "16, 8"  # fitted to Pima's 8 columns
    at.text_input(key="hp-mlp-hidden_layers").set_value("12, 8").run()  # the tutorial's network
    at.slider(key="hp-mlp-batch_size").set_value(10).run()
    at.slider(key="hp-mlp-epochs").set_value(40).run()  # the tutorial's 150 epochs cost minutes on two cores
    assert at.radio(key="boundary-choice").value == "First two principal components"
    at.button(key="train-button").click().run()
    # While it trains, the network's decision boundary is redrawn every few epochs (the live panel).
    live, deadline = None, time.monotonic() + 120
    while live is None and time.monotonic() < deadline and not any(m.label == "Test accuracy" for m in at.metric):
        at.run()
        live = next((c.value for c in at.caption if c.value.startswith("Decision boundary after epoch")), None)
        time.sleep(0.3)
    assert live is not None and "principal components" in live
    assert any(s["layout"]["title"]["text"].startswith("Decision boundary") for s in plotly_specs(at))
    train_until_done(at)
    accuracy = next(m for m in at.metric if m.label == "Test accuracy")
    assert accuracy.delta.endswith(" vs 0.649")  # 100 of the 154 test rows have no diabetes
    assert "against 0.649 for always answering the most common class" in _plain(at.info)
    loss = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"] == "Loss")
    assert any(trace["name"].startswith("Baseline") for trace in loss["data"])
