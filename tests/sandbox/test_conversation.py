"""Messages and button presses travel through real HTTP polling to the real Application."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.clock import FakeClock
from bot.sandbox import BotApiSandbox, NoReplyError, SandboxError
from tests.support import echo
from tests.support.telegram import BotHarness


async def test_a_message_gets_its_echo(telegram: BotHarness, sandbox: BotApiSandbox) -> None:
    await telegram.start(handlers=[echo.register])
    alex = sandbox.user(1001, "Alex")

    await alex.send("hello coach")

    replies = await alex.wait_reply()
    assert [m.text for m in replies] == ["echo: hello coach"]
    assert [(m.sender, m.text) for m in alex.transcript] == [
        ("user", "hello coach"),
        ("bot", "echo: hello coach"),
    ]
    [call] = sandbox.calls_to("sendMessage")
    assert call.chat_id == 1001 and call.status == 200


async def test_pressing_a_button_edits_the_message(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    await telegram.start(handlers=[echo.register])
    alex = sandbox.user(1001, "Alex")
    await alex.send("/menu")
    [menu] = await alex.wait_reply()
    assert menu.buttons == [["Yes", "No"]]

    await alex.press("Yes")

    [edited] = await alex.wait_reply()
    assert edited.message_id == menu.message_id
    assert edited.text == "You chose yes."
    assert edited.edited and edited.buttons == []  # edit without markup drops the keyboard
    assert alex.last_callback_answer is not None and alex.last_callback_answer.text == "Noted"
    assert [m.text for m in alex.transcript] == ["/menu", "You chose yes."]


async def test_pressing_a_missing_button_lists_what_is_on_offer(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    await telegram.start(handlers=[echo.register])
    alex = sandbox.user(1001, "Alex")
    await alex.send("/menu")
    await alex.wait_reply()

    with pytest.raises(SandboxError, match=r"(?s)cannot press 'Maybe'.*\[Yes\] \[No\]"):
        await alex.press("Maybe")


async def test_deep_link_payload_reaches_the_start_command(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    await telegram.start(handlers=[echo.register])
    alex = sandbox.user(1001, "Alex")

    await alex.send("/start INVITE-42")

    assert [m.text for m in await alex.wait_reply()] == ["started with INVITE-42"]


async def test_message_dates_and_bot_clock_follow_the_fake_clock(
    telegram: BotHarness, sandbox: BotApiSandbox, clock: FakeClock
) -> None:
    await telegram.start(handlers=[echo.register])
    alex = sandbox.user(1001, "Alex")
    clock.set(dt.datetime(2026, 5, 4, 6, 30, tzinfo=dt.UTC))

    await alex.send("/now")

    [reply] = await alex.wait_reply()
    assert reply.text == "clock: 2026-05-04T06:30:00+00:00"
    assert reply.date == clock.now()
    assert alex.transcript[0].raw["date"] == int(clock.now().timestamp())


async def test_no_reply_is_reported_with_the_transcript(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    await telegram.start(handlers=[echo.register])
    alex = sandbox.user(1001, "Alex")
    await alex.send_sticker()

    await alex.expect_no_reply()
    with pytest.raises(NoReplyError, match="sent a sticker"):
        await alex.wait_reply(timeout=0.2)


async def test_two_users_have_separate_chats(telegram: BotHarness, sandbox: BotApiSandbox) -> None:
    await telegram.start(handlers=[echo.register])
    alex, bea = sandbox.user(1001, "Alex"), sandbox.user(1002, "Bea")

    await alex.send("one")
    await bea.send("two")

    assert [m.text for m in await alex.wait_reply()] == ["echo: one"]
    assert [m.text for m in await bea.wait_reply()] == ["echo: two"]
    assert all(m.chat_id == 1002 for m in bea.transcript)


async def test_a_failing_handler_tells_the_user_without_leaking_details(
    telegram: BotHarness, sandbox: BotApiSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    await telegram.start(handlers=[echo.register])
    alex = sandbox.user(1001, "Alex")

    await alex.send("/boom")

    [reply] = await alex.wait_reply()
    assert reply.text == (
        "Something went wrong on our side; your answers so far are saved. Please try again."
    )
    failures = [r for r in caplog.records if r.name == "bot.errors"]
    assert len(failures) == 1
    line = failures[0].getMessage()
    assert line.startswith("Failed to handle update ") and "from user 1001: ValueError" in line
    assert "at tests/support/echo.py:" in line and "in _boom" in line
    assert "pain" not in caplog.text and "hamstring" not in caplog.text


async def test_restart_keeps_the_sandbox_and_answers_again(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    first = await telegram.start(handlers=[echo.register])
    alex = sandbox.user(1001, "Alex")
    await alex.send("before")
    await alex.wait_reply()

    second = await telegram.restart()

    assert first.stopped and second.application is not first.application
    await alex.send("after")
    assert [m.text for m in await alex.wait_reply()] == ["echo: after"]
    assert [m.text for m in alex.bot_messages] == ["echo: before", "echo: after"]


async def test_stale_callback_data_reaches_the_bot_unanswered_by_any_button(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    await telegram.start(handlers=[echo.register])
    alex = sandbox.user(1001, "Alex")
    await alex.send("/menu")
    [menu] = await alex.wait_reply()

    await alex.press_data("menu:maybe", menu)

    [edited] = await alex.wait_reply()
    assert edited.text == "You chose maybe."
    assert alex.last_callback_answer is not None and alex.last_callback_answer.text == "Noted"
    with pytest.raises(SandboxError, match="no bot message 99"):
        await alex.press_data("menu:yes", 99)


async def test_users_acting_at_once_each_get_their_own_answer(
    telegram: BotHarness, sandbox: BotApiSandbox
) -> None:
    await telegram.start(handlers=[echo.register])
    users = [sandbox.user(2000 + n, f"User{n}") for n in range(5)]

    async def turn(n: int) -> list[str | None]:
        await users[n].send(f"hello {n}")
        return [m.text for m in await users[n].wait_reply()]

    answers = await asyncio.gather(*(turn(n) for n in range(5)))

    assert answers == [[f"echo: hello {n}"] for n in range(5)]
