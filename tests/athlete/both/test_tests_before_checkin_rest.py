"""Tests reported BEFORE the day's check-in keep the rest after a run, end to end on SQLite
and on PostgreSQL.

The athlete at stage 3 of 8 (H2: 48 h between runs) logs a Nordic force test with /done
before checking in, then checks in: the session does not count and there is no second
session that day. A report cannot tell a test day from a run by feel (protocol note 22), so
the next morning's check-in has no running and says it is the rest between fast sessions,
as after the same tests reported after the check-in. Before the fix the report started no
rest: the next morning said "Train as planned" with H2's run-throughs, 24 hours later.
"""

from __future__ import annotations

import datetime as dt

from tests.athlete.both.test_session_before_checkin import SECOND_SESSION, Factory, tuesday
from tests.athlete.conftest import Phone

REST = "😴 No running today: your muscle rests between fast sessions."


async def report_tests(alex: Phone) -> str:
    """Report a session with /done whose only number is a Nordic force test (no run)."""
    await alex.say("/done")
    for label in ("All of it", "0", "No", "None of these ✅", "1", "No", "8", "4", "45", "0"):
        await alex.tap(label)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    await alex.say("nordic 300")
    replies = await alex.tap("Yes, save")
    return replies[-1].text or ""


async def wednesday_morning(alex: Phone) -> str:
    replies = await alex.morning()
    return replies[-1].text or ""


async def test_tests_before_the_check_in_keep_the_next_morning_free_of_running(
    world: Factory,
) -> None:
    w, alex = await tuesday(world)  # Tuesday 09:00 in Berlin
    done = await report_tests(alex)
    assert "there was no morning check-in" in done, done
    w.clock.advance(dt.timedelta(minutes=30))
    said = await wednesday_morning(alex)
    assert said.startswith(SECOND_SESSION), said
    w.clock.set(dt.datetime(2026, 3, 4, 7, 0, tzinfo=dt.UTC))  # Wednesday 08:00 in Berlin
    said = await wednesday_morning(alex)
    assert said.startswith(REST), said
    assert "Run-throughs" not in said and "Train as planned" not in said, said


async def test_the_same_tests_after_the_check_in_read_the_same_next_morning(
    world: Factory,
) -> None:
    """The reference: check-in first (H2's run planned), then the same tests."""
    w, alex = await tuesday(world)
    await alex.morning()
    w.clock.advance(dt.timedelta(hours=2))
    await report_tests(alex)
    w.clock.set(dt.datetime(2026, 3, 4, 7, 0, tzinfo=dt.UTC))
    said = await wednesday_morning(alex)
    assert said.startswith(REST), said
