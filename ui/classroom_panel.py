"""The classroom on the pages: the Classroom page's three views (join or create, a student's room, the
lecturer's room), the banner that tells a student of a new push on every page, and what the Train
and Search pages do for a room's member (the lecturer's hidden controls, the fixed split, a frozen room).

The rooms themselves live in the store (mllab/store/rooms.py). Nicknames and typed codes are
user text: shown in tables or escaped markdown, never as HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from mllab.datasets import markdown_escape
from mllab.errors import UserError
from mllab.models import FAMILIES
from mllab.params import applicable
from mllab.prepare import PREPROCESSING_SCHEMA
from mllab.presets import WORKFLOWS
from mllab.store import StoreError
from mllab.store.rooms import (FIXED_PREPROCESSING, LECTURER_LINK_NOTHING, MAX_NICKNAME, check_can_train,
                               class_view, create_room, join_room, leaderboard, leave_room, link_run, membership, normalise_code, push,
                               pushed_step, room_for_lecturer, room_signal, set_status, set_visible)
from ui import session, workspace
from ui.share_panel import APPLIED_KEY as SHARE_APPLIED
from ui.share_panel import app_url, apply_settings, settings_from_state, settings_of_step

ADMIN_PARAM = "room_admin"
POLL_S = 1.5  # a student's page asks for a new push this often: one row read by its key
BOARD_POLL_S = 3.0
_MEMBER = "room-member"  # {"room", "code", "nickname"} of this workspace's room, or False; looked up once
_APPLIED = "room-applied"  # [room id, push number] the student applied last (also kept in the workspace)
_ADMIN = "room-admin"  # the lecturer's secret for this session's room
_STATUS = "room-status"
_NOTE = "room-note"
_GO_TRAIN = "room-go-train"  # Apply was pressed: the Train page is due
_CLOSED = "room-closed"  # the sentence saying this session's room has closed, shown until another is joined
STATUS_WORDS = {None: "Not started", "queued": "Queued", "running": "Training", "completed": "Done",
                "stopped": "Stopped", "failed": "Failed", "interrupted": "Interrupted"}


def _store_ready() -> bool:
    return workspace.store() is not None and workspace.workspace_id() is not None


# -- a student's membership ------------------------------------------------------------------------

def my_membership() -> dict | None:
    """This workspace's room (looked up once per browser session; joining and leaving update it)."""
    if _MEMBER not in st.session_state:
        found = None
        if _store_ready():
            try:
                found = membership(workspace.store(), workspace.workspace_id())
                applied = workspace.store().values(workspace.workspace_id()).get(_APPLIED)
            except StoreError:
                found = applied = None
            if found is not None and applied:
                st.session_state[_APPLIED] = tuple(applied)
        st.session_state[_MEMBER] = {"room": found.room.id, "code": found.room.code, "nickname": found.nickname} \
            if found is not None else False
    return st.session_state[_MEMBER] or None


def _apply_push() -> None:
    """The banner's Apply (an on_click callback): the pushed step's data and settings into this workspace.

    A callback runs whole before the script, so no rerun that arrives meanwhile (a timed fragment poll, a
    click elsewhere) can stop it half-way, with the data loaded but the step not marked applied and the
    run then missing from the board. The page switch follows in the script (`_go_to_train`)."""
    try:
        room, settings = pushed_step(workspace.store(), workspace.workspace_id())
        apply_settings(settings)
    except (UserError, StoreError) as err:
        st.session_state[_NOTE] = str(err)
        return
    st.session_state.pop(SHARE_APPLIED, None)  # the room's own note says where these settings came from
    st.session_state[_APPLIED] = (room.id, room.push_seq)
    workspace.remember(_APPLIED, [room.id, room.push_seq])
    st.session_state[_GO_TRAIN] = True


def _go_to_train() -> None:
    """After Apply, the Train page. The flag stays until the Train page is reached (`arrived_on_train`), so a
    switch overtaken by another rerun is made again by the banner's next poll instead of being lost."""
    if st.session_state.get(_GO_TRAIN):
        workspace.switch_page("pages/1_Train.py")


def arrived_on_train() -> None:
    st.session_state.pop(_GO_TRAIN, None)


