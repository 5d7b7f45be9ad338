"""What a new visitor costs the server: CPU per new browser session on the Data page, vs a hello-world app.

Run: .venv/bin/python bench/first_page.py [--quick] [--json out.json]

A lecture starts with forty students opening the same link within a minute. Each opens a new
Streamlit session, and every session runs the Data page's script once on the server (the built-in
digits dataset, the default) before the student can click anything. On a 2-core server the CPU of
those first runs adds up: this measures it.

Both apps run side by side, started as tests/browser_support.py starts the server: mllab's
`streamlit run app.py` (MLLAB_WORKERS=1) and the hello-world app bench/app_start.py times too
(bench/harness.py's HELLO), with the same .streamlit/config.toml. Each is warmed first: mllab with
sessions until its sidebar says the training workers are ready (caches filled, workers started),
hello-world with one session. That last
warm-up session stays open throughout, as the lecturer's own tab would: Streamlit drops its compiled
copy of the script whenever the last session closes, and sessions opened into an empty server would
each pay for compiling it again, which never happens while a lecture hall is connected. Then:

- one after another, K fresh browser contexts (K=8, quick 2) in one Debian chromium each open the
  page and wait until the script has finished (`stApp` with `data-test-script-state="notRunning"`)
  and the page heading is visible, then wait SETTLE_S more so that late reruns count. The
  server's CPU time (utime+stime from /proc/PID/stat of the streamlit process alone, not its Dask
  worker children, whose training work is not the page's) is read before opening and after
  settling. Medians over the K sessions of that CPU and of open -> ready.
- a crowd: N contexts (N=40, quick 4) open the page at once (every `goto` sent without waiting,
  then all waited for): the time until the last one is ready, and the server CPU per session.

The server's CPU while nobody is connected (the Dask scheduler, the engine's watcher) is measured
over IDLE_S beforehand and reported, not subtracted: a figure per session includes SETTLE_S plus
the session's own time of that background. The browser runs on the same 2 cores and competes with
the server, for both apps alike.

Figures:
  session_cpu_s, hello_session_cpu_s:   median server CPU seconds per new session (the goal's figure)
  ready_s, hello_ready_s:               median open -> ready (seconds), one session at a time
  ready_ratio:                          ready_s / hello_ready_s (goal <= 2)
  crowd_last_ready_s, hello_crowd_last_ready_s, crowd_ratio: N sessions opened at once, time until the last
                                        is ready, and mllab / hello
  crowd_session_cpu_s, hello_crowd_session_cpu_s: server CPU of the crowd / N
  idle_cpu_share, hello_idle_cpu_share: server CPU per wall second with no browser connected
  session_cpu_net_s, hello_session_cpu_net_s: session_cpu_s less idle_cpu_share times the seconds it was
                                        read over (what the session itself cost; a diagnostic)
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.harness import cpu_ticks, hello_app, kill_group, launch_chromium, start_server  # noqa: E402

TIMEOUT_S = 180
SETTLE_S = 1.0
IDLE_S = 3.0
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
WORKERS_READY = "Training workers: ready"


def _cpu_s(pid: int) -> float:
    ticks = cpu_ticks(pid)
    if ticks is None:
        raise RuntimeError(f"the server process {pid} is gone")
    return ticks / os.sysconf("SC_CLK_TCK")


def _wait_ready(page, heading: str) -> None:
    # The heading first: before the script's first message the app may already say "notRunning".
    page.get_by_role("heading", name=heading, exact=True).first.wait_for(state="visible")
    page.wait_for_selector(IDLE)


def _new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_S * 1000)
    return context, page


def _check_page(page, name: str) -> None:
    if page.locator('[data-testid="stException"]').count():
        raise RuntimeError(f"{name} showed an exception on its page")


def _warm(browser, url: str, heading: str, until_text: str | None):
    """Sessions until the page shows `until_text` (the workers have started), or one session.

    Returns the last one's browser context, still open (see the module's docstring)."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        context, page = _new_page(browser)
        try:
            page.goto(url)
            _wait_ready(page, heading)
            _check_page(page, url)
            done = until_text is None or page.get_by_text(until_text).count() > 0
        except BaseException:
            context.close()
            raise
        if done:
            return context
        context.close()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url}: no '{until_text}' after {TIMEOUT_S} s")
        time.sleep(1.0)


def _one_by_one(browser, url: str, heading: str, pid: int, sessions: int
                ) -> tuple[list[float], list[float], list[float]]:
    """Per session: server CPU, open -> ready, and the wall seconds the CPU was read over."""
    cpu, ready, window = [], [], []
    for _ in range(sessions):
        context, page = _new_page(browser)
        try:
            before = _cpu_s(pid)
            opened = time.perf_counter()
            page.goto(url)
            _wait_ready(page, heading)
            ready.append(time.perf_counter() - opened)
            time.sleep(SETTLE_S)
            cpu.append(_cpu_s(pid) - before)
            window.append(time.perf_counter() - opened)
            _check_page(page, url)
        finally:
            context.close()
        time.sleep(0.5)  # the closed session's clean-up falls between measurements
    return cpu, ready, window


