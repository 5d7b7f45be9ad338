"""The workspace store: workspaces opened by a token, what they keep, and the files behind them.

A workspace needs no login. Its token (144 random bits, in the page's URL) is the only way in;
the database keeps the token's SHA-256, so a copy of the database opens nobody's work. A token
that is malformed or unknown opens nothing: the page makes a new workspace and says so.

Files (uploads, kept models) are stored once by content under `<data dir>/files/ab/abcd…`,
written to a temporary name and renamed, and checked against their SHA-256 when read back.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import socket
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from mllab.errors import UserError
from mllab.store import database
from mllab.store.database import StoreError, StoreFault, reading, writing
from mllab.store.schema import (LATEST, blobs, current_version, migrate, run_results, runs, servers, workspace_files,
                                workspace_values, workspaces)

log = logging.getLogger(__name__)

TOKEN_BYTES = 18  # 144 bits; URL-safe base64 makes it 24 characters
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{24}")
MAX_WORKSPACE_BYTES_ENV = "MLLAB_WORKSPACE_MAX_MB"
DEFAULT_MAX_WORKSPACE_MB = 2048
RETENTION_DAYS_ENV = "MLLAB_RETENTION_DAYS"
# A server whose heartbeat is older than this is gone, even on another host (where its pid means nothing).
SERVER_STALE_S = 60.0
HEARTBEAT_S = 10.0


class WorkspaceFull(StoreError):
    """Storing this would take the workspace past its limit."""


def workspace_id_of(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def valid_token(token: object) -> bool:
    return isinstance(token, str) and TOKEN_PATTERN.fullmatch(token) is not None


def _now() -> float:
    return time.time()


def _upsert(conn, table, values: dict, keys: list[str]):
    """INSERT … ON CONFLICT DO UPDATE, in the dialect at hand (both know it)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    return conn.execute(statement.on_conflict_do_update(
        index_elements=keys, set_={k: v for k, v in values.items() if k not in keys}))


