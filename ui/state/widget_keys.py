"""The one door through which widgets and panels touch `st.session_state`: a widget's own key, messages left
for the next run of a page (flash), and per-session caches of things drawn.

A widget's key belongs to its widget: a panel may give it a starting value, set it in the widget's callback
or forget it so the widget starts again. Named keys (`ui.state.keys`) are the state layer's and are written
only by its named functions.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.state import keys


def get(key: str, default: Any = None) -> Any:
    return st.session_state.get(key, default)


def has(key: str) -> bool:
    return key in st.session_state


def set(key: str, value: Any) -> None:  # noqa: A001 - the session's own word
    """Set a widget's value (before it is drawn in this run, or in its callback)."""
    st.session_state[key] = value


def start(key: str, value: Any) -> Any:
    """A widget's starting value: set unless the widget already has one. Returns the value it has."""
    return st.session_state.setdefault(key, value)


def forget(key: str) -> None:
    """The widget starts again from its default (or the value a page gives it)."""
    st.session_state.pop(key, None)


def forget_prefixed(prefix: str) -> None:
    """Forget every widget whose key starts with `prefix` (the marker checkboxes, drawn again from the choices)."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


def flash(channel: str, text: str, level: str = "success") -> None:
    """Leave a message for the next run of a page (a button's callback: the result of what it did)."""
    st.session_state.setdefault(keys.FLASH, {})[channel] = (level, text)


def take_flash(channel: str) -> tuple[str, str] | None:
    """The message left on `channel`, once: (level, text), or None."""
    return st.session_state.get(keys.FLASH, {}).pop(channel, None)


def show_flash(channel: str) -> None:
    """Draw the message left on `channel` (st.success, st.info, st.warning or st.error by its level)."""
    message = take_flash(channel)
    if message is not None:
        level, text = message
        getattr(st, level)(text)


def session_cache(name: str) -> dict:
    """A dict kept for this browser session (figures converted once for a live panel's polls, say)."""
    return st.session_state.setdefault(keys.CACHES, {}).setdefault(name, {})
