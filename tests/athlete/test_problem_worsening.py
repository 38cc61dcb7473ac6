"""A worsening injury typed in free text is never played down (review finding: "swelling is
getting bigger and it is purple now", typed while a red flag was open, was answered "I can't
judge pain from a message" and "They see it when they next open Sprintback", and the
clinician got the bare note).

The athlete is told first to check for warning signs, and what not to wait with (spreading
swelling, numbness, a hot or swollen calf: call the clinician or go to urgent care; chest pain
or breathlessness: the emergency number where they are); the clinician reads the note with the
athlete's standing (running stopped, the alert not acknowledged and when it came), that
Sprintback does not judge the words, and where to reply. Nothing is read into the note itself.
Through the sandbox (the real Application over HTTP), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator

import pytest
from sqlalchemy import Engine

from bot.services.athlete.notes import NoteContext, note_context, note_messages
from bot.services.texts import PROBLEM_SENT, PROBLEM_SENT_TO_YOUR_CLINICIAN
from bot.store.db import make_engine, session_scope
from bot.store.models import Person
from bot.support.i18n import _, use_language
from bot.support.limits import TEXT_LIMIT, utf16_len
from tests.athlete.conftest import CLINICIAN_ID, Phone, World
from tests.store.conftest import db_url, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "pg_databases", "pg_migrated", "sqlite_template"]

Factory = Callable[[], Awaitable[World]]
SWELLING = "▫️ New swelling at the injury"
NOTE = "swelling is getting bigger and it is purple now"
# What the athlete must not wait with, and whom to call (Berlin: 112).
WORSE_FAST = (
    "Getting worse fast (swelling spreading, numbness, a hot or swollen calf)? Don't wait for "
    "a reply: call {who} now or go to urgent care. Chest pain or breathlessness: call 112 now."
)


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """Override: an engine on an empty, migrated database, SQLite then PostgreSQL."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


async def _sam_with_an_open_red_flag(w: World) -> Phone:
    """Sam, linked to Dr Lee, reported new swelling this morning (running stopped, the alert
    not acknowledged); two hours later he writes."""
    w.sandbox.user(CLINICIAN_ID, "Lee")
    sam = w.phone(1001, "Sam")
    await sam.onboard(code=w.clinician_invite("Dr Lee"))
    w.clock.advance(dt.timedelta(days=1))
    await sam.say("/checkin")
    await sam.tap(SWELLING)
    replies = await sam.tap("Done")
    assert (replies[-1].text or "").startswith("⛔ No training until your clinician has reviewed")
    await w.deliver()
    w.clock.advance(dt.timedelta(hours=2))
    return sam


def _lee_reads(w: World) -> list[str]:
    return [m.text or "" for m in w.sandbox.user(CLINICIAN_ID, "Lee").bot_messages]


def _standing_lines(number: int) -> list[str]:
    return [
        "⛔ Running is stopped until you review Sam.",
        "🚩 1 alert not acknowledged yet:",
        "Sprintback does not read or judge what athletes write: this message is passed on as "
        "written and raises no alert by itself.",
        f"To reply or act: /athlete {number} opens the card (💬 Message athlete).",
    ]


async def test_the_note_carries_the_athletes_standing(world: Factory) -> None:
    """What notes.py composes for the clinician, read from the store the bot wrote."""
    w = await world()
    await _sam_with_an_open_red_flag(w)
    with session_scope(w.engine, read_only=True) as session:
        sam = session.get(Person, w.person(1001).id)  # type: ignore[union-attr]
        assert sam is not None and sam.id is not None
        [text] = note_messages("Sam", NOTE, note_context(session, sam, w.clock.now()))
    assert text.startswith(f"💬 Sam wrote to you through Sprintback:\n\n{NOTE}\n\n"), text
    for line in _standing_lines(sam.id):
        assert f"\n{line}" in text, text
    # The alert, how urgent and when it came, in words.
    assert "\n  • 🟠 Within 24 h · 2 hours ago: " in text and "swelling" in text.split(NOTE)[1], (
        text
    )
    assert "redflag" not in text and "same_day" not in text


