"""The Streamlit side's state layer: what a browser session holds, and the only code that writes
`st.session_state` (tests/architecture/test_ui_layers.py). It imports the core (mllab), `ui.pages` and
`ui.prebuilt`, and its own modules by module path, never widgets, panels, the frame or the pages.

keys.py (every named key), widget_keys.py (the door for a widget's own key, flash messages, session caches),
session.py (data, cleaning, target, task, job records), settings.py (the Train and Search settings, held
whatever page is drawn), workspace.py (the store behind the session), opening.py (a workspace opened and
restored; a settings link followed), sources.py and loading.py (data sources, loading and caching),
transactions.py (each thing the session does in one step, written once), navigation.py (links and switches
that keep the workspace and presenter mode), jobs.py (syncing jobs, the progress sentence), room.py (a
classroom room), prediction.py (the Predict page's job and result), run_edits.py (renaming, tagging, deleting runs).
"""
