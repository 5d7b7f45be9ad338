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


def pytest_collection_modifyitems(config, items):
    """For pytest-xdist's `--dist loadgroup` (pytest.ini): a module's tests stay together on one xdist process,
    so a module-scoped fixture (a trained run, a database) is made once; the browser tests make two groups, each
    sharing one app server and one chromium (tests/browser/conftest.py)."""
    for item in items:
        path = item.path.relative_to(ROOT).as_posix()
        group = BROWSER_GROUPS.get(path, "browser") if path.startswith("tests/browser/") else path
        item.add_marker(pytest.mark.xdist_group(group))
