"""Share links and a classroom room in a real browser, on the package's one server: a settings link
opened in a fresh browser context, a run link read-only, a lecturer's push reaching a student's
page within 5 s without a reload, the lecturer's hidden controls, and a frozen room refusing runs."""

from __future__ import annotations

import io
import re
import time
from urllib.parse import parse_qs, urljoin, urlparse

import qrcode
from PIL import Image
from playwright.sync_api import expect

from mllab.store import Store
from mllab.store.rooms import join_room

from browser_support import ROOT, choose, go_to, metric_value, open_in_new_context, press, wait_idle, widget
ARTIFACTS = ROOT / "artifacts"

PUSH_SHOWN_S = 5.0


def _link(page, name: str) -> str:
    code = page.locator('[data-testid="stCode"]').filter(has_text=f"{name}=").last
    expect(code).to_be_visible()
    return code.inner_text().strip()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_settings_link_in_a_fresh_browser_and_a_run_link_read_only(page, browser, server):
    choose(page, "Dataset", "Iris flowers")
    expect(page.get_by_text("Data: Iris flowers").first).to_be_visible()  # the sidebar: the choice is the workspace's
    go_to(page, "Train")
    choose(page, "Model", "Random forest")
    press(page, "Share these settings")
    wait_idle(page)
    settings_link = _link(page, "cfg")
    assert urlparse(settings_link).path == "/Train"
    sharer_token = parse_qs(urlparse(page.url).query)["ws"][0]
    assert sharer_token not in settings_link

    opener_context, opener = open_in_new_context(browser, settings_link)  # shares nothing with the sharer's browser
    expect(opener.get_by_text("Set up from a shared link")).to_be_visible()
    expect(opener.get_by_role("combobox", name="Model")).to_have_value("Random forest")
    expect(opener.get_by_text(re.compile("Dataset: Iris flowers"))).to_be_visible()
    assert parse_qs(urlparse(opener.url).query)["ws"][0] != sharer_token
    press(opener, "Train")
    accuracy = metric_value(opener, "Test accuracy")
    press(opener, "Share this run")
    wait_idle(opener)
    run_link = _link(opener, "run")
    _shot(opener, "classroom-share-links")

    viewer_context, viewer = open_in_new_context(browser, run_link)
    expect(viewer.get_by_role("heading", name="A shared run")).to_be_visible()
    assert metric_value(viewer, "Test accuracy") == accuracy
    expect(viewer.get_by_text(re.compile("^Read-only"))).to_be_visible()
    for word in ("Delete", "Download", "Name, note and tags"):
        assert viewer.get_by_text(word).count() == 0  # nothing of the owner's to change or take
    expect(viewer.locator(".gtitle", has_text="Confusion").first).to_be_visible()
    expect(viewer.locator('[data-testid="stPlotlyChart"]').first).to_be_visible()
    _shot(viewer, "classroom-shared-run")
    tampered = run_link[:-1] + ("A" if run_link[-1] != "A" else "B")
    viewer.goto(tampered)
    wait_idle(viewer)
    expect(viewer.get_by_text(re.compile("That run link opens nothing"))).to_be_visible()
    for context in (opener_context, viewer_context):
        context.close()


def test_push_apply_hidden_controls_and_a_frozen_room(page, browser, server):
    lecturer = page
    go_to(lecturer, "Classroom")
    press(lecturer, "Create a room")
    wait_idle(lecturer)
    code_box = lecturer.get_by_text(re.compile(r"^[A-Z]+-[2-9]{2}$"))
    expect(code_box).to_be_visible()
    code = code_box.inner_text().strip()
    lecturer.get_by_text("Your lecturer link").click()  # the link to copy, in its fold: the address has none
    secret = parse_qs(urlparse(_link(lecturer, "room_admin")).query)["room_admin"][0]

    student_context, student = open_in_new_context(browser, f"{server}/Classroom")
    student.get_by_role("textbox", name="Room code").fill(code.lower().replace("-", " "))
    student.get_by_role("textbox", name="Nickname").fill("<i>Bo</i>")
    press(student, "Join")
    wait_idle(student)
    expect(student.get_by_text("You are in this room as")).to_be_visible()
    expect(student.locator("i", has_text="Bo")).to_have_count(0)  # the nickname is text, not markup
    # The student's token opens no lecturer page.
    student_token = parse_qs(urlparse(student.url).query)["ws"][0]
    guess_context, guess = open_in_new_context(browser, f"{server}/Classroom?room_admin={student_token}")
    expect(guess.get_by_text(re.compile("That lecturer link opens no room"))).to_be_visible()
    assert guess.get_by_text(code, exact=True).count() == 0
    guess_context.close()

    step_box = widget(lecturer, "stSelectbox", "Step").locator('[role="combobox"]').first
    step_box.click()
    lecturer.keyboard.type("Forest on all 30 features")
    lecturer.keyboard.press("Enter")
    wait_idle(lecturer)
    controls = widget(lecturer, "stMultiSelect", "Shown on their Train page").locator('[role="combobox"]').first
    controls.click()
    lecturer.keyboard.type("Number of trees")
    lecturer.keyboard.press("Enter")
    lecturer.keyboard.press("Escape")
    wait_idle(lecturer)
    press(lecturer, "Push to the class")
    pushed = time.monotonic()
    # The student's page, untouched since it joined, shows the push by itself.
    student.get_by_text("Your lecturer shared").wait_for(state="visible", timeout=PUSH_SHOWN_S * 1000 + 2000)
    shown_after = time.monotonic() - pushed
    assert shown_after <= PUSH_SHOWN_S, f"the push took {shown_after:.1f} s to show"
    _shot(student, "classroom-student-push")
    press(student, "Apply")
    student.wait_for_url(lambda url: urlparse(url).path == "/Train")
    wait_idle(student)
    expect(student.get_by_text(re.compile("your lecturer's step"))).to_be_visible()
    expect(widget(student, "stSlider", "Number of trees")).to_be_visible()
    for hidden in ("Max depth (0 = no limit)", "Random seed", "Test fraction"):
        assert widget(student, "stSlider", hidden).count() == 0, hidden
    assert widget(student, "stSelectbox", "Validation").count() == 0
    _shot(student, "classroom-student-train")
    press(student, "Train")
    accuracy = metric_value(student, "Test accuracy")

    board = lecturer.locator('[data-testid="stDataFrame"]').last
    # The board polls on its own: it may still show Bo's run as training when the student's page has its score.
    expect(board).to_contain_text(re.compile(r"<i>Bo</i>\d\.\d+"), timeout=30_000)
    score = re.search(r"<i>Bo</i>(\d\.\d+)", board.text_content())
    assert score and f"{float(score.group(1)):.3f}" == accuracy, board.text_content()
    _shot(lecturer, "classroom-lecturer")

    press(lecturer, "Freeze new runs")
    wait_idle(lecturer)
    expect(student.get_by_text(re.compile("paused new runs")).first).to_be_visible(timeout=10_000)
    expect(student.get_by_role("button", name="Train", exact=True)).to_be_disabled()
    _shot(student, "classroom-student-frozen")
    assert secret not in student.url
    student_context.close()


