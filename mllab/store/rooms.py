"""Classroom rooms: a lecturer pushes a step to the students' pages and watches the class train it.

A room has two ways in. Its code ("ASTRO-42": a word and two digits 2–9, shown on the lecture
hall's screen) lets a student join with a nickname; it is not a secret and opens only that: the
student's own workspace joins, and sees the step pushed last. The lecturer's link carries a
separate secret (144 random bits, kept as its SHA-256, like a workspace token): every lecturer
action here takes that secret, never the code or a room id a student's page knows.

A student's page learns of a new push by polling `room_signal`: one row read by its primary key
(status, push count). The leaderboard reads only the runs students trained on the pushed step,
linked to it when Train was pressed (`link_run`); the push fixes validation, test fraction and
seed, so every score is on the same test rows.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from mllab.errors import UserError
from mllab.store.codec import CodecError, decode
from mllab.store.database import StoreError, reading, writing
from mllab.store.schema import room_members, room_runs, rooms, run_results, runs
from mllab.store.shares import hand_on_files
from mllab.store.store import TOKEN_BYTES, Store, valid_token

# Short, distinct words a hall reads aloud without spelling; no two share their first three letters.
WORDS = ("ASTRO", "COMET", "NOVA", "ORBIT", "PULSAR", "QUASAR", "NEBULA", "HALO", "LENS", "DUST", "METEOR", "GALAXY",
         "PLANET", "LUNAR", "SOLAR", "ZENITH", "APEX", "CORONA", "FLARE", "VEGA", "SIRIUS", "RIGEL", "DENEB", "ALTAIR",
         "CASTOR", "POLARIS", "TITAN", "EUROPA", "GANYMEDE", "KEPLER", "HUBBLE", "GAIA", "WEBB", "HERSCHEL", "MESSIER",
         "CEPHEID", "MIRA", "BLAZAR", "MAGNETAR", "AURORA")
DIGITS = "23456789"  # no 0 or 1: never read as O or I
CODE_PATTERN = re.compile(r"([A-Z]+)-?([2-9]{2})")
ROOM_HOURS = 12.0  # a room lasts a lecture day; its code is then free again
MAX_NICKNAME = 24
STATUSES = ("open", "frozen", "closed")
# Settings a push fixes for every student: the split that scores them all on the same rows.
FIXED_PREPROCESSING = ("test_fraction", "stratify", "seed")


class RoomError(UserError):
    """A room that cannot be used as asked; the message is a sentence for the page."""


class RoomFrozen(RoomError):
    """The lecturer froze the room: no new runs for now."""


@dataclass
class Room:
    id: str
    code: str
    status: str
    expires_at: float
    push_seq: int = 0
    push_title: str | None = None
    push_settings: dict | None = None
    visible: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.status != "closed" and self.expires_at > time.time()


@dataclass(frozen=True)
class Membership:
    room: Room
    nickname: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def normalise_code(text: object) -> str | None:
    """A code as typed ("astro 42", "Astro-42") in its screen form ("ASTRO-42"), or None."""
    if not isinstance(text, str):
        return None
    squeezed = re.sub(r"[\s_.]+", "", text.upper())[:30]
    match = CODE_PATTERN.fullmatch(squeezed)
    return f"{match.group(1)}-{match.group(2)}" if match and match.group(1) in WORDS else None


def clean_nickname(text: object) -> str:
    """A nickname as it will be shown: one line of visible characters, at most MAX_NICKNAME long.
    HTML in it is kept as the text it is; the pages show nicknames escaped, never as markup."""
    name = unicodedata.normalize("NFC", str(text or ""))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # control and format characters
    name = re.sub(r"\s+", " ", name).strip()
    if not name:
        raise RoomError("Type a nickname: it is the name the class sees on the leaderboard.")
    if len(name) > MAX_NICKNAME:
        raise RoomError(f"A nickname can be at most {MAX_NICKNAME} characters; this one has {len(name)}.")
    return name


def _room_of(row) -> Room:
    return Room(id=row.id, code=row.code, status=row.status, expires_at=row.expires_at, push_seq=row.push_seq or 0,
                push_title=row.push_title, push_settings=json.loads(row.push_settings) if row.push_settings else None,
                visible=json.loads(row.visible or "[]"))


def _close_expired(conn) -> None:
    conn.execute(update(rooms).where(rooms.c.status != "closed", rooms.c.expires_at < time.time())
                 .values(status="closed"))


def create_room(store: Store, workspace: str) -> tuple[Room, str]:
    """A new open room owned by `workspace`; returns it and the lecturer's secret (given out once)."""
    secret = secrets.token_urlsafe(TOKEN_BYTES)
    for _ in range(20):
        room_id = secrets.token_hex(16)
        now = time.time()
        try:
            with writing(store.engine) as conn:
                _close_expired(conn)
                taken = {r[0] for r in conn.execute(select(rooms.c.code).where(rooms.c.status != "closed"))}
                free = [f"{w}-{a}{b}" for w in WORDS for a in DIGITS for b in DIGITS if f"{w}-{a}{b}" not in taken]
                if not free:
                    raise RoomError("Every room code is in use on this server; close a room first.")
                code = secrets.choice(free)
                conn.execute(rooms.insert().values(id=room_id, code=code, admin_hash=_hash(secret),
                                                   workspace_id=workspace, status="open", created_at=now,
                                                   expires_at=now + ROOM_HOURS * 3600, push_seq=0, visible="[]"))
        except StoreError as err:
            if isinstance(err.__cause__, IntegrityError):  # another server drew the same code meanwhile
                continue
            raise
        return Room(id=room_id, code=code, status="open", expires_at=now + ROOM_HOURS * 3600), secret
    raise RoomError("No free room code could be drawn; try again.")


