"""Clinician commands and alert buttons.

/athletes, /athlete <number or name>, /note <number> <text>, /pause, /resume, /stage, /hold,
/stepback, /clear and /decline <number> [reason]; the alert buttons (Acknowledge, Clear gate, Hold,
Step back, Message athlete; the Report (PDF) button is handled by ``bot.handlers.reports``).
The /athlete card is followed by the athlete's full progress chart, sent in the background.
Every handler builds the caller from the store, asks ``bot.services.access`` and refuses with one
neutral sentence plus an AuditLog row. These handlers run in their own group before the
feature modules and stop the update once they have answered it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.handlers.context import Services, get_services
from bot.handlers.jobs import kick_sender
from bot.handlers.reports import report_button, report_keyboard, schedule_progress_chart
from bot.services.access import (
    REFUSAL_TEXT,
    AthleteAction,
    Caller,
    make_caller,
    may,
    may_act_on_athlete,
)
from bot.services.athlete.engine_bridge import AlertNotifier
from bot.services.callback_auth import CallbackRejected, CallbackSigner, derive_secret
from bot.services.clinician.actions import (
    ActionRefused,
    ReviewState,
    acknowledge,
    add_note,
    apply_action,
    current_programme,
    local_date,
    message_athlete,
    open_alerts,
    record_clearance,
    review_effective_day,
    review_state,
    zone_of,
)
from bot.services.clinician.escalation import (
    ACT_ACK,
    ACT_BACK,
    ACT_CLEAR,
    ACT_DECLINE,
    ACT_HOLD,
    ACT_MSG,
    ALERT_ACTIONS,
    REVIEWED_LABEL,
    SEVERITY_LABEL,
    alert_notifier,
    run_escalations,
)
from bot.services.clinician.overview import athlete_summaries, athletes_by_id
from bot.services.clinician.view import AthleteSummary, render_overview, traffic_light
from bot.services.protocol_admin import programme_protocol
from bot.store.db import session_scope
from bot.store.models import Decision, Person, Programme
from bot.store.repo.audit import audit
from bot.store.repo.links import athletes_of
from bot.store.repo.people import create_person, get_person_by_telegram_id, list_people
from bot.store.repo.programme import notes_about

_LOGGER = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]

# Before the feature modules (group 0): our commands answer and stop the update there.
HANDLER_GROUP = -1
# Athlete data goes to private chats only (dispatch also stops group updates first).
_PRIVATE = filters.ChatType.PRIVATE
SIGNER_KEY = "callback_signer"
PENDING_KEY = "clinician_pending_input"
ESCALATION_INTERVAL = dt.timedelta(seconds=60)
# Decisions that depend on the stage the clinician saw: refused once the stage has moved.
STAGE_BOUND_ACTIONS = frozenset({"clear", "decline", "hold", "step_back"})
NOTHING_WAITS = "No sign-off or review is waiting for this athlete."
STAFF_HINT = "I only act on commands here. /athletes lists your athletes; /help shows everything."
STALE_TEXT = (
    "The athlete's stage has changed since this message: nothing was done. "
    "Open /athlete for the current state."
)
HISTORY_DAYS = 14


# --- shared helpers (also used by the admin and invite handlers) -----------------------------


def signer_for(services: Services, bot_token: str) -> CallbackSigner:
    """Return the deployment's callback signer: a ``callback_secret`` setting if there is one,
    else a key derived from the bot token (cached in the services)."""
    signer = services.extras.get(SIGNER_KEY)
    if not isinstance(signer, CallbackSigner):
        explicit = getattr(services.settings, "callback_secret", None)
        signer = CallbackSigner(derive_secret(bot_token, explicit))
        services.extras[SIGNER_KEY] = signer
    return signer


def alert_notifier_for(context: Context) -> AlertNotifier:
    """Return the notifier the athlete flow passes as ``Env.notify``: it queues the linked
    clinicians' alert messages (signed buttons, merged within 5 minutes) in the same
    transaction as the decision."""
    services = get_services(context)
    return alert_notifier(signer_of(context), services.settings.admin_telegram_ids)


def signer_of(context: Context) -> CallbackSigner:
    """Return the deployment's callback signer for a handler or job."""
    return signer_for(get_services(context), context.bot.token)


