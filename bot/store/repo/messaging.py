"""Outgoing messages (outbox) and scheduled prompts (the inbox of updates: ``inbox``).

The outbox and the prompt table are work queues shared by every process on one database:
``claim_outbox`` and ``claim_due_prompts`` hand each row to exactly one worker (row locks
with SKIP LOCKED on PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE). A claim
that is not finished within ``lease`` (a worker died) becomes claimable again. A chat's
messages leave in order: a row waits while an earlier row of its chat is unsent.

The rows to claim are picked in a MATERIALIZED common table expression: with a plain
``WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)`` PostgreSQL may run the
subquery more than once and claim more than ``n`` rows.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Integer, bindparam, case, delete, literal_column, null, or_, text, update
from sqlmodel import Session, col, select

from bot.store.models import (
    PROGRESS_CHART_KIND,
    PROMPT_KINDS,
    REPLY_KIND,
    Outbox,
    Person,
    QuestionnaireProgress,
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
from bot.support.limits import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    fit_text,
    split_text,
    without_bidi_controls,
)

DEFAULT_LEASE = dt.timedelta(minutes=5)
PromptKind = Literal["morning", "reminder", "cutoff", "post_session", "followup", "digest"]


_OUTBOX: Any = Outbox.__table__  # type: ignore[attr-defined]


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
    # Bidi controls are never sent (bot.delivery.within_limits): dropped before the text is
    # cut, so that no part is made of them alone and goes out empty.
    text = without_bidi_controls(text)
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


# Claims of outbox rows take this PostgreSQL advisory lock (for their transaction), so two
# processes never claim two rows of one chat at once and send them out of order; a claim takes
# a few milliseconds. SQLite serialises writers anyway.
_CLAIM_LOCK = 0x5B0_0B0C


_EARLIER: Any = _OUTBOX.alias("earlier")
# Due rows, oldest first, whose chat has no earlier row being sent or waiting for its retry.
# The status tests are SQL literals, as in the partial index on unsent rows: a bound value
# would keep SQLite (and PostgreSQL's generic plans) from using it, and each candidate would
# scan the table.
_UNSENT: Any = (literal_column("'pending'"), literal_column("'sending'"))
_DUE_IN_ORDER = (
    select(_OUTBOX.c.id)
    .where(
        _OUTBOX.c.status == literal_column("'pending'"),
        _OUTBOX.c.not_before <= bindparam("now", type_=UTCDateTime()),
        ~select(_EARLIER.c.id)
        .where(
            _EARLIER.c.chat_id == _OUTBOX.c.chat_id,
            _EARLIER.c.id < _OUTBOX.c.id,
            _EARLIER.c.status.in_(_UNSENT),
            # Being sent, or waiting for its retry: the chat waits. A message queued for
            # later (never tried) does not hold back those due now.
            or_(
                _EARLIER.c.status == literal_column("'sending'"),
                (_EARLIER.c.attempts > 0)
                & (_EARLIER.c.not_before > bindparam("now", type_=UTCDateTime())),
            ),
        )
        .exists(),
    )
    .order_by(_OUTBOX.c.id)
    .limit(bindparam("limit", type_=Integer()))
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

    A row is never handed to two workers at once, and a chat's messages go out in order: a
    row is not claimed while an earlier row of its chat is being sent (by any process) or
    waits for its retry; earlier rows that are due come first in the same claim. Commit soon
    after claiming, then send (a chat's rows by id), then record the outcome in a new short
    transaction.
    """
    now = require_aware("now", now)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK})
    _release_expired(session, Outbox, "sending", now - lease)
    ids = list(session.execute(_DUE_IN_ORDER, {"now": now, "limit": limit}).scalars())
    if not ids:
        return []
    claimed = session.exec(
        update(Outbox)
        .where(col(Outbox.id).in_(ids), col(Outbox.status) == "pending")
        .values(status="sending", claimed_by=worker, claimed_at=now, attempts=Outbox.attempts + 1)
        .returning(Outbox)
        .execution_options(populate_existing=True, synchronize_session=False)
    ).scalars()
    return sorted(claimed, key=lambda r: r.id or 0)


