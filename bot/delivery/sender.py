"""Drains the outbox through the Bot, within Telegram's limits, recording every outcome.

One drain round: (1) in a short transaction, settle rows left in 'sending' by a dead worker
(see ``bot.delivery.policy`` for at-most-once vs at-least-once) and claim up to ``batch`` due
rows; (2) send them concurrently through the rate gate, at most one in flight per chat;
(3) in a second short transaction record each outcome: sent (with Telegram's message id),
retry later (429 retry_after, or backoff on 5xx/timeouts), unreachable (403: the person is
marked unreachable and their clinician, or the admins, are told), or failed (other 400s).
Rounds repeat while full batches come back, so a fan-out drains in one run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, select
from telegram import Bot, InputFile

from bot.clock import Clock
from bot.delivery.limiter import RateGate
from bot.delivery.policy import AT_LEAST_ONCE_KINDS, BackoffPolicy, Verdict, classify
from bot.reports.build import build_progress_png
from bot.reports.from_store import ReportUnavailable
from bot.reports.runner import in_worker_thread
from bot.store.db import session_scope
from bot.store.models import (
    PROGRESS_CHART_KIND,
    UNDELIVERED_KIND,
    UNREACHABLE_KIND,
    Outbox,
    Person,
)
from bot.store.repo.links import clinicians_of
from bot.store.repo.messaging import (
    DEFAULT_LEASE,
    claim_outbox,
    enqueue_message,
    mark_outbox_failed,
)
from bot.store.repo.people import language_of
from bot.support.i18n import use_language

_LOGGER = logging.getLogger(__name__)
SEND_METHOD = "sendmessage"
UNKNOWN_AFTER_CRASH = (
    "unknown: the worker stopped between claiming and recording this message; "
    "not sent again (at-most-once kind)"
)


@dataclass(frozen=True)
class SenderConfig:
    """Settings of the outbox sender."""

    batch: int = 60
    # Messages in flight at once (to different chats); the gate still paces them.
    concurrency: int = 4
    lease: dt.timedelta = DEFAULT_LEASE
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    # How often the sender job runs when nobody kicks it (seconds).
    interval_seconds: float = 5.0


@dataclass(frozen=True)
class _Claimed:
    id: int
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None
    parse_mode: str | None
    kind: str
    attempts: int
    person_id: int | None
    athlete_id: int | None


@dataclass
class _Outcome:
    row: _Claimed
    message_id: int | None = None
    verdict: Verdict | None = None


@dataclass
class DrainResult:
    """What a drain did, by outcome."""

    sent: int = 0
    retried: int = 0
    unreachable: int = 0
    failed: int = 0
    settled_unknown: int = 0
    # Notices this drain queued itself (unreachable recipients); sent in the same drain.
    notices: int = 0
    rounds: int = 0

    def add(self, other: DrainResult) -> None:
        """Add ``other``'s counts to this one."""
        self.sent += other.sent
        self.retried += other.retried
        self.unreachable += other.unreachable
        self.failed += other.failed
        self.settled_unknown += other.settled_unknown
        self.notices += other.notices
        self.rounds += other.rounds


