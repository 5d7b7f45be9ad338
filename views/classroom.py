"""Classroom page: join a lecture's room with its code, or run one as its lecturer (push a step, choose the
controls students see, watch the class, the leaderboard, freeze or close)."""

from ui.panels.classroom import classroom_page

classroom_page()
