"""What it costs the server to show a run live: server CPU while browsers watch, per second of training.

Run: .venv/bin/python bench/watching.py [--quick] [--json out.json]

A lecture hall is many browsers on one server, each watching its own run's curves redraw twice a
second. The work being watched is the training itself, done by the engine's worker processes; the
comparison here is the CPU the Streamlit server spends on the watching browsers against the CPU the
workers spend training in the same window (the plain work). Both are read from /proc for the
server process and for its worker processes, over the same seconds, while each browser's run is
still training (the Pima workflow's MLP, 150 epochs: long enough to measure mid-run).

Figures:
  server_cpu_share:   server CPU seconds per wall second (1.0 = one core), all browsers together
  worker_cpu_share:   the same for the training worker processes
  server_per_training_ratio: server CPU / worker CPU (the goal's figure)
  browser_cpu_share:  chromium's CPU per wall second (drawing the charts; on the users' machines in a
                      real lecture, on this one here)
Full mode watches with two browsers at once (one run each, one per worker), quick mode with one.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.harness import cpu_ticks, kill_group, launch_chromium, start_server  # noqa: E402

TIMEOUT_S = 180


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _cpu(pids: list[int]) -> int:
    return sum(t for t in map(cpu_ticks, pids) if t is not None)


def _start_training(browser, url: str):
    """One browser session: the Pima workflow's hold-out step, Train pressed; returns the page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_S * 1000)
    idle = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    page.goto(url)
    page.wait_for_selector(idle)
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=re.compile("Workflows", re.I)).click()
    page.wait_for_selector(idle)
    page.get_by_role("button", name="Train on a 20 % hold-out", exact=True).click()
    page.wait_for_selector(idle)
    page.get_by_role("button", name="Train", exact=True).click()
    return page


def run(quick: bool = False) -> dict:
    from playwright.sync_api import sync_playwright

    browsers = 1 if quick else 2
    window_s = 10.0 if quick else 20.0
    log_path = Path(tempfile.gettempdir()) / f"mllab-watching-{os.getpid()}.log"
    launched = start_server("app.py", ROOT, log_path, workers=browsers, timeout_s=TIMEOUT_S)
    server, url = launched.process, launched.url
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            pages = [_start_training(browser, url) for _ in range(browsers)]
            for page in pages:  # every run has drawn its first epochs: the workers are warm and training
                page.get_by_text(re.compile(r"epoch \d+ of 150")).first.wait_for(state="visible")
            time.sleep(2)
            workers = _descendants(server.pid)
            chromium = [browser_pid for browser_pid in _descendants(os.getpid())
                        if browser_pid not in workers and browser_pid != server.pid]
            start = (time.perf_counter(), _cpu([server.pid]), _cpu(workers), _cpu(chromium))
            time.sleep(window_s)
            end = (time.perf_counter(), _cpu([server.pid]), _cpu(workers), _cpu(chromium))
            still_training = all(page.get_by_text(re.compile(r"epoch \d+ of 150")).count() > 0 for page in pages)
            browser.close()
    finally:
        kill_group(server)
    wall = end[0] - start[0]
    tick = os.sysconf("SC_CLK_TCK")
    server_share, worker_share, browser_share = ((end[i] - start[i]) / tick / wall for i in (1, 2, 3))
    return {
        "browsers": float(browsers),
        "window_s": wall,
        "still_training": 1.0 if still_training else 0.0,
        "server_cpu_share": server_share,
        "worker_cpu_share": worker_share,
        "browser_cpu_share": browser_share,
        "server_per_training_ratio": server_share / worker_share if worker_share else float("inf"),
    }


def print_table(figures: dict) -> None:
    print(f"{int(figures['browsers'])} browser(s) watching their runs for {figures['window_s']:.0f} s"
          f"{'' if figures['still_training'] else ' (a run ended inside the window: figures cover less)'}")
    print(f"  server   {figures['server_cpu_share']:.2f} core")
    print(f"  workers  {figures['worker_cpu_share']:.2f} core (the training: the plain work)")
    print(f"  chromium {figures['browser_cpu_share']:.2f} core")
    print(f"  server / training = {figures['server_per_training_ratio']:.3f}")


def main() -> None:
    harness.main(harness.parser(__doc__, "one browser, a 10-second window"), run, print_table)


if __name__ == "__main__":
    main()
