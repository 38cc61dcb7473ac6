"""A red-flag stop is never lost to a move west across time zones.

Alex, at stage 3 of 8 in Auckland, reports new swelling in the Thursday 5 March check-in and
an hour later sets Los Angeles, where it is still Wednesday 4 March. "Today" was the local
date everywhere, so /status said "No warning sign", /checkin took a check-in for 4 March
("Train as planned"), /plan showed running and /done counted a session. The athlete's day now
never goes back before a day that already holds their answers or decisions: in Los Angeles
Alex is still on Thursday 5 March until the calendar there catches up. Through the sandbox,
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.sandbox import SimUser
from bot.store.models import Decision, MorningCheckinRecord, SessionReportRecord
from tests.athlete.both.test_pain_followup import FOLLOWUP, report_session, tick_and_deliver
from tests.athlete.conftest import CLINICIAN_ID, Phone, World

WorldFactory = Callable[[], Awaitable[World]]
SWELLING = "▫️ New swelling at the injury"
STOPPED = "⛔ No running until your clinician has reviewed you."
STOP_HEADLINE = "⛔ No training until your clinician has reviewed you."
THURSDAY = dt.date(2026, 3, 5)


def _text(replies: list) -> str:  # type: ignore[type-arg]
    return "\n".join(m.text or "" for m in replies)


async def _at_h2_in(w: World, region: str, city: str) -> tuple[Phone, SimUser, int]:
    """Alex onboards on Monday 2 March at 07:00 UTC in ``city``, linked to Dr Kim, who moves
    them to stage 3 of 8 (H2, back to running)."""
    doctor = w.sandbox.user(CLINICIAN_ID, "Kim")
    alex = w.phone(1001, "Alex")
    await alex.say(f"/start {w.clinician_invite('Dr Kim')}")
    for label in ("I agree", "I agree", "Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await alex.tap(label)
    await alex.tap("Sprinting / running fast")
    await alex.tap("Rugby")
    await alex.say("vmax 9.0 10m 1.80")
    for label in (region, city, "07:30"):
        await alex.tap(label)
    assert "All set" in _text(await alex.tap("✅ Confirm")), alex.user.format_transcript()
    person = w.person(1001)
    assert person is not None and person.id is not None
    await doctor.send(f"/stage {person.id} H2 scan reviewed, start running")
    await doctor.wait_reply()
    await doctor.press("✅ Change the stage")
    await doctor.wait_reply()
    return alex, doctor, person.id


async def _red_flag_check_in(alex: Phone) -> str:
    await alex.say("/checkin")
    await alex.tap(SWELLING)
    return _text(await alex.tap("Done"))


async def _move_to_los_angeles(alex: Phone) -> str:
    await alex.say("/settings")
    await alex.tap("Time zone")
    await alex.tap("Americas")
    return _text(await alex.tap("Los Angeles"))


async def _report_a_session(alex: Phone) -> tuple[str, str]:
    """/done: all of it, no pain, no warning sign; return the first question and the result."""
    first = _text(await alex.say("/done"))
    await alex.tap("All of it")
    await alex.tap("0")
    await alex.tap("No")  # nothing sharp
    await alex.tap("None of these ✅")
    for label in ("1", "No", "8", "4", "45", "Skip"):
        await alex.tap(label)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    return first, _text(await alex.tap("No numbers today"))


def _sessions(w: World, athlete_id: int) -> list[dt.date]:
    days: list[dt.date] = w.read(
        lambda s: [
            r.local_date
            for r in s.exec(
                select(SessionReportRecord).where(SessionReportRecord.athlete_id == athlete_id)
            )
        ]
    )
    return days


def _decided(w: World, athlete_id: int, day: dt.date) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = w.read(
        lambda s: [
            (d.kind, d.outcome)
            for d in s.exec(
                select(Decision).where(
                    Decision.athlete_id == athlete_id, Decision.local_date == day
                )
            )
        ]
    )
    return found


async def _status_plan_checkin_and_done_keep_the_stop(
    w: World, alex: Phone, doctor: SimUser, athlete_id: int
) -> None:
    """In Los Angeles on Wednesday 4 March, after Thursday's red flag elsewhere."""
    status = _text(await alex.say("/status"))
    assert status.startswith(STOPPED), status
    assert "✅ No warning sign" not in status, status

    checkin = _text(await alex.say("/checkin"))
    assert checkin.startswith(
        "You already checked in for Thursday 5 March in your previous time zone"
    ), checkin
    assert "Train as planned" not in checkin, checkin

    plan = _text(await alex.say("/plan"))
    assert plan.startswith(STOP_HEADLINE), plan
    assert "Run-throughs" not in plan, plan

    await doctor.send(f"/athlete {athlete_id}")
    card = await doctor.wait_until(lambda ms: any("Stage:" in (m.text or "") for m in ms))
    assert "⛔ Running stopped after a red flag" in _text(card), _text(card)
    assert "Thu 5 Mar" in _text(card), _text(card)  # the last 14 days end at Alex's day
    await doctor.send("/athletes")
    overview = _text(await doctor.wait_reply())
    assert "today: stopped" in overview and "-1 days" not in overview, overview

    w.clock.advance(dt.timedelta(hours=7))  # that evening in Los Angeles
    first, result = await _report_a_session(alex)
    assert first.startswith("⛔ Still no running until your clinician has reviewed you."), first
    assert (
        "🗓 This counts for Thursday 5 March, the day you already started in your previous "
        "time zone." in first
    ), first
    assert "Your session is saved." in result and "count" not in result, result
    assert "none until your clinician has reviewed you" in result, result
    assert _sessions(w, athlete_id) == [THURSDAY]
    assert ("daily", "stop") in _decided(w, athlete_id, THURSDAY)
    status = _text(await alex.say("/status"))
    assert "⬜ 2 more good sessions" in status and status.startswith(STOPPED), status


