"""The first morning prompt comes the day after onboarding, whatever is changed that day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from tests.athlete.conftest import Phone, World
from tests.athlete.test_first_days import pending_mornings

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


async def test_a_new_time_zone_on_the_onboarding_day_keeps_the_first_prompt_tomorrow(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()  # 08:00 in Berlin on 2 March; "first check-in tomorrow at 07:30"
    await alex.say("/timezone")
    await alex.say("America/New_York")  # 02:00 there: 07:30 on 2 March is still ahead
    tuesday_0730_ny = dt.datetime(2026, 3, 3, 7, 30, tzinfo=NEW_YORK).astimezone(dt.UTC)
    assert pending_mornings(w) == [(dt.date(2026, 3, 3), tuesday_0730_ny)]


async def test_a_later_check_in_time_on_the_onboarding_day_keeps_the_first_prompt_tomorrow(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()  # 08:00 in Berlin on 2 March
    await alex.say("/settings")
    await alex.tap("Check-in time")
    await alex.say("9:00")  # still ahead today, but today was the onboarding day
    tuesday_0900 = dt.datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN).astimezone(dt.UTC)
    assert pending_mornings(w) == [(dt.date(2026, 3, 3), tuesday_0900)]


async def onboard_with_checkin_time(alex: Phone, time: str) -> None:
    """Onboard as ``Phone.onboard`` does (Berlin), typing the check-in time."""
    await alex.say("/start")
    await alex.tap("I agree")
    for label in ("Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await alex.tap(label)
    await alex.tap("Sprinting / running fast")
    await alex.tap("Rugby")
    await alex.tap("Skip")  # no baseline
    await alex.tap("Europe")
    await alex.tap("Berlin")
    await alex.say(time)
    replies = await alex.tap("✅ Confirm")
    assert any("All set" in (m.text or "") for m in replies), alex.user.format_transcript()


async def test_a_midnight_check_in_time_is_first_prompted_at_the_next_midnight(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    w.clock.set(dt.datetime(2026, 6, 10, 15, 0, tzinfo=BERLIN))
    alex = w.phone(1001)
    await onboard_with_checkin_time(alex, "00:00")
    assert "tomorrow at 00:00" in alex.user.format_transcript()
    midnight_11_june = dt.datetime(2026, 6, 11, 0, 0, tzinfo=BERLIN).astimezone(dt.UTC)
    assert pending_mornings(w) == [(dt.date(2026, 6, 11), midnight_11_june)]
