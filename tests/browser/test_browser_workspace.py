"""The workspace in a real browser: F5 on every page, the link in a new browser context, and a
server killed with -9 during a run, then started again. The server here is its own (it is killed),
with a store folder of its own."""

from __future__ import annotations

import os
import re
import signal
import time
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from browser_support import (chart_with_title, choose, go_to, metric_value, open_in_new_context, press,
                             streamlit_server, wait_idle, widget)


def _open_run(page, name: str) -> None:
    """Pick a run in "Open a run" by typing its name: the sidebar's 10-second heartbeat may redraw the
    page while a dropdown list is open, which closed the list under a click."""
    combo = widget(page, "stSelectbox", "Open a run").locator('[role="combobox"]').first
    for _ in range(3):
        combo.click()
        page.keyboard.type(name)
        page.keyboard.press("Enter")
        wait_idle(page)
        if page.locator('[data-testid="stMarkdownContainer"]').filter(
                has_text=re.compile(f"^{re.escape(name)} · ")).count():
            return
    raise AssertionError(f"could not open {name}")


def test_refresh_a_second_browser_and_kill_9_lose_nothing(browser, tmp_path):
    # One training worker: this server only ever trains one run at a time (and starts twice).
    env = {"MLLAB_DATA_DIR": str(tmp_path / "store"), "MLLAB_WORKERS": "1"}
    started = []
    with streamlit_server(tmp_path / "first.log", env=env, started=started) as url:
        context, page = open_in_new_context(browser, url)
        expect(page.get_by_role("heading", name=re.compile("Handwritten digits", re.I))).to_be_visible()
        token = parse_qs(urlparse(page.url).query)["ws"][0]
        go_to(page, "Train")
        choose(page, "Model", "Random forest")
        press(page, "Train")
        accuracy = metric_value(page, "Test accuracy")
        assert float(accuracy) >= 0.9

        # F5 on every page: the same data, run and figures.
        for name in ("Data", "Runs", "Train"):
            go_to(page, name)
            assert parse_qs(urlparse(page.url).query)["ws"] == [token]  # the token stays in the URL
            page.reload()
            wait_idle(page)
            if name == "Data":
                expect(page.get_by_role("heading", name=re.compile("Handwritten digits", re.I))).to_be_visible()
            else:
                assert metric_value(page, "Test accuracy") == accuracy
        train_url = page.url

        # The link on another device: a browser context that shares nothing with the first.
        other, second = open_in_new_context(browser, train_url)
        assert metric_value(second, "Test accuracy") == accuracy
        other.close()
        # Without the link, a browser gets a workspace of its own: none of these runs.
        stranger, third = open_in_new_context(browser, f"{url}/Runs")
        expect(third.get_by_text("No runs yet", exact=False)).to_be_visible()
        assert parse_qs(urlparse(third.url).query)["ws"] != [token]
        stranger.close()

        # A run going when the server is killed with -9 (with its workers: the whole process group).
        choose(page, "Model", "MLP (neural network)")
        # The most epochs the slider allows (500, from 40): the run must still be going when it is killed,
        # and a busy machine shows the progress a few epochs late.
        page.get_by_role("slider", name=re.compile(r"^Epochs\b")).focus()  # not "Patience (epochs)"
        page.keyboard.press("End")
        wait_idle(page)
        press(page, "Train")
        # The progress bar's text counts epochs: wait for the third (recorded as they arrive).
        expect(page.get_by_text(re.compile(r"epoch ([3-9]|\d\d+) of 500")).first).to_be_visible()
        # F5 in the middle of the run: the live curve goes on.
        page.reload()
        wait_idle(page)
        expect(page.get_by_text(re.compile(r"epoch ([4-9]|\d\d+) of \d+")).first).to_be_visible()
        expect(page.get_by_role("button", name="Stop", exact=True)).to_be_enabled()
        time.sleep(1)
        os.killpg(started[0].pid, signal.SIGKILL)
        started[0].wait(30)
        context.close()

    with streamlit_server(tmp_path / "second.log", env=env) as url:
        context, page = open_in_new_context(browser, f"{url}/Runs?ws={token}")
        # The interrupted run, shown last, keeps its curve so far and says what happened.
        expect(page.get_by_text(re.compile("Interrupted: the app server stopped")).first).to_be_visible()
        expect(chart_with_title(page, "Loss").first).to_be_visible()
        # The finished one is intact, with its figures.
        _open_run(page, "Run 1")
        assert metric_value(page, "Test accuracy") == accuracy
        page.get_by_role("tab", name="Errors", exact=True).click()  # the group holding it
        page.get_by_role("tab", name="Confusion matrix").click()
        expect(chart_with_title(page, "Confusion").first).to_be_visible()
        context.close()
