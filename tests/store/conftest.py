"""Fixtures: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL comes from SPRINTBACK_TEST_POSTGRES_URL (default: the local test server). Each
test session creates its own uniquely named databases and drops them at the end, so other
test runs on the same server are not disturbed. If PostgreSQL cannot be reached the tests
fail; they are never skipped.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bot.store import db
from bot.store.models import metadata
from tests.support.postgres import base_url, connect_admin

BACKENDS = ["sqlite", "postgresql"]
T0 = dt.datetime(2026, 3, 2, 6, 30, tzinfo=dt.UTC)


class PgDatabases:
    """Creates throw-away databases on the test server and drops them all at the end."""

    def __init__(self) -> None:
        self.base = base_url()
        self.prefix = f"sb_store_{uuid.uuid4().hex[:10]}"
        self.created: list[str] = []
        self._admin = connect_admin(self.base)

    def create(self) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        name = f"{self.prefix}_{len(self.created)}"
        self._admin.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return make_url(self.base).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop every database this session created."""
        for name in self.created:
            self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.close()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    """The session's PostgreSQL database factory."""
    databases = PgDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_migrated(pg_databases: PgDatabases) -> str:
    """A PostgreSQL database migrated to head once; tests empty it before use."""
    url = pg_databases.create()
    db.upgrade(url)
    return url


def _empty_pg(url: str) -> None:
    # DELETE, children first: much faster than TRUNCATE on a handful of rows.
    engine = db.make_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    pg_migrated: str,
) -> str:
    """URL of an empty database at the head revision, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "store.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    _empty_pg(pg_migrated)
    return pg_migrated


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database."""
    eng = db.make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_databases: PgDatabases) -> str:
    """URL of a brand-new database with no schema, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "empty.db"
        path.touch()  # an empty file: `db current` and `downgrade` refuse a missing one
        return f"sqlite:///{path}"
    return pg_databases.create()


@pytest.fixture
def backend(db_url: str) -> str:
    """'sqlite' or 'postgresql', for the few assertions that differ."""
    return make_url(db_url).get_backend_name()
