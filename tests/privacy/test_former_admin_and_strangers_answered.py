"""Replies a privacy review found silent or inconsistent, as the person sees them: someone
whose admin access was removed, a stranger asking for a report by number, an athlete asking
for their own report by name, a button pressed in a group chat.

The real Application with every handler module (``full``), on the Bot API sandbox, SQLite
then PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from bot.services import texts
from bot.services.access import REFUSAL_TEXT
from bot.store.db import session_scope
from bot.store.models import Person
from bot.store.repo.people import create_person
from tests.clinician.conftest import CHART_WAIT, World
from tests.privacy.test_access_after_unlink import WorldFactory, full, say

__all__ = ["full"]

FORMER_ADMIN = 9100  # stored as an admin, not in ADMIN_TELEGRAM_IDS (9000)
STRANGER, CARA, DAN = 4400, 3003, 3004
GROUP = -1001234567
PRIVATE_CHAT_ONLY = "Please use me in a private chat."


def store_former_admin(w: World) -> int:
    """Store an admin whose Telegram id the admin setting no longer lists (as the start-up
    sync leaves someone removed from it); return their row id."""
    with session_scope(w.engine) as session:
        person = create_person(
            session,
            role="admin",
            telegram_user_id=FORMER_ADMIN,
            chat_id=FORMER_ADMIN,
            display_name="Ada",
            now=w.clock.now(),
        )
        assert person.id is not None
        return person.id


async def test_a_former_admin_is_told_their_access_was_removed_and_can_delete_their_record(
    full: WorldFactory,
) -> None:
    w = await full()
    row_id = store_former_admin(w)
    ada = w.sandbox.user(FORMER_ADMIN, "Ada")
    for sent in (
        "/start",
        "/help",
        "hello",
        "/settings",
        "/timezone",
        "/status",
        "/export",
        "/checkin",
        "/report",
        "/progress",
    ):
        assert await say(ada, sent) == str(texts.FORMER_ADMIN), sent
    # The words of the notice she was sent when her rights ended ("have ended"), not others.
    assert str(texts.FORMER_ADMIN).startswith("Your admin rights on Sprintback have ended")

    deleted = await say(ada, "/delete")
    assert deleted == str(texts.FORMER_ADMIN_DELETED)
    # Her Telegram account stays hers: only Sprintback's link to it goes.
    assert "the link to your Telegram account are removed" in deleted, deleted
    with session_scope(w.engine, read_only=True) as session:
        assert (
            session.exec(select(Person).where(Person.telegram_user_id == FORMER_ADMIN)).first()
            is None
        )
        kept = session.get(Person, row_id)
        assert kept is not None and kept.display_name == "" and kept.chat_id is None
    # From now on a stranger: asked to set up, no longer told about admin access.
    assert await say(ada, "/status") == str(texts.NOT_ONBOARDED)


async def test_a_stranger_is_asked_to_set_up_whatever_follows_the_command(
    full: WorldFactory,
) -> None:
    w = await full()
    cara_id = w.add_athlete(CARA, "Cara")
    sam = w.sandbox.user(STRANGER, "Sam")
    for sent in (f"/report {cara_id}", f"/progress {cara_id}", f"/athlete {cara_id}"):
        assert await say(sam, sent) == str(texts.NOT_ONBOARDED), sent


async def test_an_athlete_gets_their_own_report_by_name_and_is_told_how_to_ask(
    full: WorldFactory,
) -> None:
    w = await full()
    cara_id = w.add_athlete(CARA, "Cara")
    dan_id = w.add_athlete(DAN, "Dan")
    cara = w.sandbox.user(CARA, "Cara")
    assert await say(cara, "/report Cara") == "Preparing the report…"
    await cara.wait_until(
        lambda ms: any(m.kind == "document" for m in ms), timeout=CHART_WAIT, describe="PDF"
    )
    assert await say(cara, f"/report {cara_id}") == "Preparing the report…"
    await cara.wait_until(
        lambda ms: any(m.kind == "document" for m in ms), timeout=CHART_WAIT, describe="PDF"
    )
    await cara.send("/progress cara")
    await cara.wait_until(
        lambda ms: any(m.kind == "photo" for m in ms), timeout=CHART_WAIT, describe="chart"
    )
    assert await say(cara, "/report please") == "Send /report on its own to get your report."
    assert await say(cara, "/progress Dan") == (
        "Send /progress on its own to get your progress chart."
    )
    assert await say(cara, f"/report {dan_id}") == REFUSAL_TEXT  # someone else's number


async def test_a_button_pressed_in_a_group_is_answered_with_where_sprintback_works(
    full: WorldFactory,
) -> None:
    w = await full()
    w.add_athlete(CARA, "Cara")
    cara = w.sandbox.user(CARA, "Cara")
    query_id = w.sandbox.open_callback_query(GROUP)
    update_id = w.sandbox.push_update(
        "callback_query",
        {
            "id": query_id,
            "from": cara.user_json,
            "message": {
                "message_id": 7,
                "date": int(w.clock.now().timestamp()),
                "chat": {"id": GROUP, "type": "group", "title": "Club"},
                "text": "A message with a button",
            },
            "chat_instance": "group",
            "data": "anything",
        },
    )
    loop = asyncio.get_running_loop()
    assert await w.sandbox.settle(update_id, loop.time() + 5)
    answer = w.sandbox.callback_answers.get(query_id)
    assert answer is not None and answer.text == PRIVATE_CHAT_ONLY
    to_group = [c for c in w.sandbox.calls if c.chat_id == GROUP]
    assert to_group == []  # nothing posted in the group
