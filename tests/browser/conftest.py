"""One Streamlit server and one chromium for every browser test, each test in a fresh browser context
(a new Streamlit session): starting a server and warming its training workers took about 8 s a module."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from browser_support import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, streamlit_server, wait_idle
from conftest import ROOT

ARTIFACTS = ROOT / "artifacts"
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("server") / "streamlit.log") as url:
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
