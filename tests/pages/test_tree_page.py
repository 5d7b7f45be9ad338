"""A decision tree trained on the Train page is drawn in its result's Model tab, one square per node."""

from mllab.charts.tree import NODE_TRACE_NAME

from page_support import new_app, plotly_specs, train_until_done


def test_a_trained_tree_is_drawn_in_the_model_tab_with_a_point_per_node():
    at = new_app()
    at.selectbox(key="builtin-choice").set_value("iris").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("decision_tree").run()
    at.slider(key="hp-decision_tree-max_depth").set_value(2).run()
    at.button(key="train-button").click().run()
    train_until_done(at)
    [spec] = [spec for spec in plotly_specs(at) if any(t.get("name") == NODE_TRACE_NAME for t in spec["data"])]
    [nodes] = [trace for trace in spec["data"] if trace.get("name") == NODE_TRACE_NAME]
    # Iris at depth 2: the root, a pure leaf of setosas, and one question splitting the other two classes.
    assert len(nodes["customdata"]) == 5
    assert any(note["text"].startswith("petal") for note in spec["layout"]["annotations"])  # the root's question
