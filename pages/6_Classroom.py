"""Classroom page: join a lecture's room with its code, or run one as its lecturer (push a step, choose the
controls students see, watch the class, the leaderboard, freeze or close)."""

import streamlit as st

from mllab.training import get_engine
from ui import session, workspace
from ui.classroom_panel import classroom_page
from ui.nav import sidebar

st.set_page_config(page_title="mllab · Classroom", page_icon="🔭", layout="wide")
workspace.open_workspace()
engine = get_engine()
session.sync_runs(engine, session.owner_id())
sidebar(engine)

st.title("Classroom")
classroom_page()
