"""The post-session prompt comes on every day whose plan has training, rest interval or not.

A hamstring athlete at stage 4 of 8 (runs at 70-80 % of top speed, 48 h between runs at 70 %
or more) reports a fast session on Tuesday (80 %, four fast reps). Wednesday's check-in gives
"Easier today: your muscle rests between fast sessions.": runs at 55-65 % and strength work. The
scheduler counted Wednesday a rest day (48 h between high-speed sessions), so at the usual
session end it never asked "How did today's session go?": the pain during that run, the
tightness after and the pain an hour after, which the engine's 24-hour rules read the next
morning, were never asked for. The prompt now follows the plan the athlete was given: any
training in it, the prompt comes at their session end (in their own zone); none in it ("No
training today"), it does not; no check-in that day, the rest interval still decides.

Through the real bot (every handler module) on the Bot API sandbox, with the scheduler's
tick on the test clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import delete
from sqlmodel import col, select

from bot.sandbox import SimUser
from bot.scheduling.registry import registry_of
from bot.scheduling.tick import Scheduler, run_tick
from bot.scheduling.times import local_to_utc
from bot.store.db import session_scope
from bot.store.models import ScheduledPrompt
from tests.athlete.conftest import CLINICIAN_ID, Phone, World, db, services, world

__all__ = ["db", "services", "world"]  # the athlete flow's fixtures, used here

Factory = Callable[[], Awaitable[World]]
ASKED = "How did today's session go?"
ASKED_ANYWAY = "Did you train anyway?"  # the question on a day without a check-in
EASIER = "Easier today: your muscle rests between fast sessions."
TUESDAY = dt.date(2026, 3, 3)
WEDNESDAY = TUESDAY + dt.timedelta(days=1)
BERLIN = "Europe/Berlin"
# Where Tuesday 07:30 is still Monday evening in UTC, and every local date differs from UTC's
# at the morning prompt.
AUCKLAND = "Pacific/Auckland"


def _at(zone: str, day: dt.date, wall: str) -> dt.datetime:
    return local_to_utc(day, dt.time.fromisoformat(wall), zone)


def _text(replies: list) -> str:  # type: ignore[type-arg]
    return "\n".join(m.text or "" for m in replies)


async def _hamstring_at_h3(
    w: World, zone: str, *, baseline: str = "vmax 9.0 10m 1.80"
) -> tuple[Phone, Scheduler]:
    """Alex (hamstring, check-in 07:30, usual session end 18:00) onboards on Monday 2 March
    (with ``baseline``; "": none, runs by feel), moves to ``zone`` with /timezone, and Dr Kim
    moves them to stage 4 of 8 (H3)."""
    doctor: SimUser = w.sandbox.user(CLINICIAN_ID, "Kim")
    alex = w.phone(1001, "Alex")
    await alex.onboard(code=w.clinician_invite("Dr Kim"), baseline=baseline)
    if zone != BERLIN:
        await alex.say("/timezone")
        said = _text(await alex.say(zone))
        assert "Saved" in said, said
    person = w.person(1001)
    assert person is not None and person.id is not None
    await doctor.send(f"/stage {person.id} H3 scan reviewed")
    replies = await doctor.wait_reply()
    if any("✅ Change the stage" in m.button_labels for m in replies):
        await doctor.press("✅ Change the stage")
        await doctor.wait_reply()
    scheduler = Scheduler(
        engine=w.engine, clock=w.clock, senders=registry_of(w.running.application.bot_data)
    )
    await run_tick(scheduler)  # plans Tuesday's prompts
    return alex, scheduler


async def _morning_prompt(
    w: World, scheduler: Scheduler, zone: str, day: dt.date, wall: str = "07:31"
) -> None:
    """The morning prompt of ``day`` goes out (and the next day is planned)."""
    w.clock.set(_at(zone, day, wall))
    await run_tick(scheduler)
    await w.deliver()


async def _evening(w: World, alex: Phone, scheduler: Scheduler, zone: str, day: dt.date) -> str:
    """The tick just after the usual session end (18:00 local): what the bot sent Alex."""
    before = len(alex.user.bot_messages)
    w.clock.set(_at(zone, day, "18:01"))
    await run_tick(scheduler)
    await w.deliver()
    return "\n".join(m.text or "" for m in alex.user.bot_messages[before:])


async def _fast_tuesday(w: World, alex: Phone, scheduler: Scheduler, zone: str) -> None:
    """Tuesday: Alex checks in (a plan with runs up to 80 %), gets the post-session prompt at
    18:00 and reports a painless session at 80 % with four fast reps."""
    await _morning_prompt(w, scheduler, zone, TUESDAY)
    plan = _text(await alex.morning())
    assert "Run-throughs" in plan and EASIER not in plan, plan
    asked = await _evening(w, alex, scheduler, zone, TUESDAY)
    assert ASKED in asked, asked
    for label in ("All of it", "0", "No", "None of these ✅", "1", "No", "8", "4", "45", "0"):
        await alex.tap(label)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    await alex.say("top 80 hv 4")
    if "Yes, save" in alex.user.last_bot_message.button_labels:
        await alex.tap("Yes, save")
    assert "Session saved" in alex.last, alex.last


async def _set_checkin_time(alex: Phone, wall: str) -> None:
    """Alex changes the check-in time with /settings (the coming days are planned again)."""
    await alex.say("/settings")
    await alex.tap("Check-in time")
    said = _text(await alex.say(wall))
    assert f"Morning check-in: {wall}" in said, said


def _post_session_rows(w: World, day: dt.date) -> list[str]:
    rows: list[str] = w.read(
        lambda s: [
            p.status
            for p in s.exec(
                select(ScheduledPrompt).where(
                    ScheduledPrompt.kind == "post_session", ScheduledPrompt.local_date == day
                )
            ).all()
        ]
    )
    return rows


@pytest.mark.parametrize("zone", [BERLIN, AUCKLAND])
async def test_an_easier_run_between_fast_sessions_gets_its_post_session_prompt(
    world: Factory, zone: str
) -> None:
    w = await world()
    alex, scheduler = await _hamstring_at_h3(w, zone)
    await _fast_tuesday(w, alex, scheduler, zone)
    await _morning_prompt(w, scheduler, zone, WEDNESDAY)
    plan = _text(await alex.morning())
    assert EASIER in plan and "Run-throughs" in plan and "55–65 %" in plan, plan
    asked = await _evening(w, alex, scheduler, zone, WEDNESDAY)
    assert ASKED in asked and ASKED_ANYWAY not in asked, asked
    assert _post_session_rows(w, WEDNESDAY) == ["sent"]


async def test_a_day_planned_after_the_fast_session_still_gets_the_prompt(world: Factory) -> None:
    """Wednesday is planned again after Tuesday's report (Alex moves the check-in to 07:00
    that evening): the rest interval no longer leaves the day without its prompt."""
    w = await world()
    alex, scheduler = await _hamstring_at_h3(w, BERLIN)
    await _fast_tuesday(w, alex, scheduler, BERLIN)
    await _set_checkin_time(alex, "07:00")
    await _morning_prompt(w, scheduler, BERLIN, WEDNESDAY, "07:01")
    plan = _text(await alex.morning())
    assert EASIER in plan, plan
    asked = await _evening(w, alex, scheduler, BERLIN, WEDNESDAY)
    assert ASKED in asked, asked


async def test_a_day_planned_before_this_rule_gets_the_prompt(world: Factory) -> None:
    """Wednesday's rows were written as the scheduler used to write a day inside the rest
    interval, with no post-session row; Wednesday's morning prompt adds it."""
    w = await world()
    alex, scheduler = await _hamstring_at_h3(w, BERLIN)
    await _fast_tuesday(w, alex, scheduler, BERLIN)
    with session_scope(w.engine) as session:
        session.exec(
            delete(ScheduledPrompt).where(
                col(ScheduledPrompt.kind) == "post_session",
                col(ScheduledPrompt.local_date) == WEDNESDAY,
            )
        )
    assert _post_session_rows(w, WEDNESDAY) == []
    await _morning_prompt(w, scheduler, BERLIN, WEDNESDAY)
    plan = _text(await alex.morning())
    assert EASIER in plan, plan
    asked = await _evening(w, alex, scheduler, BERLIN, WEDNESDAY)
    assert ASKED in asked, asked


