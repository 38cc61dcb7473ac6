"""Helpers shared by the repositories: errors, time checks, dialect-aware upserts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


class StoreError(ValueError):
    """A request the storage layer refuses; the message says what was wrong."""


class NotFoundError(StoreError):
    """The row a request names does not exist."""


def require_aware(name: str, value: dt.datetime) -> dt.datetime:
    """Return ``value`` in UTC, refusing a naive datetime with a message naming ``name``."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(f"{name} must be a timezone-aware datetime, got naive {value.isoformat()}")
    return value.astimezone(dt.UTC)


def dialect_insert(session: Session, table: Any) -> Any:
    """Return an INSERT for ``table`` that supports ON CONFLICT on this session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def is_postgres(session: Session) -> bool:
    """Tell whether the session talks to PostgreSQL (else SQLite)."""
    return session.get_bind().dialect.name == "postgresql"
