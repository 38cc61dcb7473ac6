"""Update delivery: getUpdates offsets and long polling, webhooks and their secret token."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import Conflict

from bot.sandbox import BotApiSandbox
from tests.support import echo
from tests.support.telegram import BotHarness


@pytest.fixture
async def bot(sandbox: BotApiSandbox) -> AsyncIterator[Bot]:
    """Return an initialised PTB Bot polling the sandbox by hand."""
    async with Bot(sandbox.token, base_url=sandbox.base_url) as running:
        yield running


async def test_unconfirmed_updates_are_delivered_again(bot: Bot, sandbox: BotApiSandbox) -> None:
    alex = sandbox.user(1001, "Alex")
    await alex.send("one")
    await alex.send("two")

    first = await bot.get_updates(timeout=0)
    again = await bot.get_updates(timeout=0)

    assert [u.message.text for u in first if u.message] == ["one", "two"]
    assert [u.update_id for u in again] == [u.update_id for u in first]


async def test_confirmed_updates_are_not_delivered_again(bot: Bot, sandbox: BotApiSandbox) -> None:
    alex = sandbox.user(1001, "Alex")
    await alex.send("one")
    await alex.send("two")
    [first, second] = await bot.get_updates(timeout=0)

    rest = await bot.get_updates(offset=first.update_id + 1, timeout=0)
    assert [u.update_id for u in rest] == [second.update_id]
    assert await bot.get_updates(offset=second.update_id + 1, timeout=0) == ()
    assert sandbox.pending_updates() == []


async def test_limit_and_allowed_updates_are_honoured(bot: Bot, sandbox: BotApiSandbox) -> None:
    alex = sandbox.user(1001, "Alex")
    for text in ("a", "b", "c"):
        await alex.send(text)
    assert len(await bot.get_updates(limit=2, timeout=0)) == 2

    only_buttons = await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    assert only_buttons == ()


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    bot: Bot, sandbox: BotApiSandbox
) -> None:
    alex = sandbox.user(1001, "Alex")
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await alex.send("wake up")

    updates = await asyncio.wait_for(poll, timeout=2)

    assert [u.message.text for u in updates if u.message] == ["wake up"]
    assert time.monotonic() - started < 0.5


async def test_empty_long_poll_waits_for_its_timeout(bot: Bot, sandbox: BotApiSandbox) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 2


async def test_a_second_poller_terminates_the_first(bot: Bot, sandbox: BotApiSandbox) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    async with Bot(sandbox.token, base_url=sandbox.base_url) as second_instance:
        await second_instance.get_updates(timeout=0)
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await waiting


async def test_document_round_trip_through_the_application(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    await telegram.start(handlers=[echo.register])
    alex = sandbox.user(1001, "Alex")
    protocol = b"name: hamstring-return\nstages: 6\n"

    await alex.send_document("protocol.yaml", protocol)

    replies = await alex.wait_until(lambda messages: len(messages) == 2)
    assert replies[0].text == f"got protocol.yaml: {len(protocol)} bytes"
    [document] = alex.documents
    assert document.filename == "upper.yaml" and document.data == protocol.upper()
    assert document.caption == "uppercased"
    assert [c.method for c in sandbox.calls if c.method in {"getFile", "sendDocument"}] == [
        "getFile",
        "sendDocument",
    ]


async def test_webhook_delivery_with_the_right_secret(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    running = await telegram.start(handlers=[echo.register], mode="webhook")
    assert sandbox.webhook is not None and sandbox.webhook.url == running.webhook_url
    alex = sandbox.user(1001, "Alex")

    await alex.send("via webhook")

    assert [m.text for m in await alex.wait_reply()] == ["echo: via webhook"]
    assert sandbox.webhook.delivery_statuses == [200]
    assert not sandbox.calls_to("getUpdates")


async def test_webhook_with_a_wrong_secret_is_refused_and_retried(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    await telegram.start(handlers=[echo.register], mode="webhook")
    assert sandbox.webhook is not None
    sandbox.webhook.secret_token = "not-the-secret"
    alex = sandbox.user(1001, "Alex")

    await alex.send("forged?")
    webhook = sandbox.webhook
    await sandbox.wait_for(lambda: len(webhook.delivery_statuses) >= 2, what="two attempts")

    assert set(sandbox.webhook.delivery_statuses) == {403}
    assert alex.bot_messages == []
    info = await telegram.application.bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"

    sandbox.webhook.secret_token = "sandbox-webhook-secret"
    assert [m.text for m in await alex.wait_reply()] == ["echo: forged?"]


async def test_get_updates_is_refused_while_a_webhook_is_set(
    bot: Bot, sandbox: BotApiSandbox
) -> None:
    await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="abc")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()
