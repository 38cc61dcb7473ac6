"""Progress charts and clinician reports in Telegram.

/progress: the athlete's own chart (a clinician or admin adds the athlete's number or name).
/report <number or name>: the PDF report for a linked clinician or an admin; an athlete gets
their own with a bare /report (or followed by their own name or number; other words are told
how to ask). A stranger is asked to set up first, whatever follows. The "Report" button
(``report_button``) does the same from an alert or the athlete card. Every view and export,
and every refusal, is in the audit log.

Updates are handled one at a time, so the handlers only check access and record the audit
row; the chart or PDF is built and drawn in a background task on the render worker threads
and sent when ready, while the bot goes on answering everybody else.

The signed "Report" button is built by ``bot.services.clinician.buttons``; the chart and the
PDF by ``bot.reports.build``; the weekly digest job is added here (``bot.handlers.jobs``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from telegram import Bot, InputFile, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.handlers.charts import CHART_WITHDRAWN, AccessEnded, send_progress_chart, still_sees
from bot.handlers.context import Context, get_services, signer_of
from bot.handlers.groups import ATHLETE_GROUP
from bot.handlers.jobs import install_digest_job
from bot.handlers.staff import caller_context, former_admin, refuse, stops_update
from bot.reports.build import build_report_pdf
from bot.reports.from_store import ReportUnavailable
from bot.reports.runner import in_worker_thread
from bot.services import texts
from bot.services.access import Caller, may_act_on_athlete
from bot.services.callback_auth import CallbackRejected
from bot.services.callers import match_lines, resolve_athlete
from bot.services.clinician.buttons import ACT_REPORT
from bot.services.clinician.decisions import DELETED_TEXT, GONE_TEXT, athlete_gone
from bot.services.clinician.names import malformed_reference
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import Person
from bot.store.threads import run_db
from bot.support.i18n import N_, _
from bot.support.limits import name_key
from bot.support.logs import failure
from bot.wording import Audience

_LOGGER = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

# Athlete data goes to private chats only (dispatch also stops group updates first).
_PRIVATE = filters.ChatType.PRIVATE
# English ids, translated where they are sent (the caller's language).
FAILED_TEXT = N_("Sorry, that could not be made just now. Please try again in a minute.")
NOTHING_YET = N_("Nothing to show yet: {reason}.")
NO_INJURY = N_("no injury has been recorded (it is asked at onboarding)")
# The reader lost access to the athlete while the report was being made (an unlink).
REPORT_WITHDRAWN = N_("The report was not sent: you no longer have access to this athlete's data.")
# An athlete's /report or /progress followed by words that are not theirs (their name or
# number): an athlete only ever gets their own.
OWN_REPORT_USAGE = N_("Send /report on its own to get your report.")
OWN_PROGRESS_USAGE = N_("Send /progress on its own to get your progress chart.")
# Who a chart or a report is drawn for: their person id (None: not registered) and whether
# they are an admin (which athletes they have in view: a shared name is numbered among them).
Viewer = tuple[int | None, bool]


# --- handlers --------------------------------------------------------------------------------


def _background(context: Context, update: Update, job: Coroutine[Any, Any, None]) -> None:
    context.application.create_task(job, update=update)


async def _deliver_chart(
    bot: Bot,
    chat_id: int,
    engine: Engine,
    athlete_id: int,
    now: dt.datetime,
    audience: Audience = "athlete",
    viewer: Viewer = (None, False),
    allowed: Callable[[], bool] | None = None,
) -> None:
    try:
        await bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
        sent = await send_progress_chart(
            bot, chat_id, engine=engine, athlete_id=athlete_id, now=now, small=False,
            audience=audience, viewer_id=viewer[0], admin=viewer[1], allowed=allowed,
        )  # fmt: skip
        if sent is None:
            await bot.send_message(chat_id, _nothing_yet(engine, athlete_id, _(NO_INJURY)))
    except AccessEnded:
        _LOGGER.info("progress chart of athlete %s withdrawn: access ended", athlete_id)
        await _say(bot, chat_id, _(CHART_WITHDRAWN))
    except TelegramError as exc:
        _LOGGER.warning("progress chart for chat %s not sent: %s", chat_id, exc)
    except Exception as exc:
        _LOGGER.error("progress chart of athlete %s failed: %s", athlete_id, failure(exc))
        await _say(bot, chat_id, _failed(engine, athlete_id))


async def _deliver_report(
    bot: Bot,
    chat_id: int,
    engine: Engine,
    athlete_id: int,
    now: dt.datetime,
    viewer: Viewer,
    allowed: Callable[[], bool] | None = None,
) -> None:
    try:
        await bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
        pdf, filename, name = await in_worker_thread(
            build_report_pdf, engine, athlete_id, now, viewer[0], viewer[1]
        )
        if allowed is not None and not await run_db(allowed):
            # Access ended while it was made: the athlete's data stays with them.
            _LOGGER.info("report of athlete %s withdrawn: access ended", athlete_id)
            await _say(bot, chat_id, _(REPORT_WITHDRAWN))
            return
        await bot.send_document(
            chat_id,
            InputFile(pdf, filename=filename),
            caption=_("Report: {name}").format(name=name)[:1024],
        )
    except ReportUnavailable as exc:
        await _say(bot, chat_id, _nothing_yet(engine, athlete_id, str(exc)))
    except TelegramError as exc:
        _LOGGER.warning("report for chat %s not sent: %s", chat_id, exc)
    except Exception as exc:
        _LOGGER.error("report of athlete %s failed: %s", athlete_id, failure(exc))
        await _say(bot, chat_id, _failed(engine, athlete_id))


def _nothing_yet(engine: Engine, athlete_id: int, reason: str) -> str:
    """Why there is no chart or report: nothing recorded yet, or (asked a moment ago, while
    the caller could still see them) the athlete's account has just been deleted."""
    if athlete_gone(engine, athlete_id):
        return _(GONE_TEXT)
    return _(NOTHING_YET).format(reason=reason)