def room_banner() -> None:
    """On every page of a room's member: the lecturer's newest push with Apply, within POLL_S seconds,
    without a reload (a fragment that reads one row by its key)."""
    member = my_membership()
    if member is None:
        if st.session_state.get(_CLOSED):
            st.info(st.session_state[_CLOSED])
        return

    @st.fragment(run_every=POLL_S)
    def poll():
        try:
            status, seq = room_signal(workspace.store(), member["room"])
        except StoreError:
            return
        _go_to_train()
        previous = st.session_state.get(_STATUS)
        st.session_state[_STATUS] = status
        if status == "closed":
            st.session_state[_MEMBER] = False
            st.session_state[_CLOSED] = f"Room {member['code']} has closed. Your runs stay in your workspace."
            st.info(st.session_state[_CLOSED])
            if previous not in (None, "closed"):
                st.rerun(scope="app")  # the Train page shows every control again
            return
        if previous is not None and previous != status:
            st.rerun(scope="app")  # frozen or reopened: the Train button follows
        applied = st.session_state.get(_APPLIED)
        if seq and applied != (member["room"], seq):
            title = _push_title(member["room"], seq)
            with st.container(border=True):
                text, button = st.columns([4, 1], vertical_alignment="center")
                text.markdown(f":material/campaign: **Your lecturer shared:** {markdown_escape(title)}")
                button.button("Apply", key=f"room-apply-{seq}", type="primary", width="stretch", on_click=_apply_push)
        if status == "frozen":
            st.warning("Your lecturer has paused new runs in this room for now.")
        note = st.session_state.pop(_NOTE, None)
        if note:
            st.error(note)

    poll()


def _push_title(room_id: str, seq: int) -> str:
    cached = st.session_state.get("room-push-title")
    if cached and cached[0] == (room_id, seq):
        return cached[1]
    found = membership(workspace.store(), workspace.workspace_id())
    title = (found.room.push_title or "a step") if found is not None else "a step"
    st.session_state["room-push-title"] = ((room_id, seq), title)
    return title


# -- the Train page for a room's member -------------------------------------------------------------

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
        from mllab.params import defaults
        from mllab.training import VALIDATION_SCHEMA

        return {**defaults(VALIDATION_SCHEMA), **(self.settings.get("validation") or {})}


def room_mode() -> RoomMode | None:
    """The room step the Train and Search pages use, or None (not in a room, the step not applied, other data
    loaded). Sets the Train page's model to the step's; on other data it says so in a caption."""
    member, applied = my_membership(), st.session_state.get(_APPLIED)
    if member is None or not applied or applied[0] != member["room"]:
        return None
    try:
        found = membership(workspace.store(), workspace.workspace_id())
    except StoreError:
        return None
    if found is None or found.room.push_seq != applied[1] or found.room.push_settings is None:
        return None
    settings = found.room.push_settings
    source, pushed = session.data_source(), settings.get("data") or {}
    same_data = source.get("kind") == pushed.get("kind") and (
        source.get("key") == pushed.get("key") if pushed.get("kind") == "builtin"
        else [f.get("sha256") for f in source.get("files", [])] == [f.get("sha256") for f in pushed.get("files", [])])
    if not same_data or session.current_target() != settings.get("target"):
        st.caption("You loaded other data since applying your lecturer's step: what you train now is yours alone. "
                   "Apply the step again to train for the room's board.")
        return None
    st.session_state["family"] = settings["family"]
    return RoomMode(found.room.id, found.room.code, found.room.push_seq, settings, frozenset(found.room.visible),
                    found.room.status == "frozen")


def room_train_note(room: RoomMode) -> None:
    pre = room.fixed_preprocessing()
    st.info(f"Room **{room.code}**: your lecturer's step. Hold-out on the test split your lecturer fixed (test "
            f"fraction {pre['test_fraction']:g}, seed {pre['seed']}); the settings shown are yours to change.",
            icon=":material/groups:")  # a frozen room is said by the banner above, on every page


def room_search_note(room: RoomMode) -> None:
    """On the Search page: the model, the hidden hyperparameters and the preprocessing are the step's."""
    st.caption(f"Room **{markdown_escape(room.code)}**: your lecturer fixed the model and the other settings of "
               "this step; vary the hyperparameters shown.")


def refuse_if_frozen() -> None:
    """Before Train: RoomFrozen (a sentence) when this workspace's room takes no new runs."""
    if _store_ready():
        check_can_train(workspace.store(), workspace.workspace_id())


