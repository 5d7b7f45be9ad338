"""App cold start to first page rendered: mllab's Data page vs a hello-world Streamlit app.

Run: .venv/bin/python bench/app_start.py [--quick] [--json out.json]

Both apps are started the same way, in the same run of this script, alternating which goes first:
a fresh `python -m streamlit run APP --server.headless true` process (the way tests/browser_support.py
starts the server, same .streamlit/config.toml), health endpoint polled every 50 ms, then a page in
Debian's headless chromium (launched once beforehand, not timed) opens the URL and waits for the
page title: the "Data" heading for mllab, the "Hello" heading for the hello-world app.

Figures per app (medians over the repeats):
  server_s:  process launch -> /_stcore/health answers (imports, server start)
  title_s:   process launch -> title visible in the browser (the goal's figure)
  idle_s:    process launch -> the first script run has finished (every element of the page drawn)
Full mode also times two diagnostics: mllab with its training workers kept from starting, and mllab
with Streamlit's file watcher off (see run()).
mllab's Data page also starts the training workers in the background (a local Dask cluster); they
compete for the 2 cores while the first page renders, as they do for a user. Full mode then keeps each
mllab server (the diagnostic without workers aside) until its sidebar says the workers are ready, and
reads its log for worker processes that re-ran app.py (nested_cluster_errors): a server killed while
its workers start logs errors of Dask's own. --quick does not wait, and does not check.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

GOAL = 1.5
IDLE_GOAL = 2.5  # the first script run finished, mllab / hello-world
NESTED_CLUSTER_ERROR = "Nanny failed to start"
WORKERS_READY = "Training workers: ready"
HELLO = 'import streamlit as st\n\nst.title("Hello")\nst.write("Hello, world.")\n'
TIMEOUT_S = 120


def _kill_group(process: subprocess.Popen) -> None:
    """Stop the server and everything it started (mllab's Dask workers), and wait until they are gone."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # workers may outlive the server by a moment
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def measure(browser, script: str, cwd: Path, title: str, log_path: Path, extra_env: dict | None = None,
            until_workers: bool = False) -> dict:
    """One cold start, timed. `until_workers`: then keep the server until its training workers are ready, so
    that its log shows how their start went: killed halfway, Dask logs errors of its own ("Nanny failed to
    start" among them), which the nested-cluster check would count."""
    from browser_support import free_port

    port = free_port()
    env = {**os.environ, "MLLAB_WORKERS": "2", "TF_CPP_MIN_LOG_LEVEL": "2", **(extra_env or {})}
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    context = None
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log_path}:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.05)
        server = time.perf_counter() - started
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_S * 1000)
        page.goto(url)
        page.get_by_role("heading", name=title, exact=True).wait_for(state="visible")
        title_s = time.perf_counter() - started
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
        idle = time.perf_counter() - started
        page_errors = page.locator('[data-testid="stException"]').count()
        if page_errors:
            raise RuntimeError(f"{script} showed an exception on its first page")
        while until_workers and not page.get_by_text(WORKERS_READY).count():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{script}: the training workers were not ready after {TIMEOUT_S} s; see {log_path}")
            time.sleep(1.0)
            page.reload()
            page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    finally:
        if context is not None:
            context.close()
        _kill_group(process)
    return {"server_s": server, "title_s": title_s, "idle_s": idle}


