"""The sandbox answers the real python-telegram-bot Bot the way Telegram does, errors included."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.sandbox import BotApiSandbox


@pytest.fixture
async def bot(sandbox: BotApiSandbox) -> AsyncIterator[Bot]:
    """Return an initialised PTB Bot talking to the sandbox (short read timeout)."""
    async with Bot(
        sandbox.token,
        base_url=sandbox.base_url,
        base_file_url=sandbox.base_file_url,
        request=HTTPXRequest(read_timeout=0.5),
    ) as running:
        yield running


async def test_get_me_describes_the_sandbox_bot(bot: Bot, sandbox: BotApiSandbox) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.id == sandbox.bot_id and me.username == sandbox.bot_username


async def test_send_message_returns_a_message_ptb_understands(
    bot: Bot, sandbox: BotApiSandbox
) -> None:
    sandbox.user(1001, "Alex")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go:1")]])

    message = await bot.send_message(1001, "<b>Pain</b> today?", parse_mode=ParseMode.HTML,
                                     reply_markup=keyboard)  # fmt: skip

    assert message.text == "Pain today?"
    assert message.entities[0].type == "bold" and message.entities[0].length == 4
    assert message.from_user is not None and message.from_user.id == sandbox.bot_id
    assert message.chat.id == 1001
    assert message.reply_markup == keyboard
    [shown] = sandbox.transcript(1001)
    assert shown.buttons == [["Go"]] and shown.callback_data == ["go:1"]


async def test_reply_keyboard_force_reply_and_removal_are_tracked(
    bot: Bot, sandbox: BotApiSandbox
) -> None:
    alex = sandbox.user(1001, "Alex")
    await bot.send_message(1001, "Side?", reply_markup=ReplyKeyboardMarkup([["Left", "Right"]]))
    assert alex.reply_keyboard == [["Left", "Right"]]
    await bot.send_message(1001, "Thanks", reply_markup=ReplyKeyboardRemove())
    assert alex.reply_keyboard is None
    await bot.send_message(1001, "Your note?", reply_markup=ForceReply())
    assert alex.last_bot_message.force_reply


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"chat_id": 1001, "text": "x" * 4097}, "message is too long"),
        ({"chat_id": 1001, "text": "   "}, "message text is empty"),
        ({"chat_id": 4242, "text": "hi"}, "chat not found"),
        ({"chat_id": 1001, "text": "5 < 6", "parse_mode": "HTML"}, "can't parse entities"),
        ({"chat_id": 1001, "text": "<b>open", "parse_mode": "HTML"}, "can't parse entities"),
        ({"chat_id": 1001, "text": "Done.", "parse_mode": "MarkdownV2"}, "reserved"),
        (
            {
                "chat_id": 1001,
                "text": "hi",
                "reply_markup": InlineKeyboardMarkup(
                    [[InlineKeyboardButton("x", callback_data="d" * 65)]]
                ),
            },
            "BUTTON_DATA_INVALID",
        ),
    ],
)
async def test_what_telegram_refuses_is_refused(
    bot: Bot, sandbox: BotApiSandbox, kwargs: dict[str, object], reason: str
) -> None:
    sandbox.user(1001, "Alex")
    with pytest.raises(BadRequest, match=f"(?i){reason}"):
        await bot.send_message(**kwargs)  # type: ignore[arg-type]
    assert sandbox.transcript(1001) == []


async def test_limits_count_utf16_units_like_telegram(bot: Bot, sandbox: BotApiSandbox) -> None:
    sandbox.user(1001, "Alex")
    await bot.send_message(1001, "é" * 4096)  # 4096 units: allowed
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(1001, "\N{RUNNER}" * 2049)  # 2 units each: 4098
    await bot.send_message(
        1001,
        "ok",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 32)]]),
    )


async def test_markdown_v2_escapes_are_understood(bot: Bot, sandbox: BotApiSandbox) -> None:
    sandbox.user(1001, "Alex")
    message = await bot.send_message(1001, r"*Stage 2* done\. Pain 3\-4", parse_mode="MarkdownV2")
    assert message.text == "Stage 2 done. Pain 3-4"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, 7)]


async def test_edits_follow_telegram_rules(bot: Bot, sandbox: BotApiSandbox) -> None:
    sandbox.user(1001, "Alex")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(1001, "Question", reply_markup=keyboard)

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Question", chat_id=1001, message_id=sent.message_id,
                                    reply_markup=keyboard)  # fmt: skip
    other = InlineKeyboardMarkup([[InlineKeyboardButton("B", callback_data="b")]])
    await bot.edit_message_reply_markup(
        chat_id=1001, message_id=sent.message_id, reply_markup=other
    )
    assert sandbox.transcript(1001)[0].buttons == [["B"]]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=999)

    assert await bot.delete_message(1001, sent.message_id)
    assert sandbox.transcript(1001) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(1001, sent.message_id)


async def test_commands_are_kept_per_scope(bot: Bot, sandbox: BotApiSandbox) -> None:
    alex, bea = sandbox.user(1001, "Alex"), sandbox.user(1002, "Bea")
    await bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("help", "Help")])
    await bot.set_my_commands(
        [BotCommand("athletes", "Your athletes")], scope=BotCommandScopeChat(1002)
    )

    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(1002))] == [
        "athletes"
    ]
    assert alex.commands == ["start", "help"]
    assert bea.commands == ["athletes"]

    await bot.delete_my_commands(scope=BotCommandScopeChat(1002))
    assert bea.commands == ["start", "help"]
    assert sandbox.commands(BotCommandScopeDefault().to_dict())[0]["command"] == "start"
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.set_my_commands([BotCommand("x", "y")], scope=BotCommandScopeChat(5555))


async def test_chat_actions_and_photos_are_recorded(bot: Bot, sandbox: BotApiSandbox) -> None:
    alex = sandbox.user(1001, "Alex")
    await bot.send_chat_action(1001, "upload_photo")
    message = await bot.send_photo(1001, photo=b"\x89PNG chart", caption="Your week")

    assert alex.chat_actions == ["upload_photo"]
    assert message.photo and message.caption == "Your week"
    [photo] = alex.photos
    assert photo.data == b"\x89PNG chart" and photo.caption == "Your week"


async def test_unknown_method_and_wrong_token_are_refused(bot: Bot, sandbox: BotApiSandbox) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    [call] = sandbox.calls_to("sendTelepathy")
    assert (call.status, call.error) == (404, "Not Found: method sendTelepathy not found")
    with pytest.raises(InvalidToken, match="rejected"):
        async with Bot("999:WRONG", base_url=sandbox.base_url):
            pass


async def test_injected_flood_limit_raises_retry_after(bot: Bot, sandbox: BotApiSandbox) -> None:
    sandbox.user(1001, "Alex")
    sandbox.fail_next("sendMessage", status=429, retry_after=7, chat_id=1001)

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(1001, "first")
    # bot/__init__.py opts in to PTB's timedelta semantics (PTB_TIMEDELTA=1).
    assert raised.value.retry_after == dt.timedelta(seconds=7)
    await bot.send_message(1001, "second")  # the plan was for one call only
    assert [m.text for m in sandbox.transcript(1001)] == ["second"]


async def test_injected_failures_target_method_and_chat(bot: Bot, sandbox: BotApiSandbox) -> None:
    sandbox.user(1001, "Alex")
    sandbox.user(1002, "Bea")
    sandbox.fail_next("sendMessage", status=502, chat_id=1002, times=2)

    await bot.send_message(1001, "not affected")
    for _ in range(2):
        with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
            await bot.send_message(1002, "hit")
    await bot.send_message(1002, "recovered")
    sandbox.fail_next(None, status=400, description="Bad Request: planned")
    with pytest.raises(BadRequest, match=r"(?i)planned"):
        await bot.get_me()
    assert [c.status for c in sandbox.calls_to("sendMessage", chat_id=1002)] == [502, 502, 200]


async def test_blocked_user_gives_forbidden(bot: Bot, sandbox: BotApiSandbox) -> None:
    sandbox.user(1001, "Alex")
    sandbox.block_user(1001)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(1001, "check-in time")
    sandbox.unblock_user(1001)
    await bot.send_message(1001, "check-in time")
    sandbox.fail_next("sendMessage", status=403)
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await bot.send_message(1001, "again")


async def test_slow_answer_times_out_but_the_message_still_arrives(
    bot: Bot, sandbox: BotApiSandbox
) -> None:
    sandbox.user(1001, "Alex")
    sandbox.slow_next("sendMessage", delay=0.6)

    with pytest.raises(TimedOut):
        await bot.send_message(1001, "slow", read_timeout=0.2)

    alex = sandbox.user(1001)
    await alex.wait_until(lambda messages: any(m.text == "slow" for m in messages), timeout=3)


async def test_files_are_only_served_to_the_bot_that_knows_them(
    bot: Bot, sandbox: BotApiSandbox
) -> None:
    alex = sandbox.user(1001, "Alex")
    sent = await alex.send_document("plan.yaml", b"stages: 6\n")
    file_id = sent.raw["document"]["file_id"]

    telegram_file = await bot.get_file(file_id)
    assert telegram_file.file_size == 10
    assert await telegram_file.download_as_bytearray() == bytearray(b"stages: 6\n")
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("no-such-file")


async def test_housekeeping_methods_answer_ok(bot: Bot, sandbox: BotApiSandbox) -> None:
    info = await bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 0
    assert await bot.log_out()
    assert await bot.close()
    assert [c.method for c in sandbox.calls][-2:] == ["logOut", "close"]
