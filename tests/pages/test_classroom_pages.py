"""Share links and the classroom room on the pages (AppTest, the real store and engine): a settings
link sets up the opener's own workspace, a run link shows one run read-only, a room's push reaches a
student with the lecturer's hidden controls (on the Train and the Search page), a frozen room refuses a run in a sentence, and the
hostile cases (tampered ids, unknown codes, guessed lecturer links, HTML nicknames) are sentences."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from streamlit.testing.v1 import AppTest

from conftest import ROOT
from page_support import TIMEOUT, new_app, texts, train_until_done, wait_for


def _open(page: str, **params) -> AppTest:
    """A new browser session on `page` with these query parameters (AppTest starts from the main script)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if page == "app.py":
        for key, value in params.items():
            at.query_params[key] = value
        return at.run()
    at.run().switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _link_param(at, name: str) -> str:
    urls = [c.value for c in at.code if f"{name}=" in c.value]
    assert urls, [c.value for c in at.code]
    return parse_qs(urlparse(urls[-1]).query)[name][0]


def _iris_forest(at) -> AppTest:
    at.selectbox(key="builtin-choice").set_value("iris").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("random_forest").run()
    at.slider(key="hp-random_forest-n_estimators").set_value(20).run()
    at.slider(key="pp-seed").set_value(11).run()
    return at


def test_a_settings_link_sets_up_the_openers_own_workspace():
    sharer = _iris_forest(new_app())
    sharer.button(key="share-train").click().run()
    link = _link_param(sharer, "cfg")
    assert len(link) == 24

    opener = _open("app.py", cfg=link)
    assert not opener.exception
    assert opener.query_params["ws"] != sharer.query_params["ws"]  # the opener's own, new workspace
    assert "cfg" not in opener.query_params  # a refresh does not apply it again
    assert opener.selectbox(key="family").value == "random_forest"
    assert opener.slider(key="hp-random_forest-n_estimators").value == 20
    assert opener.slider(key="pp-seed").value == 11
    assert "Set up from a shared link" in texts(opener) and "Iris" in texts(opener)
    opener.button(key="train-button").click().run()
    train_until_done(opener)

    # A tampered id is a sentence on the page; the opener's workspace is untouched.
    for bad in (link[:-1] + ("A" if link[-1] != "A" else "B"), "x" * 300, "<script>alert(1)</script>"):
        tampered = _open("app.py", cfg=bad)
        assert not tampered.exception
        assert any("opens nothing" in e.value for e in tampered.error)


def test_a_run_link_shows_one_run_read_only_and_its_settings_can_be_used():
    owner = _iris_forest(new_app())
    owner.button(key="train-button").click().run()
    train_until_done(owner)
    accuracy = next(m.value for m in owner.metric if m.label == "Test accuracy")
    owner.button(key="share-run-train-1").click().run()
    link = _link_param(owner, "run")
    assert owner.query_params["ws"] not in link

    viewer = _open("app.py", run=link)
    assert not viewer.exception
    assert "A shared run" in texts(viewer) and "Read-only" in texts(viewer)
    assert next(m.value for m in viewer.metric if m.label == "Test accuracy") == accuracy
    # Nothing to rename, tag or delete, and no way to the owner's other runs or files.
    labels = {b.label for b in viewer.button}
    assert not any("Delete" in label or "Download" in label for label in labels), labels
    assert not viewer.text_input and not viewer.text_area
    assert viewer.query_params["ws"] != owner.query_params["ws"]
    viewer.button(key="shared-run-use").click().run()
    assert viewer.selectbox(key="family").value == "random_forest"
    assert viewer.slider(key="hp-random_forest-n_estimators").value == 20

    tampered = _open("app.py", run=link[:-1] + ("A" if link[-1] != "A" else "B"))
    assert any("opens nothing" in e.value for e in tampered.error) and not tampered.metric


def _create_room(lecturer: AppTest) -> tuple[str, str]:
    lecturer.switch_page("views/classroom.py").run()
    lecturer.button(key="room-create").click().run()
    secret = _link_param(lecturer, "room_admin")  # the lecturer link to copy: the address bar no longer has it
    return _room_code(lecturer), secret


def _room_code(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "font-size:4.5rem" in m.value).split(">")[1].split("<")[0]


def _join(code: str, nickname: str) -> AppTest:
    student = _open("views/classroom.py")
    student.text_input(key="room-code").input(code)
    student.text_input(key="room-nickname").input(nickname)
    next(b for b in student.button if b.label == "Join").click().run()
    return student


