"""A run trained without a map has it drawn afterwards from its kept model, on a worker, with a progress
sentence; for many classes the tab offers two chosen classes first, and the map says it is a slice (AppTest)."""

import time

from page_support import new_app, plotly_specs, train_until_done


def _boundary_specs(at) -> list[dict]:
    return [s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("Decision boundary")]


def test_a_kept_model_has_its_map_drawn_on_demand_over_two_chosen_classes_and_kept_with_the_run():
    at = new_app()
    at.selectbox(key="builtin-choice").set_value("wine").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("random_forest").run()
    at.slider(key="hp-random_forest-n_estimators").set_value(30).run()
    at.radio(key="boundary-choice").set_value("Off").run()
    at.button(key="train-button").click().run()
    train_until_done(at)
    run = at.session_state.runs[0]
    assert run.result.boundary is None and not _boundary_specs(at)

    key = f"train-{run.number}"
    # Three classes: two chosen classes come first, the principal components after.
    assert at.selectbox(key=f"{key}-boundary-over").options[:2] == ["Two classes I choose",
                                                                   "The first two principal components"]
    assert at.selectbox(key=f"{key}-boundary-over").value == "Two classes I choose"
    at.button(key=f"{key}-boundary-draw").click().run()
    assert any("Drawing the decision boundary" in (p.proto.text or "") or "kept model" in (p.proto.text or "")
               or "training worker" in (p.proto.text or "") for p in at.get("progress")), "no progress sentence"
    deadline = time.monotonic() + 120
    while not _boundary_specs(at) and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
        assert not at.exception, at.exception
        assert not [e.value for e in at.error], [e.value for e in at.error]
    figure = _boundary_specs(at)[0]
    names = at.session_state.runs[0].result.boundary.class_names
    assert figure["layout"]["xaxis"]["title"]["text"] == f"from {names[0]} to {names[1]}"
    assert figure["layout"]["title"]["subtitle"]["text"].startswith("a slice through the centres of")
    captions = "\n".join(c.value for c in at.caption).replace("\\", "")
    assert "A slice through the data" in captions and "Drawn after training from the kept model" in captions
    assert at.session_state.runs[0].result.boundary is not None  # kept with the run
    assert at.button(key=f"{key}-boundary-draw").label == "Draw again"
