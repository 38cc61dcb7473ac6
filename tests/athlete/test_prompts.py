"""Scheduler prompts: the morning prompt is the check-in's first question, with its buttons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from bot.scheduling.registry import registry_of
from bot.scheduling.tick import Scheduler, run_tick
from tests.athlete.conftest import World


async def test_the_scheduled_morning_prompt_opens_the_check_in(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()  # Berlin, check-in at 07:30
    scheduler = Scheduler(
        engine=w.engine, clock=w.clock, senders=registry_of(w.running.application.bot_data)
    )
    await run_tick(scheduler)  # plans tomorrow's prompts
    w.clock.set(dt.datetime(2026, 3, 3, 6, 31, tzinfo=dt.UTC))  # 07:31 in Berlin
    await run_tick(scheduler)
    assert await w.deliver() == 1
    prompt = alex.user.last_bot_message
    assert "Good morning" in (prompt.text or "") and "None of these ✅" in prompt.button_labels
    replies = await alex.tap("None of these ✅")
    assert "Pain in the injured spot" in (replies[-1].text or "")
