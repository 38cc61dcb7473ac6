"""The athlete's router: every update finds the athlete's open questionnaire in the database.

No conversation state lives in memory, so a restart (or another process) resumes exactly where
the athlete stopped. Athlete handlers run in ``ATHLETE_GROUP`` (before the clinician/admin
group) and stop the update once handled; updates from clinicians and admins pass through.
A redelivered update (same update id) is dropped before any handler sees it.
The transaction-per-update wrapper the athlete handler modules share is in
``bot.handlers.athlete_flow``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlmodel import Session, select
from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.handlers.athlete_flow import athlete_flow, known_athletes
from bot.handlers.context import Context, get_services
from bot.handlers.groups import ATHLETE_GROUP, DEDUPE_GROUP, FALLBACK_GROUP, PRIVATE_ONLY_GROUP
from bot.handlers.staff import printable
from bot.services import texts
from bot.services.athlete import questionnaire as svc
from bot.services.athlete.keyboards import CALLBACK_PATTERN, unpack
from bot.services.athlete.results import Env, Out, Result
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import Person
from bot.store.threads import run_db
from bot.support.i18n import L_, text

_LOGGER = logging.getLogger(__name__)

PRIVATE_CHAT_ONLY = L_("Please use me in a private chat.")
UNKNOWN_BUTTON = L_(
    "This button does nothing here (it may be old). Send /help to see what you can do."
)
# Commands other modules answer for athletes too (e.g. /link CODE from the invites module).
PASS_THROUGH_COMMANDS = frozenset({"link"})

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def _not_registered() -> Result:
    return Result([Out(texts.NOT_ONBOARDED)])


def _audit_refusal(
    session: Session,
    person: Person | None,
    telegram_id: int | None,
    now: dt.datetime,
    *,
    command: str,
    reason: str,
    **extra: Any,
) -> None:
    """Audit a refusal of ``command`` for ``reason`` (with ``extra`` facts, never content)."""
    repo.audit(
        session,
        actor_id=person.id if person is not None else None,
        action="refused",
        now=now,
        detail={"telegram_id": telegram_id, "command": command, "reason": reason, **extra},
    )


# --- the routed updates ----------------------------------------------------------------------


def _press(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    query = update.callback_query
    assert query is not None
    pressed = unpack(query.data)
    if pressed is None:  # the pattern matched, the data is not one of our buttons: crafted
        _audit_refusal(
            session,
            person,
            query.from_user.id,
            env.now,
            command="button",
            reason="malformed questionnaire button",
            data_length=len(query.data or ""),
        )
    if person is None or pressed is None:
        return Result(notice=text(texts.EXPIRED))
    return svc.press(session, person, pressed, env)


def _text(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    message = update.effective_message
    if person is None:
        return _not_registered()
    assert message is not None and message.text is not None
    if message.forward_origin is not None:
        return svc.forwarded(session, person, message.text, env)
    return svc.typed(session, person, message.text, env, sent_at=message.date)


def _edited(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    if person is None:
        return None  # a stranger's edit: nothing to say, as to any other edit
    return svc.edited(session, person, env)


def _location(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    message = update.effective_message
    if person is None:
        return _not_registered()
    assert message is not None and message.location is not None
    return svc.location(session, person, message.location.latitude, message.location.longitude, env)


def _unknown_command(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    name = text.split()[0].lstrip("/").split("@")[0].lower() if text else ""
    if name in PASS_THROUGH_COMMANDS or (name == "start"):
        return None
    if person is None:
        return _not_registered()
    question = svc.current_question(session, person, env)
    return Result([Out(texts.UNKNOWN_COMMAND), *([question] if question else [])])


def _other(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    message = update.effective_message
    if message is not None and message.document is not None:
        # Only admins upload files (protocols): an athlete's or a stranger's upload is refused,
        # and audited like every refusal (its size and type, never its name or content).
        _audit_refusal(
            session,
            person,
            message.from_user.id if message.from_user else None,
            env.now,
            command="upload",
            reason="uploads are for admins" if person else "not registered",
            bytes=message.document.file_size,
            mime_type=printable(message.document.mime_type or ""),
        )
    if person is None:
        return _not_registered()
    return svc.other_content(session, person, env)


async def drop_redelivered(update: Update, context: Context) -> None:
    """Stop an update whose id was already processed (Telegram redelivers after timeouts).

    An athlete's (or newcomer's) update is marked processed by ``athlete_flow`` in the
    transaction that stores its effects, so a rolled-back update is handled again; a
    clinician's or admin's update is marked here, before their handlers run.
    """
    services = get_services(context)
    user = update.effective_user
    if services.engine is None or user is None or user.id in known_athletes(context):
        return

    def mark() -> bool:
        with session_scope(services.engine) as session:
            role = session.exec(
                select(Person.role).where(Person.telegram_user_id == user.id)
            ).first()
            if role is None or role == "athlete":
                return True
            return repo.mark_update_processed(
                session, update_id=update.update_id, now=services.clock.now()
            )

    fresh = await run_db(mark)
    if not fresh:
        _LOGGER.info("ignored redelivered update %s", update.update_id)
        raise ApplicationHandlerStop


# What the bot asks Telegram for (polling and webhook): the kinds of update a handler takes
# (messages, button presses, being blocked or unblocked), and nothing else. Not, above all,
# Business or guest messages: a chat with a third person, who would read the bot's answer.
# Edited messages too: an athlete who corrects a typed answer by editing it is told that the
# edit changes nothing, and how to change the answer (``_edited_message``); no handler ever
# reads an edit as a message or a command.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]


def _not_for_us(update: Update) -> bool:
    """Whether the update is of a kind the bot does not ask for (a test harness, or Telegram
    before the bot's allowed updates took effect, may still deliver one) or comes through a
    Business connection."""
    if (
        update.message is None
        and update.edited_message is None
        and update.callback_query is None
        and update.my_chat_member is None
    ):
        return True
    message = update.effective_message
    return message is not None and bool(getattr(message, "business_connection_id", None))


async def private_chats_only(update: Update, context: Context) -> None:
    """Stop every update from a group, a channel or a Business chat (and any kind of update
    the bot does not ask for) before any handler sees it.

    Athlete data (cards, charts, reports, answers) may be read only by the athlete, a linked
    clinician or an admin, and anyone in a group could read it there. Nothing is posted in
    the group: a command gets a neutral note in the sender's private chat instead. A Business
    chat looks private but is a conversation with a third person, who would read the answer:
    it is dropped without a word (the bot does not ask Telegram for these updates either).
    """
    if _not_for_us(update):
        raise ApplicationHandlerStop
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        if update.edited_message is not None:
            await _edited_message(update, context)
        return
    message = update.effective_message
    user = update.effective_user
    text = message.text if message is not None else None
    edit = update.edited_message is not None  # answered once, when first sent
    if text and text.startswith("/") and user is not None and not user.is_bot and not edit:
        try:
            await context.bot.send_message(user.id, str(PRIVATE_CHAT_ONLY))
        except TelegramError as error:  # they never started the bot: stay silent
            _LOGGER.info("could not send the private-chat note: %s", error.message)
    raise ApplicationHandlerStop


_answer_edit = athlete_flow(_edited)


async def _edited_message(update: Update, context: Context) -> None:
    """An edited message in a private chat: an athlete is told the edit changes nothing (and
    how to change an answer); nobody's edit reaches another handler (python-telegram-bot's
    command handlers take edited messages too: an edited "/checkin" must not run it again)."""
    await _answer_edit(update, context)  # stops the update once the athlete is answered
    raise ApplicationHandlerStop


def _no_data_only(_data: object) -> bool:
    """A pattern no button data matches: the handler then takes only presses without data."""
    return False


async def answer_any_button(update: Update, context: Context) -> None:
    """Answer a button press no handler took, so the client's spinner stops: data matching
    no button (crafted, or from a keyboard of an older version), or a questionnaire button
    pressed by someone it is not for. The refusal is audited (the data's length, never the
    data itself)."""
    query = update.callback_query
    if query is None:
        return
    services = get_services(context)
    user = update.effective_user
    telegram_id = user.id if user is not None else 0
    if services.engine is not None:
        with session_scope(services.engine) as session:
            person = repo.get_person_by_telegram_id(session, telegram_user_id=telegram_id)
            _audit_refusal(
                session,
                person,
                telegram_id,
                services.clock.now(),
                command="button",
                reason="no handler takes this button",
                data_length=len(query.data or ""),
            )
    _LOGGER.info("answered an unhandled button press from %s", telegram_id)
    try:
        await query.answer(str(UNKNOWN_BUTTON))
    except TelegramError as error:  # too old to answer: nothing is waiting any more
        _LOGGER.info("could not answer the button press: %s", error.message)
    raise ApplicationHandlerStop


def register(application: AnyApplication) -> None:
    """Add the group-chat guard, the redelivery guard, the athlete's catch-all routes (after
    the commands) and, last of all, the answer to any button press nobody took."""
    # A press without data matches every pattern of python-telegram-bot's CallbackQueryHandler
    # (it only tests patterns against non-empty data): answer it here, before any of them.
    application.add_handler(
        CallbackQueryHandler(answer_any_button, pattern=_no_data_only), group=PRIVATE_ONLY_GROUP
    )
    application.add_handler(TypeHandler(Update, private_chats_only), group=PRIVATE_ONLY_GROUP)
    application.add_handler(TypeHandler(Update, drop_redelivered), group=DEDUPE_GROUP)
    g = ATHLETE_GROUP
    new = ~filters.UpdateType.EDITED
    application.add_handler(
        CallbackQueryHandler(athlete_flow(_press), pattern=CALLBACK_PATTERN), group=g
    )
    application.add_handler(
        MessageHandler(new & filters.LOCATION, athlete_flow(_location)), group=g
    )
    application.add_handler(
        MessageHandler(new & filters.TEXT & ~filters.COMMAND, athlete_flow(_text)), group=g
    )
    application.add_handler(
        MessageHandler(new & filters.COMMAND, athlete_flow(_unknown_command)), group=g
    )
    application.add_handler(
        MessageHandler(
            new & filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            athlete_flow(_other),
        ),
        group=g,
    )
    application.add_handler(CallbackQueryHandler(answer_any_button), group=FALLBACK_GROUP)
