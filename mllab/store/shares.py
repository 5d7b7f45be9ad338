"""Share links: "these settings" (`?cfg=`) and "this run, read-only" (`?run=`).

A link's id is 144 random bits (`secrets.token_urlsafe`), and it is a capability: whoever holds it
opens what it names and nothing else. The database keeps only the id's SHA-256, as it does for
workspace tokens, so a copy of the database opens no link. A link names no workspace: the settings
link copies its settings (and the uploaded files they use) into the opener's own workspace, and the
run link shows one run, which nobody but its own workspace can change or delete.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import time

from sqlalchemy import select

from mllab.errors import UserError
from mllab.store.database import reading, writing
from mllab.store.run_records import load_runs
from mllab.store.schema import blobs, run_links, runs, shared_settings, workspace_files
from mllab.store.store import TOKEN_BYTES, Store, valid_token
from mllab.training.runs import Run

# What a settings link holds; the page turns them back into its widgets (ui/state/transactions.py).
SETTINGS_KEYS = ("title", "data", "target", "task", "redshift", "cleaning", "family", "params", "preprocessing",
                 "validation")
MAX_SETTINGS_CHARS = 200_000  # far more than any schema's settings; a cleaning with many formulas fits


class LinkError(UserError):
    """A share link that opens nothing, or settings that cannot be shared; the message says which."""


def _hash(link_id: str) -> str:
    return hashlib.sha256(link_id.encode("ascii")).hexdigest()


def _new_id() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _check_settings(settings: dict) -> str:
    unknown = set(settings) - set(SETTINGS_KEYS)
    if unknown:
        raise LinkError(f"These settings cannot be shared: unknown parts {', '.join(sorted(unknown))}.")
    data = settings.get("data") or {}
    if data.get("kind") not in ("builtin", "upload", "server"):
        raise LinkError("Load a dataset on the Data page first: a settings link names the data it trains on.")
    if not settings.get("family") or not settings.get("target"):
        raise LinkError("A settings link needs a model and a target; choose them first.")
    text = json.dumps(settings, sort_keys=True)
    if len(text) > MAX_SETTINGS_CHARS:
        raise LinkError("These settings are too large to share as a link.")
    return text


def share_settings(store: Store, workspace: str, settings: dict) -> str:
    """Keep `settings` behind a new link id (returned once, never stored). Uploaded files must be kept by
    this workspace: the link copies them into the opener's."""
    text = _check_settings(settings)
    data = settings["data"]
    if data["kind"] == "upload":
        kept = {f["sha256"] for f in store.files(workspace)}
        missing = [f["name"] for f in data.get("files", []) if f.get("sha256") not in kept]
        if missing:
            raise LinkError(f"{', '.join(missing)} is not kept in this workspace any more, so a link cannot hand it "
                            "on; upload it again on the Data page, then share.")
    link_id = _new_id()
    with writing(store.engine) as conn:
        conn.execute(shared_settings.insert().values(id_hash=_hash(link_id), workspace_id=workspace, settings=text,
                                                     created_at=time.time()))
    return link_id


SETTINGS_LINK_NOTHING = ("That settings link opens nothing: it may be mistyped or cut short. Ask for the link again; "
                         "your own workspace is as it was.")


def open_settings(store: Store, link_id: object, into_workspace: str) -> dict:
    """The settings behind a link, with the uploaded files they use now kept by `into_workspace` too.
    LinkError (a sentence) for an id that is malformed or opens nothing."""
    if not valid_token(link_id):
        raise LinkError(SETTINGS_LINK_NOTHING)
    with reading(store.engine) as conn:
        row = conn.execute(select(shared_settings.c.workspace_id, shared_settings.c.settings)
                           .where(shared_settings.c.id_hash == _hash(link_id))).first()
    if row is None:
        raise LinkError(SETTINGS_LINK_NOTHING)
    settings = json.loads(row.settings)
    data = settings.get("data") or {}
    if data.get("kind") == "upload":
        hand_on_files(store, row.workspace_id, into_workspace, data.get("files", []))
    return settings