def run(quick: bool = False) -> dict:
    from playwright.sync_api import sync_playwright

    from browser_support import CHROMIUM, CHROMIUM_ARGS

    repeats = 1 if quick else 3
    work = Path(tempfile.mkdtemp(prefix="mllab-bench-start-"))
    try:
        hello_dir = work / "hello"
        (hello_dir / ".streamlit").mkdir(parents=True)
        (hello_dir / "hello.py").write_text(HELLO)
        config = ROOT / ".streamlit" / "config.toml"
        if config.exists():  # the same server and theme settings as the app
            shutil.copy(config, hello_dir / ".streamlit" / "config.toml")
        sides = {"mllab": ("app.py", ROOT, "Data", None), "hello": ("hello.py", hello_dir, "Hello", None)}
        if not quick:
            # Diagnostic: mllab with its training workers out of the way (a scheduler address where
            # nothing listens: the engine's start thread waits on the network, no worker processes
            # start, TensorFlow is imported nowhere). Shows what the local cluster's start costs the
            # first page on 2 cores.
            from browser_support import free_port

            nowhere = {"MLLAB_SCHEDULER_ADDRESS": f"tcp://127.0.0.1:{free_port()}"}
            sides["mllab_noworkers"] = ("app.py", ROOT, "Data", nowhere)
            # Diagnostic: mllab without Streamlit's file watcher, which by default watches the app's
            # folder recursively (.venv included: the log shows "Inotify queue overflowed").
            sides["mllab_nowatcher"] = ("app.py", ROOT, "Data", {"STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"})
        results: dict[str, list[dict]] = {name: [] for name in sides}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                # One unmeasured start of each first (not in --quick): Python's bytecode caches and the
                # disk cache are then warm for both, so the first measured side is not penalised.
                for name in () if quick else ("hello", "mllab"):
                    script, cwd, title, env = sides[name]
                    measure(browser, script, cwd, title, work / f"{name}-warmup.log", env)
                names = list(sides)
                checked = []  # the logs of servers kept until their workers were ready
                for repeat in range(repeats):
                    for name in names if repeat % 2 == 0 else names[::-1]:
                        script, cwd, title, env = sides[name]
                        # Not in --quick (the smoke test), where waiting for the workers would double its time.
                        wait = not quick and name in ("mllab", "mllab_nowatcher")
                        log_path = work / f"{name}-{repeat}.log"
                        results[name].append(measure(browser, script, cwd, title, log_path, env, until_workers=wait))
                        if wait:
                            checked.append(log_path)
            finally:
                browser.close()
        nested_errors = sum(NESTED_CLUSTER_ERROR in log.read_text(errors="replace") for log in checked)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = statistics.median
    figures: dict = {"repeats": float(repeats)}
    for name, runs in results.items():
        for key in ("server_s", "title_s", "idle_s"):
            figures[f"{name}_{key}"] = med(r[key] for r in runs)
    figures["title_ratio"] = figures["mllab_title_s"] / figures["hello_title_s"]
    figures["idle_ratio"] = figures["mllab_idle_s"] / figures["hello_idle_s"]
    figures["server_ratio"] = figures["mllab_server_s"] / figures["hello_server_s"]
    for variant in ("noworkers", "nowatcher"):
        if f"mllab_{variant}" in results:
            figures[f"{variant}_title_ratio"] = figures[f"mllab_{variant}_title_s"] / figures["hello_title_s"]
    if checked:
        figures["nested_cluster_errors"] = float(nested_errors)
    return figures


def print_table(figures: dict) -> None:
    f = figures
    print(f"repeats: {f['repeats']:.0f} (medians), times from process launch")
    if f.get("nested_cluster_errors"):
        print(f"note: {f['nested_cluster_errors']:.0f} mllab server logs show '{NESTED_CLUSTER_ERROR}': the Dask "
              "worker processes, spawned while app.py is __main__, re-ran app.py and tried to start a cluster")
    print(f"{'':36} {'hello':>8} {'mllab':>8} {'ratio':>7} {'goal':>6}")
    rows = (("server answers /_stcore/health", "server_s", ""), ("page title visible in chromium", "title_s",
            f"<={GOAL}"), ("first script run finished", "idle_s", f"<={IDLE_GOAL}"))
    for label, key, goal in rows:
        ratio = f[f"mllab_{key}"] / f[f"hello_{key}"]
        print(f"{label:36} {f[f'hello_{key}']:7.2f}s {f[f'mllab_{key}']:7.2f}s {ratio:7.2f} {goal:>6}")
    for variant, what in (("noworkers", "without starting its workers"), ("nowatcher", "without the file watcher")):
        if f"mllab_{variant}_title_s" in f:
            print(f"diagnostic, mllab {what}: title {f[f'mllab_{variant}_title_s']:.2f}s "
                  f"(ratio {f[f'{variant}_title_ratio']:.2f}), script done {f[f'mllab_{variant}_idle_s']:.2f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one measured start of each app")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    figures = run(args.quick)
    print_table(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
