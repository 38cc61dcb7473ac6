"""An update of an athlete's that waited on another replica while she deleted her data leaves
nothing of hers once it is handled.

Anna taps the last "delete" confirmation; right after, something else of hers (a typed message
saying how her knee is, or a press of a button of an old check-in) reaches another replica,
which stores it in the inbox, with her chat and the raw update (her name, username and words),
before the deletion commits, and handles it after (its chat's turn comes once the /delete is
done). That replica dies before handling it: this one takes it over when its lease runs out,
as any replica would. Handled, it gets what a stranger would get ("let's set you up first"),
and no row keeps her Telegram id, name, username or words: not the inbox (whose done rows
stay two days as the guard against redeliveries), not the outbox, not the audit.

The other order (the update handled while she still exists, then the deletion) leaves nothing
either, and so does a stranger who writes once. Webhook mode (every update stored in the
inbox first, as in production); SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.inbox.store import Inbox
from bot.sandbox import TranscriptMessage
from bot.services import texts
from bot.store.db import session_scope
from bot.store.repo.inbox import open_updates, store_update
from tests.athlete.conftest import Phone, World
from tests.privacy.story import all_rows, mentions

Factory = Callable[[], Awaitable[World]]
ANNA, STRANGER = 3001, 3999
FIRST, LAST, USERNAME = "Annabel", "Quist", "annabel_q"
KNEE = "PRIVATE-AFTER my knee swelled up again"
HER = (FIRST, LAST, USERNAME, "PRIVATE-AFTER")
# Far above the sandbox's update ids: the update comes after her /delete in her chat's order.
LATE = 900_000_000
LEASE = dt.timedelta(seconds=10)


async def anna_signed_up(w: World) -> Phone:
    """Anna (full name and username), onboarded with a clinician's invitation, a morning
    check-in done, in webhook mode."""
    await w.telegram.restart(mode="webhook")
    anna = Phone(w.sandbox.user(ANNA, FIRST, last_name=LAST, username=USERNAME), w)
    await anna.onboard(code=w.clinician_invite())
    await anna.morning()
    await w.deliver()
    return anna


def _from(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "first_name": FIRST, "last_name": LAST, "username": USERNAME}


def typed(w: World, user_id: int, update_id: int) -> dict[str, Any]:
    """The raw update of a message typed by ``user_id`` (Anna's name and username)."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 9_999,
            "date": int(w.clock.now().timestamp()),
            "chat": {**_from(user_id), "type": "private"},
            "from": {**_from(user_id), "is_bot": False},
            "text": KNEE,
        },
    }


def pressed(w: World, anna: Phone, update_id: int) -> dict[str, Any]:
    """The raw update of a press of a button of her last check-in question (a real button of
    hers, pressed on her phone after the deletion's last tap)."""
    question = _last_with_buttons(anna.user.bot_messages)
    data = next(b["callback_data"] for row in question.inline_keyboard for b in row)
    return {
        "update_id": update_id,
        "callback_query": {
            "id": "late-press",
            "from": {**_from(ANNA), "is_bot": False},
            "chat_instance": "anna-chat",
            "data": data,
            "message": {
                "message_id": question.message_id,
                "date": int(w.clock.now().timestamp()),
                "chat": {**_from(ANNA), "type": "private"},
                "from": {"id": 1, "is_bot": True, "first_name": "Sprintback"},
                "text": question.text or "",
            },
        },
    }


def _last_with_buttons(messages: list[TranscriptMessage]) -> TranscriptMessage:
    return next(
        m
        for m in reversed(messages)
        if any("callback_data" in b for row in m.inline_keyboard for b in row)
    )


def stored_elsewhere(w: World, update: dict[str, Any], chat_id: int) -> None:
    """Store ``update`` as another replica does when it receives it: its chat, its raw JSON,
    leased to that replica."""
    with session_scope(w.engine) as session:
        store_update(
            session,
            update_id=update["update_id"],
            chat_id=chat_id,
            payload=json.dumps(update),
            worker="replica-b",
            now=w.clock.now(),
            lease=LEASE,
        )


