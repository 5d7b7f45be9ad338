"""Settings in a real browser: what a user chose on the Data, Train and Search pages is the same after visiting
every other page, after a refresh, and on the workspace link opened in a new browser; deep links to a page
with `?present=1` open that page in presenter mode with the same settings."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from browser_support import choose, go_to, open_in_new_context, wait_idle, widget

PAGES = ("Runs", "Predict", "Search", "Workflows", "Classroom", "Data", "Train")


def _set_slider(page: Page, label: str, value: int, step: int = 1) -> None:
    """Move an integer slider with the arrow keys, as a user without a mouse would."""
    handle = _slider(page, label)
    handle.focus()
    now = int(handle.input_value())
    for _ in range(abs(value - now) // step):
        page.keyboard.press("ArrowRight" if value > now else "ArrowLeft")
    expect(handle).to_have_value(str(value))
    # The slider sends its value to the server a moment after the last key: wait for that rerun.
    page.wait_for_timeout(600)
    wait_idle(page)


def _choose(page: Page, label: str, option: str) -> None:
    """Pick a selectbox option by typing it: a rerun that lands while the list is open (the slider moved just
    before sends its value a moment later) closes the list under a click."""
    combo = widget(page, "stSelectbox", label).get_by_role("combobox")
    for _ in range(3):
        combo.click()
        page.keyboard.type(option)
        page.keyboard.press("Enter")
        wait_idle(page)
        if combo.input_value() == option:
            return
    raise AssertionError(f"could not choose {option}")


def _slider(page: Page, label: str):
    return widget(page, "stSlider", label).get_by_role("slider")


def _same_settings(page: Page) -> None:
    """The Data page's dataset, the Train page's model and its sliders, the Search page's strategy and budget."""
    go_to(page, "Data")
    expect(page.get_by_role("heading", name=re.compile("Iris flowers"))).to_be_visible()
    go_to(page, "Train")
    expect(widget(page, "stSelectbox", "Model").get_by_role("combobox")).to_have_value("Random forest")
    expect(_slider(page, "Number of trees")).to_have_value("10")
    expect(_slider(page, "Max depth (0 = no limit)")).to_have_value("3")
    _choose(page, "Model", "MLP (neural network)")
    expect(_slider(page, "Epochs")).to_have_value("140")
    _choose(page, "Model", "Random forest")
    go_to(page, "Search")
    expect(page.get_by_role("radio", name=re.compile("Random"))).to_be_checked()
    expect(_slider(page, "Candidates to try")).to_have_value("7")


def test_settings_survive_every_page_a_refresh_and_another_browser(page: Page, browser, server):
    choose(page, "Dataset", "Iris flowers")
    go_to(page, "Train")
    _choose(page, "Model", "MLP (neural network)")
    _set_slider(page, "Epochs", 140)  # another family's setting is kept too
    _choose(page, "Model", "Random forest")
    _set_slider(page, "Number of trees", 10, step=10)  # from 200
    _set_slider(page, "Max depth (0 = no limit)", 3)
    go_to(page, "Search")
    page.get_by_text("Random (a budget of draws)").click()
    wait_idle(page)
    _set_slider(page, "Candidates to try", 7)
    for name in PAGES:  # every other page, and back
        go_to(page, name)
    _same_settings(page)

    page.reload()
    wait_idle(page)
    _same_settings(page)

    token = parse_qs(urlparse(page.url).query)["ws"][0]
    other, second = open_in_new_context(browser, f"{server}/?ws={token}")
    _same_settings(second)
    other.close()

    # A deep link to the Train page in presenter mode: that page, its settings, the bar across the top.
    presenter, third = open_in_new_context(browser, f"{server}/Train?ws={token}&present=1")
    main = third.locator('[data-testid="stMain"]')
    expect(main.get_by_role("button", name=re.compile(r"Leave presenter mode$"))).to_be_visible()
    expect(third.get_by_role("heading", name="Train", exact=True)).to_be_visible()
    expect(_slider(third, "Number of trees")).to_have_value("10")
    presenter.close()
