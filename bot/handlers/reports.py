"""Progress charts and clinician reports in Telegram.

/progress: the athlete's own chart (a clinician or admin adds the athlete's number or name).
/report <number or name>: the PDF report for a linked clinician or an admin; an athlete may
get their own with a bare /report. The "Report" button (``report_button``) does the same from
an alert or the athlete card. Every view and export, and every refusal, is in the audit log.

Updates are handled one at a time, so the handlers only check access and record the audit
row; the chart or PDF is built and drawn in a background task on the render worker threads
and sent when ready, while the bot goes on answering everybody else.

Hooks for other modules (they check access themselves before calling):
- ``report_button(signer, athlete_id=..., for_telegram_id=..., now=...)``: the signed button.
- ``schedule_progress_chart(application, chat_id, athlete_id=..., now=...)``: a small chart
  after a stage change, or the full one on the clinician's athlete card (``small=False``).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine
from sqlmodel import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.handlers.context import SERVICES_KEY, get_services
from bot.reports.chart import render_progress_png
from bot.reports.from_store import ReportUnavailable, progress_data_for, report_data_for
from bot.reports.runner import in_worker_thread
from bot.services import texts
from bot.services.access import Caller, may_act_on_athlete
from bot.services.callback_auth import CallbackRejected, CallbackSigner
from bot.services.digest import install_digest_job
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import Person

_LOGGER = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
AnyApplication = Application[Any, Any, Any, Any, Any, Any]

# The athlete group (bot.handlers.dispatch.ATHLETE_GROUP, checked in register): with the
# athlete commands, before the athlete catch-all, which dispatch registers last.
HANDLER_GROUP = -2
# Athlete data goes to private chats only (dispatch also stops group updates first).
_PRIVATE = filters.ChatType.PRIVATE
ACT_REPORT = "rep_pdf"
FAILED_TEXT = "Sorry, that could not be made just now. Please try again in a minute."
NOTHING_YET = "Nothing to show yet: {reason}."
NO_INJURY = "no injury has been recorded (it is asked at onboarding)"


# --- building (in a worker thread) -----------------------------------------------------------


def _local_today(person: Person | None, now: dt.datetime) -> dt.date:
    try:
        zone = ZoneInfo((person.timezone if person is not None else None) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def build_progress_png(
    engine: Engine, athlete_id: int, now: dt.datetime, *, small: bool = False
) -> tuple[bytes, str]:
    """Read the athlete's history and draw the chart; return (PNG, caption). Blocking: run
    it with ``in_worker_thread``. Raises ReportUnavailable when there is nothing to chart."""
    with session_scope(engine, read_only=True) as session:
        athlete = session.get(Person, athlete_id)
        data = progress_data_for(session, athlete_id=athlete_id, today=_local_today(athlete, now))
    caption = f"{data.athlete_name}: progress up to {data.today or now.date():%d %b %Y}"
    return render_progress_png(data, small=small), caption


def build_report_pdf(
    engine: Engine, athlete_id: int, now: dt.datetime, viewer_id: int | None
) -> tuple[bytes, str, str]:
    """Read the athlete's record and render the PDF with the chart; return (PDF, file name,
    athlete name). Blocking: run it with ``in_worker_thread``."""
    with session_scope(engine, read_only=True) as session:
        viewer = session.get(Person, viewer_id) if viewer_id is not None else None
        athlete = session.get(Person, athlete_id)
        data = report_data_for(session, athlete_id=athlete_id, now=now, viewer=viewer)
        progress = progress_data_for(
            session, athlete_id=athlete_id, today=_local_today(athlete, now)
        )
    # fpdf and matplotlib take about a second to import: loaded with the first report.
    from bot.reports.report_pdf import render_report_pdf

    pdf = render_report_pdf(data, render_progress_png(progress))
    local = _local_today(athlete, now)
    return pdf, f"sprintback-report-{athlete_id}-{local.isoformat()}.pdf", data.athlete_name


# --- sending (public hooks) ------------------------------------------------------------------


async def send_progress_chart(
    bot: Bot,
    chat_id: int,
    *,
    engine: Engine,
    athlete_id: int,
    now: dt.datetime,
    small: bool = True,
    caption: str | None = None,
) -> Message | None:
    """Draw the athlete's chart in a worker thread and send it to ``chat_id`` as a photo.

    The caller has already decided that the chat may see this athlete. Returns the sent
    message, or None when there is nothing to chart yet (no injury recorded).
    """
    try:
        png, default_caption = await in_worker_thread(
            build_progress_png, engine, athlete_id, now, small=small
        )
    except ReportUnavailable:
        return None
    return await bot.send_photo(
        chat_id,
        InputFile(png, filename=f"progress-{athlete_id}.png"),
        caption=(caption or default_caption)[:1024],
    )


def schedule_progress_chart(
    application: AnyApplication,
    chat_id: int,
    *,
    athlete_id: int,
    now: dt.datetime,
    small: bool = True,
    caption: str | None = None,
) -> None:
    """Send the athlete's chart to ``chat_id`` in the background (for a handler or job that
    must not wait for the drawing: e.g. after a stage change, or on /athlete with
    ``small=False``). The caller has already checked access; failures are logged."""
    engine = application.bot_data[SERVICES_KEY].engine

    async def task() -> None:
        try:
            await send_progress_chart(
                application.bot,
                chat_id,
                engine=engine,
                athlete_id=athlete_id,
                now=now,
                small=small,
                caption=caption,
            )
        except Exception:
            _LOGGER.exception("progress chart of athlete %s not sent", athlete_id)

    application.create_task(task(), name=f"progress-chart-{athlete_id}")


def report_button(
    signer: CallbackSigner,
    *,
    athlete_id: int,
    for_telegram_id: int,
    now: dt.datetime,
    text: str = "📄 Report (PDF)",
) -> InlineKeyboardButton:
    """Return a button that sends the athlete's PDF report to ``for_telegram_id`` (signed for
    them only; access is checked again when pressed)."""
    return InlineKeyboardButton(
        text, callback_data=signer.sign(ACT_REPORT, [athlete_id], for_telegram_id, now)
    )


def report_keyboard(
    signer: CallbackSigner, *, athlete_id: int, for_telegram_id: int, now: dt.datetime
) -> InlineKeyboardMarkup:
    """Return a one-button keyboard holding ``report_button``."""
    return InlineKeyboardMarkup(
        [[report_button(signer, athlete_id=athlete_id, for_telegram_id=for_telegram_id, now=now)]]
    )


# --- handlers --------------------------------------------------------------------------------
# The clinician handlers' helpers (caller, refusal, athlete lookup, signer) are imported where
# used, so that modules the clinician handlers import (escalation, the athlete flow) can import
# this one for its hooks without an import cycle.


def _stops_update(
    handler: Callable[[Update, Context], Coroutine[Any, Any, None]],
) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """Wrap a handler so that, once it ran, no later handler group sees the update."""

    @functools.wraps(handler)
    async def wrapped(update: Update, context: Context) -> None:
        await handler(update, context)
        raise ApplicationHandlerStop

    return wrapped


def _background(context: Context, update: Update, job: Coroutine[Any, Any, None]) -> None:
    context.application.create_task(job, update=update)


async def _deliver_chart(
    bot: Bot, chat_id: int, engine: Engine, athlete_id: int, now: dt.datetime
) -> None:
    try:
        await bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
        if (
            await send_progress_chart(
                bot, chat_id, engine=engine, athlete_id=athlete_id, now=now, small=False
            )
            is None
        ):
            await bot.send_message(chat_id, NOTHING_YET.format(reason=NO_INJURY))
    except TelegramError as exc:
        _LOGGER.warning("progress chart for chat %s not sent: %s", chat_id, exc)
    except Exception:
        _LOGGER.exception("progress chart of athlete %s failed", athlete_id)
        await _say(bot, chat_id, FAILED_TEXT)


async def _deliver_report(
    bot: Bot, chat_id: int, engine: Engine, athlete_id: int, now: dt.datetime, viewer_id: int | None
) -> None:
    try:
        await bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
        pdf, filename, name = await in_worker_thread(
            build_report_pdf, engine, athlete_id, now, viewer_id
        )
        await bot.send_document(
            chat_id, InputFile(pdf, filename=filename), caption=f"Report: {name}"[:1024]
        )
    except ReportUnavailable as exc:
        await _say(bot, chat_id, NOTHING_YET.format(reason=exc))
    except TelegramError as exc:
        _LOGGER.warning("report for chat %s not sent: %s", chat_id, exc)
    except Exception:
        _LOGGER.exception("report of athlete %s failed", athlete_id)
        await _say(bot, chat_id, FAILED_TEXT)


async def _say(bot: Bot, chat_id: int, text: str) -> None:
    try:
        await bot.send_message(chat_id, text)
    except TelegramError as exc:
        _LOGGER.warning("could not tell chat %s: %s", chat_id, exc)


async def _target(
    update: Update,
    context: Context,
    session: Session,
    caller: Caller,
    person: Person | None,
    command: str,
) -> int | None:
    """Return the athlete the command is about if the caller may see them; otherwise answer
    (usage, ambiguity or the neutral refusal with an audit row) and return None."""
    from bot.handlers.clinician import refuse, resolve_athlete

    message = update.effective_message
    assert message is not None
    ref = " ".join(context.args or []).strip()
    if not ref:
        if caller.is_athlete and person is not None and person.id is not None:
            return person.id
        if person is None and not caller.is_admin:
            await refuse(
                update, context, caller, "not registered", command=command, session=session
            )
            return None
        await message.reply_text(
            f"Send {command} followed by the athlete's number (from /athletes) or name."
        )
        return None
    athlete, matches = resolve_athlete(session, caller, ref)
    if athlete is None and len(matches) > 1:
        names = ", ".join(f"#{m.id} {m.display_name}" for m in matches)
        await message.reply_text(f"Several athletes match: {names}. Send the number instead.")
        return None
    target = athlete.id if athlete is not None else None
    decision = may_act_on_athlete(caller, target if target is not None else -1, "view")
    if target is None or not decision:
        reason = decision.reason if target is not None else f"no athlete matches {ref!r}"
        await refuse(
            update, context, caller, reason, command=command, athlete_id=target, session=session
        )
        return None
    return target


def _is_redelivery(
    session: Session, update: Update, person: Person | None, now: dt.datetime
) -> bool:
    """Athletes' updates are not marked by the redelivery guard (their flows do it): mark
    this one, and tell whether it was handled before."""
    if person is not None and person.role != "athlete":
        return False
    return not repo.mark_update_processed(session, update_id=update.update_id, now=now)


async def _authorised_athlete(
    update: Update, context: Context, command: str, action: str, what: str
) -> tuple[int, int | None] | None:
    """Resolve whose data ``command`` asks for and check the caller may see it; audit the
    access as ``action``. Return (athlete id, caller's person id), or None when the update
    is a redelivery or was refused (the caller has already been answered)."""
    from bot.handlers.clinician import caller_context

    assert update.effective_message is not None
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        if _is_redelivery(session, update, person, now):
            return None
        if person is None and not caller.is_admin and not context.args:
            await update.effective_message.reply_text(texts.NOT_ONBOARDED)
            return None
        athlete_id = await _target(update, context, session, caller, person, command)
        if athlete_id is None:
            return None
        repo.audit(
            session,
            actor_id=caller.person_id,
            action=action,
            now=now,
            athlete_id=athlete_id,
            detail={"what": what, "telegram_id": caller.telegram_id},
        )
    return athlete_id, caller.person_id


@_stops_update
async def progress_command(update: Update, context: Context) -> None:
    """/progress [athlete]: the progress chart, for the athlete, a linked clinician or an admin."""
    assert update.effective_chat is not None
    target = await _authorised_athlete(update, context, "/progress", "view", "progress_chart")
    if target is None:
        return
    services = get_services(context)
    _background(
        context,
        update,
        _deliver_chart(
            context.bot, update.effective_chat.id, services.engine, target[0], services.clock.now()
        ),
    )


@_stops_update
async def report_command(update: Update, context: Context) -> None:
    """/report <athlete>: the PDF report, for a linked clinician, an admin or the athlete."""
    assert update.effective_message is not None and update.effective_chat is not None
    target = await _authorised_athlete(update, context, "/report", "export", "report_pdf")
    if target is None:
        return
    athlete_id, viewer_id = target
    services = get_services(context)
    await update.effective_message.reply_text("Preparing the report…")
    _background(
        context,
        update,
        _deliver_report(
            context.bot,
            update.effective_chat.id,
            services.engine,
            athlete_id,
            services.clock.now(),
            viewer_id,
        ),
    )


@_stops_update
async def report_pressed(update: Update, context: Context) -> None:
    """A press on a "Report" button: verify it was made for the presser, check access again,
    then send the PDF to the presser's chat."""
    from bot.handlers.clinician import caller_context, refuse, signer_of

    query = update.callback_query
    assert query is not None and query.data is not None
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        caller, _person = caller_context(session, update, services)
        try:
            athlete_id = signer_of(context).verify(query.data, query.from_user.id, now).int_id(0)
        except CallbackRejected as exc:
            await refuse(
                update,
                context,
                caller,
                f"callback: {exc.reason}",
                command=ACT_REPORT,
                session=session,
            )
            return
        decision = may_act_on_athlete(caller, athlete_id, "view")
        if not decision:
            await refuse(
                update,
                context,
                caller,
                decision.reason,
                command=ACT_REPORT,
                athlete_id=athlete_id,
                session=session,
            )
            return
        repo.audit(
            session,
            actor_id=caller.person_id,
            action="export",
            now=now,
            athlete_id=athlete_id,
            detail={"what": "report_pdf", "via": "button", "telegram_id": caller.telegram_id},
        )
    await query.answer("Preparing the report…")
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    _background(
        context,
        update,
        _deliver_report(context.bot, chat_id, services.engine, athlete_id, now, caller.person_id),
    )


def register(application: AnyApplication) -> None:
    """Add /progress, /report and the report button, and the weekly digest job."""
    from bot.handlers.dispatch import ATHLETE_GROUP

    if ATHLETE_GROUP != HANDLER_GROUP:
        raise RuntimeError("bot.handlers.reports must run in the athlete handler group")
    g = HANDLER_GROUP
    application.add_handler(CommandHandler("progress", progress_command, filters=_PRIVATE), group=g)
    application.add_handler(CommandHandler("report", report_command, filters=_PRIVATE), group=g)
    application.add_handler(
        CallbackQueryHandler(report_pressed, pattern=rf"^{ACT_REPORT}:"), group=g
    )
    install_digest_job(application)
