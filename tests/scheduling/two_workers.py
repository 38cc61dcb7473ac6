"""A scheduler process for the two-process test: ticks and drains at the instants it is given.

Run in a spawned child process. All workers step through the same simulated instants in lock
step (a barrier), so their ticks and drains really race for the same rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from multiprocessing.synchronize import Barrier
from typing import Any

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.clock import FakeClock
from bot.delivery.limiter import RateGate
from bot.delivery.sender import OutboxSender, SenderConfig
from bot.scheduling.registry import PromptContext, PromptSender, new_registry
from bot.scheduling.schedule import SchedulerConfig
from bot.scheduling.tick import Scheduler, run_tick
from bot.store.db import make_engine


def _recording(inner: PromptSender, seen: list[int]) -> PromptSender:
    async def send(ctx: PromptContext) -> None:
        assert ctx.prompt.id is not None
        seen.append(ctx.prompt.id)
        await inner(ctx)

    return send


async def _run(
    url: str, base_url: str, token: str, instants: list[str], barrier: Barrier, name: str
) -> dict[str, Any]:
    engine = make_engine(url)
    clock = FakeClock(dt.datetime.fromisoformat(instants[0]))
    seen: list[int] = []
    senders = {kind: _recording(fn, seen) for kind, fn in new_registry().items()}
    scheduler = Scheduler(
        engine=engine,
        clock=clock,
        config=SchedulerConfig(batch=2),
        senders=senders,
        worker=name,
    )
    request = HTTPXRequest(connection_pool_size=8)
    sent = 0
    async with Bot(token, base_url=base_url, request=request) as bot:
        sender = OutboxSender(
            bot=bot,
            engine=engine,
            clock=clock,
            gate=RateGate.off(),
            config=SenderConfig(batch=3),
            worker=name,
        )
        for instant in instants:
            await asyncio.to_thread(barrier.wait)
            clock.set(dt.datetime.fromisoformat(instant))
            await run_tick(scheduler)
            sent += (await sender.drain()).sent
    engine.dispose()
    return {"name": name, "prompts": seen, "sent": sent}


def worker_main(
    url: str,
    base_url: str,
    token: str,
    instants: list[str],
    barrier: Barrier,
    name: str,
    results: Any,
) -> None:
    """Process entry point: run the simulated week and put the summary on ``results``."""
    results.put(asyncio.run(_run(url, base_url, token, instants, barrier, name)))
