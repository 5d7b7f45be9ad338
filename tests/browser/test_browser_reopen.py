"""Reopening a run whole in a real browser: a run trained on an uploaded catalogue, reopened while other data is
loaded, brings back its file, its target and a cleaning choice; the catalogue's target was `clump`, not the
last column."""

from __future__ import annotations

import re

import numpy as np
from playwright.sync_api import Page, expect

from browser_support import go_to, metric_value, press, wait_idle, widget


def _kepler_shaped_csv(path) -> None:
    """Real rows (Pima's first 80) shaped like the Kepler red-giant table: `clump` with -1 on the rows nobody has
    classified, and a last column `src` naming the survey."""
    from mllab.datasets.builtin import load_builtin

    frame = load_builtin("pima").frame.head(80).rename(columns={"Outcome": "clump"})
    frame.loc[frame.index[::4], "clump"] = -1
    frame["src"] = np.array(["APOKASC", "Yu2018", "Vrard2016"])[np.arange(len(frame)) % 3]
    frame.to_csv(path, index=False)


def _target_box(page: Page):
    return page.get_by_role("combobox", name="Target column (what the model learns to predict)")


def test_a_run_reopened_on_other_data_brings_back_its_file_target_and_cleaning(page: Page, tmp_path):
    catalogue = tmp_path / "red_giants.csv"
    _kepler_shaped_csv(catalogue)
    page.get_by_text("Upload a file", exact=True).click()
    wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(catalogue))
    expect(page.get_by_role("heading", name=catalogue.name)).to_be_visible()
    wait_idle(page)
    expect(_target_box(page)).to_have_value("clump")
    expect(page.get_by_text(re.compile(r"^Suggested target — clump: named like a class, 3 values, -1 on 20 rows"))
           ).to_be_visible()
    # A cleaning choice of the user's own: Insulin is not a feature.
    page.get_by_text(re.compile("^Clean the data")).click()
    excluded = widget(page, "stMultiSelect", "Columns not used as features")
    # Typed, not clicked in the list: the sidebar's heartbeat may redraw the page and close an open list.
    excluded.locator('[role="combobox"]').first.click()
    page.keyboard.type("Insulin")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    wait_idle(page)
    expect(excluded.get_by_text("Insulin", exact=True)).to_be_visible()

    go_to(page, "Train")
    press(page, "Train")
    metric_value(page, "Test accuracy")

    go_to(page, "Data")  # other data: a built-in dataset
    page.get_by_text("Built-in dataset", exact=True).click()
    wait_idle(page)
    expect(page.get_by_role("heading", name=re.compile("Handwritten digits", re.I))).to_be_visible()

    go_to(page, "Runs")
    press(page, "Reopen this run on the Train page")
    expect(page.get_by_text(re.compile(r"^Reopened Run 1: .* on red_giants\.csv: its data, cleaning, target"))
           ).to_be_visible()
    go_to(page, "Data")
    expect(page.get_by_role("heading", name=catalogue.name)).to_be_visible()
    expect(_target_box(page)).to_have_value("clump")
    excluded = widget(page, "stMultiSelect", "Columns not used as features")
    expect(excluded.get_by_text("Insulin", exact=True)).to_be_attached()