def _qr_matches(png: bytes, text: str) -> bool:
    """Whether the picture is `text`'s QR code: each module's centre read from the PNG against the symbol
    qrcode draws for `text` (no QR reader is installed; this reads the picture, not the page's word for it)."""
    symbol = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    symbol.add_data(text)
    symbol.make(fit=True)
    modules = symbol.get_matrix()
    picture = Image.open(io.BytesIO(png)).convert("L")
    side = picture.size[0] / (len(modules) + 4)  # a border of two modules each side
    return all((picture.getpixel((int((2 + x + 0.5) * side), int((2 + y + 0.5) * side))) < 128) == dark
               for y, row in enumerate(modules) for x, dark in enumerate(row))


def test_a_lecturers_address_holds_no_secret_the_join_screen_a_qr_code_and_the_class_fits_at_720p(page, server):
    lecturer = page
    go_to(lecturer, "Classroom")
    press(lecturer, "Create a room")
    wait_idle(lecturer)
    code = lecturer.get_by_text(re.compile(r"^[A-Z]+-[2-9]{2}$")).inner_text().strip()
    query = parse_qs(urlparse(lecturer.url).query)
    assert "room_admin" not in query and "ws" not in query, lecturer.url  # the hall reads this bar

    address = lecturer.locator("h4", has_text="/Classroom?join=")
    assert address.inner_text().strip() == f"{server}/Classroom?join={code}"
    picture = lecturer.locator('[data-testid="stImage"] img').first
    expect(picture).to_be_visible()
    png = lecturer.request.get(urljoin(lecturer.url, picture.get_attribute("src"))).body()
    assert _qr_matches(png, f"{server}/Classroom?join={code}")

    # A refresh keeps the lecturer in the room: the browser's cookie, not the address, holds the secrets.
    lecturer.reload()
    wait_idle(lecturer)
    expect(lecturer.get_by_text(code, exact=True)).to_be_visible()
    expect(lecturer.get_by_role("button", name="Push to the class")).to_be_visible()
    assert "ws=" not in lecturer.url and "room_admin=" not in lecturer.url

    step_box = widget(lecturer, "stSelectbox", "Step").locator('[role="combobox"]').first
    step_box.click()
    lecturer.keyboard.type("Forest on all 30 features")
    lecturer.keyboard.press("Enter")
    wait_idle(lecturer)
    press(lecturer, "Push to the class")  # the board starts: the baseline's row
    wait_idle(lecturer)
    # A class of forty (joined through the store, as forty browsers would) and the board, at 720p on a projector.
    store = Store()
    for number in range(40):
        join_room(store, code, store.open_workspace(store.new_workspace()), f"Student {number + 1:02d}")
    store.close()
    lecturer.set_viewport_size({"width": 1280, "height": 720})
    lecturer.goto(f"{lecturer.url.split('?')[0]}?present=1")
    wait_idle(lecturer)
    expect(lecturer.get_by_text(code, exact=True)).to_be_in_viewport()
    expect(lecturer.locator('[data-testid="stImage"] img').first).to_be_in_viewport()
    _shot_viewport(lecturer, "classroom-join-720-presenter")
    heading = lecturer.get_by_role("heading", name="The class (40 joined)")
    expect(heading).to_be_visible(timeout=10_000)
    heading.evaluate("element => element.scrollIntoView({block: 'start'})")
    top = heading.bounding_box()["y"]
    # The board: no run has finished yet (its table is at most ten rows high, the top first: ROW_PX * 11).
    for part in (lecturer.locator(".st-key-room-class"), lecturer.get_by_role("heading", name="Leaderboard"),
                 lecturer.get_by_text("No finished run on the pushed step yet.")):
        box = part.bounding_box()
        assert box["y"] >= top - 1 and box["y"] + box["height"] <= 720, (box, top)
    expect(lecturer.get_by_text("Student 40")).to_be_in_viewport()
    _shot_viewport(lecturer, "classroom-board-720-presenter")


def _shot_viewport(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
