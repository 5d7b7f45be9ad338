"""The Model tab's drawing of a decision tree (mllab.evaluation.tree_diagram): the tree as a figure, and under it
what the clicked node holds: its rows, their classes, and how the test rows that passed through it were classified."""

from __future__ import annotations

import streamlit as st

from mllab.charts.tree import tree_figure
from mllab.datasets import markdown_escape
from mllab.evaluation.tree_diagram import class_mix, example_table, node_sentence
from mllab.training import Run
from ui.widgets import presenter


def tree_panel(run: Run, key: str) -> None:
    diagram = getattr(run.result, "tree", None) if run.result is not None else None
    if diagram is None:
        return
    st.markdown("**The tree**")
    if diagram.too_big:
        st.warning(diagram.too_big)
    if diagram.units:
        st.caption(diagram.units)
    event = presenter.plotly_chart(tree_figure(diagram), key=f"{key}-tree", width="stretch", on_select="rerun",
                                   selection_mode="points", config={"displayModeBar": False})
    chosen = _clicked_node(event)
    if chosen is None or chosen >= len(diagram.nodes):
        st.caption("Click a node to see the rows that reached it and how its test rows were classified.")
        return
    node = diagram.nodes[chosen]
    st.markdown(markdown_escape(node_sentence(diagram, node)))
    if diagram.task != "regression":
        st.dataframe(class_mix(diagram, node), hide_index=True)
    if len(node.example_rows):
        frame = run.dataset.frame if run.dataset is not None else None
        # The run's rows are positions in its data's frame: their labels only while that data is the one loaded.
        frame_index = frame.index if frame is not None and len(frame) > node.example_rows.max() else None
        st.caption(f"{len(node.example_rows)} of the test rows through it:")
        st.dataframe(example_table(diagram, node, frame_index), hide_index=True)


def _clicked_node(event) -> int | None:
    points = event.selection.points if event is not None and hasattr(event, "selection") else []
    for point in points:
        custom = point.get("customdata")
        if isinstance(custom, (list, tuple)) and custom:
            return int(custom[0])
    return None
