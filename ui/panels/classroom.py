"""The classroom on the pages: the Classroom page's three views (join or create, a student's room, the
lecturer's room), the banner that tells a student of a new push on every page, and what the Train
and Search pages show a room's member. What a room does to the session is ui.state.room's.

Nicknames and typed codes are user text: shown in tables or escaped markdown, never as HTML.
"""

from __future__ import annotations

import io
from urllib.parse import urlparse

import pandas as pd
import qrcode
import streamlit as st

from mllab.datasets import markdown_escape
from mllab.errors import UserError
from mllab.models import FAMILIES
from mllab.params import applicable
from mllab.prepare import PREPROCESSING_SCHEMA
from mllab.presets import WORKFLOWS
from mllab.store import StoreError, StoreFault
from mllab.store.rooms import (FIXED_PREPROCESSING, LECTURER_LINK_NOTHING, MAX_NICKNAME, check_can_train, class_view,
                               create_room, join_room, leaderboard, leave_room, link_run, normalise_code, push,
                               room_for_lecturer, set_status, set_visible)
from ui.pages import CLASSROOM, TRAIN
from ui.state import navigation, room, transactions, widget_keys, workspace
from ui.state.room import ADMIN_PARAM, OTHER_DATA, RoomMode

JOIN_PARAM = "join"  # the join address's room code, filled into the join form
LOCAL_HOSTS = ("localhost", "0.0.0.0", "::1", "[::1]")
POLL_S = 1.5  # a student's page asks for a new push this often: one row read by its key
BOARD_POLL_S = 3.0
STATUS_WORDS = {None: "Not started", "queued": "Queued", "running": "Training", "completed": "Done",
                "stopped": "Stopped", "failed": "Failed", "interrupted": "Interrupted"}


def room_banner() -> None:
    """On every page of a room's member: the lecturer's newest push with Apply, within POLL_S seconds,
    without a reload (a fragment that reads one row by its key)."""
    member = room.my_membership()
    if member is None:
        if room.closed_sentence():
            st.info(room.closed_sentence())
        return

    @st.fragment(run_every=POLL_S)
    def poll():
        signal = room.signal(member)
        if signal is None:
            return
        if room.train_page_due():
            navigation.switch_page(TRAIN)
        status, seq, changed = signal
        if status == "closed":
            st.info(room.closed_sentence())
            if changed:
                st.rerun(scope="app")  # the Train page shows every control again
            return
        if changed:
            st.rerun(scope="app")  # frozen or reopened: the Train button follows
        if seq and room.applied_push() != (member["room"], seq):
            title = room.push_title(member["room"], seq)
            with st.container(border=True):
                text, button = st.columns([4, 1], vertical_alignment="center")
                text.markdown(f":material/campaign: **Your lecturer shared:** {markdown_escape(title)}")
                button.button("Apply", key=f"room-apply-{seq}", type="primary", width="stretch",
                              on_click=room.apply_push)
        if status == "frozen":
            st.warning("Your lecturer has paused new runs in this room for now.")
        note = room.take_note()
        if note:
            st.error(note)

    poll()


# -- the Train and Search pages for a room's member ------------------------------------------------

def room_mode() -> RoomMode | None:
    """The room step the Train and Search pages use, or None; on other data it says so in a caption."""
    mode = room.room_mode()
    if mode == OTHER_DATA:
        st.caption("You loaded other data since applying your lecturer's step: what you train now is yours alone. "
                   "Apply the step again to train for the room's board.")
        return None
    return mode


def room_train_note(mode: RoomMode) -> None:
    pre = mode.fixed_preprocessing()
    st.info(f"Room **{mode.code}**: your lecturer's step. Hold-out on the test split your lecturer fixed (test "
            f"fraction {pre['test_fraction']:g}, seed {pre['seed']}); the settings shown are yours to change.",
            icon=":material/groups:")  # a frozen room is said by the banner above, on every page


