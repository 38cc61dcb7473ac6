"""This process's side of the inbox: store updates before acknowledging them, take turns per
chat, finish them, keep leases alive and take over the updates of a replica that died.

Why an inbox: once Telegram gets a 200 for an update (or the next ``getUpdates`` confirms
it), it is never sent again. python-telegram-bot answers as soon as the update is in memory,
so a crash lost every update still queued. Here the update is committed to the database
first (:meth:`InboxQueue.put`, used by the polling loop, PTB's webhook and ours), so a crash
can only lose updates Telegram will send again.

Polling the same way: python-telegram-bot's updater awaits ``put`` for each update it fetched
before its next ``getUpdates``, whose offset is what tells Telegram they arrived (on SQLite a
polled update's own transaction usually stores it: see :class:`InboxQueue`). Updates arriving
together are written in one transaction.

Why leases: the process that stored an update handles it, and holds it under a lease it
renews every ``lease / 3`` while it lives (:meth:`Inbox.renew`, on a thread of its own so
that it never waits behind the work it protects). When a replica dies, its
leases run out within ``lease`` (``WORK_LEASE_SECONDS``, default 10 s) and any other replica
claims those updates (lowest first, one chat head at a time: :meth:`Inbox.maintain`) and
handles them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine
from telegram import Bot, Update
from telegram.error import NetworkError, TelegramError
from telegram.request import BaseRequest

from bot.clock import Clock
from bot.store.db import retrying, session_scope
from bot.store.repo import inbox as repo
from bot.store.repo import messaging, pending_steps
from bot.store.threads import GroupCommit, run_db, run_keeper

_LOGGER = logging.getLogger(__name__)
R = TypeVar("R")

DEFAULT_LEASE = dt.timedelta(seconds=10)
# An update asked to be tried again (a row lock held elsewhere, a question being sent) is
# tried at most this many times, at growing intervals up to MAX_RETRY_DELAY, then handled.
MAX_ATTEMPTS = 12
MAX_RETRY_DELAY = 1.0
# Waiting for the chat's turn: first look again after this long, doubling up to the cap.
TURN_POLL_FIRST = 0.01
TURN_POLL_CAP = 0.25
ORPHAN_BATCH = 100
PRUNE_EVERY = dt.timedelta(hours=1)
# Polling on SQLite: how long the next getUpdates waits for the updates in hand to commit on
# their own before they are written to the inbox together (seconds).
BARRIER_WAIT = 0.05


def chat_key(update: Update) -> int:
    """Return the key that orders ``update`` among others: its chat, else its user, else 0."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return 0