async def test_a_rest_day_with_no_training_gets_no_prompt(world: Factory) -> None:
    """Guard: without a top speed of their own Alex runs by feel, so Tuesday's run counts as
    faster than felt and Wednesday has no running at all; this stage has nothing else to do
    ("No training today"): no prompt, although the day now has its row."""
    w = await world()
    alex, scheduler = await _hamstring_at_h3(w, BERLIN, baseline="")
    await _fast_tuesday(w, alex, scheduler, BERLIN)
    await _set_checkin_time(alex, "07:00")
    await _morning_prompt(w, scheduler, BERLIN, WEDNESDAY, "07:01")
    plan = _text(await alex.morning())
    assert "No training today" in plan and "Run-throughs" not in plan, plan
    asked = await _evening(w, alex, scheduler, BERLIN, WEDNESDAY)
    assert ASKED not in asked and ASKED_ANYWAY not in asked, asked
    assert _post_session_rows(w, WEDNESDAY) in ([], ["cancelled"])


async def test_no_check_in_inside_the_rest_interval_gets_no_prompt(world: Factory) -> None:
    """Guard: no check-in on Wednesday, so no plan was given: the rest interval decides, as
    before, and there is nothing to ask."""
    w = await world()
    alex, scheduler = await _hamstring_at_h3(w, BERLIN)
    await _fast_tuesday(w, alex, scheduler, BERLIN)
    await _set_checkin_time(alex, "07:00")
    await _morning_prompt(w, scheduler, BERLIN, WEDNESDAY, "07:01")
    asked = await _evening(w, alex, scheduler, BERLIN, WEDNESDAY)
    assert ASKED not in asked and ASKED_ANYWAY not in asked, asked
    assert _post_session_rows(w, WEDNESDAY) in ([], ["cancelled"])
