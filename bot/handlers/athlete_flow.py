"""What the athlete handler modules share: one transaction per update, then the replies.

:func:`athlete_flow` wraps a flow of ``bot.services.athlete`` (a function of the session, the
athlete and the update that returns a :class:`~bot.services.athlete.results.Result`): it finds
the athlete, drops a redelivered update, runs the flow in one transaction and, once that has
committed, sends what the result says (:func:`deliver`) and kicks the outbox sender.
Clinicians and admins pass through to their own handlers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from sqlmodel import Session
from telegram import InputFile, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.delivery.reachability import mark_reachable
from bot.delivery.sender import SEND_METHOD
from bot.handlers.context import Context, alert_notifier_for, get_services, kick_sender
from bot.services.athlete import questionnaire as svc
from bot.services.athlete.engine_bridge import notify_nobody
from bot.services.athlete.keyboards import markup_json
from bot.services.athlete.results import Env, Out, Result
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import Person
from bot.support.i18n import language_for, set_language

_LOGGER = logging.getLogger(__name__)

KNOWN_ATHLETES_KEY = "sprintback.known_athletes"

Flow = Callable[[Session, Person | None, Update, Context, Env], Result | None]


def env_of(context: Context) -> Env:
    """Return the time, the clinician notifier and defaults for this update."""
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
            known = known_athletes(context)
            if person is not None:
                known.add(user.id)
                follow_app_language(session, person, user.language_code)
            env = replace(env_of(context), user_name=user.full_name)
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
            kick_sender(context.application)
        if result is None:
            return
        if result.deleted:
            known.discard(user.id)
        await deliver(update, context, result)
        raise ApplicationHandlerStop

    return handler


def follow_app_language(session: Session, person: Person, telegram_code: str | None) -> None:
    """Write the rest of the update in the athlete's language: the one they chose, else their
    Telegram app's, which is stored when it changed (texts built outside an update, such as
    scheduled prompts, follow it too)."""
    language = set_language(language_for(person.language, person.language_chosen, telegram_code))
    if language != person.language:
        repo.set_language(session, person_id=person.id or 0, language=language, chosen=False)


def known_athletes(context: Context) -> set[int]:
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
