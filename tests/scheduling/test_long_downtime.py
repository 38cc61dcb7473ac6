"""Downtime longer than a day: today's prompt still goes out within the grace, once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from bot.clock import FakeClock
from bot.scheduling.schedule import SchedulerConfig
from bot.scheduling.tick import Scheduler, run_tick
from bot.store.db import session_scope
from bot.store.repo.answers import get_open_questionnaire, start_questionnaire
from tests.scheduling.helpers import add_person, outbox, prompts, run_until

LONDON = ZoneInfo("Europe/London")
_DAY = dt.timedelta(days=1)


def make_scheduler(engine: Engine, clock: FakeClock) -> Scheduler:
    return Scheduler(engine=engine, clock=clock, config=SchedulerConfig())


@pytest.mark.parametrize(
    ("back_at", "late"),
    [
        (dt.datetime(2026, 6, 11, 7, 1, tzinfo=LONDON), False),  # down 24 h 11 min
        (dt.datetime(2026, 6, 11, 8, 30, tzinfo=LONDON), True),  # 90 min late: a note
        (dt.datetime(2026, 6, 13, 8, 59, tzinfo=LONDON), True),  # three days down
    ],
)
async def test_after_a_long_downtime_todays_prompt_within_grace_is_sent_once(
    engine: Engine, back_at: dt.datetime, late: bool
) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=dt.UTC))
    athlete = add_person(engine, 710, tz="Europe/London")
    await run_tick(make_scheduler(engine, clock))  # plans 10 June, 07:00
    clock.set(back_at)  # the bot was down since before 07:00 on 10 June
    restarted = make_scheduler(engine, clock)
    await run_tick(restarted)
    clock.set(back_at + dt.timedelta(seconds=30))  # the next tick
    await run_tick(restarted)
    today = back_at.date()
    mornings = [m for m in outbox(engine, 710) if m.kind == "prompt_morning"]
    assert len(mornings) == 1, "one prompt for today, no burst of the days missed"
    assert mornings[0].text.startswith("Sorry, this comes later") is late
    rows = {(p.kind, p.local_date): p.status for p in prompts(engine, athlete)}
    assert rows[("morning", today)] == "sent"
    assert rows[("morning", dt.date(2026, 6, 10))] == "missed"
    assert rows[("morning", today + dt.timedelta(days=1))] == "pending"
    # And tomorrow's prompt comes at 07:00 as usual.
    await run_until(restarted, clock, dt.datetime.combine(today + _DAY, dt.time(7, 1), LONDON))
    times = [
        m.created_at.astimezone(LONDON) for m in outbox(engine, 710) if m.kind == "prompt_morning"
    ]
    assert times[1:] == [dt.datetime.combine(today + _DAY, dt.time(7), tzinfo=LONDON)]


async def test_after_a_long_downtime_past_the_grace_today_is_skipped(engine: Engine) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=dt.UTC))
    athlete = add_person(engine, 711, tz="Europe/London")
    await run_tick(make_scheduler(engine, clock))
    clock.set(dt.datetime(2026, 6, 11, 9, 30, tzinfo=LONDON))  # 2.5 h after 07:00
    restarted = make_scheduler(engine, clock)
    await run_tick(restarted)
    clock.advance(dt.timedelta(seconds=30))
    await run_tick(restarted)
    assert [m for m in outbox(engine, 711) if m.kind == "prompt_morning"] == []
    rows = {(p.kind, p.local_date): p.status for p in prompts(engine, athlete)}
    assert ("morning", dt.date(2026, 6, 11)) not in rows
    assert rows[("morning", dt.date(2026, 6, 12))] == "pending"


async def test_a_reminder_whose_morning_prompt_was_lost_asks_the_check_in_itself(
    engine: Engine,
) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=dt.UTC))
    add_person(engine, 712, tz="Europe/London")
    await run_tick(make_scheduler(engine, clock))
    # Down from before 07:00 to 09:30: the 07:00 prompt is past the grace, its 07:45
    # reminder is not. The athlete was never asked, so "still open" would make no sense.
    clock.set(dt.datetime(2026, 6, 10, 9, 30, tzinfo=LONDON))
    await run_tick(make_scheduler(engine, clock))
    [message] = outbox(engine, 712)
    assert message.text.startswith("Sorry, this comes later than planned")
    assert "Time for your morning check-in" in message.text
    assert "Reminder" not in message.text


async def test_a_lost_prompts_reminder_leaves_a_questionnaire_the_athlete_is_answering(
    engine: Engine,
) -> None:
    """The same lost morning, but the athlete had started /problem meanwhile: the reminder
    does not ask the check-in (that would close their warning-sign check); the check stays
    open."""
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=dt.UTC))
    athlete = add_person(engine, 713, tz="Europe/London")
    await run_tick(make_scheduler(engine, clock))
    clock.set(dt.datetime(2026, 6, 10, 9, 30, tzinfo=LONDON))
    with session_scope(engine) as session:
        start_questionnaire(
            session, athlete_id=athlete, kind="problem", local_date=dt.date(2026, 6, 10),
            now=clock.now(),
        )  # fmt: skip
    await run_tick(make_scheduler(engine, clock))
    assert not any("Time for your morning check-in" in m.text for m in outbox(engine, 713))
    with session_scope(engine, read_only=True) as session:
        still = get_open_questionnaire(session, athlete_id=athlete)
        assert still is not None and still.kind == "problem"