def caller_context(
    session: Session, update: Update, services: Services
) -> tuple[Caller, Person | None]:
    """Return the caller (role, links, admin flag) and their stored person, if any."""
    user = update.effective_user
    telegram_id = user.id if user is not None else 0
    person = get_person_by_telegram_id(session, telegram_user_id=telegram_id)
    linked: list[int] = []
    if person is not None and person.role == "clinician" and person.id is not None:
        linked = [a.id for a in athletes_of(session, clinician_id=person.id) if a.id is not None]
    caller = make_caller(
        telegram_id,
        person.id if person else None,
        person.role if person else None,
        services.settings.admin_telegram_ids,
        linked,
    )
    return caller, person


def ensure_admin_person(
    session: Session,
    telegram_id: int,
    name: str,
    person: Person | None,
    now: dt.datetime,
    timezone: str = "UTC",
) -> Person:
    """Return the admin's stored person, creating one (role admin, in ``timezone``: pass the
    deployment's DEFAULT_TIMEZONE) on first use."""
    if person is not None:
        return person
    return create_person(
        session,
        role="admin",
        telegram_user_id=telegram_id,
        chat_id=telegram_id,
        display_name=name,
        now=now,
        timezone=timezone,
    )


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
    if update.callback_query is not None:
        await update.callback_query.answer(REFUSAL_TEXT, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(REFUSAL_TEXT)


def stops_update(handler: Handler) -> Handler:
    """Wrap a handler so that, once it ran, no later handler group sees the update."""

    @functools.wraps(handler)
    async def wrapped(update: Update, context: Context) -> None:
        await handler(update, context)
        raise ApplicationHandlerStop

    return wrapped


def kick(context: Context) -> None:
    """Have the outbox sender deliver what the committed transaction queued, now."""
    kick_sender(context.application)


def _parse_athlete_ref(text: str) -> int | str:
    ref = text.strip().lstrip("#")
    return int(ref) if ref.isdigit() else ref


def resolve_athlete(
    session: Session, caller: Caller, ref: str
) -> tuple[Person | None, list[Person]]:
    """Return (athlete, candidates) for a number or a name, only among athletes the caller sees.

    A number is taken as the athlete's id as is, so the access check refuses an unlinked id
    the same way as a missing one. A name matches the caller's visible athletes only.
    """
    parsed = _parse_athlete_ref(ref)
    if isinstance(parsed, int):
        person = session.get(Person, parsed)
        if person is None or person.role != "athlete":
            return None, []
        return person, [person]
    if caller.is_clinician and not caller.is_admin:
        pool = [p for p in (session.get(Person, i) for i in caller.linked_athlete_ids) if p]
    elif caller.is_admin:
        pool = list_people(session, role="athlete")
    else:
        pool = []
    needle = parsed.lower()
    exact = [p for p in pool if p.display_name.lower() == needle]
    matches = exact or [p for p in pool if needle in p.display_name.lower()]
    return (matches[0] if len(matches) == 1 else None), matches


# --- /athletes --------------------------------------------------------------------------------


def athlete_summary(session: Session, athlete: Person, now: dt.datetime) -> AthleteSummary:
    """Return the overview line's data for one athlete (stage, today, check-in, alerts, gate)."""
    [summary] = athlete_summaries(session, [athlete], now)
    return summary


@stops_update
async def athletes_command(update: Update, context: Context) -> None:
    """/athletes: every linked athlete on one line, most urgent first."""
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        caller, _person = caller_context(session, update, services)
        decision = may(caller, "list_athletes")
        if not decision:
            await refuse(
                update, context, caller, decision.reason, command="/athletes", session=session
            )
            return
        if caller.is_clinician:
            athletes = athletes_by_id(session, sorted(caller.linked_athlete_ids))
        else:
            athletes = list_people(session, role="athlete")
        summaries = athlete_summaries(session, athletes, now)
        audit(
            session,
            actor_id=caller.person_id,
            action="view",
            now=now,
            detail={"what": "athlete_list", "count": len(summaries)},
        )
    assert update.effective_message is not None
    await update.effective_message.reply_text(render_overview(summaries))


# --- /athlete -------------------------------------------------------------------------------


def _criteria_lines(
    session: Session, athlete: Person, now: dt.datetime
) -> tuple[list[str], ReviewState]:
    """Return the current stage's lines (criteria met / left, from the engine's stage status)
    and what waits for a clinician (a sign-off, a red-flag stop)."""
    assert athlete.id is not None
    programme = current_programme(session, athlete.id)
    state = review_state(session, athlete, programme, now)
    if programme is None:
        return ["No programme started yet."], state
    protocol = programme_protocol(session, programme, now)
    if protocol is None:
        unavailable = f"protocol {programme.protocol_name} unavailable"
        return [f"Stage {programme.current_stage} ({unavailable})"], state
    stage = protocol.stage(programme.current_stage)
    lines = [
        f"Stage {stage.id} {stage.name} · protocol {programme.protocol_name} "
        f"v{programme.protocol_version} · {programme.status}"
    ]
    if state.status is not None:
        status_lines = state.status.lines()
        if state.reviewed_from is not None:
            lifted = f"🩺 Reviewed: running may resume from {state.reviewed_from:%a %d %b}."
            status_lines = [lifted if ln.startswith("⛔") else ln for ln in status_lines]
        lines.extend(status_lines)
        criteria = state.status.criteria
        met = sum(c.met for c in criteria)
        lines.append(f"Criteria met: {met}/{len(criteria)}")
    else:
        lines.append("Exit criteria (no injury recorded yet, so none evaluated):")
        lines.extend(f"  ⬜ {c.text}" for c in stage.exit_criteria)
    if stage.signoff == "required" or state.signoff_waiting:
        waiting = state.signoff_waiting
        lines.append("Sign-off: " + ("waiting for a clinician" if waiting else "given"))
    return lines, state


def _history_lines(session: Session, athlete: Person, now: dt.datetime) -> list[str]:
    assert athlete.id is not None
    today = local_date(athlete, now)
    since = today - dt.timedelta(days=HISTORY_DAYS - 1)
    rows = list(
        session.exec(
            select(Decision)
            .where(
                Decision.athlete_id == athlete.id,
                col(Decision.local_date) >= since,
                col(Decision.local_date) <= today,
            )
            .order_by(col(Decision.local_date), col(Decision.id))
        )
    )
    by_day: dict[dt.date, dict[str, str]] = {}
    for row in rows:
        by_day.setdefault(row.local_date, {})[row.kind] = row.outcome
    if not by_day:
        return [f"Last {HISTORY_DAYS} days: no check-ins."]
    lines = [f"Last {HISTORY_DAYS} days:"]
    for day in sorted(by_day):
        seen = by_day[day]
        lines.append(
            f"  {day:%a %d %b}: morning {seen.get('morning', '–')}, day {seen.get('daily', '–')}"
        )
    return lines


def _athlete_keyboard(
    signer: CallbackSigner,
    caller: Caller,
    athlete_id: int,
    state: ReviewState,
    alert_ids: tuple[int, int],
    stage: str,
    now: dt.datetime,
) -> InlineKeyboardMarkup:
    ids = (athlete_id, *alert_ids, stage)

    def button(text: str, action: str, when: dt.datetime) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text, callback_data=signer.sign(action, ids, caller.telegram_id, when)
        )

    rows: list[list[InlineKeyboardButton]] = []
    if alert_ids != (0, 0):
        rows.append([button("✅ Acknowledge alerts", ACT_ACK, now)])
    if state.signoff_waiting:
        rows.append(
            [button("🟢 Clear gate", ACT_CLEAR, now), button("✖️ Decline", ACT_DECLINE, now)]
        )
    elif state.suspended:
        rows.append([button(REVIEWED_LABEL, ACT_CLEAR, now)])
    rows.append([button("⏸ Hold", ACT_HOLD, now), button("↩️ Step back", ACT_BACK, now)])
    rows.append([button("💬 Message athlete", ACT_MSG, now)])
    rows.append(
        [report_button(signer, athlete_id=athlete_id, for_telegram_id=caller.telegram_id, now=now)]
    )
    return InlineKeyboardMarkup(rows)