@dataclass
class Inbox:
    """The inbox of one process (see the module docstring); one per Application."""

    engine: Engine
    clock: Clock
    worker: str
    lease: dt.timedelta = DEFAULT_LEASE
    # Update id -> whether it was its chat's head when stored (then it need not wait).
    _known: dict[int, bool] = field(default_factory=dict)
    # Updates leased to this process and not done yet (renewed by maintain()).
    held: set[int] = field(default_factory=set)
    _retry: dict[int, float] = field(default_factory=dict)
    _attempts: dict[int, int] = field(default_factory=dict)
    _last_prune: dt.datetime | None = None
    queue: InboxQueue | None = None
    # Work an update's handler left for after its replies went out (recording them): run in
    # the chat's turn by the processor, after python-telegram-bot is told the update is done.
    _deferred: dict[int, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    _stores: GroupCommit[tuple[int, int, str | None], repo.Stored] = field(init=False)
    _finishes: GroupCommit[tuple[int, int], None] = field(init=False)

    def __post_init__(self) -> None:
        # Updates arriving together (a busy webhook) are stored in one transaction, and
        # those finishing together are marked done in one.
        self._stores = GroupCommit(self._store_batch)
        self._finishes = GroupCommit(self._finish_batch)

    def _finish_batch(self, items: list[tuple[int, int]]) -> list[None]:
        retrying(lambda: self.finish_in_thread([u for u, _ in items], [c for _, c in items]))
        return [None] * len(items)

    # --- receiving ---------------------------------------------------------------------

    async def store(self, update: Update, payload: str | None) -> bool:
        """Commit ``update`` to the inbox, leased to this process; return False when it was
        stored before (Telegram delivered it again: it is handled, or being handled)."""
        if update.update_id in self._known:
            return False
        stored = await self._stores.submit((update.update_id, chat_key(update), payload))
        if stored.fresh:
            self._known[update.update_id] = stored.head
            self.held.add(update.update_id)
        return stored.fresh

    def _store_batch(self, rows: list[tuple[int, int, str | None]]) -> list[repo.Stored]:
        """Store the updates received meanwhile, in one transaction (a worker thread)."""
        return retrying(
            lambda: self._store_once(rows),
        )

    def _store_once(self, rows: list[tuple[int, int, str | None]]) -> list[repo.Stored]:
        with session_scope(self.engine) as session:
            return repo.store_updates(
                session, rows, worker=self.worker, now=self.clock.now(), lease=self.lease
            )

    def tracks(self, update_id: int) -> bool:
        """Tell whether this process holds ``update_id`` (it stored or took it over)."""
        return update_id in self._known

    # --- handling in order ---------------------------------------------------------------

    async def wait_turn(self, update: Update, turn: asyncio.Lock | None = None) -> None:
        """Return once every lower update of the update's chat is done (in any process).

        ``turn`` (the chat's lock in this process, held by the caller) is let go while it
        waits and held again when it returns: the update it waits for may be one this process
        takes over later from a replica that died, which needs the chat's turn to run.
        """
        update_id = update.update_id
        if self._known.get(update_id):
            return
        chat = chat_key(update)
        if not await run_db(self._is_head, update_id, chat):
            if turn is not None:
                turn.release()
            try:
                delay = TURN_POLL_FIRST
                while not await run_db(self._is_head, update_id, chat):
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, TURN_POLL_CAP)
            finally:
                if turn is not None:
                    await turn.acquire()
        self._known[update_id] = True

    def _is_head(self, update_id: int, chat_id: int) -> bool:
        with session_scope(self.engine, read_only=True) as session:
            return repo.is_head(session, update_id=update_id, chat_id=chat_id)

    async def finish(self, update: Update) -> None:
        """Mark the update done (its replies are out or in the outbox's hands)."""
        update_id = update.update_id
        if update_id not in self._known:
            return
        try:
            await self._finishes.submit((update_id, chat_key(update)))
        finally:
            self.forget(update_id)

    def finish_in_thread(self, update_ids: list[int], chat_ids: list[int] | None = None) -> None:
        """Mark the updates done, in a transaction of its own (call from a worker thread)."""
        with session_scope(self.engine) as session:
            self.mark_done(session, update_ids, chat_ids)

    def mark_done(
        self, session: Any, update_ids: list[int], chat_ids: list[int] | None = None
    ) -> None:
        """Mark the updates done in the caller's transaction."""
        repo.mark_done(
            session,
            update_ids=update_ids,
            now=self.clock.now(),
            worker=self.worker,
            chat_ids=chat_ids,
        )

    def forget(self, update_id: int) -> None:
        """Stop holding ``update_id`` (it is done, or left to the lease to hand on)."""
        self._known.pop(update_id, None)
        self.held.discard(update_id)
        self._retry.pop(update_id, None)
        self._attempts.pop(update_id, None)
        self._deferred.pop(update_id, None)
        if self.queue is not None:
            self.queue.durable(update_id)

    def hold(self, update_id: int) -> None:
        """Hold an update not stored yet (polled on SQLite; its transaction stores it)."""
        self._known[update_id] = True
        self.held.add(update_id)

    def committed(self, update_id: int) -> None:
        """Note that the update's own transaction wrote its inbox row (it is durable)."""
        if self.queue is not None:
            self.queue.durable(update_id)

    # --- after the replies ---------------------------------------------------------------------

    def defer(self, update_id: int, work: Callable[[], Awaitable[None]]) -> None:
        """Have ``work`` run once the update's handling returned, still in its chat's turn
        (the next update of the chat waits for it; other chats do not)."""
        self._deferred[update_id] = work

    def take_deferred(self, update_id: int) -> Callable[[], Awaitable[None]] | None:
        """Return (once) the work deferred for ``update_id``, if any."""
        return self._deferred.pop(update_id, None)

    # --- trying again ----------------------------------------------------------------------

    def may_retry(self, update_id: int) -> bool:
        """Tell whether ``update_id`` may still be put off (it has tries left)."""
        return update_id in self._known and self._attempts.get(update_id, 0) < MAX_ATTEMPTS

    def request_retry(self, update_id: int) -> None:
        """Have the update handled again a moment later (its transaction rolled back)."""
        attempt = self._attempts.get(update_id, 0) + 1
        self._attempts[update_id] = attempt
        self._retry[update_id] = min(0.02 * 2 ** (attempt - 1), MAX_RETRY_DELAY)

    def take_retry(self, update_id: int) -> float | None:
        """Return how long to wait before handling ``update_id`` again, or None if it is
        finished."""
        return self._retry.pop(update_id, None)

    # --- keeping leases, taking over from dead replicas ---------------------------------------

    async def renew(self) -> None:
        """Renew this process's leases (every ``lease / 3``, on a thread of its own)."""
        held = sorted(self.held)
        if not held:
            return

        def work() -> None:
            until = self.clock.now() + self.lease
            with session_scope(self.engine) as session:
                repo.renew(session, update_ids=held, worker=self.worker, until=until)

        await run_keeper(work)

    async def maintain(self) -> int:
        """Take over updates whose replica died (their lease ran out), prune done rows now
        and then; return how many updates were taken over."""
        orphans = await run_db(self._claim_orphans)
        taken = 0
        for orphan in orphans:
            if orphan.update_id in self._known:
                continue  # ours already (a renewal came late): it is in hand
            if orphan.status == "processed" or orphan.payload is None:
                # Its effects are committed and its replies are in the outbox (the sender
                # takes them over): nothing is left to do but to let the chat move on.
                await run_db(self.finish_in_thread, [orphan.update_id], [orphan.chat_id])
                continue
            update = self._decode(orphan)
            if update is None or self.queue is None:
                await run_db(self.finish_in_thread, [orphan.update_id], [orphan.chat_id])
                continue
            self._known[orphan.update_id] = True
            self.held.add(orphan.update_id)
            await self.queue.put_adopted(update)
            taken += 1
        if taken:
            _LOGGER.info("took over %d update(s) from a replica that stopped", taken)
        return taken

    def _claim_orphans(self) -> list[repo.Orphan]:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            orphans = repo.claim_orphans(
                session, now=now, worker=self.worker, lease=self.lease, limit=ORPHAN_BATCH
            )
        if self._last_prune is None or now - self._last_prune >= PRUNE_EVERY:
            self._last_prune = now
            # Housekeeping in a transaction of its own, so the claim above is not held up.
            with session_scope(self.engine) as session:
                repo.prune_done(session, before=now - repo.KEEP_DONE)
                messaging.forget_sent_texts(session, before=now - messaging.KEEP_SENT_TEXT)
                pending_steps.drop_expired_steps(session, now=now)
        return orphans

    def _decode(self, orphan: repo.Orphan) -> Update | None:
        if self.queue is None or orphan.payload is None:
            return None
        try:
            return Update.de_json(json.loads(orphan.payload), self.queue.bot)
        except (ValueError, TypeError, KeyError):
            _LOGGER.warning("update %s in the inbox cannot be read; skipped", orphan.update_id)
            return None

    async def release(self) -> None:
        """Hand the updates this process still holds to the others at once (shutting down)."""
        held = sorted(self.held)
        if not held:
            return

        def work() -> None:
            with session_scope(self.engine) as session:
                repo.release(session, update_ids=held, now=self.clock.now())

        await run_db(work)
        for update_id in held:
            self.forget(update_id)