def put_on_board(room: RoomMode | None, run) -> None:
    """After Train: the new run goes on the room's board (a sentence when it cannot)."""
    if room is None or not run.store_id:
        return
    try:
        link_run(workspace.store(), workspace.workspace_id(), room.room_id, room.seq, run.store_id)
    except (UserError, StoreError) as err:
        st.session_state[_NOTE] = str(err)


# -- the Classroom page ------------------------------------------------------------------------------

def classroom_page() -> None:
    if not _store_ready():
        st.error("Rooms need the run store, which is not available on this server just now.")
        return
    secret = st.query_params.get(ADMIN_PARAM)
    if secret is not None:
        room = room_for_lecturer(workspace.store(), secret)
        if room is None:
            st.error(LECTURER_LINK_NOTHING)
        else:
            st.session_state[_ADMIN] = secret
            _lecturer_view(room, secret)
            return
    elif st.session_state.get(_ADMIN):
        room = room_for_lecturer(workspace.store(), st.session_state[_ADMIN])
        if room is not None:
            st.query_params[ADMIN_PARAM] = st.session_state[_ADMIN]
            _lecturer_view(room, st.session_state[_ADMIN])
            return
    member = my_membership()
    if member is not None:
        _student_view(member)
    else:
        _join_or_create()


def _join_or_create() -> None:
    join, create = st.columns(2, gap="large")
    with join:
        st.subheader("Join your lecture's room", anchor=False)
        with st.form("room-join", border=False):
            code = st.text_input("Room code", key="room-code", max_chars=30, placeholder="ASTRO-42",
                                 help="The word and two digits on the lecturer's screen.")
            nickname = st.text_input("Nickname", key="room-nickname", max_chars=MAX_NICKNAME,
                                     help="The name the class sees on the leaderboard; no real name needed.")
            joined = st.form_submit_button("Join", type="primary")
        if joined:
            try:
                found = join_room(workspace.store(), code, workspace.workspace_id(), nickname)
            except (UserError, StoreError) as err:
                st.error(markdown_escape(str(err)))  # it quotes the code as typed
            else:
                st.session_state[_MEMBER] = {"room": found.room.id, "code": found.room.code,
                                             "nickname": found.nickname}
                st.session_state.pop(_APPLIED, None)
                st.session_state.pop(_CLOSED, None)
                st.rerun()
    with create:
        st.subheader("Run a room (lecturers)", anchor=False)
        st.caption("A room gives your class a code to join. You push a step to every student's page, choose which "
                   "controls they see, watch who is training and rank their runs on one test split.")
        if st.button("Create a room", key="room-create", icon=":material/add:"):
            room, secret = create_room(workspace.store(), workspace.workspace_id())
            st.session_state[_ADMIN] = secret
            st.query_params[ADMIN_PARAM] = secret
            st.rerun()


def _student_view(member: dict) -> None:
    st.subheader(f"Room {member['code']}", anchor=False)
    st.markdown(f"You are in this room as **{markdown_escape(member['nickname'])}**. When your lecturer pushes a "
                "step, it appears at the top of every page with an Apply button.")
    if st.button("Leave the room", key="room-leave", icon=":material/logout:"):
        leave_room(workspace.store(), workspace.workspace_id())
        st.session_state[_MEMBER] = False
        st.session_state.pop(_APPLIED, None)
        st.rerun()


CURRENT = "current"


def _step_choices() -> dict[str, str]:
    choices = {CURRENT: "The settings on my Train page now"}
    for workflow in WORKFLOWS:
        for step in workflow.steps:
            choices[f"{workflow.key}/{step.key}"] = f"{workflow.title} — {step.title}"
    return choices


def _settings_of_choice(choice: str) -> dict:
    if choice == CURRENT:
        settings = settings_from_state()
    else:
        workflow_key, step_key = choice.split("/", 1)
        workflow = next(w for w in WORKFLOWS if w.key == workflow_key)
        settings = settings_of_step(workflow, next(s for s in workflow.steps if s.key == step_key))
    # One test split scores every student: a K-fold step is pushed as a hold-out.
    settings["validation"] = {**settings.get("validation", {}), "scheme": "holdout"}
    return settings


def _control_options(family_key: str, task: str) -> dict[str, str]:
    options = {f"hp:{p.name}": f"{p.label}" for p in applicable(FAMILIES[family_key].params, task)}
    options.update({f"pp:{p.name}": f"Preprocessing: {p.label}" for p in applicable(PREPROCESSING_SCHEMA, task)
                    if p.name not in FIXED_PREPROCESSING})
    return options