@stops_update
async def athlete_command(update: Update, context: Context) -> None:
    """/athlete <number or name>: status, criteria, last 14 days, open alerts, the action
    buttons (a linked clinician) and the report button; then the full progress chart."""
    assert update.effective_message is not None and update.effective_chat is not None
    services = get_services(context)
    now = services.clock.now()
    ref = " ".join(context.args or []).strip()
    with session_scope(services.engine) as session:
        caller, viewer = caller_context(session, update, services)
        zone = zone_of(viewer.timezone if viewer is not None else None)
        if not ref:
            await update.effective_message.reply_text(
                "Send /athlete followed by the athlete's number (from /athletes) or name."
            )
            return
        athlete, matches = resolve_athlete(session, caller, ref)
        if athlete is None and len(matches) > 1:
            names = ", ".join(f"#{m.id} {m.display_name}" for m in matches)
            await update.effective_message.reply_text(f"Several athletes match: {names}")
            return
        target_id = athlete.id if athlete is not None else None
        decision = (
            may_act_on_athlete(caller, target_id, "view")
            if target_id is not None
            else may_act_on_athlete(caller, -1, "view")
        )
        if athlete is None or not decision:
            await refuse(
                update,
                context,
                caller,
                decision.reason if athlete else f"no athlete matches {ref!r}",
                command="/athlete",
                athlete_id=target_id,
                session=session,
            )
            return
        assert athlete.id is not None
        programme = current_programme(session, athlete.id)
        alerts = open_alerts(session, athlete.id)
        summary = athlete_summary(session, athlete, now)
        stage_lines, state = _criteria_lines(session, athlete, now)
        lines = [
            f"{_light(summary)} #{athlete.id} {athlete.display_name}",
            *stage_lines,
            "",
            *_history_lines(session, athlete, now),
            "",
        ]
        if alerts:
            lines.append(f"Open alerts ({len(alerts)}):")
            lines.extend(
                f"  • {a.created_at.astimezone(zone):%d %b %H:%M} "
                f"{SEVERITY_LABEL.get(a.severity, a.severity)}: {a.text}"
                for a in alerts
            )
        else:
            lines.append("No open alerts.")
        notes = notes_about(session, athlete_id=athlete.id, limit=3)
        if notes:
            lines.append("Latest notes:")
            lines.extend(f"  • {n.created_at.astimezone(zone):%d %b}: {n.text}" for n in notes)
        audit(
            session,
            actor_id=caller.person_id,
            action="view",
            now=now,
            athlete_id=athlete.id,
            detail={"what": "athlete_card"},
        )
        alert_ids = (alerts[0].id or 0, alerts[-1].id or 0) if alerts else (0, 0)
        athlete_id = athlete.id
        clinical = may_act_on_athlete(caller, athlete_id, "hold").allowed
        signer = signer_of(context)
        keyboard = (
            _athlete_keyboard(
                signer,
                caller,
                athlete_id,
                state,
                alert_ids,
                programme.current_stage if programme else "-",
                now,
            )
            if clinical
            else report_keyboard(
                signer, athlete_id=athlete_id, for_telegram_id=caller.telegram_id, now=now
            )
        )
    await update.effective_message.reply_text("\n".join(lines), reply_markup=keyboard)
    # Drawn off the event loop and sent when ready: the card never waits for the chart.
    schedule_progress_chart(
        context.application,
        update.effective_chat.id,
        athlete_id=athlete_id,
        now=now,
        small=False,
    )


