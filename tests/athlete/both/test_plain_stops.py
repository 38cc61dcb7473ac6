"""What an athlete reads while running is stopped until their clinician's review, and after a
warning sign in a session (a tired athlete on a phone, reading every word).

/resume after a pause during a stop said "Welcome back! … Start with a /checkin before your
next session." and /done said "You can still report the session; consider a /checkin tomorrow
morning before training": neither said running stays stopped. A sharp pain in a session said
"Stop training" twice and ended a safety message with a note on counting towards moving on.
/status put the stop last, under "Days at this stage: 3 of 1 · sessions that count: 0 of 0".
Through the sandbox, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from tests.athlete.both.test_status_and_plan_today import _linked, _red_flag_check_in, _text
from tests.athlete.conftest import Phone, World

WorldFactory = Callable[[], Awaitable[World]]
STILL_STOPPED = "⛔ Still no running until your clinician has reviewed you."
STOPPED = "⛔ No running until your clinician has reviewed you."


def _next_morning(w: World, hour_utc: int = 7) -> None:
    """The next day, at ``hour_utc`` UTC (07:00 UTC is 08:00 in Berlin)."""
    now = w.clock.now()
    w.clock.set(dt.datetime(now.year, now.month, now.day, hour_utc, tzinfo=dt.UTC))
    w.clock.advance(dt.timedelta(days=1))


async def _paused(alex: Phone) -> None:
    await alex.say("/pause")
    await alex.tap("Travelling")


# /resume ------------------------------------------------------------------------------------


async def test_resume_during_a_stop_says_running_stays_stopped(world: WorldFactory) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)
    _next_morning(w)
    await _red_flag_check_in(alex)  # Tuesday: new swelling, running stopped
    await _paused(alex)
    _next_morning(w)  # Wednesday 08:00 in Berlin: past the 07:30 check-in time, no review yet
    said = _text(await alex.say("/resume"))
    assert said.startswith("Welcome back."), said
    assert STILL_STOPPED in said, said
    assert "before your next session" not in said, said
    assert "Send /checkin to check in today" in said, said


async def test_resume_during_a_stop_before_the_check_in_time_says_when_it_comes(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)
    _next_morning(w)
    await _red_flag_check_in(alex)
    await _paused(alex)
    _next_morning(w, hour_utc=5)  # Wednesday 06:00 in Berlin
    said = _text(await alex.say("/resume"))
    assert STILL_STOPPED in said and "Your check-in comes at 07:30." in said, said


async def test_resume_without_a_stop_is_unchanged(world: WorldFactory) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)
    _next_morning(w)
    await _paused(alex)
    _next_morning(w)
    said = _text(await alex.say("/resume"))
    assert said.startswith("Welcome back! Prompts are on again."), said
    assert "⛔" not in said, said


# /done --------------------------------------------------------------------------------------


async def test_done_during_a_stop_says_running_stays_stopped(world: WorldFactory) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)
    _next_morning(w)
    await _red_flag_check_in(alex)
    same_day = _text(await alex.say("/done"))
    assert STILL_STOPPED in same_day, same_day
    await alex.say("/cancel")
    _next_morning(w)  # no check-in yet, no review yet
    next_day = _text(await alex.say("/done"))
    assert STILL_STOPPED in next_day, next_day
    assert "You can still report the session" not in next_day, next_day
    assert "How did today's session go?" in next_day, next_day  # the report is still taken


async def test_done_after_a_review_for_tomorrow_does_not_say_a_review_is_awaited(
    world: WorldFactory,
) -> None:
    """Dr Kim has reviewed Alex ("may train again from tomorrow", and Alex was told so): /done
    the same day no longer says running waits for a review."""
    w = await world()
    alex, doctor, athlete_id = await _linked(w)
    _next_morning(w)
    await _red_flag_check_in(alex)
    await doctor.send(f"/clear {athlete_id} Phoned: swelling small, settling")
    await doctor.wait_reply()
    await doctor.press("✅ Confirm review")
    await doctor.wait_until(lambda ms: any("from tomorrow" in (m.text or "") for m in ms))
    said = _text(await alex.say("/done"))
    assert STILL_STOPPED not in said, said
    assert "How did today's session go?" in said, said


# A warning sign in a session ------------------------------------------------------------------


async def test_sharp_pain_in_a_session_says_stop_once_and_nothing_about_counting(
    world: WorldFactory,
) -> None:
    """No check-in on Tuesday, a session all the same, with a sharp pain: what to do first,
    "Stop training" once, no "it does not count" note in a safety message."""
    w = await world()
    alex, doctor, _athlete_id = await _linked(w)
    _next_morning(w)
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("2")
    await alex.tap("The injured spot")
    await alex.tap("Yes")  # sharp, stabbing or sudden pain
    said = alex.last
    assert said.startswith("⛔ Stop training. This needs a medical assessment today"), said
    assert said.count("Stop training") == 1, said
    assert "Your session is saved." in said, said
    assert "count" not in said and "About this session" not in said, said
    assert said.endswith("Next: no training until your clinician has reviewed you."), said
    await w.deliver()
    assert any("sharp" in (m.text or "") for m in doctor.bot_messages)


# /status ------------------------------------------------------------------------------------


async def test_status_during_a_stop_leads_with_it_and_counts_in_words(world: WorldFactory) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)
    w.clock.advance(dt.timedelta(days=2))  # Wednesday: two days at the first stage
    await _red_flag_check_in(alex)
    status = _text(await alex.say("/status"))
    lines = status.splitlines()
    assert lines[0] == STOPPED, status
    assert lines[1] == "Stage 1 of 8 · protect and walk", status
    assert lines[2] == "At this stage since Mon 2 Mar.", status
    assert "✅ Days at this stage" in lines, status  # not "2 of 1"
    assert "sessions that count" not in status.lower(), status  # the stage needs none
    assert status.count("⛔") == 1, status
