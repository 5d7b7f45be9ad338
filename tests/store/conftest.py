"""The store's tests run against a real SQLite file and a real PostgreSQL server.

scripts/test.sh starts Debian's PostgreSQL and exports MLLAB_TEST_POSTGRES_URL (a role allowed to
create databases); each test module here gets a database of its own, dropped afterwards. Without
that variable the PostgreSQL cases fail with a sentence saying how to provide it: they are never
skipped.
"""

from __future__ import annotations

import os
import secrets

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mllab.store import Store

POSTGRES_ENV = "MLLAB_TEST_POSTGRES_URL"


@pytest.fixture(scope="module")
def postgres_database():
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.fail(f"{POSTGRES_ENV} is not set: run the tests with `bash scripts/test.sh`, which starts PostgreSQL, "
                    "or set it to a role that may create databases.")
    admin_url = make_url(url).set(drivername="postgresql+psycopg")
    name = f"mllab_test_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """A fresh store on each backend: its own SQLite file, or an emptied PostgreSQL database."""
    if request.param == "sqlite":
        opened = Store(data_dir=tmp_path / "data")
    else:
        url = request.getfixturevalue("postgres_database")
        opened = Store(url=url, data_dir=tmp_path / "data")
        _empty(opened)
    yield opened
    opened.close()


def _empty(store: Store) -> None:
    from mllab.store.schema import ALL_TABLES

    with store.engine.begin() as conn:
        for table in reversed(ALL_TABLES):
            conn.execute(table.delete())