def _light(summary: AthleteSummary) -> str:
    return {"red": "🔴", "amber": "🟠", "green": "🟢"}[traffic_light(summary)]


# --- commands acting on one athlete ----------------------------------------------------------


async def _authorised_athlete(
    update: Update,
    context: Context,
    session: Session,
    action: AthleteAction,
    command: str,
) -> tuple[Caller, Person, Person, list[str]] | None:
    """Resolve '<number> rest…' for ``command``; refuse (and return None) unless allowed."""
    services = get_services(context)
    caller, person = caller_context(session, update, services)
    args = list(context.args or [])
    if not args:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            f"Send {command} followed by the athlete's number (see /athletes)."
        )
        return None
    athlete, _ = resolve_athlete(session, caller, args[0])
    target = athlete.id if athlete is not None else None
    decision = may_act_on_athlete(caller, target if target is not None else -1, action)
    if athlete is None or person is None or not decision:
        await refuse(
            update,
            context,
            caller,
            decision.reason if athlete else f"no athlete {args[0]!r}",
            command=command,
            athlete_id=target,
            session=session,
        )
        return None
    return caller, person, athlete, args[1:]


def _command_action(kind: str, command: str, needs_reason: bool) -> Handler:
    @stops_update
    async def handler(update: Update, context: Context) -> None:
        assert update.effective_message is not None
        services = get_services(context)
        now = services.clock.now()
        with session_scope(services.engine) as session:
            resolved = await _authorised_athlete(update, context, session, kind, command)  # type: ignore[arg-type]
            if resolved is None:
                return
            _caller, actor, athlete, rest = resolved
            stage = None
            if kind == "set_stage":
                if not rest:
                    await update.effective_message.reply_text(
                        f"Send {command} <number> <STAGE> <reason>, e.g. {command} 12 H2 pain"
                    )
                    return
                stage, rest = rest[0].upper(), rest[1:]
            reason = " ".join(rest).strip() or None
            if needs_reason and not reason:
                await update.effective_message.reply_text(
                    f"Please give a reason: {command} <number> "
                    f"{'<STAGE> ' if kind == 'set_stage' else ''}<reason>"
                )
                return
            programme = current_programme(session, athlete.id or 0)
            protocol = programme_protocol(session, programme, now) if programme else None
            try:
                if kind in ("clear", "decline"):
                    text = _clear_or_decline(
                        session, actor, athlete, programme, now, kind == "decline", reason, None
                    )
                else:
                    text = apply_action(
                        session,
                        actor,
                        athlete,
                        kind,  # type: ignore[arg-type]
                        now,
                        protocol,
                        stage=stage,
                        note=reason,
                    )
            except ActionRefused as exc:
                await update.effective_message.reply_text(str(exc))
                return
        kick(context)
        await update.effective_message.reply_text(text)

    return handler