_UNSENT_REPLY_IN_CHAT = (
    select(_OUTBOX.c.id)
    .where(
        _OUTBOX.c.chat_id == bindparam("chat_id"),
        _OUTBOX.c.status.in_((literal_column("'pending'"), literal_column("'sending'"))),
        _OUTBOX.c.kind == literal_column(f"'{REPLY_KIND}'"),
    )
    .limit(1)
)
# The reply's own columns (what the caller gives, the rest NULL); the claim's columns
# (status, attempts, claimed_by, claimed_at) follow from whether an earlier reply is unsent.
_REPLY_COLUMNS = (
    "chat_id", "person_id", "athlete_id", "text", "reply_markup", "kind", "method",
    "target_message_id", "progress_id", "step", "not_before", "created_at",
)  # fmt: skip
_CLAIM_COLUMNS = ("status", "attempts", "claimed_by", "claimed_at")


def queue_replies(
    session: Session,
    rows: list[dict[str, Any]],
    *,
    chat_id: int,
    now: dt.datetime,
    worker: str,
) -> tuple[list[int], bool]:
    """Queue the replies to one update (outbox rows for ``chat_id``, in order) in the
    caller's transaction; return their ids and whether they are claimed for ``worker``.

    When no earlier reply to the chat is unsent, the rows are claimed for ``worker`` at once
    (status 'sending'), so that process sends them the moment the transaction commits and
    no other sender touches them; otherwise they wait behind the earlier ones as pending (a
    reply waiting for its retry keeps the later ones behind it). Replies do not wait for the
    bot's own queued messages (a prompt, a clinician's note): those are a separate stream,
    paced by the sender. Each row dict holds the message columns (text, reply_markup, ...).

    The first row's INSERT looks for an earlier unsent reply itself (one statement instead
    of a SELECT and an INSERT) and says whether it claimed; the others follow it.
    """
    if not rows:
        return [], False
    now = require_aware("now", now)
    dialect = session.get_bind().dialect.name
    common = {
        "chat_id": chat_id,
        "not_before": now,
        "created_at": now,
        "target_message_id": None,
        "progress_id": None,
        "step": None,
        "reply_markup": None,
        "person_id": None,
        "athlete_id": None,
        "worker": worker,
    }
    first = session.execute(_insert_first_reply(dialect), {**common, **rows[0]}).one()
    ids = [int(first[0])]
    claim = first[1] == "sending"
    claimed = {
        "status": "sending" if claim else "pending",
        "attempts": 1 if claim else 0,
        "claimed_by": worker if claim else None,
        "claimed_at": now if claim else None,
    }
    ids.extend(
        int(session.execute(_insert_reply(dialect), {**common, **claimed, **row}).scalar_one())
        for row in rows[1:]
    )
    return ids, claim


def _reply_values() -> dict[str, Any]:
    return {name: bindparam(name, type_=_OUTBOX.c[name].type) for name in _REPLY_COLUMNS}


@functools.cache
def _insert_reply(dialect: str) -> Any:
    """A reply row whose claim the caller gives (parse_mode and dedupe_key stay NULL)."""
    values = _reply_values()
    for name in _CLAIM_COLUMNS:
        values[name] = bindparam(name, type_=_OUTBOX.c[name].type)
    return insert_for(dialect, _OUTBOX).values(values).returning(_OUTBOX.c.id)


@functools.cache
def _insert_first_reply(dialect: str) -> Any:
    """A reply row claimed for ``worker`` ('sending') unless an earlier reply to its chat is
    unsent ('pending', unclaimed), decided by the INSERT itself; returns id and status."""
    busy = _UNSENT_REPLY_IN_CHAT.exists()
    values = _reply_values()
    values["status"] = case((busy, literal_column("'pending'")), else_=literal_column("'sending'"))
    values["attempts"] = case((busy, literal_column("0")), else_=literal_column("1"))
    values["claimed_by"] = case(
        (busy, null()), else_=bindparam("worker", type_=_OUTBOX.c.claimed_by.type)
    )
    values["claimed_at"] = case(
        (busy, null()), else_=bindparam("not_before", type_=_OUTBOX.c.claimed_at.type)
    )
    return insert_for(dialect, _OUTBOX).values(values).returning(_OUTBOX.c.id, _OUTBOX.c.status)


