"""Attack on what the athlete reads about questionnaires put aside, after 68ace9b (on hold:
said, kept, resumed), through the real bot and the scheduler.

1. A session report finished while today's check-in is on hold ended with "Next: your
   check-in tomorrow morning", just before the line saying today's check-in waits.
2. A questionnaire older than yesterday was cancelled without a word when the athlete typed
   something, and a check-in on hold the day before was never said to be closed: answers
   vanished silently. Each is now said once, answers kept, and never for one with no answer.
3. A move east that carries a half check-in to the new day leaves the day behind without a
   check-in: with the day before it missed too, the clinician could be told the athlete
   "missed 2 morning check-ins in a row" although they had answered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.scheduling.registry import registry_of
from bot.scheduling.tick import Scheduler, run_tick
from bot.store.db import make_engine
from bot.store.models import QuestionnaireProgress
from tests.athlete.conftest import CLINICIAN_ID, Phone, World
from tests.scheduling.helpers import next_due
from tests.store.conftest import db_url, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "pg_databases", "pg_migrated", "sqlite_template"]

Factory = Callable[[], Awaitable[World]]
BERLIN = ZoneInfo("Europe/Berlin")
AUCKLAND = ZoneInfo("Pacific/Auckland")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
CHECKIN_ON_HOLD = (
    "Your morning check-in is on hold, with the answers you gave so far. "
    "Send /checkin to finish it."
)
TOMORROW = "Next: your check-in tomorrow morning"
LEFT_UNFINISHED = "was not finished, so it did not count"


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """Override: an engine on an empty, migrated database, SQLite then PostgreSQL."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _said(replies: list[Any]) -> list[str]:
    return [m.text or "" for m in replies]


async def _half_checkin(alex: Phone) -> None:
    """Begin the check-in and answer its first three questions."""
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.tap("2")
    await alex.tap("3")


async def _report(alex: Phone) -> list[Any]:
    """The whole session report by buttons (pain an hour after: skipped)."""
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("1")
    await alex.tap("The injured spot")
    await alex.tap("No")
    await alex.tap("None of these ✅")
    for label in ("1", "No", "8", "4", "45"):
        await alex.tap(label)
    await alex.tap("Skip")
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    return await alex.tap("No numbers today")


def _checkins_begun(w: World) -> list[QuestionnaireProgress]:
    rows: list[QuestionnaireProgress] = w.read(
        lambda s: list(
            s.exec(
                select(QuestionnaireProgress)
                .where(QuestionnaireProgress.kind == "morning")
                .order_by(col(QuestionnaireProgress.id))
            )
        )
    )
    return rows


def _closed_lines(alex: Phone) -> list[str]:
    return [m.text or "" for m in alex.user.bot_messages if LEFT_UNFINISHED in (m.text or "")]


# --- 1. the session result next to a check-in on hold ----------------------------------------


async def test_a_session_result_says_no_tomorrow_while_todays_check_in_is_on_hold(
    world: Factory,
) -> None:
    """Half the check-in, then /done and the whole report: the result is followed by the
    check-in on hold, and says nothing of a check-in "tomorrow"; the day after, with the
    check-in done, the result says "tomorrow" as before."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    w.clock.set(dt.datetime(2026, 3, 3, 18, 0, tzinfo=BERLIN))
    replies = await _report(alex)
    said = _said(replies)
    assert CHECKIN_ON_HOLD in said[-1], said
    assert not any("tomorrow" in t for t in said), said

    w.clock.set(dt.datetime(2026, 3, 4, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 4, 18, 0, tzinfo=BERLIN))
    said = _said(await _report(alex))
    assert any(TOMORROW in t for t in said), said
    assert not any(CHECKIN_ON_HOLD in t for t in said), said


# --- 2. nothing closed without a word ----------------------------------------------------------


async def test_a_check_in_older_than_yesterday_is_said_closed_when_the_athlete_types(
    world: Factory,
) -> None:
    """Half a check-in on Tuesday, nothing on Wednesday, words typed on Thursday: the
    check-in is said to be closed, answers kept (they are), and said once."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    w.clock.set(dt.datetime(2026, 3, 5, 12, 0, tzinfo=BERLIN))
    said = _said(await alex.say("my hamstring feels a bit tight today"))
    closed = [t for t in said if LEFT_UNFINISHED in t]
    assert len(closed) == 1, said
    assert "morning check-in of Tuesday 3 March" in closed[0], said
    assert "Your answers are saved" in closed[0], said
    (begun,) = _checkins_begun(w)
    assert begun.status == "cancelled" and begun.answers.get("pain_test") == 3  # kept
    said = _said(await alex.say("/checkin"))  # said once
    assert not any(LEFT_UNFINISHED in t for t in said), said
    assert len(_closed_lines(alex)) == 1