async def taken_over(w: World) -> None:
    """The other replica died: once its lease ran out, this one handles what it held, and its
    replies are recorded."""
    w.clock.advance(LEASE * 3)
    inbox: Inbox = w.running.application.bot_data["sprintback.inbox"]
    assert await inbox.maintain() == 1
    for _ in range(200):
        await w.deliver()  # (waits for the replies' recording first)
        if not w.read(open_updates):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the update taken over was never done")


def what_holds_her(w: World) -> list[tuple[str, list[str], dict[str, Any]]]:
    """Every row of any table holding Anna's Telegram id, name, username or words."""
    return [
        (table, found, row)
        for table, rows in all_rows(w).items()
        for row in rows
        if (found := mentions(row, HER, (ANNA,)))
    ]


async def delete_her(anna: Phone) -> None:
    await anna.say("/delete")
    await anna.tap(str(texts.DELETE_YES_1))
    replies = await anna.tap(str(texts.DELETE_YES_2))
    assert str(texts.DELETED) in [m.text for m in replies]


@pytest.mark.parametrize("kind", ["typed", "pressed"])
async def test_her_update_waiting_elsewhere_leaves_nothing_once_handled(
    world: Factory, kind: str
) -> None:
    w = await world()
    anna = await anna_signed_up(w)
    await anna.say("/delete")
    await anna.tap(str(texts.DELETE_YES_1))
    late = typed(w, ANNA, LATE) if kind == "typed" else pressed(w, anna, LATE)
    stored_elsewhere(w, late, ANNA)  # before the deletion commits
    replies = await anna.tap(str(texts.DELETE_YES_2))
    assert str(texts.DELETED) in [m.text for m in replies]
    await w.deliver()
    # Waiting to be handled, it still holds what it is made of.
    assert [table for table, _found, _row in what_holds_her(w)] == ["inbox_update"]

    seen = len(anna.user.bot_messages)
    await taken_over(w)
    assert what_holds_her(w) == []
    said = [m.text for m in anna.user.bot_messages[seen:]]
    # What a stranger gets: to a message, the way in; to an old button, nothing but the
    # button's answer.
    assert said == ([str(texts.NOT_ONBOARDED)] if kind == "typed" else [])


async def test_her_update_handled_before_the_deletion_leaves_nothing(world: Factory) -> None:
    """The other order: the update (stored on the other replica, which died) is handled while
    she still exists (her words answered as an athlete's), then she deletes her data."""
    w = await world()
    anna = await anna_signed_up(w)
    stored_elsewhere(w, typed(w, ANNA, LATE), ANNA)
    seen = len(anna.user.bot_messages)
    await taken_over(w)
    assert anna.user.bot_messages[seen:]  # answered
    assert [table for table, _found, _row in what_holds_her(w)] != []
    await delete_her(anna)
    await w.deliver()
    assert what_holds_her(w) == []


async def test_a_stranger_who_writes_once_leaves_no_row_with_their_chat(
    world: Factory,
) -> None:
    """Someone who never signed up writes (to the replica that died): they are told how to
    start, and the inbox's guard against a redelivery keeps the update's number only."""
    w = await world()
    await anna_signed_up(w)
    stranger = w.sandbox.user(STRANGER, "Stan")
    stored_elsewhere(w, typed(w, STRANGER, LATE), STRANGER)
    await taken_over(w)
    assert [m.text for m in stranger.bot_messages] == [str(texts.NOT_ONBOARDED)]
    [row] = [r for r in all_rows(w)["inbox_update"] if r["update_id"] == LATE]
    assert (row["status"], row["chat_id"], row["payload"]) == ("done", 0, None)
    assert not [
        (table, row)
        for table, rows in all_rows(w).items()
        for row in rows
        if mentions(row, (), (STRANGER,))
    ]
