"""Telegram's send limits as a pacing gate: ~30 messages/s overall and 1 message/s per chat.

python-telegram-bot's ``AIORateLimiter`` enforces the overall and group limits but not the
per-private-chat one, so the sender uses this gate instead. Each call to ``acquire(chat_id)``
returns when a message to that chat may go out:

* per chat: at least ``per_chat_interval`` after the previous message to that chat was let
  through (messages to one chat are serialised, others are not held up by them);
* overall: slots spaced ``1 / overall_rate`` apart, in the order callers reached the gate;
* a ``pause(seconds)`` after a 429 holds every slot until the flood wait is over.

Only chats with a message in the last interval are remembered, so memory does not grow with
the number of athletes. ``RateGate.off()`` lets everything through at once (benchmarks).

With a :class:`~bot.delivery.budget.SharedBudget` (PostgreSQL), the overall slots are not
spaced locally but reserved from the deployment's shared budget, a few at a time, so all
replicas together keep the overall rate; a 429 then holds every replica.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.delivery.budget import SharedBudget
from bot.store.threads import run_db

_LOGGER = logging.getLogger(__name__)

TELEGRAM_OVERALL_RATE = 30.0
TELEGRAM_PER_CHAT_INTERVAL = 1.0
# A reserved shared slot not used within this long is dropped (using it late would burst).
STALE_SLOT = 0.05


@dataclass
class _ChatState:
    next_at: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class RateGate:
    """Paces sends to Telegram's overall and per-chat limits (see module docstring)."""

    def __init__(
        self,
        overall_rate: float = TELEGRAM_OVERALL_RATE,
        per_chat_interval: float = TELEGRAM_PER_CHAT_INTERVAL,
        *,
        enabled: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        budget: SharedBudget | None = None,
    ) -> None:
        if enabled and overall_rate <= 0:
            raise ValueError(f"overall_rate must be > 0 messages/s, got {overall_rate}")
        if per_chat_interval < 0:
            raise ValueError(f"per_chat_interval must be >= 0 s, got {per_chat_interval}")
        self.enabled = enabled
        self._interval = 1.0 / overall_rate if enabled else 0.0
        self._per_chat = per_chat_interval
        self._now = monotonic
        self._sleep = sleep
        self._next_global = 0.0
        self._paused_until = 0.0
        self._chats: dict[int, _ChatState] = {}
        self.budget = budget if enabled else None
        self._shared_slots: collections.deque[float] = collections.deque()
        self._refill_lock = asyncio.Lock()
        self._waiting = 0

    @classmethod
    def off(cls) -> RateGate:
        """Return a gate that never waits (for the benchmark's 'limiter off' run)."""
        return cls(enabled=False)

    def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds`` from now (Telegram answered 429 retry_after)."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    @property
    def per_chat_pace(self) -> float:
        """Seconds between two messages to one chat (0 when the gate is off)."""
        return self._per_chat if self.enabled else 0.0

    @property
    def tracked_chats(self) -> int:
        """How many chats the gate currently remembers (bounded by recent traffic)."""
        return len(self._chats)

    async def _wait_until(self, when: float) -> None:
        delay = when - self._now()
        if delay > 0:
            await self._sleep(delay)

    async def _global_slot(self) -> None:
        if self.budget is not None:
            await self._shared_slot()
            return
        while True:
            now = self._now()
            slot = max(now, self._next_global, self._paused_until)
            self._next_global = slot + self._interval
            await self._wait_until(slot)
            # A 429 may have paused the gate while this caller slept; wait that out too.
            if self._paused_until <= self._now():
                return

    async def _shared_slot(self) -> None:
        self._waiting += 1
        try:
            while True:
                slot = await self._next_shared_slot()
                await self._wait_until(max(slot, self._paused_until))
                if self._paused_until <= self._now():
                    return
        finally:
            self._waiting -= 1

    async def _next_shared_slot(self) -> float:
        while True:
            while self._shared_slots:
                slot = self._shared_slots.popleft()
                if slot >= self._now() - STALE_SLOT:
                    return slot
            async with self._refill_lock:
                if self._shared_slots:
                    continue
                budget = self.budget
                assert budget is not None
                count = min(budget.batch, max(1, self._waiting))
                delay = await run_db(budget.reserve, count)
                start = self._now() + delay
                self._shared_slots.extend(start + i / budget.rate for i in range(count))

    async def acquire(self, chat_id: int) -> None:
        """Return when a message to ``chat_id`` may be sent now."""
        if not self.enabled:
            return
        state = self._chats.get(chat_id)
        if state is None:
            state = _ChatState(next_at=0.0)
            self._chats[chat_id] = state
        state.users += 1
        try:
            async with state.lock:
                await self._wait_until(state.next_at)
                await self._global_slot()
                state.next_at = self._now() + self._per_chat
        finally:
            state.users -= 1
        self._forget_idle()

    def _forget_idle(self) -> None:
        # Drop chats whose interval has passed and nobody waits on, keeping memory bounded.
        if len(self._chats) < 256:
            return
        now = self._now()
        idle = [c for c, s in self._chats.items() if s.users == 0 and s.next_at <= now]
        for chat in idle:
            del self._chats[chat]


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        _LOGGER.warning("could not hold the shared send budget: %s", task.exception())