def _failed(engine: Engine, athlete_id: int) -> str:
    """The reply to a chart or report that failed: "try again" would not help once the
    athlete's account has been deleted (while it was being made)."""
    return _(GONE_TEXT) if athlete_gone(engine, athlete_id) else _(FAILED_TEXT)


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
    message = update.effective_message
    assert message is not None
    ref = " ".join(context.args or []).strip()
    if caller.is_athlete and person is not None and person.id is not None:
        if not ref:
            return person.id
        if not caller.is_admin:  # an admin's words name any athlete, as for other admins
            return await _own_target(update, context, session, caller, person, command, ref)
    if malformed_reference(ref):  # nothing typed, or a typing mistake ("2 2", "#")
        if former_admin(caller, person):
            await message.reply_text(str(texts.FORMER_ADMIN))
            return None
        await message.reply_text(
            _("Send {command} followed by the athlete's number (from /athletes) or name.").format(
                command=command
            )
        )
        return None
    athlete, matches = resolve_athlete(session, caller, ref)
    if athlete is None and len(matches) > 1:
        await message.reply_text(
            _("Several athletes match (send the number instead):\n{names}").format(
                names=match_lines(matches)
            )
        )
        return None
    target = athlete.id if athlete is not None else None
    decision = may_act_on_athlete(caller, target if target is not None else -1, "view")
    if target is None or not decision:
        reason = decision.reason if target is not None else "no athlete matches what was typed"
        await refuse(
            update, context, caller, reason, command=command, athlete_id=target, session=session
        )
        return None
    return target


