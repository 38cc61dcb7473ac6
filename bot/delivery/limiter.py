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
The limits are per process: with N sender processes give each ``overall_rate / N``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

TELEGRAM_OVERALL_RATE = 30.0
TELEGRAM_PER_CHAT_INTERVAL = 1.0


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

    @classmethod
    def off(cls) -> RateGate:
        """Return a gate that never waits (for the benchmark's 'limiter off' run)."""
        return cls(enabled=False)

    def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds`` from now (Telegram answered 429 retry_after)."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    @property
    def tracked_chats(self) -> int:
        """How many chats the gate currently remembers (bounded by recent traffic)."""
        return len(self._chats)

    async def _wait_until(self, when: float) -> None:
        delay = when - self._now()
        if delay > 0:
            await self._sleep(delay)

    async def _global_slot(self) -> None:
        while True:
            now = self._now()
            slot = max(now, self._next_global, self._paused_until)
            self._next_global = slot + self._interval
            await self._wait_until(slot)
            # A 429 may have paused the gate while this caller slept; wait that out too.
            if self._paused_until <= self._now():
                return

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
