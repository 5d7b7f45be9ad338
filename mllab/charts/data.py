"""Figures for the Data page: class balance, sample images and signals, and the exploration
tabs (histograms by class, missing values, correlations, the PCA map; mllab.prepare.explore's results).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

from mllab.charts.style import (_AXIS, BASE_FONT, CLASS_PALETTE, HEIGHT, LINE_WIDTH, PALETTE, TEXT_DARK,
                                _base_layout, _figure, _figure_dict, _layout, _message, shorten)


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


def sample_images_figure(images: np.ndarray, labels: list[str], columns: int = 8) -> go.Figure:
    """A grid of greyscale images (n, height, width) with their class above each, dark ink on white."""
    return _figure(*_sample_image_parts(images, labels, columns), None)


def sample_images_dict(images: np.ndarray, labels: list[str], columns: int = 8) -> dict:
    """What `sample_images_figure(...).to_dict()` returns, made without a go.Figure (`style._figure_dict`).

    A new server's first visitor waits for this figure: the go.Figure of the digits' 20 images took 0.2-0.5 s
    to build and convert (py-spy, cold start), its dict 3 ms. tests/charts check the two are equal."""
    return _figure_dict(*_sample_image_parts(images, labels, columns), None)


def _sample_image_parts(images: np.ndarray, labels: list[str], columns: int) -> tuple[list[dict], dict]:
    """The traces and the layout (without the template) of `sample_images_figure`."""
    # The grid is laid out here as make_subplots lays it out (the same domains and titles): make_subplots,
    # then an add_trace and an update_yaxes per image, took 0.4-0.6 s for the digits' 20 images.
    n = len(images)
    rows = max(1, math.ceil(n / columns))
    h_gap, v_gap = 0.01, 0.12 / rows
    width = (1 - h_gap * (columns - 1)) / columns
    height = (1 - v_gap * (rows - 1)) / rows
    layout = _layout("Sample images with their class", 150 * rows + 80)
    layout.update(showlegend=False, margin=dict(l=10, r=10, t=90, b=10))
    # Spelled out, as Plotly's validation writes "Greys" into a figure: plotly.js's own "Greys" runs the other
    # way (black for the lowest value), and the dict is not validated.
    greys = plotly.colors.get_colorscale("Greys")
    data, titles = [], []
    for cell in range(rows * columns):
        row, col = divmod(cell, columns)
        name = str(cell + 1) if cell else ""
        left = col * (width + h_gap)
        bottom = (rows - 1 - row) * (height + v_gap)  # the first row at the top
        layout[f"xaxis{name}"] = dict(_AXIS, anchor=f"y{name}", domain=[left, left + width], visible=False)
        # Square pixels: each image's y axis is tied to its own x axis.
        layout[f"yaxis{name}"] = dict(_AXIS, anchor=f"x{name}", domain=[bottom, bottom + height], visible=False,
                                      scaleanchor=f"x{name}", scaleratio=1)
        if cell < n:
            data.append(dict(type="heatmap", z=images[cell][::-1], colorscale=greys, showscale=False,
                             hoverinfo="skip", xaxis=f"x{name}", yaxis=f"y{name}"))
            titles.append(dict(text=str(labels[cell]), x=left + width / 2, y=bottom + height, xref="paper",
                               yref="paper", xanchor="center", yanchor="bottom", showarrow=False,
                               font=dict(size=BASE_FONT + 2, color=TEXT_DARK)))
    layout["annotations"] = titles
    return data, layout


ALL_LABEL = "All rows"


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
                                 hovertemplate=f"{shorten(hist.column, 40)} %{{x:.4g}}<br>%{{y:,}} rows<extra></extra>"))
        else:
            for c in classes:
                # A step outline per class: overlapping filled bars of eight classes would hide each other.
                ys = scaled(hist.counts[c])
                xs = np.repeat(edges, 2)[1:-1]
                fig.add_trace(go.Scatter(
                    x=xs, y=np.repeat(ys, 2), mode="lines", name=shorten(c),
                    line=dict(color=colours[c], width=LINE_WIDTH),
                    hovertemplate=f"{shorten(c)}<br>{shorten(hist.column, 40)} %{{x:.4g}}<br>%{{y:.3g}}<extra></extra>"))
        fig.update_xaxes(title_text=str(hist.column))
    else:
        for c in classes:
            fig.add_trace(go.Bar(x=[shorten(k, 30) for k in hist.categories], y=scaled(hist.counts[c]),
                                 name=shorten(c) if hist.by_class else ALL_LABEL, marker=dict(color=colours[c]),
                                 hovertemplate="%{x}: %{y:.3g}<extra>" + shorten(c) + "</extra>"))
        fig.update_layout(barmode="group" if (share or len(classes) <= 4) else "stack")
        fig.update_xaxes(title_text=str(hist.column), type="category", tickangle=-30 if len(hist.categories) > 8 else 0)
    title = f"Distribution of {shorten(hist.column, 40)}" + (" by class" if hist.by_class else "")
    _base_layout(fig, title, HEIGHT + 40, legend_on_top=False)
    fig.update_yaxes(title_text=y_label, rangemode="tozero")
    fig.update_layout(showlegend=hist.by_class, bargap=0.05 if hist.numeric else 0.2)
    return fig


def missing_values_figure(summary) -> go.Figure:
    """Horizontal bars: the share of rows each column is missing, with the count beside each bar."""
    table = summary.table
    names = [shorten(n, 30) for n in table["column"]]
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
    names = [shorten(c) for c in matrix.columns]
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
            fig.add_trace(go.Scattergl(x=points[mine, 0], y=points[mine, 1], mode="markers", name=shorten(c),
                                       marker=dict(color=colours[c], **marker),
                                       hovertemplate=f"{shorten(c)}<extra></extra>"))
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
            x=samples.x, y=curve, mode="lines", name=shorten(label) if label else "sample",
            legendgroup=label, showlegend=bool(label) and label not in seen,
            line=dict(color=colour, width=2), opacity=0.85,
            hovertemplate=(f"{shorten(label)}<br>" if label else "") + "%{x:.5g}: %{y:.4g}<extra></extra>"))
        seen.add(label)
    _base_layout(fig, title, height=480, legend_on_top=False)
    # 4,000 rather than 4k: an astronomer reads "4k" Angstrom as a typo.
    fig.update_xaxes(title_text=samples.x_label, exponentformat="none", separatethousands=True)
    fig.update_yaxes(title_text=getattr(samples, "y_label", "Value"))
    fig.update_layout(showlegend=bool(samples.classes))
    return fig


def target_histogram_figure(hist) -> go.Figure:
    """The distribution of a regression target (the Data page's view in place of the class balance)."""
    fig = histogram_figure(hist)
    fig.update_layout(title_text=f"Distribution of the target {shorten(hist.column, 40)}")
    return fig
