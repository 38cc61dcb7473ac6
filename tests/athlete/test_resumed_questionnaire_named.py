"""A check-in or session report carrying on with the answers kept names which one carries on,
in one sentence right above its question (not the generic "I kept the answers you gave"):
through the real bot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from tests.athlete.conftest import World

Factory = Callable[[], Awaitable[World]]
BERLIN = ZoneInfo("Europe/Berlin")
CHECKIN_RESUMED = (
    "I kept the answers you gave before you stopped, so your morning check-in carries on from here."
)
REPORT_RESUMED = (
    "I kept the answers you gave before you stopped, so your session report carries on from here."
)


async def test_a_check_in_carried_on_after_cancel_is_named(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.tap("2")
    await alex.say("/cancel")
    replies = await alex.say("/checkin")
    question = replies[-1].text or ""
    assert question.startswith(CHECKIN_RESUMED + "\n\n"), question
    assert "session report" not in question, question


async def test_a_session_report_carried_on_after_the_check_in_is_named(world: Factory) -> None:
    """The report put on hold by the check-in, then /done: it says the session report
    carries on, not just that answers were kept."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 18, 0, tzinfo=BERLIN))
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("1")
    said = [m.text or "" for m in await alex.say("/checkin")]
    assert any("session report is on hold" in t for t in said), said
    replies = await alex.say("/done")
    question = replies[-1].text or ""
    assert REPORT_RESUMED in question, question
    assert "morning check-in" not in question.split("\n\n")[-1], question
