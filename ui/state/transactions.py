"""What the session does in one step, each written once: make a data source current, put settings on the
Train or Search page, apply a share link's (or a room push's, or a run's) settings, apply a workflow step.

A data source is plain values (`Run.data_source`): {"kind": "builtin", "key"}, {"kind": "upload", "files":
[{"name", "sha256", "size"}]} or {"kind": "server", "name", "size", "mtime_ns"}. `source_digest` names the
loaded data for every cache from it, so a page, a link and a reopened workspace load the same data under the
same key.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mllab.datasets import BUILTIN_DATASETS, Dataset, load_builtin, markdown_escape, suggest_target
from mllab.errors import DataError
from mllab.io import read_uploads, server_folder
from mllab.models import FAMILIES
from mllab.params import defaults
from mllab.prepare import PREPROCESSING_SCHEMA, CleaningChoices, apply_cleaning
from mllab.presets import Step, Workflow, clean_with_defaults, full_settings, load_workflow_data
from mllab.store import StoreError
from mllab.store.shares import LinkError
from mllab.training import VALIDATION_SCHEMA, Run, ValidationConfig
from ui.state import keys, session, settings, widget_keys, workspace
from ui.state.loading import choices_key, clean
from ui.state.sources import source_digest

# The Data page's source radio (its widget key, and its labels): pointed at the data made current elsewhere,
# or the next visit there would load the previous choice again.
SOURCE_WIDGET, BUILTIN_WIDGET, SERVER_WIDGET = "data-source", "builtin-choice", "server-file"
BUILTIN_SOURCE, UPLOAD_SOURCE, SERVER_SOURCE = "Built-in dataset", "Upload a file", "File on the server"
TARGET_UNKNOWN_WIDGET, TARGET_LEFT_OUT_WIDGET = "target-unknown", "target-left-out"
# The workspace value that remembers the choices made for one file, by its content (`source_digest`).
FILE_CHOICES_PREFIX = "file-choices:"


def read_source(source: dict) -> Dataset:
    """The dataset a source record names, read again (uploads from the workspace's kept files)."""
    kind = source.get("kind")
    if kind == "builtin":
        if source.get("key") not in BUILTIN_DATASETS:
            raise LinkError("This link names a built-in dataset this server does not have.")
        return load_builtin(source["key"])
    if kind == "upload":
        files = []
        for described in sorted(source.get("files", []), key=lambda f: f["name"]):
            data = workspace.kept_file(described["sha256"])
            if data is None:
                raise LinkError(f"The file {described['name']} could not be opened in your workspace; ask for the "
                                "link again, or upload it again.")
            files.append((described["name"], data))
        return read_uploads(files)
    if kind == "server":
        root = server_folder.folder()
        if root is None:
            raise DataError("this server no longer shares a data folder.")
        return server_folder.read_server_file(source["name"], root)
    raise LinkError("This link names no data this page can load.")


def make_data_current(raw: Dataset, source: dict, target: str | None, choices: CleaningChoices | None = None,
                      cleaned=None, markers=None, point_widgets: bool = True) -> None:
    """Make `raw` the session's data, with its cleaning (the Data page's defaults are made there when None),
    and point the Data page's source widgets at it (unless the Data page itself, which drew them, loads it)."""
    digest = source_digest(source)
    session.load_dataset(raw, digest, target, source)
    # The target's widgets start again from the stored choices: another file's "not known" values, or the
    # same file's earlier pick, must not stay on them.
    for key in (TARGET_UNKNOWN_WIDGET, TARGET_LEFT_OUT_WIDGET, f"target-{raw.name}"):
        st.session_state.pop(key, None)
    kind = source.get("kind")
    if point_widgets:
        st.session_state[SOURCE_WIDGET] = {"builtin": BUILTIN_SOURCE, "upload": UPLOAD_SOURCE,
                                           "server": SERVER_SOURCE}[kind]
        if kind == "builtin":
            st.session_state.pop(BUILTIN_WIDGET, None)  # the selectbox starts from the loaded dataset
        elif kind == "server":
            st.session_state[keys.SERVER_REQUEST] = st.session_state[SERVER_WIDGET] = source["name"]
    if markers is not None:
        session.set_markers(digest, markers)
    if choices is not None:
        if markers is not None:
            session.set_suggested_identifiers(digest, [c for c in choices.excluded if c not in raw.id_columns])
        session.set_cleaning_choices(choices)
        if cleaned is None:
            cleaned = apply_cleaning(raw, choices)
        session.set_cleaned(choices_key(digest, choices), cleaned)


def load_once(source: dict, read: Callable[[], Dataset], previous: Dataset | None) -> bool:
    """The Data page's loading: read the dataset `source` names and make it current, unless it is current already.

    A file is read at most once per content (reruns reuse the parsed dataset); on DataError the message is
    shown (now and on later reruns, without reading again) and the previous dataset stays current. Returns
    whether a new dataset was loaded.
    """
    token = source_digest(source)
    if session.raw_digest() == token:
        return False
    failed = st.session_state.get(keys.LOAD_FAILED)
    if failed is not None and failed[0] == token:
        message = failed[1]
    else:
        try:
            with st.spinner("Reading the file…"):
                dataset = read()
        except DataError as err:
            message = str(err)
            st.session_state[keys.LOAD_FAILED] = (token, message)
        else:
            st.session_state.pop(keys.LOAD_FAILED, None)
            if not _restore_file_choices(dataset, source):
                make_data_current(dataset, source, dataset.target or suggest_target(dataset.frame),
                                  point_widgets=False)
            return True
    st.error(message)
    if previous is not None:
        st.info(f"Still using the previous dataset: {markdown_escape(previous.name)}.")
    return False


# -- the choices made for a file, remembered by its content ---------------------------------------------------

def remember_file_choices() -> None:
    """Keep the loaded file's target, task and cleaning under its content digest, so that uploading the same
    file again (or reading the same server file) in this workspace brings them back. Built-in data starts
    from its published target instead."""
    raw, target, choices = session.raw_dataset(), session.current_target(), session.cleaning_choices()
    if raw is None or target is None or choices is None or session.data_source().get("kind") == "builtin":
        return
    task, redshift = session.current_task(raw, target)
    workspace.remember(FILE_CHOICES_PREFIX + session.raw_digest(),
                       {"target": target, "task": task, "redshift": bool(redshift), "cleaning": choices.as_dict()})


def _remembered_file_choices(digest: str) -> dict | None:
    the_store, workspace_id = workspace.store(), workspace.workspace_id()
    key = FILE_CHOICES_PREFIX + digest
    if the_store is not None and workspace_id is not None:
        try:  # read from the store, not this session's cache: another tab of the workspace may have chosen
            return the_store.values(workspace_id).get(key)
        except StoreError:
            pass
    return (st.session_state.get(keys.SAVED) or {}).get(key)


def _restore_file_choices(raw: Dataset, source: dict) -> bool:
    """Make `raw` current with the choices remembered for it; False when there are none (or they no longer fit)."""
    if source.get("kind") == "builtin":
        return False
    remembered = _remembered_file_choices(source_digest(source))
    if not remembered or remembered.get("target") not in raw.frame.columns:
        return False
    try:
        choices = CleaningChoices.from_dict(remembered.get("cleaning") or {})
    except (KeyError, TypeError, ValueError):
        return False
    target = remembered["target"]
    make_data_current(raw, source, target, choices.replace(target=target), point_widgets=False)
    choose_task(raw.name, target, remembered.get("task") or "classification", bool(remembered.get("redshift")))
    st.session_state[keys.FILE_CHOICES_RESTORED] = (source_digest(source), _restored_sentence(target, choices))
    return True


def _restored_sentence(target: str, choices: CleaningChoices) -> str:
    parts = [f"target {target}"]
    if choices.unknown:
        parts.append(f"{', '.join(choices.unknown)} as not known yet")
    if choices.left_out:
        parts.append(f"classes left out: {', '.join(choices.left_out)}")
    if choices.missing:
        parts.append(f"{len(choices.missing)} 'missing' marker{'s' if len(choices.missing) > 1 else ''}")
    if choices.excluded:
        parts.append(f"{len(choices.excluded)} column{'s' if len(choices.excluded) > 1 else ''} not used as features")
    if choices.derived:
        parts.append(f"{len(choices.derived)} new column{'s' if len(choices.derived) > 1 else ''}")
    return "This workspace has seen this file before: its choices are back (" + "; ".join(parts) + ")."


def restored_file_choices(digest: str | None) -> str | None:
    """The sentence saying a file's earlier choices were brought back, while that file is the loaded one."""
    restored = st.session_state.get(keys.FILE_CHOICES_RESTORED)
    return restored[1] if restored and restored[0] == digest else None


def request_server_file(name: str) -> None:
    st.session_state[keys.SERVER_REQUEST] = name


def requested_server_file() -> str | None:
    return st.session_state.get(keys.SERVER_REQUEST)


def _reset_task_widgets(dataset_name: str, target: str) -> None:
    # The Data page's target and task widgets start from the stored choice only when they have no state of their own.
    for key in (f"task-{dataset_name}-{target}", f"redshift-{dataset_name}-{target}", f"target-{dataset_name}"):
        st.session_state.pop(key, None)


def choose_task(dataset_name: str, target: str, task: str, redshift: bool) -> None:
    _reset_task_widgets(dataset_name, target)
    session.set_task(dataset_name, target, task, redshift)


# -- settings links, a room's push, a run's settings --------------------------------------------------------

def link_settings() -> dict:
    """This session's data, cleaning, task, model and Train-page settings, as a link holds them."""
    raw, target = session.raw_dataset(), session.current_target()
    source = session.data_source()
    if raw is None or target is None or not source:
        raise LinkError("Load a dataset and choose its target on the Data page first: settings are shared with "
                        "the data they train on.")
    task, redshift = session.current_task(raw, target)
    choices = session.cleaning_choices()
    train = settings.train_settings()
    return {"title": f"{FAMILIES[train['family']].label} on {raw.name}", "data": dict(source), "target": target,
            "task": task, "redshift": bool(redshift), "cleaning": choices.as_dict() if choices is not None else None,
            **train}


def settings_of_step(workflow: Workflow, step: Step) -> dict:
    """A workflow step's settings as a link holds them (its data cleaned with the Data page's defaults)."""
    full = full_settings(step)
    # "Breast cancer — Forest on all 30 features": the workflow's subject, without its long description.
    return {"title": f"{workflow.title.split(':')[0]} — {step.title}",
            "data": {"kind": "builtin", "key": workflow.dataset}, "target": workflow.target, "task": workflow.task, "redshift": workflow.redshift, "cleaning": None,
            "family": step.family, **full}


def apply_settings(linked: dict, origin: str = "link") -> None:
    """Make a link's (or a run's: `origin` "run") data, cleaning and task current and put its model and settings
    on the Train page. UserError (a sentence) when they cannot be used here; the session's data is then left as
    it was."""
    family = FAMILIES.get(linked.get("family"))
    if family is None:
        raise LinkError("This link names a model this server does not have.")
    source = dict(linked.get("data") or {})
    # The data already loaded is not read again (and opens even where the workspace keeps no files).
    raw = session.raw_dataset() if source and source_digest(source) == session.raw_digest() else read_source(source)
    target = linked.get("target")
    if target not in raw.frame.columns:
        raise LinkError(f"The target {target} this link trains on is not a column of {raw.name}.")
    if linked.get("cleaning"):
        choices, cleaned, markers = CleaningChoices.from_dict(linked["cleaning"]), None, None
    else:
        prepared = clean_with_defaults(raw, target)
        choices, cleaned, markers = prepared.choices, prepared.cleaned, prepared.markers
    make_data_current(raw, source, target, choices, cleaned, markers)
    dataset = session.current_dataset()
    choose_task(dataset.name, target, linked.get("task") or "classification", bool(linked.get("redshift")))
    validation = {**defaults(VALIDATION_SCHEMA), **(linked.get("validation") or {})}
    settings.put_on_train(family.key, linked.get("params") or {}, linked.get("preprocessing") or {}, validation,
                          keep_model=validation["scheme"] in ("holdout", "supplied"))
    st.session_state.pop(keys.STEP_APPLIED, None)
    st.session_state[keys.SHARE_APPLIED] = (linked.get("title") or "shared settings", dataset.name, origin)


def shared_settings_applied() -> tuple[str, str, str] | None:
    """(title, dataset name, "link" or "run") of the settings the Train page was set up with, if any."""
    return st.session_state.get(keys.SHARE_APPLIED)


def forget_shared_settings() -> None:
    st.session_state.pop(keys.SHARE_APPLIED, None)


def run_settings(run: Run) -> dict:
    """A run's data, cleaning, target, task, model and settings, as a settings link holds them."""
    return {"title": f"{run.name}: {run.family_label} on {run.dataset_name}", "data": dict(run.data_source),
            "target": run.target, "task": run.task, "redshift": bool(run.redshift),
            "cleaning": dict(run.cleaning) or None, "family": run.family, "params": dict(run.params),
            "preprocessing": dict(run.preprocessing), "validation": dict(run.validation or {})}


def load_run_settings(run: Run) -> None:
    """Reopen a run whole: its data (read again from the workspace's kept file, the built-in set or the server's
    folder), cleaning, target and task made current, its model and settings on the Train page — the path a
    settings link takes. A run that does not say where its data came from (recorded before runs did) brings back
    its task and settings only. UserError (a sentence) when its data cannot be opened; nothing changes then."""
    if run.data_source:
        apply_settings(run_settings(run), origin="run")
        return
    put_run_settings_on_train(run)


def put_run_settings_on_train(run: Run) -> None:
    """A run's task, model and settings on the Train page, the data left as it is loaded: a verdict's fix starts
    from them (reopening the run whole would put back the cleaning the fix has just changed)."""
    session.set_task(run.dataset_name, run.target, run.task, run.redshift)
    settings.put_on_train(run.family, run.params, run.preprocessing, run.validation or ValidationConfig().as_dict())


def put_candidate_on_train(record) -> None:
    """The Search page's best candidate on the Train page, on the task it was scored on."""
    if record.target:
        session.set_task(record.dataset_name, record.target, record.task, record.redshift)
    settings.put("family", record.family)
    settings.put_values(FAMILIES[record.family].params, f"{settings.HYPERPARAMETERS}-{record.family}",
                        record.result.best.params)
    settings.put_values(PREPROCESSING_SCHEMA, settings.PREPROCESSING, record.preprocessing)


def change_cleaning(choices: CleaningChoices) -> None:
    """New cleaning choices for the loaded data (a verdict's button), applied at once."""
    session.set_cleaning_choices(choices)
    clean(session.raw_dataset(), session.raw_digest(), choices)


# -- workflow steps ----------------------------------------------------------------------------------------

def apply_step(workflow: Workflow, step: Step, on_loaded_data: bool = False) -> str:
    """Set everything for `step`; returns the key of the page it trains on (ui.pages), for the caller to open.
    With `on_loaded_data`, the session's current dataset and target stay (MNIST uploaded as IDX files for an
    image workflow)."""
    if not on_loaded_data:
        with st.spinner("Loading the workflow's dataset…"):
            data = load_workflow_data(workflow)
        make_data_current(data.raw, {"kind": "builtin", "key": workflow.dataset}, workflow.target, data.choices,
                          data.cleaned, data.markers)
    dataset, target = session.current_dataset(), session.current_target()
    choose_task(dataset.name, target, workflow.task, workflow.redshift and not on_loaded_data)
    full = full_settings(step)
    st.session_state[keys.STEP_APPLIED] = (workflow.key, step.key, dataset.name)
    if step.search is not None:
        _put_search(step, full)
        return "search"
    if step.compare:
        widget_keys.session_cache(_COMPARISON_ASKED)["asked"] = True
    # Kept by default, for the Predict page; a K-fold step trains one model per fold, so none is kept.
    settings.put_on_train(step.family, full["params"], full["preprocessing"], full["validation"],
                          keep_model=step.keep_model and full["validation"].get("scheme", "holdout") in (
                              "holdout", "supplied"))
    return "train"


def _put_search(step: Step, full: dict) -> None:
    """The Search page's widgets: the family, what varies (and over what), the fixed values, the scoring."""
    plan = step.search
    settings.put("search-family", step.family)
    settings.put("search-strategy", plan.strategy)
    settings.put_search_plan(FAMILIES[step.family], plan.vary, full["params"], full["preprocessing"])
    settings.put_values(VALIDATION_SCHEMA, "search-val", {**full["validation"], **plan.validation})
    settings.put("search-metric", plan.metric)


_COMPARISON_ASKED = "comparison-asked"


def take_comparison_request() -> bool:
    """Whether a workflow step asked the Train page to compare the families since it last looked (the request
    is used up)."""
    return bool(widget_keys.session_cache(_COMPARISON_ASKED).pop("asked", False))


def applied_step() -> tuple[str, str, str] | None:
    """(workflow key, step key, dataset name) of the last workflow step applied."""
    return st.session_state.get(keys.STEP_APPLIED)
