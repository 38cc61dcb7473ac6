"""What simulated users send arrives in the real Application as the right Telegram objects."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update
from telegram.error import Forbidden
from telegram.ext import Application, ChatMemberHandler, ContextTypes, MessageHandler, filters

from bot.sandbox import BotApiSandbox
from tests.support import echo
from tests.support.telegram import BotHarness


async def _describe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    if message.location:
        seen = f"location {message.location.latitude},{message.location.longitude}"
    elif message.contact:
        seen = f"contact {message.contact.phone_number} of user {message.contact.user_id}"
    elif message.photo:
        data = await (await message.photo[-1].get_file()).download_as_bytearray()
        seen = f"photo of {len(data)} bytes, caption {message.caption}"
    elif message.sticker:
        seen = f"sticker {message.sticker.emoji}"
    elif message.reply_to_message:
        seen = f"reply to {message.reply_to_message.message_id}: {message.text}"
    else:
        seen = "something else"
    await message.reply_text(seen)


def _register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(MessageHandler(~filters.COMMAND, _describe))


async def test_location_contact_photo_and_sticker_arrive_typed(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    await telegram.start(handlers=[_register])
    alex = sandbox.user(1001, "Alex")

    await alex.send_location(48.8566, 2.3522)
    assert (await alex.wait_reply())[0].text == "location 48.8566,2.3522"
    await alex.send_contact("+33600000000")
    assert (await alex.wait_reply())[0].text == "contact +33600000000 of user 1001"
    await alex.send_photo(b"0123456789", caption="track")
    assert (await alex.wait_reply())[0].text == "photo of 10 bytes, caption track"
    await alex.send_sticker("\N{FIRE}")
    assert (await alex.wait_reply())[0].text == "sticker \N{FIRE}"


async def test_a_reply_names_the_message_it_answers(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    await telegram.start(handlers=[_register])
    alex = sandbox.user(1001, "Alex")
    await alex.send_sticker()
    [question] = await alex.wait_reply()

    await alex.send("tight calf", reply_to=question)

    assert (await alex.wait_reply())[0].text == f"reply to {question.message_id}: tight calf"


async def test_failure_for_any_method_spares_polling(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    await telegram.start(handlers=[echo.register])
    alex = sandbox.user(1001, "Alex")
    sandbox.fail_next(None, status=500)

    await alex.send("first")

    [apology] = await alex.wait_reply()  # the echo failed; the error handler's message went out
    assert (apology.text or "").startswith("Something went wrong on our side")
    assert [c.status for c in sandbox.calls_to("sendMessage")] == [500, 200]


async def _member_status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    assert change is not None
    statuses = context.bot_data.setdefault("member_statuses", [])
    statuses.append((change.from_user.id, change.new_chat_member.status))


def _register_member_watch(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(ChatMemberHandler(_member_status, ChatMemberHandler.MY_CHAT_MEMBER))
    echo.register(application)


async def test_blocking_the_bot_is_announced_and_then_refused(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    running = await telegram.start(handlers=[_register_member_watch])
    alex = sandbox.user(1001, "Alex")

    await alex.block_bot()
    await alex.expect_no_reply()
    assert running.application.bot_data["member_statuses"] == [(1001, "kicked")]
    with pytest.raises(Forbidden):
        await running.application.bot.send_message(1001, "Morning check-in")

    await alex.unblock_bot()
    await alex.expect_no_reply()
    await alex.send("back")
    assert [m.text for m in await alex.wait_reply()] == ["echo: back"]
    assert running.application.bot_data["member_statuses"][-1] == (1001, "member")