async def test_a_check_in_on_hold_yesterday_is_said_closed_once(world: Factory) -> None:
    """Half the check-in, put on hold by /settings, not finished that day: the next
    morning's check-in says it was closed, answers kept; the day after, nothing more."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    assert any(CHECKIN_ON_HOLD in t for t in _said(await alex.say("/settings")))
    await alex.say("/cancel")

    w.clock.set(dt.datetime(2026, 3, 4, 8, 0, tzinfo=BERLIN))
    replies = await alex.say("/checkin")
    said = _said(replies)
    closed = [t for t in said if LEFT_UNFINISHED in t]
    assert len(closed) == 1, said
    assert "morning check-in of Tuesday 3 March" in closed[0], said
    assert "None of these ✅" in replies[-1].button_labels  # Wednesday's, from the start
    first = _checkins_begun(w)[0]
    assert first.local_date == dt.date(2026, 3, 3) and first.answers.get("pain_rest") == 2
    await alex.tap("None of these ✅")
    await alex.say("/cancel")
    await alex.say("/checkin")  # Wednesday's carries on: Tuesday's is not said again
    await alex.say("/help")
    await alex.say("/problem")
    w.clock.set(dt.datetime(2026, 3, 5, 8, 0, tzinfo=BERLIN))
    await alex.say("/checkin")
    assert len(_closed_lines(alex)) == 1, alex.user.format_transcript()


async def test_last_nights_report_after_midnight_is_not_said_closed_while_done_finishes_it(
    world: Factory,
) -> None:
    """Checked in Tuesday, half the session report at 23:30, put aside by /settings; at
    00:30 /problem: last night's report is not "closed" (before the check-in time /done still
    reports on Tuesday), and /done carries on with it, answers kept."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 3, 23, 30, tzinfo=BERLIN))
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("1")
    await alex.say("/settings")
    await alex.say("/cancel")

    w.clock.set(dt.datetime(2026, 3, 4, 0, 30, tzinfo=BERLIN))
    said = _said(await alex.say("/problem"))
    assert not any(LEFT_UNFINISHED in t for t in said), said
    await alex.say("/cancel")
    resumed = " ".join(_said(await alex.say("/done")))
    assert "I kept the answers you gave" in resumed, resumed
    assert "3 March 2026" in resumed, resumed  # it still counts for Tuesday
    assert _closed_lines(alex) == []


async def test_a_note_left_unsent_is_said_once_the_next_day_and_a_sent_one_never(
    world: Factory,
) -> None:
    """/problem, a note typed, then /checkin (the note on hold), and the day ends: the next
    day's check-in says the note was never sent and how to send it; said once. A note sent
    with "Tell my clinician" is never mentioned again."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/problem")
    await alex.say("My calf has felt odd since the bus ride")
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 4, 8, 0, tzinfo=BERLIN))
    said = _said(await alex.say("/checkin"))
    unsent = [t for t in said if "was not finished. Send /problem" in t]
    assert len(unsent) == 1 and "Tuesday 3 March" in unsent[0], said
    await alex.say("/settings")
    await alex.say("/cancel")
    w.clock.set(dt.datetime(2026, 3, 5, 8, 0, tzinfo=BERLIN))
    await alex.say("/problem")
    await alex.say("Still a bit odd today")
    await alex.tap("💬 Tell my clinician")
    w.clock.set(dt.datetime(2026, 3, 6, 8, 0, tzinfo=BERLIN))
    said = _said(await alex.say("/checkin"))
    assert not any("What you started telling me" in t for t in said), said
    notes = [
        m.text or "" for m in alex.user.bot_messages if "What you started telling" in (m.text or "")
    ]
    assert len(notes) == 1, alex.user.format_transcript()


async def test_last_nights_report_on_hold_is_finished_by_done_until_the_check_in_time(
    world: Factory,
) -> None:
    """Half the report at 23:30, put on hold by /problem ("Send /done to finish it"); /done
    at 07:00, before the 07:30 check-in: it carries on with last night's report instead of
    closing it, and says nothing of a check-in "tomorrow"."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 3, 23, 30, tzinfo=BERLIN))
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("1")
    said = _said(await alex.say("/problem"))
    assert any("Send /done to finish it" in t for t in said), said
    await alex.say("/cancel")

    w.clock.set(dt.datetime(2026, 3, 4, 7, 0, tzinfo=BERLIN))
    said = _said(await alex.say("/done"))
    text = " ".join(said)
    assert "I kept the answers you gave" in text and "3 March 2026" in text, said
    assert LEFT_UNFINISHED not in text and "tomorrow" not in text, said


