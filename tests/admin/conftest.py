"""The admin end-to-end tests use the clinician tests' store (SQLite and PostgreSQL), bot and
helpers."""

from collections.abc import Iterator

import pytest

from bot.store import standing
from tests.clinician.conftest import (
    db,
    db_url,
    pg_databases,
    pg_migrated,
    services,
    sqlite_template,
    world,
)

__all__ = ["db", "db_url", "pg_databases", "pg_migrated", "services", "sqlite_template", "world"]


@pytest.fixture(autouse=True)
def _fresh_protocol_cache() -> Iterator[None]:
    """Parsed versions are cached per process by (name, version): each test's database has
    its own "hamstring v2", so none may be read from another test's."""
    standing._PROTOCOLS.clear()
    yield
    standing._PROTOCOLS.clear()
