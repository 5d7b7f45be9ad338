"""One Streamlit server and one chromium for every browser test, each test in a fresh browser context
(a new Streamlit session): starting a server and warming its training workers took about 8 s a module."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from browser_support import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, streamlit_server, wait_idle
from conftest import ROOT

ARTIFACTS = ROOT / "artifacts"
expect.set_options(timeout=TIMEOUT_MS)


SERVER_LOG_TAIL = 6000  # characters of the shared server's log printed under a failed test
server_logs: list = []  # the shared server's log file, once it has started


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keeps each phase's report on the test, so the page fixture's teardown knows whether the test failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(log_path) as url:
        server_logs.append(log_path)
        yield url


@pytest.fixture(scope="package")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server, request):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(server)
    wait_idle(page)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed and server_logs:
        # A browser test that times out shows only the page; what the server was doing is in its log
        # (a CI run once waited 10 minutes for a tile with nothing else to go on).
        print(f"--- the shared server's log, last {SERVER_LOG_TAIL} characters ---")
        print(server_logs[-1].read_text(errors="replace")[-SERVER_LOG_TAIL:])