def room_search_note(mode: RoomMode) -> None:
    """On the Search page: the model, the hidden hyperparameters and the preprocessing are the step's."""
    st.caption(f"Room **{markdown_escape(mode.code)}**: your lecturer fixed the model and the other settings of "
               "this step; vary the hyperparameters shown.")


def refuse_if_frozen() -> None:
    """Before Train: RoomFrozen (a sentence) when this workspace's room takes no new runs."""
    if room.store_ready():
        try:
            check_can_train(workspace.store(), workspace.workspace_id())
        except StoreFault:  # a store that cannot be read just now does not stop a run: it is kept and saved later
            pass


def put_on_board(mode: RoomMode | None, run) -> None:
    """After Train: the new run goes on the room's board (a sentence when it cannot)."""
    if mode is None or not run.store_id:
        return
    try:
        link_run(workspace.store(), workspace.workspace_id(), mode.room_id, mode.seq, run.store_id)
    except (UserError, StoreError) as err:
        room.leave_note(str(err))


# -- the Classroom page ------------------------------------------------------------------------------

def classroom_page() -> None:
    if not room.store_ready():
        st.error("Rooms need the run store, which is not available on this server just now.")
        return
    secret = st.query_params.get(ADMIN_PARAM)
    if secret is not None:
        lectured = room_for_lecturer(workspace.store(), secret)
        if lectured is None:
            st.error(LECTURER_LINK_NOTHING)
        else:
            room.set_lecturer_secret(secret)  # read once: the address bar loses it
            _lecturer_view(lectured, secret)
            return
    elif room.lecturer_secret():
        secret = room.lecturer_secret()
        lectured = room_for_lecturer(workspace.store(), secret)
        if lectured is not None:
            _lecturer_view(lectured, secret)
            return
    member = room.my_membership()
    if member is not None:
        _student_view(member)
    else:
        _join_or_create()


def _join_or_create() -> None:
    join, create = st.columns(2, gap="large")
    with join:
        st.subheader("Join your lecture's room", anchor=False)
        typed = normalise_code(st.query_params.get(JOIN_PARAM))
        if typed:  # the join address (the lecturer's QR code) names the room: the code is filled in
            widget_keys.start("room-code", typed)
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
                room.joined(found.room.id, found.room.code, found.nickname)
                st.query_params.pop(JOIN_PARAM, None)
                st.rerun()
    with create:
        st.subheader("Run a room (lecturers)", anchor=False)
        st.caption("A room gives your class a code to join. You push a step to every student's page, choose which "
                   "controls they see, watch who is training and rank their runs on one test split.")
        if st.button("Create a room", key="room-create", icon=":material/add:"):
            _, secret = create_room(workspace.store(), workspace.workspace_id())
            room.set_lecturer_secret(secret)
            st.rerun()


def _student_view(member: dict) -> None:
    st.subheader(f"Room {member['code']}", anchor=False)
    st.markdown(f"You are in this room as **{markdown_escape(member['nickname'])}**. When your lecturer pushes a "
                "step, it appears at the top of every page with an Apply button.")
    if st.button("Leave the room", key="room-leave", icon=":material/logout:"):
        leave_room(workspace.store(), workspace.workspace_id())
        room.left()
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
        settings = transactions.link_settings()
    else:
        workflow_key, step_key = choice.split("/", 1)
        workflow = next(w for w in WORKFLOWS if w.key == workflow_key)
        settings = transactions.settings_of_step(workflow, next(s for s in workflow.steps if s.key == step_key))
    # One test split scores every student: a K-fold step is pushed as a hold-out.
    settings["validation"] = {**settings.get("validation", {}), "scheme": "holdout"}
    return settings


def _control_options(family_key: str, task: str) -> dict[str, str]:
    options = {f"hp:{p.name}": f"{p.label}" for p in applicable(FAMILIES[family_key].params, task)}
    options.update({f"pp:{p.name}": f"Preprocessing: {p.label}" for p in applicable(PREPROCESSING_SCHEMA, task)
                    if p.name not in FIXED_PREPROCESSING})
    return options


