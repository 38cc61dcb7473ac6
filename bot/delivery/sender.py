"""Drains the outbox through the Bot, within Telegram's limits, recording every outcome.

Two ways out, one recording:

- :meth:`OutboxSender.drain`: claim up to ``batch`` due rows (a chat's rows only in order: a
  row waits while an earlier one of its chat is unsent), send them through the rate gate
  (the deployment-wide limit, and one message a second per chat), at most ``concurrency``
  at once and one in flight per chat, and record each outcome before its slot takes the next
  row. Rounds repeat while full batches come back, so a fan-out drains in one run.
- :meth:`OutboxSender.send_replies`: the rows an update's transaction queued and claimed
  for this process (its replies) are sent at once, in order, without pacing (a reply answers
  the person's own message), and recorded together with the update's "done" mark.

Every outcome is recorded as it happens (``bot.delivery.outcomes``), so when this process
dies only the rows whose call was in flight are in doubt: their claim (renewed every
``lease / 3`` while this process lives, :meth:`OutboxSender.renew`) runs out and another
process sends them again (at-least-once; see ``bot.delivery.policy``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, delete, or_
from sqlmodel import Session, col, select
from telegram import Bot

from bot.clock import Clock
from bot.delivery.calls import SEND_METHOD, CallSettings, Claimed, Outcome, call_telegram, snapshot
from bot.delivery.limiter import RateGate
from bot.delivery.outcomes import DrainResult, record_outcomes
from bot.delivery.policy import BackoffPolicy
from bot.store.db import retrying, session_scope
from bot.store.models import Outbox
from bot.store.repo.links import needs_access_check, readers_without_access
from bot.store.repo.messaging import claim_outbox, renew_outbox
from bot.store.threads import GroupCommit, run_db, run_keeper

_LOGGER = logging.getLogger(__name__)
__all__ = ["SEND_METHOD", "DrainResult", "OutboxSender", "SenderConfig"]

DEFAULT_LEASE = dt.timedelta(seconds=10)


@dataclass(frozen=True)
class SenderConfig:
    """Settings of the outbox sender."""

    batch: int = 60
    # Messages in flight at once (to different chats); the gate still paces them. Also the
    # most that can be in doubt (sent, not yet recorded) if this process dies.
    concurrency: int = 4
    lease: dt.timedelta = DEFAULT_LEASE
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    # How often the sender job runs when nobody kicks it (seconds).
    interval_seconds: float = 5.0
    # Send unsolicited messages as Telegram paid broadcasts (allow_paid_broadcast).
    paid_broadcasts: bool = False


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
    # Outbox rows this process has claimed and not yet recorded (their claims are renewed).
    held: set[int] = field(default_factory=set)
    # The configured admins (ADMIN_TELEGRAM_IDS), told when someone without a linked
    # clinician cannot be reached; a stored role "admin" alone is not enough.
    admin_telegram_ids: Sequence[int] = ()
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _again: bool = False
    # The replies of updates handled together are recorded in one transaction.
    _replies: GroupCommit[_Replies, DrainResult] = field(init=False)

    def __post_init__(self) -> None:
        self._replies = GroupCommit(self._record_replies)

    @property
    def pace(self) -> dt.timedelta:
        """How long a chat's next queued message waits after one went out (per-chat pace)."""
        return dt.timedelta(seconds=self.gate.per_chat_pace)

    @property
    def call_settings(self) -> CallSettings:
        """How this sender's calls are made (backoff, paid broadcasts)."""
        return CallSettings(
            backoff=self.config.backoff,
            paid_broadcasts=self.config.paid_broadcasts,
            rng=self.rng,
        )

    # --- draining the queue ------------------------------------------------------------------

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
                    if not self.should_continue():
                        return total
                    if result.handled < self.config.batch and not result.notices:
                        break
                if not self._again:
                    return total

    async def drain_round(self) -> DrainResult:
        """Claim one batch, send it, record each outcome as it comes."""
        result = DrainResult(rounds=1)
        claimed = await run_db(self._claim)
        if not claimed:
            return result
        self.held.update(row.id for row in claimed)
        recorder = _Recorder(self)
        settings = self.call_settings
        by_chat: dict[int, list[Claimed]] = {}
        for row in sorted(claimed, key=lambda r: r.id):  # a chat's rows in the order queued
            by_chat.setdefault(row.chat_id, []).append(row)
        slots = asyncio.Semaphore(max(1, self.config.concurrency))

        async def chat_worker(rows: list[Claimed]) -> None:
            # One in flight per chat keeps a chat's messages in order; other chats in parallel.
            for index, row in enumerate(rows):
                async with slots:
                    await self.gate.acquire(row.chat_id)
                    outcome = await call_telegram(self.bot, row, settings, self.engine, self.clock)
                    self._note_failure(outcome)
                    # Recorded before the slot is free: a crash leaves at most one row per
                    # slot sent but unrecorded.
                    await recorder.record([outcome])
                verdict = outcome.verdict
                if verdict is not None and verdict.action == "unreachable":
                    # The chat refuses us: the rest of its rows would fail the same way.
                    await recorder.record([Outcome(r, verdict=verdict) for r in rows[index + 1 :]])
                    return

        await asyncio.gather(*(chat_worker(rows) for rows in by_chat.values()))
        result.add(recorder.total)
        return result

    def _claim(self) -> list[Claimed]:
        now = self.clock.now()
        if not _anything_to_send(self.engine, now, self.config.lease):
            return []
        with session_scope(self.engine) as session:
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
            return [snapshot(row) for row in _withdraw_unseeable(session, rows, self)]

    def _note_failure(self, outcome: Outcome) -> None:
        verdict = outcome.verdict
        if verdict is None:
            return
        if verdict.action == "retry_after" and verdict.wait is not None:
            self.gate.pause(verdict.wait.total_seconds())
        if verdict.action in ("drop", "unreachable"):
            row = outcome.row
            _LOGGER.warning("outbox %s to chat %s: %s", row.id, row.chat_id, verdict.error)

    # --- an update's replies, at once --------------------------------------------------------

    async def send_replies(
        self,
        rows: Sequence[Claimed],
        *,
        finish: Callable[[Session], None] | None = None,
    ) -> DrainResult:
        """Send ``rows`` (one chat's replies, claimed for this process) in order, now, and
        record them with ``finish(session)`` in one transaction (see :meth:`send_now`)."""
        outcomes = await self.send_now(rows)
        return await self.record_replies(rows, outcomes, finish=finish)

    async def send_now(self, rows: Sequence[Claimed]) -> list[Outcome]:
        """Send ``rows`` (one chat's replies, claimed for this process) in order, now, without
        pacing; stop at the first failure. Record the outcomes with :meth:`record_replies`
        (until then the rows stay claimed, and their claims are renewed)."""
        self.held.update(row.id for row in rows)
        settings = self.call_settings
        outcomes: list[Outcome] = []
        for row in rows:
            outcome = await call_telegram(self.bot, row, settings, self.engine, self.clock)
            self._note_failure(outcome)
            outcomes.append(outcome)
            if outcome.verdict is not None:
                break
        return outcomes

    async def record_replies(
        self,
        rows: Sequence[Claimed],
        outcomes: list[Outcome],
        *,
        finish: Callable[[Session], None] | None = None,
    ) -> DrainResult:
        """Record what :meth:`send_now` did, with ``finish(session)``, in one transaction. Rows
        after a failure go back to wait in the outbox behind the failed one, for the sender's
        retries; the caller kicks it when the result shows anything left."""
        rest = [row.id for row in rows[len(outcomes) :]]
        try:
            return await self._replies.submit(_Replies(outcomes, rest, finish))
        finally:
            self.held.difference_update(row.id for row in rows)

    def _record_replies(self, batch: list[_Replies]) -> list[DrainResult]:
        """Record the replies of several updates in one transaction (a worker thread)."""
        return retrying(lambda: self._record_replies_once(batch))

    def _record_replies_once(self, batch: list[_Replies]) -> list[DrainResult]:
        now = self.clock.now()
        results = []
        with session_scope(self.engine) as session:
            # Every reply that went out, in one statement; the rare failures one by one.
            sent = [o for item in batch for o in item.outcomes if o.verdict is None]
            record_outcomes(session, sent, now, self.pace, self.admin_telegram_ids)
            for item in batch:
                failed = [o for o in item.outcomes if o.verdict is not None]
                result = record_outcomes(session, failed, now, self.pace, self.admin_telegram_ids)
                result.sent = len(item.outcomes) - len(failed)
                if item.rest:
                    held = session.exec(select(Outbox).where(col(Outbox.id).in_(item.rest)))
                    _release(session, list(held))
                    result.retried += len(item.rest)
                if item.finish is not None:
                    item.finish(session)
                results.append(result)
        return results

    # --- keeping claims alive ----------------------------------------------------------------

    async def renew(self) -> None:
        """Renew the claims of the rows this process is still sending (called every
        ``lease / 3``), so no other process takes them while a slow call is under way."""
        held = sorted(self.held)
        if not held:
            return

        def work() -> None:
            with session_scope(self.engine) as session:
                renew_outbox(session, outbox_ids=held, worker=self.worker, now=self.clock.now())

        await run_keeper(work)


