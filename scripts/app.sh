#!/usr/bin/env bash
# Install what the app needs (first run only) and start it: http://localhost:8501
source "$(dirname "$0")/_venv.sh"
install_requirements requirements.txt
exec .venv/bin/streamlit run app.py "$@"
