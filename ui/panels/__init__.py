"""The Streamlit side's panels: what draws data, results, verdicts, the classroom, prediction and search. A
panel reads state and calls its actions (ui.state), draws with widgets (ui.widgets), and may compose another
panel's public functions; it never imports the frame or the pages."""