def room_for_lecturer(store: Store, secret: object) -> Room | None:
    """The room a lecturer's secret opens (closed ones included, so the page can say so), or None."""
    if not valid_token(secret):
        return None
    with reading(store.engine) as conn:
        row = conn.execute(select(rooms).where(rooms.c.admin_hash == _hash(secret))).first()
    return _room_of(row) if row is not None else None


def _lecturer_room_id(conn, secret: object) -> str:
    if not valid_token(secret):
        raise RoomError(LECTURER_LINK_NOTHING)
    row = conn.execute(select(rooms.c.id, rooms.c.status).where(rooms.c.admin_hash == _hash(secret))).first()
    if row is None:
        raise RoomError(LECTURER_LINK_NOTHING)
    if row.status == "closed":
        raise RoomError("This room is closed; create a new one for the next lecture.")
    return row.id


LECTURER_LINK_NOTHING = ("That lecturer link opens no room: it may be mistyped or cut short. A room's code or a "
                         "student's link never opens the lecturer's page.")


def push(store: Store, secret: str, title: str, settings: dict, visible: list[str]) -> int:
    """Push a step (settings as a share link holds them) with the controls students see; returns its number."""
    validation = settings.get("validation") or {}
    if validation.get("scheme", "holdout") != "holdout":
        raise RoomError("A pushed step is scored on one test split: set its validation to hold-out.")
    with writing(store.engine) as conn:
        room_id = _lecturer_room_id(conn, secret)
        seq = conn.execute(select(rooms.c.push_seq).where(rooms.c.id == room_id)).scalar() + 1
        conn.execute(update(rooms).where(rooms.c.id == room_id).values(
            push_seq=seq, push_title=title[:300], push_settings=json.dumps(settings, sort_keys=True),
            pushed_at=time.time(), visible=json.dumps(list(visible))))
    return seq


def set_visible(store: Store, secret: str, visible: list[str]) -> None:
    with writing(store.engine) as conn:
        room_id = _lecturer_room_id(conn, secret)
        conn.execute(update(rooms).where(rooms.c.id == room_id).values(visible=json.dumps(list(visible))))


def set_status(store: Store, secret: str, status: str) -> None:
    """Freeze ("frozen"), reopen ("open") or close ("closed", for good) the room."""
    if status not in STATUSES:
        raise ValueError(status)
    with writing(store.engine) as conn:
        room_id = _lecturer_room_id(conn, secret)
        conn.execute(update(rooms).where(rooms.c.id == room_id).values(status=status))


# -- students ----------------------------------------------------------------------------------------

def unknown_code_sentence(typed: str) -> str:
    shown = typed.strip()[:30] or "that code"
    return (f"No open room has the code “{shown}”. Check it on the lecturer's screen (a word and two digits, such as "
            "ASTRO-42); a room ends when its lecture does.")


def join_room(store: Store, code_text: str, workspace: str, nickname_text: str) -> Membership:
    """Join the open room with this code under a nickname; a workspace is in one room at a time."""
    nickname = clean_nickname(nickname_text)
    code = normalise_code(code_text)
    if code is None:
        raise RoomError(unknown_code_sentence(str(code_text or "")))
    with writing(store.engine) as conn:
        _close_expired(conn)
        row = conn.execute(select(rooms).where(rooms.c.code == code, rooms.c.status != "closed")).first()
        if row is None:
            raise RoomError(unknown_code_sentence(code))
        holder = conn.execute(select(room_members.c.workspace_id).where(
            room_members.c.room_id == row.id, room_members.c.nickname_key == nickname.casefold())).scalar()
        if holder is not None and holder != workspace:
            raise RoomError(f"Someone in this room is already called “{nickname}”; choose another nickname.")
        conn.execute(delete(room_members).where(room_members.c.workspace_id == workspace))
        conn.execute(room_members.insert().values(room_id=row.id, workspace_id=workspace, nickname=nickname,
                                                  nickname_key=nickname.casefold(), joined_at=time.time()))
    return Membership(_room_of(row), nickname)