async def test_auckland_to_los_angeles_after_a_red_flag_keeps_the_stop(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, doctor, athlete_id = await _at_h2_in(w, "Oceania", "Auckland")
    # Thursday 5 March, 07:30 in Auckland (Wednesday's check-in was skipped).
    w.clock.set(dt.datetime(2026, 3, 4, 18, 30, tzinfo=dt.UTC))
    assert STOP_HEADLINE in await _red_flag_check_in(alex)
    w.clock.advance(dt.timedelta(hours=1))  # 11:30 on Wednesday 4 March in Los Angeles
    await _move_to_los_angeles(alex)
    await _status_plan_checkin_and_done_keep_the_stop(w, alex, doctor, athlete_id)

    # Friday 6 March in Los Angeles: a new day, still stopped until the review.
    w.clock.set(dt.datetime(2026, 3, 6, 16, 0, tzinfo=dt.UTC))
    plan = _text(await alex.say("/plan"))
    assert plan.startswith(STOPPED) and "Run-throughs" not in plan, plan
    morning = _text(await alex.morning())
    assert "No running until your clinician has reviewed you" in morning, morning
    assert "Run-throughs" not in morning, morning


async def test_sydney_to_los_angeles_with_the_earlier_day_checked_in_keeps_the_stop(
    world: WorldFactory,
) -> None:
    """Wednesday 4 March was checked in in Sydney (train as planned), Thursday's check-in
    reported a red flag: in Los Angeles, still on Wednesday, nothing goes back to Wednesday's
    plan."""
    w = await world()
    alex, doctor, athlete_id = await _at_h2_in(w, "Oceania", "Sydney")
    w.clock.set(dt.datetime(2026, 3, 3, 20, 30, tzinfo=dt.UTC))  # Wed 4 Mar 07:30 in Sydney
    assert "Run-throughs" in _text(await alex.morning())
    w.clock.set(dt.datetime(2026, 3, 4, 20, 30, tzinfo=dt.UTC))  # Thu 5 Mar 07:30 in Sydney
    assert STOP_HEADLINE in await _red_flag_check_in(alex)
    w.clock.advance(dt.timedelta(hours=1))  # 13:30 on Wednesday 4 March in Los Angeles
    await _move_to_los_angeles(alex)
    await _status_plan_checkin_and_done_keep_the_stop(w, alex, doctor, athlete_id)


async def test_a_review_after_the_move_west_lifts_the_stop(world: WorldFactory) -> None:
    """Dr Kim reviews Alex in Los Angeles on Wednesday 4 March, after Thursday's red flag in
    Auckland. Dated by the local date, the review fell on Wednesday, before the stop it was
    meant to lift, and Alex stayed stopped for good; it counts from the day after Alex's
    working day (Thursday, already checked in), as any review after a check-in does."""
    w = await world()
    alex, doctor, athlete_id = await _at_h2_in(w, "Oceania", "Auckland")
    w.clock.set(dt.datetime(2026, 3, 4, 18, 30, tzinfo=dt.UTC))
    assert STOP_HEADLINE in await _red_flag_check_in(alex)
    w.clock.advance(dt.timedelta(hours=1))
    await _move_to_los_angeles(alex)

    await doctor.send(f"/clear {athlete_id} Phoned: swelling settled, no other signs")
    await doctor.wait_reply()
    await doctor.press("✅ Confirm review")
    await doctor.wait_until(lambda ms: any("from tomorrow" in (m.text or "") for m in ms))
    w.clock.set(dt.datetime(2026, 3, 6, 16, 0, tzinfo=dt.UTC))  # Friday 6 March, 08:00 in LA
    morning = _text(await alex.morning())
    assert "No running until your clinician has reviewed you" not in morning, morning


async def test_a_warning_sign_after_the_move_west_joins_the_day_already_started(
    world: WorldFactory,
) -> None:
    """/problem in Los Angeles on Wednesday 4 March, after Thursday's check-in in Auckland:
    the warning sign joins Thursday's check-in; Wednesday, already closed, is not decided
    again after Thursday."""
    w = await world()
    alex, _doctor, athlete_id = await _at_h2_in(w, "Oceania", "Auckland")
    w.clock.set(dt.datetime(2026, 3, 4, 18, 30, tzinfo=dt.UTC))
    await alex.morning()  # Thursday 5 March in Auckland, all fine
    w.clock.advance(dt.timedelta(hours=1))
    await _move_to_los_angeles(alex)
    await alex.say("/problem")
    await alex.say("the back of my thigh is swollen")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap(SWELLING)
    said = _text(await alex.tap("Done"))
    assert STOP_HEADLINE in said, said
    checkins: list[dt.date] = w.read(
        lambda s: [
            r.local_date
            for r in s.exec(
                select(MorningCheckinRecord).where(MorningCheckinRecord.athlete_id == athlete_id)
            )
        ]
    )
    assert checkins == [THURSDAY]
    assert ("morning", "stop") in _decided(w, athlete_id, THURSDAY)


async def test_a_pause_and_a_resume_across_a_move_west_leave_the_programme_running(
    world: WorldFactory,
) -> None:
    """Paused in Auckland on Thursday 5 March, resumed in Los Angeles on Wednesday 4: the
    resume was dated before the pause, and the engine kept the programme paused for good."""
    w = await world()
    alex, _doctor, _athlete_id = await _at_h2_in(w, "Oceania", "Auckland")
    w.clock.set(dt.datetime(2026, 3, 4, 18, 30, tzinfo=dt.UTC))  # Thu 5 Mar, 07:30 Auckland
    await alex.morning()
    w.clock.advance(dt.timedelta(minutes=30))
    await alex.say("/pause")
    await alex.tap("Travelling")
    w.clock.advance(dt.timedelta(hours=12))  # Wednesday 4 March, 20:00 in Los Angeles
    await _move_to_los_angeles(alex)
    assert "Welcome back" in _text(await alex.say("/resume"))
    w.clock.set(dt.datetime(2026, 3, 6, 16, 0, tzinfo=dt.UTC))  # Friday 6 March, 08:00 LA
    morning = _text(await alex.morning())
    status = _text(await alex.say("/status"))
    assert "paused" not in status and "paused" not in morning, (morning, status)


async def test_the_pain_follow_up_survives_a_move_west(world: WorldFactory) -> None:
    """A session reported in Auckland at 17:00 on Thursday, the pain an hour after skipped
    ("I'll ask again in about an hour"), then Los Angeles, where it is still Wednesday: the
    follow-up was dropped when it fell due, so the 'pain 1 h after' rule could never fire."""
    w = await world()
    alex, _doctor, _athlete_id = await _at_h2_in(w, "Oceania", "Auckland")
    w.clock.set(dt.datetime(2026, 3, 4, 18, 30, tzinfo=dt.UTC))  # Thu 5 Mar, 07:30 Auckland
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 5, 4, 0, tzinfo=dt.UTC))  # 17:00 in Auckland
    assert "I'll ask about the pain again" in await report_session(alex)
    w.clock.advance(dt.timedelta(minutes=20))
    await _move_to_los_angeles(alex)
    w.clock.advance(dt.timedelta(minutes=30))
    await tick_and_deliver(w, alex)  # not due yet (and the scheduler's first look)
    w.clock.advance(dt.timedelta(minutes=15))
    sent = await tick_and_deliver(w, alex)
    # (The scheduler's first tick in this test apologises for its absence first.)
    assert any(FOLLOWUP in (m.text or "") for m in sent), alex.user.format_transcript()


async def test_a_session_on_the_day_already_started_names_the_next_check_in(
    world: WorldFactory,
) -> None:
    """Thursday 5 March checked in in Sydney, the session reported in Los Angeles (still
    Wednesday 4): "your check-in tomorrow morning" pointed at Thursday, already checked in."""
    w = await world()
    alex, _doctor, _athlete_id = await _at_h2_in(w, "Oceania", "Sydney")
    w.clock.set(dt.datetime(2026, 3, 4, 20, 30, tzinfo=dt.UTC))  # Thu 5 Mar 07:30 in Sydney
    await alex.morning()
    w.clock.advance(dt.timedelta(hours=1))
    await _move_to_los_angeles(alex)
    _first, result = await _report_a_session(alex)
    assert "Next: your check-in on Friday 6 March, before training." in result, result
    assert "tomorrow morning" not in result
