"""Real browser: the Train page as a workbench. Right after Train the progress, the live curve and Stop are on the
first screen (1400x1000, and 1280x720 in presenter mode), and a run is never shown as the result of data or of a
workflow step it was not trained on."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from playwright.sync_api import Page, expect

from browser_support import TIMEOUT_MS, chart_with_title, choose, go_to, press, wait_idle


def _inside_viewport(page: Page, locator, what: str) -> None:
    """`locator`'s whole box lies in the window as it opened: nothing scrolled, nothing cut."""
    expect(locator).to_be_visible()
    # Read in the page, which waits for the element: a chart's title is redrawn with each new epoch, and
    # bounding_box() between two draws found no element (None) though the chart stood where it was.
    box = locator.evaluate("e => { const r = e.getBoundingClientRect(); "
                           "return {x: r.x, y: r.y, width: r.width, height: r.height}; }")
    view = page.viewport_size
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, f"{what} at {box}"
    assert box["x"] + box["width"] <= view["width"] and box["y"] + box["height"] <= view["height"], \
        f"{what} at {box}, outside the {view['width']}x{view['height']} window"


def _train_a_long_mlp_and_check_the_first_screen(page: Page) -> None:
    choose(page, "Model", "MLP (neural network)")  # 200 epochs on iris: seconds to look at it
    press(page, "Train")
    progress = page.locator('[data-testid="stProgress"]')
    expect(progress).to_contain_text(re.compile(r"epoch \d+ of 200"))
    _inside_viewport(page, progress, "the progress bar")
    curve = chart_with_title(page, "Loss").first
    _inside_viewport(page, curve, "the live loss curve")
    stop = page.get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_enabled()
    _inside_viewport(page, stop, "Stop")
    _inside_viewport(page, page.get_by_role("button", name=re.compile(r"(^|\s)Pause$")), "Pause")
    stop.click()
    expect(page.get_by_text(re.compile(r"Stopped at epoch \d+; the model as it was then is evaluated below"))
           ).to_be_visible()


def test_after_train_the_progress_curve_and_stop_are_in_view_at_1400x1000(page: Page):
    page.set_viewport_size({"width": 1400, "height": 1000})
    choose(page, "Dataset", "Iris flowers")
    go_to(page, "Train")
    _train_a_long_mlp_and_check_the_first_screen(page)


def test_in_presenter_mode_at_1280x720_the_curve_and_its_controls_are_on_the_first_screen(page: Page, server):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/?present=1")
    wait_idle(page)
    choose(page, "Dataset", "Iris flowers")
    page.locator('[data-testid="stMain"]').get_by_role("link", name=re.compile(r"Train$")).click()
    page.wait_for_url(lambda url: urlparse(url).path == "/Train")
    wait_idle(page)
    _train_a_long_mlp_and_check_the_first_screen(page)


def _result_shown(page: Page) -> None:
    expect(page.get_by_text("Test accuracy", exact=True)).to_be_visible(timeout=4 * TIMEOUT_MS)


def _not_the_current_result(page: Page, why: str) -> None:
    note = page.get_by_text(re.compile(r"No result for these settings yet: press Train\. The last run, Run 1"))
    expect(note).to_be_visible()
    expect(note).to_contain_text(why)
    expect(page.get_by_text("Test accuracy", exact=True)).to_be_hidden()  # folded away, under its own label


def test_a_workflow_step_or_other_data_never_shows_the_previous_run_as_the_current_result(page: Page):
    choose(page, "Dataset", "Pima Indians diabetes")
    go_to(page, "Train")
    choose(page, "Model", "Logistic regression")  # seconds on 768 rows
    press(page, "Train")
    _result_shown(page)

    go_to(page, "Workflows")  # a step of the Pima workflow: same data, new settings and lesson
    press(page, "Train on a 20 % hold-out")
    page.wait_for_url(lambda url: urlparse(url).path.rstrip("/") != "/Workflows")
    wait_idle(page)
    expect(page.get_by_text("Expect: Test accuracy about 0.73")).to_be_visible()
    _not_the_current_result(page, "was trained before the workflow step")

    go_to(page, "Data")  # other data: the run says what it was trained on
    choose(page, "Dataset", "Iris flowers")
    go_to(page, "Train")
    _not_the_current_result(page, "was trained on Pima")
    expect(page.get_by_text(re.compile(r"Run 1 as it was: Logistic regression on Pima"))).to_be_visible()
