"""The first days of a programme: prompts planned at once, the onboarding day not a miss."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import col, select

from bot.services.athlete.engine_bridge import STARTED_RULE
from bot.store.models import AlertRecord, Decision, Outbox, ScheduledPrompt
from tests.athlete.conftest import CLINICIAN_ID, World

MONDAY = dt.date(2026, 3, 2)
BERLIN_0730_TUESDAY = dt.datetime(2026, 3, 3, 6, 30, tzinfo=dt.UTC)


def pending_mornings(w: World) -> list[tuple[dt.date, dt.datetime]]:
    """Return (local date, due instant in UTC) of the pending morning prompts."""
    rows = w.read(
        lambda s: s.exec(
            select(ScheduledPrompt)
            .where(ScheduledPrompt.kind == "morning", ScheduledPrompt.status == "pending")
            .order_by(col(ScheduledPrompt.local_date))
        ).all()
    )
    return [(r.local_date, r.due_at.astimezone(dt.UTC)) for r in rows]


async def test_onboarding_plans_the_first_morning_prompt_for_tomorrow_at_once(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    # 05:00 in Berlin: the 07:30 check-in time is still ahead today, yet the onboarding
    # day is the programme's start, so the first prompt is tomorrow's.
    w.clock.set(dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC))
    alex = w.phone(1001)
    assert pending_mornings(w) == []
    await alex.onboard()
    assert pending_mornings(w) == [(MONDAY + dt.timedelta(days=1), BERLIN_0730_TUESDAY)]
    assert "first morning check-in tomorrow at 07:30" in alex.last


async def test_settings_and_resume_replan_the_prompts_at_once(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/settings")
    await alex.tap("Check-in time")
    await alex.say("6:15")
    tuesday = MONDAY + dt.timedelta(days=1)
    assert pending_mornings(w) == [(tuesday, dt.datetime(2026, 3, 3, 5, 15, tzinfo=dt.UTC))]
    await alex.say("/settings")
    await alex.tap("Time zone")
    await alex.tap("Asia")
    await alex.tap("Tokyo")  # 06:15 in Tokyo is 21:15 UTC the day before
    assert pending_mornings(w) == [(tuesday, dt.datetime(2026, 3, 2, 21, 15, tzinfo=dt.UTC))]
    await alex.say("/pause")
    await alex.tap("Ill")
    assert pending_mornings(w) == []
    await alex.say("/resume")
    assert pending_mornings(w) == [(tuesday, dt.datetime(2026, 3, 2, 21, 15, tzinfo=dt.UTC))]


async def test_a_check_in_time_already_passed_today_says_the_first_prompt_is_tomorrow(
    world: Callable[[], Awaitable[World]],
) -> None:
    """Tuesday 06:00 in Berlin, before the 07:30 prompt: moving the time to 05:30 leaves today
    without a prompt, and the athlete is told so (and how to check in today); moving it to
    08:00 keeps today's prompt, and nothing more is said."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()  # Monday
    w.clock.set(dt.datetime(2026, 3, 3, 5, 0, tzinfo=dt.UTC))
    await alex.say("/settings")
    await alex.tap("Check-in time")
    saved = (await alex.say("8:00"))[0].text or ""
    assert "08:00" in saved and "tomorrow" not in saved, saved
    await alex.say("/settings")
    await alex.tap("Check-in time")
    saved = (await alex.say("5:30"))[0].text or ""
    assert "05:30" in saved and "first check-in at it is tomorrow" in saved, saved
    assert "/checkin" in saved
    assert pending_mornings(w)[0][0] == MONDAY + dt.timedelta(days=2)


async def test_a_later_check_in_time_on_the_first_day_says_nothing_of_a_passed_time(
    world: Callable[[], Awaitable[World]],
) -> None:
    """The first day never has a prompt (it is the start): a time still ahead that day is not
    'already passed'."""
    w = await world()
    w.clock.set(dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC))  # 05:00 in Berlin
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/settings")
    await alex.tap("Check-in time")
    saved = (await alex.say("20:00"))[0].text or ""
    assert "20:00" in saved and "passed" not in saved, saved


async def test_the_onboarding_day_is_the_start_not_a_missed_check_in(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    code = w.clinician_invite("Dr Kim")
    alex = w.phone(1001)
    await alex.onboard(code=code)  # Monday
    w.clock.set(dt.datetime(2026, 3, 5, 7, 0, tzinfo=dt.UTC))  # Thursday: Tue, Wed missed
    await alex.morning()
    daily = w.read(
        lambda s: {
            d.local_date: d for d in s.exec(select(Decision).where(Decision.kind == "daily")).all()
        }
    )
    monday, tuesday = daily[MONDAY], daily[MONDAY + dt.timedelta(days=1)]
    assert monday.outcome == "hold"
    reasons = [r["text"] for r in monday.decision["reasons"]]
    assert reasons[0] == "Programme started today; first check-in tomorrow."
    assert monday.decision["reasons"][0]["rule"] == STARTED_RULE
    assert not any("No morning check-in" in text for text in reasons)
    assert any(r["rule"] == "missing.checkin" for r in tuesday.decision["reasons"])
    # Two missed days (the protocol alerts at three): nothing for the clinician yet.
    rules = w.read(lambda s: list(s.exec(select(AlertRecord.rule)).all()))
    assert "escalate.missed" not in rules
    to_clinician = w.read(
        lambda s: list(s.exec(select(Outbox.text).where(Outbox.chat_id == CLINICIAN_ID)).all())
    )
    assert not any("check-in" in text for text in to_clinician)
    replies = await alex.say("/history")
    assert "Mon 2 Mar · – · same stage · Stage 1 of 8" in (replies[0].text or "")


async def test_three_missed_days_after_the_start_still_reach_the_clinician(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    code = w.clinician_invite("Dr Kim")
    alex = w.phone(1001)
    await alex.onboard(code=code)  # Monday; Tuesday to Thursday missed
    w.clock.set(dt.datetime(2026, 3, 6, 7, 0, tzinfo=dt.UTC))
    await alex.morning()
    alerts = w.read(lambda s: list(s.exec(select(AlertRecord)).all()))
    missed = [a for a in alerts if a.rule == "escalate.missed"]
    assert [a.local_date for a in missed] == [dt.date(2026, 3, 5)]
    assert "No check-in for 3 days" in missed[0].text
