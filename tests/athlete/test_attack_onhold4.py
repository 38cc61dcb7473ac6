"""Attack on the questionnaire notices read as a tired athlete, after d9b04e5, through the real
bot (and the scheduler), on SQLite and PostgreSQL.

1. A sentence typed days after a /problem screen was left open ("Tell my clinician" / "All
   fine", or the warning-sign check) was answered "Please answer with one of the buttons
   below", the words dropped. A /problem of an earlier day is over, as a note on hold is when
   its day ends: the words start a new note, and the old one is said once.
2. /problem carrying on with a note on hold said "I kept the answers you gave before you
   stopped" right after the check-in's on-hold line, as if the check-in carried on: it now
   quotes the note (shortened when long).
3. The note on hold said it "has not been sent to anyone" to an athlete with nobody to send
   it to.
4. /timezone carrying a half check-in said its day and "answers kept" twice, and put what
   else waits after the question: each is said once, and the question comes last.
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
from bot.store.models import Outbox, QuestionnaireProgress
from tests.athlete.conftest import CLINICIAN_ID, Phone, World
from tests.scheduling.helpers import next_due
from tests.store.conftest import db_url, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "pg_databases", "pg_migrated", "sqlite_template"]

Factory = Callable[[], Awaitable[World]]
BERLIN = ZoneInfo("Europe/Berlin")
AUCKLAND = ZoneInfo("Pacific/Auckland")
USE_BUTTONS = "Please answer with one of the buttons below"
TUESDAY_NOTE = "My calf has felt odd since the bus ride"
THURSDAY_NOTE = "My hamstring went tight again during the warm-up today"
CLOSED_NOTE = "What you started telling me on Tuesday 3 March was not finished"
CHECKIN_ON_HOLD = "Your morning check-in is on hold"
RESUMED = "I kept the answers you gave before you stopped"
TIGHTNESS = "(4/10) Tightness or stiffness"


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """Override: an engine on an empty, migrated database, SQLite then PostgreSQL."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _said(replies: list[Any]) -> list[str]:
    return [m.text or "" for m in replies]


def _problems(w: World) -> list[QuestionnaireProgress]:
    rows: list[QuestionnaireProgress] = w.read(
        lambda s: list(
            s.exec(
                select(QuestionnaireProgress)
                .where(QuestionnaireProgress.kind == "problem")
                .order_by(col(QuestionnaireProgress.id))
            )
        )
    )
    return rows


def _notes_to_clinician(w: World) -> list[str]:
    rows: list[Outbox] = w.read(
        lambda s: list(
            s.exec(
                select(Outbox).where(Outbox.chat_id == CLINICIAN_ID, Outbox.kind == "athlete_note")
            )
        )
    )
    return [r.text for r in rows]


async def _half_checkin(alex: Phone) -> None:
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.tap("2")
    await alex.tap("3")


# --- 1. words typed days after a /problem screen was left open ---------------------------------


@pytest.mark.parametrize("screen", ["offer", "warning signs"])
async def test_words_typed_days_after_an_open_problem_start_a_new_note(
    world: Factory, screen: str
) -> None:
    """/problem on Tuesday, the note typed, the offer (or the warning-sign check) left open;
    on Thursday a sentence about the leg: never "use the buttons". It starts a new note with
    its own offer, Tuesday's is said once to be unfinished (kept), and "Tell my clinician"
    sends Thursday's words."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/problem")
    await alex.say(TUESDAY_NOTE)
    if screen == "warning signs":
        await alex.tap("🚩 Check for warning signs")

    w.clock.set(dt.datetime(2026, 3, 5, 12, 0, tzinfo=BERLIN))
    replies = await alex.say(THURSDAY_NOTE)
    said = _said(replies)
    assert not any(USE_BUTTONS in t for t in said), said
    assert "💬 Tell my clinician" in replies[-1].button_labels, said
    tuesday, thursday = _problems(w)
    assert tuesday.status == "cancelled" and tuesday.answers.get("note") == TUESDAY_NOTE
    assert thursday.status == "open" and thursday.answers.get("note") == THURSDAY_NOTE
    if screen == "offer":  # a note no choice was made on: said, once, with no "send /problem"
        closed = [t for t in said if CLOSED_NOTE in t]
        assert len(closed) == 1 and "This is a new note." in closed[0], said
        assert "/problem" not in closed[0], said

    replies = await alex.tap("💬 Tell my clinician")
    assert "Sent to Dr Kim" in (replies[-1].text or ""), _said(replies)
    sent = _notes_to_clinician(w)
    assert len(sent) == 1 and THURSDAY_NOTE in sent[0] and TUESDAY_NOTE not in sent[0], sent
    said = _said(await alex.say("/checkin"))  # said once only
    assert not any(CLOSED_NOTE in t for t in said), said


async def test_words_typed_the_same_day_still_answer_the_open_problem(world: Factory) -> None:
    """The note typed on /problem the same day is the answer, as before: one note."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/problem")
    replies = await alex.say(TUESDAY_NOTE)
    assert "💬 Tell my clinician" in replies[-1].button_labels
    (only,) = _problems(w)
    assert only.status == "open" and only.answers.get("note") == TUESDAY_NOTE


