"""Share links on the pages: "Share these settings" (`?cfg=`) and "Share this run" (`?run=`), and what
opening one does. The links themselves live in the store (mllab/store/shares.py).

A settings link puts its dataset, cleaning, task, model and settings into the opener's own
workspace (the one in their URL, or a new one) and opens the Train page; the opener presses Train.
A run link shows one run read-only, with "Use these settings" to do the same with its settings.
Neither link names the workspace it came from.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from mllab.datasets import BUILTIN_DATASETS, load_builtin, markdown_escape
from mllab.errors import UserError
from mllab.io import read_uploads, server_folder
from mllab.models import FAMILIES
from mllab.params import defaults
from mllab.prepare import PREPROCESSING_SCHEMA, CleaningChoices, apply_cleaning
from mllab.presets import Step, Workflow, clean_with_defaults, full_settings
from mllab.store import StoreError
from mllab.store.shares import LinkError, open_settings, open_shared_run, share_run, share_settings, use_shared_run
from mllab.training import VALIDATION_SCHEMA, Run
from ui import session, workspace
from ui.params import set_widget_values, widget_key

SETTINGS_PARAM, RUN_PARAM = "cfg", "run"
APPLIED_KEY = "shared-applied"  # the title of the shared settings the Train page was set up with
_FOLLOWED = "link-followed"  # the settings link this session has applied already (a rerun must not again)
_LINK_ERROR = "link-error"
_SHOWN = "share-links"  # the links made in this session, by button key
# The page names in the app's URLs: a link is made from any page's address.
PAGE_PATHS = ("Train", "Runs", "Predict", "Search", "Workflows", "Classroom")


def app_url(page: str, **params: str) -> str:
    """The address of one of the app's pages with these query parameters."""
    base = (st.context.url or "").split("?")[0].rstrip("/")
    head, _, last = base.rpartition("/")
    if last in PAGE_PATHS:
        base = head
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{base}/{page}?{query}" if page else f"{base}/?{query}"


# -- the settings a link carries -------------------------------------------------------------------

def _schema_values(schema, prefix: str, kept: dict | None = None) -> dict:
    """A schema's values as the page's widgets hold them now, else as last `kept` (`remembered_settings`: the
    widgets are not on this page), checked (a bad one falls back to its default)."""
    values, kept = {}, kept or {}
    for param in schema:
        key = widget_key(prefix, param)
        raw = st.session_state.get(key, kept.get(key, param.default))
        try:
            value = param.validate(raw)
        except (UserError, TypeError, ValueError):
            value = param.default
        values[param.name] = list(value) if isinstance(value, tuple) else value
    return values


def settings_from_state() -> dict:
    """This session's data, cleaning, task, model and Train-page settings, as a link holds them."""
    from ui.task import current_task

    raw, target = session.raw_dataset(), session.current_target()
    source = session.data_source()
    if raw is None or target is None or not source:
        raise LinkError("Load a dataset and choose its target on the Data page first: settings are shared with "
                        "the data they train on.")
    task, redshift = current_task(raw, target)
    kept = workspace.remembered_settings()  # from another page (the Classroom's push), the Train page's last values
    family = st.session_state.get("family") or kept.get("family")
    family = family if family in FAMILIES else next(iter(FAMILIES))
    choices = session.cleaning_choices()
    return {"title": f"{FAMILIES[family].label} on {raw.name}", "data": dict(source), "target": target, "task": task,
            "redshift": bool(redshift), "cleaning": choices.as_dict() if choices is not None else None,
            "family": family, "params": _schema_values(FAMILIES[family].params, f"hp-{family}", kept),
            "preprocessing": _schema_values(PREPROCESSING_SCHEMA, "pp", kept),
            "validation": _schema_values(VALIDATION_SCHEMA, "val", kept)}


def settings_of_step(workflow: Workflow, step: Step) -> dict:
    """A workflow step's settings as a link holds them (its data cleaned with the Data page's defaults)."""
    full = full_settings(step)
    # "Breast cancer — Forest on all 30 features": the workflow's subject, without its long description.
    return {"title": f"{workflow.title.split(':')[0]} — {step.title}", "data": {"kind": "builtin", "key": workflow.dataset},
            "target": workflow.target, "task": workflow.task, "redshift": workflow.redshift, "cleaning": None,
            "family": step.family, **full}


