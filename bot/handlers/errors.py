"""The last line of defence: log a failed update in one line and tell the user, calmly."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext

from bot.support.i18n import N_, _
from bot.support.logs import failure

_LOGGER = logging.getLogger("bot.errors")

# English id, translated where it is sent (in the language of the update being handled).
USER_MESSAGE = N_(
    "Something went wrong on our side; your answers so far are saved. Please try again."
)


def describe_failure(update: object, error: BaseException | None) -> str:
    """Return one log line naming the update, the user and where it failed.

    It never includes message text, button data or the exception message, which may carry an
    athlete's health answers; the exception type and the code locations find the bug.
    """
    if isinstance(update, Update):
        user = update.effective_user.id if update.effective_user else "-"
        subject = f"update {update.update_id} from user {user}"
    elif update is None:
        subject = "a job or background task"
    else:
        subject = f"a {type(update).__name__}"
    return f"Failed to handle {subject}: {failure(error)}"


async def on_error(update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Log the failure (no health data) and, if a user was talking to us, tell them; no later
    handler group sees the update (the user has been answered, once)."""
    _LOGGER.error(describe_failure(update, context.error))
    if not isinstance(update, Update):
        return
    if update.effective_chat is None:
        raise ApplicationHandlerStop
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
    except TelegramError:
        pass  # the query may be too old or already answered; the message below still helps
    try:
        await context.bot.send_message(chat_id=update.effective_chat.id, text=_(USER_MESSAGE))
    except TelegramError as err:
        _LOGGER.warning(
            "Could not tell chat %s about the failure: %s",
            update.effective_chat.id,
            type(err).__name__,
        )
    raise ApplicationHandlerStop


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Install the error handler on ``application``."""
    application.add_error_handler(on_error)