@stops_update
async def note_command(update: Update, context: Context) -> None:
    """/note <number> <text>: add a note to the athlete's record."""
    assert update.effective_message is not None
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        resolved = await _authorised_athlete(update, context, session, "note", "/note")
        if resolved is None:
            return
        _caller, actor, athlete, rest = resolved
        text = " ".join(rest).strip()
        if not text:
            await update.effective_message.reply_text("Send /note <number> <text of the note>.")
            return
        add_note(session, actor, athlete.id or 0, text, now)
    await update.effective_message.reply_text(f"Note added to {athlete.display_name}'s record.")


# --- alert and card buttons -------------------------------------------------------------------


@stops_update
async def alert_button(update: Update, context: Context) -> None:
    """A press on an alert or athlete-card button: verify, authorise, record, apply, report."""
    query = update.callback_query
    assert query is not None and query.data is not None
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        caller, actor = caller_context(session, update, services)
    try:
        press = signer_of(context).verify(query.data, query.from_user.id, now)
        athlete_id = press.int_id(0)
        ids = (press.int_id(1), press.int_id(2))
        shown_stage = press.ids[3] if len(press.ids) > 3 else None
    except CallbackRejected as exc:
        await refuse(update, context, caller, f"callback: {exc.reason}", command=query.data[:12])
        return
    action: AthleteAction = {
        ACT_ACK: "acknowledge",
        ACT_CLEAR: "clear",
        ACT_DECLINE: "decline",
        ACT_HOLD: "hold",
        ACT_BACK: "step_back",
        ACT_MSG: "message",
    }[press.action]  # type: ignore[assignment]
    decision = may_act_on_athlete(caller, athlete_id, action)
    if not decision or (actor is None and action != "acknowledge"):
        await refuse(
            update, context, caller, decision.reason, command=press.action, athlete_id=athlete_id
        )
        return
    if action == "decline" and not _waiting(services, athlete_id, now):
        await query.answer("No sign-off is waiting for this athlete.", show_alert=True)
        return
    if action in ("message", "decline"):
        context.user_data[PENDING_KEY] = {  # type: ignore[index]
            "action": action,
            "athlete_id": athlete_id,
            "alert_ids": list(ids),
        }
        prompt = (
            "Write your message to the athlete (or /cancel)."
            if action == "message"
            else "Write why you decline the sign-off (or /cancel)."
        )
        await query.answer()
        assert query.message is not None
        await context.bot.send_message(query.message.chat.id, prompt)
        return
    if action in STAGE_BOUND_ACTIONS and not _stage_still(services, athlete_id, shown_stage):
        await query.answer(STALE_TEXT, show_alert=True)
        return
    reply = await _apply_button(context, caller, actor, athlete_id, action, ids, now)
    kick(context)
    await query.answer(reply[:190])
    assert query.message is not None
    await context.bot.send_message(query.message.chat.id, reply)


