"""After /delete, a farewell ("your data has been deleted") that never reaches the athlete leaves
no row holding her chat either: nothing in any table mentions her afterwards.

Anna confirms the deletion and, at once, blocks the bot (or Telegram refuses the message, or
keeps failing until the sender gives up, or floods and then finds her gone). The farewell's
final failure was recorded on its outbox row, which kept her chat id and the text until the
30-day blanking. It is now deleted as soon as that failure is recorded, as a sent one is; a
farewell waiting for its retry stays only until then. Webhook mode (every update stored in
the inbox first, as in production); SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from bot.delivery.policy import BackoffPolicy
from bot.services import texts
from tests.athlete.conftest import Phone, World
from tests.privacy.test_farewell_after_crash import (
    ANNA,
    anna_signed_up,
    ask_to_delete,
    farewells,
    refused_once,
    rows_with_her_chat,
)

Factory = Callable[[], Awaitable[World]]
# More tries than the sender makes of a message that keeps failing with a server error.
GIVE_UP_AFTER = BackoffPolicy().max_attempts + 2


def farewell_waiting(w: World) -> bool:
    """Whether a message to Anna's chat is being sent or waits for its retry."""
    return any(
        table == "outbox" and row["status"] in ("pending", "sending")
        for table, row in rows_with_her_chat(w)
    )


async def confirm_and_wait(anna: Phone) -> None:
    """Anna presses the second confirmation; wait until her data is deleted and the
    farewell's fate is recorded (the reply is sent once the deletion commits)."""
    w = anna.world
    await anna.user.press(str(texts.DELETE_YES_2))
    for _ in range(200):
        await w.deliver()
        if w.person(ANNA) is None and not farewell_waiting(w):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("her deletion and its farewell never settled")


async def deliver_until_settled(w: World) -> None:
    """Let the sender retry, ten minutes apart (longer than any backoff), until nothing to
    her chat waits for a retry."""
    for _ in range(GIVE_UP_AFTER):
        if not farewell_waiting(w):
            return
        w.clock.advance(dt.timedelta(minutes=10))
        await w.deliver()
    raise AssertionError(f"the farewell still waits after {GIVE_UP_AFTER} tries")


@pytest.mark.parametrize(
    "failure",
    [
        "she blocked the bot",
        "Telegram refused it",
        "server errors until the sender gave up",
        "flood control, then she blocked the bot",
    ],
)
async def test_a_farewell_that_never_arrives_leaves_no_row(world: Factory, failure: str) -> None:
    w = await world()
    anna = await anna_signed_up(w)
    await ask_to_delete(anna)
    if failure == "she blocked the bot":
        w.sandbox.block_user(ANNA)
        await confirm_and_wait(anna)
    elif failure == "Telegram refused it":
        w.sandbox.fail_next(
            None, status=400, description="Bad Request: chat not found", chat_id=ANNA, times=5
        )
        await confirm_and_wait(anna)
    elif failure == "server errors until the sender gave up":
        w.sandbox.fail_next(None, status=500, chat_id=ANNA, times=10 * GIVE_UP_AFTER)
        await anna.user.press(str(texts.DELETE_YES_2))
        await refused_once(w)
        await deliver_until_settled(w)
    else:
        w.sandbox.fail_next(None, status=429, retry_after=5, chat_id=ANNA, times=3)
        await anna.user.press(str(texts.DELETE_YES_2))
        await refused_once(w)
        w.sandbox.block_user(ANNA)
        await deliver_until_settled(w)

    assert farewells(anna) == 0
    assert rows_with_her_chat(w) == []
    # Nor does anything come of it later (the sender, the daily blanking of old texts).
    w.clock.advance(dt.timedelta(days=1))
    await w.deliver()
    assert rows_with_her_chat(w) == []