async def test_a_report_closed_after_a_night_problem_is_still_said_closed(
    world: Factory,
) -> None:
    """Half the report at 23:30, /problem at 00:30 (a questionnaire of the new day), then
    nothing until the next morning's prompt closes the report: it is said, once."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 3, 23, 30, tzinfo=BERLIN))
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("1")
    w.clock.set(dt.datetime(2026, 3, 4, 0, 30, tzinfo=BERLIN))
    await alex.say("/problem")
    await alex.say("/cancel")
    w.clock.set(dt.datetime(2026, 3, 4, 8, 0, tzinfo=BERLIN))
    said = _said(await alex.say("/checkin"))
    closed = [t for t in said if "session report of Tuesday 3 March" in t]
    assert len(closed) == 1 and LEFT_UNFINISHED in closed[0], said
    await alex.say("/settings")
    await alex.say("/cancel")
    await alex.say("/checkin")
    assert len(_closed_lines(alex)) == 1


async def test_done_in_the_morning_without_a_check_in_says_no_tomorrow(world: Factory) -> None:
    """/done at 07:35 with the morning prompt unanswered: no "check in tomorrow"."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 4, 7, 35, tzinfo=BERLIN))
    said = " ".join(_said(await alex.say("/done")))
    assert "I have no check-in from you today yet" in said, said
    assert "tomorrow" not in said and "/checkin" in said, said


async def test_a_check_in_with_no_answer_is_closed_without_a_word(world: Factory) -> None:
    """/checkin opened and left, then words typed two days later: nothing to say about it."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/checkin")
    w.clock.set(dt.datetime(2026, 3, 5, 12, 0, tzinfo=BERLIN))
    await alex.say("my hamstring feels a bit tight today")
    await alex.say("/checkin")
    assert _closed_lines(alex) == [], alex.user.format_transcript()


# --- 3. a move east with the check-in carried: no false "missed" -------------------------------


async def _live(w: World, until: dt.datetime) -> None:
    """Run the scheduler as production does up to ``until``."""
    scheduler = Scheduler(
        engine=w.engine, clock=w.clock, senders=registry_of(w.running.application.bot_data)
    )
    while True:
        await run_tick(scheduler)
        await w.deliver()
        due = next_due(w.engine)
        if due is None or due > until:
            break
        w.clock.set(max(due, w.clock.now()))
    w.clock.set(until)
    await run_tick(scheduler)
    await w.deliver()


async def _onboard_in_los_angeles(w: World) -> Phone:
    """Alex sets up on Sunday 1 March in Los Angeles, linked to Dr Kim, check-in at 07:30."""
    w.clock.set(dt.datetime(2026, 3, 1, 12, 0, tzinfo=LOS_ANGELES))
    code = w.clinician_invite("Dr Kim")
    alex = w.phone(1001, "Alex")
    await alex.say(f"/start {code}")
    for label in ("I agree", "I agree", "Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await alex.tap(label)
    for label in ("Sprinting / running fast", "Rugby", "Skip", "Americas", "Los Angeles"):
        await alex.tap(label)
    await alex.tap("07:30")
    assert "All set" in "\n".join(_said(await alex.tap("✅ Confirm")))
    return alex


async def test_the_day_left_behind_by_a_carried_check_in_is_not_a_missed_one(
    world: Factory,
) -> None:
    """Monday missed in Los Angeles; Tuesday's check-in half answered there, then Auckland,
    where it is Wednesday: the answers count for Wednesday. Tuesday was answered, so Dr Kim
    is not told of "2 check-ins missed in a row"; a real second miss still is."""
    w = await world()
    alex = await _onboard_in_los_angeles(w)
    kim = w.sandbox.user(CLINICIAN_ID, "Kim")
    await _live(w, dt.datetime(2026, 3, 3, 10, 0, tzinfo=LOS_ANGELES))  # Monday: no check-in
    await _half_checkin(alex)
    w.clock.set(dt.datetime(2026, 3, 4, 7, 30, tzinfo=AUCKLAND))
    await alex.say("/timezone")
    said = _said(await alex.say("Auckland"))
    assert any("counts for today" in t for t in said), said
    for label in ("1", "8", "2", "2", "2", "2", "7.5"):
        await alex.tap(label)

    await _live(w, dt.datetime(2026, 3, 6, 12, 0, tzinfo=AUCKLAND))
    missed = [m.text or "" for m in kim.bot_messages if "missed" in (m.text or "")]
    assert missed == [], missed
    # Thursday and Friday left unanswered in Auckland: a real streak is still reported.
    await _live(w, dt.datetime(2026, 3, 7, 12, 0, tzinfo=AUCKLAND))
    missed = [m.text or "" for m in kim.bot_messages if "missed" in (m.text or "")]
    assert len(missed) == 1 and "missed 2 morning check-ins in a row" in missed[0], missed
