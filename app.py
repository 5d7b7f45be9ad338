"""mllab — Data page: pick a built-in dataset or upload a CSV, choose the target, look at the data."""

import hashlib

import streamlit as st

from mllab import charts
from mllab.datasets import BUILTIN_DATASETS, class_balance, check_target, load_builtin, markdown_escape, \
    read_csv_upload, sample_images, suggest_target, summarize_columns
from mllab.engine import get_engine
from mllab.errors import DataError
from ui import session
from ui.nav import sidebar

st.set_page_config(page_title="mllab · Data", page_icon="🔭", layout="wide")
# Start the training workers now, in the background, so they are warm by the time the user
# presses Train. This returns at once.
engine = get_engine()
session.sync_runs(engine, session.owner_id())

st.title("Data")
st.caption("Choose the data to learn from. Everything stays in this browser session.")

BUILTIN, UPLOAD = "Built-in dataset", "Upload a CSV file"
source = st.radio("Source", [BUILTIN, UPLOAD], horizontal=True, key="data-source")
previous = session.current_dataset()

if source == BUILTIN:
    keys = list(BUILTIN_DATASETS)
    current_key = previous.name if previous is not None and previous.source == "built-in" else None
    default_index = next((i for i, k in enumerate(keys) if BUILTIN_DATASETS[k].name == current_key), 0)
    key = st.selectbox("Dataset", keys, index=default_index, format_func=lambda k: BUILTIN_DATASETS[k].name,
                       key="builtin-choice")
    if previous is None or previous.source != "built-in" or previous.name != BUILTIN_DATASETS[key].name:
        dataset = load_builtin(key)
        session.set_dataset(dataset)
        st.session_state.target = dataset.target
else:
    upload = st.file_uploader("CSV, TSV or semicolon-separated text file, with a header row",
                              type=["csv", "tsv", "txt"], key="csv-upload")
    if upload is not None:
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        # Reading is done once per file: reruns (every slider move) reuse the parsed dataset.
        if st.session_state.get("upload-digest") != digest:
            try:
                dataset = read_csv_upload(upload.name, data)
            except DataError as err:
                st.error(str(err))
                if previous is not None:
                    st.info(f"Still using the previous dataset: {markdown_escape(previous.name)}.")
            else:
                st.session_state["upload-digest"] = digest
                session.set_dataset(dataset)
                st.session_state.target = suggest_target(dataset.frame)

sidebar(engine)
dataset = session.current_dataset()
if dataset is None:
    st.info("Upload a file, or switch to a built-in dataset, to begin.")
    st.stop()

st.header(markdown_escape(dataset.name), anchor=False)
if dataset.description:
    st.markdown(dataset.description)
if dataset.citation or dataset.licence:
    with st.expander("Citation and licence"):
        if dataset.citation:
            st.markdown(f"**Cite:** {dataset.citation}")
        if dataset.licence:
            st.markdown(f"**Licence:** {dataset.licence}")

frame = dataset.frame
columns = list(frame.columns)
target_default = st.session_state.get("target")
target = st.selectbox("Target column (what the model learns to predict)", columns,
                      index=columns.index(target_default) if target_default in columns else len(columns) - 1,
                      key=f"target-{dataset.name}")
st.session_state.target = target

if dataset.source == "upload":
    signal = st.checkbox("The feature columns are one ordered signal (a spectrum or a light curve)",
                         value=dataset.kind == "signal", key=f"signal-{dataset.name}",
                         help="Offers the 1-D convolutional network, which looks at neighbouring columns together.")
    dataset.kind = "signal" if signal else "table"

try:
    check_target(frame, target)
    target_ok = True
except DataError as err:
    st.error(str(err))
    target_ok = False

rows, cols = frame.shape
summary = summarize_columns(frame)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Rows", f"{rows:,}")
m2.metric("Columns", cols)
m3.metric("Missing values", f"{int(summary['missing'].sum()):,}")
m4.metric("Classes", frame[target].nunique(dropna=True))

left, right = st.columns([3, 2])
with left:
    st.subheader("Preview")
    st.dataframe(frame.head(200), height=300, width="stretch")
    st.subheader("Columns")
    st.dataframe(summary.rename(columns={"column": "Column", "type": "Type", "missing": "Missing",
                                         "missing_pct": "Missing %", "unique": "Distinct values",
                                         "example": "Example"}),
                 hide_index=True, height=300, width="stretch")
with right:
    st.subheader("Class balance")
    if target_ok:
        st.plotly_chart(charts.class_balance_figure(class_balance(frame, target)), key="class-balance",
                        width="stretch")
    else:
        st.caption("Choose a target with at least two classes to see the balance.")

if target_ok and dataset.kind == "image":
    st.subheader("Samples")
    images, labels = sample_images(dataset, target)
    st.plotly_chart(charts.sample_images_figure(images, labels, columns=10), key="sample-images", width="stretch")

if target_ok:
    st.page_link("pages/1_Train.py", label="Next: train a model", icon=":material/arrow_forward:")
