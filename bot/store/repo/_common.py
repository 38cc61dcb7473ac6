"""Helpers shared by the repositories: errors, time checks, dialect-aware upserts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import cast, null
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


def null_padding(columns: Sequence[tuple[str, Any]], *, typed: bool) -> list[Any]:
    """NULLs labelled like ``columns`` ((label, type) pairs), to pad a SELECT of a UNION.

    ``typed`` makes them CASTs, needed in the first SELECT of a UNION only: PostgreSQL types
    its columns pairwise, left to right, and a later bare NULL takes the type found so far.
    """
    return [(cast(null(), type_) if typed else null()).label(name) for name, type_ in columns]
