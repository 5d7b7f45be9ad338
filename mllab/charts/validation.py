"""Figures for K-fold runs and hyperparameter searches, in the style of mllab.charts.style. No Streamlit here."""

from __future__ import annotations

import plotly.graph_objects as go

from mllab.charts.style import BASE_FONT, HEIGHT, PALETTE, _base_layout, _message

FOLD_COLOUR, MEAN_COLOUR, BEST_COLOUR = PALETTE[0], "#000000", PALETTE[1]


def fold_scores_figure(summary, scorer_name: str | None = None) -> go.Figure:
    """One bar per finished fold with its score, and the mean across folds as a dashed line."""
    scorer = next((s for s in summary.scorers if s.name == scorer_name), summary.scorers[0])
    values = summary.values(scorer.name)
    repeated = summary.config.repeats > 1
    labels = [f"R{f.repeat} F{f.fold}" if repeated else f"Fold {f.fold}" for f in summary.folds]
    fig = go.Figure(go.Bar(x=labels, y=values, name=f"{scorer.label} per fold", marker_color=FOLD_COLOUR,
                           hovertemplate=f"%{{x}}<br>{scorer.label} %{{y:.4f}}<extra></extra>"))
    if len(values):
        mean = float(values.mean())
        fig.add_trace(go.Scatter(x=labels, y=[mean] * len(labels), mode="lines", name=f"Mean {mean:.3f}",
                                 line=dict(color=MEAN_COLOUR, width=3, dash="dash"), hoverinfo="skip"))
    _base_layout(fig, f"{scorer.label} of each fold", HEIGHT)
    fig.update_xaxes(title_text="Fold", type="category")
    fig.update_yaxes(title_text=scorer.label)
    if scorer.name in ("accuracy", "macro_f1"):
        fig.update_yaxes(range=[0, 1.02])
    if not len(values):
        _message(fig, "Waiting for the first fold…")
    return fig


def candidate_scores_figure(result) -> go.Figure:
    """Each finished candidate's mean score with its spread across folds; the best in another colour."""
    best = result.best
    ordered = sorted(result.candidates, key=lambda c: c.index)
    colours = [BEST_COLOUR if c is best else FOLD_COLOUR for c in ordered]
    fig = go.Figure(go.Bar(
        x=[str(c.index) for c in ordered], y=[c.mean for c in ordered], marker_color=colours,
        error_y=dict(type="data", array=[c.std for c in ordered], visible=True, thickness=2),
        name=f"Mean {result.metric_label}", showlegend=False,
        hovertemplate=f"Candidate %{{x}}<br>Mean {result.metric_label} %{{y:.4f}}<extra></extra>"))
    # The title stays short enough for a half-width column; the caption under the table names the colours.
    _base_layout(fig, f"Mean {result.metric_label} per candidate", HEIGHT)
    fig.update_xaxes(title_text="Candidate", type="category", tickfont=dict(size=BASE_FONT))
    fig.update_yaxes(title_text=f"Mean {result.metric_label}")
    if not ordered:
        _message(fig, "No candidate has finished yet")
    return fig
