"""Real-browser test of the one inspection flow AppTest cannot reach: clicking a confusion-matrix cell."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from browser_support import choose, go_to, press, wait_idle


def test_clicking_a_confusion_cell_shows_its_test_samples(page):
    go_to(page, "Train")
    choose(page, "Model", "Logistic regression")
    press(page, "Train")
    expect(page.get_by_text("Test accuracy", exact=True)).to_be_visible()  # the tile; the verdict says it too
    wait_idle(page)
    page.get_by_role("tab", name="Errors", exact=True).click()  # the group holding it
    page.get_by_role("tab", name="Confusion matrix").click()
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".gtitle", has_text="Confusion matrix")).first
    chart.scroll_into_view_if_needed()
    # The digits matrix is 10 × 10, true classes top to bottom: click the middle of cell (true 8, predicted 1),
    # the mistake a linear model makes most on digits.
    area = chart.locator(".nsewdrag").first.bounding_box()
    true_index, predicted_index = 8, 1
    x = area["x"] + (predicted_index + 0.5) * area["width"] / 10
    y = area["y"] + (true_index + 0.5) * area["height"] / 10
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    wait_idle(page)
    # The sentence names the clicked cell, the list under the chart follows the click, and the cell's
    # digits are drawn.
    sentence = page.get_by_text(re.compile(r"^\d+ test samples? of class 8 predicted as 1\.$"))
    expect(sentence).to_be_visible()
    count = int(sentence.inner_text().split()[0])
    expect(page.get_by_role("combobox", name="Test samples of the cell (true → predicted)")).to_have_value(
        f"8 → 1 ({count})")
    assert count >= 1
    grid = page.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".gtitle", has_text="Class 8 predicted as 1"))
    expect(grid).to_have_count(1)
    expect(grid.locator(".gtitle")).to_be_visible()
    sentence.scroll_into_view_if_needed()
