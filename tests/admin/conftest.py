"""The admin end-to-end tests use the clinician tests' store (SQLite and PostgreSQL), bot and
helpers."""

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
