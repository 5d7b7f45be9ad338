"""The app's pages, in menu order: the one list a new page joins (its file goes in `views/`).

Everything else names a page by its key here (`DATA`, `TRAIN`, ...) and gets the `st.Page` from `page()`:
the frame hands them to `st.navigation`, links and switches go to them, and a page's address (`/Train`)
is its `url_path`, which share links, bookmarks and the benchmarks use.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str  # in the menu
    icon: str  # Material icons ship with Streamlit's front end; emoji need a font the viewer may lack
    url_path: str  # "" for the default page, at the app's root
    file: str  # relative to app.py
    heading: str = ""  # the page's title, when it says more than the menu's word

    @property
    def page_title(self) -> str:
        return self.heading or self.title


DATA, TRAIN, RUNS, PREDICT, SEARCH, WORKFLOWS, CLASSROOM = \
    "data", "train", "runs", "predict", "search", "workflows", "classroom"

PAGES = (
    PageSpec(DATA, "Data", ":material/table_view:", "", "views/data.py"),
    PageSpec(TRAIN, "Train", ":material/model_training:", "Train", "views/train.py"),
    PageSpec(RUNS, "Runs", ":material/leaderboard:", "Runs", "views/runs.py"),
    PageSpec(PREDICT, "Predict", ":material/label:", "Predict", "views/predict.py"),
    PageSpec(SEARCH, "Search", ":material/tune:", "Search", "views/search.py", "Hyperparameter search"),
    PageSpec(WORKFLOWS, "Workflows", ":material/school:", "Workflows", "views/workflows.py"),
    PageSpec(CLASSROOM, "Classroom", ":material/groups:", "Classroom", "views/classroom.py"),
)
BY_KEY = {spec.key: spec for spec in PAGES}
# The names in the app's addresses, for recognising a page's address in the current URL.
URL_PATHS = tuple(spec.url_path for spec in PAGES if spec.url_path)


def page(key: str) -> st.Page:
    """The `st.Page` of a page key. Made on each call: a Page is a small description, and Streamlit matches
    pages by their address, not by object identity."""
    spec = BY_KEY[key]
    return st.Page(spec.file, title=spec.title, icon=spec.icon, url_path=spec.url_path or None,
                   default=spec.key == DATA)


def key_of(chosen: st.Page) -> str:
    """The key of the page `st.navigation` chose."""
    return next((spec.key for spec in PAGES if spec.url_path == (chosen.url_path or "")), DATA)
