"""Someone unblocks (or restarts) the bot in their private chat: they can be reached again;
and a button pressed in a group chat is answered with where Sprintback works.

Telegram sends a ``my_chat_member`` update when a user blocks the bot (status ``kicked``) or
unblocks it (``member``). Blocking needs no action here: the next message to them fails with
403 and the sender marks them unreachable and tells their clinician. Unblocking clears that
mark at once (see ``bot.delivery.reachability``).

Sprintback works in private chats only (``bot.handlers.dispatch.private_chats_only`` stops
every group update). A press on a button in a group would then never be answered and the
presser's button would spin: it is answered, in the presser's language, with the same short
note a command sent in a group gets, and nothing is posted in the group.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    ChatMemberHandler,
    ContextTypes,
)

from bot.delivery.reachability import mark_reachable
from bot.handlers.context import get_services, kick_sender
from bot.handlers.groups import PRIVATE_ONLY_GROUP
from bot.store.db import session_scope
from bot.store.repo.people import get_person_by_telegram_id
from bot.support.i18n import L_

_LOGGER = logging.getLogger(__name__)

# The note a command sent in a group gets in the sender's private chat (the same words).
PRIVATE_CHAT_ONLY = L_("Please use me in a private chat.")


async def bot_unblocked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Clear the unreachable mark of a person who unblocked the bot in their private chat."""
    change = update.my_chat_member
    services = get_services(context)
    if change is None or services.engine is None or change.chat.type != ChatType.PRIVATE:
        return
    if change.new_chat_member.status != ChatMember.MEMBER:
        return
    with session_scope(services.engine) as session:
        person = get_person_by_telegram_id(session, telegram_user_id=change.from_user.id)
        queued = mark_reachable(session, person, services.clock.now()) if person else 0
    if queued:
        kick_sender(context.application)


class _PressInAGroup(BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]):
    """Takes a button press made in a group, a supergroup or a channel, and nothing else."""

    def check_update(self, update: object) -> bool:
        """Whether ``update`` is a button press on a message in a chat that is not private."""
        if not isinstance(update, Update) or update.callback_query is None:
            return False
        chat = update.effective_chat
        return chat is not None and chat.type != ChatType.PRIVATE


async def answer_press_in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button pressed in a group with where Sprintback works (the presser alone
    reads it; nothing is posted in the group), then stop the update: no handler acts on it."""
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(str(PRIVATE_CHAT_ONLY))
        except TelegramError as error:  # too old to answer: nothing is waiting any more
            _LOGGER.info("could not answer a press in a group: %s", error.message)
    raise ApplicationHandlerStop


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Listen for the bot being unblocked in private chats; answer a button pressed in a
    group (before the group-chat guard of ``dispatch``, registered after this module, stops
    the update unanswered)."""
    application.add_handler(_PressInAGroup(answer_press_in_group), group=PRIVATE_ONLY_GROUP)
    application.add_handler(ChatMemberHandler(bot_unblocked, ChatMemberHandler.MY_CHAT_MEMBER))