def leave_room(store: Store, workspace: str) -> None:
    with writing(store.engine) as conn:
        conn.execute(delete(room_members).where(room_members.c.workspace_id == workspace))


def membership(store: Store, workspace: str) -> Membership | None:
    """The room this workspace is in, while that room is open or frozen."""
    with reading(store.engine) as conn:
        row = conn.execute(select(rooms, room_members.c.nickname).join(room_members, room_members.c.room_id == rooms.c.id)
                           .where(room_members.c.workspace_id == workspace)).first()
    if row is None:
        return None
    room = _room_of(row)
    return Membership(room, row.nickname) if room.usable else None


def room_signal(store: Store, room_id: str) -> tuple[str, int]:
    """(status, push count) of a room: what a student's page polls, one row by its key. A room past
    its time reads as closed."""
    with reading(store.engine) as conn:
        row = conn.execute(select(rooms.c.status, rooms.c.push_seq, rooms.c.expires_at)
                           .where(rooms.c.id == room_id)).first()
    if row is None or row.expires_at < time.time():
        return "closed", 0
    return row.status, row.push_seq or 0


def pushed_step(store: Store, workspace: str) -> tuple[Room, dict]:
    """The room's current push for a member, the uploaded files it trains on now kept by the member's
    workspace too; RoomError when there is none."""
    found = membership(store, workspace)
    if found is None:
        raise RoomError("You are not in an open room any more.")
    room = found.room
    if room.push_settings is None:
        raise RoomError("Your lecturer has not pushed a step yet.")
    data = room.push_settings.get("data") or {}
    if data.get("kind") == "upload":
        with reading(store.engine) as conn:
            lecturer = conn.execute(select(rooms.c.workspace_id).where(rooms.c.id == room.id)).scalar()
        hand_on_files(store, lecturer, workspace, data.get("files", []))
    return room, room.push_settings


def pushed_split(settings: dict) -> dict:
    """The settings a push fixes for every student: validation, and the split's share, stratification, seed."""
    preprocessing = settings.get("preprocessing") or {}
    return {"scheme": (settings.get("validation") or {}).get("scheme", "holdout"),
            **{name: preprocessing.get(name) for name in FIXED_PREPROCESSING}}


def check_can_train(store: Store, workspace: str) -> None:
    """RoomFrozen when this workspace's room is frozen (new runs refused); nothing otherwise."""
    found = membership(store, workspace)
    if found is not None and found.room.status == "frozen":
        raise RoomFrozen("Your lecturer has paused new runs in this room for now; your settings and runs are kept. "
                         "Train again when the room reopens.")


def link_run(store: Store, workspace: str, room_id: str, push_seq: int, run_id: str) -> None:
    """Put a student's run on the room's board for the push it trained. The run must be this workspace's,
    the room open, the push the current one, and the run's split the pushed one."""
    with writing(store.engine) as conn:
        row = conn.execute(select(rooms).join(room_members, room_members.c.room_id == rooms.c.id)
                           .where(rooms.c.id == room_id, room_members.c.workspace_id == workspace)).first()
        if row is None or not _room_of(row).usable:
            raise RoomError("You are not in an open room any more, so this run is yours alone.")
        if row.status == "frozen":
            raise RoomFrozen("Your lecturer has paused new runs in this room for now.")
        if row.push_seq != push_seq:
            raise RoomError("Your lecturer has pushed a new step since; apply it to train for the board.")
        settings = conn.execute(select(runs.c.settings).where(runs.c.id == run_id,
                                                              runs.c.workspace_id == workspace)).scalar()
        if settings is None:
            raise RoomError("That run is not kept in your workspace.")
        recorded, pushed = json.loads(settings), json.loads(row.push_settings or "{}")
        if _split_of_run(recorded) != pushed_split(pushed) or recorded.get("family") != pushed.get("family"):
            raise RoomError("This run's model or test split is not the pushed one, so it is not on the board.")
        conn.execute(room_runs.insert().values(room_id=room_id, push_seq=push_seq, run_id=run_id, workspace_id=workspace,
                                               created_at=time.time()))


def _split_of_run(settings: dict) -> dict:
    validation = settings.get("validation") or {}
    return pushed_split({"validation": validation, "preprocessing": settings.get("preprocessing") or {}})