def _data_of(settings: dict):
    """(raw dataset, digest, source record) for the data a link names, as the Data page loads it."""
    from ui.presets import BUILTIN_SOURCE

    source = dict(settings.get("data") or {})
    kind = source.get("kind")
    if kind == "builtin":
        if source.get("key") not in BUILTIN_DATASETS:
            raise LinkError("This link names a built-in dataset this server does not have.")
        st.session_state["data-source"] = BUILTIN_SOURCE
        st.session_state.pop("builtin-choice", None)
        return load_builtin(source["key"]), f"built-in:{source['key']}", source
    if kind == "upload":
        files, content = [], hashlib.sha256()
        for described in sorted(source.get("files", []), key=lambda f: f["name"]):
            data = workspace.kept_file(described["sha256"])
            if data is None:
                raise LinkError(f"The file {described['name']} this link trains on could not be opened in your "
                                "workspace; ask for the link again.")
            files.append((described["name"], data))
            content.update(described["name"].encode() + b"\0" + bytes.fromhex(described["sha256"]))
        st.session_state["data-source"] = "Upload a file"
        st.session_state["restored-upload"] = [name for name, _ in files]
        return read_uploads(files), "upload:" + content.hexdigest(), source
    if kind == "server":
        root = server_folder.folder()
        if root is None:
            raise LinkError("This link names a file on the server, and this server shares no data folder.")
        st.session_state["data-source"] = "File on the server"
        st.session_state["server-request"] = st.session_state["server-file"] = source["name"]
        return server_folder.read_server_file(source["name"], root), f"server:{source['name']}", source
    raise LinkError("This link names no data this page can load.")


def apply_settings(settings: dict) -> None:
    """Make the link's data, cleaning and task current and set every Train-page widget to its settings.
    UserError (a sentence) when they cannot be used here; the session's data is then left as it was."""
    from ui.data import choices_key
    from ui.presets import APPLIED_KEY as STEP_APPLIED
    from ui.task import set_task

    family = FAMILIES.get(settings.get("family"))
    if family is None:
        raise LinkError("This link names a model this server does not have.")
    raw, digest, source = _data_of(settings)
    target = settings.get("target")
    if target not in raw.frame.columns:
        raise LinkError(f"The target {target} this link trains on is not a column of {raw.name}.")
    if settings.get("cleaning"):
        choices = CleaningChoices.from_dict(settings["cleaning"])
        cleaned = apply_cleaning(raw, choices)
        markers = None
    else:
        prepared = clean_with_defaults(raw, target)
        choices, cleaned, markers = prepared.choices, prepared.cleaned, prepared.markers
    session.load_dataset(raw, digest, target, source)
    if markers is not None:
        st.session_state["markers"] = (digest, markers)
        st.session_state["cleaning-suggested"] = (digest, [c for c in choices.excluded if c not in raw.id_columns])
    session.set_cleaning_choices(choices)
    session.set_cleaned(choices_key(digest, choices), cleaned)
    dataset = session.current_dataset()
    for key in (f"task-{dataset.name}-{target}", f"redshift-{dataset.name}-{target}", f"target-{dataset.name}"):
        st.session_state.pop(key, None)
    set_task(dataset.name, target, settings.get("task") or "classification", bool(settings.get("redshift")))
    validation = {**defaults(VALIDATION_SCHEMA), **(settings.get("validation") or {})}
    st.session_state["family"] = family.key
    st.session_state["keep-model"] = validation["scheme"] in ("holdout", "supplied")
    set_widget_values(family.params, f"hp-{family.key}", settings.get("params") or {})
    set_widget_values(PREPROCESSING_SCHEMA, "pp", settings.get("preprocessing") or {})
    set_widget_values(VALIDATION_SCHEMA, "val", validation)
    st.session_state.pop(STEP_APPLIED, None)
    st.session_state[APPLIED_KEY] = (settings.get("title") or "shared settings", dataset.name)


