"""A job followed while it runs: the one polling shape of the Train, Search and Predict pages and the learning
curve, so each of them only says what to draw."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

POLL_S = 0.5  # twice a second: the engine's events arrive at most every 0.2 s, a person notices a second


def follow(draw: Callable[[], bool], every: float = POLL_S) -> None:
    """Draw `draw()` now and again every `every` seconds, rerunning only this part of the page, so the page's
    widgets stay responsive. Once it returns True (the job has ended), the whole page is run again: it draws
    the result and offers its buttons again."""

    @st.fragment(run_every=every)
    def poll():
        if draw():
            st.rerun()

    poll()
