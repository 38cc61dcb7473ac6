"""A warning sign recorded when another questionnaire closes the one that showed it is said
at once, before anything else: the athlete reads the stop, and what to do, first.

Alex ticks "Felt a pop" on the /problem screen and, without pressing Done, sends /checkin a
few minutes later. Opening the check-in closes the /problem screen and records the pop
(running stops, the clinician is alerted), but Alex was told nothing: the check-in opened
with its first question, the pop not ticked, and the stop came only once the check-in was
finished, possibly much later. The same for /done opening the session report, and for the
scheduled morning prompt opening the check-in. Through the sandbox, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from bot.sandbox import TranscriptMessage
from tests.athlete.both.test_pain_followup import tick_and_deliver
from tests.athlete.both.test_status_and_plan_today import _linked
from tests.athlete.conftest import Phone, World

WorldFactory = Callable[[], Awaitable[World]]
POP = "▫️ Felt a pop or sudden sharp pain"
FIRST_CHECKIN_QUESTION = "Since yesterday, have you had any of these?"
UNFINISHED = "This comes from your unfinished warning-sign check"


def _texts(replies: list[TranscriptMessage]) -> list[str]:
    return [m.text or "" for m in replies]


def _index(texts: list[str], *parts: str) -> int:
    """The index of the first message holding every one of ``parts`` (-1: none)."""
    return next((i for i, t in enumerate(texts) if all(p in t for p in parts)), -1)


async def _pop_ticked_not_confirmed(w: World, alex: Phone) -> None:
    """Alex opens /problem, ticks the pop, and walks away without pressing Done."""
    await alex.say("/problem")
    await alex.say("felt something go in the back of my thigh")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap(POP)
    w.clock.advance(dt.timedelta(minutes=5))


async def test_checkin_opened_over_a_ticked_pop_says_the_stop_first(world: WorldFactory) -> None:
    w = await world()
    alex, doctor, _athlete_id = await _linked(w)
    await _pop_ticked_not_confirmed(w, alex)

    said = _texts(await alex.say("/checkin"))

    stop = _index(said, "⛔", "Stop training")
    question = _index(said, FIRST_CHECKIN_QUESTION)
    # The stop is the first thing read, the check-in's question (answers are never lost)
    # only after it.
    assert stop == 0, said
    assert question > stop, said
    # Why a stop arrives when a check-in was asked for: the unfinished screen's answer.
    assert UNFINISHED in said[stop], said
    # The clinician is told of the pop (queued with the reply, which kicks the sender).
    await w.deliver()
    assert any("pop" in (m.text or "").lower() for m in doctor.bot_messages), [
        m.text for m in doctor.bot_messages
    ]


async def test_done_opened_over_a_ticked_pop_says_the_stop_first(world: WorldFactory) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)
    await alex.morning()
    await _pop_ticked_not_confirmed(w, alex)

    said = _texts(await alex.say("/done"))

    stop = _index(said, "⛔", "Stop training")
    assert stop == 0, said
    assert UNFINISHED in said[stop], said


async def test_morning_prompt_opened_over_a_ticked_pop_says_the_stop_first(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)  # Monday 08:00 in Berlin, check-in at 07:30
    w.clock.set(dt.datetime(2026, 3, 3, 5, 50, tzinfo=dt.UTC))  # Tuesday 06:50 in Berlin
    await _pop_ticked_not_confirmed(w, alex)
    w.clock.set(dt.datetime(2026, 3, 3, 6, 31, tzinfo=dt.UTC))  # the morning prompt is due

    said = _texts(await tick_and_deliver(w, alex))

    stop = _index(said, "⛔", "Stop training")
    question = _index(said, FIRST_CHECKIN_QUESTION)
    assert stop == 0 and question > stop, said
    assert UNFINISHED in said[stop], said