def _push_and_apply(lecturer: AppTest, student: AppTest, step: str, visible: list[str]) -> None:
    """The lecturer pushes `step` showing students only the controls in `visible`; the student applies it."""
    lecturer.selectbox(key="room-step").set_value(step).run()
    lecturer.multiselect(key="room-visible").set_value(visible).run()
    lecturer.button(key="room-push").click().run()
    assert any("Pushed" in s.value for s in lecturer.success)
    student.run()  # what the banner's timed fragment does in the browser
    assert "Your lecturer shared" in texts(student)
    next(b for b in student.button if b.label == "Apply").click().run()


def test_a_room_pushes_a_step_with_hidden_controls_ranks_runs_and_freezes():
    lecturer = new_app()
    code, secret = _create_room(lecturer)
    assert len(secret) == 24
    student = _join(code, "<b>Bo</b>")
    assert not student.exception
    shown = "\n".join(m.value for m in student.markdown)
    assert "<b>Bo</b>" not in shown and "Bo" in shown  # the nickname as text, escaped

    _push_and_apply(lecturer, student, "forest/train", ["hp:n_estimators"])
    # Apply switched the page from inside the banner's fragment; AppTest follows that for one run only.
    student.switch_page("views/train.py").run()
    assert "Room" in texts(student) and "Breast" in texts(student)
    # The lecturer's choice: the number of trees is shown, everything else (and the split) is not.
    keys = {s.key for s in student.slider} | {s.key for s in student.selectbox}
    assert "hp-random_forest-n_estimators" in keys
    assert "hp-random_forest-max_depth" not in keys and "pp-seed" not in keys and "val-scheme" not in keys
    student.slider(key="hp-random_forest-n_estimators").set_value(20).run()
    student.button(key="train-button").click().run()
    train_until_done(student)
    accuracy = next(m.value for m in student.metric if m.label == "Test accuracy")

    lecturer.run()
    board = next(d.value for d in lecturer.dataframe if "Nickname" in d.value.columns and "Rank" in d.value.columns)
    ranked = board[board["Rank"] != ""]
    assert list(ranked["Nickname"]) == ["<b>Bo</b>"] and f"{ranked.iloc[0]['Test accuracy']:.3f}" == accuracy
    assert any(board["Nickname"].str.startswith("Baseline"))

    lecturer.button(key="room-freeze").click().run()
    student.run()
    assert any("paused new runs" in w.value for w in student.warning)
    assert student.button(key="train-button").disabled


def test_the_search_page_keeps_a_rooms_hidden_settings_at_the_pushed_values():
    # "The settings on my Train page now": set on the Train page, pushed from the Classroom page (where the
    # Train page's widgets, and so their state, are gone: the push reads the workspace's kept settings).
    lecturer = _iris_forest(new_app())
    lecturer.slider(key="hp-random_forest-min_samples_leaf").set_value(2).run()
    lecturer.slider(key="hp-random_forest-max_depth").set_value(3).run()
    pushed = {"n_estimators": 20, "min_samples_leaf": 2, "max_features": "default", "class_weight": "none"}
    code, _ = _create_room(lecturer)
    student = _join(code, "Ada")
    # The student's own search plan from before: another model, and the number of trees ticked to vary.
    student.session_state["search-family"] = "logistic_regression"
    student.session_state["search-random_forest-vary-n_estimators"] = True
    _push_and_apply(lecturer, student, "current", ["hp:max_depth"])
    student.switch_page("views/search.py").run()
    assert not student.exception
    model = student.selectbox(key="search-family")
    assert model.value == "random_forest" and model.disabled
    assert "your lecturer fixed the model" in texts(student)
    shown = {w.key for w in (*student.checkbox, *student.slider, *student.selectbox, *student.multiselect)}
    prefix = "search-random_forest"
    assert f"{prefix}-vary-max_depth" in shown and f"{prefix}-fixed-max_depth" in shown
    assert not {f"{prefix}-{part}-{name}" for part in ("vary", "fixed") for name in pushed} & shown

    student.checkbox(key=f"{prefix}-vary-max_depth").check().run()
    student.slider(key=f"{prefix}-max_depth-range").set_value((1, 5)).run()
    student.number_input(key=f"{prefix}-max_depth-count").set_value(2).run()
    student.selectbox(key="search-val-scheme").set_value("holdout").run()
    student.button(key="search-run").click().run()
    wait_for(student, lambda at: any(b.key == "search-train-best" for b in at.button))
    record = student.session_state["searches"][-1]
    assert record.status == "completed" and record.preprocessing["seed"] == 11
    candidates = record.result.candidates
    assert sorted(c.params["max_depth"] for c in candidates) == [1, 5]
    assert all({name: c.params[name] for name in pushed} == pushed for c in candidates)