@dataclass
class OutboxSender:
    """Sends queued messages with ``bot``; one per process (its gate holds the limits)."""

    bot: Bot
    engine: Engine
    clock: Clock
    gate: RateGate = field(default_factory=RateGate)
    config: SenderConfig = field(default_factory=SenderConfig)
    worker: str = "worker-1"
    rng: random.Random = field(default_factory=random.Random)
    # Asked between rounds: False (the bot is shutting down) ends the drain after the batch in
    # hand, so a SIGTERM mid fan-out stops within one batch and the rest waits in the outbox.
    should_continue: Callable[[], bool] = lambda: True
    # The configured admins (ADMIN_TELEGRAM_IDS), told when someone without a linked
    # clinician cannot be reached; a stored role "admin" alone is not enough.
    admin_telegram_ids: Sequence[int] = ()
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _again: bool = False

    async def drain(self) -> DrainResult:
        """Send everything due now; return the counts. Concurrent calls coalesce into one."""
        total = DrainResult()
        if self._lock.locked():
            self._again = True
            return total
        async with self._lock:
            while True:
                self._again = False
                while True:
                    result = await self.drain_round()
                    total.add(result)
                    claimed = result.sent + result.retried + result.unreachable + result.failed
                    if not self.should_continue():
                        return total
                    if claimed < self.config.batch and not result.notices:
                        break
                if not self._again:
                    return total

    async def drain_round(self) -> DrainResult:
        """Claim one batch, send it, record the outcomes."""
        result = DrainResult(rounds=1)
        now = self.clock.now()
        if not _anything_to_send(self.engine, now, self.config.lease):
            return result
        with session_scope(self.engine) as session:
            result.settled_unknown = settle_abandoned(session, now=now, lease=self.config.lease)
            rows = claim_outbox(
                session,
                now=now,
                limit=self.config.batch,
                worker=self.worker,
                lease=self.config.lease,
            )
            if len(rows) > self.config.batch:
                # claim_outbox can return more than its limit on PostgreSQL (the LIMIT
                # subquery is re-scanned); holding extra rows past the lease would let another
                # worker take them while we still send, so hand them straight back.
                _release(session, rows[self.config.batch :])
                rows = rows[: self.config.batch]
            claimed = [_snapshot(row) for row in rows]
        if not claimed:
            return result
        outcomes = await self._send_all(claimed)
        with session_scope(self.engine) as session:
            sent = [o for o in outcomes if o.verdict is None]
            if sent:
                # One executemany UPDATE by primary key for the common case.
                session.execute(
                    update(Outbox),
                    [
                        {
                            "id": o.row.id,
                            "status": "sent",
                            "sent_at": self.clock.now(),
                            "telegram_message_id": o.message_id,
                            "last_error": None,
                        }
                        for o in sent
                    ],
                )
                result.sent += len(sent)
            for outcome in outcomes:
                if outcome.verdict is not None:
                    self._record(session, outcome, result)
        return result

    async def _send_all(self, claimed: Sequence[_Claimed]) -> list[_Outcome]:
        # One in flight per chat keeps a chat's messages in order; other chats go in parallel.
        by_chat: dict[int, list[_Claimed]] = {}
        for row in claimed:
            by_chat.setdefault(row.chat_id, []).append(row)
        semaphore = asyncio.Semaphore(max(1, self.config.concurrency))
        outcomes: list[_Outcome] = []

        async def chat_worker(rows: list[_Claimed]) -> None:
            for index, row in enumerate(rows):
                async with semaphore:
                    outcome = await self._send_one(row)
                outcomes.append(outcome)
                if outcome.verdict is not None and outcome.verdict.action == "unreachable":
                    # The chat refuses us: the rest of its rows would fail the same way.
                    outcomes.extend(_Outcome(r, verdict=outcome.verdict) for r in rows[index + 1 :])
                    return

        await asyncio.gather(*(chat_worker(rows) for rows in by_chat.values()))
        return outcomes

    async def _send_one(self, row: _Claimed) -> _Outcome:
        await self.gate.acquire(row.chat_id)
        if row.kind == PROGRESS_CHART_KIND and row.athlete_id is not None:
            return await self._send_chart(row)
        api_kwargs: dict[str, Any] = {"chat_id": row.chat_id, "text": row.text}
        if row.parse_mode:
            api_kwargs["parse_mode"] = row.parse_mode
        if row.reply_markup:
            api_kwargs["reply_markup"] = row.reply_markup
        try:
            # The raw call skips building a telegram.Message we would not use (about half of
            # send_message's CPU time); errors are raised exactly as by send_message. Bot API
            # method names are case-insensitive; the lower-case spelling avoids PTB's warning
            # that Bot.send_message exists (a warning turned error must never drop a message).
            result = await self.bot.do_api_request(SEND_METHOD, api_kwargs=api_kwargs)
        except Exception as exc:  # every failure is classified and recorded, none is lost
            verdict = classify(exc, row.attempts, self.config.backoff, self.rng)
            if verdict.action == "retry_after" and verdict.wait is not None:
                self.gate.pause(verdict.wait.total_seconds())
            if verdict.action in ("drop", "unreachable"):
                _LOGGER.warning("outbox %s to chat %s: %s", row.id, row.chat_id, verdict.error)
            return _Outcome(row, verdict=verdict)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return _Outcome(row, message_id=message_id)

    async def _send_chart(self, row: _Claimed) -> _Outcome:
        """Draw the athlete's small progress chart from the store and send it with the row's
        text as caption; with nothing to chart yet, send the text alone."""
        assert row.athlete_id is not None
        language = await asyncio.to_thread(self._language_of, row.person_id)
        try:
            with use_language(language):  # the chart's labels, in the reader's language
                png, _ = await in_worker_thread(
                    build_progress_png, self.engine, row.athlete_id, self.clock.now(), small=True
                )
        except ReportUnavailable:
            png = None
        try:
            if png is None:
                result = await self.bot.do_api_request(
                    SEND_METHOD, api_kwargs={"chat_id": row.chat_id, "text": row.text}
                )
                message_id = result.get("message_id") if isinstance(result, dict) else None
            else:
                message = await self.bot.send_photo(
                    row.chat_id,
                    InputFile(png, filename=f"progress-{row.athlete_id}.png"),
                    caption=row.text[:1024],
                )
                message_id = message.message_id
        except Exception as exc:  # classified and recorded like any other send
            verdict = classify(exc, row.attempts, self.config.backoff, self.rng)
            if verdict.action == "retry_after" and verdict.wait is not None:
                self.gate.pause(verdict.wait.total_seconds())
            return _Outcome(row, verdict=verdict)
        return _Outcome(row, message_id=message_id)

    def _language_of(self, person_id: int | None) -> str | None:
        """Return the language of the row's reader (None: unknown, English)."""
        if person_id is None:
            return None
        with session_scope(self.engine, read_only=True) as session:
            return language_of(session, person_id=person_id)

    def _record(self, session: Session, outcome: _Outcome, result: DrainResult) -> None:
        now = self.clock.now()
        row = outcome.row
        verdict = outcome.verdict
        assert verdict is not None
        if verdict.action in ("retry_after", "backoff"):
            assert verdict.wait is not None
            stored = mark_outbox_failed(
                session, outbox_id=row.id, now=now, error=verdict.error, retry_at=now + verdict.wait
            )
            if not verdict.counts_as_attempt:
                stored.attempts = max(0, stored.attempts - 1)
                session.add(stored)
            result.retried += 1
            return
        if verdict.action == "unreachable":
            mark_outbox_failed(
                session, outbox_id=row.id, now=now, error=verdict.error, undeliverable=True
            )
            result.notices += _mark_unreachable(session, row, now, self.admin_telegram_ids)
            result.notices += _tell_author(session, row, now, reachable=False)
            result.unreachable += 1
            return
        mark_outbox_failed(session, outbox_id=row.id, now=now, error=verdict.error)
        result.notices += _tell_author(session, row, now, reachable=True)
        result.failed += 1


