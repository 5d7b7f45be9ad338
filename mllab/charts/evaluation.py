"""Figures and tables of a trained model's test results: confusion matrix (clickable), ROC and
precision-recall curves, per-class scores, predicted-vs-true and residuals for a regression,
feature importance, PCA variance, a sample's class probabilities and misclassified images.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from mllab.charts.data import sample_images_figure
from mllab.charts.style import (BASE_FONT, CHANCE_COLOUR, CLASS_PALETTE, EMPTY_CELL, HEIGHT, LINE_WIDTH, MACRO_COLOUR,
                                PALETTE, SIZED_TO_HEIGHT, TEXT_DARK, VALIDATION_COLOUR, _base_layout, _message,
                                shorten)
from mllab.evaluation import MACRO_LABEL, PHOTO_Z_OUTLIER_CUT, Evaluation, RegressionEvaluation


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


TEST_ROWS_LABEL = "Test rows"
IDENTITY_LABEL = "Perfect prediction (y = x)"
OUTLIER_LABEL = f"Outlier limit |Δz| = {PHOTO_Z_OUTLIER_CUT:g}(1+z)"
# Thousands of points on a projector: small, half-transparent markers so dense regions read as dense.
_POINT_STYLE = dict(size=6, color=PALETTE[0], opacity=0.45, line=dict(width=0))


def predicted_vs_true_figure(evaluation: RegressionEvaluation, target: str, redshift: bool = False) -> go.Figure:
    """Each test row as a point (true value, predicted value), with the line y = x where a perfect model
    would put them all; for redshifts also the outlier limits z ± 0.15 (1 + z)."""
    true, predicted = np.asarray(evaluation.y_true, float), np.asarray(evaluation.y_pred, float)
    name = shorten(target, 30)
    fig = go.Figure(go.Scattergl(
        x=true, y=predicted, mode="markers", name=TEST_ROWS_LABEL, marker=_POINT_STYLE,
        hovertemplate=f"true {name} %{{x:.4g}}<br>predicted %{{y:.4g}}<extra></extra>"))
    low = float(min(true.min(), predicted.min()))
    high = float(max(true.max(), predicted.max()))
    pad = (high - low) * 0.03 or 1.0
    low, high = low - pad, high + pad
    fig.add_trace(go.Scatter(x=[low, high], y=[low, high], mode="lines", name=IDENTITY_LABEL,
                             line=dict(color=MACRO_COLOUR, width=LINE_WIDTH, dash="dash"), hoverinfo="skip"))
    if redshift:
        edge = np.linspace(max(low, -0.99), high, 50)
        for sign, show in ((1, True), (-1, False)):
            fig.add_trace(go.Scatter(
                x=edge, y=edge + sign * PHOTO_Z_OUTLIER_CUT * (1 + edge), mode="lines", name=OUTLIER_LABEL,
                legendgroup="outliers", showlegend=show, hoverinfo="skip",
                line=dict(color=VALIDATION_COLOUR, width=2, dash="dot")))
    shown = f" ({len(true):,} of {evaluation.n_samples:,} test rows)" if len(true) < evaluation.n_samples else ""
    _base_layout(fig, f"Predicted against true {name}{shown}", HEIGHT + 80)
    fig.update_xaxes(title_text=f"True {name}", range=[low, high])
    # The same range on both axes, so the y = x line runs corner to corner.
    fig.update_yaxes(title_text=f"Predicted {name}", range=[low, high])
    return fig


def residuals_figure(evaluation: RegressionEvaluation, target: str, redshift: bool = False) -> go.Figure:
    """Error of each test row against its true value: predicted - true, or for redshifts the scaled
    error Δz/(1+z) that NMAD and the outlier fraction measure, with the zero line."""
    true, predicted = np.asarray(evaluation.y_true, float), np.asarray(evaluation.y_pred, float)
    name = shorten(target, 30)
    if redshift:
        residual = (predicted - true) / (1 + true)
        y_label, title = "Δz / (1 + z)", f"Scaled error Δz/(1+z) against true {name}"
    else:
        residual = predicted - true
        y_label, title = f"Residual: predicted − true {name}", f"Residuals against true {name}"
    fig = go.Figure(go.Scattergl(
        x=true, y=residual, mode="markers", name=TEST_ROWS_LABEL, marker=_POINT_STYLE,
        hovertemplate=f"true {name} %{{x:.4g}}<br>{y_label} %{{y:.4g}}<extra></extra>"))
    low, high = float(true.min()), float(true.max())
    fig.add_trace(go.Scatter(x=[low, high], y=[0, 0], mode="lines", name="No error",
                             line=dict(color=MACRO_COLOUR, width=LINE_WIDTH, dash="dash"), hoverinfo="skip"))
    if redshift:
        for sign, show in ((1, True), (-1, False)):
            fig.add_trace(go.Scatter(x=[low, high], y=[sign * PHOTO_Z_OUTLIER_CUT] * 2, mode="lines",
                                     name=OUTLIER_LABEL, legendgroup="outliers", showlegend=show, hoverinfo="skip",
                                     line=dict(color=VALIDATION_COLOUR, width=2, dash="dot")))
    _base_layout(fig, title, HEIGHT + 40)
    fig.update_xaxes(title_text=f"True {name}")
    fig.update_yaxes(title_text=y_label, zeroline=False)
    return fig


# -- model inspection: feature importance, PCA explained variance ------------------------------------------

IMPURITY_LABEL = "Impurity importance"
PERMUTATION_LABEL = "Permutation importance"
COMPONENT_LABEL = "Each component"
CUMULATIVE_LABEL = "Cumulative"


def importance_figure(rows: list[tuple[str, float, float]], kind: str, score_label: str = "accuracy",
                      n_features: int | None = None) -> go.Figure:
    """Horizontal bars of the most important features, most important on top.

    `rows` are (feature, value, error) as mllab.evaluation.importance.top_features gives them; `kind` is
    "impurity" (shares that sum to 1 over all features) or "permutation" (the score's drop when the
    feature is shuffled, with ± one standard deviation over the shuffles as error bars).
    """
    permutation = kind == "permutation"
    names = [shorten(name, 28) for name, _, _ in rows]
    values = [value for _, value, _ in rows]
    shown = f"top {len(rows)} of {n_features:,} features" if n_features and n_features > len(rows) \
        else f"{len(rows)} features"
    if permutation:
        title = f"Permutation importance ({shown})"
        x_label = f"Drop in {score_label} when the feature is shuffled"
        hover = f"%{{y}}: %{{x:.4f}} ± %{{error_x.array:.4f}} {score_label}<extra></extra>"
    else:
        title = f"Impurity importance ({shown})"
        x_label = "Share of the impurity decrease"
        hover = "%{y}: %{x:.4f}<extra></extra>"
    fig = go.Figure(go.Bar(
        x=values, y=names, orientation="h", name=PERMUTATION_LABEL if permutation else IMPURITY_LABEL,
        marker=dict(color=VALIDATION_COLOUR if permutation else PALETTE[0]),
        error_x=dict(type="data", array=[error for _, _, error in rows], visible=True, thickness=2, width=5,
                     color=TEXT_DARK) if permutation else None,
        hovertemplate=hover,
    ))
    _base_layout(fig, title, height=min(900, 200 + 34 * max(3, len(rows))), legend_on_top=False)
    fig.update_xaxes(title_text=x_label, zeroline=True, zerolinewidth=2, zerolinecolor=CHANCE_COLOUR)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=names, autorange="reversed")
    fig.update_layout(showlegend=False, bargap=0.25)
    if not rows:
        _message(fig, "No importance was measured.")
    return fig


def pca_variance_figure(ratios, title: str = "Variance explained by each principal component") -> go.Figure:
    """Scree plot: each component's share of the variance as bars, the running total as a line."""
    ratios = [float(r) for r in ratios]
    components = [f"PC{i + 1}" for i in range(len(ratios))]
    cumulative = np.cumsum(ratios).tolist()
    fig = go.Figure()
    fig.add_trace(go.Bar(x=components, y=ratios, name=COMPONENT_LABEL, marker=dict(color=PALETTE[0]),
                         hovertemplate="%{x}: %{y:.1%} of the variance<extra></extra>"))
    fig.add_trace(go.Scatter(x=components, y=cumulative, name=CUMULATIVE_LABEL, mode="lines+markers",
                             line=dict(color=VALIDATION_COLOUR, width=LINE_WIDTH),
                             marker=dict(size=9, symbol="square", color=VALIDATION_COLOUR),
                             hovertemplate="PC1 to %{x}: %{y:.1%} of the variance<extra></extra>"))
    _base_layout(fig, title, HEIGHT)
    fig.update_xaxes(title_text="Principal component", type="category")
    fig.update_yaxes(title_text="Share of the variance", tickformat=".0%", range=[0, 1.05])
    return fig


