"""mllab — Data page: pick a built-in dataset, upload a file (or read one on the server), choose the
target, clean the data and look at it before training."""

import streamlit as st

from mllab import charts
from mllab.datasets import BUILTIN_DATASETS, check_target, class_balance, load_builtin, markdown_escape
from mllab.datasets.targets import target_reason
from mllab.errors import DataError
from mllab.io import MAX_UPLOAD_BYTES, describe_formats, pick_uploads, read_uploads, server_folder
from mllab.prepare import default_choices, find_identifier_columns, optional_columns, structural_columns
from ui.pages import TRAIN
from ui.panels.class_names import class_names_section
from ui.panels.cleaning import cleaning_panel, target_values_section
from ui.panels.explore import explore_tabs, preview, samples
from ui.state import loading, navigation, session, transactions, widget_keys, workspace
from ui.state.transactions import BUILTIN_SOURCE as BUILTIN, SERVER_SOURCE as SERVER, UPLOAD_SOURCE as UPLOAD
from ui.widgets.task import task_choice

st.caption("Choose the data to learn from. Your data, settings and runs are kept in this workspace: the link "
           "in the sidebar reopens them after a refresh, tomorrow or on another device.")

server_root = server_folder.folder()
sources = [BUILTIN, UPLOAD] + ([SERVER] if server_root is not None else [])
# persist_state: coming back from the Train page must not switch the source (and the data) back.
source = st.radio("Source", sources, horizontal=True, key="data-source", persist_state="session")
previous = session.raw_dataset()

if source == BUILTIN:
    keys = list(BUILTIN_DATASETS)
    current_key = previous.name if previous is not None and previous.source == "built-in" else None
    default_index = next((i for i, k in enumerate(keys) if BUILTIN_DATASETS[k].name == current_key), 0)
    key = st.selectbox("Dataset", keys, index=default_index, format_func=lambda k: BUILTIN_DATASETS[k].name,
                       key="builtin-choice", persist_state="session")
    if previous is None or previous.source != "built-in" or previous.name != BUILTIN_DATASETS[key].name:
        dataset = load_builtin(key)
        transactions.make_data_current(dataset, {"kind": "builtin", "key": key}, dataset.target,
                                       point_widgets=False)
