"""What the Predict page draws: how many rows went to each class, how sure the model was of them,
and its probabilities for a single object."""

from __future__ import annotations

import textwrap

import numpy as np
import plotly.graph_objects as go

from mllab.charts.style import BASE_FONT, CLASS_PALETTE, TEXT_DARK, TRAINING_COLOUR, _base_layout, shorten

PREDICTED_ROWS_LABEL = "Predicted rows"
TOP_PROBABILITY_LABEL = "Rows"


def predicted_counts_figure(counts: dict[str, int], title: str = "Rows predicted in each class") -> go.Figure:
    """One bar per class, in the model's class order, with its count and share written on it."""
    names = [shorten(name, 24) for name in counts]
    values = np.asarray(list(counts.values()), dtype=float)
    total = max(1.0, values.sum())
    fig = go.Figure(go.Bar(
        x=values, y=names, orientation="h", name=PREDICTED_ROWS_LABEL,
        marker=dict(color=[CLASS_PALETTE[i % len(CLASS_PALETTE)] for i in range(len(names))]),
        text=[f"{int(v):,} ({100 * v / total:.1f}%)" for v in values], textposition="outside", cliponaxis=False,
        textfont=dict(size=BASE_FONT, color=TEXT_DARK), hovertemplate="%{y}: %{x:,} rows<extra></extra>"))
    _base_layout(fig, title, height=min(800, 200 + 40 * max(2, len(names))), legend_on_top=False)
    fig.update_layout(showlegend=False, margin=dict(r=120))
    fig.update_xaxes(title_text="Rows", rangemode="tozero")
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=names, autorange="reversed",
                     ticksuffix="  ")
    return fig


def top_probability_figure(top: np.ndarray, n_classes: int, title: str = "How sure the model is") -> go.Figure:
    """A histogram of each row's highest probability, from chance (1 / classes) to certain (1)."""
    top = np.asarray(top, dtype=float)
    chance = 1.0 / max(2, n_classes)
    fig = go.Figure(go.Histogram(
        x=top, xbins=dict(start=chance, end=1.0 + 1e-9, size=(1.0 - chance) / 20), name=TOP_PROBABILITY_LABEL,
        marker=dict(color=TRAINING_COLOUR, line=dict(color="white", width=1)),
        hovertemplate="%{x}: %{y:,} rows<extra></extra>"))
    _base_layout(fig, title, height=420, legend_on_top=False)
    fig.update_layout(showlegend=False, bargap=0.05)
    fig.update_xaxes(title_text="Highest class probability", range=[chance, 1.0], tickformat=".0%")
    fig.update_yaxes(title_text="Rows")
    return fig


def wrap_title(fig: go.Figure, chars: int = 40) -> go.Figure:
    """The figure's title on lines of at most `chars` characters, for a chart half a page wide: Plotly
    never wraps a title, and cuts one longer than the chart (a class name in "ROC curve (positive class:
    …)")."""
    text = fig.layout.title.text or ""
    lines = textwrap.wrap(text, chars)
    if len(lines) > 1:
        top = (fig.layout.margin.t or 70) + 22 * (len(lines) - 1)
        fig.update_layout(title_text="<br>".join(lines), margin_t=top, height=(fig.layout.height or 420) + top - 70)
    return fig