async def test_a_worsening_note_reaches_the_clinician_with_context(world: Factory) -> None:
    w = await world()
    sam = await _sam_with_an_open_red_flag(w)
    await sam.say(NOTE)
    await sam.tap("💬 Tell my clinician")
    await w.deliver()
    [told] = [t for t in _lee_reads(w) if "wrote to you through Sprintback" in t]
    number = w.person(1001).id  # type: ignore[union-attr]
    assert told.startswith(f"💬 Sam wrote to you through Sprintback:\n\n{NOTE}\n\n"), told
    for line in _standing_lines(number or 0):
        assert f"\n{line}" in told, told
    assert "\n  • 🟠 Within 24 h · 2 hours ago: " in told, told


async def test_the_athlete_is_told_what_not_to_wait_with_and_checked_first(
    world: Factory,
) -> None:
    w = await world()
    sam = await _sam_with_an_open_red_flag(w)
    offer = (await sam.say(NOTE))[-1]
    text = offer.text or ""
    # The warning-sign check first (in words and as the first button), then what not to wait
    # with; never "I can't judge pain from a message" as the opening.
    assert text.startswith("First, check your leg for warning signs now (🚩 below)"), text
    assert WORSE_FAST.format(who="your clinician") in text, text
    assert offer.button_labels[0] == "🚩 Check for warning signs"

    replies = await sam.tap("💬 Tell my clinician")
    said = "\n".join(m.text or "" for m in replies)
    assert "Sent to Dr Lee. They read it when they next open Sprintback" in said, said
    assert WORSE_FAST.format(who="Dr Lee") in said, said
    assert "if it is urgent, call them" not in said
    await w.deliver()
    read = _lee_reads(w)
    assert sum("wrote to you through Sprintback" in t for t in read) == 1, read


def test_a_long_note_keeps_every_word_and_its_context_within_the_limit() -> None:
    """A note as long as Telegram allows: every part within the limit and headed with the
    athlete's name, the note whole and in order, the standing once, after it."""
    now = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
    context = NoteContext(athlete_id=7, now=now, stopped=True)
    note = " ".join(f"word{n}" for n in range(700))[:4080] + " THE END"
    parts = note_messages("Sam", note, context)
    assert len(parts) == 2, [utf16_len(p) for p in parts]
    assert all(utf16_len(p) <= TEXT_LIMIT for p in parts)
    assert parts[0].startswith("💬 Sam wrote to you through Sprintback:\n\n")
    assert parts[1].startswith("(Sam, continued 2/2)\n\n")
    joined = "\n".join(parts)
    assert joined.count("⛔ Running is stopped until you review Sam.") == 1
    assert joined.index("THE END") < joined.index("⛔ Running is stopped")
    assert "/athlete 7" in parts[-1] and "No open alerts." in parts[-1]
    body = "".join(p.split("\n\n", 1)[1] for p in parts).split("\n\n⛔")[0]
    assert "".join(body.split()) == "".join(note.split())


def test_a_note_without_context_reads_as_before() -> None:
    """No standing given (the note of a caller that has none): the note alone, as before."""
    assert note_messages("Sam", "sore today") == [
        "💬 Sam wrote to you through Sprintback:\n\nsore today"
    ]


async def test_a_note_to_a_clinician_without_a_name_is_confirmed_in_the_languages_grammar(
    world: Factory,
) -> None:
    """A clinician without a display name: "Sent to your clinician" has its own sentence
    (German read "An dein Behandler geschickt" when the words were put where a name goes)."""
    w = await world()
    w.sandbox.user(CLINICIAN_ID, "Lee")
    sam = w.phone(1001, "Sam")
    await sam.onboard(code=w.clinician_invite(""))
    with session_scope(w.engine) as session:
        person = session.get(Person, w.person(1001).id)  # type: ignore[union-attr]
        assert person is not None
        person.language, person.language_chosen = "de", True
        session.add(person)
    w.clock.advance(dt.timedelta(days=1))
    await sam.say(NOTE)
    with use_language("de"):
        tell = _("💬 Tell my clinician")
        sent = str(PROBLEM_SENT_TO_YOUR_CLINICIAN)
        wrong = str(PROBLEM_SENT).format(clinician=_("your clinician"))
    said = "\n".join(m.text or "" for m in await sam.tap(tell))
    assert sent in said, said
    assert wrong not in said, said
