"""What an athlete reads when their clinician acts on a stage that cannot be named.

Version 2 of the club's protocol drops H8 while Anna is on it. Dr Lee pauses and resumes her
programme: the athlete's notice read "Dr Lee resumed your programme at a stage no longer in
the protocol" (the clinician's phrase), in German "… hat dein Programm auf eine nicht mehr im
Protokoll enthaltene Stufe fortgesetzt" (the wrong case after "auf"). It now reads "at your
current stage", a sentence of its own in every language. Through the sandbox (the real
Application over HTTP).

The German sentence is a new text: until the lead compiles the catalogues it reads in
English, which the German test accepts as long as the wrong case is gone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.delivery.sender import OutboxSender
from bot.store import standing
from bot.store.db import session_scope
from bot.store.models import Person
from tests.reports_bot.conftest import World, WorldFactory
from tests.reports_bot.test_hostile_protocols import (
    ANNA,
    LEE,
    club_athlete,
    club_text,
    publish,
)


@pytest.fixture(autouse=True)
def _fresh_protocol_cache() -> Iterator[None]:
    """Each test's database has its own "club_hamstring v2" (see test_hostile_protocols)."""
    standing._PROTOCOLS.clear()
    yield
    standing._PROTOCOLS.clear()


async def _resume_notice(w: World, language: str) -> str:
    publish(w, club_text())
    version = publish(w, club_text(h8=False))
    anna, _lee = club_athlete(w, version=version)
    with session_scope(w.engine) as session:
        person = session.get(Person, anna)
        assert person is not None
        person.language = language
        session.add(person)
    lee = w.user(LEE, "Lee")
    w.user(ANNA, "Anna")
    for command in (f"/pause {anna} away for a week", f"/resume {anna} back from the trip"):
        await lee.send(command)
        replies = "\n".join(m.text or "" for m in await lee.wait_reply(timeout=30))
        assert "went wrong" not in replies, replies
    sender = OutboxSender(
        bot=w.running.application.bot,
        engine=w.engine,
        clock=w.clock,
        admin_telegram_ids=w.services.settings.admin_telegram_ids,
    )
    await sender.drain()
    texts = [m.text or "" for m in w.sandbox.transcript(ANNA) if m.sender == "bot"]
    paused, resumed = [t for t in texts if t.startswith("Dr Lee")]  # in the order sent
    assert "back from the trip" in resumed, (paused, resumed)
    return resumed


async def test_a_resume_at_a_removed_stage_reads_your_current_stage(world: WorldFactory) -> None:
    w = await world()
    notice = await _resume_notice(w, "en")
    assert notice.split("\n")[0] == "Dr Lee resumed your programme at your current stage.", notice
    assert "no longer in the protocol" not in notice, notice


async def test_a_resume_at_a_removed_stage_is_in_the_right_german_case(
    world: WorldFactory,
) -> None:
    w = await world()
    notice = await _resume_notice(w, "de")
    assert not re.search(r"\bauf (?:eine|deine) ", notice), notice
    assert "nicht mehr im Protokoll" not in notice, notice
