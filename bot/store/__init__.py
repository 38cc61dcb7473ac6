"""Durable storage for Sprintback: tables, engine/session setup, migrations, repositories.

- ``bot.store.db``: ``make_engine``, ``session_scope``, ``upgrade``/``downgrade``,
  ``check_schema_current`` (DATABASE_URL picks SQLite or PostgreSQL).
- ``bot.store.models``: the SQLModel tables.
- ``bot.store.repo``: keyword-only repository functions that never commit.
- ``bot/store/migrations``: Alembic revisions (``sprintback db upgrade``).
"""