elif source == UPLOAD:
    # Several files only for MNIST-style IDX data, which comes as separate images and labels files.
    uploads = st.file_uploader(
        "Data file: a table with one row per object (star, spectrum, image) and a column giving its class",
        # No type= list: the browser would refuse other files with a bare "file type not allowed", while
        # mllab's own reader says what the file looks like and what to upload instead.
        key="upload", accept_multiple_files=True,
        help=f"{describe_formats()} Up to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    if uploads:
        # The files' ids change only when the choice changes: which files to read is decided, and their
        # content hashed, once per choice.
        chosen, note, upload_source = loading.upload_choice(uploads, pick_uploads)
        if note:
            st.warning(note)
        if transactions.load_once(upload_source, lambda: read_uploads([(uploads[i].name, uploads[i].getvalue())
                                                                        for i in chosen]), previous):
            workspace.keep_uploads([(uploads[i].name, uploads[i].getvalue()) for i in chosen])
    elif previous is not None and session.data_source().get("kind") == "upload":
        names = ", ".join(f["name"] for f in session.data_source().get("files", []))
        st.caption(f"Using {markdown_escape(names)}, kept in this workspace: no need to upload it again. "
                   "Choose another file to replace it.")
else:
    try:
        files = server_folder.list_files(server_root)
    except DataError as err:
        st.error(str(err))
        files = []
    if not files:
        st.info("There are no data files in the server's data folder yet.")
    else:
        by_name = {f.name: f for f in files}
        left, right = st.columns([4, 1], vertical_alignment="bottom")
        chosen = left.selectbox("File on the server", list(by_name), key="server-file", persist_state="session",
                                format_func=lambda n: f"{n}  ({by_name[n].size / 1024 ** 2:,.1f} MB)",
                                help=f"Files in the folder this deployment shares with its users. "
                                     f"{describe_formats()}")
        if right.button("Load", key="server-load", type="primary", width="stretch"):
            transactions.request_server_file(chosen)
        requested = transactions.requested_server_file()
        if requested is not None and requested in by_name:
            info = by_name[requested]
            server_source = {"kind": "server", "name": info.name, "size": info.size, "mtime_ns": info.mtime_ns}
            transactions.load_once(server_source, lambda: server_folder.read_server_file(info.name, server_root),
                                   previous)

raw = session.raw_dataset()
digest = session.raw_digest()
if raw is None:
    st.info("Upload a file, or switch to a built-in dataset, to begin.")
    st.stop()

st.header(markdown_escape(raw.name), anchor=False)
restored = transactions.restored_file_choices(digest)
if restored:
    st.info(markdown_escape(restored), icon=":material/history:")
if raw.description:
    st.markdown(raw.description)
if raw.citation or raw.licence:
    with st.expander("Citation and licence"):
        if raw.citation:
            st.markdown(f"**Cite:** {raw.citation}")
        if raw.licence:
            st.markdown(f"**Licence:** {raw.licence}")

# The supplied train/test part of each row (two files chosen together) says how to split, never what to learn.
columns = [c for c in raw.frame.columns if c != getattr(raw, "part_column", None)]
target_default = session.current_target()
target = st.selectbox("Target column (what the model learns to predict)", columns,
                      index=columns.index(target_default) if target_default in columns else len(columns) - 1,
                      key=f"target-{raw.name}", format_func=str)
session.set_target(target)
reason = target_reason(loading.target_ranking(digest, raw.frame), target,
                       raw.target if raw.source == "built-in" else None)
if reason:
    st.caption(markdown_escape(reason))
task, redshift = task_choice(raw, target)
not_known = loading.not_known(digest, raw.frame, target) if task == "classification" else None

# Cleaning choices: made once per loaded dataset, then changed only by the user.
choices = session.cleaning_choices()
markers = loading.detected_markers(raw, digest)
if choices is None:
    choices = default_choices(raw, target, markers)
    if not_known is not None:  # ticked like a detected 'missing' marker; the page says so and offers to undo it
        choices = choices.replace(unknown=(not_known[0],))
    session.set_suggested_identifiers(digest, [c for c in choices.excluded if c not in raw.id_columns])
    session.set_cleaning_choices(choices)
suggested = session.suggested_identifiers(digest)
if suggested is None:
    suggested = find_identifier_columns(raw.frame, optional_columns(raw, target), target)

unknown, left_out = target_values_section(raw, target, task, choices, not_known)
choices = class_names_section(raw, target, task, choices.replace(unknown=unknown))

kind = raw.kind
if raw.kind != "image":
    widget_keys.start("clean-signal", (choices.kind or raw.kind) == "signal")
    signal = st.checkbox("The feature columns are one ordered signal (a spectrum or a light curve)", key="clean-signal",
                         help="Offers the 1-D convolutional network, which looks at neighbouring columns together, "
                              "and draws sample curves below.")
    kind = "signal" if signal else "table"

choices = cleaning_panel(raw, target, choices, markers, suggested, kind).replace(unknown=unknown, left_out=left_out)
session.set_cleaning_choices(choices)
transactions.remember_file_choices()
result = loading.clean(raw, digest, choices)
dataset = result.dataset
frame = dataset.frame
key = loading.choices_key(digest, choices)

for note in result.notes:
    st.warning(note)
if result.replaced:
    st.caption(f"{result.replaced_total:,} values marked as missing.")

try:
    check_target(frame, target, task=task)
    target_ok = True
except DataError as err:
    st.error(str(err))
    target_ok = False

features = dataset.feature_columns(target)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Rows", f"{len(frame):,}")
m2.metric("Feature columns", f"{len(features):,}")
m3.metric("Missing values", f"{loading.missing_values(key, frame).total:,}")
if task == "regression" and target_ok:
    values = frame[target].dropna()
    m4.metric("Target range", f"{values.min():.4g} to {values.max():.4g}")
else:
    m4.metric("Classes", frame[target].nunique(dropna=True))

left, right = st.columns([3, 2])
with left:
    changed = result.replaced or result.dropped_rows or choices.derived or \
        [c for c in choices.excluded if c in raw.frame.columns]
    st.subheader("Preview, after cleaning" if changed else "Preview")
    preview(frame, target, key)
with right:
    st.subheader("Target distribution" if task == "regression" else "Class balance")
    # Built once for every session on the same data (ui/state/loading.py): a new visitor's first page is cheap.
    if target_ok and task == "regression":
        loading.plotly_chart(key, f"target-histogram:{target}", lambda: charts.target_histogram_figure(
            loading.histogram(key, frame, target, None)), "target-histogram")
    elif target_ok:
        loading.plotly_chart(key, f"class-balance:{target}",
                             lambda: charts.class_balance_figure(class_balance(frame, target)), "class-balance")
    else:
        st.caption("Choose a target that suits the task to see its "
                   f"{'distribution' if task == 'regression' else 'balance'}.")

if target_ok:
    samples(raw, dataset, target, key)
explore_tabs(dataset, target, key, structural_columns(raw))

if target_ok:
    navigation.page_link(TRAIN, label="Next: train a model", icon=":material/arrow_forward:")
