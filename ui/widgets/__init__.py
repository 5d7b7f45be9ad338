"""The Streamlit side's widgets: controls drawn from schemas (params.py), the task choice and the guard of the
pages that train (task.py), presenter mode's bar, toggle and charts (presenter.py), a running job followed in
a fragment (live.py). They import the core, `ui.pages`, `ui.prebuilt` and `ui.state`, never panels, the frame
or the pages; a widget writes only its own key, through ui.state.widget_keys."""
