"""The evening reply after a session report says what the decision is, and what comes next.

A painful session at the first stage read "✅ Session saved. Same level next time." above "Pain
1 h after the session: 4/10. We go back one stage." and "Already at the first stage: held
there.": a green tick and a step back that did not happen. The first session after moving up
that morning read "You are at Stage 3 of 8 · back to running since this morning.", which
tells nothing new. Through the sandbox, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.sandbox import SimUser
from bot.store.models import SessionReportRecord
from tests.athlete.both.test_status_and_plan_today import _linked, _text
from tests.athlete.conftest import Phone, World

WorldFactory = Callable[[], Awaitable[World]]


async def report(
    alex: Phone,
    *,
    pain: str = "0",
    pain_1h: str = "0",
    checks: dict[str, str] | None = None,
    metrics: str = "",
) -> str:
    """Report a completed session by buttons (no sharp pain, no warning sign); the stage's
    checks as ``checks`` says (a word of the question → the answer), the others not done;
    return the decision's text."""
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap(pain)
    if pain != "0":
        await alex.tap("The injured spot")
    await alex.tap("No")  # sharp pain
    await alex.tap("None of these ✅")
    await alex.tap("1")  # tightness
    await alex.tap("No")  # held back
    await alex.tap("8")  # confidence
    await alex.tap("4")  # how hard
    await alex.tap("45")  # minutes
    await alex.tap(pain_1h)
    wanted = dict(checks or {})
    while "Any numbers from today" not in alex.last:
        asked = alex.last
        word = next((k for k in wanted if k.lower() in asked.lower()), None)
        if word is None:
            await alex.tap("Not done")
        elif wanted[word] in alex.user.last_bot_message.button_labels:
            await alex.tap(wanted.pop(word))
        else:
            await alex.say(wanted.pop(word))
    if metrics:
        await alex.say(metrics)
        await alex.tap("Yes, save")
    else:
        await alex.tap("No numbers today")
    return alex.last


def _next_morning(w: World) -> None:
    w.clock.advance(dt.timedelta(days=1))


# A session held for pain ------------------------------------------------------------------


async def test_a_painful_session_at_the_first_stage_says_plainly_it_stays(
    world: WorldFactory,
) -> None:
    """Pain 4/10 an hour after the session (a red session) at the first stage: there is no
    stage to go back to, so the athlete stays, because of the pain."""
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)
    _next_morning(w)
    await alex.morning()
    said = await report(alex, pain="2", pain_1h="4")
    head = said.splitlines()[0]
    assert head == (
        "🟡 Session saved. You stay at this stage because of the pain: keep to what stays "
        "pain-free."
    ), said
    assert "✅" not in said, said
    assert "back one stage" not in said and "Already at the first stage" not in said, said
    assert said.endswith("Next: your check-in tomorrow morning, before training."), said


async def test_a_session_held_for_pain_has_no_green_tick(world: WorldFactory) -> None:
    """Pain 3/10 in the session (amber): same level next time, said without a ✅."""
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)
    _next_morning(w)
    await alex.morning()
    said = await report(alex, pain="3")
    assert said.startswith("🟡 Session saved. Same level next time."), said
    assert "Session pain 3/10" in said and "✅" not in said, said


async def test_a_good_session_keeps_its_green_tick(world: WorldFactory) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)
    _next_morning(w)
    await alex.morning()
    said = await report(alex, pain="0", checks={"walking": "0"})
    assert said.startswith("✅ Session saved. Same level next time."), said


# The first session after moving up ----------------------------------------------------------


async def _at_h1(doctor: SimUser, athlete_id: int) -> None:
    """Dr Kim moves Alex to stage 2 of 8 (H1, early strength) on Monday."""
    await doctor.send(f"/stage {athlete_id} H1 scan reviewed, start loading")
    replies = await doctor.wait_reply()
    assert any("moved to H1" in (m.text or "") for m in replies), replies


H1_CHECKS = {"walking": "0", "single-leg squat": "0", "bike": "0", "straighten the knee": "Yes"}
H2_CHECKS = {"Straight-leg raise": "85", "knee extension": "80", "walking": "0"}


async def test_the_first_session_after_moving_up_says_what_comes_next(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, doctor, athlete_id = await _linked(w)
    await _at_h1(doctor, athlete_id)
    _next_morning(w)
    await alex.morning()
    await report(alex, checks=H1_CHECKS, metrics="strength 70")
    _next_morning(w)
    morning = _text(await alex.morning())
    assert "⬆️ You move up to Stage 3 of 8 · back to running." in morning, morning
    said = await report(alex, checks=H2_CHECKS, metrics="vmax 5.5 strength 82")
    lines = said.splitlines()
    assert lines[0] == "✅ Session saved: your first at Stage 3 of 8 · back to running.", said
    assert "since this morning" not in said, said
    assert "Next fast session: in 48 h or more." in said, said
    reports = w.read(lambda s: len(s.exec(select(SessionReportRecord)).all()))
    assert reports == 2
