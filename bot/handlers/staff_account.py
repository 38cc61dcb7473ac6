"""A staff member's own account: a clinician's /delete.

/delete from a clinician (private chat) asks first, saying what happens, under two buttons
signed for them (🗑 Delete my account / Keep my account); the offer waits in the database as
their confirmation step (``repo.pending_steps``, kind ``confirm``, bound to the message shown),
so a press counts once, only on the latest offer and only while confirmations wait (12 hours).
Delete ends their links, tells their athletes, hands open alerts over and forgets their record,
in one transaction (``bot.services.clinician.leaving``); the message with the buttons then
becomes the final confirmation (an edit of the bot's own message, not an outbox row: the
outbox rows to their chat go with their record). A clinician who is also a current admin is
refused with the reason. A forged or forwarded button gets the neutral refusal; a press that
comes too late, twice, or after the account is gone does nothing and says so. Athletes pass
by (their /delete is the athlete flow's); so does a former admin (``admin.former_admin_reply``).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session
from telegram import BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    filters,
)

from bot.handlers.context import Context, get_services, kick, signer_of
from bot.handlers.groups import STAFF_GROUP
from bot.handlers.staff import caller_context, refuse, stops_update
from bot.services import texts
from bot.services.access import Caller
from bot.services.callback_auth import CallbackExpired, CallbackRejected
from bot.services.clinician import leaving
from bot.store.db import session_scope
from bot.store.models import Person
from bot.store.repo import pending_steps as steps
from bot.store.repo.audit import audit

_LOGGER = logging.getLogger(__name__)

ACT_LEAVE = "acct_del"
ACT_STAY = "acct_keep"
# What the confirmation step holds as its action (other confirmations hold theirs).
_STEP_ACTION = "delete_account"


def _keyboard(context: Context, caller: Caller, person_id: int, now: Any) -> InlineKeyboardMarkup:
    """[🗑 Delete my account] [Keep my account], signed for the clinician who asked."""
    signer = signer_of(context)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    str(leaving.DELETE_BUTTON),
                    callback_data=signer.sign(ACT_LEAVE, [person_id], caller.telegram_id, now),
                ),
                InlineKeyboardButton(
                    str(leaving.KEEP_BUTTON),
                    callback_data=signer.sign(ACT_STAY, [person_id], caller.telegram_id, now),
                ),
            ]
        ]
    )


def _refuse_admin(session: Session, caller: Caller, now: Any, command: str) -> str:
    """Audit the refusal of an admin's /delete; return what they are told."""
    audit(
        session,
        actor_id=caller.person_id,
        action="refused",
        now=now,
        detail={
            "telegram_id": caller.telegram_id,
            "command": command,
            "reason": "delete_account: a current admin",
        },
    )
    return str(leaving.ADMIN_REFUSAL)


async def delete_command(update: Update, context: Context) -> None:
    """/delete from a clinician: what deleting their account does, and the two buttons."""
    message = update.effective_message
    services = get_services(context)
    if message is None or services.engine is None:
        return
    now = services.clock.now()
    refused: str | None = None
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        if caller.is_admin and (person is None or person.role != "athlete"):
            # A current admin (a clinician too, or not): their rights come from the settings.
            refused = _refuse_admin(session, caller, now, "/delete")
        elif person is None or person.id is None or person.role != "clinician":
            return  # an athlete's /delete is theirs; a former admin's, admin's
        else:
            offer = leaving.leaving_offer(session, person)
            person_id = person.id
    if refused is not None:
        await message.reply_text(refused)
        raise ApplicationHandlerStop
    shown = await message.reply_text(
        leaving.offer_text(offer), reply_markup=_keyboard(context, caller, person_id, now)
    )
    # Bound to this message: an older offer's Delete does nothing once a newer one is shown.
    with session_scope(services.engine) as session:
        steps.put_step(
            session,
            telegram_user_id=caller.telegram_id,
            kind=steps.CONFIRM,
            payload={
                "action": _STEP_ACTION,
                "person_id": person_id,
                "message_id": shown.message_id,
            },
            now=now,
        )
    raise ApplicationHandlerStop