def test_hostile_room_cases_are_sentences():
    lecturer = new_app()
    code, secret = _create_room(lecturer)
    student = _join(code, "Ada")
    # A lecturer link guessed from what a student holds: their workspace token, the room's code.
    for guess in (student.query_params["ws"], code, secret[:-1] + ("A" if secret[-1] != "A" else "B")):
        guessed = _open("views/classroom.py", room_admin=guess)
        assert not guessed.exception
        assert any("opens no room" in e.value for e in guessed.error)
        assert not any("font-size:4.5rem" in m.value for m in guessed.markdown)  # no room code shown
    stranger = _open("views/classroom.py")
    for typed in ("NOPE-99", "<img src=x onerror=alert(1)>"):
        stranger.text_input(key="room-code").input(typed)
        stranger.text_input(key="room-nickname").input("Cy")
        next(b for b in stranger.button if b.label == "Join").click().run()
        assert any("No open room has the code" in e.value for e in stranger.error)
    stranger.text_input(key="room-code").input(code)
    stranger.text_input(key="room-nickname").input("ada")
    next(b for b in stranger.button if b.label == "Join").click().run()
    assert any("already called" in e.value for e in stranger.error)
    # A closed room's code opens nothing any more, and its students are told.
    lecturer.button(key="room-close").click().run()
    late = _open("views/classroom.py")
    late.text_input(key="room-code").input(code)
    late.text_input(key="room-nickname").input("Dee")
    next(b for b in late.button if b.label == "Join").click().run()
    assert any("No open room has the code" in e.value for e in late.error)
    student.run()
    assert "has closed" in texts(student)


def test_the_lecturers_address_loses_the_secrets_and_the_join_address_and_push_are_kept():
    lecturer = new_app()
    token = lecturer.query_params["ws"]
    code, secret = _create_room(lecturer)
    # The hall reads the address bar: neither the room's secret nor the workspace token is in it.
    assert "room_admin" not in lecturer.query_params and "ws" not in lecturer.query_params
    address = next(m.value for m in lecturer.markdown if m.value.startswith("#### "))
    assert address.endswith(f"/Classroom?join={code}`")
    assert [i.captions for i in lecturer.get("image")] == [["Scan to join"]]  # its QR code (the browser reads it)
    lecturer.switch_page("views/data.py").run()
    assert "ws" not in lecturer.query_params  # nor after moving between pages
    lecturer.switch_page("views/classroom.py").run()
    assert _room_code(lecturer) == code

    # The join address fills the code in for a student.
    student = _open("views/classroom.py", join=code)
    assert student.text_input(key="room-code").value == code

    lecturer.selectbox(key="room-step").set_value("forest/train").run()
    lecturer.multiselect(key="room-visible").set_value(["hp:n_estimators"]).run()
    lecturer.button(key="room-push").click().run()
    # A refresh: a new session with what the browser's lecture cookie holds (the browser test refreshes for real).
    again = _open("views/classroom.py", ws=token, room_admin=secret)
    assert _room_code(again) == code and "room_admin" not in again.query_params and "ws" not in again.query_params
    assert again.selectbox(key="room-step").value == "forest/train"  # what was pushed last, chosen again
    assert again.multiselect(key="room-visible").value == ["hp:n_estimators"]


def test_a_fix_the_lecturer_hid_has_no_button_and_no_gpu_means_no_device_control():
    lecturer = new_app()
    lecturer.selectbox(key="builtin-choice").set_value("breast_cancer").run()
    lecturer.switch_page("views/train.py").run()
    lecturer.selectbox(key="family").set_value("logistic_regression").run()
    lecturer.selectbox(key="pp-scaling").set_value("none").run()
    code, _ = _create_room(lecturer)
    student = _join(code, "Ada")
    _push_and_apply(lecturer, student, "current", ["hp:C"])  # scaling stays the lecturer's (hidden)
    student.switch_page("views/train.py").run()
    student.button(key="train-button").click().run()
    train_until_done(student)
    assert "Unscaled features" in "\n".join(w.value for w in student.warning)  # the verdict suggests scaling...
    assert not any(b.label == "Turn on standard scaling" for b in student.button)  # ...but offers no button
    assert "Your lecturer set this" in texts(student)

    # This machine has no GPU: a network's page offers no device to choose, and says where it trains.
    lecturer.switch_page("views/train.py").run()
    lecturer.selectbox(key="family").set_value("mlp").run()
    assert not any(r.key == "device" for r in lecturer.radio) and "Device: CPU" in texts(lecturer)
    assert not any(c.key == "mixed-precision" for c in lecturer.checkbox)
