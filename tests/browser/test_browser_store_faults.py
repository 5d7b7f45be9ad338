"""The run store's database server stopped while a lecture goes on, in a real browser: the page says so in a
sentence, a run still trains and is shown, and once the server is started again the warning goes by itself
(no reload), the page says the run is saved, and another browser opening the workspace's link finds it.
The app server here is its own, on a PostgreSQL cluster of the test's own (stopped and started)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from browser_support import choose, go_to, metric_value, open_in_new_context, press, streamlit_server
from fault_support import PostgresServer

FAULT = re.compile("New work cannot be saved just now: the run store's database server cannot be reached")


def test_a_run_trained_while_the_database_is_down_is_saved_when_it_answers_and_the_warning_goes(browser, tmp_path):
    database = PostgresServer()
    try:
        database.start()
        env = {"MLLAB_DATABASE_URL": database.url, "MLLAB_DATA_DIR": str(tmp_path / "store"), "MLLAB_WORKERS": "1"}
        with streamlit_server(tmp_path / "server.log", env=env) as url:
            context, page = open_in_new_context(browser, url)
            expect(page.get_by_role("heading", name=re.compile("Handwritten digits", re.I))).to_be_visible()
            token = parse_qs(urlparse(page.url).query)["ws"][0]
            go_to(page, "Train")
            choose(page, "Model", "Logistic regression")

            database.stop()
            press(page, "Train")
            accuracy = float(metric_value(page, "Test accuracy"))
            assert accuracy >= 0.9  # trained and shown although nothing could be saved
            expect(page.get_by_text(FAULT)).to_be_visible()

            database.start()
            # The page looks again every few seconds: the warning goes and the note comes without a reload.
            saved = page.get_by_text("1 run made while the store could not be written is now saved.")
            expect(saved.first).to_be_visible(timeout=60_000)
            expect(page.get_by_text(FAULT)).to_have_count(0)
            assert float(metric_value(page, "Test accuracy")) == accuracy

            other, second = open_in_new_context(browser, f"{url}/Runs?ws={token}")
            expect(second.get_by_text(re.compile(r"Run 1 · ")).first).to_be_visible()
            expect(second.get_by_text(FAULT)).to_have_count(0)
            other.close()
            context.close()
    finally:
        database.remove()
