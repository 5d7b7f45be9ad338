"""Real browser: presenter mode (?present=1) hides the sidebar and Plotly's mode bar, puts the pages' links
across the top, survives a page switch through those links, and can be left."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from browser_support import wait_idle
from ui.pages import PAGES


def _query(page: Page) -> dict:
    return parse_qs(urlparse(page.url).query)


def _mode_bar_of_first_chart(page: Page):
    """Hover the page's first Plotly chart (a hover is what shows its mode bar) and return the mode bar."""
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(chart.locator(".main-svg").first).to_be_visible()
    chart.hover()
    return chart.locator(".modebar-container")


def test_present_1_survives_a_page_switch_and_can_be_left(page: Page, server):
    page.goto(f"{server}/?present=1")
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    main = page.locator('[data-testid="stMain"]')
    leave = main.get_by_role("button", name=re.compile(r"Leave presenter mode$"))
    expect(leave).to_be_visible()
    expect(sidebar).to_be_hidden()
    for spec in PAGES:  # every page's link across the top
        expect(main.get_by_role("link", name=re.compile(rf"{spec.title}$"))).to_be_visible()
    mode_bar = _mode_bar_of_first_chart(page)  # the Data page's class balance
    expect(mode_bar).to_have_count(1)  # drawn, and hidden: no toolbar over the chart's title
    expect(mode_bar).to_be_hidden()

    main.get_by_role("link", name=re.compile(r"Train$")).click()
    page.wait_for_url(lambda url: urlparse(url).path == "/Train")
    wait_idle(page)
    assert _query(page).get("present") == ["1"]
    assert _query(page).get("ws")  # the workspace's token went along
    expect(page.get_by_role("heading", name=re.compile("Train", re.I)).first).to_be_visible()
    expect(sidebar).to_be_hidden()
    expect(leave).to_be_visible()
    expect(main.get_by_role("link", name=re.compile(r"Data$"))).to_be_visible()

    leave.click()
    wait_idle(page)
    expect(sidebar).to_be_visible()
    expect(leave).to_have_count(0)
    assert urlparse(page.url).path == "/Train" and "present" not in _query(page)
    expect(sidebar.get_by_role("link", name=re.compile(r"Data$"))).to_be_visible()
    expect(main.get_by_role("link", name=re.compile(r"Data$"))).to_have_count(0)  # the top bar has gone
