"""Opening the store's database: SQLite in WAL mode by default, PostgreSQL by URL.

SQLite (a file under MLLAB_DATA_DIR, created on first start) is measured in ../shared/NOTES.md:
with WAL and a 5 s busy timeout 40 writer processes kept all 10,000 one-row commits; without the
timeout 95 % were lost. Write transactions start with BEGIN IMMEDIATE, so two writers never both
read and then both try to upgrade their lock (a deadlock SQLite breaks by failing one of them).
Reads use a plain BEGIN, and under WAL they never wait for a writer.

WAL needs every process on one host. A department running several app servers points
MLLAB_DATABASE_URL at PostgreSQL instead; nothing else changes.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from mllab.errors import UserError

log = logging.getLogger(__name__)

DATA_DIR_ENV = "MLLAB_DATA_DIR"
DATABASE_URL_ENV = "MLLAB_DATABASE_URL"
BUSY_TIMEOUT_MS = 5000
DATABASE_FILE = "mllab.sqlite3"
CONNECT_TIMEOUT_S = 5


class StoreError(UserError):
    """The store cannot be read or written; the message is a sentence for the page."""


class StoreFault(StoreError):
    """The database or its disk failed (full, read-only, damaged, unreachable), as opposed to a refusal such as a
    full workspace: what was refused now may go through once the fault is mended, so the writer keeps it."""


def default_data_dir() -> Path:
    configured = os.environ.get(DATA_DIR_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".local" / "share" / "mllab"


def database_url(data_dir: Path) -> str:
    return os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{data_dir / DATABASE_FILE}"


def connect(url: str) -> Engine:
    """An SQLAlchemy engine for `url`, set up as described above."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise StoreError(f"{DATABASE_URL_ENV} is not a database address SQLAlchemy understands ({err}).") from err
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver requirements.txt installs
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    # A server that is down answers at once; one that cannot be reached is given up after a few seconds, so a
    # page (and the writer's recovery check) never hangs on it.
    return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         connect_args={"connect_timeout": CONNECT_TIMEOUT_S})


def _sqlite_engine(url: URL) -> Engine:
    # A plain path's folder is made; an SQLite URI ("file:...?mode=ro&uri=true") names a file that must already
    # exist, and making its "parent" would leave a folder called "file:" in the working directory.
    if url.database and not (url.query.get("uri") == "true" and url.database.startswith("file:")):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
    read_only = url.query.get("mode") == "ro" or url.query.get("immutable") == "1"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling is switched off so the BEGIN below is ours (SQLAlchemy's
        # documented recipe for SQLite).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if read_only:  # opened for reading only: the journal mode is the file's, and cannot be changed
            cursor.close()
            return
        mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL's recommended level: durable at each checkpoint
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        if mode and str(mode[0]).lower() != "wal" and url.database not in (None, "", ":memory:"):
            raise sqlite3.OperationalError(f"journal mode is {mode[0]}, not WAL")

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("mllab_write") else "BEGIN")

    return engine


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL that names one (a plain path or a "file:" URI), else None."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database.removeprefix("file:").split("?")[0])


def read_only_engine(path: Path) -> Engine:
    """The database in a folder that cannot be written, opened for reading. SQLite's WAL mode writes its -shm
    index even to read, so a plain read-only open fails there; the file is opened as immutable instead, which is
    true on a read-only file system. A WAL file left with content (a server stopped before its checkpoint) holds
    the latest commits, which an immutable open would not see: then a private copy is read (`snapshot_engine`)."""
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return snapshot_engine(path)
    return _sqlite_engine(make_url(f"sqlite:///file:{path}?mode=ro&immutable=1&uri=true"))


