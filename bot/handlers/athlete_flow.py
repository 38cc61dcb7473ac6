"""What the athlete handler modules share: one transaction per update, then the replies.

:func:`athlete_flow` wraps a flow of ``bot.services.athlete`` (a function of the session, the
athlete and the update that returns a :class:`~bot.services.athlete.results.Result`). On a
database worker thread (``bot.store.threads``: a row lock never stalls the event loop) it
finds the athlete, drops a redelivered update, runs the flow and writes the replies to the
outbox, all in one transaction: an answer is stored if and only if its reply is queued.
Once that has committed, the replies (claimed for this process in that transaction) go out
at once, in order, and are recorded with the update's "done" mark (:func:`deliver`); one that
fails waits in the outbox for the sender's retries, so the athlete is never asked to repeat
something already saved. Clinicians and admins pass through to their own handlers.

When the transaction meets another process's row lock (the database's lock timeout), or the
athlete typed while the open question was being sent, the update is tried again a moment
later in its chat's turn (``bot.inbox``) instead of failing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any

from sqlmodel import Session
from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.delivery.calls import Claimed
from bot.delivery.reachability import mark_reachable
from bot.handlers.context import (
    Context,
    alert_notifier_for,
    get_services,
    inbox_of,
    kick_sender,
    sender_for,
)
from bot.inbox.store import Inbox
from bot.scheduling.registry import PromptContext
from bot.services.athlete import questionnaire as svc
from bot.services.athlete.keyboards import markup_json
from bot.services.athlete.results import AnswerNotShownYet, Env, Out, Result
from bot.store import repo
from bot.store.db import is_retryable, session_scope
from bot.store.models import REPLY_KIND, Person
from bot.store.repo.messaging import queue_replies
from bot.store.threads import run_db
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


def env_of_prompt(ctx: PromptContext) -> Env:
    """Return the Env of a scheduled prompt. Opening its questionnaire may complete another
    whose answers recorded a warning sign (``svc.said_on_closing``): the alert goes to the
    linked clinicians in the prompt's transaction, as an update's would (the scheduler's
    notifier, ``bot.handlers.jobs.build_scheduler``)."""
    return Env(now=ctx.now, notify=ctx.notify_clinicians)


def queue_prompt(ctx: PromptContext, question: Out | None) -> None:
    """Queue a prompt's question, after what opening it said first: a questionnaire it closed
    may have recorded a warning sign (``svc.said_on_closing``), a stop the athlete reads before
    any question. The question keeps part 0 (a late prompt's note opens it)."""
    for part, out in enumerate(svc.said_on_closing(ctx.session, ctx.athlete).outs, start=1):
        markup = out.keyboard.to_dict() if out.keyboard is not None else None
        ctx.enqueue(out.text, reply_markup=markup, part=part)
    if question is None:
        return
    markup = question.keyboard.to_dict() if question.keyboard is not None else None
    ctx.enqueue(
        question.text, reply_markup=markup, progress_id=question.progress_id, step=question.step
    )


@dataclass
class Handled:
    """What an athlete update's transaction did."""

    passed: bool = False  # not for the athlete flows (another handler answers it)
    redelivered: bool = False
    noted: bool = False  # a reachability note was queued for the clinicians
    athlete: bool = False
    result: Result | None = None
    # The replies queued in the outbox, in order, and whether they are claimed for us.
    replies: list[Claimed] = field(default_factory=list)
    claimed: bool = False


def athlete_flow(flow: Flow) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """Run ``flow`` in one transaction for athletes (and people not yet registered).

    Clinicians and admins pass through to their own handlers; ``flow`` returning None also
    passes. The replies go out once the transaction committed, then the update stops.
    """

    @functools.wraps(flow)
    async def handler(update: Update, context: Context) -> None:
        services = get_services(context)
        user = update.effective_user
        chat = update.effective_chat
        if services.engine is None or user is None or chat is None or chat.type != "private":
            return  # athletes talk to Sprintback in their private chat only
        inbox = inbox_of(context)
        sender = sender_for(context.application)
        worker = sender.worker if sender is not None else "replies"
        env = env_of(context)
        env.user_name = user.full_name
        message = update.message
        env.message_id = message.message_id if message is not None else None
        env.may_wait = inbox is not None and inbox.may_retry(update.update_id)
        try:
            handled = await run_db(
                _transaction, services.engine, flow, update, context, env, worker
            )
        except AnswerNotShownYet:
            _LOGGER.info("update %s: its question is being sent; trying again", update.update_id)
            _retry_later(inbox, update)
            raise ApplicationHandlerStop from None
        except Exception as error:
            if is_retryable(error) and inbox is not None and inbox.may_retry(update.update_id):
                _LOGGER.info("update %s met a lock; trying again shortly", update.update_id)
                _retry_later(inbox, update)
                raise ApplicationHandlerStop from None
            raise
        if inbox is not None:
            # Its transaction wrote its inbox row: a poll may confirm it to Telegram now.
            inbox.committed(update.update_id)
        if handled.redelivered:
            raise ApplicationHandlerStop
        known = known_athletes(context)
        if handled.athlete:
            known.add(user.id)
        if handled.noted:
            kick_sender(context.application)
        if handled.passed or handled.result is None:
            return
        if handled.result.deleted:
            known.discard(user.id)
        await deliver(update, context, handled, inbox)
        raise ApplicationHandlerStop

    return handler


def then_open_question(flow: Flow) -> Flow:
    """Run a command that only shows something (/plan, /status, /history, /help, /start once
    set up), then ask the open question again, if one is open and the reply does not show it:
    its buttons have scrolled up out of sight, and the athlete would not know their check-in
    still waits for them."""

    def wrapped(
        session: Session, person: Person | None, update: Update, context: Context, env: Env
    ) -> Result | None:
        result = flow(session, person, update, context, env)
        if result is None or person is None or not result.outs:
            return result
        if any(out.progress_id is not None for out in result.outs):
            return result  # it shows a question already
        question = svc.current_question(session, person, env)
        if question is None:
            return result
        return replace(result, outs=[*result.outs, question])

    wrapped.__name__ = getattr(flow, "__name__", "flow")
    return wrapped


def follow_app_language(session: Session, person: Person, telegram_code: str | None) -> None:
    """Write the rest of the update in the athlete's language: the one they chose, else their
    Telegram app's, which is stored when it changed (texts built outside an update, such as
    scheduled prompts, follow it too)."""
    language = set_language(language_for(person.language, person.language_chosen, telegram_code))
    if language != person.language:
        repo.set_language(session, person_id=person.id or 0, language=language, chosen=False)


def _retry_later(inbox: Inbox | None, update: Update) -> None:
    assert inbox is not None
    inbox.request_retry(update.update_id)


def _transaction(
    engine: Any, flow: Flow, update: Update, context: Context, env: Env, worker: str
) -> Handled:
    """The update's transaction (on a database thread): see the module docstring."""
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    with session_scope(engine) as session:
        person = svc.find_athlete(session, user.id)
        if person is not None and person.role != "athlete":
            return Handled(passed=True)
        handled = Handled(athlete=person is not None)
        if person is not None:
            follow_app_language(session, person, user.language_code)
        if not repo.mark_update_processed(
            session, update_id=update.update_id, now=env.now, worker=worker
        ):
            return Handled(redelivered=True)
        # They wrote to us, so they can be reached (the unblock update may have been lost).
        handled.noted = bool(
            person is not None and person.unreachable and mark_reachable(session, person, env.now)
        )
        result = flow(session, person, update, context, env)
        # Opening questions may have closed another questionnaire whose answers called for
        # review (a warning sign ticked and never confirmed): the stop it recorded comes first.
        said = svc.said_on_closing(session, person) if person is not None else Result()
        if result is None and not said.outs:
            handled.passed = True
            return handled
        result = (result or Result()).said_first(said)
        handled.result = result
        rows = _reply_rows(update, result, person)
        ids, handled.claimed = queue_replies(
            session, [db for db, _ in rows], chat_id=chat.id, now=env.now, worker=worker
        )
        handled.replies = [
            Claimed(
                id=row_id,
                chat_id=chat.id,
                text=db["text"],
                reply_markup=markup,
                parse_mode=None,
                kind=REPLY_KIND,
                attempts=1,
                person_id=db["person_id"],
                athlete_id=db["athlete_id"],
                method=db["method"],
                target_message_id=db["target_message_id"],
                progress_id=db["progress_id"],
                step=db["step"],
            )
            for row_id, (db, markup) in zip(ids, rows, strict=True)
        ]
    return handled


def _reply_rows(
    update: Update, result: Result, person: Person | None
) -> list[tuple[dict[str, Any], str | None]]:
    """Return the outbox rows of ``result``'s messages (files excepted), each with the JSON of
    its buttons for the immediate send: the first one edits the pressed message when the
    result says so."""
    query = update.callback_query
    # After a deletion the person is gone: the farewell names nobody.
    person_id = person.id if person is not None and not result.deleted else None
    athlete_id = person_id if person is not None and person.role == "athlete" else None
    rows: list[tuple[dict[str, Any], str | None]] = []
    for index, out in enumerate(result.outs):
        if out.document is not None:
            continue
        method, target = "send", None
        if index == 0 and result.edit_first and query is not None and query.message is not None:
            method = "edit_markup" if result.keyboard_only else "edit_text"
            target = query.message.message_id
        elif not out.text:
            continue
        keyboard = out.keyboard
        rows.append(
            (
                {
                    "text": out.text,
                    "reply_markup": keyboard.to_dict() if keyboard is not None else None,
                    "kind": REPLY_KIND,
                    "method": method,
                    "target_message_id": target,
                    "progress_id": out.progress_id,
                    "step": out.step,
                    "person_id": person_id,
                    "athlete_id": athlete_id,
                },
                markup_json(keyboard) if keyboard is not None else None,
            )
        )
    return rows


def known_athletes(context: Context) -> set[int]:
    """Telegram ids seen as athletes in this process: their updates skip the role lookup of
    the redelivery guard (``athlete_flow`` itself marks them processed)."""
    known: set[int] = context.bot_data.setdefault(KNOWN_ATHLETES_KEY, set())
    return known


async def deliver(update: Update, context: Context, handled: Handled, inbox: Inbox | None) -> None:
    """Answer the button press and send the replies, once the transaction committed.

    The press is answered while the replies go out (a failed answer, e.g. the query is too
    old, is logged). Replies claimed for this process are sent now, in order; recording them
    (with the update's "done" mark) is left to run right after, in the chat's turn
    (``Inbox.defer``), so the athlete's wait ends with the reply. What could not go out now
    is left to the outbox sender, which is kicked. Files (an export) are sent directly after
    the messages.
    """
    result = handled.result
    assert result is not None
    query = update.callback_query
    answering = None
    if query is not None:
        answering = asyncio.ensure_future(_answer_query(context, query.id, result))
    sender = sender_for(context.application)
    left_over = bool(handled.replies) and not handled.claimed
    if handled.replies and handled.claimed and sender is not None:
        rows = handled.replies
        outcomes = await sender.send_now(rows)
        failed = len(outcomes) < len(rows) or outcomes[-1].verdict is not None
        left_over = left_over or failed
        update_id = update.update_id
        tracked = inbox is not None and inbox.tracks(update_id)
        chat_id = rows[0].chat_id

        def finish(session: Session) -> None:
            if tracked and inbox is not None:
                inbox.mark_done(session, [update_id], [chat_id])

        async def record() -> None:
            assert sender is not None
            recorded = await sender.record_replies(rows, outcomes, finish=finish)
            if recorded.notices:
                kick_sender(context.application)

        if tracked and inbox is not None:
            inbox.defer(update_id, record)
        else:
            await record()
    chat = update.effective_chat
    if chat is not None:
        for out in result.outs:
            if out.document is not None:
                await _send_document(context, chat.id, out)
    if answering is not None:
        try:
            await answering
        except TelegramError as error:
            _LOGGER.info("could not answer the button press: %s", error.message)
    if left_over or result.queued:
        kick_sender(context.application)


# Raw Bot API call (lower-case name: Bot API methods are case-insensitive, and PTB warns when
# a spelling matches one of its own methods): nobody reads the returned object, and building
# it costs as much as the call; errors are raised exactly as by the PTB method.
async def _answer_query(context: Context, query_id: str, result: Result) -> None:
    api_kwargs: dict[str, Any] = {"callback_query_id": query_id}
    if result.notice is not None:
        api_kwargs["text"] = result.notice
    if result.alert:
        api_kwargs["show_alert"] = True
    await context.bot.do_api_request("answercallbackquery", api_kwargs=api_kwargs)


async def _send_document(context: Context, chat_id: int, out: Out) -> None:
    assert out.document is not None
    name, data = out.document
    await context.bot.send_document(
        chat_id, InputFile(data, filename=name), caption=out.text or None
    )