class Store:
    """One per app process; every method is safe to call from any thread."""

    def __init__(self, url: str | None = None, data_dir: Path | str | None = None,
                 max_workspace_bytes: int | None = None):
        self.data_dir = Path(data_dir) if data_dir is not None else database.default_data_dir()
        self.url = url or database.database_url(self.data_dir)
        if max_workspace_bytes is None:
            max_workspace_bytes = int(float(os.environ.get(MAX_WORKSPACE_BYTES_ENV) or DEFAULT_MAX_WORKSPACE_MB)
                                      * 1024 ** 2)
        self.max_workspace_bytes = max_workspace_bytes
        self._files = self.data_dir / "files"
        self.server_id = uuid.uuid4().hex
        self._host = socket.gethostname()
        self._last_heartbeat = 0.0
        # Why the store cannot write just now (None: it can). Saved work is still read meanwhile.
        self.fault: str | None = None
        self.salvaged = False  # reading a copy of a damaged SQLite file: writes wait for an administrator
        try:
            self._open()
        except StoreFault as err:
            self._open_for_reading(err)

    def _open(self) -> None:
        """Open the database for writing (creating and migrating it as needed)."""
        with database.translated_errors(self.data_dir):
            self._files.mkdir(parents=True, exist_ok=True)
            engine = database.connect(self.url)
            try:
                migrate(engine)
            except BaseException:
                engine.dispose()
                raise
        previous, self.engine = getattr(self, "engine", None), engine
        if previous is not None:
            previous.dispose()

    def _open_for_reading(self, err: StoreFault) -> None:
        """The database cannot be written: open what can be read. A database server that is down gets its
        engine (reads work as soon as it answers); an SQLite file in a read-only folder is read in place; a
        damaged one from a private copy, the file and its WAL left byte for byte for an administrator."""
        path = database.sqlite_file(self.url)
        if path is None:
            self.engine = database.connect(self.url)
            self.fault = str(err)
            return
        if not path.exists():
            raise err  # nothing was ever stored here: nothing to read
        self.salvaged = "damaged" in str(err)
        if self.salvaged:
            self._log_restore(path)
        try:
            with database.translated_errors(self.data_dir, reading=True):
                self.engine = database.snapshot_engine(path) if self.salvaged else database.read_only_engine(path)
                with reading(self.engine) as conn:
                    found = current_version(conn)
        except StoreFault:
            raise err from None  # not even its schema can be read
        if found > LATEST:
            raise UserError(f"The run store was written by a newer mllab (schema {found}; this one knows up to "
                            f"{LATEST}). Upgrade mllab, or point MLLAB_DATA_DIR at another folder.")
        self.fault = str(err)

    def found_damaged(self, err: StoreFault) -> None:
        """A read met a damaged page: from now on the store reads from a copy and writes nothing (a write into a
        damaged file can spread the damage), until an administrator has mended it."""
        path = database.sqlite_file(self.url)
        if self.salvaged or path is None:
            return
        self.salvaged, self.fault = True, str(err)
        self._log_restore(path)
        previous, self.engine = self.engine, database.snapshot_engine(path)
        previous.dispose()

    def _log_restore(self, path: Path) -> None:
        log.error("the run store's database %s is damaged; it was left as it was, with its WAL, and what can still "
                  "be read is read from a copy. To restore it: stop the app servers, keep a copy of the folder, then "
                  "run `sqlite3 %s .recover | sqlite3 recovered.sqlite3` and put recovered.sqlite3 in its place (or "
                  "restore the file from a backup), and start again.", path, path)

    def try_writing(self) -> bool:
        """Whether the store can write now: reopened for writing if it was opened for reading, and a write made
        (this server's heartbeat). A damaged file stays read-only until an administrator has mended it."""
        if self.salvaged:
            return False
        if self.fault is not None:
            self._open()
        self.heartbeat(force=True)
        self.fault = None
        return True

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    # -- workspaces -------------------------------------------------------------------------
    def new_workspace(self, token: str | None = None) -> str:
        """A new workspace; returns its token (kept by the page, never by the store). A token made beforehand
        (`new_token`) is for a workspace written back after a fault: written twice, it is stored once."""
        token = token or new_token()
        now = _now()
        with writing(self.engine) as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(dialect.insert(workspaces).values(id=workspace_id_of(token), created_at=now, last_seen_at=now)
                         .on_conflict_do_nothing(index_elements=["id"]))
        return token

    def open_workspace(self, token: object) -> str | None:
        """The workspace id for a token, or None when the token is malformed or opens nothing."""
        if not valid_token(token):
            return None
        workspace = workspace_id_of(token)
        if not self.workspace_exists(workspace):
            return None
        self._note_opened(workspace)
        return workspace

    def _note_opened(self, workspace: str) -> None:
        """When a workspace was last opened (retention counts from it) is bookkeeping: a store that cannot write
        just now (full disk, read-only, locked) still opens the workspace, and the next opening notes it."""
        try:
            with writing(self.engine, bookkeeping=True) as conn:
                conn.execute(update(workspaces).where(workspaces.c.id == workspace).values(last_seen_at=_now()))
        except StoreError as err:
            log.info("workspace opened without noting when: %s", err)

    def workspace_exists(self, workspace: str) -> bool:
        with reading(self.engine) as conn:
            return conn.execute(select(workspaces.c.id).where(workspaces.c.id == workspace)).first() is not None

    # -- values: the loaded data, cleaning, target, page settings -------------------------------
    def put_value(self, workspace: str, key: str, value) -> None:
        text = json.dumps(value)
        with writing(self.engine) as conn:
            _upsert(conn, workspace_values, {"workspace_id": workspace, "key": key, "value": text,
                                             "updated_at": _now()}, ["workspace_id", "key"])

    def values(self, workspace: str) -> dict:
        with reading(self.engine) as conn:
            rows = conn.execute(select(workspace_values.c.key, workspace_values.c.value)
                                .where(workspace_values.c.workspace_id == workspace)).all()
        return {key: json.loads(value) for key, value in rows}

    # -- files --------------------------------------------------------------------------------
    def _path(self, sha256: str) -> Path:
        return self._files / sha256[:2] / sha256

    def put_file(self, workspace: str, name: str, data: bytes, purpose: str) -> str:
        """Keep `data` for this workspace under `name`; stored once whoever else keeps the same bytes."""
        sha = hashlib.sha256(data).hexdigest()
        with reading(self.engine) as conn:
            known = conn.execute(select(workspace_files.c.sha256).where(
                workspace_files.c.workspace_id == workspace, workspace_files.c.sha256 == sha,
                workspace_files.c.name == name)).first()
        if known is not None:
            return sha
        self.check_room(workspace, len(data))
        path = self._path(sha)
        wrote = not (path.exists() and path.stat().st_size == len(data))
        if wrote:
            self._write_file(path, data, workspace)
        now = _now()
        try:
            with writing(self.engine) as conn:
                dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
                conn.execute(dialect.insert(blobs).values(sha256=sha, size=len(data), created_at=now)
                             .on_conflict_do_nothing(index_elements=["sha256"]))
                conn.execute(dialect.insert(workspace_files).values(
                    workspace_id=workspace, sha256=sha, name=name, purpose=purpose, created_at=now)
                    .on_conflict_do_nothing(index_elements=["workspace_id", "sha256", "name"]))
        except StoreError:
            if wrote:
                self._drop_unrecorded(sha)
            raise
        return sha

    def _write_file(self, path: Path, data: bytes, workspace: str) -> None:
        """Write under a temporary name, then rename; a write that fails (a full disk) leaves nothing behind."""
        needed = len(data)
        with database.translated_errors(self.data_dir):
            path.parent.mkdir(parents=True, exist_ok=True)
            if needed > shutil.disk_usage(path.parent).free:
                raise StoreFault(self._no_room(needed, workspace))
            incoming = None
            try:
                with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, prefix=".incoming-") as handle:
                    incoming = Path(handle.name)
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(incoming, path)
            except OSError as err:
                if incoming is not None:
                    incoming.unlink(missing_ok=True)
                if err.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise StoreFault(self._no_room(needed, workspace)) from err
                raise

    def _no_room(self, needed: int, workspace: str) -> str:
        try:
            free = f"only {_size(shutil.disk_usage(self._files).free)} is free"
        except OSError:
            free = "there is not that much free"
        largest = self._largest_items(workspace)
        return (f"The disk holding this server's folder for saved work is full: this file needs {_size(needed)} and "
                f"{free}, so it was not stored."
                f"{f' Deleting runs or uploads you no longer need on the Runs page frees room ({largest}).' if largest else ''}")

    def _largest_items(self, workspace: str) -> str:
        """This workspace's three largest stored files, in words (empty when there are none or they cannot be read)."""
        try:
            biggest = sorted(self.files(workspace), key=lambda f: -f["size"])[:3]
        except StoreError:
            return ""
        return ", ".join(f"{'the upload' if f['purpose'] == 'upload' else 'the kept model'} {f['name']} "
                         f"({_size(f['size'])})" for f in biggest)

    def _drop_unrecorded(self, sha: str) -> None:
        """A file written whose database row could not be: removed, unless another upload of the same bytes
        recorded it meanwhile (or the database cannot even be read: then it stays, harmless)."""
        try:
            with reading(self.engine) as conn:
                recorded = conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == sha)).first() is not None
        except StoreError:
            return
        if not recorded:
            self._path(sha).unlink(missing_ok=True)

    def read_file(self, workspace: str, sha256: str) -> bytes:
        """The bytes of a file this workspace keeps; StoreError when it does not, or they changed on disk."""
        with reading(self.engine) as conn:
            owned = conn.execute(select(workspace_files.c.sha256).where(
                workspace_files.c.workspace_id == workspace, workspace_files.c.sha256 == sha256)).first()
        if owned is None:
            raise StoreError("That file is not kept in this workspace.")
        try:
            data = self._path(sha256).read_bytes()
        except OSError as err:
            raise StoreError("A file this workspace kept is missing from the store's folder.") from err
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StoreError("A file this workspace kept has changed on disk since it was stored; it was not used.")
        return data

    def files(self, workspace: str) -> list[dict]:
        with reading(self.engine) as conn:
            rows = conn.execute(select(workspace_files.c.name, workspace_files.c.sha256, workspace_files.c.purpose,
                                       blobs.c.size).join(blobs, blobs.c.sha256 == workspace_files.c.sha256)
                                .where(workspace_files.c.workspace_id == workspace)).all()
        return [dict(row._mapping) for row in rows]

    def forget_file(self, workspace: str, sha256: str) -> None:
        with writing(self.engine) as conn:
            conn.execute(delete(workspace_files).where(workspace_files.c.workspace_id == workspace,
                                                       workspace_files.c.sha256 == sha256))
        self.collect_garbage()

    # -- limits and housekeeping --------------------------------------------------------------
    def bytes_used(self, workspace: str) -> int:
        with reading(self.engine) as conn:
            files = conn.execute(select(func.coalesce(func.sum(blobs.c.size), 0)).select_from(
                workspace_files.join(blobs, blobs.c.sha256 == workspace_files.c.sha256))
                .where(workspace_files.c.workspace_id == workspace)).scalar()
            results = conn.execute(select(func.coalesce(func.sum(func.length(run_results.c.payload)), 0))
                                   .select_from(run_results.join(runs, runs.c.id == run_results.c.run_id))
                                   .where(runs.c.workspace_id == workspace)).scalar()
        return int(files or 0) + int(results or 0)

    def check_room(self, workspace: str, adding: int) -> None:
        used = self.bytes_used(workspace)
        if used + adding <= self.max_workspace_bytes:
            return
        listed = self._largest_items(workspace)
        raise WorkspaceFull(
            f"This workspace keeps {used / 1024 ** 2:,.1f} MB of the {self.max_workspace_bytes / 1024 ** 2:,.0f} MB "
            f"it may hold, so {adding / 1024 ** 2:,.1f} MB more was not stored. Delete runs you no longer need on the "
            f"Runs page{f' (the largest items: {listed})' if listed else ''}; your work so far stays in this tab.")

    def purge_unused(self, days: float) -> int:
        """Delete workspaces not opened for `days` days, with their runs and files; returns how many."""
        cutoff = _now() - days * 86400
        with writing(self.engine) as conn:
            removed = conn.execute(delete(workspaces).where(workspaces.c.last_seen_at < cutoff)).rowcount
        self.collect_garbage()
        return removed

    def collect_garbage(self) -> None:
        """Remove stored files no workspace and no run refers to any more."""
        with writing(self.engine) as conn:
            referenced = select(workspace_files.c.sha256).union(
                select(runs.c.model_sha256).where(runs.c.model_sha256.is_not(None)))
            orphans = [row[0] for row in conn.execute(select(blobs.c.sha256).where(
                blobs.c.sha256.not_in(referenced)))]
            if orphans:
                conn.execute(delete(blobs).where(blobs.c.sha256.in_(orphans)))
        for sha in orphans:
            try:
                self._path(sha).unlink()
            except OSError:
                pass  # already gone

    # -- app servers: which runs were interrupted -----------------------------------------------
    def register_server(self) -> None:
        now = _now()
        with writing(self.engine) as conn:
            conn.execute(servers.insert().values(id=self.server_id, host=self._host, pid=os.getpid(), started_at=now,
                                                 heartbeat_at=now))
        self._last_heartbeat = now
        self.mark_interrupted()

    def heartbeat(self, force: bool = False) -> None:
        now = _now()
        if not force and now - self._last_heartbeat < HEARTBEAT_S:
            return
        self._last_heartbeat = now
        with writing(self.engine) as conn:
            beat = conn.execute(update(servers).where(servers.c.id == self.server_id).values(heartbeat_at=now))
            if beat.rowcount == 0:  # not registered (the store could not write at start): registered now
                conn.execute(servers.insert().values(id=self.server_id, host=self._host, pid=os.getpid(),
                                                     started_at=now, heartbeat_at=now))

    def _dead_servers(self, conn) -> list[str]:
        dead = []
        for server_id, host, pid, beat in conn.execute(select(servers.c.id, servers.c.host, servers.c.pid,
                                                              servers.c.heartbeat_at)):
            if server_id == self.server_id:
                continue
            if _now() - beat > SERVER_STALE_S or (host == self._host and not _process_alive(pid)):
                dead.append(server_id)
        return dead

    def mark_interrupted(self, bookkeeping: bool = False) -> int:
        """Runs left queued or running by an app server that is gone become "interrupted"."""
        with reading(self.engine) as conn:  # most calls find none: then nothing is written
            if not self._dead_servers(conn):
                return 0
        with writing(self.engine, bookkeeping) as conn:
            dead = self._dead_servers(conn)
            if not dead:
                return 0
            changed = conn.execute(update(runs).where(runs.c.server_id.in_(dead),
                                                      runs.c.status.in_(("queued", "running")))
                                   .values(status="interrupted", ended_at=runs.c.updated_at, updated_at=_now(),
                                           error="Interrupted: the app server stopped while this run was training. "
                                                 "Its curve up to then is kept; train it again to finish it.")).rowcount
            conn.execute(delete(servers).where(servers.c.id.in_(dead)))
        return changed


def _size(count: int) -> str:
    """Bytes in plain words: "3.2 MB"."""
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:,.1f} {unit}"
    return f"{count} bytes"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
