"""Database fixtures for the scheduling and delivery tests: SQLite and a private PostgreSQL.

Each test session creates its own uniquely named PostgreSQL database (dropped at the end), so
other helpers' test runs on the same server are not disturbed. If PostgreSQL cannot be
reached the tests fail; they are never skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from bot.store.db import create_all_for_tests, make_engine
from bot.store.models import metadata
from tests.support.postgres import base_url, connect_admin


class PgDatabase:
    """One throw-away database on the test server, emptied between tests, dropped at the end."""

    def __init__(self) -> None:
        base = base_url()
        self.name = f"sb_sched_{uuid.uuid4().hex[:12]}"
        self._admin = connect_admin(base)
        self._admin.execute(f'CREATE DATABASE "{self.name}"')
        self.url = make_url(base).set(database=self.name).render_as_string(hide_password=False)
        self.has_schema = False

    def drop(self) -> None:
        """Drop the database."""
        self._admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[PgDatabase]:
    """The session's private PostgreSQL database."""
    database = PgDatabase()
    yield database
    database.drop()


def fresh_engine(backend: str, tmp_path: Path, pg: PgDatabase) -> Engine:
    """Return an engine on an empty schema of ``backend`` ('sqlite' or 'postgresql')."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'sched.sqlite3'}")
        create_all_for_tests(engine)
        return engine
    engine = make_engine(pg.url)
    if not pg.has_schema:
        metadata.drop_all(engine)
        create_all_for_tests(engine)
        pg.has_schema = True
    else:
        # Emptying the tables is much faster than dropping and creating them per test.
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        with engine.begin() as connection:
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, pg_database: PgDatabase
) -> Iterator[Engine]:
    """An empty database with Sprintback's tables, on SQLite and on PostgreSQL."""
    eng = fresh_engine(str(request.param), tmp_path, pg_database)
    yield eng
    eng.dispose()
