"""The Monday digest counts a step back the clinician made, and says the clinician made it.

Dr Kim moves Alex back a stage (/stepback, or /stage to an earlier stage). The engine counts
that step back as the day's decision only once it decides the day again (Alex's next
check-in), so a change on a day it has not decided since (Sunday evening, or Alex silent
afterwards) was missing from the digest; one it had decided was counted as if the engine had
stepped Alex back. Through the real Application and the Bot API sandbox, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from bot.sandbox import SimUser
from bot.services.digest import run_digest
from tests.athlete.both.test_status_and_plan_today import _linked, _move_to_h2
from tests.athlete.conftest import Phone, World

WorldFactory = Callable[[], Awaitable[World]]
H2_TO_H1 = "from H2 · Return to running, jog → ~65 % Vmax to H1 · Early loading"
# Monday 9 March 2026, 08:05 UTC: Dr Kim's digest of the week 2–8 March is due.
DIGEST_TIME = dt.datetime(2026, 3, 9, 8, 5, tzinfo=dt.UTC)


async def _mornings(w: World, alex: Phone, days: range) -> None:
    """Alex checks in at 07:40 Berlin time on each day of March in ``days``."""
    for day in days:
        w.clock.set(dt.datetime(2026, 3, day, 6, 40, tzinfo=dt.UTC))
        await alex.morning()


async def _digest(w: World, doctor: SimUser) -> str:
    w.clock.set(DIGEST_TIME)
    before = len(doctor.bot_messages)
    await run_digest(w.running.application.bot, w.engine, w.clock)
    [digest] = [
        m.text or ""
        for m in doctor.bot_messages[before:]
        if (m.text or "").startswith("Weekly digest")
    ]
    return digest


async def _decide(doctor: SimUser, command: str) -> str:
    """Dr Kim sends ``command``, confirming it when asked; returns the last reply."""
    await doctor.send(command)
    replies = await doctor.wait_reply()
    if any("✅ Change the stage" in row for m in replies for row in m.buttons):
        await doctor.press("✅ Change the stage")
        replies = await doctor.wait_reply()
    return replies[-1].text or ""


async def test_a_stage_set_back_on_sunday_evening_is_counted_as_the_clinicians(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, doctor, athlete_id = await _linked(w)  # Monday 2 March, Berlin
    await _move_to_h2(doctor, athlete_id)
    await _mornings(w, alex, range(3, 9))  # Tuesday to Sunday
    w.clock.set(dt.datetime(2026, 3, 8, 18, 0, tzinfo=dt.UTC))  # Sunday 19:00 in Berlin
    said = await _decide(doctor, f"/stage {athlete_id} H1 sore after the strides")
    assert "H1 · Early loading" in said, said

    digest = await _digest(w, doctor)

    # Alex has not checked in since (the engine has not decided Sunday again): counted all
    # the same, as Dr Kim's, and the athlete needs attention.
    assert "1 step back (by the clinician)" in digest, digest
    assert H2_TO_H1 in digest, digest
    assert "🟠 REVIEW · Alex" in digest, digest


async def test_a_step_back_the_engine_decided_again_is_counted_once_as_the_clinicians(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, doctor, athlete_id = await _linked(w)
    await _move_to_h2(doctor, athlete_id)
    await _mornings(w, alex, range(3, 6))  # Tuesday to Thursday
    w.clock.set(dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC))  # Thursday 13:00 in Berlin
    said = await _decide(doctor, f"/stepback {athlete_id} tight after the sprints")
    assert "H1 · Early loading" in said, said
    # Friday's check-in decides Thursday again: the engine records Dr Kim's step back as
    # Thursday's decision.
    await _mornings(w, alex, range(6, 9))

    digest = await _digest(w, doctor)

    assert "1 step back (by the clinician)" in digest, digest
    assert "2 step backs" not in digest, digest
    assert H2_TO_H1 in digest, digest
