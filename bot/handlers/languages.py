"""The language of each update, and command menus in every language.

- :func:`register` (called by ``bot.app`` for every bot, whatever handler modules it runs)
  adds, before every other handler, one that sets the language of the update to the sender's
  Telegram ``language_code`` (English when Sprintback does not speak it). The handlers that
  read the stored person then set theirs (``athlete_flow``, ``staff.caller_context``). Updates
  are handled one after the other in one task, so every update must set it afresh: that is
  what this first handler guarantees.
- :func:`commands_in` builds a command menu in one language from (command, English
  description) entries whose descriptions are marked for the catalogue with ``N_``;
  :func:`set_menu_in_every_language` sets a menu for a scope once per language (Telegram shows
  each person the one of their app's language, the default one when there is none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import BotCommand, BotCommandScope, Update
from telegram.ext import Application, TypeHandler

from bot.handlers.groups import LANGUAGE_GROUP
from bot.support.i18n import LANGUAGES, SOURCE_LANGUAGE, gettext, set_language, use_language

MenuEntries = Sequence[tuple[str, str]]


async def language_of_sender(update: Update, _context: Any) -> None:
    """Set the language of this update to the sender's Telegram language."""
    user = update.effective_user
    set_language(user.language_code if user is not None else None)


def commands_in(entries: MenuEntries, lang: str) -> list[BotCommand]:
    """Return the menu ``entries`` with their descriptions in ``lang``."""
    with use_language(lang):
        return [BotCommand(name, gettext(description)) for name, description in entries]


async def set_menu_in_every_language(
    bot: Any, entries: MenuEntries, scope: BotCommandScope
) -> None:
    """Set the menu of ``scope`` in English for everyone, and in each other language for the
    people whose Telegram app uses it."""
    await bot.set_my_commands(commands_in(entries, SOURCE_LANGUAGE), scope=scope)
    for lang in LANGUAGES:
        if lang != SOURCE_LANGUAGE:
            await bot.set_my_commands(commands_in(entries, lang), scope=scope, language_code=lang)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Set each update's language first, before any other handler group runs."""
    application.add_handler(TypeHandler(Update, language_of_sender), group=LANGUAGE_GROUP)