class InboxQueue(asyncio.Queue[Any]):
    """The Application's update queue: an update is durable in the inbox before Telegram is
    told it arrived. A webhook's update, and a polled one on PostgreSQL, is committed before
    ``put`` returns (the answer is 200 only then; the next ``getUpdates``, whose offset
    confirms updates, waits for ``put``).

    Polling on SQLite (one process, whose writes are serialised anyway) saves that write: a
    polled update is handed out at once and usually made durable by its own transaction
    (which writes its inbox row); the next ``getUpdates`` waits for that (:meth:`barrier`,
    through :class:`DurablePollRequest`), and after ``BARRIER_WAIT`` writes whatever is left.
    On PostgreSQL that wait could meet another process's row lock, so every update is stored
    first. A redelivered update is not queued again. Without an inbox (no database) it is a
    plain queue.
    """

    def __init__(self) -> None:
        super().__init__()
        self.inbox: Inbox | None = None
        self.bot: Bot | None = None
        # Polling on SQLite: updates handed out but not yet durable, and a wake-up.
        self._polling = False
        self._undurable: dict[int, Update] = {}
        self._changed = asyncio.Event()

    def attach(self, inbox: Inbox, bot: Bot) -> None:
        """Store updates in ``inbox`` from now on (``bot`` decodes updates taken over)."""
        self.inbox = inbox
        self.bot = bot
        inbox.queue = self

    async def put(self, item: Any) -> None:
        """Queue ``item``; an update is made durable first (see the class docstring)."""
        inbox = self.inbox
        if isinstance(item, Update) and inbox is not None:
            if self._polling and inbox.engine.dialect.name == "sqlite":
                if inbox.tracks(item.update_id):
                    return
                inbox.hold(item.update_id)  # one process: the chat's lock keeps the order
                self._undurable[item.update_id] = item
            else:
                payload = json.dumps(item.to_dict(), separators=(",", ":"))
                if not await _storing(inbox.store(item, payload)):
                    return
        await super().put(item)

    async def put_update(self, update: Update, payload: str) -> bool:
        """Store ``update`` with its raw JSON ``payload`` (the webhook's body) and queue it;
        return False when it was a redelivery."""
        if self.inbox is not None and not await self.inbox.store(update, payload):
            return False
        await super().put(update)
        return True

    async def put_adopted(self, update: Update) -> None:
        """Queue an update already in the inbox (taken over from a replica that died)."""
        await super().put(update)

    def durable(self, update_id: int) -> None:
        """Note that ``update_id`` is in the inbox (its transaction committed)."""
        if self._undurable.pop(update_id, None) is not None and not self._undurable:
            self._changed.set()

    async def barrier(self) -> None:
        """Return once every polled update handed out is durable: wait up to BARRIER_WAIT
        for their own transactions, then write the rest together. Called before each
        ``getUpdates``, whose offset tells Telegram they arrived."""
        self._polling = True
        inbox = self.inbox
        if inbox is None or not self._undurable:
            return
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), BARRIER_WAIT)
        pending = list(self._undurable.values())
        if not pending:
            return
        rows = [
            (u.update_id, chat_key(u), json.dumps(u.to_dict(), separators=(",", ":")))
            for u in pending
        ]

        def work() -> None:
            with session_scope(inbox.engine) as session:
                repo.store_many(
                    session, rows, worker=inbox.worker, now=inbox.clock.now(), lease=inbox.lease
                )

        await _storing(run_db(work))
        for update in pending:
            self._undurable.pop(update.update_id, None)


