"""Moving between pages with the session's address: every link and switch carries the workspace token and
presenter mode (`?present=1`), so a refresh or a bookmark of any page opens the same work the same way."""

from __future__ import annotations

import streamlit as st

from ui.pages import BY_KEY, URL_PATHS, page
from ui.state import keys

TOKEN_PARAM = "ws"
PRESENT_PARAM = "present"


def presenting() -> bool:
    """Presenter mode: large type and charts for a projector. The flag lives in the URL."""
    return st.query_params.get(PRESENT_PARAM) == "1"


def set_presenting(on: bool) -> None:
    if on:
        st.query_params[PRESENT_PARAM] = "1"
    else:
        st.query_params.pop(PRESENT_PARAM, None)


def token() -> str | None:
    """This session's workspace token (None when the store is not in use)."""
    state = st.session_state.get(keys.WORKSPACE)
    return state[0] if state else None


def lecturing() -> bool:
    """This session runs a classroom room (ui.state.room): the hall sees its address bar, so neither its links
    nor its address carry the workspace token; the browser keeps it in a cookie instead (ui.state.opening)."""
    return bool(st.session_state.get(keys.ROOM_ADMIN))


def link_params() -> dict:
    """Query parameters every link between pages carries, so the workspace and presenter mode stay in the URL."""
    current = None if lecturing() else token()
    return {**({TOKEN_PARAM: current} if current else {}), **({PRESENT_PARAM: "1"} if presenting() else {})}


def page_link(key: str, **kwargs) -> None:
    """A link to the page `key` (ui.pages), carrying the session's address."""
    st.page_link(page(key), query_params=link_params(), **kwargs)


def switch_page(key: str):
    st.switch_page(page(key), query_params=link_params())


def app_url(key: str, **params: str) -> str:
    """The full address of the page `key` (ui.pages) with these query parameters, for a link to copy."""
    url_path = BY_KEY[key].url_path
    base = (st.context.url or "").split("?")[0].rstrip("/")
    head, _, last = base.rpartition("/")
    if last in URL_PATHS:
        base = head
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{base}/{url_path}?{query}" if url_path else f"{base}/?{query}"


def switch_after_callback(key: str) -> None:
    """Open the page `key` on the next run (a callback cannot switch pages itself); the frame follows it."""
    st.session_state[keys.PENDING_PAGE] = key


def follow_pending_switch() -> None:
    key = st.session_state.pop(keys.PENDING_PAGE, None)
    if key is not None:
        switch_page(key)