# -- what the lecturer watches ---------------------------------------------------------------------

@dataclass(frozen=True)
class ClassRow:
    nickname: str
    runs: int
    latest_status: str | None  # queued, running, completed, … of their latest run on the pushed step


@dataclass(frozen=True)
class BoardRow:
    nickname: str  # "Baseline" for the baseline row
    score: float
    runs: int
    is_baseline: bool = False


def class_view(store: Store, secret: str) -> list[ClassRow]:
    """Every member with their runs on the current push: how many, and the latest one's status."""
    with reading(store.engine) as conn:
        room_id = _lecturer_room_id_any(conn, secret)
        seq = conn.execute(select(rooms.c.push_seq).where(rooms.c.id == room_id)).scalar()
        members = conn.execute(select(room_members.c.workspace_id, room_members.c.nickname)
                               .where(room_members.c.room_id == room_id).order_by(room_members.c.joined_at)).all()
        linked = conn.execute(select(room_runs.c.workspace_id, runs.c.status, runs.c.created_at)
                              .join(runs, runs.c.id == room_runs.c.run_id)
                              .where(room_runs.c.room_id == room_id, room_runs.c.push_seq == seq)).all()
    by_member: dict[str, list] = {}
    for row in linked:
        by_member.setdefault(row.workspace_id, []).append(row)
    rows = []
    for member in members:
        mine = sorted(by_member.get(member.workspace_id, []), key=lambda r: r.created_at)
        rows.append(ClassRow(member.nickname, len(mine), mine[-1].status if mine else None))
    return rows


def _lecturer_room_id_any(conn, secret: object) -> str:
    """As _lecturer_room_id, closed rooms included: a closed room's board can still be read."""
    if not valid_token(secret):
        raise RoomError(LECTURER_LINK_NOTHING)
    room_id = conn.execute(select(rooms.c.id).where(rooms.c.admin_hash == _hash(secret))).scalar()
    if room_id is None:
        raise RoomError(LECTURER_LINK_NOTHING)
    return room_id


def leaderboard(store: Store, secret: str) -> tuple[list[BoardRow], str]:
    """Each member's best finished run on the current push, best first, with the baseline as a row; and the
    score's name ("Test accuracy" or "Test R²"). Scores are on the pushed test split."""
    with reading(store.engine) as conn:
        room_id = _lecturer_room_id_any(conn, secret)
        room = _room_of(conn.execute(select(rooms).where(rooms.c.id == room_id)).first())
        linked = conn.execute(select(room_runs.c.workspace_id, room_runs.c.run_id, room_members.c.nickname)
                              .join(runs, runs.c.id == room_runs.c.run_id)
                              .join(room_members, (room_members.c.room_id == room_runs.c.room_id)
                                    & (room_members.c.workspace_id == room_runs.c.workspace_id))
                              .where(room_runs.c.room_id == room_id, room_runs.c.push_seq == room.push_seq,
                                     runs.c.status == "completed")).all()
        ids = [r.run_id for r in linked]
        payloads = conn.execute(select(run_results.c.run_id, run_results.c.kind, run_results.c.payload)
                                .where(run_results.c.run_id.in_(ids),
                                       run_results.c.kind.in_(("evaluation", "baseline")))).all() if ids else []
    regression = (room.push_settings or {}).get("task") == "regression"
    metric, label = ("r2", "Test R²") if regression else ("accuracy", "Test accuracy")
    decoded: dict[str, dict] = {}
    for row in payloads:
        try:
            decoded.setdefault(row.run_id, {})[row.kind] = decode(row.payload)
        except (CodecError, KeyError, TypeError, ValueError):
            continue  # a result that cannot be read back is left off the board
    best: dict[str, tuple[float, str, int]] = {}
    baseline = None
    for row in linked:
        found = decoded.get(row.run_id, {})
        if "evaluation" not in found:
            continue
        score = found["evaluation"].summary().get(metric)
        if score is None:
            continue
        if baseline is None and found.get("baseline") is not None:
            baseline = found["baseline"].score(metric)
        count = best.get(row.workspace_id, (0.0, "", 0))[2] + 1
        if row.workspace_id not in best or score > best[row.workspace_id][0]:
            best[row.workspace_id] = (score, row.nickname, count)
        else:
            best[row.workspace_id] = (*best[row.workspace_id][:2], count)
    board = [BoardRow(nickname, score, count) for score, nickname, count in best.values()]
    if baseline is not None:
        board.append(BoardRow("Baseline (no features)", baseline, 0, is_baseline=True))
    board.sort(key=lambda r: -r.score)
    return board, label
