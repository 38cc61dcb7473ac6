"""Fixtures for the privacy tests: the real Application with every handler module on the Bot
API sandbox (the athlete tests' world), on a store migrated to head, SQLite then PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.store.db import make_engine
from tests.athlete.conftest import services, world
from tests.store.conftest import db_url, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "pg_databases", "pg_migrated", "services", "sqlite_template", "world"]


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """Override: an engine on an empty, migrated database, SQLite then PostgreSQL."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