def hand_on_files(store: Store, sharer: str, opener: str, files: list[dict]) -> None:
    """The opener's workspace keeps the sharer's uploads too: the bytes are stored once by SHA-256 already,
    so this adds the opener's claim on them (and counts them against the opener's room)."""
    wanted = {f["sha256"]: f["name"] for f in files}
    with reading(store.engine) as conn:
        held = {r.sha256: r.size for r in conn.execute(
            select(workspace_files.c.sha256, blobs.c.size).join(blobs, blobs.c.sha256 == workspace_files.c.sha256)
            .where(workspace_files.c.workspace_id == sharer, workspace_files.c.sha256.in_(list(wanted))))}
        mine = {r.sha256 for r in conn.execute(select(workspace_files.c.sha256).where(
            workspace_files.c.workspace_id == opener, workspace_files.c.sha256.in_(list(wanted))))}
    gone = [name for sha, name in wanted.items() if sha not in held and sha not in mine]
    if gone:
        raise LinkError(f"The file {', '.join(gone)} this link trains on is no longer kept by the one who shared it; "
                        "ask them to share again, or upload the file yourself.")
    adding = sum(size for sha, size in held.items() if sha not in mine)
    store.check_room(opener, adding)
    now = time.time()
    with writing(store.engine) as conn:
        for sha, name in wanted.items():
            if sha in mine:
                continue
            conn.execute(workspace_files.insert().values(workspace_id=opener, sha256=sha, name=name,
                                                         purpose="upload", created_at=now))


def share_run(store: Store, workspace: str, run_id: str) -> str:
    """A new read-only link to one of this workspace's runs."""
    with reading(store.engine) as conn:
        owned = conn.execute(select(runs.c.status).where(runs.c.id == run_id, runs.c.workspace_id == workspace)).first()
    if owned is None:
        raise LinkError("That run is not kept in this workspace (it was not saved, or was deleted), so it cannot "
                        "be shared.")
    link_id = _new_id()
    with writing(store.engine) as conn:
        conn.execute(run_links.insert().values(id_hash=_hash(link_id), run_id=run_id, created_at=time.time()))
    return link_id


RUN_LINK_NOTHING = ("That run link opens nothing: it may be mistyped or cut short, or the run was deleted by the one "
                    "who trained it.")
MODEL_NOT_SHARED = "The trained model stays with the one who trained it: a run link shows the run, not its files."


def open_shared_run(store: Store, link_id: object) -> Run:
    """The run a link names, read-only: its curves, evaluation and settings; no store id (nothing can be
    written back to it through this object) and no model file. LinkError when the link opens nothing."""
    if not valid_token(link_id):
        raise LinkError(RUN_LINK_NOTHING)
    with reading(store.engine) as conn:
        row = conn.execute(select(runs.c.id, runs.c.workspace_id).join(run_links, run_links.c.run_id == runs.c.id)
                           .where(run_links.c.id_hash == _hash(link_id))).first()
    if row is None:
        raise LinkError(RUN_LINK_NOTHING)
    found = load_runs(store, row.workspace_id, row.id)
    if not found:
        raise LinkError(RUN_LINK_NOTHING)
    run = found[0]
    run.store_id = None
    run.title, run.note, run.tags = None, "", ()  # the owner's own words stay theirs
    if run.result is not None and run.result.model_file is not None:
        run.result.model_file = dataclasses.replace(run.result.model_file, data=b"", refused=MODEL_NOT_SHARED)
    return run


def run_settings(run: Run) -> dict:
    """A run's settings in the form a settings link holds them ("Use these settings")."""
    return {"title": f"{run.family_label} on {run.dataset_name}", "data": dict(run.data_source), "target": run.target,
            "task": run.task, "redshift": run.redshift, "cleaning": run.cleaning or None, "family": run.family,
            "params": dict(run.params), "preprocessing": dict(run.preprocessing),
            "validation": dict(run.validation or {"scheme": "holdout"})}


def use_shared_run(store: Store, link_id: object, into_workspace: str) -> dict:
    """The settings of the run a link names, its uploaded files now kept by `into_workspace` too."""
    if not valid_token(link_id):
        raise LinkError(RUN_LINK_NOTHING)
    with reading(store.engine) as conn:
        owner = conn.execute(select(runs.c.workspace_id).join(run_links, run_links.c.run_id == runs.c.id)
                             .where(run_links.c.id_hash == _hash(link_id))).scalar()
    settings = run_settings(open_shared_run(store, link_id))
    if settings["data"].get("kind") == "upload" and owner is not None:
        hand_on_files(store, owner, into_workspace, settings["data"].get("files", []))
    return settings
