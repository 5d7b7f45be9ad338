"""The store's tables, and the migrations that bring any earlier database up to this version.

The records follow MLflow's run model closely enough to be exported there: a run with a status
and times; its settings written once; metrics appended per step as (key, value, timestamp, step);
tags and a note the user edits; results and kept files stored once, the files on disk by SHA-256.

Migrations: `mllab_schema` holds one row, the version a database is at. `migrate` applies each
step after it, in order, in one transaction per step, so a database from the first release opens
in every later one and a failed step leaves it at the version before. A database from a newer
mllab is refused with a sentence rather than written with the wrong schema.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (BigInteger, Column, Float, ForeignKey, Index, Integer, MetaData, PrimaryKeyConstraint, String,
                        Table, Text, UniqueConstraint, inspect, select)
from sqlalchemy.engine import Connection

from mllab.errors import UserError

metadata = MetaData()

schema_version = Table("mllab_schema", metadata, Column("version", Integer, nullable=False))

# A workspace is known by the SHA-256 of its token: the database never holds a token that opens it.
workspaces = Table(
    "workspaces", metadata,
    Column("id", String(64), primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
)

# What a workspace keeps that is not a run: the loaded data, cleaning, target and task, page settings.
workspace_values = Table(
    "workspace_values", metadata,
    Column("workspace_id", String(64), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(100), nullable=False),
    Column("value", Text, nullable=False),  # JSON
    Column("updated_at", Float, nullable=False),
    PrimaryKeyConstraint("workspace_id", "key"),
)

# Files stored once by content (uploads, kept models); a workspace refers to them by name.
blobs = Table(
    "blobs", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
)

workspace_files = Table(
    "workspace_files", metadata,
    Column("workspace_id", String(64), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("name", String(500), nullable=False),
    Column("purpose", String(20), nullable=False),  # "upload" or "model"
    Column("created_at", Float, nullable=False),
    PrimaryKeyConstraint("workspace_id", "sha256", "name"),
)

# Each app process registers itself: a run left "running" by a process that is gone was interrupted.
servers = Table(
    "servers", metadata,
    Column("id", String(32), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", String(32), primary_key=True),  # random: never derived from anything a page shows
    Column("workspace_id", String(64), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("job_id", String(32), nullable=False),
    Column("server_id", String(32), nullable=False),
    Column("status", String(20), nullable=False),  # queued, running, completed, stopped, failed, interrupted
    Column("title", String(200)),
    Column("note", Text, nullable=False, default=""),
    Column("tags", Text, nullable=False, default="[]"),  # JSON list
    Column("settings", Text, nullable=False),  # JSON, written once
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("ended_at", Float),
    Column("updated_at", Float, nullable=False),
    Column("error", Text),
    Column("model_summary", Text),
    Column("model_sha256", String(64), ForeignKey("blobs.sha256")),
    Column("model_filename", String(300)),
    UniqueConstraint("workspace_id", "number"),
)
Index("runs_by_workspace", runs.c.workspace_id, runs.c.number)

# One row per metric per reported step. `part` counts the parts of a run made of parts (the folds
# of a K-fold run restart their curves); `seq` orders the steps as they were reported.
run_metrics = Table(
    "run_metrics", metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("part", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("step", Integer, nullable=False),
    Column("key", String(100), nullable=False),
    Column("value", Float),
    Column("timestamp", Float, nullable=False),
    PrimaryKeyConstraint("run_id", "part", "seq", "key"),
)

# What a finished run's panels show, one row per kind (evaluation, verdict, baseline, folds …), as
# codec JSON.
run_results = Table(
    "run_results", metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    PrimaryKeyConstraint("run_id", "kind"),
)

V1_TABLES = [workspaces, workspace_values, blobs, workspace_files, servers, runs, run_metrics, run_results]


def _to_v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=V1_TABLES)


# -- version 2: share links and classroom rooms (mllab/store/shares.py, rooms.py) ---------------------
# A link's id is a capability, like a workspace token: the database keeps only its SHA-256.

# "Share these settings": the data (a built-in key, or uploaded files by SHA-256, copied from the sharer's
# workspace to the opener's), cleaning, task, target, model, hyperparameters, preprocessing, validation.
shared_settings = Table(
    "shared_settings", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("workspace_id", String(64), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("settings", Text, nullable=False),  # JSON
    Column("created_at", Float, nullable=False),
)

# "Share this run": a read-only view of one run; the run's workspace is never named to the viewer.
run_links = Table(
    "run_links", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Float, nullable=False),
)

# A lecture's room: a short code for the screen, a lecturer link (kept as its SHA-256), the step pushed
# last (push_seq counts pushes, so a student's page polls one row by its key to learn of a new one).
rooms = Table(
    "rooms", metadata,
    Column("id", String(32), primary_key=True),
    Column("code", String(20), nullable=False),
    Column("admin_hash", String(64), nullable=False, unique=True),
    Column("workspace_id", String(64), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(10), nullable=False),  # open, frozen, closed
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("push_seq", Integer, nullable=False, default=0),
    Column("push_title", String(300)),
    Column("push_settings", Text),  # JSON, as shared_settings.settings
    Column("pushed_at", Float),
    Column("visible", Text, nullable=False, default="[]"),  # JSON: the controls students see
)
# Codes are unique among rooms not closed; a closed room's code can be drawn again.
Index("rooms_open_code", rooms.c.code, unique=True, sqlite_where=rooms.c.status != "closed",
      postgresql_where=rooms.c.status != "closed")

room_members = Table(
    "room_members", metadata,
    Column("room_id", String(32), ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("workspace_id", String(64), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("nickname", String(40), nullable=False),
    Column("nickname_key", String(40), nullable=False),  # casefolded: "Ada" and "ada" are one name
    Column("joined_at", Float, nullable=False),
    PrimaryKeyConstraint("room_id", "workspace_id"),
    UniqueConstraint("room_id", "nickname_key"),
)
Index("room_members_by_workspace", room_members.c.workspace_id)

# The runs students trained on a pushed step (the leaderboard's rows come from here).
room_runs = Table(
    "room_runs", metadata,
    Column("room_id", String(32), ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    Column("push_seq", Integer, nullable=False),
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("workspace_id", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    PrimaryKeyConstraint("room_id", "run_id"),
)
Index("room_runs_by_push", room_runs.c.room_id, room_runs.c.push_seq)

V2_TABLES = [shared_settings, run_links, rooms, room_members, room_runs]


def _to_v2(conn: Connection) -> None:
    metadata.create_all(conn, tables=V2_TABLES)


# (version reached, step). A later release appends here: never edit a step that has shipped.
MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [(1, _to_v1), (2, _to_v2)]
ALL_TABLES = V1_TABLES + V2_TABLES
LATEST = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("mllab_schema"):
        return 0
    return conn.execute(select(schema_version.c.version)).scalar() or 0


def migrate(engine) -> int:
    """Bring the database to LATEST; returns the version it was at."""
    with engine.begin() as conn:
        metadata.create_all(conn, tables=[schema_version])
        found = current_version(conn)
        if not conn.execute(select(schema_version.c.version)).first():
            conn.execute(schema_version.insert().values(version=0))
    if found > LATEST:
        raise UserError(f"The run store was written by a newer mllab (schema {found}; this one knows up to {LATEST}). "
                        "Upgrade mllab, or point MLLAB_DATA_DIR at another folder.")
    for version, step in MIGRATIONS:
        if version <= found:
            continue
        with engine.begin() as conn:
            if current_version(conn) >= version:  # another app server migrated it meanwhile
                continue
            step(conn)
            conn.execute(schema_version.update().values(version=version))
    return found
