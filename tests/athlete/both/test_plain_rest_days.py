"""A rest day reads as one message: one emoji headline, what the athlete may do with the pain
they reported, and what is still needed in words.

With pain 3/10 at rest and 4/10 in the test at the first stage (no running there anyway), the
morning read "😴 Rest today: no running." over "⚠ No running: walking, mobility and the bike
only, if pain stays 0–1/10" and "To move up: morning check-in says go (+2 more)". Through the
sandbox, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from tests.athlete.both.test_status_and_plan_today import _at_h2, _linked, _text
from tests.athlete.conftest import World

WorldFactory = Callable[[], Awaitable[World]]
WITH_PAIN = (
    "With this pain, walk and move only as far as it stays pain-free. The bike only once pain "
    "is 1/10 or less."
)


async def test_a_rest_day_at_a_stage_without_running_is_one_coherent_message(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)
    w.clock.advance(dt.timedelta(days=1))
    said = _text(await alex.morning(pain_rest="3", pain_test="4"))
    lines = said.splitlines()
    # Stage 1 has no running to leave out; what follows is what the day allows, no session.
    assert lines[0] == "😴 Rest today: light activity only.", said
    assert "What you can do today · Stage 1 of 8" in said and "Today's session" not in said
    assert "⚠" not in said and said.count("No running") == 0, said
    assert WITH_PAIN in said, said
    assert "(+" not in said, said
    assert "To move up: morning check-in says go, and 2 more things (/status lists them)" in said, (
        said
    )
    plan = _text(await alex.say("/plan"))  # /plan says the same
    assert (
        plan.startswith("😴 Rest today: light activity only.")
        and WITH_PAIN in plan
        and "⚠" not in plan
    ), plan


async def test_a_rest_day_at_a_running_stage_says_no_running_once(world: WorldFactory) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _at_h2(w)
    w.clock.advance(dt.timedelta(days=1))
    said = _text(await alex.morning(pain_rest="3", pain_test="4"))
    assert said.startswith("😴 Rest today: no running."), said
    assert said.count("No running") + said.count("no running") == 1, said
    assert "⚠" not in said and WITH_PAIN in said and "Run-throughs" not in said, said


async def test_a_rest_between_fast_sessions_without_pain_allows_the_bike(
    world: WorldFactory,
) -> None:
    """A day inside the rest interval, with no pain: the bike is fine, said once, no ⚠."""
    w = await world()
    alex, _doctor, _athlete_id = await _at_h2(w)
    w.clock.advance(dt.timedelta(days=1))
    await alex.morning()
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("0")
    await alex.tap("No")
    await alex.tap("None of these ✅")
    for answer in ("1", "No", "8", "4", "45", "0"):
        await alex.tap(answer)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    await alex.tap("No numbers today")
    w.clock.advance(dt.timedelta(days=1))
    said = _text(await alex.morning(pain_rest="0", pain_test="0"))
    assert said.startswith("😴 No running today: your muscle rests between fast sessions."), said
    assert "Walking, mobility and the bike are fine if pain stays at 0–1/10." in said, said
    assert "⚠" not in said, said