def _qr_png(text: str) -> bytes:
    """`text` as a QR code (PNG): medium error correction survives a projector's glare and a phone at an angle."""
    cache = widget_keys.session_cache("room-qr")
    if text not in cache:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=2)
        code.add_data(text)
        code.make(fit=True)
        buffer = io.BytesIO()
        code.make_image().save(buffer, format="PNG")
        cache.clear()
        cache[text] = buffer.getvalue()
    return cache[text]


def join_address(code: str) -> str:
    """The address students open: the Classroom page with the room's code filled in."""
    return navigation.app_url(CLASSROOM, **{JOIN_PARAM: code})


def _join_panel(lectured) -> None:
    """What the hall reads: the address and its QR code beside the room's code, as Kahoot and Mentimeter show."""
    address = join_address(lectured.code)
    words, picture = st.columns([3, 1], vertical_alignment="center", gap="medium")
    with words:
        st.markdown("Students open this address (or scan the square) and join with the code:")
        # Inline code: shown as typed, never a link or markup (the host comes from the browser's request).
        st.markdown(f"#### `{address.replace('`', '')}`")
        if normalise_code(lectured.code) == lectured.code:  # a word, a hyphen, two digits: drawn by the store
            st.markdown(f"<div style='font-size:4.5rem;font-weight:700;letter-spacing:0.08em;line-height:1.1'>"
                        f"{lectured.code}</div>", unsafe_allow_html=True)
        else:
            st.title(lectured.code)
        host = (urlparse(address).hostname or "").lower()
        if host in LOCAL_HOSTS or host.startswith("127."):
            st.caption(f"{host} is this computer only: for students' phones, open mllab here by the address they can "
                       "reach (the server's network name or IP address), and this one follows.")
    picture.image(_qr_png(address), width="stretch", caption="Scan to join")


def _lecturer_view(lectured, secret: str) -> None:
    status_words = {"open": "open", "frozen": "frozen: new runs refused", "closed": "closed"}
    st.caption(f"Room {status_words[lectured.status]}. Your lecturer rights stay in this browser, not in the "
               "address, which the hall can read.")
    _join_panel(lectured)
    with st.expander("Your lecturer link (keep it private: it runs this room)"):
        st.code(navigation.app_url(CLASSROOM, **{ADMIN_PARAM: secret}), language=None, wrap_lines=True)
        st.caption("Copy it (the button at its right) to run this room from another browser or device.")
    if lectured.status == "closed":
        _keep_lecture(None)
        room.stop_lecturing()
        st.info("This room is closed: its code is free again. Create a new room for the next lecture.")
        _board(secret)
        return
    _keep_lecture(lectured.expires_at, secret)
    push_col, control_col = st.columns([3, 2], gap="large")
    choices = _step_choices()
    last = room.last_pushed_choice()
    if last in choices:  # what was pushed last is the form's choice again, after a refresh or another page
        widget_keys.start("room-step", last)
    with push_col:
        st.subheader("Push a step", anchor=False)
        choice = st.selectbox("Step", list(choices), format_func=choices.get, key="room-step")
        if lectured.push_title:
            st.caption(f"Pushed last: {markdown_escape(lectured.push_title)} (push {lectured.push_seq}).")
    try:
        settings = _settings_of_choice(choice)
    except UserError as err:
        push_col.error(str(err))
        settings = None
    with control_col:
        st.subheader("Controls students see", anchor=False)
        if settings is not None:
            options = _control_options(settings["family"], settings.get("task") or "classification")
            widget_keys.start("room-visible", [v for v in lectured.visible if v in options])
            st.multiselect("Shown on their Train page", list(options), format_func=options.get, key="room-visible",
                           help="Everything else is set by the step and hidden. Validation, test fraction and seed "
                                "are always fixed, so every run is scored on the same test rows.")
    visible = [v for v in widget_keys.get("room-visible", []) if settings and v in
               _control_options(settings["family"], settings.get("task") or "classification")]
    buttons = st.columns(4)
    if buttons[0].button("Push to the class", key="room-push", type="primary", disabled=settings is None,
                         icon=":material/campaign:"):
        try:
            seq = push(workspace.store(), secret, settings["title"], settings, visible)
        except (UserError, StoreError) as err:
            st.error(str(err))
        else:
            room.pushed_choice(choice)
            st.success(f"Pushed “{markdown_escape(settings['title'])}” (push {seq}): it shows on every student's "
                       "page within a few seconds.")
    if buttons[1].button("Update the controls", key="room-controls", disabled=settings is None,
                         help="Show the students these controls for the step pushed last."):
        set_visible(workspace.store(), secret, visible)
    frozen = lectured.status == "frozen"
    if buttons[2].button("Reopen new runs" if frozen else "Freeze new runs", key="room-freeze",
                         icon=":material/play_arrow:" if frozen else ":material/pause:"):
        set_status(workspace.store(), secret, "open" if frozen else "frozen")
        st.rerun()
    if buttons[3].button("Close the room", key="room-close", icon=":material/close:",
                         help="Ends the room for good: students are told, their runs stay theirs."):
        set_status(workspace.store(), secret, "closed")
        st.rerun()
    _board(secret)


