"""Durable storage for Sprintback: tables, engine/session setup, migrations, repositories.

- ``bot.store.db``: ``make_engine``, ``session_scope``, ``upgrade``/``downgrade``,
  ``check_schema_current`` (DATABASE_URL picks SQLite or PostgreSQL).
- ``bot.store.models``: the SQLModel tables, and the names of their kinds (e.g. the outbox
  kinds) that writers and readers share.
- ``bot.store.repo``: keyword-only repository functions that never commit.
- ``bot.store.standing``: where an athlete stands, read back through the pure engine (the
  protocol a programme runs on, the stage status, a waiting sign-off); read-only.
- ``bot.store.threads``: database work off the event loop (``run_db``) and group commits.
- ``bot/store/migrations``: Alembic revisions (``sprintback db upgrade``).

Layer: below every other part of ``bot``; may import ``bot.clock``, ``bot.settings`` and
``engine`` only.
"""
