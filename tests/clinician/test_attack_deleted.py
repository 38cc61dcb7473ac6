"""A clinician acting on an athlete whose account is deleted (or unlinked) at that very moment,
through the real bot. Another replica's /delete is played by deleting the athlete just before
the step it would race with. The clinician is told plainly that the account has just been
deleted and nothing was done: not the generic error, not "no programme", not a refusal; an
unlink at that moment stops the decision."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlmodel import select

import bot.handlers.clinician as clinician_handlers
import bot.handlers.reports as report_handlers
from bot.store.db import session_scope
from bot.store.models import ClinicianActionRecord, Person, Programme
from bot.store.repo.data_rights import delete_athlete
from bot.store.repo.links import unlink_athlete
from tests.clinician.conftest import World, open_card
from tests.clinician.test_clinician_flow import link, make_clinician, say

WorldFactory = Callable[[], Awaitable[World]]
LEE, BEN = 2001, 3002
GONE = "Nothing was done: this athlete's account has just been deleted."
GENERIC = "Something went wrong"


def deleting_first(world: World, athlete_id: int, step: Callable[..., Any]) -> Callable[..., Any]:
    """Return ``step`` made to delete the athlete (their /delete, committed) just before."""

    def racing(*args: Any, **kwargs: Any) -> Any:
        with session_scope(world.engine) as session:
            now = world.clock.now()
            delete_athlete(session, athlete_id=athlete_id, actor_id=athlete_id, now=now)
        return step(*args, **kwargs)

    return racing


async def followed_ben(world: World) -> tuple[Any, int]:
    lee = await make_clinician(world, LEE, "Lee")
    ben = world.add_athlete(BEN, "Ben", stage="H2")
    await link(world, lee, world.sandbox.user(BEN, "Ben"))
    return lee, ben


async def answers_to_press(world: World, user: Any, label: str, message: Any) -> list[str]:
    """Press ``label`` and return what the bot said: the pop-up first, then the messages."""
    await user.press(label, message)
    await world.sandbox.wait_for(lambda: user.last_callback_answer is not None, timeout=10)
    await asyncio.sleep(0.3)  # a message may follow the answer
    answer = user.last_callback_answer
    return [answer.text or "", *(m.text or "" for m in user.messages_since_action())]


async def test_a_button_pressed_as_the_athlete_deletes_their_account(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lee presses Hold on Ben's card; Ben's /delete commits between the press's check and
    the hold. Lee read "You don't have access to that." (as if they never had): now the
    plain reason, and nothing is recorded."""
    w = await world()
    lee, ben = await followed_ben(w)
    card = await open_card(lee, "Ben")
    monkeypatch.setattr(
        clinician_handlers,
        "apply_button",
        deleting_first(w, ben, clinician_handlers.apply_button),
    )
    said = await answers_to_press(w, lee, "⏸ Hold", card)
    assert said == [GONE], said
    with session_scope(w.engine, read_only=True) as session:
        assert session.get(Person, ben) is None
        assert session.exec(select(ClinicianActionRecord)).all() == []


async def test_a_report_asked_as_the_athlete_deletes_their_account(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ben's /delete commits while Lee's report is being made: Lee read "Nothing to show
    yet: no athlete with number N." (as if data were yet to come); now the plain reason."""
    w = await world()
    lee, ben = await followed_ben(w)
    monkeypatch.setattr(
        report_handlers,
        "build_report_pdf",
        deleting_first(w, ben, report_handlers.build_report_pdf),
    )
    await lee.send(f"/report {ben}")
    replies = await lee.wait_until(lambda ms: len(ms) >= 2, timeout=20)
    assert [m.text for m in replies] == ["Preparing the report…", GONE]
    assert lee.documents == []


async def test_commands_racing_a_deletion_say_so_plainly(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    """On PostgreSQL a command's transaction can see the athlete, then find them gone: /note
    failed on the missing row ("Something went wrong on our side…") and /stepback said the
    athlete had "no programme in progress yet". Both now say the account was just deleted.
    (SQLite runs one writer at a time: the command and the deletion cannot interleave.)"""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises the writers: no interleaving to play")
    w = await world()
    lee, ben = await followed_ben(w)
    monkeypatch.setattr(
        clinician_handlers, "add_note", deleting_first(w, ben, clinician_handlers.add_note)
    )
    reply = await say(lee, f"/note {ben} phoned, feels better")
    assert reply == GONE and GENERIC not in reply

    sam = w.add_athlete(3003, "Sam", stage="H2")
    await link(w, lee, w.sandbox.user(3003, "Sam"))
    monkeypatch.setattr(
        clinician_handlers,
        "decide_by_command",
        deleting_first(w, sam, clinician_handlers.decide_by_command),
    )
    assert await say(lee, f"/stepback {sam} sore") == GONE


async def test_a_button_pressed_as_the_athlete_unlinks_changes_nothing(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ben unlinks Lee between the check of Lee's press and the step back it asks for (two
    transactions). The step back used to go through: Ben's programme moved on the word of a
    clinician he had just stopped sharing with. It is now refused, neutrally."""
    w = await world()
    lee, ben = await followed_ben(w)
    card = await open_card(lee, "Ben")
    lee_id = w.person(LEE).id  # type: ignore[union-attr]
    step = clinician_handlers.apply_button

    def unlinking_first(*args: Any, **kwargs: Any) -> Any:
        with session_scope(w.engine) as session:
            unlink_athlete(session, athlete_id=ben, clinician_id=lee_id or 0)
        return step(*args, **kwargs)

    monkeypatch.setattr(clinician_handlers, "apply_button", unlinking_first)
    said = await answers_to_press(w, lee, "↩️ Step back", card)
    assert "You don't have access to that." in said, said
    with session_scope(w.engine, read_only=True) as session:
        programme = session.exec(select(Programme).where(Programme.athlete_id == ben)).one()
        assert programme.current_stage == "H2"
        recorded = session.exec(select(ClinicianActionRecord)).all()
        assert [r.kind for r in recorded if r.note != "set up for the test"] == []


async def test_a_message_typed_after_the_athlete_left_says_nothing_was_sent(
    world: WorldFactory,
) -> None:
    """Lee presses "Message athlete" for Ben; Ben unlinks; Lee types the message. The bot's
    answer was only "I only act on commands here…": Lee could believe Ben read it. Now it
    starts with "Nothing was sent", and Ben receives nothing."""
    w = await world()
    lee, ben = await followed_ben(w)
    card = await open_card(lee, "Ben")
    await lee.press("💬 Message athlete", card)
    assert "Write your message to Ben" in (await lee.wait_reply())[0].text  # type: ignore[operator]
    with session_scope(w.engine) as session:
        unlink_athlete(session, athlete_id=ben, clinician_id=w.person(LEE).id or 0)  # type: ignore[union-attr]
    ben_user = w.sandbox.user(BEN, "Ben")
    before = len(ben_user.bot_messages)
    reply = await say(lee, "How is the leg today?")
    assert reply.startswith("Nothing was sent: "), reply
    await w.deliver()
    assert len(ben_user.bot_messages) == before