CELL_TRACE_NAME = "Confusion cells"  # the invisible markers a click on the confusion matrix selects
PREDICTED_LABEL, OTHER_CLASSES_LABEL, TRUE_LABEL = "Predicted class", "Other classes", "True class"
OTHER_CLASS_COLOUR = "#A7B7C7"


def precision_recall_figure(evaluation: Evaluation) -> go.Figure:
    """One precision-recall curve per entry of `evaluation.pr` (steps, as average precision sums
    them), average precision in the legend; for two classes the chance level too."""
    fig = go.Figure()
    colour = iter(CLASS_PALETTE * (1 + len(evaluation.pr) // len(CLASS_PALETTE)))
    for curve in evaluation.pr:
        fig.add_trace(go.Scatter(
            x=curve.recall, y=curve.precision, mode="lines", line_shape="hv",
            name=f"{curve.label} (AP {curve.average_precision:.3f})", line=dict(color=next(colour), width=LINE_WIDTH),
            hovertemplate=f"{curve.label}<br>Recall %{{x:.3f}}<br>Precision %{{y:.3f}}<extra></extra>"))
    binary = len(evaluation.class_names) == 2
    if binary and evaluation.pr:
        prevalence = evaluation.pr[0].prevalence
        fig.add_trace(go.Scatter(x=[0, 1], y=[prevalence, prevalence], mode="lines", hoverinfo="skip",
                                 name=f"Chance (share of {evaluation.pr[0].label}: {prevalence:.2f})",
                                 line=dict(color=CHANCE_COLOUR, width=2, dash="dot")))
    if binary:
        title = "Precision–recall curve" + (f" (positive class: {evaluation.class_names[1]})" if evaluation.pr else "")
    else:
        title = "Precision–recall curves (each class against the rest)"
    _base_layout(fig, title, height=520 + 28 * math.ceil(len(fig.data) / 3), legend_on_top=False)
    # Square like the ROC curves, with the legend underneath where it covers no curve (nor the axis title).
    fig.update_layout(title=dict(x=0.5, xanchor="center"),
                      legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.2, yanchor="top"))
    fig.update_xaxes(title_text="Recall", range=[-0.01, 1.01], dtick=0.2, tickformat=".1f",
                     constrain="domain", zeroline=False)
    fig.update_yaxes(title_text="Precision", range=[-0.01, 1.01], dtick=0.2, tickformat=".1f",
                     scaleanchor="x", scaleratio=1, constrain="domain", zeroline=False)
    if not evaluation.pr:
        _message(fig, "No precision–recall curve: the test set<br>has no example of the class.")
    return fig


def clickable_confusion_figure(evaluation: Evaluation, normalised: bool) -> go.Figure:
    """The confusion matrix with an invisible marker on each cell's centre, for
    `st.plotly_chart(on_select=...)`: Plotly cannot select heatmap cells, but it selects markers.

    Marker i * k + j is the cell (true class i, predicted class j); its customdata is [count, i, j].
    Hovering anywhere snaps to the nearest centre, which is the centre of the cell under the pointer.
    """
    fig = confusion_matrix_figure(evaluation, normalised)
    names = list(evaluation.class_names)
    k = len(names)
    counts = np.asarray(evaluation.confusion)
    fig.update_traces(hoverinfo="skip", hovertemplate=None, selector=dict(type="heatmap"))
    share = evaluation.confusion_normalised
    cell_height = (min(900, 380 + 36 * k) - 160) / max(k, 1)
    fig.add_trace(go.Scatter(
        x=[names[j] for i in range(k) for j in range(k)], y=[names[i] for i in range(k) for j in range(k)],
        mode="markers", name=CELL_TRACE_NAME, showlegend=False, meta=SIZED_TO_HEIGHT,  # for_projector grows them
        customdata=[[int(counts[i][j]), i, j, float(share[i][j])] for i in range(k) for j in range(k)],
        marker=dict(symbol="square-open", size=max(10, 0.8 * cell_height), opacity=0,
                    color=VALIDATION_COLOUR, line=dict(width=4, color=VALIDATION_COLOUR)),
        # The clicked cell gets an orange frame, so the room sees which cell the samples below are from.
        selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=0)),
        hovertemplate=("True %{y}<br>Predicted %{x}<br>%{customdata[0]} samples"
                       + (" (%{customdata[3]:.1%} of this class)" if normalised else "")
                       + "<br>Click to see them<extra></extra>"),
    ))
    fig.update_layout(hovermode="closest", hoverdistance=-1)
    return fig


