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

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench.app_start import _kill_group  # noqa: E402

TIMEOUT_S = 180


def _ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


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
    return sum(t for t in map(_ticks, pids) if t is not None)


def start_server(script: str, cwd: Path, log_path: Path, workers: int) -> tuple[subprocess.Popen, str]:
    """A Streamlit server for `script` in a session of its own (so `_kill_group` ends its workers too),
    once its health endpoint answers; the process and its URL."""
    from browser_support import free_port

    port = free_port()
    env = {**os.environ, "MLLAB_WORKERS": str(workers), "TF_CPP_MIN_LOG_LEVEL": "2"}
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                _kill_group(process)
                raise RuntimeError(f"streamlit did not start; see {log_path}:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)


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

    from browser_support import CHROMIUM, CHROMIUM_ARGS

    browsers = 1 if quick else 2
    window_s = 10.0 if quick else 20.0
    log_path = Path(tempfile.gettempdir()) / f"mllab-watching-{os.getpid()}.log"
    server, url = start_server("app.py", ROOT, log_path, workers=browsers)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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
        _kill_group(server)
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one browser, a 10-second window")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    figures = run(args.quick)
    print_table(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
