"""Streamlit helpers shared by the pages. Layout only: the work is done by mllab."""
