"""Figures converted once, then drawn many times: by every session (the Data page's shared figures) or by
every poll of one session's live panel while nothing new has arrived."""

from __future__ import annotations

import functools


def prebuilt(figure):
    """`figure` as a go.Figure whose `to_dict()` returns one dict made now, for every later draw to read.

    st.plotly_chart calls `to_dict()` on a figure, and plotly's deep-copies every property and re-encodes
    each array as base64 on every call: for the 20 sample images two thirds of the Data page's script
    CPU per new session (profiled); for a live decision-boundary map 13 ms of each half-second poll. The
    dict is only read after that (turned into JSON), so one shared copy is enough. Anything else still
    sees an ordinary figure with the same content: were Streamlit to convert figures some other way, the
    page would be as right as before, only slower. Callers must not change the figure afterwards.

    `figure` itself becomes the prebuilt figure (its class is swapped, its content kept): it was built
    for this one use, and copying it validated every property again (0.06-0.12 s for the sample images
    on a cold start).
    """
    shared = figure.to_dict()
    figure.__class__ = _prebuilt_class()
    figure._mllab_dict = shared
    return figure


def prebuilt_dict(spec: dict):
    """A prebuilt figure from what its `to_dict()` is to return (mllab.charts' `*_dict` functions), without
    building a go.Figure first: for a figure drawn once per new epoch in every watching browser, building one
    cost thirty times the dict. Should anything other than `to_dict()` be asked of it, the go.Figure is built
    from the dict then, once, so it is still an ordinary figure with that content."""
    figure_class = _prebuilt_class()
    figure = figure_class.__new__(figure_class)
    figure.__dict__["_mllab_dict"] = spec
    return figure


@functools.cache
def _prebuilt_class():
    import plotly.graph_objects as go

    class PrebuiltFigure(go.Figure):
        def to_dict(self):
            return self._mllab_dict

        def __getattr__(self, name):
            # Reached only for what the instance lacks: everything go.Figure's constructor sets, on a figure from
            # `prebuilt_dict`, until it is built here.
            if name.startswith("_mllab") or self.__dict__.get("_mllab_building"):
                raise AttributeError(name)
            self.__dict__["_mllab_building"] = True
            go.Figure.__init__(self, self.__dict__["_mllab_dict"])
            return getattr(self, name)

    return PrebuiltFigure