def snapshot_engine(path: Path) -> Engine:
    """A private copy of the database (and its WAL) in a temporary folder, opened there for reading: the file
    and its WAL stay byte for byte as they were, and whatever the copy still holds can be read. For a damaged
    file and for a read-only folder with an unfinished WAL."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="mllab-store-copy-"))
    copy = folder / path.name
    shutil.copyfile(path, copy)
    for suffix in ("-wal",):
        side = path.with_name(path.name + suffix)
        if side.exists():
            shutil.copyfile(side, folder / (path.name + suffix))
    return _sqlite_engine(make_url(f"sqlite:///file:{copy}?mode=ro&uri=true"))


@contextmanager
def writing(engine: Engine, bookkeeping: bool = False):
    """A write transaction (BEGIN IMMEDIATE on SQLite), with database faults as StoreError. A `bookkeeping`
    write is one the caller may skip: its fault is logged at info, not as a warning."""
    with translated_errors(folder_of(engine), bookkeeping=bookkeeping), engine.connect().execution_options(mllab_write=True) as conn, \
            conn.begin():
        yield conn


@contextmanager
def reading(engine: Engine):
    with translated_errors(folder_of(engine), reading=True), engine.connect() as conn, conn.begin():
        yield conn


def folder_of(engine: Engine) -> Path | None:
    """The folder of an SQLite file (plain path or "file:…" URI): where a vague driver error is looked into."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        return None
    return Path(database.removeprefix("file:").split("?")[0]).parent


@contextmanager
def translated_errors(folder: Path | None = None, reading: bool = False, bookkeeping: bool = False):
    try:
        yield
    except StoreError:
        raise
    except IntegrityError as err:  # a write that breaks a rule (a run's steps after the run was deleted): no fault
        log.warning("run store refused a write: %s", str(err.orig).splitlines()[0][:500])
        raise StoreError("The run store refused this change; the server's log has the details.") from err
    except (OperationalError, DBAPIError, SQLAlchemyError, OSError) as err:
        # The page gets a sentence in the user's words; the driver's own text is for the administrator.
        log.log(logging.INFO if bookkeeping else logging.WARNING, "run store fault: %s", str(getattr(err, "orig", None) or err).splitlines()[0][:500])
        raise StoreFault(describe_fault(err, folder, reading)) from err


FOLDER = "this server's folder for saved work"
SMALL_FREE_BYTES = 1024 ** 2  # less free than this on the store's disk: a vague write error is the full disk


def describe_fault(err: BaseException, folder: Path | None = None, reading: bool = False) -> str:
    """A sentence for a database fault a user or an administrator can act on; never the driver's text."""
    text = str(getattr(err, "orig", None) or err).lower()
    outcome = "so saved work could not be read just now" if reading else "so this change was not saved"
    if "disk is full" in text or "no space" in text or "disk full" in text:
        return f"The disk holding {FOLDER} is full, {outcome}."
    if "readonly" in text or "read-only" in text or _read_only(folder):
        return f"{FOLDER[0].upper()}{FOLDER[1:]} cannot be written (it is read-only), {outcome}."
    if "permission denied" in text or "unable to open" in text:
        return (f"{FOLDER[0].upper()}{FOLDER[1:]} cannot be written or opened (it is read-only or belongs to another "
                f"user), {outcome}.")
    if "locked" in text or "busy" in text:
        return f"The run store was busy for too long (locked by another process), {outcome}."
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return "The run store's database file is damaged; it was left as it is (nothing was overwritten)."
    if "connection" in text or "could not connect" in text or "server closed" in text:
        return f"The run store's database server cannot be reached, {outcome}."
    if _nearly_full(folder):
        return f"The disk holding {FOLDER} is full, {outcome}."
    if "i/o" in text:
        return f"The disk holding {FOLDER} reported an error, {outcome}; the server's log has the details."
    return f"The run store could not be used, {outcome}; the server's log has the details."


def _read_only(folder: Path | None) -> bool:
    try:
        return folder is not None and bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _nearly_full(folder: Path | None) -> bool:
    try:
        return folder is not None and shutil.disk_usage(folder).free < SMALL_FREE_BYTES
    except OSError:
        return False
