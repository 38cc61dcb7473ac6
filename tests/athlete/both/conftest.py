"""The key athlete flows run on SQLite and on PostgreSQL (a store migrated to head).

The store's fixtures create one migrated PostgreSQL database per test session (emptied
before each test) and copy a migrated SQLite file per test; the PostgreSQL test fails,
never skips, when the server cannot be reached.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.store.db import make_engine
from tests.store.conftest import db_url, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "pg_databases", "pg_migrated", "sqlite_template"]


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """Override: an engine on an empty, migrated database, SQLite then PostgreSQL."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
