"""A classroom room as this session sees it: the workspace's membership, the lecturer's secret, the step a
member applied, and what a lecturer's push does to a member's session. The Classroom page, the banner and
the Train and Search pages draw from here (ui.panels.classroom).

The rooms themselves live in the store (mllab/store/rooms.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import streamlit as st

from mllab.errors import UserError
from mllab.models import FAMILIES
from mllab.params import defaults
from mllab.prepare import PREPROCESSING_SCHEMA
from mllab.store import StoreError, valid_token
from mllab.store.rooms import FIXED_PREPROCESSING, membership, pushed_step, room_signal
from mllab.training import VALIDATION_SCHEMA
from ui.state import keys, session, settings, transactions, workspace
from ui.state.navigation import TOKEN_PARAM, lecturing  # noqa: F401 - lecturing: the pages ask here

ADMIN_PARAM = "room_admin"


def store_ready() -> bool:
    return workspace.store() is not None and workspace.workspace_id() is not None


def my_membership() -> dict | None:
    """This workspace's room (looked up once per browser session; joining and leaving update it)."""
    if keys.ROOM_MEMBER not in st.session_state:
        found = None
        if store_ready():
            try:
                found = membership(workspace.store(), workspace.workspace_id())
                applied = workspace.store().values(workspace.workspace_id()).get(keys.ROOM_APPLIED)
            except StoreError:
                found = applied = None
            if found is not None and applied:
                st.session_state[keys.ROOM_APPLIED] = tuple(applied)
        st.session_state[keys.ROOM_MEMBER] = {"room": found.room.id, "code": found.room.code,
                                              "nickname": found.nickname} if found is not None else False
    return st.session_state[keys.ROOM_MEMBER] or None


def joined(room_id: str, code: str, nickname: str) -> None:
    st.session_state[keys.ROOM_MEMBER] = {"room": room_id, "code": code, "nickname": nickname}
    st.session_state.pop(keys.ROOM_APPLIED, None)
    st.session_state.pop(keys.ROOM_CLOSED, None)


def left() -> None:
    st.session_state[keys.ROOM_MEMBER] = False
    st.session_state.pop(keys.ROOM_APPLIED, None)


def applied_push() -> tuple | None:
    """(room id, push number) of the step this member applied last."""
    return st.session_state.get(keys.ROOM_APPLIED)


def apply_push() -> None:
    """The banner's Apply (an on_click callback): the pushed step's data and settings into this workspace.

    A callback runs whole before the script, so no rerun that arrives meanwhile (a timed fragment poll, a
    click elsewhere) can stop it half-way, with the data loaded but the step not marked applied and the
    run then missing from the board. The page switch follows in the script (`train_page_due`)."""
    try:
        room, pushed = pushed_step(workspace.store(), workspace.workspace_id())
        transactions.apply_settings(pushed)
    except (UserError, StoreError) as err:
        leave_note(str(err))
        return
    transactions.forget_shared_settings()  # the room's own note says where these settings came from
    st.session_state[keys.ROOM_APPLIED] = (room.id, room.push_seq)
    workspace.remember(keys.ROOM_APPLIED, [room.id, room.push_seq])
    st.session_state[keys.ROOM_GO_TRAIN] = True


def train_page_due() -> bool:
    """After Apply, the Train page. The flag stays until the Train page is reached (`arrived_on_train`), so a
    switch overtaken by another rerun is made again by the banner's next poll instead of being lost."""
    return bool(st.session_state.get(keys.ROOM_GO_TRAIN))


def arrived_on_train() -> None:
    st.session_state.pop(keys.ROOM_GO_TRAIN, None)


def leave_note(text: str) -> None:
    """A sentence for the member's banner (a push that could not be applied, a run not put on the board)."""
    st.session_state[keys.ROOM_NOTE] = text


def take_note() -> str | None:
    return st.session_state.pop(keys.ROOM_NOTE, None)


def closed_sentence() -> str | None:
    return st.session_state.get(keys.ROOM_CLOSED)


def signal(member: dict) -> tuple[str, int, str | None] | None:
    """The room's status and push count (one row read by its key), and what changed since the last look:
    "closed" (the member has left), "status" (frozen or reopened), or None. None when the store cannot answer."""
    try:
        status, seq = room_signal(workspace.store(), member["room"])
    except StoreError:
        return None
    previous = st.session_state.get(keys.ROOM_STATUS)
    st.session_state[keys.ROOM_STATUS] = status
    if status == "closed":
        st.session_state[keys.ROOM_MEMBER] = False
        st.session_state[keys.ROOM_CLOSED] = f"Room {member['code']} has closed. Your runs stay in your workspace."
        return status, seq, "closed" if previous not in (None, "closed") else None
    return status, seq, "status" if previous is not None and previous != status else None


def push_title(room_id: str, seq: int) -> str:
    cached = st.session_state.get(keys.ROOM_PUSH_TITLE)
    if cached and cached[0] == (room_id, seq):
        return cached[1]
    found = membership(workspace.store(), workspace.workspace_id())
    title = (found.room.push_title or "a step") if found is not None else "a step"
    st.session_state[keys.ROOM_PUSH_TITLE] = ((room_id, seq), title)
    return title


def lecturer_secret() -> str | None:
    return st.session_state.get(keys.ROOM_ADMIN)


def set_lecturer_secret(secret: str) -> None:
    """The lecturer's rights, held by the session only: the address bar, on the hall's screen, loses both
    secrets (this one and the workspace token, see navigation.lecturing); `lecture_cookie` lets a refresh find them."""
    st.session_state[keys.ROOM_ADMIN] = secret
    st.query_params.pop(ADMIN_PARAM, None)
    st.query_params.pop(TOKEN_PARAM, None)


