"""Attack on the athlete's chat, second round, through the real bot: a tired athlete reads
"Vmax" where they should read "top speed"; /status and /plan say the same thing twice; a
warning sign reported with /problem is contradicted by a hurried "None of these" the next
morning; a rest day is followed by "Today's session"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.store.models import MorningCheckinRecord
from tests.athlete.both.test_status_and_plan_today import _at_h2, _linked, _red_flag_check_in
from tests.athlete.conftest import Phone, World
from tests.athlete.test_session import step_by_step

Factory = Callable[[], Awaitable[World]]
SWELLING = "New swelling at the injury"
REPORTED = "Since your last check-in you reported: New swelling at the injury."
GONE_ASKED = "Has it gone completely?"
NO_RUNNING = "⛔ No running until your clinician has reviewed you."


def _text(replies: list) -> str:  # type: ignore[type-arg]
    return "\n".join(m.text or "" for m in replies)


def _next_morning(w: World) -> None:
    w.clock.advance(dt.timedelta(days=1))


async def test_athletes_read_top_speed_never_vmax(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await step_by_step(alex, pain="0")
    assert "Top speed (m/s)" in alex.last and "Vmax" not in alex.last
    said = _text(await alex.say("13"))
    assert "top speed 13 m/s looks wrong" in said and "Vmax" not in said, said


async def test_status_names_the_clinicians_ok_once(world: Factory) -> None:
    w = await world()
    alex, _doctor, _id = await _linked(w)
    status = _text(await alex.say("/status"))
    assert status.count("clinician's OK") == 1, status
    assert "Today's session" not in status


async def test_plan_after_a_stop_says_no_training_once(world: Factory) -> None:
    w = await world()
    alex, _doctor, _id = await _at_h2(w)
    _next_morning(w)
    await _red_flag_check_in(alex)
    plan = _text(await alex.say("/plan"))
    assert plan.startswith("⛔ No training until your clinician has reviewed you."), plan
    assert "No training today" not in plan and "Today's session" not in plan, plan
    assert "To move up" not in plan  # /status's


async def test_a_rest_day_is_never_followed_by_todays_session(world: Factory) -> None:
    w = await world()
    alex, _doctor, _id = await _at_h2(w)
    _next_morning(w)
    said = _text(await alex.morning(pain_rest="3"))
    assert said.startswith("😴 Rest today: no running."), said
    assert "What you can do today · Stage 3 of 8" in said and "Today's session" not in said
    plan = _text(await alex.say("/plan"))
    assert "What you can do today" in plan and "Today's session" not in plan, plan


async def _problem_swelling(alex: Phone) -> str:
    await alex.say("/problem")
    await alex.say("my hamstring is swollen")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap("▫️ " + SWELLING)
    return _text(await alex.tap("Done"))


def _flags(w: World, day: dt.date) -> list[str]:
    record = w.read(
        lambda s: s.exec(
            select(MorningCheckinRecord).where(MorningCheckinRecord.local_date == day)
        ).one()
    )
    return list(record.answers.get("red_flags") or [])


async def test_a_sign_reported_with_problem_is_pre_ticked_and_still_there(
    world: Factory,
) -> None:
    w = await world()
    alex, _doctor, _id = await _at_h2(w)
    _next_morning(w)
    await alex.morning()
    assert "⛔" in await _problem_swelling(alex)
    _next_morning(w)
    asked = (await alex.say("/checkin"))[-1]
    assert REPORTED in alex.last, alex.last
    assert "☑️ " + SWELLING in str(asked.buttons), asked.buttons  # pre-ticked
    # A hurried "None of these" is refused while the sign is ticked...
    await alex.user.press("None of these ✅")
    await alex.user.expect_no_reply()
    notice = alex.user.last_callback_answer
    assert notice is not None and "You ticked: " + SWELLING in (notice.text or ""), notice
    # ...and, once unticked, asked to confirm, never taken as the truth.
    await alex.tap("☑️ " + SWELLING)
    await alex.tap("None of these ✅")
    assert GONE_ASKED in alex.last, alex.last
    said = _text(await alex.tap("No, still there"))
    assert said.count("⛔") >= 1 and "reviewed you" in said, said
    assert _flags(w, w.clock.now().date()) == ["swelling"]


async def test_a_sign_said_gone_keeps_the_stop(world: Factory) -> None:
    w = await world()
    alex, _doctor, _id = await _at_h2(w)
    _next_morning(w)
    await alex.morning()
    await _problem_swelling(alex)
    _next_morning(w)
    await alex.say("/checkin")
    await alex.tap("☑️ " + SWELLING)
    await alex.tap("None of these ✅")
    await alex.tap("Yes, all gone")
    assert "Pain at rest" in alex.last or "pain" in alex.last.lower()
    for value in ("0", "1", "1", "8", "2", "2", "2", "2"):
        await alex.tap(value)
    said = _text(await alex.say("7.5"))
    # Gone or not, running waits for the clinician's review of the sign.
    assert "✅ Train as planned today." not in said, said
    status = _text(await alex.say("/status"))
    assert status.startswith(NO_RUNNING), status


async def test_done_with_the_pre_ticked_sign_reports_it_again(world: Factory) -> None:
    w = await world()
    alex, _doctor, _id = await _at_h2(w)
    _next_morning(w)
    await alex.morning()
    await _problem_swelling(alex)
    _next_morning(w)
    await alex.say("/checkin")
    said = _text(await alex.tap("Done"))
    assert "⛔" in said, said
