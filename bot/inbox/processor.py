"""Different chats at once, one chat's updates one after the other (a BaseUpdateProcessor).

python-telegram-bot hands every update to ``do_process_update`` in the order it was queued.
Here each update first takes its chat's lock (asyncio locks wake waiters in order, so a
chat's updates keep their order in this process), then waits until every lower update of the
chat is done in the inbox (other replicas may hold some; the lock is let go meanwhile, since
the lower update may be one this process takes over from a replica that died, and it needs
the chat's turn), then takes one of ``concurrency`` slots and runs. A chat waiting for its
turn holds no slot, so it never keeps other chats waiting. When the handler asked for the
update to be tried again (a row lock held elsewhere ran into the database's lock timeout), it
runs again after a short pause, still holding the chat's turn; when it has run, the update
is marked done.

An athlete's update sends its replies, then leaves recording them (with the "done" mark) as
after-work: python-telegram-bot learns the update is handled as soon as the replies are out,
and the recording runs right after, still in the chat's turn, so the chat's next update waits
for it while other chats do not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseUpdateProcessor

from bot.inbox.store import Inbox, chat_key

_LOGGER = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8
# PTB's own semaphore is taken before do_process_update; it is made wide enough never to
# hold anything back, and this processor bounds the work itself (after the chat's turn).
_UNBOUNDED = 1_000_000


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Serialises updates per chat, runs chats concurrently (see the module docstring)."""

    def __init__(self, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        super().__init__(_UNBOUNDED)
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self._after_tasks: set[asyncio.Task[None]] = set()
        self.inbox: Inbox | None = None
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None

    async def initialize(self) -> None:
        """Nothing to set up (the inbox is attached by the wiring)."""

    async def shutdown(self) -> None:
        """Finish the updates' after-work, then hand those still held to the other replicas."""
        await self.idle()
        if self.inbox is not None:
            try:
                await self.inbox.release()
            except Exception as exc:  # the database may be gone; the leases run out anyway
                _LOGGER.warning("could not release held updates: %s", type(exc).__name__)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` (PTB's processing of ``update``) in the chat's turn."""
        if not isinstance(update, Update):
            await coroutine
            return
        key = chat_key(update)
        lock = self._take_lock(key)
        handed_on = False
        try:
            await lock.acquire()
            try:
                handed_on = await self._run_in_turn(update, coroutine, lock, key)
            finally:
                if not handed_on:
                    lock.release()
        finally:
            if not handed_on:
                self._drop_lock(key)

    async def _run_in_turn(
        self, update: Update, coroutine: Awaitable[Any], lock: asyncio.Lock, key: int
    ) -> bool:
        """Run the update; return True when its after-work took over the chat's turn."""
        inbox = self.inbox
        if inbox is None or not inbox.tracks(update.update_id):
            async with self._slots:
                await coroutine
            return False
        try:
            await inbox.wait_turn(update, lock)
        except Exception:
            # The database is unreachable: leave the update to its lease (it is run later).
            _LOGGER.exception("update %s: could not wait for its turn", update.update_id)
            inbox.forget(update.update_id)
            _close(coroutine)
            return False
        async with self._slots:
            await coroutine
            while (delay := inbox.take_retry(update.update_id)) is not None:
                await asyncio.sleep(delay)
                assert self.application is not None
                await self.application.process_update(update)
        after = inbox.take_deferred(update.update_id)
        if after is not None:
            # The replies are out: what is left (recording them) runs after python-telegram-bot
            # is told the update is handled, still in the chat's turn.
            task = asyncio.get_running_loop().create_task(self._after(update, after, lock, key))
            self._after_tasks.add(task)
            task.add_done_callback(self._after_tasks.discard)
            return True
        try:
            await inbox.finish(update)
        except Exception:
            _LOGGER.exception("update %s: could not be marked done", update.update_id)
        return False

    async def _after(
        self,
        update: Update,
        work: Callable[[], Awaitable[None]],
        lock: asyncio.Lock,
        key: int,
    ) -> None:
        try:
            await work()
        except Exception:
            _LOGGER.exception("update %s: its replies could not be recorded", update.update_id)
        finally:
            if self.inbox is not None:
                self.inbox.forget(update.update_id)
            lock.release()
            self._drop_lock(key)

    async def idle(self) -> None:
        """Return once no update's after-work is running (tests and benchmarks)."""
        while self._after_tasks:
            await asyncio.gather(*list(self._after_tasks), return_exceptions=True)

    def _take_lock(self, key: int) -> asyncio.Lock:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        return lock

    def _drop_lock(self, key: int) -> None:
        lock, users = self._locks[key]
        if users <= 1:
            del self._locks[key]
        else:
            self._locks[key] = (lock, users - 1)


def _close(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