def _waiting(services: Services, athlete_id: int, now: dt.datetime) -> bool:
    with session_scope(services.engine, read_only=True) as session:
        athlete = session.get(Person, athlete_id)
        if athlete is None:
            return False
        programme = current_programme(session, athlete_id)
        return review_state(session, athlete, programme, now).signoff_waiting


def _answered_today(session: Session, athlete: Person, now: dt.datetime) -> bool:
    assert athlete.id is not None
    today = local_date(athlete, now)
    return review_effective_day(session, athlete.id, today) != today


def _clear_or_decline(
    session: Session,
    actor: Person,
    athlete: Person,
    programme: Programme | None,
    now: dt.datetime,
    declined: bool,
    note: str | None,
    alert_ids: tuple[int, int] | None,
) -> str:
    """Record a sign-off, a refusal of it, or a review that lifts a red-flag stop, if one
    waits; return the clinician's reply."""
    state = review_state(session, athlete, programme, now)
    review = not state.signoff_waiting and state.suspended and not declined
    if not (state.signoff_waiting or review):
        return NOTHING_WAITS
    record_clearance(
        session,
        actor,
        athlete,
        now,
        declined=declined,
        note=note,
        alert_ids=alert_ids,
        review=review,
    )
    if review:
        what = f"Review recorded for {athlete.display_name}: they may run again"
        if state.reviewed_from is None and not _answered_today(session, athlete, now):
            what += " from today"
        else:
            what += " from tomorrow"
    else:
        what = f"Gate {'declined' if declined else 'cleared'} for {athlete.display_name}"
    return what + ". The athlete has been told."


def _stage_still(services: Services, athlete_id: int, shown_stage: str | None) -> bool:
    """Tell whether the athlete is still at the stage the pressed message showed."""
    with session_scope(services.engine, read_only=True) as session:
        programme = current_programme(session, athlete_id)
    current = programme.current_stage if programme is not None else "-"
    return shown_stage is not None and shown_stage == current


async def _apply_button(
    context: Context,
    caller: Caller,
    actor: Person | None,
    athlete_id: int,
    action: AthleteAction,
    ids: tuple[int, int],
    now: dt.datetime,
) -> str:
    services = get_services(context)
    alert_ids = ids if ids != (0, 0) else None
    with session_scope(services.engine) as session:
        athlete = session.get(Person, athlete_id)
        if athlete is None:
            return REFUSAL_TEXT
        actor = (
            ensure_admin_person(
                session,
                caller.telegram_id,
                "Admin",
                None,
                now,
                services.settings.default_timezone,
            )
            if actor is None
            else session.merge(actor)
        )
        if action == "acknowledge":
            if alert_ids is None:
                return "There was no alert to acknowledge."
            fresh, earlier = acknowledge(session, actor, athlete_id, alert_ids, now)
            if not fresh and earlier:
                by = {a.acknowledged_by for a in earlier}
                names = [p.display_name for p in (session.get(Person, i) for i in by if i) if p]
                return f"Already acknowledged by {', '.join(names) or 'someone'}."
            return f"Acknowledged {len(fresh)} alert(s) about {athlete.display_name}."
        programme = current_programme(session, athlete_id)
        protocol = programme_protocol(session, programme, now) if programme else None
        try:
            if action == "clear":
                reply = _clear_or_decline(
                    session, actor, athlete, programme, now, False, None, alert_ids
                )
                if alert_ids and not reply.startswith(NOTHING_WAITS):
                    acknowledge(session, actor, athlete_id, alert_ids, now)
                return reply
            summary = apply_action(
                session,
                actor,
                athlete,
                action,  # type: ignore[arg-type]
                now,
                protocol,
                note="from an alert" if alert_ids else None,
                alert_ids=alert_ids,
            )
            if alert_ids:
                acknowledge(session, actor, athlete_id, alert_ids, now)
            return summary
        except ActionRefused as exc:
            return str(exc)


