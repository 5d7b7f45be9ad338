"""Real browser: a lecturer pauses a small MLP, steps one epoch, then resumes it to the end."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from browser_support import choose, go_to


def _button(page: Page, name: str):
    # A button with a Material icon has the icon's name in its text too ("pause Pause").
    return page.get_by_role("button", name=re.compile(rf"(^|\s){re.escape(name)}$"))


def test_pause_one_epoch_then_resume_a_small_mlp(page: Page):
    choose(page, "Dataset", "Iris flowers")
    go_to(page, "Train")
    choose(page, "Model", "MLP (neural network)")  # 200 epochs on iris: seconds to press Pause in
    page.get_by_role("button", name="Train", exact=True).click()
    progress = page.locator('[data-testid="stProgress"]')
    expect(progress).to_contain_text(re.compile(r"epoch \d+ of 200"))
    _button(page, "Pause").click()
    paused = page.get_by_text(re.compile(r"Paused after epoch \d+ — this run holds one of the 2 training workers"))
    expect(paused).to_be_visible()
    epoch = int(re.search(r"Paused after epoch (\d+)", paused.inner_text()).group(1))
    expect(progress).to_contain_text(f"epoch {epoch} of 200")  # the curve waits with it

    _button(page, "One epoch").click()
    expect(page.get_by_text(re.compile(rf"Paused after epoch {epoch + 1} —"))).to_be_visible()
    expect(progress).to_contain_text(f"epoch {epoch + 1} of 200")

    _button(page, "Resume").click()
    expect(page.get_by_text("Test accuracy", exact=True)).to_be_visible()  # trained to the end and evaluated
    expect(page.get_by_text(re.compile(r"Stopped at epoch"))).to_have_count(0)