def _lecturer_view(room, secret: str) -> None:
    status_words = {"open": "open", "frozen": "frozen: new runs refused", "closed": "closed"}
    st.markdown(f"Students join on the **Classroom** page with the code · room {status_words[room.status]}")
    if normalise_code(room.code) == room.code:  # letters, a hyphen, two digits: drawn by the store, never typed
        st.markdown(f"<div style='font-size:5rem;font-weight:700;letter-spacing:0.08em;line-height:1.1'>{room.code}"
                    "</div>", unsafe_allow_html=True)
    else:
        st.title(room.code)
    with st.expander("Your lecturer link (keep it private: it runs this room)"):
        st.code(app_url("Classroom", **{ADMIN_PARAM: secret}), language=None, wrap_lines=True)
    if room.status == "closed":
        st.info("This room is closed: its code is free again. Create a new room for the next lecture.")
        _board(secret)
        return
    push_col, control_col = st.columns([3, 2], gap="large")
    choices = _step_choices()
    with push_col:
        st.subheader("Push a step", anchor=False)
        choice = st.selectbox("Step", list(choices), format_func=choices.get, key="room-step")
        if room.push_title:
            st.caption(f"Pushed last: {markdown_escape(room.push_title)} (push {room.push_seq}).")
    try:
        settings = _settings_of_choice(choice)
    except UserError as err:
        push_col.error(str(err))
        settings = None
    with control_col:
        st.subheader("Controls students see", anchor=False)
        if settings is not None:
            options = _control_options(settings["family"], settings.get("task") or "classification")
            st.multiselect("Shown on their Train page", list(options), format_func=options.get, key="room-visible",
                           help="Everything else is set by the step and hidden. Validation, test fraction and seed "
                                "are always fixed, so every run is scored on the same test rows.")
    visible = [v for v in st.session_state.get("room-visible", []) if settings and v in
               _control_options(settings["family"], settings.get("task") or "classification")]
    buttons = st.columns(4)
    if buttons[0].button("Push to the class", key="room-push", type="primary", disabled=settings is None,
                         icon=":material/campaign:"):
        try:
            seq = push(workspace.store(), secret, settings["title"], settings, visible)
        except (UserError, StoreError) as err:
            st.error(str(err))
        else:
            st.success(f"Pushed “{markdown_escape(settings['title'])}” (push {seq}): it shows on every student's "
                       "page within a few seconds.")
    if buttons[1].button("Update the controls", key="room-controls", disabled=settings is None,
                         help="Show the students these controls for the step pushed last."):
        set_visible(workspace.store(), secret, visible)
    frozen = room.status == "frozen"
    if buttons[2].button("Reopen new runs" if frozen else "Freeze new runs", key="room-freeze",
                         icon=":material/play_arrow:" if frozen else ":material/pause:"):
        set_status(workspace.store(), secret, "open" if frozen else "frozen")
        st.rerun()
    if buttons[3].button("Close the room", key="room-close", icon=":material/close:",
                         help="Ends the room for good: students are told, their runs stay theirs."):
        set_status(workspace.store(), secret, "closed")
        st.rerun()
    _board(secret)


def _board(secret: str) -> None:
    @st.fragment(run_every=BOARD_POLL_S)
    def board():
        watch, ranking = st.columns(2, gap="large")
        rows = class_view(workspace.store(), secret)
        with watch:
            st.subheader(f"The class ({len(rows)} joined)", anchor=False)
            if rows:
                st.dataframe(pd.DataFrame([{"Nickname": r.nickname, "Runs": r.runs,
                                            "Latest run": STATUS_WORDS.get(r.latest_status, r.latest_status)}
                                           for r in rows]), hide_index=True, width="stretch", key="room-class")
            else:
                st.caption("Nobody has joined yet: show the code above.")
        entries, label = leaderboard(workspace.store(), secret)
        with ranking:
            st.subheader("Leaderboard", anchor=False)
            if entries:
                ranks = iter(range(1, len(entries) + 1))
                st.dataframe(pd.DataFrame([{"Rank": "" if e.is_baseline else str(next(ranks)), "Nickname": e.nickname,
                                            label: round(e.score, 4), "Runs": "" if e.is_baseline else str(e.runs)}
                                           for e in entries]),
                             hide_index=True, width="stretch", key="room-board")
                st.caption("Each student's best finished run on the step pushed last, scored on its fixed test split.")
            else:
                st.caption("No finished run on the pushed step yet.")

    board()
