"""The searches of one browser session, kept next to its runs (see ui/session.py)."""

from __future__ import annotations

import streamlit as st

from mllab.training import SearchRecord
from ui.session import sync_records


def searches() -> list[SearchRecord]:
    return st.session_state.setdefault("searches", [])


def active_search() -> SearchRecord | None:
    for record in searches():
        if not record.finished:
            return record
    return None


def sync_searches(engine, owner: str) -> None:
    """Bring unfinished searches up to date; also tells the engine this session is still here."""
    sync_records(engine, owner, searches())
