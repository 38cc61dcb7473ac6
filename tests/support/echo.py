"""A test-only echo bot: the smallest real handlers, to exercise the sandbox and the harness."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.handlers.context import get_services


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


async def _menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data="menu:yes"),
                InlineKeyboardButton("No", callback_data="menu:no"),
            ]
        ]
    )
    await update.effective_message.reply_text("Ready to train?", reply_markup=keyboard)


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer("Noted")
    await query.edit_message_text(f"You chose {query.data.removeprefix('menu:')}.")


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    payload = " ".join(context.args or []) or "(none)"
    await update.effective_message.reply_text(f"started with {payload}")


async def _now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    now = get_services(context).clock.now()
    await update.effective_message.reply_text(f"clock: {now.isoformat()}")


async def _boom(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    raise ValueError("pain 7 hamstring")  # health data that must never reach the log


async def _document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.document is not None
    telegram_file = await message.document.get_file()
    data = await telegram_file.download_as_bytearray()
    await message.reply_text(f"got {message.document.file_name}: {len(data)} bytes")
    await message.reply_document(
        document=bytes(data).upper(), filename="upper.yaml", caption="uppercased"
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the echo bot's handlers."""
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(CommandHandler("menu", _menu))
    application.add_handler(CommandHandler("now", _now))
    application.add_handler(CommandHandler("boom", _boom))
    application.add_handler(CallbackQueryHandler(_pressed, pattern=r"^menu:"))
    application.add_handler(MessageHandler(filters.Document.ALL, _document))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
