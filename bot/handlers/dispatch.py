"""The athlete's router: every update finds the athlete's open questionnaire in the database.

No conversation state lives in memory, so a restart (or another process) resumes exactly where
the athlete stopped. Athlete handlers run in ``ATHLETE_GROUP`` (before the clinician/admin
group) and stop the update once handled; updates from clinicians and admins pass through.
A redelivered update (same update id) is dropped before any handler sees it.

This module also holds the helpers the other athlete handler modules share.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sqlmodel import Session, select
from telegram import InputFile, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.delivery.reachability import mark_reachable
from bot.delivery.sender import SEND_METHOD
from bot.handlers.context import get_services
from bot.services import texts
from bot.services.athlete import questionnaire as svc
from bot.services.athlete.engine_bridge import notify_nobody
from bot.services.athlete.keyboards import CALLBACK_PATTERN, markup_json, unpack
from bot.services.athlete.questionnaire import Env, Out, Result
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import Person

_LOGGER = logging.getLogger(__name__)

ATHLETE_GROUP = -2
DEDUPE_GROUP = -3
PRIVATE_ONLY_GROUP = -4
PRIVATE_CHAT_ONLY = "Please use me in a private chat."
KNOWN_ATHLETES_KEY = "sprintback.known_athletes"
# Commands other modules answer for athletes too (e.g. /link CODE from the invites module).
PASS_THROUGH_COMMANDS = frozenset({"link"})

Context = ContextTypes.DEFAULT_TYPE
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Flow = Callable[[Session, Person | None, Update, Context, Env], Result | None]


def env_of(context: Context) -> Env:
    """Return the time, the clinician notifier and defaults for this update."""
    from bot.handlers.clinician import alert_notifier_for

    services = get_services(context)
    return Env(
        now=services.clock.now(),
        notify=alert_notifier_for(context),
        default_timezone=services.settings.default_timezone,
    )


def env_of_prompt(ctx: Any) -> Env:
    """Return the Env of a scheduled prompt (prompts never raise alerts)."""
    return Env(now=ctx.now, notify=notify_nobody)


def athlete_flow(flow: Flow) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """Run ``flow`` in one transaction for athletes (and people not yet registered).

    Clinicians and admins pass through to their own handlers; ``flow`` returning None also
    passes. The replies go out after the transaction committed, then the update stops.
    """

    @functools.wraps(flow)
    async def handler(update: Update, context: Context) -> None:
        services = get_services(context)
        user = update.effective_user
        chat = update.effective_chat
        if services.engine is None or user is None or chat is None or chat.type != "private":
            return  # athletes talk to Sprintback in their private chat only
        with session_scope(services.engine) as session:
            person = svc.find_athlete(session, user.id)
            if person is not None and person.role != "athlete":
                return
            known = _known_athletes(context)
            if person is not None:
                known.add(user.id)
            env = env_of(context)
            if not repo.mark_update_processed(session, update_id=update.update_id, now=env.now):
                raise ApplicationHandlerStop  # a redelivery handled since the guard looked
            # They wrote to us, so they can be reached (the unblock update may have been lost).
            noted = (
                person is not None
                and person.unreachable
                and mark_reachable(session, person, env.now)
            )
            result = flow(session, person, update, context, env)
        if noted:
            from bot.handlers.jobs import kick_sender

            kick_sender(context.application)
        if result is None:
            return
        if result.deleted:
            known.discard(user.id)
        await deliver(update, context, result)
        raise ApplicationHandlerStop

    return handler


def _known_athletes(context: Context) -> set[int]:
    """Telegram ids seen as athletes in this process: their updates skip the role lookup of
    the redelivery guard (``athlete_flow`` itself marks them processed)."""
    known: set[int] = context.bot_data.setdefault(KNOWN_ATHLETES_KEY, set())
    return known


async def deliver(update: Update, context: Context, result: Result) -> None:
    """Answer the button press, edit or send the messages, and kick the outbox sender.

    Called once the transaction committed. The press is answered while the pressed message
    is edited (both at once); a failed answer (e.g. the query is too old) is logged and the
    messages still go out; an edit Telegram refuses is sent as a new message instead.
    """
    query = update.callback_query
    outs = list(result.outs)
    first = None
    if outs and result.edit_first and query is not None and query.message is not None:
        first = outs.pop(0)
    if query is not None:
        calls = [_answer_query(context, query.id, result)]
        if first is not None and query.message is not None:
            message = query.message
            calls.append(_edit(context, message.chat.id, message.message_id, first, result))
        answered, *edited = await asyncio.gather(*calls, return_exceptions=True)
        if isinstance(answered, TelegramError):
            _LOGGER.info("could not answer the button press: %s", answered.message)
        elif isinstance(answered, BaseException):
            raise answered
        if edited and isinstance(edited[0], BadRequest):  # e.g. too old to edit: send it
            _LOGGER.info("could not edit message: %s", edited[0].message)
            outs.insert(0, first)  # type: ignore[arg-type]
        elif edited and isinstance(edited[0], BaseException):
            raise edited[0]
    chat = update.effective_chat
    if chat is not None:
        for out in outs:
            await _send(context, chat.id, out)
    if result.queued:
        from bot.handlers.jobs import kick_sender

        kick_sender(context.application)


# Raw Bot API calls (lower-case names: Bot API methods are case-insensitive, and PTB warns
# when a spelling matches one of its own methods): nobody reads the returned objects, and
# building them costs as much as the call; errors are raised exactly as by the PTB methods.
async def _answer_query(context: Context, query_id: str, result: Result) -> None:
    api_kwargs: dict[str, Any] = {"callback_query_id": query_id}
    if result.notice is not None:
        api_kwargs["text"] = result.notice
    if result.alert:
        api_kwargs["show_alert"] = True
    await context.bot.do_api_request("answercallbackquery", api_kwargs=api_kwargs)


async def _edit(context: Context, chat_id: int, message_id: int, out: Out, result: Result) -> None:
    api_kwargs: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id}
    if out.keyboard is not None:
        api_kwargs["reply_markup"] = markup_json(out.keyboard)
    if result.keyboard_only:
        await context.bot.do_api_request("editmessagereplymarkup", api_kwargs=api_kwargs)
        return
    api_kwargs["text"] = out.text
    await context.bot.do_api_request("editmessagetext", api_kwargs=api_kwargs)


async def _send(context: Context, chat_id: int, out: Out) -> None:
    if out.document is not None:
        name, data = out.document
        await context.bot.send_document(
            chat_id, InputFile(data, filename=name), caption=out.text or None
        )
        return
    if out.text:
        api_kwargs: dict[str, Any] = {"chat_id": chat_id, "text": out.text}
        if out.keyboard is not None:
            api_kwargs["reply_markup"] = markup_json(out.keyboard)
        # Raw, as the outbox sender does: nobody reads the sent telegram.Message, and building
        # it is about half of send_message's CPU time; errors are raised the same way. The
        # lower-case method name avoids PTB's "use Bot.send_message" warning.
        await context.bot.do_api_request(SEND_METHOD, api_kwargs=api_kwargs)


def _not_registered() -> Result:
    return Result([Out(texts.NOT_ONBOARDED)])


# --- the routed updates ----------------------------------------------------------------------


def _press(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    query = update.callback_query
    assert query is not None
    pressed = unpack(query.data)
    if person is None or pressed is None:
        return Result(notice=texts.EXPIRED)
    return svc.press(session, person, pressed, env)


def _text(
    session: Session, person: Person | None, update: Update, context: Context, env: Env
) -> Result | None:
    message = update.effective_message
    if person is None:
        return _not_registered()
    assert message is not None and message.text is not None
    return svc.typed(session, person, message.text, env)


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
    if services.engine is None or user is None or user.id in _known_athletes(context):
        return
    with session_scope(services.engine, read_only=True) as session:
        role = session.exec(select(Person.role).where(Person.telegram_user_id == user.id)).first()
    if role is None or role == "athlete":
        return
    with session_scope(services.engine) as session:
        fresh = repo.mark_update_processed(
            session, update_id=update.update_id, now=services.clock.now()
        )
    if not fresh:
        _LOGGER.info("ignored redelivered update %s", update.update_id)
        raise ApplicationHandlerStop


async def private_chats_only(update: Update, context: Context) -> None:
    """Stop every update from a group or channel before any handler sees it.

    Athlete data (cards, charts, reports, answers) may be read only by the athlete, a linked
    clinician or an admin, and anyone in a group could read it there. Nothing is posted in
    the group: a command gets a neutral note in the sender's private chat instead.
    """
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    message = update.effective_message
    user = update.effective_user
    text = message.text if message is not None else None
    if text and text.startswith("/") and user is not None and not user.is_bot:
        try:
            await context.bot.send_message(user.id, PRIVATE_CHAT_ONLY)
        except TelegramError as error:  # they never started the bot: stay silent
            _LOGGER.info("could not send the private-chat note: %s", error.message)
    raise ApplicationHandlerStop


def register(application: AnyApplication) -> None:
    """Add the group-chat guard, the redelivery guard and the athlete's catch-all routes
    (after the commands)."""
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
