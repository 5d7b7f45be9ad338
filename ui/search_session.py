"""The searches of one browser session, kept next to its runs (see ui/session.py)."""

from __future__ import annotations

import streamlit as st

from mllab.search import SearchRecord


def searches() -> list[SearchRecord]:
    return st.session_state.setdefault("searches", [])


def active_search() -> SearchRecord | None:
    for record in searches():
        if not record.finished:
            return record
    return None


def sync_searches(engine, owner: str) -> None:
    """Bring unfinished searches up to date; also tells the engine this session is still here."""
    engine.touch(owner)
    for record in searches():
        if record.finished:
            continue
        try:
            state = engine.job(record.job_id, owner)
        except KeyError:
            continue
        record.update(state)
        if state.finished:
            engine.forget(record.job_id, owner)