def _offer_open(
    session: Session, caller: Caller, person_id: int, message_id: int | None, now: Any
) -> bool:
    """Take the clinician's waiting offer if the press is on it; tell whether it was."""
    step = steps.get_step(session, telegram_user_id=caller.telegram_id, kind=steps.CONFIRM, now=now)
    if (
        step is None
        or step.expired
        or step.payload.get("action") != _STEP_ACTION
        or step.payload.get("person_id") != person_id
        or step.payload.get("message_id") != message_id
    ):
        return False
    # Taken once: of two presses (or two replicas), one finds it gone.
    return (
        steps.take_step(session, telegram_user_id=caller.telegram_id, kind=steps.CONFIRM, now=now)
        is not None
    )


@stops_update
async def account_button(update: Update, context: Context) -> None:
    """Delete or Keep under a clinician's /delete offer."""
    query = update.callback_query
    assert query is not None and query.data is not None
    services = get_services(context)
    now = services.clock.now()
    try:
        press = signer_of(context).verify(query.data, query.from_user.id, now)
        person_id = press.int_id(0)
    except CallbackExpired:
        with session_scope(services.engine, read_only=True) as session:
            caller_context(session, update, services)  # their language
        await query.answer(str(leaving.OFFER_OVER), show_alert=True)
        await _drop_buttons(query)
        return
    except CallbackRejected as exc:
        with session_scope(services.engine, read_only=True) as session:
            caller, _person = caller_context(session, update, services)
        await refuse(update, context, caller, f"callback: {exc.reason}", command=query.data[:12])
        return
    shown_id = query.message.message_id if query.message is not None else None
    outcome = "over"
    reply = str(leaving.OFFER_OVER)
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        if person is None or person.id != person_id or person.role != "clinician":
            # Their account is gone (deleted by the first press) or is another one now: the
            # button does nothing, and leaves no trace of whoever pressed it.
            pass
        elif caller.is_admin:
            outcome, reply = "admin", _refuse_admin(session, caller, now, press.action)
        elif not _offer_open(session, caller, person_id, shown_id, now):
            pass
        elif press.action == ACT_STAY:
            outcome = "kept"
        else:
            left = _leave(session, person, context, now)
            # In the clinician's language, set for this update before their record went.
            outcome, reply = "left", leaving.left_text(left)
    if outcome == "kept":
        await query.answer()
        await _edit(query, context, str(texts.DELETE_KEPT))
        return
    if outcome == "admin":
        # Too long for a pop-up (200 characters): said in the chat, and the offer is over.
        await query.answer()
        await _drop_buttons(query)
        if query.message is not None:
            await context.bot.send_message(query.message.chat.id, reply)
        return
    if outcome != "left":
        await query.answer(reply, show_alert=True)
        await _drop_buttons(query)
        return
    _LOGGER.info("clinician #%s deleted their account", person_id)
    await query.answer()
    await _edit(query, context, reply)
    kick(context)
    if query.message is not None:
        await _drop_menu(context, query.message.chat.id)


def _leave(session: Session, person: Person, context: Context, now: Any) -> leaving.Left:
    services = get_services(context)
    return leaving.leave(
        session, person, now, signer_of(context), services.settings.admin_telegram_ids
    )


async def _edit(query: Any, context: Context, text: str) -> None:
    """Replace the offer by ``text`` (its buttons go); if it can no longer be edited, say it
    in a new message, sent at once (not queued: no outbox row to their chat may stay)."""
    try:
        await query.edit_message_text(text)
        return
    except BadRequest as exc:
        _LOGGER.info("could not edit the /delete offer: %s", exc.message)
    if query.message is not None:
        try:
            await context.bot.send_message(query.message.chat.id, text)
        except TelegramError as exc:
            _LOGGER.warning("could not confirm a clinician's /delete: %s", exc)


async def _drop_buttons(query: Any) -> None:
    """Take buttons that can do nothing any more off their message (already gone: fine)."""
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:
        _LOGGER.info("could not take the /delete buttons off: %s", exc.message)


async def _drop_menu(context: Context, chat_id: int) -> None:
    """Take the clinician's own command menu off their chat: they are a stranger now, who sees
    the menu everyone sees."""
    try:
        await context.bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        _LOGGER.info("could not take a deleted clinician's menu off: %s", exc)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add a clinician's /delete and its Delete / Keep buttons."""
    application.add_handler(
        CommandHandler("delete", delete_command, filters=filters.ChatType.PRIVATE),
        group=STAFF_GROUP,
    )
    application.add_handler(
        CallbackQueryHandler(account_button, pattern=rf"^({ACT_LEAVE}|{ACT_STAY}):"),
        group=STAFF_GROUP,
    )
