"""Real-browser click-through of the Search page: vary a setting, run, read the table, train the best."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from browser_support import choose, go_to, press, wait_idle


def test_search_from_the_sidebar_to_the_best_settings_on_the_train_page(page: Page):
    go_to(page, "Search")
    expect(page.get_by_role("heading", name="Hyperparameter search")).to_be_visible()
    choose(page, "Model", "Logistic regression")
    # The model's own sliders first: a Vary ticked while the page still shows the previous model's is lost.
    expect(page.locator('[data-testid="stSlider"]').filter(has_text="C (inverse regularisation)")).to_be_visible()
    vary = page.locator('[data-testid="stCheckbox"]').filter(has_text="Vary").first
    vary.locator("label").click()
    expect(vary.locator("input")).to_be_checked()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"^\d+ candidates × 5 models each$"))).to_be_visible()
    press(page, "Run search")
    expect(page.get_by_text(re.compile(r"Best of \d+ candidates \(Stratified 5-fold\)"))).to_be_visible()
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table).to_be_visible()
    best = page.get_by_text(re.compile(r"Best of")).inner_text()
    best_c = re.search(r"C ([0-9.e-]+)", best).group(1)
    press(page, "Train with these settings")
    wait_idle(page)
    expect(page.get_by_role("heading", name="Train")).to_be_visible()
    slider = page.locator('[data-testid="stSlider"]').filter(has_text="C (inverse regularisation)")
    expect(slider.locator('[data-testid="stSliderThumbValue"]')).to_have_text(best_c)