def renew_outbox(session: Session, *, outbox_ids: list[int], worker: str, now: dt.datetime) -> None:
    """Renew ``worker``'s claim on the rows it is still sending (their lease starts again)."""
    if not outbox_ids:
        return
    held = (
        select(_OUTBOX.c.id)
        .where(
            _OUTBOX.c.id.in_(outbox_ids),
            _OUTBOX.c.status == "sending",
            _OUTBOX.c.claimed_by == worker,
        )
        .with_for_update(skip_locked=True)  # one being recorded now needs no renewal
    )
    session.execute(
        update(_OUTBOX).where(_OUTBOX.c.id.in_(held)).values(claimed_at=require_aware("now", now))
    )


@dataclass(frozen=True)
class SentRow:
    """An outbox row Telegram accepted: its message id, chat, the question it shows (if
    any), and whether it is paced (a reply to the person's own message is not)."""

    id: int
    message_id: int | None
    chat_id: int
    progress_id: int | None = None
    step: int | None = None
    paced: bool = True


def record_sent(
    session: Session,
    sent: list[SentRow],
    *,
    now: dt.datetime,
    pace: dt.timedelta,
) -> None:
    """Record rows Telegram accepted.

    A question message that went out is recorded as shown on its questionnaire (the first
    message showing that step; see ``QuestionnaireProgress.message_id``). After a paced
    message, the next unsent message of its chat waits at least ``pace`` (Telegram's one
    message a second per chat).
    """
    if not sent:
        return
    now = require_aware("now", now)
    sent = sorted(sent, key=lambda row: row.id)  # rows locked in one order: no deadlock
    session.execute(
        _MARK_SENT,
        [{"row_id": row.id, "message_id": row.message_id, "now": now} for row in sent],
    )
    # Each question shown, in the same order (one prepared UPDATE run for every row).
    shown = [
        {"p_id": row.progress_id, "p_step": row.step, "p_message": row.message_id}
        for row in sent
        if row.progress_id is not None and row.step is not None and row.message_id is not None
    ]
    if shown:
        session.execute(_RECORD_SHOWN, shown)
    paced = sorted({row.chat_id for row in sent if row.paced})
    if not pace or not paced:
        return
    waiting = (
        select(_OUTBOX.c.id)
        .where(
            _OUTBOX.c.status == "pending",
            _OUTBOX.c.chat_id.in_(paced),
            _OUTBOX.c.not_before < now + pace,
        )
        .with_for_update(skip_locked=True)
    )
    session.execute(update(_OUTBOX).where(_OUTBOX.c.id.in_(waiting)).values(not_before=now + pace))


_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("row_id"))
    .values(
        status=literal_column("'sent'"),
        sent_at=bindparam("now", type_=UTCDateTime()),
        telegram_message_id=bindparam("message_id"),
        last_error=None,
    )
)


_QUESTION_DELIVERY = (
    select(_OUTBOX.c.status)
    .where(
        _OUTBOX.c.progress_id == bindparam("progress_id"),
        _OUTBOX.c.step == bindparam("step"),
    )
    .order_by(_OUTBOX.c.id.desc())
    .limit(1)
)


def question_delivery(session: Session, *, progress_id: int, step: int) -> str | None:
    """Return the status of the latest message showing question ``step`` of a questionnaire
    (pending, sending, sent, failed, undeliverable), or None if none was queued."""
    row = session.execute(_QUESTION_DELIVERY, {"progress_id": progress_id, "step": step}).first()
    return None if row is None else str(row[0])


_PROGRESS: Any = QuestionnaireProgress.__table__  # type: ignore[attr-defined]
_RECORD_SHOWN = (
    update(_PROGRESS)
    .where(
        _PROGRESS.c.id == bindparam("p_id"),
        _PROGRESS.c.step == bindparam("p_step"),
        _PROGRESS.c.status == literal_column("'open'"),
        (_PROGRESS.c.shown_step.is_(None)) | (_PROGRESS.c.shown_step != bindparam("p_step")),
    )
    .values(shown_step=bindparam("p_step"), message_id=bindparam("p_message"))
)


def record_shown(session: Session, *, progress_id: int, step: int, message_id: int) -> None:
    """Record that Telegram message ``message_id`` showed question ``step`` of a questionnaire,
    if that step is still the open one and was not shown before (the first showing counts)."""
    params = {"p_id": progress_id, "p_step": step, "p_message": message_id}
    session.execute(_RECORD_SHOWN, params)


