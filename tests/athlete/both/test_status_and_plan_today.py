"""/status and /plan say what today holds, as the morning and the clinician's card do.

/status used to show the stage as it stood when the day began: after a red flag this morning
it said nothing of the stop, after a step back or a clinician's move this morning it showed the
old stage, and a pause or resume of today was not seen. /plan before the check-in showed the
stage's full running session while running was stopped for a review or inside a rest interval,
and after a red-flag check-in it showed "No training today." without saying why. And a /status
read after missed days moved the engine's snapshot on without recording those days, so their
decisions and the missed-days alert were lost. Through the sandbox, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.sandbox import SimUser
from bot.store.models import AlertRecord, Decision
from tests.athlete.conftest import CLINICIAN_ID, Phone, World
from tests.athlete.test_session import s_items

WorldFactory = Callable[[], Awaitable[World]]
SWELLING = "▫️ New swelling at the injury"
STOPPED = "⛔ No running until your clinician has reviewed you."
STOP_HEADLINE = "⛔ No training until your clinician has reviewed you."
RESTING = "😴 No running today: your muscle rests between fast sessions."
CARD_STOPPED = "⛔ Running stopped after a red flag: waiting for your review."


def _text(replies: list) -> str:  # type: ignore[type-arg]
    return "\n".join(m.text or "" for m in replies)


async def _linked(w: World) -> tuple[Phone, SimUser, int]:
    """Alex onboards in Berlin on Monday 2 March (08:00), linked to Dr Kim."""
    doctor = w.sandbox.user(CLINICIAN_ID, "Kim")
    alex = w.phone(1001, "Alex")
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    person = w.person(1001)
    assert person is not None and person.id is not None
    return alex, doctor, person.id


async def _move_to_h2(doctor: SimUser, athlete_id: int) -> None:
    """Dr Kim moves Alex to stage 3 of 8 (H2, back to running)."""
    await doctor.send(f"/stage {athlete_id} H2 scan reviewed, start running")
    await doctor.wait_reply()
    await doctor.press("✅ Change the stage")
    await doctor.wait_reply()


async def _at_h2(w: World) -> tuple[Phone, SimUser, int]:
    alex, doctor, athlete_id = await _linked(w)
    await _move_to_h2(doctor, athlete_id)
    return alex, doctor, athlete_id


async def _red_flag_check_in(alex: Phone) -> str:
    await alex.say("/checkin")
    await alex.tap(SWELLING)
    return _text(await alex.tap("Done"))


async def _card(doctor: SimUser, athlete_id: int) -> str:
    """The athlete card Dr Kim reads with /athlete."""
    await doctor.send(f"/athlete {athlete_id}")
    replies = await doctor.wait_until(lambda ms: any("Stage:" in (m.text or "") for m in ms))
    return next(m.text or "" for m in replies if "Stage:" in (m.text or ""))


def _next_morning(w: World) -> None:
    w.clock.advance(dt.timedelta(days=1))


# /status ---------------------------------------------------------------------------------


async def test_status_after_a_red_flag_this_morning_shows_the_stop_as_the_card_does(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, doctor, athlete_id = await _at_h2(w)
    _next_morning(w)
    assert STOP_HEADLINE in await _red_flag_check_in(alex)
    status = _text(await alex.say("/status"))
    assert status.startswith(STOPPED), status
    assert "✅ No warning sign, no review waiting" not in status, status
    assert CARD_STOPPED in await _card(doctor, athlete_id)


async def test_status_after_a_step_back_this_morning_shows_the_new_stage(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, doctor, athlete_id = await _at_h2(w)
    _next_morning(w)
    await alex.morning(pain_rest="3")  # a rest morning (pain at rest 3/10)
    _next_morning(w)
    said = _text(await alex.morning(pain_rest="3"))  # the second in a row: one stage back
    assert "↩️ Back one stage for a few days: Stage 2 of 8" in said, said
    status = _text(await alex.say("/status"))
    assert status.startswith("Stage 2 of 8"), status
    assert "At this stage since today." in status.splitlines(), status
    card = await _card(doctor, athlete_id)
    assert "Stage: H1" in card and "0 days in this stage" in card, card


async def test_status_after_a_clinicians_move_today_shows_the_stage_moved_to(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, doctor, athlete_id = await _linked(w)
    _next_morning(w)
    await alex.morning()
    await _move_to_h2(doctor, athlete_id)
    status = _text(await alex.say("/status"))
    assert status.startswith("Stage 3 of 8 · back to running"), status
    assert "Stage: H2" in await _card(doctor, athlete_id)


async def test_status_says_paused_after_a_pause_today_and_not_after_a_resume(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)
    _next_morning(w)
    await alex.say("/pause")
    await alex.tap("Travelling")
    assert "⏸ Your programme is paused." in _text(await alex.say("/status"))
    _next_morning(w)
    assert "Welcome back!" in _text(await alex.say("/resume"))
    status = _text(await alex.say("/status"))
    assert "paused" not in status, status


# /plan -----------------------------------------------------------------------------------


async def test_plan_before_the_check_in_while_stopped_shows_no_running(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _at_h2(w)
    _next_morning(w)
    await _red_flag_check_in(alex)
    _next_morning(w)  # the day after the red flag: no review yet
    plan = _text(await alex.say("/plan"))
    assert plan.startswith(STOPPED), plan
    assert "Run-throughs" not in plan, plan
    assert "No training until you check in" in plan, plan


async def test_plan_before_the_check_in_inside_a_rest_interval_shows_no_fast_session(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _at_h2(w)
    _next_morning(w)
    assert "Run-throughs" in _text(await alex.say("/plan"))  # no run yet: the full session
    await alex.morning()
    await s_items(alex, pain="0")  # ran the session (48 h between runs at this stage)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    await alex.tap("No numbers today")
    _next_morning(w)
    plan = _text(await alex.say("/plan"))
    assert plan.startswith("No training until you check in") and RESTING in plan, plan
    assert "Run-throughs" not in plan, plan
    morning = _text(await alex.morning())
    assert RESTING in morning and "Run-throughs" not in morning, morning  # as the preview said


async def test_plan_after_a_red_flag_check_in_leads_with_the_stop_and_what_to_do(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _at_h2(w)
    _next_morning(w)
    await _red_flag_check_in(alex)
    plan = _text(await alex.say("/plan"))
    assert plan.startswith(STOP_HEADLINE), plan
    assert "until your clinician has reviewed you (they have been asked to" in plan, plan
    # Said once: no empty "Today's session · … No training today." under the stop.
    assert "No training today." not in plan and "Today's session" not in plan, plan


# Missed days: a read closes them without losing their decisions or alerts ---------------


async def test_missed_days_keep_their_decisions_and_alert_after_a_status(
    world: WorldFactory,
) -> None:
    """Four mornings missed (Tue 3 to Fri 6 March), then on Saturday a /status before the
    check-in: the missed days are decided and the clinician hears of the absence, exactly
    as when Alex checks in straight away (tests/athlete/test_missed_days.py)."""
    w = await world()
    alex, doctor, athlete_id = await _linked(w)
    w.clock.advance(dt.timedelta(days=5))
    await alex.say("/status")
    await alex.morning()
    await w.deliver()
    missed = [dt.date(2026, 3, day) for day in (3, 4, 5, 6)]
    daily = w.read(
        lambda s: [
            d.local_date
            for d in s.exec(
                select(Decision).where(Decision.athlete_id == athlete_id, Decision.kind == "daily")
            )
        ]
    )
    assert set(missed) <= set(daily), daily
    rules = w.read(lambda s: [a.rule for a in s.exec(select(AlertRecord))])
    assert rules.count("escalate.missed") == 1, rules
    assert any("No check-in for 3 days" in (m.text or "") for m in doctor.bot_messages)
    history = _text(await alex.say("/history"))
    for day in ("Tue 3 Mar", "Wed 4 Mar", "Thu 5 Mar", "Fri 6 Mar"):
        line = next(x for x in history.splitlines() if x.startswith(day))
        assert "· same stage ·" in line, history
