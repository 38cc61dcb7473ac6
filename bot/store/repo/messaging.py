"""Outgoing messages (outbox), processed Telegram updates and scheduled prompts.

The outbox and the prompt table are work queues shared by every process on one database:
``claim_outbox`` and ``claim_due_prompts`` hand each row to exactly one worker (row locks
with SKIP LOCKED on PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE). A claim
that is not finished within ``lease`` (a worker died) becomes claimable again.

The rows to claim are picked in a MATERIALIZED common table expression: with a plain
``WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)`` PostgreSQL may run the
subquery more than once and claim more than ``n`` rows.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Literal

from sqlalchemy import Integer, bindparam, delete, literal_column, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.store.models import (
    PROGRESS_CHART_KIND,
    PROMPT_KINDS,
    Outbox,
    ProcessedUpdate,
    ScheduledPrompt,
)
from bot.store.repo._common import (
    NotFoundError,
    StoreError,
    attach_inserted,
    dialect_insert,
    insert_for,
    require_aware,
)
from bot.store.types import UTCDateTime
from bot.support.limits import CAPTION_LIMIT, TEXT_LIMIT, fit_text, split_text

DEFAULT_LEASE = dt.timedelta(minutes=5)
PromptKind = Literal["morning", "reminder", "cutoff", "post_session", "followup", "digest"]


def enqueue_message(
    session: Session,
    *,
    chat_id: int,
    text: str,
    kind: str,
    now: dt.datetime,
    reply_markup: dict[str, Any] | None = None,
    parse_mode: str | None = None,
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
    person_id: int | None = None,
    athlete_id: int | None = None,
    author_id: int | None = None,
) -> Outbox:
    """Queue a message in the caller's transaction; return the queued row.

    With ``dedupe_key``, a message already queued under that key is returned instead of a
    second one. ``athlete_id`` names the athlete the message is about (for deletion);
    ``author_id`` the person who wrote it, who is told if it finally cannot be delivered.
    A text longer than one Telegram message is queued as several rows, cut at paragraph, line,
    sentence or word boundaries (``bot.limits``), sent in order; the keyboard goes with the
    last, which is returned. A chart's caption is shortened to fit instead.
    """
    now = require_aware("now", now)
    if not text:
        raise StoreError("an outgoing message needs text")
    if kind == PROGRESS_CHART_KIND:
        parts = [fit_text(text, CAPTION_LIMIT)]
    elif parse_mode is None:
        parts = split_text(text, TEXT_LIMIT)
    else:
        parts = [text]  # formatted: the bot sends it as plain text if it is too long
    values: dict[str, Any] = {
        "chat_id": chat_id,
        "person_id": person_id,
        "athlete_id": athlete_id,
        "author_id": author_id,
        "text": parts[-1],
        "reply_markup": reply_markup,
        "parse_mode": parse_mode,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "not_before": now if not_before is None else require_aware("not_before", not_before),
        "status": "pending",
        "attempts": 0,
        "created_at": now,
    }
    for number, part in enumerate(parts[:-1], start=1):
        key = f"{dedupe_key}#{number}" if dedupe_key is not None else None
        _insert(session, {**values, "text": part, "reply_markup": None, "dedupe_key": key})
    return _insert(session, values)


def _insert(session: Session, values: dict[str, Any]) -> Outbox:
    """Insert one outbox row of ``values`` (or return the row already under its dedupe key)."""
    dedupe_key = values["dedupe_key"]
    if dedupe_key is None:
        row = Outbox(**values)
        session.add(row)
        session.flush()
        return row
    statement = _insert_unless_deduped(session.get_bind().dialect.name, tuple(values))
    new_id = session.execute(statement, values).scalar()
    if new_id is None:  # already queued under this key
        return session.exec(select(Outbox).where(Outbox.dedupe_key == dedupe_key)).one()
    row = Outbox(id=new_id, **values)
    attach_inserted(session, row)
    return row


@functools.cache
def _insert_unless_deduped(dialect: str, columns: tuple[str, ...]) -> Any:
    """INSERT an outbox row of ``columns`` unless one with its dedupe key exists; returns the
    new id (none when it existed). Prepared once per database kind."""
    table = Outbox.__table__  # type: ignore[attr-defined]
    return (
        insert_for(dialect, table)
        .values({name: bindparam(name) for name in columns})
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.id)
    )


def claim_outbox(
    session: Session,
    *,
    now: dt.datetime,
    limit: int,
    worker: str,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> list[Outbox]:
    """Claim up to ``limit`` messages that are due, oldest first, for ``worker`` to send.

    A row is never handed to two workers at once. Commit soon after claiming, then send,
    then ``mark_outbox_sent`` / ``mark_outbox_failed`` in a new short transaction.
    """
    now = require_aware("now", now)
    _release_expired(session, Outbox, "sending", now - lease)
    candidates = (
        select(Outbox.id)
        .where(col(Outbox.status) == "pending", col(Outbox.not_before) <= now)
        .order_by(col(Outbox.not_before), col(Outbox.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due_messages")
        .prefix_with("MATERIALIZED")
    )
    claimed = session.exec(
        update(Outbox)
        .where(col(Outbox.id).in_(select(candidates.c.id)), col(Outbox.status) == "pending")
        .values(status="sending", claimed_by=worker, claimed_at=now, attempts=Outbox.attempts + 1)
        .returning(Outbox)
        .execution_options(populate_existing=True, synchronize_session=False)
    ).scalars()
    return sorted(claimed, key=lambda r: (r.not_before, r.id or 0))


def _release_expired(
    session: Session, table: Any, claimed_status: str, before: dt.datetime
) -> None:
    """Put rows whose claim is older than ``before`` (a worker died) back to pending.

    A separate statement, so the claim itself is a plain index range scan on
    (status, due time) that stops after ``limit`` rows however long the queue is.
    """
    session.exec(
        update(table)
        .where(table.status == claimed_status, table.claimed_at < before)
        .values(status="pending", claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )


def _require_outbox(session: Session, outbox_id: int) -> Outbox:
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise NotFoundError(f"no outgoing message with id {outbox_id}")
    return row


def mark_outbox_sent(
    session: Session, *, outbox_id: int, now: dt.datetime, telegram_message_id: int | None = None
) -> Outbox:
    """Record that Telegram accepted the message."""
    row = _require_outbox(session, outbox_id)
    row.status = "sent"
    row.sent_at = require_aware("now", now)
    row.telegram_message_id = telegram_message_id
    row.last_error = None
    session.add(row)
    session.flush()
    return row


def mark_outbox_failed(
    session: Session,
    *,
    outbox_id: int,
    now: dt.datetime,
    error: str,
    retry_at: dt.datetime | None = None,
    undeliverable: bool = False,
) -> Outbox:
    """Record a failed send: retry at ``retry_at``, or give up (``failed``/``undeliverable``).

    ``undeliverable`` is for a chat that will never accept it (bot blocked, chat gone).
    """
    row = _require_outbox(session, outbox_id)
    row.last_error = error[:2000]
    row.claimed_by = None
    row.claimed_at = None
    if undeliverable:
        row.status = "undeliverable"
    elif retry_at is not None:
        row.status = "pending"
        row.not_before = require_aware("retry_at", retry_at)
    else:
        row.status = "failed"
    require_aware("now", now)
    session.add(row)
    session.flush()
    return row


def pending_messages(session: Session, *, chat_id: int | None = None) -> list[Outbox]:
    """Return messages not yet sent (pending or being sent), oldest first."""
    query = select(Outbox).where(col(Outbox.status).in_(("pending", "sending")))
    if chat_id is not None:
        query = query.where(Outbox.chat_id == chat_id)
    return list(session.exec(query.order_by(col(Outbox.not_before), col(Outbox.id))))


_PROCESSED_TABLE = ProcessedUpdate.__table__  # type: ignore[attr-defined]
# One compiled-once INSERT per dialect, with bound parameters (built on first use).
_MARK_PROCESSED: dict[str, Any] = {}


def _mark_processed_stmt(dialect: str) -> Any:
    """Return the dialect's INSERT ... ON CONFLICT DO NOTHING RETURNING for an update id."""
    stmt = _MARK_PROCESSED.get(dialect)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(_PROCESSED_TABLE)
            .values(update_id=bindparam("update_id"), processed_at=bindparam("processed_at"))
            .on_conflict_do_nothing(index_elements=["update_id"])
            # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT.
            .returning(_PROCESSED_TABLE.c.update_id)
        )
        _MARK_PROCESSED[dialect] = stmt
    return stmt


