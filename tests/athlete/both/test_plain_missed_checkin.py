"""A day without a morning check-in: the engine's rule is "No morning check-in: no training
today", and every message says the same.

/plan said "Do your /checkin first…" and then showed the stage's full running session as
"Today's session"; the 18:00 prompt asked "How did today's session go?" as if one had been
planned. Now /plan leads with "no training until you check in" and shows the session only as
what a good check-in would give, and the evening prompt asks whether they trained anyway: an
answer still reports the session (no answer is ever lost). Through the sandbox, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.scheduling.registry import registry_of
from bot.scheduling.tick import Scheduler
from bot.store.models import SessionReportRecord
from tests.athlete.both.test_status_and_plan_today import _at_h2, _linked, _text
from tests.athlete.conftest import World
from tests.scheduling.helpers import run_until

WorldFactory = Callable[[], Awaitable[World]]
NO_CHECK_IN = "No training until you check in: send /checkin."
# Tuesday 3 March, 18:05 in Berlin: the post-session prompt (18:00) has fallen due.
TUESDAY_EVENING = dt.datetime(2026, 3, 3, 17, 5, tzinfo=dt.UTC)


async def test_plan_without_a_check_in_leads_with_no_training_and_no_session_of_today(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _at_h2(w)
    w.clock.advance(dt.timedelta(days=1))  # Tuesday, no check-in yet
    plan = _text(await alex.say("/plan"))
    assert plan.startswith(NO_CHECK_IN), plan
    assert "Today's session ·" not in plan, plan
    assert "After a good check-in · Stage 3 of 8 · back to running" in plan, plan
    await alex.morning()
    after = _text(await alex.say("/plan"))  # checked in: today's session, as prescribed
    assert after.startswith("Today's session · Stage 3 of 8"), after
    assert NO_CHECK_IN not in after, after


async def test_the_evening_prompt_without_a_check_in_asks_if_they_trained_anyway(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, _doctor, athlete_id = await _linked(w)
    senders = registry_of(w.running.application.bot_data)
    scheduler = Scheduler(engine=w.engine, clock=w.clock, senders=senders)
    await run_until(scheduler, w.clock, TUESDAY_EVENING)  # Tuesday's check-in never answered
    await w.deliver()
    prompt = alex.user.last_bot_message
    asked = prompt.text or ""
    assert "Did you train anyway?" in asked, asked
    assert "How did today's session go?" not in asked, asked
    assert "All of it" in prompt.button_labels, prompt.button_labels
    # Trained anyway: the answer starts the report, which is kept.
    await alex.tap("All of it")
    await alex.tap("0")
    await alex.tap("No")
    await alex.tap("None of these ✅")
    for answer in ("1", "No", "8", "4", "45", "0"):
        await alex.tap(answer)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    await alex.tap("No numbers today")
    saved = w.read(
        lambda s: [
            r.local_date
            for r in s.exec(
                select(SessionReportRecord).where(SessionReportRecord.athlete_id == athlete_id)
            )
        ]
    )
    assert saved == [dt.date(2026, 3, 3)], saved


async def test_the_evening_prompt_after_a_check_in_asks_how_the_session_went(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)
    senders = registry_of(w.running.application.bot_data)
    scheduler = Scheduler(engine=w.engine, clock=w.clock, senders=senders)
    await run_until(scheduler, w.clock, dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC))
    await w.deliver()
    await alex.morning()
    await run_until(scheduler, w.clock, TUESDAY_EVENING)
    await w.deliver()
    asked = alex.last
    assert "How did today's session go?" in asked and "train anyway" not in asked, asked
