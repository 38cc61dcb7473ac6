"""After /delete, the farewell ("your data has been deleted") leaves no row holding the chat of
the athlete who left, even when it is not recorded by the process that took the /delete.

The process dies between committing the deletion and recording the farewell as sent (played
by a reply recording that never happens): once its claim runs out, the outbox sender sends the
farewell again and, recording it, deletes the row (a reply to a chat no person has any more)
instead of keeping the chat id until the 30-day blanking. The same when Telegram refused the
farewell at first and the sender's retry delivered it. Webhook mode (every update stored in the
inbox first, as in production); SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.delivery.outcomes import DrainResult
from bot.delivery.sender import OutboxSender
from bot.services import texts
from tests.athlete.conftest import Phone, World
from tests.privacy.story import all_rows, mentions

Factory = Callable[[], Awaitable[World]]
ANNA = 3001
FAREWELL = str(texts.DELETED)


async def anna_signed_up(w: World) -> Phone:
    """Anna, onboarded with a clinician's invitation, in webhook mode."""
    await w.telegram.restart(mode="webhook")
    anna = Phone(w.sandbox.user(ANNA, "Anna"), w)
    await anna.onboard(code=w.clinician_invite())
    await anna.morning()
    await w.deliver()
    return anna


async def ask_to_delete(anna: Phone) -> None:
    """Anna sends /delete and presses the first confirmation; the second is left to press."""
    await anna.say("/delete")
    await anna.tap(str(texts.DELETE_YES_1))


def rows_with_her_chat(w: World) -> list[tuple[str, dict[str, Any]]]:
    """Every row of any table holding Anna's Telegram id (her chat)."""
    return [
        (table, row)
        for table, rows in all_rows(w).items()
        for row in rows
        if mentions(row, (), (ANNA,))
    ]


async def refused_once(w: World) -> None:
    """Wait until the farewell Telegram refused waits in the outbox for its retry."""
    for _ in range(200):
        waiting = [
            row
            for table, row in rows_with_her_chat(w)
            if table == "outbox" and row["status"] == "pending" and row["last_error"]
        ]
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the refused farewell never waited for its retry")


def farewells(anna: Phone) -> int:
    """How many times Anna was told her data has been deleted."""
    return sum(m.text == FAREWELL for m in anna.user.bot_messages)


async def test_a_farewell_sent_again_after_a_crash_leaves_no_row(
    world: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await world()
    anna = await anna_signed_up(w)
    await ask_to_delete(anna)

    async def died(self: OutboxSender, *args: Any, **kwargs: Any) -> DrainResult:
        return DrainResult()  # the process is gone: nothing it sent is recorded

    monkeypatch.setattr(OutboxSender, "record_replies", died)
    replies = await anna.tap(str(texts.DELETE_YES_2))
    assert FAREWELL in [m.text for m in replies]  # Telegram took it before the crash
    monkeypatch.undo()
    assert any(table == "outbox" for table, _row in rows_with_her_chat(w))

    # Another process: the dead one's claim runs out, the farewell is sent again.
    w.clock.advance(dt.timedelta(minutes=10))
    await w.deliver()
    assert farewells(anna) == 2
    assert rows_with_her_chat(w) == []


async def test_a_farewell_telegram_refused_first_leaves_no_row_once_sent(
    world: Factory,
) -> None:
    w = await world()
    anna = await anna_signed_up(w)
    await ask_to_delete(anna)
    w.sandbox.fail_next("sendMessage", status=500, chat_id=ANNA)
    await anna.user.press(str(texts.DELETE_YES_2))
    await refused_once(w)
    await w.deliver()  # its retry waits
    assert farewells(anna) == 0

    w.clock.advance(dt.timedelta(minutes=10))
    await w.deliver()
    assert farewells(anna) == 1
    assert rows_with_her_chat(w) == []
