"""What the benchmarks share: their command line, and starting and stopping a Streamlit server.

Every benchmark's `main()` is the same skeleton: `--quick` (the small development version, the one
tests/bench runs) and `--json FILE` (bench/run_all.py reads the figures from it), then `run(quick)`,
its table printed, the figures written. `main()` below is that skeleton, written once.

The benchmarks that need a real server start it as tests/browser_support.py does: a fresh
`python -m streamlit run SCRIPT --server.headless true` process, leading a process group of its own
(so that stopping it ends the Dask workers it started too), ready once /_stcore/health answers.
The app is always `app.py` in the repository's root; its pages are reached by their URL paths.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))  # tests/browser_support.py: free_port, chromium's path and flags

JSON_HELP = "also write the figures to this file"
# A hello-world Streamlit app, the plain side of the benchmarks that time a page.
HELLO = 'import streamlit as st\n\nst.title("Hello")\nst.write("Hello, world.")\n'


# -- the command line ---------------------------------------------------------------------------

def parser(doc: str, quick_help: str, json_help: str | None = JSON_HELP,
           first: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.ArgumentParser:
    """The benchmark's parser: its docstring's first line, `--quick` and `--json`; `first` adds options
    that come before those two."""
    result = argparse.ArgumentParser(description=doc.splitlines()[0])
    if first is not None:
        first(result)
    result.add_argument("--quick", action="store_true", help=quick_help)
    result.add_argument("--json", type=Path, help=json_help)
    return result


def main(options: argparse.ArgumentParser, run: Callable[..., dict], print_table: Callable[[dict], None], *,
         run_args: Callable[[argparse.Namespace], tuple] = lambda args: (args.quick,),
         child: Callable[[argparse.Namespace], None] | None = None, indent: int = 1) -> None:
    """Parse the command line, `run(*run_args(args))`, print the table, write the figures to `--json`.

    `child`: for benchmarks that run each side in a process of their own (`--side`): given `--side`,
    this process is that child, and does only `child(args)`."""
    args = options.parse_args()
    if child is not None and args.side:
        child(args)
        return
    figures = run(*run_args(args))
    print_table(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=indent))


# -- processes ----------------------------------------------------------------------------------

def cpu_ticks(pid: int) -> int | None:
    """A process's CPU time so far (utime + stime, in clock ticks), from /proc; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def kill_group(process: subprocess.Popen) -> None:
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


# -- a Streamlit server ---------------------------------------------------------------------------

@dataclass
class Server:
    process: subprocess.Popen
    url: str
    started: float  # time.perf_counter() just before the process was launched


def start_server(script: str, cwd: Path, log_path: Path, workers: int, extra_env: dict | None = None,
                 timeout_s: float = 180, poll_s: float = 0.1) -> Server:
    """A Streamlit server for `script` in a session of its own (so `kill_group` ends its workers too),
    returned once its health endpoint answers (polled every `poll_s`). Its output goes to `log_path`.
    A server that exits or does not answer within `timeout_s` is stopped, and its log's end raised."""
    from browser_support import free_port

    port = free_port()
    env = {**os.environ, "MLLAB_WORKERS": str(workers), "TF_CPP_MIN_LOG_LEVEL": "2", **(extra_env or {})}
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return Server(process, url, started)
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            kill_group(process)
            raise RuntimeError(f"streamlit did not start; see {log_path}:\n{log_path.read_text()[-3000:]}")
        time.sleep(poll_s)


def hello_app(folder: Path) -> Path:
    """The hello-world app written into `folder`/hello (hello.py), with the app's own
    .streamlit/config.toml (the same server and theme settings); returns that folder."""
    hello_dir = folder / "hello"
    (hello_dir / ".streamlit").mkdir(parents=True)
    (hello_dir / "hello.py").write_text(HELLO)
    config = ROOT / ".streamlit" / "config.toml"
    if config.exists():
        shutil.copy(config, hello_dir / ".streamlit" / "config.toml")
    return hello_dir


def launch_chromium(playwright):
    """Debian's headless chromium, with the flags the browser tests use."""
    from browser_support import CHROMIUM, CHROMIUM_ARGS

    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