# A refresh opens a new session with nothing in it, and a script cannot set a cookie (NOTES.md), so the page sets
# this one in the browser with a line of script; ui.state.opening reads it back through st.context.cookies.
LECTURE_COOKIE = "mllab_lecture"


def lecture_cookie_script(workspace_token: str | None, secret: str | None, expires_at: float | None) -> str | None:
    """The script that keeps this browser's lecture ("<token>.<secret>") until the room expires, or forgets it
    (`expires_at` None). Both are store-made tokens checked against their pattern, never user text; None when
    they are not. The expiry is a date, not a count of seconds, so the script is the same on every rerun."""
    if expires_at is None:
        return f"<script>document.cookie = '{LECTURE_COOKIE}=; path=/; max-age=0; samesite=strict';</script>"
    if not (valid_token(workspace_token) and valid_token(secret)):
        return None
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(expires_at))
    return (f"<script>document.cookie = '{LECTURE_COOKIE}={workspace_token}.{secret}; path=/; expires={when}; "
            "samesite=strict';</script>")


LAST_STEP = "room-last-step"  # the workspace's value: the lecturer's push form choice pushed last


def last_pushed_choice() -> str | None:
    return (st.session_state.get(keys.SAVED) or {}).get(LAST_STEP)


def pushed_choice(choice: str) -> None:
    workspace.remember(LAST_STEP, choice)


def stop_lecturing() -> None:
    """The room closed: its secret opens nothing more, so the workspace token goes back into the address."""
    st.session_state.pop(keys.ROOM_ADMIN, None)
    if workspace.token():
        st.query_params[TOKEN_PARAM] = workspace.token()


def lecture_from_cookie() -> tuple[str, str] | None:
    """(workspace token, lecturer secret) this browser kept for its room, or None."""
    value = st.context.cookies.get(LECTURE_COOKIE)
    if not isinstance(value, str):  # none kept (AppTest's sessions have no browser, nor cookies)
        return None
    token, _, secret = value.partition(".")
    return (token, secret) if valid_token(token) and valid_token(secret) else None


# -- the Train and Search pages of a room's member -------------------------------------------------------

@dataclass(frozen=True)
class RoomMode:
    """The pushed step a member applied, while their data is still its data."""

    room_id: str
    code: str
    seq: int
    settings: dict
    visible: frozenset
    frozen: bool

    @property
    def family(self) -> str:
        return self.settings["family"]

    def fixed_params(self) -> dict:
        params = self.settings.get("params") or {}
        return {p.name: params.get(p.name, p.default) for p in FAMILIES[self.family].params
                if f"hp:{p.name}" not in self.visible}

    def fixed_preprocessing(self) -> dict:
        values = self.settings.get("preprocessing") or {}
        return {p.name: values.get(p.name, p.default) for p in PREPROCESSING_SCHEMA
                if p.name in FIXED_PREPROCESSING or f"pp:{p.name}" not in self.visible}

    @property
    def shows_preprocessing(self) -> bool:
        return any(v.startswith("pp:") for v in self.visible)

    @property
    def validation(self) -> dict:
        return {**defaults(VALIDATION_SCHEMA), **(self.settings.get("validation") or {})}


OTHER_DATA = "other data"


def room_mode() -> RoomMode | str | None:
    """The room step the Train and Search pages use; OTHER_DATA when the member loaded other data since applying
    it; None otherwise (not in a room, the step not applied). Puts the step's model on the Train page."""
    mode = _applied_step()
    if isinstance(mode, RoomMode):
        settings.put("family", mode.family)
    return mode


def fixed_by_lecturer(mode: RoomMode | str | None, run_family: str, action) -> bool:
    """Whether a verdict's fix (`action`: params, preprocessing, validation, columns left out, markers made
    missing) would change what the lecturer set for the room's step: a hidden control, the fixed split, the
    step's data or model. `mode` is `step_in_force()`, asked once per panel."""
    if not isinstance(mode, RoomMode):
        return False
    if run_family != mode.family or action.validation or action.exclude or action.missing:
        return True
    return any(f"hp:{name}" not in mode.visible for name in dict(action.params or {})) or any(
        name in FIXED_PREPROCESSING or f"pp:{name}" not in mode.visible for name in dict(action.preprocessing or {}))


def step_in_force() -> RoomMode | str | None:
    """`room_mode` without putting the step's model on the Train page (for panels that only ask)."""
    return _applied_step()


def _applied_step() -> RoomMode | str | None:
    member, applied = my_membership(), applied_push()
    if member is None or not applied or applied[0] != member["room"]:
        return None
    try:
        found = membership(workspace.store(), workspace.workspace_id())
    except StoreError:
        return None
    if found is None or found.room.push_seq != applied[1] or found.room.push_settings is None:
        return None
    pushed = found.room.push_settings
    source, data = session.data_source(), pushed.get("data") or {}
    same_data = source.get("kind") == data.get("kind") and (
        source.get("key") == data.get("key") if data.get("kind") == "builtin"
        else [f.get("sha256") for f in source.get("files", [])] == [f.get("sha256") for f in data.get("files", [])])
    if not same_data or session.current_target() != pushed.get("target"):
        return OTHER_DATA
    return RoomMode(found.room.id, found.room.code, found.room.push_seq, pushed, frozenset(found.room.visible),
                    found.room.status == "frozen")