def _release_expired(
    session: Session, table: Any, claimed_status: str, before: dt.datetime
) -> None:
    """Put rows whose claim is older than ``before`` (a worker died) back to pending.

    A separate statement, so the claim itself is a plain index range scan on
    (status, due time) that stops after ``limit`` rows however long the queue is.
    """
    # Rows another transaction holds (being recorded right now) are skipped, not waited
    # for: two processes updating the same rows in different orders would deadlock.
    expired = (
        select(table.id)
        .where(table.status == claimed_status, table.claimed_at < before)
        .with_for_update(skip_locked=True)
    )
    session.exec(
        update(table)
        .where(col(table.id).in_(expired), table.status == claimed_status)
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


def outbox_ids_present(session: Session, *, outbox_ids: Sequence[int]) -> set[int]:
    """Return those of ``outbox_ids`` still in the outbox (a deletion of a person's data
    removes the rows about them, one being sent included)."""
    if not outbox_ids:
        return set()
    found = session.execute(
        select(_OUTBOX.c.id).where(_OUTBOX.c.id.in_(sorted(set(outbox_ids))))
    ).scalars()
    return {int(row_id) for row_id in found}


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


_PERSON: Any = Person.__table__  # type: ignore[attr-defined]
# Someone has the row's chat (as their stored chat or their Telegram id).
_SOMEONE_HAS_THE_CHAT = (
    select(_PERSON.c.id)
    .where(
        or_(_PERSON.c.telegram_user_id == _OUTBOX.c.chat_id, _PERSON.c.chat_id == _OUTBOX.c.chat_id)
    )
    .exists()
)


def forget_undelivered_to_nobody(session: Session, *, outbox_ids: list[int]) -> int:
    """Delete, of the rows ``outbox_ids`` just recorded as finally failed (``failed`` or
    ``undeliverable``: never to be tried again), the replies to a chat no person has, in the
    caller's transaction; return how many went.

    Such a reply is the farewell of a /delete (or one to a stranger's chat, a refusal) that
    Telegram would not take, e.g. because they blocked the bot at once: nobody is there to
    keep the row for, and it holds the chat and the words of someone who left. A sent one
    goes the same way (``repo.data_rights.forget_replies_to_nobody``); a row waiting for its
    retry is kept until it is sent or finally fails."""
    if not outbox_ids:
        return 0
    result = session.execute(
        delete(_OUTBOX).where(
            _OUTBOX.c.id.in_(sorted(outbox_ids)),
            _OUTBOX.c.status.in_(("failed", "undeliverable")),
            _OUTBOX.c.kind == REPLY_KIND,
            _OUTBOX.c.person_id.is_(None),
            ~_SOMEONE_HAS_THE_CHAT,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def pending_messages(session: Session, *, chat_id: int | None = None) -> list[Outbox]:
    """Return messages not yet sent (pending or being sent), oldest first."""
    query = select(Outbox).where(col(Outbox.status).in_(("pending", "sending")))
    if chat_id is not None:
        query = query.where(Outbox.chat_id == chat_id)
    return list(session.exec(query.order_by(col(Outbox.not_before), col(Outbox.id))))


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


# How long a message's words are kept once it is finished (sent, failed or undeliverable):
# long enough to look into a delivery problem, not a second copy of the chat for ever.
KEEP_SENT_TEXT = dt.timedelta(days=30)
_FINISHED = ("sent", "failed", "undeliverable")


def forget_sent_texts(session: Session, *, before: dt.datetime, limit: int = 5000) -> int:
    """Blank the words and buttons of up to ``limit`` finished messages (sent, failed or
    undeliverable) queued before ``before`` (verdicts, alert cards, forwarded notes: health
    data); the row itself stays for its keys and times (a week's digest is not sent twice).
    Return how many were blanked; a backlog is worked off ``limit`` at a time, run after run."""
    batch = (
        select(_OUTBOX.c.id)
        .where(
            _OUTBOX.c.status.in_(_FINISHED),
            _OUTBOX.c.created_at < require_aware("before", before),
            _OUTBOX.c.text != "",
        )
        .limit(limit)
    )
    ids = list(session.execute(batch).scalars())
    if not ids:
        return 0
    session.execute(update(_OUTBOX).where(_OUTBOX.c.id.in_(ids)).values(text="", reply_markup=None))
    return len(ids)
