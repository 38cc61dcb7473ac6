"""Someone unblocks (or restarts) the bot in their private chat: they can be reached again.

Telegram sends a ``my_chat_member`` update when a user blocks the bot (status ``kicked``) or
unblocks it (``member``). Blocking needs no action here: the next message to them fails with
403 and the sender marks them unreachable and tells their clinician. Unblocking clears that
mark at once (see ``bot.delivery.reachability``).
"""

from __future__ import annotations

from typing import Any

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.ext import Application, ChatMemberHandler, ContextTypes

from bot.delivery.reachability import mark_reachable
from bot.handlers.context import get_services, kick_sender
from bot.store.db import session_scope
from bot.store.repo.people import get_person_by_telegram_id


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


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Listen for the bot being unblocked in private chats."""
    application.add_handler(ChatMemberHandler(bot_unblocked, ChatMemberHandler.MY_CHAT_MEMBER))
