"""Plotly figures for the dashboard, made to read from the back of a lecture hall.

Large fonts, thick lines, the Okabe-Ito colour-blind-safe palette (ordered for contrast on
white, yellow last), legends outside the data and explicit heights. No Streamlit here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from mllab.evaluation import MACRO_LABEL, PHOTO_Z_OUTLIER_CUT, Evaluation, RegressionEvaluation

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

# Every figure here is drawn on plotly_white. Naming the template (template="plotly_white") makes Plotly
# copy and validate the whole template for each figure: 9 of the ~28 ms a learning-curve figure took,
# and the live panel rebuilds it twice a second per watching browser. The registered template is
# valid already, so it is attached the way Plotly attaches its own default template (validation off
# for that one assignment). A process-wide default would not do: importing Streamlit's Plotly element
# sets the default to Streamlit's own template.
_TEMPLATE = pio.templates["plotly_white"]


def _attach_template(fig: go.Figure) -> go.Figure:
    layout = fig.layout
    layout._validate = False  # as in plotly's BaseFigure._initialize_layout_template
    try:
        layout.template = _TEMPLATE
    finally:
        layout._validate = True
    return fig


_SERIES = (("Training", "{metric}", TRAINING_COLOUR, "circle"),
           ("Validation", "val_{metric}", VALIDATION_COLOUR, "square"))


def _layout(title: str, height: int, legend_on_top: bool = True) -> dict:
    """The layout every figure shares, as nested dicts (Plotly's "title_font" shorthand costs parsing)."""
    legend = (dict(orientation="h", x=1, xanchor="right", y=1.02, yanchor="bottom")
              if legend_on_top else dict(x=1.02, xanchor="left", y=1, yanchor="top"))
    return dict(
        height=height,
        font=dict(size=BASE_FONT),
        title=dict(text=title, font=dict(size=TITLE_FONT), x=0, xanchor="left", xref="paper"),
        legend=dict(font=dict(size=BASE_FONT), bgcolor="rgba(255,255,255,0.85)", **legend),
        hoverlabel=dict(font=dict(size=BASE_FONT)),
        margin=dict(l=70, r=30, t=90 if legend_on_top else 70, b=70),
    )


_AXIS = dict(title=dict(font=dict(size=BASE_FONT + 2)), tickfont=dict(size=BASE_FONT), automargin=True)


def _base_layout(fig: go.Figure, title: str, height: int, legend_on_top: bool = True) -> go.Figure:
    _attach_template(fig)
    fig.update_layout(_layout(title, height, legend_on_top))
    fig.update_xaxes(_AXIS)
    fig.update_yaxes(_AXIS)
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
    The figure is made in one go (no update calls): the live panel rebuilds it while a run trains.
    """
    is_share = "accuracy" in metric.lower()
    traces = []
    for name, key_pattern, colour, symbol in _SERIES:
        key = key_pattern.format(metric=metric)
        points = [(event.get("step", i + 1), float(event[key]))
                  for i, event in enumerate(history) if _finite(event.get(key))]
        if not points:
            continue
        xs, ys = zip(*points)
        traces.append(go.Scatter(
            x=list(xs), y=list(ys), name=name,
            mode="lines+markers" if len(points) < MARKER_LIMIT else "lines",
            line=dict(color=colour, width=LINE_WIDTH),
            marker=dict(size=9, symbol=symbol, color=colour),
            hovertemplate=f"{x_label} %{{x}}<br>{name} {title.lower()}: %{{y:.4f}}<extra></extra>",
        ))
    layout = _layout(title, HEIGHT + 40, legend_on_top=False)
    # Legend under the plot: beside a long title ("Mean squared error") in a half-width column a
    # legend on top wrapped onto the title.
    layout["legend"].update(orientation="h", x=0, xanchor="left", y=-0.2, yanchor="top")
    layout["margin"].update(t=60, b=40)
    xaxis = dict(_AXIS, title=dict(_AXIS["title"], text=x_label))
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
    elif not traces:
        message = f"This model does not report {title.lower()}."
    fig = _attach_template(go.Figure(data=traces, layout=dict(layout, xaxis=xaxis, yaxis=yaxis)))
    if message:
        _message(fig, message)
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


# --------------------------------------------------------------------------------------------
# Exploring the data (figures for mllab.explore's results)
# --------------------------------------------------------------------------------------------

ALL_LABEL = "All rows"


def _short(name: str, limit: int = 22) -> str:
    name = str(name)
    return name if len(name) <= limit else name[:limit - 1] + "…"


def _class_colours(classes: list[str]) -> dict[str, str]:
    # Yellow last: a thin yellow line on white is hard to see from the back of the room.
    ordered = [c for c in CLASS_PALETTE if c != "#F0E442"] + ["#F0E442"]
    palette = ordered * (1 + len(classes) // len(ordered))
    return {c: palette[i] for i, c in enumerate(classes)}


def histogram_figure(hist, share: bool = False) -> go.Figure:
    """Counts of a column's values per bin (numbers) or per category (text), one colour per class.

    With classes, `share=True` scales each class to 100% so a rare class's shape is visible next
    to a common one. Numbers are drawn as steps (one outline per class), categories as bars.
    """
    fig = go.Figure()
    classes = list(hist.counts)
    colours = _class_colours(classes) if hist.by_class else {classes[0]: PALETTE[0]}
    y_label = "Share of the class's rows (%)" if share and hist.by_class else "Rows"

    def scaled(counts):
        counts = np.asarray(counts, dtype=float)
        if share and hist.by_class:
            total = counts.sum()
            return 100 * counts / total if total else counts
        return counts

    if hist.numeric:
        edges = np.asarray(hist.edges, dtype=float)
        centres = (edges[:-1] + edges[1:]) / 2
        if not hist.by_class:
            fig.add_trace(go.Bar(x=centres, y=scaled(hist.counts[classes[0]]), width=np.diff(edges),
                                 marker=dict(color=PALETTE[0], line=dict(color="white", width=1)), name=ALL_LABEL,
                                 hovertemplate=f"{_short(hist.column, 40)} %{{x:.4g}}<br>%{{y:,}} rows<extra></extra>"))
        else:
            for c in classes:
                # A step outline per class: overlapping filled bars of eight classes would hide each other.
                ys = scaled(hist.counts[c])
                xs = np.repeat(edges, 2)[1:-1]
                fig.add_trace(go.Scatter(
                    x=xs, y=np.repeat(ys, 2), mode="lines", name=_short(c),
                    line=dict(color=colours[c], width=LINE_WIDTH),
                    hovertemplate=f"{_short(c)}<br>{_short(hist.column, 40)} %{{x:.4g}}<br>%{{y:.3g}}<extra></extra>"))
        fig.update_xaxes(title_text=str(hist.column))
    else:
        for c in classes:
            fig.add_trace(go.Bar(x=[_short(k, 30) for k in hist.categories], y=scaled(hist.counts[c]),
                                 name=_short(c) if hist.by_class else ALL_LABEL, marker=dict(color=colours[c]),
                                 hovertemplate="%{x}: %{y:.3g}<extra>" + _short(c) + "</extra>"))
        fig.update_layout(barmode="group" if (share or len(classes) <= 4) else "stack")
        fig.update_xaxes(title_text=str(hist.column), type="category", tickangle=-30 if len(hist.categories) > 8 else 0)
    title = f"Distribution of {_short(hist.column, 40)}" + (" by class" if hist.by_class else "")
    _base_layout(fig, title, HEIGHT + 40, legend_on_top=False)
    fig.update_yaxes(title_text=y_label, rangemode="tozero")
    fig.update_layout(showlegend=hist.by_class, bargap=0.05 if hist.numeric else 0.2)
    return fig


def missing_values_figure(summary) -> go.Figure:
    """Horizontal bars: the share of rows each column is missing, with the count beside each bar."""
    table = summary.table
    names = [_short(n, 30) for n in table["column"]]
    shares = [100 * float(s) for s in table["share"]]
    labels = [f"{int(m):,} ({s:.1f}%)" for m, s in zip(table["missing"], shares)]
    fig = go.Figure(go.Bar(x=shares, y=names, orientation="h", text=labels, textposition="outside", cliponaxis=False,
                           marker=dict(color=PALETTE[1]), textfont=dict(size=BASE_FONT, color=TEXT_DARK),
                           hovertemplate="%{y}: %{text} missing<extra></extra>"))
    _base_layout(fig, "Missing values per column", height=min(900, 170 + 40 * max(2, len(names))),
                 legend_on_top=False)
    fig.update_xaxes(title_text="Share of rows missing (%)", range=[0, max(shares + [1]) * 1.4], rangemode="tozero")
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=names, autorange="reversed")
    fig.update_layout(showlegend=False, bargap=0.25)
    if not names:
        _message(fig, "No missing values.")
    return fig


def correlation_figure(corr) -> go.Figure:
    """Heatmap of correlations from -1 (red) to +1 (blue), white at 0; values written in small matrices."""
    matrix = corr.matrix
    names = [_short(c) for c in matrix.columns]
    k = len(names)
    z = matrix.to_numpy(dtype=float)
    fig = go.Figure(go.Heatmap(
        z=z.tolist(), x=names, y=names, zmin=-1, zmax=1, zmid=0, colorscale="RdBu", xgap=1, ygap=1,
        colorbar=dict(title=dict(text="Correlation"), thickness=18, tickvals=[-1, -0.5, 0, 0.5, 1]),
        hovertemplate="%{y} and %{x}<br>correlation %{z:.2f}<extra></extra>"))
    if k <= 12:
        for i in range(k):
            for j in range(k):
                value = z[i, j]
                if np.isfinite(value):
                    fig.add_annotation(x=names[j], y=names[i], text=f"{value:.2f}", showarrow=False,
                                       font=dict(size=BASE_FONT if k <= 8 else BASE_FONT - 2,
                                                 color="white" if abs(value) > 0.6 else TEXT_DARK))
    title = "Correlation between features"
    if corr.capped:
        title += f" (the {k} of {corr.n_numeric:,} with most variance)"
    _base_layout(fig, title, height=min(950, 320 + 30 * max(k, 4)), legend_on_top=False)
    fig.update_xaxes(type="category", showgrid=False, tickangle=-45 if k > 6 else 0,
                     tickfont=dict(size=BASE_FONT if k <= 15 else 12))
    fig.update_yaxes(type="category", showgrid=False, autorange="reversed", ticksuffix="  ",
                     tickfont=dict(size=BASE_FONT if k <= 15 else 12))
    if k < 2:
        _message(fig, "Fewer than two numeric columns that vary.")
    return fig


def pca_figure(projection) -> go.Figure:
    """The rows on the first two principal components, coloured by class (or by the target's value)."""
    fig = go.Figure()
    points = np.asarray(projection.points)
    marker = dict(size=7, opacity=0.7, line=dict(width=0))
    if projection.labels is not None:
        labels = np.asarray(projection.labels, dtype=object)
        colours = _class_colours(projection.classes)
        for c in projection.classes:
            mine = labels == c
            fig.add_trace(go.Scattergl(x=points[mine, 0], y=points[mine, 1], mode="markers", name=_short(c),
                                       marker=dict(color=colours[c], **marker),
                                       hovertemplate=f"{_short(c)}<extra></extra>"))
    elif projection.values is not None:
        fig.add_trace(go.Scattergl(x=points[:, 0], y=points[:, 1], mode="markers", name="rows",
                                   marker=dict(color=projection.values, colorscale="Viridis", showscale=True,
                                               colorbar=dict(thickness=18), **marker),
                                   hovertemplate="%{marker.color:.4g}<extra></extra>"))
    else:
        fig.add_trace(go.Scattergl(x=points[:, 0], y=points[:, 1], mode="markers", name="rows",
                                   marker=dict(color=PALETTE[0], **marker), hoverinfo="skip"))
    first, second = projection.explained
    _base_layout(fig, "Rows on the first two principal components", height=560, legend_on_top=False)
    fig.update_xaxes(title_text=f"PC 1 ({100 * first:.0f}% of the variance)", zeroline=False)
    fig.update_yaxes(title_text=f"PC 2 ({100 * second:.0f}% of the variance)", zeroline=False)
    fig.update_layout(showlegend=projection.labels is not None,
                      legend=dict(itemsizing="constant", font=dict(size=BASE_FONT)))
    return fig


def signal_samples_figure(samples, title: str = "Sample signals, a few per class") -> go.Figure:
    """A few curves per class against their axis (wavelength, time, position), one colour per class."""
    fig = go.Figure()
    colours = _class_colours(samples.classes) if samples.classes else {}
    seen = set()
    for curve, label in zip(samples.curves, samples.labels):
        colour = colours.get(label, PALETTE[0])
        fig.add_trace(go.Scattergl(
            x=samples.x, y=curve, mode="lines", name=_short(label) if label else "sample",
            legendgroup=label, showlegend=bool(label) and label not in seen,
            line=dict(color=colour, width=2), opacity=0.85,
            hovertemplate=(f"{_short(label)}<br>" if label else "") + "%{x:.5g}: %{y:.4g}<extra></extra>"))
        seen.add(label)
    _base_layout(fig, title, height=480, legend_on_top=False)
    # 4,000 rather than 4k: an astronomer reads "4k" Angstrom as a typo.
    fig.update_xaxes(title_text=samples.x_label, exponentformat="none", separatethousands=True)
    fig.update_yaxes(title_text=getattr(samples, "y_label", "Value"))
    fig.update_layout(showlegend=bool(samples.classes))
    return fig


# ------------------------------------------------------------------------------------------------
# Regression
# ------------------------------------------------------------------------------------------------

TEST_ROWS_LABEL = "Test rows"
IDENTITY_LABEL = "Perfect prediction (y = x)"
OUTLIER_LABEL = f"Outlier limit |Δz| = {PHOTO_Z_OUTLIER_CUT:g}(1+z)"
# Thousands of points on a projector: small, half-transparent markers so dense regions read as dense.
_POINT_STYLE = dict(size=6, color=PALETTE[0], opacity=0.45, line=dict(width=0))

# What a regression's learning curves show, by history key: (chart title, what the page calls it).
REGRESSION_CURVES = (("loss", "Mean squared error"), ("mae", "Mean absolute error"))


def predicted_vs_true_figure(evaluation: RegressionEvaluation, target: str, redshift: bool = False) -> go.Figure:
    """Each test row as a point (true value, predicted value), with the line y = x where a perfect model
    would put them all; for redshifts also the outlier limits z ± 0.15 (1 + z)."""
    true, predicted = np.asarray(evaluation.y_true, float), np.asarray(evaluation.y_pred, float)
    name = _short(target, 30)
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
    name = _short(target, 30)
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


def target_histogram_figure(hist) -> go.Figure:
    """The distribution of a regression target (the Data page's view in place of the class balance)."""
    fig = histogram_figure(hist)
    fig.update_layout(title_text=f"Distribution of the target {_short(hist.column, 40)}")
    return fig


# -- model inspection: feature importance, PCA explained variance, learning curve by training-set size ---------

IMPURITY_LABEL = "Impurity importance"
PERMUTATION_LABEL = "Permutation importance"
COMPONENT_LABEL = "Each component"
CUMULATIVE_LABEL = "Cumulative"
TRAINING_SCORE_LABEL = "Training score"
TEST_SCORE_LABEL = "Test score"


def importance_figure(rows: list[tuple[str, float, float]], kind: str, score_label: str = "accuracy",
                      n_features: int | None = None) -> go.Figure:
    """Horizontal bars of the most important features, most important on top.

    `rows` are (feature, value, error) as mllab.importance.top_features gives them; `kind` is
    "impurity" (shares that sum to 1 over all features) or "permutation" (the score's drop when the
    feature is shuffled, with ± one standard deviation over the shuffles as error bars).
    """
    permutation = kind == "permutation"
    names = [_short(name, 28) for name, _, _ in rows]
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


def training_size_figure(points: list[dict], metric_label: str = "accuracy") -> go.Figure:
    """Training and test score against the number of training rows (mllab.learning_curve's points)."""
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


# ------------------------------------------------------------------------------------------------
# Inspection: precision-recall curves, clickable confusion cells, one sample's probabilities
# ------------------------------------------------------------------------------------------------

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
        mode="markers", name=CELL_TRACE_NAME, showlegend=False,
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
    names = [_short(c, 24) for c in table["class"]]
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
