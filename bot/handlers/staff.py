"""Helpers the staff handlers share (clinician, admin, invites, reports).

Every staff handler builds the caller from the store (:func:`caller_context`), asks
``bot.services.access`` and, when refused, answers with one neutral sentence and an audit row
(:func:`refuse`). Staff commands stop the update once answered (:func:`stops_update`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.handlers.context import Context, Services, get_services
from bot.services.access import REFUSAL_TEXT, Caller
from bot.services.callers import caller_of
from bot.store.db import session_scope
from bot.store.models import Person
from bot.store.repo.audit import audit
from bot.support.i18n import _, language_for, set_language

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
# Set on an update's context once :func:`refuse` has answered it.
_ANSWERED = "sprintback_refused"


def caller_context(
    session: Session, update: Update, services: Services
) -> tuple[Caller, Person | None]:
    """Return the caller (role, links, admin flag) of ``update`` and their stored person; the
    rest of the update is in the person's language (``bot.support.i18n.language_for``: the one
    they chose, else their Telegram app's)."""
    user = update.effective_user
    telegram_id = user.id if user is not None else 0
    caller, person = caller_of(session, telegram_id, services.settings.admin_telegram_ids)
    if person is not None:
        code = user.language_code if user is not None else None
        set_language(language_for(person.language, person.language_chosen, code))
    return caller, person


async def refuse(
    update: Update,
    context: Context,
    caller: Caller,
    reason: str,
    *,
    command: str,
    athlete_id: int | None = None,
    session: Session | None = None,
) -> None:
    """Audit a refusal and answer with the neutral refusal sentence.

    Pass the handler's open ``session`` if there is one (SQLite allows one writer at a time).
    """
    services = get_services(context)
    command = printable(command)

    def record(s: Session) -> None:
        audit(
            s,
            actor_id=caller.person_id,
            action="refused",
            now=services.clock.now(),
            athlete_id=athlete_id,
            detail={"telegram_id": caller.telegram_id, "command": command, "reason": reason},
        )

    if session is not None:
        record(session)
        session.flush()
    else:
        with session_scope(services.engine) as own:
            record(own)
    _LOGGER.info("refused %s for %s: %s", command, caller.telegram_id, reason)
    # Some refusing handlers let the update go on: no catch-all may answer it a second time.
    setattr(context, _ANSWERED, True)
    if update.callback_query is not None:
        await update.callback_query.answer(_(REFUSAL_TEXT), show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(_(REFUSAL_TEXT))


def refused_already(context: Context) -> bool:
    """Tell whether this update was already answered with the neutral refusal (python-
    telegram-bot gives every handler of one update the same context)."""
    return bool(getattr(context, _ANSWERED, False))


def former_admin(caller: Caller, person: Person | None) -> bool:
    """Tell whether the caller is stored as an admin but is no longer in ADMIN_TELEGRAM_IDS:
    they have no rights left, and are told so (``bot.handlers.admin.former_admin_reply``)."""
    return person is not None and person.role == "admin" and not caller.is_admin


def printable(text: str, limit: int = 32) -> str:
    """Return what may be logged or audited of a command or button name a user sent: its
    printable ASCII characters, at most ``limit`` of them (button data can hold anything)."""
    kept = "".join(ch for ch in text[: limit * 4] if " " <= ch <= "~")
    return kept[:limit] or "-"


def stops_update(handler: Handler) -> Handler:
    """Wrap a handler so that, once it ran, no later handler group sees the update."""

    @functools.wraps(handler)
    async def wrapped(update: Update, context: Context) -> None:
        await handler(update, context)
        raise ApplicationHandlerStop

    return wrapped