def applied_note() -> None:
    """On the Train page: which shared settings set it up, while their data is still the one loaded."""
    applied = st.session_state.get(APPLIED_KEY)
    dataset = session.current_dataset()
    if applied and dataset is not None and applied[1] == dataset.name:
        st.info(f"Set up from a shared link: **{markdown_escape(applied[0])}**. Press Train to train it in your "
                "own workspace.", icon=":material/link:")


# -- buttons that make links -----------------------------------------------------------------------

def _show_link(key: str) -> None:
    url = st.session_state.get(_SHOWN, {}).get(key)
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
        st.session_state.setdefault(_SHOWN, {})[key] = app_url("Train", **{SETTINGS_PARAM: link})
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
        st.session_state.setdefault(_SHOWN, {})[f"run-{key}"] = app_url("Runs", **{RUN_PARAM: link})
    _show_link(f"run-{key}")


# -- opening a link ---------------------------------------------------------------------------------

def follow_link_params() -> None:
    """Called by workspace.open_workspace on every page: act on a `cfg` or `run` parameter in the URL."""
    wanted_settings = st.query_params.get(SETTINGS_PARAM)
    wanted_run = st.query_params.get(RUN_PARAM)
    if wanted_settings is None and wanted_run is None:
        return
    if workspace.store() is None or workspace.workspace_id() is None:
        st.error("This server cannot keep a run store just now, so share links cannot be opened.")
        st.stop()
    if wanted_run is not None:
        _shared_run_page(wanted_run)
        st.stop()
    if st.session_state.get(_FOLLOWED) == wanted_settings:
        return
    st.session_state[_FOLLOWED] = wanted_settings
    try:
        settings = open_settings(workspace.store(), wanted_settings, workspace.workspace_id())
        apply_settings(settings)
    except (UserError, StoreError) as err:
        st.session_state[_LINK_ERROR] = str(err)
        del st.query_params[SETTINGS_PARAM]
        return
    workspace.switch_page("pages/1_Train.py")


def link_error() -> None:
    """The sentence for a link that opened nothing (shown by the page the link landed on)."""
    error = st.session_state.pop(_LINK_ERROR, None)
    if error:
        st.error(error)


def _shared_run_page(link_id: str) -> None:
    from ui.results import learning_curves, run_header, settings_text

    st.title("A shared run")
    try:
        run = open_shared_run(workspace.store(), link_id)
    except (UserError, StoreError) as err:
        st.error(str(err))
        workspace.page_link("app.py", label="Open your own workspace", icon=":material/table_view:")
        return
    st.caption("Read-only: someone shared this run with you. It stays theirs; nothing here changes it, and the link "
               "opens nothing else of their work.")
    run_header(run)
    result = run.result
    if result is not None:
        evaluation = result.evaluation
        summary = evaluation.summary()
        baseline = getattr(result, "baseline", None)
        metric, label = ("r2", "Test R²") if run.task == "regression" else ("accuracy", "Test accuracy")
        cols = st.columns(3)
        cols[0].metric(label, f"{summary[metric]:.3f}")
        if baseline is not None and baseline.score(metric) is not None:
            cols[1].metric("Baseline (no features)", f"{baseline.score(metric):.3f}")
        cols[2].metric("Duration", f"{result.duration_s:.1f} s")
    elif run.error:
        st.error(run.error)
    learning_curves(run, key="shared-run")
    if result is not None and run.task != "regression":
        from mllab import charts

        st.plotly_chart(charts.confusion_matrix_figure(result.evaluation, normalised=False), key="shared-confusion",
                        width="stretch")
    settings_text(run)
    workspace.page_link("app.py", label="Open your own workspace", icon=":material/table_view:")
    if st.button("Use these settings", key="shared-run-use", type="primary", icon=":material/content_copy:",
                 help="Sets up this run's data and settings in your own workspace's Train page."):
        try:
            settings = use_shared_run(workspace.store(), link_id, workspace.workspace_id())
            apply_settings(settings)
        except (UserError, StoreError) as err:
            st.error(str(err))
            return
        del st.query_params[RUN_PARAM]
        workspace.switch_page("pages/1_Train.py")
