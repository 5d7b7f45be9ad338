"""The Search page's widgets, driven by a family's Param schema, and its results panel.

For each hyperparameter the user either keeps one value (the same widget as on the Train page) or
ticks "Vary" and picks what to try: options for a choice (multiselect), on/off for a switch, a range
on the same slider plus a number of values for a number (log-spaced for log-scaled settings), and
several layer lists for hidden layers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from mllab.charts import validation as validation_charts
from mllab.models import ModelFamily
from mllab.params import BoolParam, ChoiceParam, FloatParam, IntListParam, IntParam, Param, applicable, format_int_list
from mllab.training import Dimension, SearchRecord, dimension_for, shown_value, suggested_range
from ui.state import jobs, settings
from ui.state.settings import widget_value
from ui.widgets.params import _format_float, render_param

BEST_ROW_STYLE = "background-color: #FFE4C4; font-weight: bold"


def _default_range(param: Param) -> tuple:
    """A starting range around the default: half to double it, within the bounds."""
    if isinstance(param, FloatParam) and param.log:
        grid = param.grid()
        default = widget_value(param, param.default)
        i = grid.index(default)
        return grid[max(0, i - 4)], grid[min(len(grid) - 1, i + 4)]  # a decade either side
    return suggested_range(param)


def _range_widgets(param: Param, key: str, show_count: bool, planned: tuple | None = None) -> tuple[tuple, int]:
    # The default range is always passed, never left to session state: a slider given no tuple value
    # becomes a one-value slider on the next rerun (a select_slider then returns one option, not two).
    # These keys are only ever set by the widgets themselves, so Streamlit keeps the user's range.
    start = tuple(planned[:2]) if planned else _default_range(param)
    kwargs: dict[str, Any] = {"key": f"{key}-range", "help": param.help, "value": start}
    label = f"{param.label}: range to try"
    if isinstance(param, FloatParam) and param.log:
        chosen = st.select_slider(label, options=param.grid(), format_func=_format_float, **kwargs)
    elif isinstance(param, IntParam):
        chosen = st.slider(label, min_value=param.low, max_value=param.high, step=param.step, **kwargs)
    else:
        step = param.step or (param.high - param.low) / 100
        chosen = st.slider(label, min_value=float(param.low), max_value=float(param.high), step=float(step),
                           format="%g", **kwargs)
    count = 3
    if show_count:
        count = st.number_input(f"{param.label}: values in the grid", min_value=1, max_value=10,
                                value=planned[2] if planned else 3,
                                key=f"{key}-count", help="Evenly spaced across the range (on a log scale for "
                                "log-scaled settings).")
    return tuple(chosen), int(count)


def _options_widget(param: Param, key: str, planned: list | None = None) -> list:
    label = f"{param.label}: values to try"
    if isinstance(param, ChoiceParam):
        return st.multiselect(label, param.options, default=planned or [param.default], format_func=param.label_of,
                              key=key, help=param.help)
    if isinstance(param, BoolParam):
        return st.multiselect(label, [False, True], default=planned or [False, True], key=key, help=param.help,
                              format_func=lambda on: "on" if on else "off")
    text = st.text_input(f"{param.label}: lists to try, separated by ';'", value=format_int_list(param.default),
                         key=key, help="For example: 12, 8; 16, 8; 32")
    return [param.parse(part) for part in text.split(";") if part.strip()]


def search_space(family: ModelFamily, show_counts: bool, initial: dict | None = None,
                 task: str = "classification", fixed: dict | None = None) -> tuple[tuple[Dimension, ...], dict]:
    """One row per hyperparameter: a fixed value, or what to try. Returns (dimensions, fixed values).

    Only the settings that mean something for the task are offered (no class weights for a regression).
    The fixed values start from `initial` (the latest run of this family) the first time the family
    is shown. Settings named in `fixed` (a classroom's lecturer set them) are not drawn and never
    varied: their values are returned as they are. Raises ParamError for a layer list that cannot be read.
    """
    prefix = settings.search_prefix(family.key)
    if initial and not settings.search_initialised(family.key):
        settings.put_values(family.params, f"{prefix}-fixed", initial)
    settings.mark_search_initialised(family.key)
    dimensions, values, fixed = [], {}, fixed or {}
    for param in applicable(family.params, task):
        if param.name in fixed:
            values[param.name] = fixed[param.name]
            continue
        # Wide enough for the whole word "Vary" beside its box in the half-width settings column.
        vary_col, widget_col = st.columns([1.5, 5], vertical_alignment="center")
        vary = vary_col.checkbox("Vary", key=f"{prefix}-vary-{param.name}")
        with widget_col:
            if not vary:
                values[param.name] = render_param(param, f"{prefix}-fixed")
            elif isinstance(param, (ChoiceParam, BoolParam, IntListParam)):
                dimensions.append(dimension_for(param, _options_widget(param, f"{prefix}-options-{param.name}",
                                                                       settings.planned(family.key, param.name))))
            else:
                chosen, count = _range_widgets(param, f"{prefix}-{param.name}", show_counts,
                                               settings.planned(family.key, param.name))
                dimensions.append(dimension_for(param, chosen, n_values=count))
    return tuple(dimensions), values


def _styled(table: pd.DataFrame, number_format: str = ".3f"):
    return table.style.apply(lambda row: [BEST_ROW_STYLE if row["Best"] else ""] * len(row), axis=1).format(
        {**{c: f"{{:{number_format}}}" for c in table.columns if c.startswith("Mean") or c == "Std"},
         **({"Duration (s)": "{:.1f}"} if "Duration (s)" in table.columns else {})})


def live_progress(record: SearchRecord, family: ModelFamily) -> None:
    """While a search runs: "Candidate 7 of 24", and the candidates finished so far."""
    st.progress(record.progress, text=jobs.progress_text(record.message, record.queue_position))
    if record.parts_done:
        labels = {p.name: p.label.split(" (")[0] for p in family.params}
        rows = [{"Candidate": p["index"], **{labels[k]: _plain(v) for k, v in p["params"].items()},
                 f"Mean {record.metric_label}": float(format(p["mean"], ".4g")),
                 "Std": float(format(p["std"], ".3g"))} for p in record.parts_done]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"search-live-{record.number}")


def _plain(value) -> str:
    if isinstance(value, tuple):
        return format_int_list(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def results_panel(record: SearchRecord, family: ModelFamily) -> bool:
    """A finished search: the table (best highlighted), the best setting, its chart. True when the user
    asks to train with the best settings."""
    if record.error:
        st.error(record.error)
    result = record.result
    if result is None:
        return False
    for note in result.notes:
        st.info(note)
    best = result.best
    if best is None:
        st.warning("The search was stopped before any candidate finished; there is nothing to compare yet.")
        return False
    params = {p.name: p for p in family.params}
    settings = " · ".join(f"{params[n].label.split(' (')[0]} {shown_value(params[n], best.params[n])}"
                          for n in result.searched)
    shown = f"{best.mean:{result.metric_format}} ± {best.std:{result.metric_format}}"
    st.success(f"Best of {len(result.candidates)} candidates ({result.validation}): {settings} — mean "
               f"{result.metric_label} {shown}")
    train_best = st.button("Train with these settings", type="primary", key="search-train-best",
                           help="Loads the best candidate's settings into the Train page's sliders.")
    st.dataframe(_styled(result.table(), result.metric_format), hide_index=True, width="stretch",
                 key=f"search-table-{record.number}")
    st.caption(f"Click a column header to sort. The best row is highlighted, and orange in the chart. "
               f"{result.validation} scores; Std and the error bars are the standard deviation across folds. "
               f"Took {result.duration_s:.0f} s.")
    st.plotly_chart(validation_charts.candidate_scores_figure(result), key=f"search-chart-{record.number}",
                    width="stretch")
    return train_best

