"""Widgets drawn from a parameter schema: one function for every family and for preprocessing. The values they
start from are the session's (ui.state.settings)."""

from __future__ import annotations

from typing import Any, Sequence

import streamlit as st

from mllab.params import BoolParam, ChoiceParam, FloatParam, IntListParam, IntParam, Param
from ui.state import widget_keys
from ui.state.settings import widget_key, widget_value


def _format_float(value: float) -> str:
    return f"{value:g}"


def render_param(param: Param, prefix: str, disabled: bool = False) -> Any:
    key = widget_key(prefix, param)
    kwargs: dict[str, Any] = dict(help=param.help, key=key, disabled=disabled)
    # A widget whose key already holds a value (set by the user, or by "reopen run") must not
    # also get a default, or Streamlit warns on the page.
    if not widget_keys.has(key):
        kwargs["value"] = widget_value(param, param.default)
    if isinstance(param, IntParam):
        return st.slider(param.label, min_value=param.low, max_value=param.high, step=param.step, **kwargs)
    if isinstance(param, FloatParam):
        if param.log:
            return st.select_slider(param.label, options=param.grid(), format_func=_format_float, **kwargs)
        step = param.step or (param.high - param.low) / 100
        if "value" in kwargs:
            kwargs["value"] = float(kwargs["value"])
        return st.slider(param.label, min_value=float(param.low), max_value=float(param.high), step=float(step),
                         format="%g", **kwargs)
    if isinstance(param, ChoiceParam):
        if "value" in kwargs:
            kwargs["index"] = param.options.index(kwargs.pop("value"))
        return st.selectbox(param.label, param.options, format_func=param.label_of, **kwargs)
    if isinstance(param, BoolParam):
        return st.checkbox(param.label, **kwargs)
    if isinstance(param, IntListParam):
        return st.text_input(param.label, placeholder="Empty: none" if param.min_length == 0 else None, **kwargs)
    raise TypeError(f"no widget for {type(param).__name__}")


def render_schema(schema: Sequence[Param], prefix: str, disabled: bool = False,
                  data_kind: str | None = None, fixed: dict[str, Any] | None = None) -> dict[str, Any]:
    """Draw one widget per parameter; return the raw values (validate them with the schema).

    Settings not offered for `data_kind` are left out (validation gives them their defaults);
    a setting whose `applies_when` does not hold for the values drawn above it is greyed out,
    with the reason underneath. Settings named in `fixed` (a classroom's lecturer set them) are not
    drawn at all: their fixed values are returned as they are.
    """
    values: dict[str, Any] = {}
    pending_reason = None
    fixed = fixed or {}
    for param in schema:
        if not param.offered_for(data_kind):
            continue
        if param.name in fixed:
            values[param.name] = fixed[param.name]
            continue
        reason = param.inactive_reason(values)
        # Settings greyed out for the same reason (momentum and Nesterov, off without SGD) share one line.
        if pending_reason is not None and reason != pending_reason:
            st.caption(pending_reason)
        pending_reason = reason
        values[param.name] = render_param(param, prefix, disabled or reason is not None)
    if pending_reason is not None:
        st.caption(pending_reason)
    return values