def _crowd(browser, url: str, heading: str, pid: int, sessions: int) -> tuple[float, float]:
    """N sessions opened at once: seconds until the last is ready, and server CPU per session."""
    opened = [_new_page(browser) for _ in range(sessions)]  # contexts made before the clock starts
    try:
        before = _cpu_s(pid)
        started = time.perf_counter()
        for _, page in opened:
            page.goto(url, wait_until="commit")  # the request is sent; the page loads on its own
        for _, page in opened:
            _wait_ready(page, heading)
        last = time.perf_counter() - started
        time.sleep(SETTLE_S)
        cpu = _cpu_s(pid) - before
        for _, page in opened:
            _check_page(page, url)
    finally:
        for context, _ in opened:
            context.close()
    return last, cpu / sessions


def _idle_share(pid: int) -> float:
    before, started = _cpu_s(pid), time.perf_counter()
    time.sleep(IDLE_S)
    return (_cpu_s(pid) - before) / (time.perf_counter() - started)


def run(quick: bool = False) -> dict:
    from playwright.sync_api import sync_playwright

    sessions, crowd = (2, 4) if quick else (8, 40)
    work = Path(tempfile.mkdtemp(prefix="mllab-bench-first-page-"))
    servers: list[subprocess.Popen] = []
    try:
        hello_dir = hello_app(work)  # with the app's server settings
        sides = {"mllab": ("app.py", ROOT, "Data", WORKERS_READY), "hello": ("hello.py", hello_dir, "Hello", None)}
        urls = {}
        for name, (script, cwd, _, _) in sides.items():
            launched = start_server(script, cwd, work / f"{name}.log", workers=1, timeout_s=TIMEOUT_S)
            servers.append(launched.process)
            urls[name] = launched.url
        pids = {name: process.pid for name, process in zip(sides, servers)}
        results: dict[str, dict] = {name: {} for name in sides}
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                resident = [_warm(browser, urls[name], heading, until)
                            for name, (_, _, heading, until) in sides.items()]
                for name in sides:
                    results[name]["idle"] = _idle_share(pids[name])
                # Alternating which app goes first, so drift in the machine's other load spreads over both.
                for name in sides:
                    results[name]["one"] = _one_by_one(browser, urls[name], sides[name][2], pids[name], sessions)
                for name in reversed(list(sides)):
                    results[name]["crowd"] = _crowd(browser, urls[name], sides[name][2], pids[name], crowd)
                for context in resident:
                    context.close()
            finally:
                browser.close()
    finally:
        for process in servers:
            kill_group(process)
        shutil.rmtree(work, ignore_errors=True)

    med = statistics.median
    figures: dict = {"sessions": float(sessions), "crowd_sessions": float(crowd), "settle_s": SETTLE_S}
    for name, prefix in (("mllab", ""), ("hello", "hello_")):
        cpu, ready, window = results[name]["one"]
        figures[f"{prefix}session_cpu_s"] = med(cpu)
        # Less what the server spends with nobody connected over the same seconds: the session's own share.
        figures[f"{prefix}session_cpu_net_s"] = med(c - results[name]["idle"] * w for c, w in zip(cpu, window))
        figures[f"{prefix}session_cpu_max_s"] = max(cpu)
        figures[f"{prefix}ready_s"] = med(ready)
        figures[f"{prefix}crowd_last_ready_s"], figures[f"{prefix}crowd_session_cpu_s"] = results[name]["crowd"]
        figures[f"{prefix}idle_cpu_share"] = results[name]["idle"]
    figures["session_cpu_ratio"] = figures["session_cpu_s"] / figures["hello_session_cpu_s"]
    figures["ready_ratio"] = figures["ready_s"] / figures["hello_ready_s"]
    figures["crowd_ratio"] = figures["crowd_last_ready_s"] / figures["hello_crowd_last_ready_s"]
    return figures


def print_table(figures: dict) -> None:
    f = figures
    print(f"{f['sessions']:.0f} new sessions one after another (medians; CPU read {f['settle_s']:.1f} s after "
          f"ready), then {f['crowd_sessions']:.0f} opened at once")
    print(f"{'':44} {'hello':>8} {'mllab':>8} {'ratio':>7} {'goal':>7}")
    rows = (("server CPU per new session (s)", "session_cpu_s", "<=0.25s"),
            ("open -> page ready (s)", "ready_s", "<=2x"),
            (f"{f['crowd_sessions']:.0f} at once: last ready (s)", "crowd_last_ready_s", ""),
            (f"{f['crowd_sessions']:.0f} at once: server CPU per session (s)", "crowd_session_cpu_s", ""))
    for label, key, goal in rows:
        hello, mllab = f[f"hello_{key}"], f[key]
        print(f"{label:44} {hello:8.3f} {mllab:8.3f} {mllab / hello if hello else float('inf'):7.2f} {goal:>7}")
    print(f"server CPU with nobody connected: hello {f['hello_idle_cpu_share']:.3f} core, "
          f"mllab {f['idle_cpu_share']:.3f} core (included above, not subtracted; per session without it: "
          f"hello {f['hello_session_cpu_net_s']:.3f} s, mllab {f['session_cpu_net_s']:.3f} s)")


def main() -> None:
    harness.main(harness.parser(__doc__, "2 sessions one by one, 4 at once"), run, print_table)


if __name__ == "__main__":
    main()
