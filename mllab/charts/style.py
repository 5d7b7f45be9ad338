"""The look every figure shares, made to read from the back of a lecture hall.

Large fonts, thick lines, the Okabe-Ito colour-blind-safe palette (ordered for contrast on
white, yellow last), legends outside the data and explicit heights.
"""

from __future__ import annotations

import copy
import functools
import math

import plotly.graph_objects as go
import plotly.io as pio

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
    fig.add_annotation(**_message_dict(text))
    return fig


def _message_dict(text: str) -> dict:
    """A sentence in the middle of an empty chart, as an annotation."""
    return dict(text=text, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
                font=dict(size=TITLE_FONT, color="#555555"))


@functools.cache
def _template_dict() -> dict:
    """The template as a figure's `to_dict()` writes it; made once, shared, for reading only."""
    return _TEMPLATE.to_plotly_json()


def _figure(traces: list[dict], layout: dict, message: str | None) -> go.Figure:
    """A figure of these traces and this layout, in the house template, with `message` in the middle if given."""
    fig = _attach_template(go.Figure(data=traces, layout=layout))
    if message:
        _message(fig, message)
    return fig


def _figure_dict(traces: list[dict], layout: dict, message: str | None) -> dict:
    """What `_figure(traces, layout, message).to_dict()` would send, made without a go.Figure.

    For a figure the live panel draws again in every watching browser: building and converting a go.Figure
    validates, deep-copies and encodes every property. The arrays are encoded with Plotly's own function for
    figures' to_dict (requirements.txt pins Plotly); the template's part is shared with every other dict, so
    the dict is for reading (turning into JSON) only."""
    from _plotly_utils.utils import convert_to_base64

    spec = {"data": traces, "layout": copy.deepcopy(layout)}  # the axes start as one-level copies of _AXIS
    if message:
        spec["layout"]["annotations"] = [_message_dict(message)]
    convert_to_base64(spec)
    spec["layout"]["template"] = _template_dict()
    return spec


def shorten(name, limit: int = 22) -> str:
    """A class or column name short enough for an axis, a legend or a title."""
    name = str(name)
    return name if len(name) <= limit else name[:limit - 1] + "…"


def _finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


# Presenter mode (the pages' ?present=1): a projector seen from the back row of a lecture hall.
PRESENTER_FONT_SCALE = 1.5
PRESENTER_HEIGHT = 640
PRESENTER_LINE_WIDTH = 5
# A trace whose marker size was computed from the figure's height (the confusion matrix's clickable cell frames)
# carries this in its `meta`, so an enlarged figure's markers still fit their cells.
SIZED_TO_HEIGHT = "marker-sized-to-height"


def for_projector(fig: go.Figure, copy: bool = True) -> go.Figure:
    """A copy of `fig` with every font half as large again, thicker lines and at least PRESENTER_HEIGHT pixels;
    `fig` itself with copy=False, for a figure built for this one use (the copy is about half the cost).

    Applied to a finished figure, so every chart function stays as it is; the fonts the figure sets
    (title, axes, ticks, legend, annotations) are scaled, and those it leaves unset get the base size scaled.
    Markers marked SIZED_TO_HEIGHT grow with the figure.
    """
    big = go.Figure(fig) if copy else fig
    layout = big.layout
    height = layout.height or HEIGHT

    def scaled(size, default=BASE_FONT):
        return round((size or default) * PRESENTER_FONT_SCALE)

    big.update_layout(height=max(PRESENTER_HEIGHT, height), font=dict(size=scaled(layout.font.size)),
                      title=dict(font=dict(size=scaled(layout.title.font.size, TITLE_FONT))),
                      legend=dict(font=dict(size=scaled(layout.legend.font.size))),
                      hoverlabel=dict(font=dict(size=scaled(layout.hoverlabel.font.size))))
    big.for_each_xaxis(lambda axis: axis.update(title_font_size=scaled(axis.title.font.size, BASE_FONT + 2),
                                                tickfont_size=scaled(axis.tickfont.size)))
    big.for_each_yaxis(lambda axis: axis.update(title_font_size=scaled(axis.title.font.size, BASE_FONT + 2),
                                                tickfont_size=scaled(axis.tickfont.size)))
    for annotation in layout.annotations:
        annotation.font.size = scaled(annotation.font.size)
    big.update_traces(line_width=PRESENTER_LINE_WIDTH, selector=dict(type="scatter", mode="lines"))
    big.update_traces(line_width=PRESENTER_LINE_WIDTH, selector=dict(type="scatter", mode="lines+markers"))
    for trace in big.data:
        if trace.meta == SIZED_TO_HEIGHT and trace.marker.size is not None:
            trace.marker.size = trace.marker.size * layout.height / height
    return big
