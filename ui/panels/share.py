"""Share links on the pages: "Share these settings" (`?cfg=`) and "Share this run" (`?run=`). The links live
in the store (mllab/store/shares.py); what opening one does is ui.state.opening's, and a run link's page is
ui.panels.shared_run.

A settings link puts its dataset, cleaning, task, model and settings into the opener's own workspace (the one
in their URL, or a new one) and opens the Train page; the opener presses Train. Neither link names the
workspace it came from.
"""

from __future__ import annotations

import streamlit as st

from mllab.datasets import markdown_escape
from mllab.errors import UserError
from mllab.store.shares import share_run, share_settings
from mllab.training import Run
from ui.pages import RUNS, TRAIN
from ui.state import navigation, opening, session, transactions, widget_keys, workspace

_SHOWN = "share-links"  # the session cache of the links made, by button key


def applied_note() -> None:
    """On the Train page: which shared settings set it up, while their data is still the one loaded."""
    applied = transactions.shared_settings_applied()
    dataset = session.current_dataset()
    if applied and dataset is not None and applied[1] == dataset.name:
        if applied[2:] == ("run",):
            st.info(f"Reopened **{markdown_escape(applied[0])}**: its data, cleaning, target and settings. Press "
                    "Train to train it again.", icon=":material/history:")
            return
        st.info(f"Set up from a shared link: **{markdown_escape(applied[0])}**. Press Train to train it in your "
                "own workspace.", icon=":material/link:")


def link_error() -> None:
    """The sentence for a link that opened nothing (shown by the page the link landed on)."""
    error = opening.take_link_error()
    if error:
        st.error(error)


# -- buttons that make links -----------------------------------------------------------------------

def _show_link(key: str) -> None:
    url = widget_keys.session_cache(_SHOWN).get(key)
    if url:
        st.code(url, language=None, wrap_lines=True)


def share_settings_button(make_settings, key: str, label: str = "Share these settings") -> None:
    """A button that makes a settings link (`make_settings()` gives the settings) and shows it."""
    if st.button(label, key=key, icon=":material/share:", type="tertiary",
                 help="A short link that sets up these settings in the opener's own workspace; they press Train."):
        try:
            link = share_settings(workspace.store(), workspace.workspace_id(), make_settings())
        except (UserError, AttributeError) as err:
            st.error(str(err) if isinstance(err, UserError) else "Links need the run store, which is not available.")
            return
        widget_keys.session_cache(_SHOWN)[key] = navigation.app_url(TRAIN, **{opening.SETTINGS_PARAM: link})
    _show_link(key)


def share_run_button(run: Run, key: str) -> None:
    """On a run's panel: a read-only link to this run alone."""
    if not run.store_id or not run.finished:
        return
    if st.button("Share this run", key=f"share-run-{key}", icon=":material/share:", type="tertiary",
                 help="A read-only link to this run: its curves, evaluation and settings. It opens nothing else of "
                      "your workspace, and nobody can change or delete the run through it."):
        try:
            link = share_run(workspace.store(), workspace.workspace_id(), run.store_id)
        except (UserError, AttributeError) as err:
            st.error(str(err) if isinstance(err, UserError) else "Links need the run store, which is not available.")
            return
        widget_keys.session_cache(_SHOWN)[f"run-{key}"] = navigation.app_url(RUNS, **{opening.RUN_PARAM: link})
    _show_link(f"run-{key}")
