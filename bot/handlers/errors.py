"""The last line of defence: log a failed update in one line and tell the user, calmly."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackContext

import bot

_LOGGER = logging.getLogger("bot.errors")
# The folder holding bot/ and engine/: the checkout, or site-packages when installed.
_CODE_ROOT = Path(bot.__file__).resolve().parent.parent
# tests/ and bench/ exist only in a checkout, where their helpers count as ours too.
_OUR_PACKAGES = ("bot", "engine", "tests", "bench")

USER_MESSAGE = "Something went wrong on our side; your answers so far are saved. Please try again."


def describe_failure(update: object, error: BaseException | None) -> str:
    """Return one log line naming the update, the user and where it failed.

    It never includes message text, button data or the exception message, which may carry an
    athlete's health answers; the exception type and the code locations find the bug.
    """
    kind = type(error).__name__ if error is not None else "unknown error"
    if isinstance(update, Update):
        user = update.effective_user.id if update.effective_user else "-"
        subject = f"update {update.update_id} from user {user}"
    elif update is None:
        subject = "a job or background task"
    else:
        subject = f"a {type(update).__name__}"
    return f"Failed to handle {subject}: {kind}{_location(error)}"


def _location(error: BaseException | None) -> str:
    if error is None or error.__traceback__ is None:
        return ""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if _in_project(frame.filename)]
    innermost = frames[-1]
    where = ""
    if ours:
        frame = ours[-1]
        where = f" at {_relative(frame.filename)}:{frame.lineno} in {frame.name}"
    if not ours or ours[-1] is not innermost:
        where += f" (raised in {_relative(innermost.filename)}:{innermost.lineno})"
    return where


def _in_project(path: str) -> bool:
    resolved = Path(path)
    if not resolved.is_relative_to(_CODE_ROOT):
        return False
    return resolved.relative_to(_CODE_ROOT).parts[:1] in [(name,) for name in _OUR_PACKAGES]


def _relative(path: str) -> str:
    resolved = Path(path)
    if _in_project(path):
        return resolved.relative_to(_CODE_ROOT).as_posix()
    if "site-packages" in resolved.parts:
        parts = resolved.parts
        return "/".join(parts[parts.index("site-packages") + 1 :])
    return resolved.name


async def on_error(update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Log the failure (no health data) and, if a user was talking to us, tell them."""
    _LOGGER.error(describe_failure(update, context.error))
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
    except TelegramError:
        pass  # the query may be too old or already answered; the message below still helps
    try:
        await context.bot.send_message(chat_id=update.effective_chat.id, text=USER_MESSAGE)
    except TelegramError as err:
        _LOGGER.warning(
            "Could not tell chat %s about the failure: %s",
            update.effective_chat.id,
            type(err).__name__,
        )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Install the error handler on ``application``."""
    application.add_error_handler(on_error)
