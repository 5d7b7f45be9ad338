"""A decision tree's diagram (mllab.evaluation.tree_diagram) as a Plotly figure: one level per row, the root at the
top, each node a clickable square in the colour of the class it votes for, its question above it and, below it,
the mix of its training rows' classes as a coloured bar and how many rows reached it."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from mllab.charts.style import BASE_FONT, CLASS_PALETTE, TEXT_DARK, _base_layout, shorten
from mllab.evaluation.tree_diagram import TreeDiagram, TreeNode

NODE_TRACE_NAME = "Nodes"  # the trace whose points are the nodes, in `diagram.nodes` order: a click selects one
LEVEL_PX = 150  # the height of one level of the tree
# About the width the Train page's result column gives a chart at 1400 px (wider elsewhere): the texts are sized
# and shortened to fit it.
PLOT_WIDTH_PX = 560
CHAR_WIDTH = 0.55  # a character's width as a share of the font size, roughly, for the fonts Plotly uses
EDGE_COLOUR = "#9AA5B1"
# Where, below a node's square (in levels), its class bar and its rows' count sit; its question sits above.
QUESTION_Y, BAR_TOP, BAR_BOTTOM, ROWS_Y = 0.23, -0.12, -0.2, -0.33


def tree_figure(diagram: TreeDiagram) -> go.Figure:
    nodes = diagram.nodes
    x = _positions(nodes)
    y = np.array([-node.depth for node in nodes], dtype=float)
    slots = max(1.0, float(x.max()) + 1) if len(x) else 1.0
    slot_px = PLOT_WIDTH_PX / slots
    small = max(10, min(BASE_FONT - 2, int(slot_px / 4)))  # the leaves' texts shrink with the width they have
    classification = diagram.task != "regression"
    colours = [CLASS_PALETTE[i % len(CLASS_PALETTE)] for i in range(len(diagram.class_names))]
    fig = go.Figure()
    index = {node.id: i for i, node in enumerate(nodes)}
    edge_x, edge_y = [], []
    for i, node in enumerate(nodes):
        if node.parent in index:
            edge_x += [x[index[node.parent]], x[i], None]
            edge_y += [y[index[node.parent]], y[i], None]
    fig.add_trace(go.Scatter(x=edge_x, y=edge_y, mode="lines", line=dict(color=EDGE_COLOUR, width=2),
                             hoverinfo="skip", showlegend=False))
    if classification:
        for name, colour in zip(diagram.class_names, colours):  # the legend: one entry per class
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=shorten(name),
                                     marker=dict(symbol="square", size=14, color=colour)))
        marker_colour = [colours[diagram.class_names.index(node.predicted)] for node in nodes]
        marker = dict(symbol="square", size=22, color=marker_colour, line=dict(width=2, color="white"))
    else:
        marker = dict(symbol="square", size=22, color=[node.value for node in nodes], colorscale="Viridis",
                      line=dict(width=2, color="white"),
                      colorbar=dict(title=dict(text="Predicted"), thickness=14, len=0.6))
    fig.add_trace(go.Scatter(
        x=x, y=y, mode="markers", name=NODE_TRACE_NAME, showlegend=False, marker=marker,
        customdata=[[i] for i in range(len(nodes))], text=[_hover(diagram, node) for node in nodes],
        hovertemplate="%{text}<extra></extra>",
        selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=0.55)),
    ))
    shapes, annotations = [], []
    room_slots = _room(x, y, slots)
    width = np.minimum(1.6, 0.8 * room_slots)  # a class bar as wide as the room allows, at most 1.6 slots
    for i, node in enumerate(nodes):
        room = room_slots[i] * slot_px  # the pixels between it and its neighbours on the level
        if node.split:
            size = BASE_FONT - 1 if room >= 140 else BASE_FONT - 3
            annotations.append(_text(x[i], y[i] + QUESTION_Y, _fitted_question(node.split, room, size), size))
        if classification and node.samples:
            left = x[i] - width[i] / 2
            for share, colour in zip(node.counts / max(1, node.counts.sum()), colours):
                if share > 0:
                    shapes.append(dict(type="rect", x0=left, x1=left + share * width[i], y0=y[i] + BAR_BOTTOM,
                                       y1=y[i] + BAR_TOP, fillcolor=colour, line=dict(width=0), layer="above"))
                    left += share * width[i]
        words = f"{node.samples:,} rows" if room >= 90 or not node.leaf else f"{node.samples:,}"
        if node.hidden_leaves:
            words += f"<br>{node.hidden_leaves:,} leaves below" if room >= 90 else f"<br>+{node.hidden_leaves:,}"
        elif node.leaf:
            words = f"<b>{shorten(node.predicted, _chars(room, small))}</b><br>{words}"
        annotations.append(_text(x[i], y[i] + ROWS_Y, words, small if node.leaf or node.hidden_leaves else BASE_FONT - 2,
                                 anchor="top"))
    levels = diagram.drawn_depth + 1
    title = f"The tree: {diagram.n_leaves:,} leaves, depth {diagram.depth}<br><sup>Left branch: yes, right: no</sup>"
    _base_layout(fig, title, height=LEVEL_PX * levels + 170)
    # The legend of the classes under the tree: over it, with many classes, it ran into the title.
    fig.update_layout(shapes=shapes, annotations=annotations, hovermode="closest", clickmode="event+select",
                      dragmode=False, margin=dict(l=10, r=10, t=60, b=70),
                      legend=dict(orientation="h", x=0.5, xanchor="center", y=0, yanchor="top"))
    fig.update_xaxes(visible=False, range=[-0.6, slots - 0.4], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-diagram.drawn_depth - 0.75, 0.45], fixedrange=True)
    return fig


def _positions(nodes: list[TreeNode]) -> np.ndarray:
    """Each node's x: the drawn nodes without drawn children take the slots 0, 1, 2 … from left to right, and a
    parent sits midway between its two children."""
    children: dict[int, list[int]] = {}
    for i, node in enumerate(nodes):
        children.setdefault(node.parent, []).append(i)
    for kids in children.values():  # the yes branch on the left
        kids.sort(key=lambda i: not nodes[i].yes_branch)
    x = np.zeros(len(nodes))
    slot = 0

    def place(i: int) -> None:
        nonlocal slot
        kids = children.get(nodes[i].id, [])
        if not kids:
            x[i], slot = slot, slot + 1
            return
        for kid in kids:
            place(kid)
        x[i] = np.mean([x[kid] for kid in kids])

    for root in children.get(-1, []):
        place(root)
    return x


def _room(x: np.ndarray, y: np.ndarray, slots: float) -> np.ndarray:
    """How many slots lie between each node and its nearest neighbour on the same level (all of them for a node
    alone on its level)."""
    room = np.full(len(x), slots)
    for level in np.unique(y):
        on_level = np.flatnonzero(y == level)
        ordered = on_level[np.argsort(x[on_level])]
        gaps = np.diff(x[ordered])
        for position, i in enumerate(ordered):
            near = [gaps[g] for g in (position - 1, position) if 0 <= g < len(gaps)]
            if near:
                room[i] = min(near)
    return room


def _chars(room_px: float, size: int) -> int:
    return max(3, int(room_px / (CHAR_WIDTH * size)))


def _fitted_question(question: str, room_px: float, size: int) -> str:
    """The question on one line where it fits beside its neighbours, else its column over its threshold, each
    shortened to the room there is."""
    chars = _chars(room_px * 0.95, size)
    if len(question) <= chars:
        return question
    column, _, threshold = question.rpartition(" ≤ ")
    return f"{shorten(column, chars)}<br>≤ {threshold}"


def _text(x: float, y: float, text: str, size: int, anchor: str = "bottom") -> dict:
    return dict(x=x, y=y, text=text, showarrow=False, xanchor="center", yanchor=anchor,
                font=dict(size=size, color=TEXT_DARK), bgcolor="rgba(255,255,255,0.9)", borderpad=1)


def _hover(diagram: TreeDiagram, node: TreeNode) -> str:
    lines = [f"<b>{node.split}</b>" if node.split else f"<b>Leaf: predicts {node.predicted}</b>",
             f"{node.samples:,} training rows"]
    if diagram.task == "regression":
        lines.append(f"Mean target {node.value:.4g}")
        if node.test_rows:
            lines.append(f"{node.test_rows:,} test rows, mean absolute error {node.test_mae:.4g}")
    else:
        mix = sorted(zip(node.counts, diagram.class_names), reverse=True)
        lines += [f"{name}: {count:,}" for count, name in mix[:5] if count]
        if node.test_rows:
            lines.append(f"{node.test_rows:,} test rows: {node.test_right:,} right, "
                         f"{node.test_rows - node.test_right:,} wrong")
    if node.hidden_leaves:
        lines.append(f"{node.hidden_leaves:,} leaves below, not drawn")
    return "<br>".join(lines) + "<br>Click for details"