# --- 2. /problem carrying on with a note on hold shows the note ---------------------------------


async def test_problem_resumed_quotes_the_note_kept_after_what_else_waits(world: Factory) -> None:
    """Half the check-in, /problem and a long note, /checkin (the note on hold), /problem
    again: the check-in's on-hold line, then the note quoted (shortened), then the offer;
    never the generic "I kept the answers" there. The clinician gets the whole note."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    long_note = "My calf has felt odd since the bus ride " + "and it aches when I walk " * 12
    await _half_checkin(alex)
    await alex.say("/problem")
    await alex.say(long_note)
    await alex.say("/checkin")

    replies = await alex.say("/problem")
    question = replies[-1].text or ""
    assert "💬 Tell my clinician" in replies[-1].button_labels, _said(replies)
    assert RESUMED not in question, question
    assert "What you wrote so far: “My calf has felt odd since the bus ride" in question, question
    assert "…”" in question and long_note.strip() not in question, question
    assert question.index(CHECKIN_ON_HOLD) < question.index("What you wrote so far"), question

    await alex.tap("💬 Tell my clinician")
    sent = _notes_to_clinician(w)
    assert len(sent) == 1 and "aches when I walk and it aches when I walk" in sent[0], sent
    assert sent[0].count("aches when I walk") == 12, sent


# --- 3. a note on hold for an athlete with no clinician ------------------------------------------


async def test_a_note_on_hold_without_a_clinician_promises_no_sending(world: Factory) -> None:
    """No clinician linked: the note on hold says it was not finished and how to carry on,
    not that it "has not been sent to anyone"."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/problem")
    await alex.say(TUESDAY_NOTE)
    said = _said(await alex.say("/checkin"))
    assert any(
        "You started telling me what is wrong but did not finish. Send /problem to carry on." in t
        for t in said
    ), said
    assert not any("sent to anyone" in t for t in said), said


# --- 4. /timezone carrying a half check-in -------------------------------------------------------


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


async def _onboard_in_auckland(w: World) -> Phone:
    alex = w.phone(1001, "Alex")
    await alex.say("/start")
    for label in ("I agree", "Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await alex.tap(label)
    for label in ("Sprinting / running fast", "Rugby", "Skip", "Oceania", "Auckland", "07:30"):
        await alex.tap(label)
    assert "All set" in "\n".join(_said(await alex.tap("✅ Confirm")))
    return alex


async def test_a_carried_check_in_says_its_day_and_kept_answers_once_and_is_asked_last(
    world: Factory,
) -> None:
    """Auckland: checked in Tuesday, half Tuesday's session report at 21:00, half
    Wednesday's check-in at 07:35; then Los Angeles, still Tuesday there (checked in): the
    check-in carries on for Wednesday. Its day and the answers kept are each said once,
    Tuesday's report, already said closed, is not offered again, and the question comes last."""
    w = await world()
    alex = await _onboard_in_auckland(w)
    await _live(w, dt.datetime(2026, 3, 3, 7, 35, tzinfo=AUCKLAND))
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 3, 21, 0, tzinfo=AUCKLAND))
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("1")
    await _live(w, dt.datetime(2026, 3, 4, 7, 35, tzinfo=AUCKLAND))
    await _half_checkin(alex)
    await alex.say("/timezone")

    replies = await alex.say("Los Angeles")
    said = _said(replies)
    everything = "\n".join(said)
    assert TIGHTNESS in said[-1] and RESUMED in said[-1], said  # the question, last
    assert "1" in replies[-1].button_labels, said
    assert everything.count("Wednesday 4 March") == 1, said
    assert everything.count("kept") == 1, said
    # Tuesday's report was said "did not count" at the 07:35 prompt: Tuesday coming back
    # does not put it on hold again.
    assert "Your session report is on hold" not in everything, said