async def _storing(work: Awaitable[R]) -> R:
    """Await ``work`` (a write to the inbox); a database failure is raised as a Telegram
    network error, so python-telegram-bot's polling loop retries (without confirming the
    updates) instead of stopping for good."""
    try:
        return await work
    except Exception as exc:
        if isinstance(exc, TelegramError):
            raise
        raise NetworkError(f"the update inbox is unavailable ({type(exc).__name__})") from exc


class DurablePollRequest(BaseRequest):
    """The HTTP client of ``getUpdates``: each call first waits until the updates fetched by
    the previous one are durable (:meth:`InboxQueue.barrier`), since its offset confirms
    them to Telegram; ``on_success`` is called after each successful call. The calls
    themselves go through ``client``."""

    def __init__(
        self,
        queue: InboxQueue,
        client: BaseRequest,
        on_success: Callable[[], None] | None = None,
    ) -> None:
        self._queue = queue
        self._client = client
        self._on_success = on_success

    @property
    def read_timeout(self) -> float | None:
        """The client's default read timeout."""
        return self._client.read_timeout

    async def initialize(self) -> None:
        """Initialise the client."""
        await self._client.initialize()

    async def shutdown(self) -> None:
        """Shut the client down."""
        await self._client.shutdown()

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        """Make the polled updates durable, then call Telegram; note a success."""
        await self._queue.barrier()
        status, payload = await self._client.do_request(url, method, *args, **kwargs)
        if self._on_success is not None and 200 <= status < 300:
            self._on_success()
        return status, payload
