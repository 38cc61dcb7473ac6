"""The inbox of Telegram updates: stored before Telegram is told, handled in each chat's order.

Statuses: ``pending`` (stored, not handled), ``processed`` (the update's effects committed,
with the guard below, in the same transaction), ``done`` (its replies went out or wait in
the outbox's retries). An update may be handled only when it is its chat's *head*: no lower
``update_id`` of the same chat is still short of done, whichever process received it.

A process holds the rows it received or took over under a lease (``lease_until``), renewed
while it works; a lease that ran out means the process died, and any other process may take
the row (``claim_orphans``). Done rows stay two days as the guard against redeliveries,
without their text: an update's payload (which may hold health answers) is cleared as soon
as it is processed. A done row keeps its chat only when a person has it: a stranger's, or
that of someone who deleted their data while an update of theirs waited (on another
replica), is not kept (``mark_done``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, bindparam, case, delete, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from bot.store.models import InboxUpdate, Person
from bot.store.repo._common import require_aware
from bot.store.types import UTCDateTime

_TABLE: Any = InboxUpdate.__table__  # type: ignore[attr-defined]
# Telegram redelivers an unacknowledged update for about a day; done rows are kept longer.
KEEP_DONE = dt.timedelta(days=2)


@dataclass(frozen=True)
class Stored:
    """What storing an update found: ``fresh`` (not seen before) and ``head`` (no lower
    update of its chat was still open, so it may be handled at once)."""

    fresh: bool
    head: bool


@functools.cache
def _insert_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(_TABLE)
        .values(
            update_id=bindparam("update_id"),
            chat_id=bindparam("chat_id"),
            payload=bindparam("payload"),
            status=literal_column("'pending'"),
            received_at=bindparam("now", type_=UTCDateTime()),
            claimed_by=bindparam("worker"),
            lease_until=bindparam("lease_until", type_=UTCDateTime()),
            attempts=literal_column("0"),
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(_TABLE.c.update_id)
    )


_OPEN_BELOW = (
    select(_TABLE.c.update_id)
    .where(
        _TABLE.c.chat_id == bindparam("chat_id"),
        _TABLE.c.update_id < bindparam("update_id"),
        _TABLE.c.status != literal_column("'done'"),
    )
    .limit(1)
)


def store_update(
    session: Session,
    *,
    update_id: int,
    chat_id: int,
    payload: str | None,
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta,
) -> Stored:
    """Store a received update for ``worker`` (leased to it until ``now + lease``).

    A redelivered update (same id) is not stored again: ``fresh`` is False.
    """
    now = require_aware("now", now)
    params = {
        "update_id": update_id,
        "chat_id": chat_id,
        "payload": payload,
        "now": now,
        "worker": worker,
        "lease_until": now + lease,
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        row = session.execute(_insert_head_statement(dialect), params).first()
        if row is None:
            return Stored(fresh=False, head=False)
        return Stored(fresh=True, head=bool(row[1]))
    fresh = session.execute(_insert_statement(dialect), params)
    if fresh.first() is None:
        return Stored(fresh=False, head=False)
    return Stored(fresh=True, head=is_head(session, update_id=update_id, chat_id=chat_id))


@functools.cache
def _insert_head_statement(dialect: str) -> Any:
    """The INSERT of one update that also says whether it is its chat's head (no lower
    update of the chat short of done: ``is_head``), one statement instead of two
    (PostgreSQL: SQLite's RETURNING drops the table names inside the subquery)."""
    older = _TABLE.alias("older")
    below = (
        select(older.c.update_id)
        .where(
            older.c.chat_id == bindparam("chat_id"),
            older.c.update_id < bindparam("update_id"),
            older.c.status != literal_column("'done'"),
        )
        .exists()
    )
    return _insert_statement(dialect).returning((~below).label("head"))


_LOWEST_OPEN = (
    select(_TABLE.c.chat_id, func.min(_TABLE.c.update_id))
    .where(
        _TABLE.c.chat_id.in_(bindparam("chats", expanding=True)),
        _TABLE.c.status != literal_column("'done'"),
    )
    .group_by(_TABLE.c.chat_id)
)


def store_updates(
    session: Session,
    rows: Sequence[tuple[int, int, str | None]],
    *,
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta,
) -> list[Stored]:
    """Store several received updates (``(update_id, chat_id, payload)``) at once, leased to
    ``worker``; return, for each, whether it was fresh and its chat's head."""
    if not rows:
        return []
    if len(rows) == 1:  # (the common case when quiet: the plain statement is cheaper)
        update_id, chat_id, payload = rows[0]
        single = store_update(
            session,
            update_id=update_id,
            chat_id=chat_id,
            payload=payload,
            worker=worker,
            now=now,
            lease=lease,
        )
        return [single]
    now = require_aware("now", now)
    params = [
        {
            "update_id": update_id,
            "chat_id": chat_id,
            "payload": payload,
            "now": now,
            "worker": worker,
            "lease_until": now + lease,
        }
        for update_id, chat_id, payload in rows
    ]
    # One prepared statement, run for every row (SQLAlchemy sends them as one multi-row
    # INSERT ... RETURNING): only the rows not stored before come back.
    fresh = set(
        session.execute(_insert_statement(session.get_bind().dialect.name), params).scalars()
    )
    chats = sorted({chat_id for update_id, chat_id, _ in rows if update_id in fresh})
    lowest = (
        dict(
            session.execute(
                select(_TABLE.c.chat_id, func.min(_TABLE.c.update_id))
                .where(_TABLE.c.chat_id.in_(chats), _TABLE.c.status != "done")
                .group_by(_TABLE.c.chat_id)
            ).all()
        )
        if chats
        else {}
    )
    return [
        Stored(fresh=update_id in fresh, head=update_id in fresh and lowest.get(chat) == update_id)
        for update_id, chat, _ in rows
    ]


def is_head(session: Session, *, update_id: int, chat_id: int) -> bool:
    """Tell whether every lower update of ``chat_id`` is done (this one may be handled)."""
    params = {"chat_id": chat_id, "update_id": update_id}
    return session.execute(_OPEN_BELOW, params).first() is None


@functools.cache
def _processed_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(_TABLE).values(
        update_id=bindparam("update_id"),
        chat_id=literal_column("0"),
        status=literal_column("'processed'"),
        received_at=bindparam("now", type_=UTCDateTime()),
        processed_at=bindparam("now", type_=UTCDateTime()),
        processed_by=bindparam("worker"),
        attempts=literal_column("1"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["update_id"],
        set_={
            # The update's text is not needed any more (a processed update is never run
            # again) and may carry health answers: it is not kept.
            "payload": None,
            "status": literal_column("'processed'"),
            "processed_at": stmt.excluded.processed_at,
            "processed_by": stmt.excluded.processed_by,
        },
        where=_TABLE.c.status == literal_column("'pending'"),
    ).returning(_TABLE.c.update_id)


def mark_update_processed(
    session: Session, *, update_id: int, now: dt.datetime, worker: str | None = None
) -> bool:
    """Record that an update's effects are being committed; return False if it was processed
    before (a redelivery, or another process got there first).

    Call it in the same transaction as the update's effects: if they roll back, so does the
    mark, and the update is handled again. An update that never went through the inbox
    (tests driving the Application directly) gets its row here.
    """
    stmt = _processed_statement(session.get_bind().dialect.name)
    params = {"update_id": update_id, "now": require_aware("now", now), "worker": worker}
    return session.execute(stmt, params).first() is not None


def _chat_of_someone(chat: Any) -> Any:
    """``chat`` when a person has it (their Telegram id, or the chat recorded for them), else 0:
    the chat a done row keeps. A done row needs no chat (only open rows order a chat's
    updates); it keeps a person's for the two days (the deletion of their data finds it by
    it), never a chat nobody has: a stranger's, or that of someone who deleted their data
    while an update of theirs still waited (on another replica, or taken over from one that
    died), handled after the deletion committed."""
    person: Any = Person.__table__  # type: ignore[attr-defined]
    # The row's own chat is named as SQL text: a column of the table would add the table to
    # the subqueries' FROM (nothing correlates them in an upsert's SET). The chat recorded
    # for a person is their Telegram id in practice (indexed): it is looked up first.
    named = literal_column(f"{_TABLE.name}.chat_id") if chat is _TABLE.c.chat_id else chat
    by_id = select(person.c.id).where(person.c.telegram_user_id == named)
    by_chat = select(person.c.id).where(person.c.chat_id == named)
    return case((by_id.exists(), chat), (by_chat.exists(), chat), else_=literal_column("0"))


@functools.cache
def _done_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(_TABLE).values(
        update_id=bindparam("update_id"),
        chat_id=_chat_of_someone(bindparam("chat_id", type_=BigInteger())),
        status=literal_column("'done'"),
        received_at=bindparam("now", type_=UTCDateTime()),
        processed_at=bindparam("now", type_=UTCDateTime()),
        processed_by=bindparam("worker"),
        attempts=literal_column("1"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["update_id"],
        set_={
            "status": literal_column("'done'"),
            "payload": None,
            "chat_id": _chat_of_someone(_TABLE.c.chat_id),
            "lease_until": None,
            "processed_at": stmt.excluded.processed_at,
            "processed_by": stmt.excluded.processed_by,
        },
        where=_TABLE.c.status != literal_column("'done'"),
    )


def mark_done(
    session: Session,
    *,
    update_ids: Sequence[int],
    now: dt.datetime,
    worker: str | None,
    chat_ids: Sequence[int] | None = None,
) -> None:
    """Record that the updates' replies are out (or left to the outbox's retries). An update
    not stored yet (a polled update handled before its row was written) gets its row, done:
    a redelivery of it is then recognised. A chat no person has is not kept (0 instead):
    see :func:`_chat_of_someone`."""
    if not update_ids:
        return
    now = require_aware("now", now)
    chats = list(chat_ids) if chat_ids is not None else [0] * len(update_ids)
    session.execute(
        _done_statement(session.get_bind().dialect.name),
        sorted(  # rows locked in one order: no deadlock
            (
                {"update_id": update_id, "chat_id": chat, "now": now, "worker": worker}
                for update_id, chat in zip(update_ids, chats, strict=True)
            ),
            key=lambda row: int(row["update_id"]),
        ),
    )


def store_many(
    session: Session,
    rows: Sequence[tuple[int, int, str | None]],
    *,
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta,
) -> None:
    """Store received updates (``(update_id, chat_id, payload)``) not stored yet, leased to
    ``worker``; ones already stored (or already processed) are left as they are."""
    if not rows:
        return
    now = require_aware("now", now)
    session.execute(
        _insert_statement(session.get_bind().dialect.name),
        [
            {
                "update_id": update_id,
                "chat_id": chat_id,
                "payload": payload,
                "now": now,
                "worker": worker,
                "lease_until": now + lease,
            }
            for update_id, chat_id, payload in rows
        ],
    )


def renew(session: Session, *, update_ids: Sequence[int], worker: str, until: dt.datetime) -> None:
    """Extend ``worker``'s lease on the updates it still works on."""
    if not update_ids:
        return
    held = (
        select(_TABLE.c.update_id)
        .where(_TABLE.c.update_id.in_(list(update_ids)), _TABLE.c.status != "done")
        .with_for_update(skip_locked=True)  # one being marked done now needs no renewal
    )
    session.execute(
        update(_TABLE)
        .where(_TABLE.c.update_id.in_(held))
        .values(claimed_by=worker, lease_until=require_aware("until", until))
    )


def release(session: Session, *, update_ids: Sequence[int], now: dt.datetime) -> None:
    """Give up the lease on updates this process will not handle (it is shutting down)."""
    if not update_ids:
        return
    session.execute(
        update(_TABLE)
        .where(_TABLE.c.update_id.in_(list(update_ids)), _TABLE.c.status != "done")
        .values(lease_until=require_aware("now", now))
    )


@dataclass(frozen=True)
class Orphan:
    """An update whose process died before finishing it, now claimed by this one."""

    update_id: int
    chat_id: int
    payload: str | None
    status: str


def claim_orphans(
    session: Session, *, now: dt.datetime, worker: str, lease: dt.timedelta, limit: int
) -> list[Orphan]:
    """Claim up to ``limit`` unfinished updates whose lease ran out and that are their chat's
    head, lowest first; each is handed to one process only (SKIP LOCKED on PostgreSQL)."""
    now = require_aware("now", now)
    older = _TABLE.alias("older")
    # SQL literals for the status, as in the partial indexes on open rows (a bound value
    # would keep the planner from using them).
    not_done: Any = literal_column("'done'")
    candidates = (
        select(_TABLE.c.update_id)
        .where(
            _TABLE.c.status != not_done,
            _TABLE.c.lease_until < now,
            ~select(older.c.update_id)
            .where(
                older.c.chat_id == _TABLE.c.chat_id,
                older.c.update_id < _TABLE.c.update_id,
                older.c.status != not_done,
            )
            .exists(),
        )
        .order_by(_TABLE.c.update_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("orphans")
        .prefix_with("MATERIALIZED")
    )
    rows = session.execute(
        update(_TABLE)
        .where(
            _TABLE.c.update_id.in_(select(candidates.c.update_id)),
            _TABLE.c.lease_until < now,
            _TABLE.c.status != "done",
        )
        .values(claimed_by=worker, lease_until=now + lease, attempts=_TABLE.c.attempts + 1)
        .returning(_TABLE.c.update_id, _TABLE.c.chat_id, _TABLE.c.payload, _TABLE.c.status)
    ).all()
    return sorted(
        (Orphan(int(r[0]), int(r[1]), r[2], str(r[3])) for r in rows), key=lambda o: o.update_id
    )


def open_updates(session: Session) -> list[InboxUpdate]:
    """Return the updates not yet done, lowest first (health checks and tests read them)."""
    return list(
        session.exec(
            select(InboxUpdate)  # type: ignore[call-overload]
            .where(col(InboxUpdate.status) != "done")
            .order_by(col(InboxUpdate.update_id))
        ).scalars()
    )


def prune_done(session: Session, *, before: dt.datetime) -> int:
    """Forget updates done before ``before`` (Telegram redelivers for about a day)."""
    result = session.execute(
        delete(_TABLE).where(
            _TABLE.c.status == "done", _TABLE.c.received_at < require_aware("before", before)
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
