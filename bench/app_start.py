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

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.harness import hello_app, kill_group, launch_chromium, start_server  # noqa: E402

GOAL = 1.5
IDLE_GOAL = 2.5  # the first script run finished, mllab / hello-world
NESTED_CLUSTER_ERROR = "Nanny failed to start"
WORKERS_READY = "Training workers: ready"
TIMEOUT_S = 120


def measure(browser, script: str, cwd: Path, title: str, log_path: Path, extra_env: dict | None = None,
            until_workers: bool = False) -> dict:
    """One cold start, timed. `until_workers`: then keep the server until its training workers are ready, so
    that its log shows how their start went: killed halfway, Dask logs errors of its own ("Nanny failed to
    start" among them), which the nested-cluster check would count."""
    launched = start_server(script, cwd, log_path, workers=2, extra_env=extra_env, timeout_s=TIMEOUT_S, poll_s=0.05)
    started = launched.started
    server = time.perf_counter() - started
    deadline = time.monotonic() + TIMEOUT_S - server  # TIMEOUT_S from the launch, as the health poll's
    context = None
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_S * 1000)
        page.goto(launched.url)
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
        kill_group(launched.process)
    return {"server_s": server, "title_s": title_s, "idle_s": idle}


def run(quick: bool = False) -> dict:
    from playwright.sync_api import sync_playwright

    repeats = 1 if quick else 3
    work = Path(tempfile.mkdtemp(prefix="mllab-bench-start-"))
    try:
        hello_dir = hello_app(work)  # with the app's server and theme settings
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
            browser = launch_chromium(playwright)
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
    harness.main(harness.parser(__doc__, "one measured start of each app"), run, print_table)


if __name__ == "__main__":
    main()