def mark_update_processed(session: Session, *, update_id: int, now: dt.datetime) -> bool:
    """Record a Telegram update id; return False if it was processed before (a redelivery).

    Call it in the same transaction as the update's effects: if they roll back, so does
    the mark, and the redelivered update is handled again.
    """
    processed_at = require_aware("now", now)
    stmt = _mark_processed_stmt(session.get_bind().dialect.name)
    # Through the session (a table, not the mapped class: no ORM bulk-insert machinery), so
    # a read-only scope still refuses it.
    row = session.execute(stmt, {"update_id": update_id, "processed_at": processed_at})
    return row.first() is not None


def prune_processed_updates(session: Session, *, before: dt.datetime) -> int:
    """Forget update ids processed before ``before`` (Telegram redelivers for ~24 h)."""
    result = session.exec(
        delete(ProcessedUpdate).where(
            col(ProcessedUpdate.processed_at) < require_aware("before", before)
        )
    )
    return int(result.rowcount)


def schedule_prompt(
    session: Session,
    *,
    athlete_id: int,
    kind: PromptKind,
    local_date: dt.date,
    due_at: dt.datetime,
) -> ScheduledPrompt:
    """Plan a prompt; one per athlete, kind and local date (a second call returns the first).

    A still-pending prompt gets the new ``due_at`` (e.g. the athlete changed their time).
    """
    if kind not in PROMPT_KINDS:
        raise StoreError(f"unknown prompt kind {kind!r}: expected one of {', '.join(PROMPT_KINDS)}")
    due_at = require_aware("due_at", due_at)
    stmt = (
        dialect_insert(session, ScheduledPrompt)
        .values(
            athlete_id=athlete_id, kind=kind, local_date=local_date, due_at=due_at, status="pending"
        )
        .on_conflict_do_nothing(index_elements=["athlete_id", "kind", "local_date"])
    )
    session.exec(stmt)
    row = session.exec(
        select(ScheduledPrompt)
        .where(
            ScheduledPrompt.athlete_id == athlete_id,
            ScheduledPrompt.kind == kind,
            ScheduledPrompt.local_date == local_date,
        )
        .execution_options(populate_existing=True)
    ).one()
    if row.status == "pending" and row.due_at != due_at:
        row.due_at = due_at
        session.add(row)
        session.flush()
    return row


