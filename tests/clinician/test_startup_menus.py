"""At start-up the staff menus are set chat by chat: an admin who never opened the chat is
expected (INFO, their menu is set when they first write); other failures are warnings; and
neither stops the start-up."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden

from bot.handlers.invites import set_menu_at_startup


class RefusingBot:
    """A Bot whose setMyCommands fails as Telegram does for the given error."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls: list[Any] = []

    async def set_my_commands(self, commands: Any, scope: Any = None) -> bool:
        self.calls.append(scope)
        raise self.error


async def test_a_chat_never_opened_is_logged_as_expected_not_as_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = RefusingBot(BadRequest("Chat not found"))
    with caplog.at_level(logging.INFO, logger="bot.handlers.invites"):
        await set_menu_at_startup(bot, 9000, "admin", True, "en")
    assert len(bot.calls) == 1
    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert "9000" in record.getMessage() and "first write" in record.getMessage()
    assert "could not" not in record.getMessage()


@pytest.mark.parametrize("error", [BadRequest("Bot_command_invalid"), Forbidden("blocked")])
async def test_other_failures_are_warnings(
    caplog: pytest.LogCaptureFixture, error: Exception
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.handlers.invites"):
        await set_menu_at_startup(RefusingBot(error), 2001, "clinician", False, "en")
    [record] = caplog.records
    assert record.levelno == logging.WARNING and "2001" in record.getMessage()
