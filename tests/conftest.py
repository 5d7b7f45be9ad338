import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# TensorFlow's C++ start-up chatter hides test output; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The app's workspace store goes to a folder of this test run, never the user's own
# (~/.local/share/mllab); app servers the browser tests start inherit it.
os.environ.setdefault("MLLAB_DATA_DIR", tempfile.mkdtemp(prefix="mllab-test-store-"))


import pytest  # noqa: E402


def _scan_installed_components_once() -> None:
    """Every new AppTest scans the metadata of every installed package for Streamlit components (0.16 s here
    on an idle machine, more under a test run's load; the pages and ui tests make well over a hundred). The
    installed packages do not change during a test run, so the scan's result is kept after the first. A
    real server scans once, at start."""
    import functools

    from streamlit.components.v2 import manifest_scanner

    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


_scan_installed_components_once()


@pytest.fixture(scope="session")
def shared_engine():
    """The process's engine (mllab.training.get_engine, which the page tests use too): one set of training
    workers, started once, for the test modules that train through an engine. Closed at exit."""
    from mllab.training.engine import get_engine

    engine = get_engine()
    assert engine.wait_ready(180), engine.start_error
    return engine


# The browser tests in two groups of about equal time (each starts one app server on its xdist process): the
# workflow presets' clicks, and the rest. One group of all of them was the whole run's last half hour.
BROWSER_GROUPS = {"tests/browser/test_browser_workflows.py": "browser-workflows"}
# The benchmarks' smoke tests in two groups of about 3.5 minutes each: those that start app servers and browsers
# of their own, and the rest (the module's warm engine among them). Together they were the longest group but one.
BENCH_SERVER_TESTS = ("test_first_page", "test_classroom", "test_watching", "test_app_start")


def _group(item) -> str:
    path = item.path.relative_to(ROOT).as_posix()
    if path.startswith("tests/browser/"):
        return BROWSER_GROUPS.get(path, "browser")
    if path == "tests/bench/test_bench_smoke.py":
        return f"{path}::{'servers' if item.name in BENCH_SERVER_TESTS else 'rest'}"
    return path


def _long(group: str) -> bool:
    return group.startswith(("browser", "tests/bench/"))


def pytest_collection_modifyitems(config, items):
    """For pytest-xdist's `--dist loadgroup` (pytest.ini): a module's tests stay together on one xdist process,
    so a module-scoped fixture (a trained run, a database) is made once; the browser tests make two groups,
    each sharing one app server and one chromium (tests/browser/conftest.py). Groups go out in the order of
    `items`, so the long ones (browsers, benchmarks: several minutes each) are put first, whatever their
    folders are called: one started late would be the run's tail, with the other process idle."""
    groups = {id(item): _group(item) for item in items}
    items.sort(key=lambda item: not _long(groups[id(item)]))  # stable: collection order within each part
    for item in items:
        item.add_marker(pytest.mark.xdist_group(groups[id(item)]))
