"""Presenter mode (`?present=1`): large type and charts for a projector, the sidebar hidden.

The flag lives in the URL, so a refresh or a bookmark keeps it, and every link between pages carries it
(`ui.state.navigation`). The page's CSS is a constant:
no user-derived text ever goes into the one unsafe_allow_html block.
"""

from __future__ import annotations

import streamlit as st

from mllab import charts
from ui.pages import PAGES
from ui.state import navigation, widget_keys
from ui.state.navigation import presenting

# Plotly's mode bar (the toolbar a hover shows) covered a half-width chart's title at 1280x720: hidden on every
# page's charts. Streamlit sizes its text in rem: a larger root font enlarges every label, caption and widget at once.
PRESENTER_CSS = """
<style>
html { font-size: 24px; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stSidebarCollapseButton"] { display: none !important; }
[data-testid="stPlotlyChart"] .modebar-container { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container { max-width: 100% !important; padding: 0.5rem 2rem 2rem !important; }
h1 { font-size: 1.7rem !important; padding: 0.3rem 0 0.2rem !important; }
.st-key-presenter-top-bar { gap: 0.4rem !important; }
.st-key-presenter-top-bar [data-testid="stPageLink"] p, .st-key-presenter-top-bar button p { font-size: 0.8rem; }
[data-testid="stProgress"] p, [data-testid="stAlert"] p { font-size: 1.05rem; }
</style>
"""


def plotly_chart(figure, **kwargs):
    """`st.plotly_chart`, with the figure enlarged by `charts.for_projector` in presenter mode (the Train page's
    evaluation figures: legible from the back row). The figure is enlarged in place: pass one built for this call."""
    return st.plotly_chart(charts.for_projector(figure, copy=False) if presenting() else figure, **kwargs)


def apply() -> None:
    """Every page, through the frame: the presenter CSS when the URL asks for it."""
    if presenting():
        st.markdown(PRESENTER_CSS, unsafe_allow_html=True)  # constant CSS only


def sidebar_toggle() -> None:
    """In the sidebar: the way in (the sidebar is hidden in presenter mode; the top bar has the way out)."""
    widget_keys.set("presenter-toggle", presenting())  # the URL decides, whichever way the mode was entered
    st.toggle("Presenter mode", key="presenter-toggle",
              on_change=lambda: navigation.set_presenting(widget_keys.get("presenter-toggle")),
              help="Large type and charts for a projector, without the sidebar. The address gets ?present=1, so "
                   "a bookmark opens it that way; leave it with the button at the top of the page.")


def top_bar() -> None:
    """In presenter mode the sidebar is hidden: the pages' links and the way out go across the top, each as wide
    as its label (equal columns cut "Classroom" to "Classr" at 1280x720), onto a second row if the screen is
    narrower still."""
    with st.container(horizontal=True, vertical_alignment="center", key="presenter-top-bar"):
        for spec in PAGES:
            navigation.page_link(spec.key, label=spec.title, icon=spec.icon, width="content")
        if st.button("Leave presenter mode", key="leave-presenter", icon=":material/close_fullscreen:"):
            navigation.set_presenting(False)
            st.rerun()
