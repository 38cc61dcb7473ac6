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
- :class:`ChosenMenus`: an athlete who chose a language in /settings gets the private-chat menu
  in that language, whatever their app's (a per-chat ``setMyCommands``; removed again if they
  follow their app). It looks at the stored choice at a chat's first update in this process
  and after an answer to the language question (a press on its buttons, or a language's name
  typed), so the menu follows a choice from the athlete's next update on; other updates cost
  nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select
from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    Update,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, TypeHandler

from bot.handlers.groups import LANGUAGE_GROUP
from bot.store.db import session_scope
from bot.store.models import Person
from bot.store.repo.people import set_language as store_language
from bot.support.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    SOURCE_LANGUAGE,
    gettext,
    language_for,
    set_language,
    use_language,
)

_LOGGER = logging.getLogger(__name__)
MenuEntries = Sequence[tuple[str, str]]
CHOSEN_MENUS_KEY = "sprintback.chosen_menus"
# The private-chat (athlete) menu, as set_menu_in_every_language last set it.
_PRIVATE_MENU: list[MenuEntries] = []


@dataclass
class ChosenMenus:
    """The per-chat athlete menus set in a chosen language (see the module docstring)."""

    engine: Engine
    # chat id -> the language of its own menu ("" when it has none: the app's menu applies).
    menus: dict[int, str] = field(default_factory=dict)
    # Chats to look at again on their next update (a button was pressed).
    stale: set[int] = field(default_factory=set)

    async def follow(self, update: Update, bot: Any) -> None:
        """Give the sender's private chat the athlete menu in their chosen language."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or chat.type != ChatType.PRIVATE or not _PRIVATE_MENU:
            return
        if chat.id in self.menus and chat.id not in self.stale:
            if _answers_the_language_question(update):
                self.stale.add(chat.id)  # look at the stored choice at the next update
            return
        self.stale.discard(chat.id)
        wanted = await asyncio.to_thread(self._chosen_language, user.id, user.language_code)
        if wanted is None or self.menus.get(chat.id, "") == wanted:
            self.menus.setdefault(chat.id, "")
            return
        scope = BotCommandScopeChat(chat.id)
        try:
            if wanted:
                await bot.set_my_commands(commands_in(_PRIVATE_MENU[-1], wanted), scope=scope)
            else:
                await bot.delete_my_commands(scope=scope)
        except TelegramError as exc:
            _LOGGER.warning("athlete menu of chat %s not set: %s", chat.id, exc)
            return
        self.menus[chat.id] = wanted

    def _chosen_language(self, telegram_id: int, app_code: str | None) -> str | None:
        """The athlete's chosen language, "" when they follow their app, None when the sender
        is not an athlete (staff menus are set by the invites module). A clinician's or
        admin's stored language follows their app until they choose one, as an athlete's
        does (``athlete_flow``): cards, digests and notices written for them read it."""
        with session_scope(self.engine, read_only=True) as session:
            row = session.exec(
                select(Person.id, Person.role, Person.language, Person.language_chosen).where(
                    Person.telegram_user_id == telegram_id
                )
            ).first()
        if row is None:
            return None
        person_id, role, stored, chosen = row
        if role != "athlete":
            following = language_for(stored, chosen, app_code)
            if person_id is not None and following != stored:
                with session_scope(self.engine) as session:
                    store_language(session, person_id=person_id, language=following, chosen=False)
            return None
        return stored if chosen else ""


_NAMES = {name.casefold() for name in LANGUAGE_NAMES.values()} | set(LANGUAGES)


def _answers_the_language_question(update: Update) -> bool:
    """Whether the update may choose a language: a press on a keyboard offering the languages
    by name, or a language's name typed."""
    query = update.callback_query
    if query is not None:
        message = query.message
        markup = getattr(message, "reply_markup", None) if message is not None else None
        rows = getattr(markup, "inline_keyboard", None) or ()
        labels = {str(button.text).casefold() for row in rows for button in row}
        return len(labels & _NAMES) >= 2
    message = update.effective_message
    typed = message.text if message is not None else None
    return typed is not None and typed.strip().casefold() in _NAMES


async def language_of_sender(update: Update, context: Any) -> None:
    """Set the language of this update to the sender's Telegram language; keep an athlete's
    menu in the language they chose."""
    user = update.effective_user
    set_language(user.language_code if user is not None else None)
    menus = context.bot_data.get(CHOSEN_MENUS_KEY) if context is not None else None
    if isinstance(menus, ChosenMenus):
        try:
            await menus.follow(update, context.bot)
        except Exception:  # a menu is a convenience: it never stops an update
            _LOGGER.exception("athlete menu not followed")


def commands_in(entries: MenuEntries, lang: str) -> list[BotCommand]:
    """Return the menu ``entries`` with their descriptions in ``lang``."""
    with use_language(lang):
        return [BotCommand(name, gettext(description)) for name, description in entries]


async def set_menu_in_every_language(
    bot: Any, entries: MenuEntries, scope: BotCommandScope
) -> None:
    """Set the menu of ``scope`` in English for everyone, and in each other language for the
    people whose Telegram app uses it. The private-chat menu is kept for the athletes who
    choose a language (:class:`ChosenMenus`)."""
    if isinstance(scope, BotCommandScopeAllPrivateChats):
        _PRIVATE_MENU[:] = [tuple(entries)]
    await bot.set_my_commands(commands_in(entries, SOURCE_LANGUAGE), scope=scope)
    for lang in LANGUAGES:
        if lang != SOURCE_LANGUAGE:
            await bot.set_my_commands(commands_in(entries, lang), scope=scope, language_code=lang)


def register(
    application: Application[Any, Any, Any, Any, Any, Any], engine: Engine | None = None
) -> None:
    """Set each update's language first, before any other handler group runs; with a
    database, keep athletes' menus in the language they chose."""
    if engine is not None:
        application.bot_data[CHOSEN_MENUS_KEY] = ChosenMenus(engine)
    application.add_handler(TypeHandler(Update, language_of_sender), group=LANGUAGE_GROUP)
