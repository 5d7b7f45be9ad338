"""The Streamlit side of mllab, in layers (each imports only those before it; tests/architecture/test_ui_layers.py):

pages.py, prebuilt.py   the foundation: the app's pages (one list) and figures converted once
state/                  what a session holds; the only writer of st.session_state
widgets/                controls drawn from schemas, and small reusable pieces
panels/                 what draws results, verdicts, the classroom, prediction, search
frame.py                what runs around every page, once (app.py hands it the page st.navigation chose)

The pages themselves are in views/ (one file each); app.py is the entry point.
"""
