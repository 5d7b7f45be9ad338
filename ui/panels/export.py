"""A finished run as code: the script, the notebook and the zip with its data (mllab.export)."""

from __future__ import annotations

import hashlib

import streamlit as st

from mllab.errors import UserError
from mllab.training import Run
from ui.state import session, widget_keys, workspace

_CACHE = "code-exports"


def _uploaded_files(run: Run) -> dict[str, bytes]:
    """The run's uploaded files: from the uploader while it holds them with the same content, else as the
    workspace store kept them (checked against their SHA-256 there)."""
    wanted = {f["name"]: f["sha256"] for f in run.data_source.get("files", ())}
    found = {}
    for upload in widget_keys.get("upload") or ():
        name = getattr(upload, "name", None)
        if name in wanted and hashlib.sha256(data := upload.getvalue()).hexdigest() == wanted[name]:
            found[name] = data
    for name, sha in wanted.items():
        if name not in found and (kept := workspace.kept_file(sha)) is not None:
            found[name] = kept
    return found


def _export(run: Run):
    """The run's export, built once per run and session (a catalogue's CSV takes a moment)."""
    from mllab.export import export_run

    cache = widget_keys.session_cache(_CACHE)
    if run.job_id not in cache:
        loaded_same = run.data_source and session.data_source() == run.data_source
        raw = session.raw_dataset() if loaded_same else None
        cache[run.job_id] = export_run(run, raw=raw, files=_uploaded_files(run))
    return cache[run.job_id]


def code_download(run: Run) -> None:
    """"Download as code": the zip (script, notebook, requirements, README, data), and the script and
    notebook on their own."""
    if run.result is None or run.status not in ("completed", "stopped"):
        return
    st.markdown("**The run as code**")
    key = f"code-{run.job_id}"
    if run.job_id not in widget_keys.session_cache(_CACHE):
        st.caption("A Python script and a notebook that read the same data, clean it, split it with the same seed "
                   "and train the same model with plain pandas, scikit-learn and Keras, printing these figures.")
        if not st.button("Write this run as code", key=f"{key}-make", icon=":material/code:"):
            return
    try:
        with st.spinner("Writing the run as code…"):
            export = _export(run)
    except UserError as err:
        st.warning(str(err))
        return
    st.download_button("Download the code (zip: script, notebook, data, requirements)", export.zip_bytes(),
                       file_name=f"{export.stem}.zip", mime="application/zip", key=f"{key}-zip", type="primary",
                       icon=":material/download:", on_click="ignore")
    left, right = st.columns(2)
    left.download_button("Download as Python (.py)", export.script, file_name=export.script_name,
                         mime="text/x-python", key=f"{key}-py", on_click="ignore")
    right.download_button("Download as a notebook (.ipynb)", export.notebook, file_name=export.notebook_name,
                          mime="application/x-ipynb+json", key=f"{key}-ipynb", on_click="ignore")
    missing = [f["name"] for f in run.data_source.get("files", ()) if f["name"] not in export.data_files]
    if missing and not any(n.endswith(("_as_read.csv", "_cleaned.csv", ".parquet")) for n in export.data_files):
        st.caption(f"The uploaded file is not in the zip: put {', '.join(missing)} beside the script. Its SHA-256 "
                   "is checked when the script runs.")
