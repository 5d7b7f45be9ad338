"""The settings a user chose on the Train and Search pages, held by the session rather than by the widgets.

Streamlit drops a widget's key at the end of a run of a page that does not draw it, so a slider moved on
the Train page came back at its default after a visit to the Data page (and was then stored so). The
session keeps every setting in one dict (`keys.SETTINGS`); the frame puts the held values on the widgets'
keys before each page (`restore_widgets`) and takes the drawn widgets' values back after it (`capture`),
writing them to the workspace when they changed. Every way of putting settings on a page (a
share link, a workflow step, a room's push, a run's "load these settings", the Search page's best
candidate, a verdict's button) goes through `put_values`, so the held dict and the widgets agree.
"""

from __future__ import annotations

from typing import Any, Sequence

import streamlit as st

from mllab.errors import UserError
from mllab.models import FAMILIES
from mllab.params import FloatParam, IntListParam, Param, format_int_list
from mllab.prepare import PREPROCESSING_SCHEMA
from mllab.training import VALIDATION_SCHEMA
from ui.state import keys, session, workspace

# The widgets whose values are settings. Buttons are never settings: Streamlit refuses a button's value set
# from session state.
SETTING_PREFIXES = ("hp-", "pp-", "val-", "boundary-", "search-val-")
SETTING_KEYS = ("family", "keep-model", "device", "mixed-precision", "search-family", "search-strategy",
                "search-budget", "search-metric")
BUTTON_KEYS = frozenset({"train-button", "stop-button", "search-run", "search-stop", "search-train-best",
                         "reopen-settings"})
HYPERPARAMETERS, PREPROCESSING, VALIDATION = "hp", "pp", "val"
SEARCH = "search"


def is_setting(key) -> bool:
    if not isinstance(key, str) or key in BUTTON_KEYS:
        return False
    # search-<family>-…: the Search page's per-family plan; its live tables and charts are not settings.
    return key in SETTING_KEYS or key.startswith(SETTING_PREFIXES) or (
        key.startswith("search-") and not key.startswith(("search-live", "search-table", "search-chart")))


def _storable(value) -> bool:
    return isinstance(value, (bool, int, float, str)) or (
        isinstance(value, (list, tuple)) and all(isinstance(v, (bool, int, float, str)) for v in value))


def held() -> dict:
    """Every setting the user chose, by widget key, whatever page is drawn."""
    return st.session_state.setdefault(keys.SETTINGS, {})


def restore_widgets() -> None:
    """Before a page: every held setting's widget key is given its held value again, unless the user has just
    changed it (the browser sent a new value for this run).

    Written on every run, not only where Streamlit dropped the key: Streamlit sends a value to the browser only
    in a run that wrote it, and a widget drawn again after a run that did not draw it (another page, another
    family's sliders) otherwise showed its default in the browser while the server held the chosen value. A
    value the browser has just sent is left alone: writing it back would reach a slider still being moved and
    put it back a few steps."""
    for key, value in held().items():
        if st.session_state.get(key, value) == value:
            st.session_state[key] = value


def capture() -> None:
    """After a page: the drawn widgets' values are the held settings; kept in the workspace when they changed."""
    values = held()
    for key, value in list(st.session_state.items()):
        if is_setting(key) and _storable(value):
            values[key] = list(value) if isinstance(value, tuple) else value
    if values:  # a new visitor who has chosen nothing yet costs the store no write
        workspace.remember(keys.SETTINGS, dict(values))


def hold_stored(values: dict) -> None:
    """A workspace being opened: its stored settings become the session's and its widgets'."""
    st.session_state[keys.SETTINGS] = dict(values)
    for key, value in values.items():
        st.session_state[key] = value


def value(key: str, default: Any = None) -> Any:
    """A setting's value: the widget's when its page is drawn, else the held one."""
    return st.session_state.get(key, held().get(key, default))


def put(key: str, value: Any) -> None:
    """Set one setting (its widget shows it the next time it is drawn)."""
    st.session_state[key] = value
    if _storable(value):
        held()[key] = list(value) if isinstance(value, tuple) else value


def forget(key: str) -> None:
    """The setting goes back to its widget's default."""
    st.session_state.pop(key, None)
    held().pop(key, None)


# -- schemas' widgets ----------------------------------------------------------------------------------

def widget_key(prefix: str, param: Param) -> str:
    return f"{prefix}-{param.name}"


def widget_value(param: Param, value: Any) -> Any:
    """A stored setting in the form its widget holds (used to reopen a run's settings)."""
    if isinstance(param, IntListParam):
        return format_int_list(value)
    if isinstance(param, FloatParam) and param.log:
        grid = param.grid()
        return min(grid, key=lambda v: abs(v - value))
    return value


