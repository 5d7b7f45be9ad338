"""A real Streamlit server and Debian's chromium driven by Playwright, for the browser tests."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("MLLAB_CHROMIUM", "/usr/bin/chromium")
# Training takes seconds to minutes on a 2-core CI machine; waits are generous, never timed asserts.
TIMEOUT_MS = 180_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(log_path: Path, env: dict | None = None, started: list | None = None):
    """Serve the app; `env` adds variables (a data folder of its own), `started` receives the process.

    The server leads a process group of its own, with its training workers in it, so a test can
    kill the whole server with -9 as an administrator's `kill -9` of a service would.
    """
    port = free_port()
    env = {**os.environ, "MLLAB_WORKERS": "2", "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    if started is not None:
        started.append(process)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log_path}:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished running the script for the last interaction."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)


def widget(page, kind: str, label: str):
    """The Streamlit widget of this kind ("stSelectbox", "stSlider", …) whose label is exactly `label`."""
    return page.locator(f'[data-testid="{kind}"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(f"^{re.escape(label)}$")))


# Counts the script runs the page starts from now on. Streamlit marks a run only when the server's answer
# arrives, so a wait for "notRunning" right after a click can pass before the click's run has begun.
_COUNT_RUNS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.mllabRunsSeen = 0;
    if (window.mllabRunWatch === app) return;
    window.mllabRunWatch = app;
    new MutationObserver(() => {
        if (app.getAttribute('data-test-script-state') !== 'notRunning') window.mllabRunsSeen += 1;
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
RUN_START_WAIT_MS = 5_000  # choosing the option already chosen starts no run: this is all it costs


def wait_for_run_after(page, action) -> None:
    """Do `action` (a click that changes a widget) and wait until the script run it caused has finished."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate(_COUNT_RUNS)
    action()
    try:
        page.wait_for_function("window.mllabRunsSeen > 0", timeout=RUN_START_WAIT_MS)
    except PlaywrightTimeout:
        pass
    wait_idle(page)


def choose(page, label: str, option: str) -> None:
    """Pick an option of the selectbox with this label, and wait for the page to have run with it."""
    box = widget(page, "stSelectbox", label)
    box.locator('[role="combobox"]').first.click()
    wait_for_run_after(page, page.get_by_role("option", name=option, exact=True).click)


def go_to(page, name: str) -> None:
    """Open a page from the sidebar's menu, and wait until that page (not the one before it) has run.

    Waiting only for the script to be idle raced the navigation: the old page was still idle when
    the click returned, so a reload right after reloaded the old page.
    """
    link = page.locator('[data-testid="stSidebar"]').get_by_role("link", name=re.compile(name, re.I))
    # Streamlit writes the main page's link as a bare "?ws=…"; it opens the app's root, not the current path.
    target = "/" + urllib.parse.urlparse(link.get_attribute("href")).path.lstrip("/")
    link.click()
    page.wait_for_url(lambda url: urllib.parse.urlparse(url).path == target)
    wait_idle(page)


def chart_with_title(page, title: str):
    return page.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(".gtitle", has_text=title))


def press(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def open_in_new_context(browser, url: str):
    """A fresh browser context (a new Streamlit session, cookies and all) on `url`: (context, page)."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    wait_idle(page)
    return context, page


def metric_value(page, label: str) -> str:
    """The value of the metric tile labelled exactly `label`, once it is shown."""
    from playwright.sync_api import expect

    tile = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(f"^{re.escape(label)}$"))).first
    expect(tile).to_be_visible()
    return tile.locator('[data-testid="stMetricValue"]').inner_text()