def _snapshot(row: Outbox) -> _Claimed:
    assert row.id is not None
    return _Claimed(
        id=row.id,
        chat_id=row.chat_id,
        text=row.text,
        reply_markup=row.reply_markup,
        parse_mode=row.parse_mode,
        kind=row.kind,
        attempts=row.attempts,
        person_id=row.person_id,
        athlete_id=row.athlete_id,
    )


def _anything_to_send(engine: Engine, now: dt.datetime, lease: dt.timedelta) -> bool:
    """Tell, with one indexed read, whether a claim could find work (idle runs stay cheap)."""
    with session_scope(engine, read_only=True) as session:
        found = session.exec(
            select(Outbox.id)
            .where(
                or_(
                    (col(Outbox.status) == "pending") & (col(Outbox.not_before) <= now),
                    (col(Outbox.status) == "sending") & (col(Outbox.claimed_at) < now - lease),
                )
            )
            .limit(1)
        ).first()
    return found is not None


def _release(session: Session, rows: Sequence[Outbox]) -> None:
    """Put claimed rows back to pending, undoing the claim (and its attempt count)."""
    for row in rows:
        row.status = "pending"
        row.claimed_by = None
        row.claimed_at = None
        row.attempts = max(0, row.attempts - 1)
        session.add(row)
    session.flush()