def probability_figure(table: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars of each class's predicted probability (a table from inspection.probability_table):
    the predicted class highlighted, the true class marked with a diamond and named on its axis label."""
    names = [shorten(c, 24) for c in table["class"]]
    proba = table["probability"].to_numpy(dtype=float)
    is_true, is_predicted = table["true"].to_numpy(dtype=bool), table["predicted"].to_numpy(dtype=bool)
    labels = [f"<b>{n} (true)</b>" if t else n for n, t in zip(names, is_true)]
    fig = go.Figure()
    for name, mine, colour in ((OTHER_CLASSES_LABEL, ~is_predicted, OTHER_CLASS_COLOUR),
                               (PREDICTED_LABEL, is_predicted, VALIDATION_COLOUR)):
        if not mine.any():
            continue
        fig.add_trace(go.Bar(
            x=proba[mine], y=[labels[i] for i in np.flatnonzero(mine)], orientation="h", name=name,
            marker=dict(color=colour), text=[f"{100 * p:.1f}%" for p in proba[mine]], textposition="outside",
            cliponaxis=False, textfont=dict(size=BASE_FONT, color=TEXT_DARK),
            hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    # The true class's marker sits left of the zero line, beside its name, where no bar or label covers it.
    fig.add_trace(go.Scatter(
        x=[-0.04] * int(is_true.sum()), y=[labels[i] for i in np.flatnonzero(is_true)], mode="markers",
        name=TRUE_LABEL, customdata=proba[is_true], cliponaxis=False,
        marker=dict(symbol="diamond", size=16, color=MACRO_COLOUR, line=dict(width=2, color="white")),
        hovertemplate="True class %{y}: %{customdata:.3f}<extra></extra>"))
    _base_layout(fig, title, height=min(800, 230 + 34 * max(2, len(names))), legend_on_top=False)
    # Legend under the plot: beside the title in a half-width column it would cover it.
    # The title starts at the figure's edge, not the plot's: after the class names it would run out of a
    # half-width column.
    fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=-0.18, yanchor="top"),
                      title=dict(xref="container", x=0.01), margin=dict(t=60, b=40), barmode="overlay",
                      bargap=0.25)
    fig.update_xaxes(title_text="Predicted probability", range=[-0.08, 1.2], tickvals=[0, 0.25, 0.5, 0.75, 1],
                     tickformat=".0%", zeroline=True, zerolinecolor=CHANCE_COLOUR)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels, autorange="reversed",
                     ticksuffix="  ")
    return fig


def images_figure(images: np.ndarray, labels: list[str], title: str, columns: int = 8) -> go.Figure:
    """A grid of greyscale images (n, height, width) with a caption above each, under `title`."""
    n = len(images)
    columns = max(1, min(columns, n))
    fig = sample_images_figure(images, labels, columns=columns)
    fig.update_layout(title_text=title)
    # Square pixels by shrinking the plot, never by cropping the image; a thin frame shows where an
    # image's white background ends.
    frame = dict(visible=True, showticklabels=False, ticks="", showgrid=False, zeroline=False, showline=True,
                 mirror=True, linecolor=EMPTY_CELL, linewidth=1, constrain="domain", title_text=None)
    fig.update_xaxes(**frame)
    fig.update_yaxes(**frame)
    fig.update_annotations(yshift=6)  # the captions clear the frames
    if columns < 4:  # one or two images: keep them a readable size, not the page's width
        fig.update_layout(height=320 * math.ceil(n / columns) + 80, width=300 * columns + 40)
    return fig
