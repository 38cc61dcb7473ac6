"""Helpers shared by the repositories: errors, time checks, dialect-aware upserts."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Insert, Table, Update, bindparam, cast, event, insert, null, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, SQLModel


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
    return insert_for(session.get_bind().dialect.name, table)


def insert_for(dialect: str, table: Any) -> Any:
    """Return an INSERT for ``table`` that supports ON CONFLICT on ``dialect``."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def is_postgres(session: Session) -> bool:
    """Tell whether the session talks to PostgreSQL (else SQLite)."""
    return session.get_bind().dialect.name == "postgresql"


def null_padding(columns: Sequence[tuple[str, Any]], *, typed: bool) -> list[Any]:
    """NULLs labelled like ``columns`` ((label, type) pairs), to pad a SELECT of a UNION.

    ``typed`` makes them CASTs, needed in the first SELECT of a UNION only: PostgreSQL types
    its columns pairwise, left to right, and a later bare NULL takes the type found so far.
    """
    return [(cast(null(), type_) if typed else null()).label(name) for name, type_ in columns]


# --- prepared writes for the answer path ----------------------------------------------------
# A unit-of-work flush costs several times a prepared statement; the athlete's answer path
# writes a handful of rows per update, so these write with one prepared statement and keep
# the session's objects in step with what was written. The ORM does not know about these
# writes, so when a (nested) transaction that made them rolls back, the objects are put back
# in step here: inserted ones leave the session, updated ones are reloaded on next access.

_CORE_WRITES = "sprintback.core_writes"


def _remember_core_write(session: Session, row: SQLModel, *, inserted: bool) -> None:
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_CORE_WRITES, []).append((transaction, row, inserted))


@event.listens_for(OrmSession, "after_soft_rollback")
def _undo_core_writes(session: OrmSession, rolled_back: SessionTransaction) -> None:
    """After a rollback, drop the objects inserted and expire those updated in it."""
    writes = session.info.get(_CORE_WRITES)
    if not writes:
        return
    kept = []
    for transaction, row, inserted in writes:
        if not _inside(transaction, rolled_back):
            kept.append((transaction, row, inserted))
        elif inserted:
            if row in session:
                session.expunge(row)
        elif row in session:
            session.expire(row)
    session.info[_CORE_WRITES] = kept


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@functools.cache
def _update_by_id(table: Table, columns: tuple[str, ...]) -> Update:
    values: dict[str, Any] = {column: bindparam(f"new_{column}") for column in columns}
    return update(table).where(table.c.id == bindparam("row_id")).values(values)


def update_loaded(session: Session, row: SQLModel, **values: Any) -> None:
    """Write ``values`` to the loaded ``row`` with one prepared UPDATE by primary key, and
    record them as its committed state (so no flush writes them again)."""
    table: Table = row.__table__  # type: ignore[attr-defined]
    statement = _update_by_id(table, tuple(sorted(values)))
    params = {f"new_{column}": value for column, value in values.items()}
    session.execute(statement, {"row_id": row.id, **params})  # type: ignore[attr-defined]
    for column, value in values.items():
        set_committed_value(row, column, value)
    _remember_core_write(session, row, inserted=False)


@functools.cache
def _insert_returning_id(table: Table) -> Insert:
    return insert(table).returning(table.c.id)


def insert_row(session: Session, row: SQLModel) -> None:
    """Insert the new ``row`` with one prepared INSERT and make it the session's persistent
    object with its new id (as ``session.add`` + ``flush`` would, without the flush)."""
    table: Table = row.__table__  # type: ignore[attr-defined]
    values = {c.name: getattr(row, c.name) for c in table.columns if c.name != "id"}
    row.id = session.execute(_insert_returning_id(table), values).scalar_one()
    attach_inserted(session, row)


def attach_inserted(session: Session, row: SQLModel) -> None:
    """Make ``row``, whose values (id included) were just inserted by a Core statement, the
    session's persistent object for that row, without reading it back."""
    make_transient_to_detached(row)
    session.add(row)
    _remember_core_write(session, row, inserted=True)


def attach_upserted(session: Session, row: SQLModel) -> Any:
    """Like ``attach_inserted`` for a row written by an upsert, which may have updated a row
    the session already holds: that object is refreshed and returned instead."""
    key = identity_key(type(row), row.id)  # type: ignore[attr-defined]
    held = session.identity_map.get(key)
    if held is not None:
        session.refresh(held)
        return held
    attach_inserted(session, row)
    return row
