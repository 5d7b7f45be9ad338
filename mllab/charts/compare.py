"""Several runs' learning curves on one figure, for comparing them: each run one colour, its
validation curve solid and its training curve dotted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import plotly.graph_objects as go

from mllab.charts.style import (CLASS_PALETTE, HEIGHT, LINE_WIDTH, _AXIS, _attach_template, _finite, _layout, _message,
                                shorten)

VALIDATION_DASH, TRAINING_DASH = "solid", "dot"
STYLE_NOTE = "solid: validation · dotted: training"


class RunHistory(NamedTuple):
    """One run's curve as the chart needs it: its name, its per-step history, and what a step is."""

    name: str
    history: list[dict]
    step_label: str = "Step"  # "Epoch", "Trees", "Iteration"


def run_colour(index: int) -> str:
    """The colour of the index-th chosen run (the same on every figure of one comparison)."""
    return CLASS_PALETTE[index % len(CLASS_PALETTE)]


def _plain(name: str) -> str:
    """A user's run name as text: Plotly reads <b>, <a href> and entities in names and titles."""
    return shorten(name, 28).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _points(history: list[dict], key: str) -> tuple[list, list[float]]:
    points = [(event.get("step", i + 1), float(event[key])) for i, event in enumerate(history)
              if _finite(event.get(key))]
    return ([p[0] for p in points], [p[1] for p in points]) if points else ([], [])


def overlaid_curves(runs_histories: Sequence[RunHistory], metric: str, title: str,
                    colours: Sequence[str] | None = None) -> go.Figure:
    """One figure of `metric` ("accuracy", "loss", "error", ...) per step for every run: its validation
    curve (`val_<metric>`) solid and its training curve (`<metric>`) dotted, both in the run's colour and
    named "<run> · validation" / "<run> · training" in the legend. A run that reports only one of them
    gets that one.

    The x axis is each run's own step. Runs whose steps are different units (trees, solver iterations,
    epochs) are better drawn apart (`overlaid_curve_figures`); drawn together, the axis title names each
    unit and says they are not the same.
    """
    colours = list(colours) if colours is not None else [run_colour(i) for i in range(len(runs_histories))]
    traces = []
    for index, (run, colour) in enumerate(zip(runs_histories, colours)):
        label = _plain(run.name)
        for part, key, dash in (("validation", f"val_{metric}", VALIDATION_DASH), ("training", metric, TRAINING_DASH)):
            xs, ys = _points(run.history, key)
            if not xs:
                continue
            traces.append(go.Scatter(
                x=xs, y=ys, name=f"{label} · {part}", legendgroup=f"run-{index}", mode="lines",
                line=dict(color=colour, width=LINE_WIDTH + (0 if dash == VALIDATION_DASH else 1), dash=dash),
                hovertemplate=f"%{{fullData.name}}<br>{run.step_label} %{{x}}<br>{title}: %{{y:.4f}}<extra></extra>",
            ))
    units = list(dict.fromkeys(run.step_label for run in runs_histories))
    if len(units) <= 1:
        x_title = units[0] if units else "Step"
    else:
        by_unit = "; ".join(f"{unit} for {', '.join(_plain(r.name) for r in runs_histories if r.step_label == unit)}"
                            for unit in units)
        x_title = f"Step, not the same unit: {by_unit}"
    layout = _layout(f"{title} ({STYLE_NOTE})", HEIGHT + 60, legend_on_top=False)
    layout["margin"].update(t=70)
    layout["showlegend"] = True  # Plotly hides the legend of a single trace, and with it the run's name
    xaxis = dict(_AXIS, title=dict(_AXIS["title"], text=x_title))
    yaxis = dict(_AXIS, title=dict(_AXIS["title"], text=title))
    if "accuracy" in metric.lower():
        # From a little under the lowest point: the differences between the runs are what the chart is for.
        lowest = min((min(t.y) for t in traces), default=0.0)
        yaxis["range"] = [max(0.0, lowest - 0.05), 1.02]
    else:
        yaxis.update(rangemode="tozero", exponentformat="none")
    fig = _attach_template(go.Figure(data=traces, layout=dict(layout, xaxis=xaxis, yaxis=yaxis)))
    if not traces:
        _message(fig, f"No run here reports {title.lower()} yet.")
    return fig


def overlaid_curve_figures(runs_histories: Sequence[RunHistory], metric: str, title: str) -> list[go.Figure]:
    """`overlaid_curves` once per kind of step (trees, iterations, epochs), so no axis mixes units; each
    run keeps its colour (by its place in `runs_histories`) across the figures."""
    figures = []
    for unit in dict.fromkeys(run.step_label for run in runs_histories):
        chosen = [(run, run_colour(i)) for i, run in enumerate(runs_histories) if run.step_label == unit]
        figures.append(overlaid_curves([r for r, _ in chosen], metric, title, colours=[c for _, c in chosen]))
    return figures
