"""Staff steps in two parts, waiting for their second part (see ``PendingStep``).

One step per person (their Telegram user id) and kind: :func:`put_step` replaces the one
there, :func:`take_step` removes it and returns it, so that a message or press that two
replicas would otherwise both see finishes a step once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, select

from bot.store.models import PENDING_STEP_KINDS, PendingStep
from bot.store.repo._common import StoreError, dialect_insert, require_aware

# The kinds of step (``PENDING_STEP_KINDS``): typed text after "Message athlete", "Decline"
# or "Reviewed"; a ✅ Confirm after a review's note or a risky /stage; a protocol draft.
INPUT = "input"
CONFIRM = "confirm"
DRAFT = "draft"


# How long a step waits for its second part. A message typed half a day after "Message
# athlete" was pressed is more likely meant for something else than for the athlete; a
# protocol draft is work an admin may come back to (its Publish checks it is still current).
MAX_AGE: dict[str, dt.timedelta] = {
    INPUT: dt.timedelta(hours=12),
    CONFIRM: dt.timedelta(hours=12),
    DRAFT: dt.timedelta(days=7),
}


@dataclass(frozen=True)
class StoredStep:
    """A step as stored: what it holds, and whether it waited past its kind's ``MAX_AGE``."""

    payload: dict[str, Any]
    created_at: dt.datetime
    expired: bool


def _check_kind(kind: str) -> None:
    if kind not in PENDING_STEP_KINDS:
        raise StoreError(f"kind must be one of {', '.join(PENDING_STEP_KINDS)}, got {kind!r}")


def put_step(
    session: Session,
    *,
    telegram_user_id: int,
    kind: str,
    payload: dict[str, Any],
    now: dt.datetime,
    athlete_id: int | None = None,
) -> None:
    """Record that ``telegram_user_id`` has a step of ``kind`` waiting, replacing any."""
    _check_kind(kind)
    values = {
        "telegram_user_id": telegram_user_id,
        "kind": kind,
        "athlete_id": athlete_id,
        "payload": payload,
        "created_at": require_aware("now", now),
    }
    table = PendingStep.__table__  # type: ignore[attr-defined]
    statement = dialect_insert(session, table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["telegram_user_id", "kind"],
        set_={k: v for k, v in values.items() if k not in ("telegram_user_id", "kind")},
    )
    session.execute(statement)


def _stored(kind: str, payload: Any, created_at: dt.datetime, now: dt.datetime) -> StoredStep:
    if created_at.tzinfo is None:  # SQLite's RETURNING may skip the column type's processing
        created_at = created_at.replace(tzinfo=dt.UTC)
    expired = require_aware("now", now) - created_at > MAX_AGE[kind]
    return StoredStep(dict(payload), created_at, expired)


def get_step(
    session: Session, *, telegram_user_id: int, kind: str, now: dt.datetime
) -> StoredStep | None:
    """Return the step of ``kind`` waiting for ``telegram_user_id`` (None if there is none)."""
    _check_kind(kind)
    row = session.exec(
        select(PendingStep).where(
            PendingStep.telegram_user_id == telegram_user_id, PendingStep.kind == kind
        )
    ).first()
    return None if row is None else _stored(kind, row.payload, row.created_at, now)


def take_step(
    session: Session, *, telegram_user_id: int, kind: str, now: dt.datetime
) -> StoredStep | None:
    """Remove the step of ``kind`` waiting for ``telegram_user_id`` and return it (None if
    there is none, or another transaction took it first)."""
    _check_kind(kind)
    table = PendingStep.__table__  # type: ignore[attr-defined]
    row = session.execute(
        delete(table)
        .where(table.c.telegram_user_id == telegram_user_id, table.c.kind == kind)
        .returning(table.c.payload, table.c.created_at)
    ).first()
    return None if row is None else _stored(kind, row.payload, row.created_at, now)


def drop_steps(session: Session, *, telegram_user_id: int, kinds: tuple[str, ...]) -> int:
    """Remove the steps of ``kinds`` waiting for ``telegram_user_id``; return how many."""
    for kind in kinds:
        _check_kind(kind)
    table = PendingStep.__table__  # type: ignore[attr-defined]
    result = session.connection().execute(
        delete(table).where(table.c.telegram_user_id == telegram_user_id, table.c.kind.in_(kinds))
    )
    return int(result.rowcount)


def drop_expired_steps(session: Session, *, now: dt.datetime) -> int:
    """Remove every step older than its kind's ``MAX_AGE`` (housekeeping); return how many.

    Expired steps are also refused when they are read; this keeps a note nobody came back
    for from staying in the database."""
    table = PendingStep.__table__  # type: ignore[attr-defined]
    now = require_aware("now", now)
    removed = 0
    for kind, age in MAX_AGE.items():
        statement = delete(table).where(table.c.kind == kind, table.c.created_at < now - age)
        removed += int(session.connection().execute(statement).rowcount)
    return removed
