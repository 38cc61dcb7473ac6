"""One outbox row, one Bot API call: a new message, an edit, or a progress chart.

Shared by the sender's drains and by the immediate sending of an update's replies, so both
deliver and classify a row the same way. A failure is never raised: it comes back as a
:class:`~bot.delivery.policy.Verdict` (retry after a 429, back off after a 5xx or a timeout,
unreachable after a 403, dropped after another 400).

Edits: an edit Telegram refuses because the message already reads so ("message is not
modified", a press handled twice) counts as delivered; any other refused edit (the message
is too old, or was deleted) is sent as a new message instead, so the athlete still sees the
question.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from telegram import Bot, InputFile
from telegram.error import BadRequest

from bot.clock import Clock
from bot.delivery.policy import BackoffPolicy, Verdict, classify
from bot.reports.build import build_progress_png
from bot.reports.from_store import ReportUnavailable
from bot.reports.runner import in_worker_thread
from bot.store.db import session_scope
from bot.store.models import PROGRESS_CHART_KIND, REPLY_KIND, Outbox
from bot.store.repo.people import language_of
from bot.support.i18n import use_language

SEND_METHOD = "sendmessage"
_EDIT_METHODS = {"edit_text": "editmessagetext", "edit_markup": "editmessagereplymarkup"}
NOT_MODIFIED = "message is not modified"


@dataclass(frozen=True)
class Claimed:
    """What a sender needs of a claimed outbox row (read once, so no session is held)."""

    id: int
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | str | None
    parse_mode: str | None
    kind: str
    attempts: int
    person_id: int | None
    athlete_id: int | None
    method: str = "send"
    target_message_id: int | None = None
    # The question this message shows (recorded as shown once it is sent).
    progress_id: int | None = None
    step: int | None = None


@dataclass
class Outcome:
    """What became of one row: Telegram's message id, or the verdict on its failure."""

    row: Claimed
    message_id: int | None = None
    verdict: Verdict | None = None


@dataclass
class CallSettings:
    """How rows are sent: the backoff of retries, whether unsolicited messages use Telegram's
    paid broadcasts (``allow_paid_broadcast``), and what the chart needs."""

    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    paid_broadcasts: bool = False
    rng: random.Random = field(default_factory=random.Random)


def snapshot(row: Outbox) -> Claimed:
    """Return what the sender needs of a claimed row."""
    assert row.id is not None
    return Claimed(
        id=row.id,
        chat_id=row.chat_id,
        text=row.text,
        reply_markup=row.reply_markup,
        parse_mode=row.parse_mode,
        kind=row.kind,
        attempts=row.attempts,
        person_id=row.person_id,
        athlete_id=row.athlete_id,
        method=row.method,
        target_message_id=row.target_message_id,
        progress_id=row.progress_id,
        step=row.step,
    )


async def call_telegram(
    bot: Bot, row: Claimed, settings: CallSettings, engine: Engine, clock: Clock
) -> Outcome:
    """Deliver ``row`` with one Bot API call (two when a refused edit becomes a message)."""
    try:
        if row.kind == PROGRESS_CHART_KIND and row.athlete_id is not None:
            return Outcome(row, message_id=await _send_chart(bot, row, engine, clock.now()))
        if row.method in _EDIT_METHODS and row.target_message_id is not None:
            try:
                return Outcome(row, message_id=await _edit(bot, row))
            except BadRequest as exc:
                if NOT_MODIFIED in exc.message.lower():
                    return Outcome(row, message_id=row.target_message_id)
                # Too old to edit, or gone: the athlete still needs to see it.
        return Outcome(row, message_id=await _send(bot, row, settings))
    except Exception as exc:  # every failure is classified and recorded, none is lost
        return Outcome(row, verdict=classify(exc, row.attempts, settings.backoff, settings.rng))


def _message_id(result: Any) -> int | None:
    value = result.get("message_id") if isinstance(result, dict) else None
    return int(value) if isinstance(value, int) else None


async def _send(bot: Bot, row: Claimed, settings: CallSettings) -> int | None:
    api_kwargs: dict[str, Any] = {"chat_id": row.chat_id, "text": row.text}
    if row.parse_mode:
        api_kwargs["parse_mode"] = row.parse_mode
    if row.reply_markup:
        api_kwargs["reply_markup"] = row.reply_markup
    if settings.paid_broadcasts and row.kind != REPLY_KIND:
        api_kwargs["allow_paid_broadcast"] = True
    # The raw call skips building a telegram.Message nobody reads (about half of
    # send_message's CPU time); errors are raised exactly as by send_message. Bot API method
    # names are case-insensitive; the lower-case spelling avoids PTB's warning that
    # Bot.send_message exists (a warning turned error must never drop a message).
    return _message_id(await bot.do_api_request(SEND_METHOD, api_kwargs=api_kwargs))


async def _edit(bot: Bot, row: Claimed) -> int | None:
    api_kwargs: dict[str, Any] = {"chat_id": row.chat_id, "message_id": row.target_message_id}
    if row.reply_markup:
        api_kwargs["reply_markup"] = row.reply_markup
    if row.method == "edit_text":
        api_kwargs["text"] = row.text
    result = await bot.do_api_request(_EDIT_METHODS[row.method], api_kwargs=api_kwargs)
    return _message_id(result) or row.target_message_id


async def _send_chart(bot: Bot, row: Claimed, engine: Engine, now: dt.datetime) -> int | None:
    """Draw the athlete's small progress chart from the store and send it with the row's text
    as caption; with nothing to chart yet, send the text alone."""
    assert row.athlete_id is not None
    try:
        language = await asyncio.to_thread(_language_of, engine, row.person_id)
        with use_language(language):  # the chart's labels, in the reader's language
            png, _ = await in_worker_thread(
                build_progress_png, engine, row.athlete_id, now, small=True
            )
    except ReportUnavailable:
        png = None
    if png is None:
        result = await bot.do_api_request(
            SEND_METHOD, api_kwargs={"chat_id": row.chat_id, "text": row.text}
        )
        return _message_id(result)
    message = await bot.send_photo(
        row.chat_id,
        InputFile(png, filename=f"progress-{row.athlete_id}.png"),
        caption=row.text[:1024],
    )
    return message.message_id


def _language_of(engine: Engine, person_id: int | None) -> str | None:
    """Return the language of the row's reader (None: unknown, English)."""
    if person_id is None:
        return None
    with session_scope(engine, read_only=True) as session:
        return language_of(session, person_id=person_id)