@dataclass(frozen=True)
class _Replies:
    """One update's replies to record: what the sends did, the rows left for the sender's
    retries, and the update's own bookkeeping for the same transaction."""

    outcomes: list[Outcome]
    rest: list[int]
    finish: Callable[[Session], None] | None


class _Recorder:
    """Records outcomes as they come: whatever finished while a transaction was under way
    goes into the next one together, so a fast fan-out costs few transactions and a slow one
    records each message at once."""

    def __init__(self, sender: OutboxSender) -> None:
        self.sender = sender
        self.total = DrainResult()
        self._waiting: list[tuple[list[Outcome], asyncio.Future[None]]] = []
        self._flushing = False
        self._task: asyncio.Task[None] | None = None

    async def record(self, outcomes: list[Outcome]) -> None:
        """Return once ``outcomes`` are committed (or raise what the database raised)."""
        if not outcomes:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((outcomes, future))
        if not self._flushing:
            self._flushing = True
            self._task = asyncio.get_running_loop().create_task(self._flush())
        await future

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                outcomes = [o for group, _ in batch for o in group]
                try:
                    result = await run_db(self._write, outcomes)
                except Exception as exc:  # each waiter sees it; the rows' claims run out
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                self.total.add(result)
                self.sender.held.difference_update(o.row.id for o in outcomes)
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)
        finally:
            self._flushing = False

    def _write(self, outcomes: list[Outcome]) -> DrainResult:
        with session_scope(self.sender.engine) as session:
            return record_outcomes(
                session,
                outcomes,
                self.sender.clock.now(),
                self.sender.pace,
                self.sender.admin_telegram_ids,
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


def _withdraw_unseeable(
    session: Session, rows: Sequence[Outbox], sender: OutboxSender
) -> list[Outbox]:
    """Return the claimed ``rows`` their readers may still see; delete the others (in the
    claim's transaction): a message about an athlete for someone who is now neither linked to
    them nor an admin never goes out, however it came to wait (see
    :func:`bot.store.repo.links.readers_without_access`). Batches with no such message cost
    no query."""
    doubtful = [
        row.id
        for row in rows
        if row.id is not None and needs_access_check(row.kind, row.person_id, row.athlete_id)
    ]
    gone = set(
        readers_without_access(
            session, outbox_ids=doubtful, admin_telegram_ids=sender.admin_telegram_ids
        )
    )
    if not gone:
        return list(rows)
    session.execute(delete(Outbox).where(col(Outbox.id).in_(sorted(gone))))
    for row in rows:
        if row.id in gone:
            # Ids only: the text is the athlete's data.
            _LOGGER.info(
                "outbox %s (%s) withdrawn: person %s may no longer see athlete %s",
                row.id, row.kind, row.person_id, row.athlete_id,
            )  # fmt: skip
    return [row for row in rows if row.id not in gone]


def _release(session: Session, rows: Sequence[Outbox]) -> None:
    """Put claimed rows back to pending, undoing the claim (and its attempt count)."""
    for row in rows:
        row.status = "pending"
        row.claimed_by = None
        row.claimed_at = None
        row.attempts = max(0, row.attempts - 1)
        session.add(row)
    session.flush()
