"""The pacing gate keeps to ~30 messages/s overall and 1 message/s per chat, in virtual time."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from typing import TypeVar

from bot.delivery.limiter import RateGate

T = TypeVar("T")


class VirtualTime:
    """A monotonic clock that jumps to the earliest sleeper's wake-up once everyone is waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), self._seq, future))
        await future

    async def run(self, coro: Awaitable[T]) -> T:
        task = asyncio.ensure_future(coro)
        while not task.done():
            for _ in range(5):
                await asyncio.sleep(0)
            if self._sleepers:
                wake_at, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake_at)
                future.set_result(None)
        return task.result()


async def _send_all(
    gate: RateGate, clock: VirtualTime, chats: list[int]
) -> list[tuple[int, float]]:
    sent: list[tuple[int, float]] = []

    async def one(chat: int) -> None:
        await gate.acquire(chat)
        sent.append((chat, clock.now))

    await clock.run(asyncio.gather(*(one(c) for c in chats)))
    return sent


async def test_overall_rate_is_thirty_per_second() -> None:
    clock = VirtualTime()
    gate = RateGate(30, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    sent = await _send_all(gate, clock, list(range(300)))
    times = sorted(t for _, t in sent)
    # 300 messages to 300 chats take ~10 s, never more than 30 within any one second.
    assert 9.9 <= times[-1] <= 10.1
    for i in range(len(times) - 30):
        assert times[i + 30] - times[i] >= 1.0 - 1e-9


async def test_one_chat_gets_at_most_one_message_per_second() -> None:
    clock = VirtualTime()
    gate = RateGate(30, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    sent = await _send_all(gate, clock, [7, 7, 7, 8])
    chat7 = sorted(t for c, t in sent if c == 7)
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(chat7))
    # The other chat is not held up behind chat 7's spacing.
    assert next(t for c, t in sent if c == 8) < 0.2


async def test_pause_after_429_holds_everyone() -> None:
    clock = VirtualTime()
    gate = RateGate(30, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    gate.pause(5.0)
    sent = await _send_all(gate, clock, [1, 2])
    assert min(t for _, t in sent) >= 5.0


async def test_gate_off_never_waits_and_memory_stays_bounded() -> None:
    clock = VirtualTime()
    off = RateGate.off()
    sent = await _send_all(off, clock, list(range(1000)))
    assert {t for _, t in sent} == {0.0}
    on = RateGate(1000, 0.001, monotonic=clock.monotonic, sleep=clock.sleep)
    await _send_all(on, clock, list(range(5000)))
    assert on.tracked_chats < 300