_DUE_PROMPTS = (
    select(ScheduledPrompt)
    .where(
        ScheduledPrompt.status == literal_column("'pending'"),
        col(ScheduledPrompt.due_at) <= bindparam("now", type_=UTCDateTime()),
    )
    .order_by(col(ScheduledPrompt.due_at), col(ScheduledPrompt.id))
    .limit(bindparam("limit", type_=Integer()))
)


def due_prompts(session: Session, *, now: dt.datetime, limit: int = 500) -> list[ScheduledPrompt]:
    """Return pending prompts due at ``now`` (read only), earliest first."""
    params = {"now": require_aware("now", now), "limit": limit}
    return list(session.exec(_DUE_PROMPTS, params=params))


def claim_due_prompts(
    session: Session,
    *,
    now: dt.datetime,
    limit: int,
    worker: str,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> list[ScheduledPrompt]:
    """Claim up to ``limit`` prompts due at ``now`` for ``worker``; never one row twice."""
    now = require_aware("now", now)
    _release_expired(session, ScheduledPrompt, "claimed", now - lease)
    candidates = (
        select(ScheduledPrompt.id)
        .where(col(ScheduledPrompt.status) == "pending", col(ScheduledPrompt.due_at) <= now)
        .order_by(col(ScheduledPrompt.due_at), col(ScheduledPrompt.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due_prompts")
        .prefix_with("MATERIALIZED")
    )
    claimed = session.exec(
        update(ScheduledPrompt)
        .where(
            col(ScheduledPrompt.id).in_(select(candidates.c.id)),
            col(ScheduledPrompt.status) == "pending",
        )
        .values(status="claimed", claimed_by=worker, claimed_at=now)
        .returning(ScheduledPrompt)
        .execution_options(populate_existing=True, synchronize_session=False)
    ).scalars()
    return sorted(claimed, key=lambda r: (r.due_at, r.id or 0))


def finish_prompt(
    session: Session,
    *,
    prompt_id: int,
    status: Literal["sent", "missed", "cancelled"],
    now: dt.datetime,
) -> ScheduledPrompt:
    """Close a prompt as sent, missed or cancelled."""
    if status not in ("sent", "missed", "cancelled"):
        raise StoreError(f"a prompt is closed as 'sent', 'missed' or 'cancelled', not {status!r}")
    row = session.get(ScheduledPrompt, prompt_id)
    if row is None:
        raise NotFoundError(f"no scheduled prompt with id {prompt_id}")
    row.status = status
    row.done_at = require_aware("now", now)
    session.add(row)
    session.flush()
    return row


def cancel_prompts(
    session: Session,
    *,
    athlete_id: int,
    local_date: dt.date,
    kinds: tuple[PromptKind, ...],
    now: dt.datetime,
) -> int:
    """Cancel the athlete's pending prompts of ``kinds`` for a date (e.g. answered early)."""
    result = session.exec(
        update(ScheduledPrompt)
        .where(
            col(ScheduledPrompt.athlete_id) == athlete_id,
            col(ScheduledPrompt.local_date) == local_date,
            col(ScheduledPrompt.kind).in_(kinds),
            col(ScheduledPrompt.status) == "pending",
        )
        .values(status="cancelled", done_at=require_aware("now", now))
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount)