def _keep_lecture(expires_at: float | None, secret: str | None = None) -> None:
    """The browser keeps the lecture (the token and secret the address no longer shows) for a refresh, or
    forgets it once the room is closed. The script holds only store-made tokens (ui.state.room checks them)."""
    script = room.lecture_cookie_script(workspace.token(), secret, expires_at)
    if script is not None:
        st.html(script, unsafe_allow_javascript=True, width=1)


BOARD_ROWS = 10  # the leaderboard's visible rows: with the class beside it, one 1280x720 screen in presenter mode
ROW_PX = 35  # a table row's height in Streamlit's data grid (pixels, whatever the page's font size)


def _class_lines(rows) -> list[str]:
    """The class grouped by what their latest run is doing, the names of a group on one line: forty students
    take a few lines instead of a forty-row table."""
    groups: dict[str, list] = {}
    for r in rows:
        groups.setdefault(STATUS_WORDS.get(r.latest_status, r.latest_status), []).append(r)
    order = [w for w in STATUS_WORDS.values() if w in groups] + [w for w in groups if w not in STATUS_WORDS.values()]
    return [f"**{markdown_escape(word)} ({len(groups[word])})**: " +
            ", ".join(markdown_escape(r.nickname) + (f" ·{r.runs}" if r.runs > 1 else "") for r in groups[word])
            for word in order]


def _board(secret: str) -> None:
    @st.fragment(run_every=BOARD_POLL_S)
    def board():
        watch, ranking = st.columns(2, gap="large")
        rows = class_view(workspace.store(), secret)
        with watch:
            st.subheader(f"The class ({len(rows)} joined)", anchor=False)
            if rows:
                with st.container(key="room-class"):
                    for line in _class_lines(rows):  # small type: the leaderboard is what the hall reads
                        st.caption(line)
                st.caption("Grouped by their latest run on the step pushed last; ·2 is a student's number of runs.")
            else:
                st.caption("Nobody has joined yet: show the code above.")
        entries, label = leaderboard(workspace.store(), secret)
        with ranking:
            st.subheader("Leaderboard", anchor=False)
            if entries:
                ranks = iter(range(1, len(entries) + 1))
                shown = min(len(entries), BOARD_ROWS)
                st.dataframe(pd.DataFrame([{"Rank": "" if e.is_baseline else str(next(ranks)), "Nickname": e.nickname,
                                            label: round(e.score, 4), "Runs": "" if e.is_baseline else str(e.runs)}
                                           for e in entries]),
                             hide_index=True, width="stretch", key="room-board", height=ROW_PX * (shown + 1) + 3)
                more = f" The top {BOARD_ROWS} of {len(entries)} show; scroll the table for the rest." \
                    if len(entries) > BOARD_ROWS else ""
                st.caption("Each student's best finished run on the step pushed last, scored on its fixed test "
                           "split." + more)
            else:
                st.caption("No finished run on the pushed step yet.")

    board()
