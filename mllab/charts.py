"""Plotly figures for the dashboard, made to read from the back of a lecture hall.

Large fonts, thick lines, the Okabe-Ito colour-blind-safe palette (ordered for contrast on
white, yellow last), legends outside the data and explicit heights. No Streamlit here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from mllab.evaluation import MACRO_LABEL, Evaluation

# Okabe & Ito (2008), strongest contrast on white first.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
TRAINING_COLOUR, VALIDATION_COLOUR = PALETTE[0], PALETTE[1]
MACRO_COLOUR = "#000000"
# Per-class curves never use the macro average's black; with more than seven classes (digits)
# Paul Tol's darker muted colours follow.
CLASS_PALETTE = [c for c in PALETTE if c != MACRO_COLOUR] + ["#332288", "#882255", "#117733", "#999933"]
CHANCE_COLOUR = "#7F7F7F"
TEXT_DARK = "#0B1F33"
EMPTY_CELL = "#9AA5B1"

BASE_FONT = 16
TITLE_FONT = 20
LINE_WIDTH = 3
HEIGHT = 420
MARKER_LIMIT = 30  # curves with fewer points than this show their points

_SERIES = (("Training", "{metric}", TRAINING_COLOUR, "circle"),
           ("Validation", "val_{metric}", VALIDATION_COLOUR, "square"))


def _base_layout(fig: go.Figure, title: str, height: int, legend_on_top: bool = True) -> go.Figure:
    legend = (dict(orientation="h", x=1, xanchor="right", y=1.02, yanchor="bottom")
              if legend_on_top else dict(x=1.02, xanchor="left", y=1, yanchor="top"))
    fig.update_layout(
        template="plotly_white",
        height=height,
        font=dict(size=BASE_FONT),
        title=dict(text=title, font=dict(size=TITLE_FONT), x=0, xanchor="left", xref="paper"),
        legend=dict(font=dict(size=BASE_FONT), bgcolor="rgba(255,255,255,0.85)", **legend),
        hoverlabel=dict(font_size=BASE_FONT),
        margin=dict(l=70, r=30, t=90 if legend_on_top else 70, b=70),
    )
    fig.update_xaxes(title_font=dict(size=BASE_FONT + 2), tickfont=dict(size=BASE_FONT), automargin=True)
    fig.update_yaxes(title_font=dict(size=BASE_FONT + 2), tickfont=dict(size=BASE_FONT), automargin=True)
    return fig


def _message(fig: go.Figure, text: str) -> go.Figure:
    fig.add_annotation(text=text, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
                       font=dict(size=TITLE_FONT, color="#555555"))
    return fig


def _finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def learning_curves(history: list[dict], metric: str, title: str, x_label: str = "Epoch") -> go.Figure:
    """Training and validation curves of `metric` ("loss", "accuracy", ...) per step.

    `history` holds per-step dicts such as {"step": 3, "loss": .., "val_loss": ..}; a series is
    drawn for each of `metric` ("Training") and `val_<metric>` ("Validation") that appears.
    """
    fig = go.Figure()
    is_share = "accuracy" in metric.lower()
    for name, key_pattern, colour, symbol in _SERIES:
        key = key_pattern.format(metric=metric)
        points = [(event.get("step", i + 1), float(event[key]))
                  for i, event in enumerate(history) if _finite(event.get(key))]
        if not points:
            continue
        xs, ys = zip(*points)
        fig.add_trace(go.Scatter(
            x=list(xs), y=list(ys), name=name,
            mode="lines+markers" if len(points) < MARKER_LIMIT else "lines",
            line=dict(color=colour, width=LINE_WIDTH),
            marker=dict(size=9, symbol=symbol, color=colour),
            hovertemplate=f"{x_label} %{{x}}<br>{name} {title.lower()}: %{{y:.4f}}<extra></extra>",
        ))
    _base_layout(fig, title, HEIGHT)
    fig.update_xaxes(title_text=x_label)
    fig.update_yaxes(title_text=title)
    if is_share:
        fig.update_yaxes(range=[0, 1.02])
    else:
        fig.update_yaxes(rangemode="tozero")
    if not history:
        _message(fig, f"Waiting for the first {x_label.lower()}…")  # "Waiting for the first epoch…"
        fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
        fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    elif not fig.data:
        _message(fig, f"This model does not report {title.lower()}.")
    return fig


def confusion_matrix_figure(evaluation: Evaluation, normalised: bool) -> go.Figure:
    """Heatmap of true (rows, first class on top) against predicted classes."""
    names = list(evaluation.class_names)
    k = len(names)
    counts = np.asarray(evaluation.confusion)
    z = evaluation.confusion_normalised if normalised else counts
    zmax = 1.0 if normalised else max(1, int(counts.max()))
    decimals = 1 if k <= 6 else 0
    cell_font = 22 if k <= 4 else 18 if k <= 8 else 16 if k <= 12 else 12

    fig = go.Figure(go.Heatmap(
        z=z.tolist(), x=names, y=names, colorscale="Blues", zmin=0, zmax=zmax,
        customdata=counts.tolist(), xgap=2, ygap=2,
        colorbar=dict(title=dict(text="Share" if normalised else "Count"), thickness=18,
                      tickformat=".0%" if normalised else None),
        hovertemplate=("True %{y}<br>Predicted %{x}<br>"
                       + ("%{z:.1%} of this class (%{customdata})" if normalised else "%{z} samples")
                       + "<extra></extra>"),
    ))
    # Cell labels as annotations so each gets a colour that reads on its cell: white on dark blue,
    # near-black on light blue, and grey for empty cells so the mistakes stand out.
    for i, true_name in enumerate(names):
        for j, predicted_name in enumerate(names):
            value = z[i][j]
            if normalised:
                text = f"{100 * value:.{decimals}f}%" if counts[i][j] else "0%"
                if counts[i][j] and float(text[:-1]) == 0:
                    text = f"<{10 ** -decimals:g}%"
            else:
                text = f"{int(value)}"
            colour = EMPTY_CELL if counts[i][j] == 0 else "white" if value / zmax > 0.5 else TEXT_DARK
            fig.add_annotation(x=predicted_name, y=true_name, text=text, showarrow=False,
                               font=dict(size=cell_font, color=colour))
    title = "Confusion matrix (share of each true class)" if normalised else "Confusion matrix (counts)"
    _base_layout(fig, title, height=min(900, 380 + 36 * k), legend_on_top=False)
    long_names = k > 6 and max(len(n) for n in names) > 4
    fig.update_xaxes(title_text="Predicted class", type="category", categoryorder="array", categoryarray=names,
                     showgrid=False, tickangle=-30 if long_names else 0)
    fig.update_yaxes(title_text="True class", type="category", categoryorder="array", categoryarray=names,
                     autorange="reversed", showgrid=False, ticksuffix="  ")
    return fig


def _auc_label(label: str, auc: float) -> str:
    return f"{label} (AUC {auc:.3f})"


def roc_figure(evaluation: Evaluation) -> go.Figure:
    """One ROC curve per entry of `evaluation.roc`, the macro average dashed, and the chance line."""
    fig = go.Figure()
    colour = iter(CLASS_PALETTE * (1 + len(evaluation.roc) // len(CLASS_PALETTE)))
    for curve in evaluation.roc:
        macro = curve.label == MACRO_LABEL
        line = dict(color=MACRO_COLOUR, width=LINE_WIDTH + 1.5, dash="dash") if macro else \
            dict(color=next(colour), width=LINE_WIDTH)
        fig.add_trace(go.Scatter(
            x=curve.fpr, y=curve.tpr, mode="lines", name=_auc_label(curve.label, curve.auc), line=line,
            hovertemplate=f"{curve.label}<br>False positive rate %{{x:.3f}}<br>True positive rate %{{y:.3f}}"
                          "<extra></extra>",
        ))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="Chance", hoverinfo="skip",
                             line=dict(color=CHANCE_COLOUR, width=2, dash="dot")))
    if len(evaluation.class_names) == 2:
        title = "ROC curve" + (f" (positive class: {evaluation.class_names[1]})" if evaluation.roc else "")
    else:
        title = "ROC curves (each class against the rest)"
    _base_layout(fig, title, height=520 + 28 * math.ceil(len(fig.data) / 3), legend_on_top=False)
    # Equal aspect centres the square plot in a wide page: centre the title over it and put the
    # legend underneath, where it never covers a curve whatever the width.
    fig.update_layout(title=dict(x=0.5, xanchor="center"),
                      legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.15, yanchor="top"))
    fig.update_xaxes(title_text="False positive rate", range=[-0.01, 1.01], dtick=0.2, tickformat=".1f",
                     constrain="domain", zeroline=False)
    fig.update_yaxes(title_text="True positive rate", range=[-0.01, 1.01], dtick=0.2, tickformat=".1f",
                     scaleanchor="x", scaleratio=1, constrain="domain", zeroline=False)
    if not evaluation.roc:
        _message(fig, "No ROC curve: the test set needs<br>examples both of and not of a class.")
    return fig


def class_balance_figure(balance: pd.DataFrame) -> go.Figure:
    """Horizontal bars of the number of rows per class (columns class, count, fraction)."""
    names = [str(name) for name in balance["class"]]
    counts = [int(c) for c in balance["count"]]
    if "fraction" in balance:
        fractions = [float(f) for f in balance["fraction"]]
    else:
        total = sum(counts) or 1
        fractions = [c / total for c in counts]
    labels = [f"{c:,} ({100 * f:.1f}%)" for c, f in zip(counts, fractions)]
    fig = go.Figure(go.Bar(
        x=counts, y=names, orientation="h", text=labels, textposition="outside", cliponaxis=False,
        marker=dict(color=PALETTE[0]), textfont=dict(size=BASE_FONT, color=TEXT_DARK),
        customdata=[100 * f for f in fractions],
        hovertemplate="%{y}: %{x:,} rows (%{customdata:.1f}%)<extra></extra>",
    ))
    _base_layout(fig, "Rows per class", height=min(800, 170 + 48 * max(2, len(names))), legend_on_top=False)
    # Room on the right for the outside labels.
    fig.update_xaxes(title_text="Number of rows", range=[0, max(counts + [1]) * 1.35], rangemode="tozero")
    fig.update_yaxes(title_text="Class", type="category", categoryorder="array", categoryarray=names,
                     autorange="reversed")
    fig.update_layout(showlegend=False, bargap=0.25)
    return fig


def metrics_table(evaluation: Evaluation) -> pd.DataFrame:
    """Per-class precision, recall, F1 and support, then the macro and weighted averages."""
    per_class = evaluation.per_class
    total = int(per_class["support"].sum())
    rows = [{"Class": row["class"], "Precision": row["precision"], "Recall": row["recall"], "F1": row["f1"],
             "Support": int(row["support"])} for _, row in per_class.iterrows()]
    for label, averages in (("macro avg", evaluation.macro), ("weighted avg", evaluation.weighted)):
        rows.append({"Class": label, "Precision": averages["precision"], "Recall": averages["recall"],
                     "F1": averages["f1"], "Support": total})
    table = pd.DataFrame(rows, columns=["Class", "Precision", "Recall", "F1", "Support"])
    table[["Precision", "Recall", "F1"]] = table[["Precision", "Recall", "F1"]].astype(float).round(3)
    table["Support"] = table["Support"].astype("int64")
    return table


def sample_images_figure(images: np.ndarray, labels: list[str], columns: int = 8) -> go.Figure:
    """A grid of greyscale images (n, height, width) with their class above each, dark ink on white."""
    from plotly.subplots import make_subplots

    n = len(images)
    rows = max(1, math.ceil(n / columns))
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=[str(label) for label in labels],
                        horizontal_spacing=0.01, vertical_spacing=0.12 / rows)
    for i, image in enumerate(images):
        fig.add_trace(go.Heatmap(z=image[::-1], colorscale="Greys", showscale=False, hoverinfo="skip"),
                      row=i // columns + 1, col=i % columns + 1)
    fig.update_xaxes(visible=False)
    for i in range(n):  # square pixels: each subplot's y axis is tied to its own x axis
        fig.update_yaxes(visible=False, scaleanchor=f"x{i + 1 if i else ''}", scaleratio=1,
                         row=i // columns + 1, col=i % columns + 1)
    fig.update_annotations(font=dict(size=BASE_FONT + 2, color=TEXT_DARK))
    _base_layout(fig, "Sample images with their class", height=150 * rows + 80)
    fig.update_layout(showlegend=False, margin=dict(l=10, r=10, t=90, b=10))
    return fig
