"""The astronomer's loop in a real browser: upload a catalogue whose class is "unknown" for some stars,
mark that value as not known, train on the others, classify the unknown stars on the Predict page and
see the prediction in the table's first columns and download them as CSV and FITS, which open with pandas and
astropy."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from playwright.sync_api import Page, expect

from browser_support import TIMEOUT_MS, chart_with_title, go_to, press, wait_idle, widget

HIDDEN = 400  # stars of the OGLE-III sample whose class the uploaded catalogue calls "unknown"


def _catalogue_with_unknown_classes(path):
    """The shipped OGLE-III sample as a FITS catalogue, with the class of HIDDEN random stars replaced by
    'unknown': real stars, whose true classes the test keeps to score what the page predicts."""
    from astropy.table import Table

    from mllab.datasets.builtin import load_builtin

    frame = load_builtin("ogle3").frame.copy()
    hidden = np.random.default_rng(7).choice(len(frame), HIDDEN, replace=False)
    truth = dict(zip(frame["ID"].iloc[hidden], frame["Type"].iloc[hidden]))
    frame["Type"] = frame["Type"].astype(str)
    frame.loc[frame.index[hidden], "Type"] = "unknown"
    Table.from_pandas(frame).write(path, format="fits")
    return truth


def _download(page: Page, label: str, folder):
    with page.expect_download() as info:
        page.get_by_role("button", name=label, exact=True).click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def test_unknown_stars_are_classified_on_the_predict_page_and_downloaded_as_csv_and_fits(page: Page, tmp_path):
    from astropy.table import Table

    catalogue = tmp_path / "ogle_with_unknowns.fits"
    truth = _catalogue_with_unknown_classes(catalogue)
    page.get_by_text("Upload a file", exact=True).click()
    wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(catalogue))
    expect(page.get_by_role("heading", name=catalogue.name)).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("combobox", name="Target column (what the model learns to predict)")).to_have_value(
        "Type", timeout=10_000)
    # "unknown" looks like a label nobody has decided yet: it is taken as "not known yet" from the start.
    expect(widget(page, "stMultiSelect", "Values of Type that mean 'not known yet'").get_by_text(
        "unknown", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(f"{HIDDEN} rows whose Type is not known yet"))).to_be_visible()

    go_to(page, "Train")
    press(page, "Train")  # the default model, a random forest, its model kept by default
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Test accuracy")).to_be_visible(
        timeout=3 * TIMEOUT_MS)

    go_to(page, "Predict")
    expect(page.get_by_role("radio", name=re.compile(f"The {HIDDEN} rows of .* whose Type is not known"))).to_be_checked()
    press(page, "Predict")
    expect(page.get_by_role("heading", name=re.compile(f"Predicted {HIDDEN} rows with Run 1"))).to_be_visible(
        timeout=2 * TIMEOUT_MS)
    expect(chart_with_title(page, "Rows predicted in each class").first).to_be_visible()
    expect(chart_with_title(page, "How sure the model is").first).to_be_visible()
    # The answer is the table's first columns, so on screen without scrolling sideways: the class, how sure.
    headers = page.locator('[data-testid="stDataFrame"] [role="columnheader"]')
    expect(headers.first).to_have_text("predicted_Type")
    assert headers.all_inner_texts()[:2] == ["predicted_Type", "sure"]
    grid = page.locator('[data-testid="stDataFrame"]').filter(has=page.locator('[role="columnheader"]'))
    # The action and its answer in view together, without scrolling: Predict, and the table's header and first rows.
    view = page.viewport_size
    for what, locator in (("Predict", page.get_by_role("button", name="Predict", exact=True)), ("the table", grid)):
        box = locator.bounding_box()
        assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= view["width"], f"{what} at {box}"
        assert 0 <= box["y"] and box["y"] + min(box["height"], 200) <= view["height"], f"{what} at {box}"

    csv = pd.read_csv(_download(page, "Predictions as CSV", tmp_path))
    fits = Table.read(_download(page, "Predictions as FITS binary table", tmp_path), format="fits").to_pandas()
    for table in (csv, fits):
        ids = [v.decode() if isinstance(v, bytes) else str(v) for v in table["ID"]]
        assert len(table) == HIDDEN and sorted(ids) == sorted(truth)  # one row per unknown star, IDs intact
        probabilities = table[[c for c in table.columns if c.startswith("P_")]].to_numpy(dtype=float)
        assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
        predicted = [v.decode() if isinstance(v, bytes) else str(v) for v in table["predicted_Type"]]
        right = np.mean([p == truth[i] for p, i in zip(predicted, ids)])
        assert right >= 0.95, f"only {right:.3f} of the hidden stars classified as OGLE did"