def put_values(schema: Sequence[Param], prefix: str, values: dict[str, Any]) -> None:
    """Put `values` (by parameter name) on a schema's widgets."""
    for param in schema:
        if param.name in values:
            put(widget_key(prefix, param), widget_value(param, values[param.name]))


def schema_values(schema: Sequence[Param], prefix: str) -> dict:
    """A schema's values as its widgets hold them (or as held, when the page is not drawn), checked (a bad one
    falls back to its default)."""
    values = {}
    for param in schema:
        raw = value(widget_key(prefix, param), param.default)
        try:
            checked = param.validate(raw)
        except (UserError, TypeError, ValueError):
            checked = param.default
        values[param.name] = list(checked) if isinstance(checked, tuple) else checked
    return values


def chosen_family() -> str:
    """The Train page's model, held even when that page is not drawn (the first family when none is chosen)."""
    family = value("family")
    return family if family in FAMILIES else next(iter(FAMILIES))


def put_on_train(family: str, params: dict, preprocessing: dict, validation: dict,
                 keep_model: bool | None = None) -> None:
    """Put a model and its settings on the Train page (a link, a step, a room's push, a run's settings)."""
    put("family", family)
    if keep_model is not None:
        put("keep-model", keep_model)
    put_values(FAMILIES[family].params, f"{HYPERPARAMETERS}-{family}", params)
    put_values(PREPROCESSING_SCHEMA, PREPROCESSING, preprocessing)
    put_values(VALIDATION_SCHEMA, VALIDATION, validation)


def fit_to_data(family, shape) -> None:
    """Start a family's settings from values that fit the data (`ModelFamily.defaults_for`): a widget that
    holds no value yet, or still the one fitted to the data before, follows the data; one the user, a link
    or a workflow step set keeps its value."""
    if family.data_defaults is None:
        return
    fitted_before = st.session_state.setdefault(keys.FITTED_DEFAULTS, {})
    fitted = family.defaults_for(shape)
    for param in (p for p in family.params if p.name in family.data_defaults(shape)):
        key = widget_key(f"{HYPERPARAMETERS}-{family.key}", param)
        new = widget_value(param, fitted[param.name])
        current = value(key)
        if current != new and (current is None or current == fitted_before.get(key)):
            put(key, new)
        if current is None or current == fitted_before.get(key) or current == new:
            fitted_before[key] = new


def train_settings() -> dict:
    """The Train page's model and settings as they stand, drawn or not (what a settings link holds)."""
    family = chosen_family()
    return {"family": family, "params": schema_values(FAMILIES[family].params, f"{HYPERPARAMETERS}-{family}"),
            "preprocessing": schema_values(PREPROCESSING_SCHEMA, PREPROCESSING),
            "validation": schema_values(VALIDATION_SCHEMA, VALIDATION)}


# -- the Search page's plan ------------------------------------------------------------------------------

def search_prefix(family_key: str) -> str:
    return f"{SEARCH}-{family_key}"


def put_search_plan(family, vary: dict[str, Any], fixed: dict[str, Any], preprocessing: dict[str, Any]) -> None:
    """Set the Search page up for a workflow step: tick Vary for the settings in `vary` (a list of
    options for a choice or a switch, (low, high, count) for a number), fix every other setting to
    `fixed`, and search with `preprocessing` until the next run is trained."""
    prefix = search_prefix(family.key)
    for param in family.params:
        put(f"{prefix}-vary-{param.name}", param.name in vary)
        # The range and option widgets take their start from the plan only when they hold no state.
        for suffix in (f"options-{param.name}", f"{param.name}-range", f"{param.name}-count"):
            forget(f"{prefix}-{suffix}")
    st.session_state[f"{prefix}-plan"] = dict(vary)
    put_values(family.params, f"{prefix}-fixed", fixed)
    mark_search_initialised(family.key)
    st.session_state[keys.SEARCH_PREPROCESSING] = (len(session.runs()), dict(preprocessing))


def planned(family_key: str, name: str):
    """What a workflow step's plan varies `name` over, if it did."""
    return st.session_state.get(f"{search_prefix(family_key)}-plan", {}).get(name)


def search_initialised(family_key: str) -> bool:
    return bool(st.session_state.get(f"{search_prefix(family_key)}-initialised"))


def mark_search_initialised(family_key: str) -> None:
    st.session_state[f"{search_prefix(family_key)}-initialised"] = True


def preset_preprocessing(n_runs: int) -> dict | None:
    """The preprocessing a workflow step chose for the search, while no run has been trained since."""
    stored = st.session_state.get(keys.SEARCH_PREPROCESSING)
    return stored[1] if stored is not None and stored[0] == n_runs else None