async def pending_text(update: Update, context: Context) -> None:
    """Text after 'Message athlete' / 'Decline': deliver it. Other text from a clinician or
    admin gets a pointer to /help; anyone else's passes through."""
    pending = context.user_data.get(PENDING_KEY) if context.user_data is not None else None
    message = update.effective_message
    if message is None or not message.text:
        return
    if not pending:
        services = get_services(context)
        with session_scope(services.engine, read_only=True) as session:
            caller, _ = caller_context(session, update, services)
        if caller.is_clinician or caller.is_admin:
            await message.reply_text(STAFF_HINT)
            raise ApplicationHandlerStop
        return
    assert context.user_data is not None
    context.user_data.pop(PENDING_KEY, None)
    services = get_services(context)
    now = services.clock.now()
    athlete_id = int(pending["athlete_id"])
    alert_ids = tuple(pending["alert_ids"])
    with session_scope(services.engine) as session:
        caller, actor = caller_context(session, update, services)
        action: AthleteAction = pending["action"]
        decision = may_act_on_athlete(caller, athlete_id, action)
        athlete = session.get(Person, athlete_id)
        if not decision or actor is None or athlete is None:
            await refuse(update, context, caller, decision.reason, command=action, session=session)
            raise ApplicationHandlerStop
        try:
            if action == "message":
                message_athlete(session, actor, athlete, message.text, now)
                reply = f"Sent to {athlete.display_name}."
            else:
                ids = (alert_ids[0], alert_ids[1]) if alert_ids != (0, 0) else None
                record_clearance(
                    session,
                    actor,
                    athlete,
                    now,
                    declined=True,
                    note=message.text,
                    alert_ids=ids,
                )
                reply = f"Sign-off declined for {athlete.display_name}. The athlete has been told."
        except ActionRefused as exc:
            reply = str(exc)
    kick(context)
    await message.reply_text(reply)
    raise ApplicationHandlerStop


async def cancel_if_pending(update: Update, context: Context) -> None:
    """/cancel while a message or decline note is awaited; otherwise leave it to others."""
    if context.user_data is None or not context.user_data.pop(PENDING_KEY, None):
        return
    assert update.effective_message is not None
    await update.effective_message.reply_text("Cancelled.")
    raise ApplicationHandlerStop


# --- escalation job ---------------------------------------------------------------------------


async def escalation_job(context: Context) -> None:
    """Every minute: notify un-notified alerts, re-send unacknowledged urgent ones, hand over."""
    services = get_services(context)
    now = services.clock.now()
    signer = signer_of(context)

    def work() -> None:
        with session_scope(services.engine) as session:
            run_escalations(session, now, signer, services.settings.admin_telegram_ids)

    # Off the event loop: a burst of re-sends takes a moment and updates must keep flowing.
    await asyncio.to_thread(work)
    kick(context)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the clinician commands, the alert buttons, pending-input capture and the job."""
    g = HANDLER_GROUP
    application.add_handler(CommandHandler("athletes", athletes_command, filters=_PRIVATE), group=g)
    application.add_handler(CommandHandler("athlete", athlete_command, filters=_PRIVATE), group=g)
    application.add_handler(CommandHandler("note", note_command, filters=_PRIVATE), group=g)
    for command, kind, needs_reason in (
        ("pause", "pause", True),
        ("resume", "resume", True),
        ("stage", "set_stage", True),
        ("hold", "hold", False),
        ("stepback", "step_back", True),
        ("clear", "clear", False),
        ("decline", "decline", True),
    ):
        application.add_handler(
            CommandHandler(
                command, _command_action(kind, f"/{command}", needs_reason), filters=_PRIVATE
            ),
            group=g,
        )
    application.add_handler(CommandHandler("cancel", cancel_if_pending, filters=_PRIVATE), group=g)
    actions = "|".join(ALERT_ACTIONS)
    application.add_handler(CallbackQueryHandler(alert_button, pattern=rf"^({actions}):"), group=g)
    application.add_handler(
        MessageHandler(_PRIVATE & filters.TEXT & ~filters.COMMAND, pending_text), group=g
    )
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            escalation_job,
            interval=ESCALATION_INTERVAL,
            first=5,
            name="clinician-escalations",
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": 60},
        )