def settle_abandoned(session: Session, *, now: dt.datetime, lease: dt.timedelta) -> int:
    """Close at-most-once rows left in 'sending' past the lease as failed ('unknown').

    Such a row was claimed by a worker that died: Telegram may or may not have accepted it.
    At-least-once rows are left for ``claim_outbox`` to claim again. Returns rows closed.
    """
    result = session.exec(
        update(Outbox)
        .where(
            col(Outbox.status) == "sending",
            col(Outbox.claimed_at) < now - lease,
            col(Outbox.kind).not_in(tuple(AT_LEAST_ONCE_KINDS)),
        )
        .values(status="failed", last_error=UNKNOWN_AFTER_CRASH, claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


def _tell_author(session: Session, row: _Claimed, now: dt.datetime, *, reachable: bool) -> int:
    """Tell the author of a message that finally failed (a clinician's message to an
    athlete) that it did not arrive; return how many notices were queued (0 or 1)."""
    stored = session.get(Outbox, row.id)
    if stored is None or stored.author_id is None:
        return 0
    author = session.get(Person, stored.author_id)
    recipient = _person_for_chat(session, row)
    if author is None or author.id is None:
        return 0
    who = (recipient.display_name if recipient is not None else "") or "the athlete"
    why = (
        "Telegram refused it"
        if reachable
        else "they cannot be reached on Telegram (they blocked the bot or left)"
    )
    enqueue_message(
        session,
        chat_id=author.chat_id or author.telegram_user_id,
        text=(
            f"Your message to {who} could not be delivered: {why}. "
            "Nothing more will be tried; please reach them another way."
        ),
        kind=UNDELIVERED_KIND,
        now=now,
        dedupe_key=f"undelivered:{row.id}",
        person_id=author.id,
        athlete_id=row.athlete_id,
    )
    return 1


def _person_for_chat(session: Session, row: _Claimed) -> Person | None:
    if row.person_id is not None:
        return session.get(Person, row.person_id)
    return session.exec(select(Person).where(Person.chat_id == row.chat_id)).first()


def _mark_unreachable(
    session: Session, row: _Claimed, now: dt.datetime, admin_telegram_ids: Sequence[int]
) -> int:
    """Mark the recipient unreachable and, the first time, tell a clinician or the admins.

    An athlete's linked clinicians are told; for anyone else (or an athlete without a linked
    clinician) the admins. A safety message that could not be delivered is forwarded whole.
    Returns how many notices were queued.
    """
    person = _person_for_chat(session, row)
    if person is None or person.id is None:
        return 0
    first_time = not person.unreachable
    person.unreachable = True
    session.add(person)
    session.flush()
    if not first_time and row.kind not in AT_LEAST_ONCE_KINDS:
        return 0
    recipients: list[Person] = []
    if person.role == "athlete":
        recipients = [c for c in clinicians_of(session, athlete_id=person.id) if not c.unreachable]
    if not recipients:
        recipients = list(
            session.exec(
                select(Person).where(
                    col(Person.telegram_user_id).in_(tuple(admin_telegram_ids)),
                    col(Person.unreachable).is_(False),
                    col(Person.id) != person.id,
                )
            )
        )
    name = person.display_name or f"{person.role} {person.id}"
    text = (
        f"{name} can no longer be reached on Telegram (they blocked the bot or deleted their "
        "account). Messages to them are not delivered until they write to the bot again."
    )
    if row.kind in AT_LEAST_ONCE_KINDS:
        text += f"\n\nUndelivered {row.kind.replace('_', ' ')}:\n{row.text}"
    queued = 0
    for recipient in recipients:
        if recipient.chat_id is None:
            continue
        queued += 1
        enqueue_message(
            session,
            chat_id=recipient.chat_id,
            text=text,
            kind=UNREACHABLE_KIND,
            now=now,
            dedupe_key=f"unreachable:{row.id}:{recipient.id}",
            person_id=recipient.id,
            athlete_id=person.id if person.role == "athlete" else None,
        )
    return queued
