"""Alembic environment: runs migrations on the connection ``bot.store.db`` hands over.

Batch mode is on so SQLite (which cannot ALTER most things) gets move-and-copy migrations;
constraint names come from ``bot.store.models.NAMING_CONVENTION``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.store.db import database_url, make_engine
from bot.store.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate over the given connection, or open one on the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.attributes.get("database_url") or database_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