async def _own_target(
    update: Update,
    context: Context,
    session: Session,
    caller: Caller,
    athlete: Person,
    command: str,
    ref: str,
) -> int | None:
    """An athlete's /report or /progress: their own, also when they name themselves (their
    number or their name); another number gets the neutral refusal (audited), any other
    words the plain way to ask (an athlete only ever sees their own data)."""
    assert athlete.id is not None and update.effective_message is not None
    number = ref.lstrip("#")
    if not malformed_reference(ref) and number.isascii() and number.isdigit():
        if int(number) == athlete.id:
            return athlete.id
        await refuse(
            update,
            context,
            caller,
            "athlete asked for another athlete's data",
            command=command,
            session=session,
        )
        return None
    typed, own = name_key(ref), name_key(athlete.display_name)
    if typed and typed in own:  # their own name, or part of it
        return athlete.id
    usage = OWN_REPORT_USAGE if command == "/report" else OWN_PROGRESS_USAGE
    await update.effective_message.reply_text(_(usage))
    return None


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
) -> tuple[int, Viewer, Callable[[], bool]] | None:
    """Resolve whose data ``command`` asks for and check the caller may see it; audit the
    access as ``action``. Return (athlete id, the caller as a :data:`Viewer`, the check to
    ask again before sending), or None when the update is a redelivery or was refused (the
    caller has already been answered)."""
    assert update.effective_message is not None
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        caller, person = caller_context(session, update, services)
        if _is_redelivery(session, update, person, now):
            return None
        if person is None and not caller.is_admin:
            # A stranger is asked to set up first, whatever follows the command (as for
            # /athlete); a number they typed is still audited as refused.
            if context.args:
                repo.audit(
                    session,
                    actor_id=None,
                    action="refused",
                    now=now,
                    detail={
                        "telegram_id": caller.telegram_id,
                        "command": command,
                        "reason": "not registered",
                    },
                )
            await update.effective_message.reply_text(str(texts.NOT_ONBOARDED))
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
    return (
        athlete_id,
        (caller.person_id, caller.is_admin),
        still_sees(services.engine, caller, athlete_id),
    )


@stops_update
async def progress_command(update: Update, context: Context) -> None:
    """/progress [athlete]: the progress chart, for the athlete, a linked clinician or an admin."""
    assert update.effective_chat is not None
    target = await _authorised_athlete(update, context, "/progress", "view", "progress_chart")
    if target is None:
        return
    services = get_services(context)
    athlete_id, viewer, allowed = target
    # The athlete reads their own words; a clinician or an admin the clinician's.
    audience: Audience = "athlete" if viewer[0] == athlete_id else "clinician"
    _background(
        context,
        update,
        _deliver_chart(
            context.bot,
            update.effective_chat.id,
            services.engine,
            athlete_id,
            services.clock.now(),
            audience,
            viewer,
            allowed,
        ),
    )


@stops_update
async def report_command(update: Update, context: Context) -> None:
    """/report <athlete>: the PDF report, for a linked clinician, an admin or the athlete."""
    assert update.effective_message is not None and update.effective_chat is not None
    target = await _authorised_athlete(update, context, "/report", "export", "report_pdf")
    if target is None:
        return
    athlete_id, viewer, allowed = target
    services = get_services(context)
    await update.effective_message.reply_text(_("Preparing the report…"))
    _background(
        context,
        update,
        _deliver_report(
            context.bot,
            update.effective_chat.id,
            services.engine,
            athlete_id,
            services.clock.now(),
            viewer,
            allowed,
        ),
    )


@stops_update
async def report_pressed(update: Update, context: Context) -> None:
    """A press on a "Report" button: verify it was made for the presser, check access again,
    then send the PDF to the presser's chat."""
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
        if session.get(Person, athlete_id) is None:  # the card's athlete deleted their data
            await query.answer(_(DELETED_TEXT), show_alert=True)
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
    await query.answer(_("Preparing the report…"))
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    _background(
        context,
        update,
        _deliver_report(
            context.bot,
            chat_id,
            services.engine,
            athlete_id,
            now,
            (caller.person_id, caller.is_admin),
            still_sees(services.engine, caller, athlete_id),
        ),
    )


def register(application: AnyApplication) -> None:
    """Add /progress, /report and the report button, and the weekly digest job."""
    # In the athlete group: with the athlete commands, before the athlete catch-all, which
    # dispatch registers last.
    g = ATHLETE_GROUP
    application.add_handler(CommandHandler("progress", progress_command, filters=_PRIVATE), group=g)
    application.add_handler(CommandHandler("report", report_command, filters=_PRIVATE), group=g)
    application.add_handler(
        CallbackQueryHandler(report_pressed, pattern=rf"^{ACT_REPORT}:"), group=g
    )
    install_digest_job(application)
