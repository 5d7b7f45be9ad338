"""Curves over training: loss and metrics per epoch (or per tree, per solver step), and the score
against the training-set size.
"""

from __future__ import annotations

import plotly.graph_objects as go

from mllab.charts.style import (HEIGHT, LINE_WIDTH, MARKER_LIMIT, TRAINING_COLOUR, VALIDATION_COLOUR, _AXIS, _SERIES,
                                _base_layout, _figure, _figure_dict, _finite, _layout, _message)


BASELINE_LABEL = "Baseline (no feature used)"
BASELINE_COLOUR = "#7F7F7F"
# Below this many steps between the first and the last, the x axis is ticked at every step; past it Plotly's
# automatic ticks are whole numbers anyway (2, 5, 10 apart).
SMALL_STEP_RANGE = 10


def learning_curves(history: list[dict], metric: str, title: str, x_label: str = "Epoch",
                    baseline: float | None = None) -> go.Figure:
    """Training and validation curves of `metric` ("loss", "accuracy", ...) per step.

    `history` holds per-step dicts such as {"step": 3, "loss": .., "val_loss": ..}; a series is
    drawn for each of `metric` ("Training") and `val_<metric>` ("Validation") that appears.
    `baseline`, when given, is drawn as a dotted horizontal line: where a model that uses no
    feature sits on this curve (`evaluation.Baseline.curve_reference`).
    The figure is made in one go, from dicts (no update calls; go.Scatter objects would each be validated,
    then deep-copied into the figure: 11 ms against 4 here).
    """
    return _figure(*_curve_parts(history, metric, title, x_label, baseline))


def learning_curves_dict(history: list[dict], metric: str, title: str, x_label: str = "Epoch",
                         baseline: float | None = None) -> dict:
    """What `learning_curves(...).to_dict()` returns, made without a go.Figure (`style._figure_dict`).

    The live panel draws the curves again for every new epoch, twice a second in every watching browser:
    building and converting a go.Figure was 6 ms a curve (80 points), this 0.3 ms. tests/charts check the two are equal.
    """
    return _figure_dict(*_curve_parts(history, metric, title, x_label, baseline))


def _curve_parts(history: list[dict], metric: str, title: str, x_label: str,
                 baseline: float | None) -> tuple[list[dict], dict, str | None]:
    """The traces, the layout (without the template) and the message, if any, of `learning_curves`."""
    is_share = "accuracy" in metric.lower()
    traces = []
    for name, key_pattern, colour, symbol in _SERIES:
        key = key_pattern.format(metric=metric)
        points = [(event.get("step", i + 1), float(event[key]))
                  for i, event in enumerate(history) if _finite(event.get(key))]
        if not points:
            continue
        xs, ys = zip(*points)
        traces.append(dict(
            type="scatter", x=list(xs), y=list(ys), name=name,
            mode="lines+markers" if len(points) < MARKER_LIMIT else "lines",
            line=dict(color=colour, width=LINE_WIDTH),
            marker=dict(size=9, symbol=symbol, color=colour),
            hovertemplate=f"{x_label} %{{x}}<br>{name} {title.lower()}: %{{y:.4f}}<extra></extra>",
        ))
    steps = [event.get("step", i + 1) for i, event in enumerate(history)]
    if baseline is not None and _finite(baseline) and steps:
        traces.append(dict(
            type="scatter", x=[min(steps), max(steps)], y=[float(baseline)] * 2, name=BASELINE_LABEL, mode="lines",
            line=dict(color=BASELINE_COLOUR, width=LINE_WIDTH - 1, dash="dot"),
            hovertemplate=f"Baseline {title.lower()}: %{{y:.4f}}<extra></extra>",
        ))
    layout = _layout(title, HEIGHT + 40, legend_on_top=False)
    # Legend under the plot: beside a long title ("Mean squared error") in a half-width column a
    # legend on top wrapped onto the title.
    layout["legend"].update(orientation="h", x=0, xanchor="left", y=-0.2, yanchor="top")
    layout["margin"].update(t=60, b=40)
    xaxis = dict(_AXIS, title=dict(_AXIS["title"], text=x_label))
    if steps and max(steps) - min(steps) < SMALL_STEP_RANGE:
        # Steps are whole numbers: over a short range Plotly's own ticks fall on halves (1, 1.5, 2).
        xaxis["dtick"] = 1
    yaxis = dict(_AXIS, title=dict(_AXIS["title"], text=title))
    if is_share:
        yaxis["range"] = [0, 1.02]
    else:
        # Plain numbers (0.0004), not SI prefixes (400µ), for squared redshifts and the like.
        yaxis.update(rangemode="tozero", exponentformat="none")
    message = None
    if not history:
        message = f"Waiting for the first {x_label.lower()}…"  # "Waiting for the first epoch…"
        for axis in (xaxis, yaxis):
            axis.update(showticklabels=False, showgrid=False, zeroline=False)
    elif not traces or all(t["name"] == BASELINE_LABEL for t in traces):
        message = f"This model does not report {title.lower()}."
    return traces, dict(layout, xaxis=xaxis, yaxis=yaxis), message


TRAINING_SCORE_LABEL = "Training score"
TEST_SCORE_LABEL = "Test score"


def training_size_figure(points: list[dict], metric_label: str = "accuracy") -> go.Figure:
    """Training and test score against the number of training rows (mllab.training.learning_curve's points)."""
    fig = go.Figure()
    xs = [int(p["n_rows"]) for p in points]
    for name, key, colour, symbol in ((TRAINING_SCORE_LABEL, "train_score", TRAINING_COLOUR, "circle"),
                                      (TEST_SCORE_LABEL, "test_score", VALIDATION_COLOUR, "square")):
        fig.add_trace(go.Scatter(
            x=xs, y=[float(p[key]) for p in points], name=name, mode="lines+markers",
            line=dict(color=colour, width=LINE_WIDTH), marker=dict(size=11, symbol=symbol, color=colour),
            hovertemplate=f"%{{x:,}} training rows<br>{name.lower()}: %{{y:.3f}} {metric_label}<extra></extra>",
        ))
    _base_layout(fig, f"Learning curve: {metric_label} against training-set size", HEIGHT + 40, legend_on_top=False)
    fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=-0.22, yanchor="top"), margin=dict(t=60))
    fig.update_xaxes(title_text="Training rows", rangemode="tozero", separatethousands=True)
    fig.update_yaxes(title_text=f"{metric_label[0].upper()}{metric_label[1:]}")
    if metric_label == "accuracy" and points:
        # From a little under the lowest score: the differences between sizes are what the chart is for.
        lowest = min(min(float(p["train_score"]), float(p["test_score"])) for p in points)
        fig.update_yaxes(range=[max(0.0, lowest - 0.05), 1.02])
    if not points:
        _message(fig, "Waiting for the first training-set size…")
    return fig
