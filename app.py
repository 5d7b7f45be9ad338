"""mllab: the app's entry point (`streamlit run app.py`). `st.navigation` picks the page from the address;
ui.frame draws it inside what every page shares. The pages are listed in ui/pages.py, their files in views/."""

import streamlit as st

from ui.pages import BY_KEY, PAGES, key_of, page

chosen = st.navigation([page(spec.key) for spec in PAGES], position="hidden")
spec = BY_KEY[key_of(chosen)]
st.set_page_config(page_title=f"mllab · {spec.title}", page_icon="🔭", layout="wide")
# The title before the imports below: on a cold start they take about a second (Plotly and pandas), and a new
# visitor should see the page begin at once (bench/app_start.py measures both). A run link (`?run=`) shows
# one shared run under its own title, whatever page its address names.
if "run" not in st.query_params:
    st.title(spec.page_title)

from ui import frame  # noqa: E402 - after the title, on purpose

frame.run(chosen)
