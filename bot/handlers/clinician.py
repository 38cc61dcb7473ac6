"""Clinician commands and alert buttons.

/athletes, /athlete <number or name>, /note <number> <text>, /pause, /resume, /stage, /hold,
/stepback, /clear and /decline <number> [reason], /usual <number> <tightness> [reason] (a
tightness the clinician accepts as usual for the athlete), /unlink <number or name> [reason]
(the clinician stops following the athlete, after a confirmation); the alert buttons (Acknowledge,
Sign off, Hold, Step back, Message athlete; the Report (PDF) button is handled by
``bot.handlers.reports``). The /athlete card is followed by the athlete's full progress
chart, sent in the background. Every handler builds the caller from the store, asks
``bot.services.access`` and refuses with one neutral sentence plus an AuditLog row. These
handlers run in their own group before the feature modules and stop the update once they
have answered it.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.clock import zone_of
from bot.handlers.charts import schedule_progress_chart, still_sees
from bot.handlers.context import Context, get_services, kick, signer_of
from bot.handlers.groups import STAFF_GROUP
from bot.handlers.jobs import install_escalation_job
from bot.handlers.staff import Handler, caller_context, former_admin, refuse, stops_update
from bot.services import texts
from bot.services.access import REFUSAL_TEXT, AthleteAction, Caller, may, may_act_on_athlete
from bot.services.callback_auth import CallbackExpired, CallbackRejected, SignedCallback
from bot.services.callers import match_lines, resolve_athlete
from bot.services.clinician import leaving
from bot.services.clinician.actions import (
    SENT_WORD_FOR_WORD,
    ActionRefused,
    add_note,
    current_programme,
    notes_text,
    refusal_while_stopped,
    review_state,
)
from bot.services.clinician.buttons import (
    ACT_ACK,
    ACT_BACK,
    ACT_CANCEL,
    ACT_CLEAR,
    ACT_DECLINE,
    ACT_HOLD,
    ACT_MSG,
    ACT_REVIEW,
    ACT_REVIEW_OK,
    ACT_STAGE_OK,
    ALERT_ACTIONS,
    CANCEL_LABEL,
    CONFIRM_REVIEW_LABEL,
    CONFIRM_STAGE_LABEL,
)
from bot.services.clinician.card import open_athlete_card
from bot.services.clinician.decisions import (
    ALREADY_DONE,
    DELETED_TEXT,
    GONE_TEXT,
    STALE_TEXT,
    ButtonAlreadyUsed,
    apply_button,
    athlete_gone,
    button_was_used,
    decide_by_command,
    deliver_pending,
    review_prompt,
    review_waiting,
    signoff_waiting,
    signs_seen,
    stage_change_risk,
    stage_still,
)
from bot.services.clinician.names import label_for_caller, malformed_reference
from bot.services.clinician.overview import athlete_summaries, athletes_by_id
from bot.services.clinician.view import render_overview
from bot.services.protocol_admin import programme_protocol
from bot.store.db import session_scope
from bot.store.models import Person
from bot.store.repo import StoreError
from bot.store.repo import pending_steps as steps
from bot.store.repo.alerts import newest_alert_id
from bot.store.repo.audit import audit
from bot.store.repo.buttons import use_button
from bot.store.repo.people import list_people
from bot.support.i18n import N_, _
from bot.support.limits import name_key

_LOGGER = logging.getLogger(__name__)

# Athlete data goes to private chats only (dispatch also stops group updates first).
_PRIVATE = filters.ChatType.PRIVATE
# Decisions that depend on the stage the clinician saw: refused once the stage has moved.
STAGE_BOUND_ACTIONS = frozenset({"clear", "review", "decline", "hold", "step_back"})
STAFF_HINT = N_(
    "Nothing was sent: I only act on commands here. /athletes lists your athletes; /help "
    "shows everything."
)
# A button past the signer's age limit, pressed by the one it was made for.
TOO_OLD_TEXT = N_("This button is too old: send /athlete for the current state.")
EXPIRED_TEXT = N_("This confirmation has expired: nothing was done. Start again from /athlete.")
# Text typed more than steps.MAX_AGE after "Message athlete", "Decline" or "Reviewed".
INPUT_EXPIRED_TEXT = N_(
    "This reply came more than 12 hours after you pressed the button, so nothing was sent or "
    "recorded. Start again from /athlete."
)
# A button of another card pressed while a message, reason or note was awaited.
DROPPED_TEXT = N_("What you had started for {name} is dropped: nothing was sent or recorded.")
# An action typed with a name that is not exactly one athlete's full name.
WHICH_ATHLETE_TEXT = N_(
    "To be sure it is the right athlete, send {command} with their number:\n{names}"
)
# The most words of a name an action command looks for before the reason.
MAX_NAME_WORDS = 6
# What a deletion committed under an action's feet makes fail (another replica's /delete).
GONE_ERRORS = (SQLAlchemyError, StoreError)


class _Acting:
    """The athlete an action is about, once resolved: to tell the clinician plainly when
    their account was deleted while the action was under way."""

    athlete_id: int | None = None


async def _unless_gone(
    update: Update, context: Context, acting: _Acting, action: Coroutine[Any, Any, None]
) -> None:
    """Run ``action``; if it fails because the athlete it acts on was deleted meanwhile
    (their row is gone), say so plainly instead of the generic error."""
    try:
        await action
    except GONE_ERRORS:
        services = get_services(context)
        if acting.athlete_id is None or not athlete_gone(services.engine, acting.athlete_id):
            raise
        await _say_gone(update)


async def _say_gone(update: Update) -> None:
    """Tell the clinician the athlete's account has just been deleted: nothing was done."""
    if update.callback_query is not None:
        await update.callback_query.answer(_(GONE_TEXT), show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(_(GONE_TEXT))


# After /note: the athlete's export holds the notes about them (README: "everything stored
# about them").
NOTE_IN_EXPORT = N_("{name} can read it in their data export.")
REVIEW_NOTE_PROMPT = N_(
    "Reviewing {name} after the red flag. Write one line for the record (what you checked), "
    "or /cancel."
)


# --- /athletes --------------------------------------------------------------------------------


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
        if malformed_reference(ref):  # nothing typed, or a typing mistake ("2 2", "#")
            await update.effective_message.reply_text(
                str(texts.FORMER_ADMIN)
                if former_admin(caller, viewer)
                else _("Send /athlete followed by the athlete's number (from /athletes) or name.")
            )
            return
        athlete, matches = resolve_athlete(session, caller, ref)
        if athlete is None and len(matches) > 1:
            await update.effective_message.reply_text(
                _("Several athletes match:\n{names}").format(names=match_lines(matches))
            )
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
                decision.reason if athlete else "no athlete matches what was typed",
                command="/athlete",
                athlete_id=target_id,
                session=session,
            )
            return
        card = open_athlete_card(session, caller, athlete, zone, signer_of(context), now)
        athlete_id = athlete.id or 0
    if athlete_gone(services.engine, athlete_id):  # deleted while the card was made
        await _say_gone(update)
        return
    await update.effective_message.reply_text(card.text, reply_markup=card.keyboard)
    # Drawn off the event loop and sent when ready: the card never waits for the chart.
    schedule_progress_chart(
        context.application,
        update.effective_chat.id,
        athlete_id=athlete_id,
        now=now,
        small=False,
        audience="clinician",
        viewer_id=caller.person_id,
        admin=caller.is_admin,
        allowed=still_sees(services.engine, caller, athlete_id),
    )


# --- commands acting on one athlete ----------------------------------------------------------


async def _authorised_athlete(
    update: Update,
    context: Context,
    session: Session,
    action: AthleteAction,
    command: str,
    acting: _Acting,
) -> tuple[Caller, Person, Person, list[str]] | None:
    """Resolve '<number> rest…' (or '<full name> rest…') for ``command``; refuse (and return
    None) unless allowed. The athlete is kept in ``acting``."""
    services = get_services(context)
    caller, person = caller_context(session, update, services)
    args = list(context.args or [])
    if not args or malformed_reference(args[0]):  # a typing mistake gets the usage line
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            str(texts.FORMER_ADMIN)
            if former_admin(caller, person)
            else _("Send {command} followed by the athlete's number (see /athletes).").format(
                command=command
            )
        )
        return None
    athlete, matches, rest = _athlete_of_words(session, caller, args)
    if athlete is None and matches:
        # Not exactly one athlete's number or full name: an action must not guess whom.
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            _(WHICH_ATHLETE_TEXT).format(command=command, names=match_lines(matches))
        )
        return None
    target = athlete.id if athlete is not None else None
    decision = may_act_on_athlete(caller, target if target is not None else -1, action)
    if athlete is None or person is None or not decision:
        await refuse(
            update,
            context,
            caller,
            decision.reason if athlete else "no athlete matches what was typed",
            command=command,
            athlete_id=target,
            session=session,
        )
        return None
    acting.athlete_id = athlete.id
    return caller, person, athlete, rest


def _athlete_of_words(
    session: Session, caller: Caller, args: list[str]
) -> tuple[Person | None, list[Person], list[str]]:
    """Return (athlete, candidates, the words after the athlete) for a command that acts on
    one athlete: '<number> rest…' or '<full name> rest…'.

    The name is the run of leading words that is exactly one athlete's full name (any case),
    so "/stepback Jo Smith sore" reaches Jo Smith, not Jo. When the words could name more
    than one athlete ("Jo" and "Jo Smith"), or only part of a name ("/hold Jo" for Jo
    Smith), the athlete is None and the candidates are returned: the handler asks for the
    number rather than guess. No candidate: nobody the caller sees (the neutral refusal)."""
    first = args[0].strip().lstrip("#")
    if first.isascii() and first.isdigit():
        athlete, matches = resolve_athlete(session, caller, args[0])
        return athlete, matches, args[1:]
    exact: dict[int, tuple[Person, int]] = {}
    for words in range(1, min(len(args), MAX_NAME_WORDS) + 1):
        typed = " ".join(args[:words])
        _found, matches = resolve_athlete(session, caller, typed)
        for match in matches:
            if match.id is not None and name_key(match.display_name) == name_key(typed):
                exact.setdefault(match.id, (match, words))
    if len(exact) == 1:
        [(athlete, words)] = exact.values()
        return athlete, [athlete], args[words:]
    if exact:
        return None, [found for found, _words in exact.values()], args
    _found, partial = resolve_athlete(session, caller, args[0])
    return None, partial, args


def _confirm_keyboard(
    context: Context,
    caller: Caller,
    action: str,
    ids: tuple[int | str, ...],
    label: str,
    now: Any,
) -> InlineKeyboardMarkup:
    """Return the [confirm] [cancel] buttons of a decision waiting for its confirmation,
    signed for the clinician who asked."""
    signer = signer_of(context)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    label, callback_data=signer.sign(action, ids, caller.telegram_id, now)
                ),
                InlineKeyboardButton(
                    str(CANCEL_LABEL),
                    callback_data=signer.sign(ACT_CANCEL, ids[:1], caller.telegram_id, now),
                ),
            ]
        ]
    )


def _await_step(session: Session, caller: Caller, kind: str, now: Any, **payload: Any) -> None:
    """Keep ``payload`` (an action on ``payload["athlete_id"]``) waiting for ``caller``'s next
    message or press, in the database: whichever replica receives it finishes the step."""
    steps.put_step(
        session,
        telegram_user_id=caller.telegram_id,
        kind=kind,
        payload=payload,
        now=now,
        athlete_id=payload["athlete_id"],
    )


def _await_input(session: Session, caller: Caller, now: Any, **payload: Any) -> str:
    """Keep ``payload`` waiting for ``caller``'s next message (see :func:`_await_step`);
    return a line saying what it replaces (a message, reason or note started for someone
    else or for something else), or "" when it replaces nothing."""
    before = steps.get_step(session, telegram_user_id=caller.telegram_id, kind=steps.INPUT, now=now)
    _await_step(session, caller, steps.INPUT, now, **payload)
    if before is None or before.expired:
        return ""
    old = before.payload
    if old.get("athlete_id") == payload["athlete_id"] and old.get("action") == payload["action"]:
        return ""
    other = session.get(Person, int(old.get("athlete_id") or 0))
    name = label_for_caller(session, other, caller) if other is not None else _("the athlete")
    return _(DROPPED_TEXT).format(name=name) + "\n"


def _reader(session: Session, caller: Caller) -> Person | None:
    """Return the person behind ``caller`` (who reads the reply), if they have an account."""
    return session.get(Person, caller.person_id) if caller.person_id is not None else None


async def ask_review_confirmation(
    update: Update,
    context: Context,
    session: Session,
    caller: Caller,
    athlete: Person,
    note: str,
    alert_ids: tuple[int, int],
    stage: str,
) -> None:
    """Show what a review will do, with [✅ Confirm review] [✖️ Cancel]; the note waits in the
    database (in ``session``) until they confirm, whichever replica takes the press."""
    assert update.effective_message is not None
    services = get_services(context)
    now = services.clock.now()
    keyboard = _confirm_keyboard(
        context,
        caller,
        ACT_REVIEW_OK,
        (athlete.id or 0, alert_ids[0], alert_ids[1], stage),
        str(CONFIRM_REVIEW_LABEL),
        now,
    )
    text = review_prompt(athlete, note, now, session, _reader(session, caller))
    shown = await update.effective_message.reply_text(text, reply_markup=keyboard)
    # Bound to this prompt: an older prompt's Confirm must not record a newer note.
    _await_step(
        session,
        caller,
        steps.CONFIRM,
        now,
        action="review",
        athlete_id=athlete.id,
        alert_ids=list(alert_ids),
        note=note,
        stage=stage,
        message_id=shown.message_id,
        seen=signs_seen(session, athlete, now),
        # The athlete's newest alert as the prompt is shown: its Confirm reviews none raised
        # after it (the clinician has not read them).
        shown_up_to=newest_alert_id(session, athlete_id=athlete.id or 0),
    )


def _command_action(kind: str, command: str, needs_reason: bool) -> Handler:
    @stops_update
    async def handler(update: Update, context: Context) -> None:
        acting = _Acting()
        await _unless_gone(update, context, acting, act(update, context, acting))

    async def act(update: Update, context: Context, acting: _Acting) -> None:
        assert update.effective_message is not None
        services = get_services(context)
        now = services.clock.now()
        with session_scope(services.engine) as session:
            resolved = await _authorised_athlete(update, context, session, kind, command, acting)  # type: ignore[arg-type]
            if resolved is None:
                return
            caller, actor, athlete, rest = resolved
            stage = None
            value = None
            if kind == "usual_tightness":
                # "/usual 12 4 [reason]": the tightness first (checked by the service, which
                # knows the protocol's range), then an optional reason.
                value, rest = (rest[0], rest[1:]) if rest else (None, [])
            if kind == "set_stage":
                if not rest:
                    await update.effective_message.reply_text(
                        _(
                            "Send {command} <number> <STAGE> <reason>, e.g. {command} 12 H2 pain"
                        ).format(command=command)
                    )
                    return
                stage, rest = rest[0].upper(), rest[1:]
            reason = " ".join(rest).strip() or None
            programme = current_programme(session, athlete.id or 0)
            if kind == "clear" and review_state(session, athlete, programme, now).suspended:
                # Running is stopped after a red flag: /clear is the review, noted and confirmed.
                current = programme.current_stage if programme is not None else "-"
                if reason is None:
                    dropped = _await_input(
                        session,
                        caller,
                        now,
                        action="review",
                        athlete_id=athlete.id,
                        alert_ids=[0, 0],
                        stage=current,
                    )
                    await update.effective_message.reply_text(
                        dropped
                        + _(REVIEW_NOTE_PROMPT).format(
                            name=label_for_caller(session, athlete, caller)
                        )
                    )
                    return
                await ask_review_confirmation(
                    update, context, session, caller, athlete, reason, (0, 0), current
                )
                return
            if needs_reason and not reason:
                await update.effective_message.reply_text(
                    _("Please give a reason: {command} <number> {stage}<reason>").format(
                        command=command, stage="<STAGE> " if kind == "set_stage" else ""
                    )
                )
                return
            if kind == "set_stage" and stage is not None and programme is not None:
                refusal = refusal_while_stopped(
                    session, _reader(session, caller), athlete, programme, kind, now
                )
                if refusal is not None:  # refused before asking to confirm a risky change
                    await update.effective_message.reply_text(refusal)
                    return
                protocol = programme_protocol(session, programme, now)
                risk = stage_change_risk(
                    session, athlete, protocol, stage, now, _reader(session, caller)
                )
                if risk is not None:
                    keyboard = _confirm_keyboard(
                        context,
                        caller,
                        ACT_STAGE_OK,
                        (athlete.id or 0, stage, programme.current_stage),
                        str(CONFIRM_STAGE_LABEL),
                        now,
                    )
                    shown = await update.effective_message.reply_text(risk, reply_markup=keyboard)
                    _await_step(
                        session,
                        caller,
                        steps.CONFIRM,
                        now,
                        action="set_stage",
                        athlete_id=athlete.id,
                        stage=stage,
                        note=reason,
                        message_id=shown.message_id,
                    )
                    return
            refused: str | None = None
            try:
                text = decide_by_command(
                    session, actor, athlete, kind, now, stage=stage, reason=reason, value=value
                )
            except ActionRefused as exc:
                refused = str(exc)
        # Replied once the transaction has ended: it holds the athlete's programme row lock,
        # which no Bot API call should keep another replica waiting on.
        if athlete_gone(services.engine, athlete.id or 0):
            # Deleted meanwhile: "no programme" or "no sign-off waiting" would mislead.
            await _say_gone(update)
            return
        if refused is not None:
            await update.effective_message.reply_text(refused)
            return
        kick(context)
        await update.effective_message.reply_text(text)

    return handler


@stops_update
async def note_command(update: Update, context: Context) -> None:
    """/note <number> <text>: add a note to the athlete's record; /note <number> alone shows
    their notes whole (the card shortens long ones)."""
    acting = _Acting()
    await _unless_gone(update, context, acting, _note(update, context, acting))


async def _note(update: Update, context: Context, acting: _Acting) -> None:
    assert update.effective_message is not None
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        resolved = await _authorised_athlete(update, context, session, "note", "/note", acting)
        if resolved is None:
            return
        caller, actor, athlete, rest = resolved
        text = " ".join(rest).strip()
        if not text:
            await update.effective_message.reply_text(notes_text(session, actor, athlete, now))
            return
        add_note(session, actor, athlete.id or 0, text, now)
        name = label_for_caller(session, athlete, caller)
    # A note is never sent to the athlete, but it is theirs to read: said as it is written.
    await update.effective_message.reply_text(
        _("Note added to {name}'s record.").format(name=name)
        + " "
        + _(NOTE_IN_EXPORT).format(name=name)
    )


# --- /unlink: the clinician stops following an athlete -------------------------------------------

ACT_UNLINK = "unf_yes"
ACT_UNLINK_KEEP = "unf_no"
# What the confirmation step holds as its action (other confirmations hold theirs).
_UNLINK_STEP = "unlink"


@stops_update
async def unlink_command(update: Update, context: Context) -> None:
    """/unlink <number or name> [reason] from a linked clinician: what stopping following the
    athlete does, with [Stop following] [Keep following] signed for them; the offer waits as
    their confirmation step, bound to the message shown (a press counts once, on the latest
    offer, while confirmations wait). An athlete's /unlink is the athlete flow's."""
    acting = _Acting()
    await _unless_gone(update, context, acting, _unlink(update, context, acting))


async def _unlink(update: Update, context: Context, acting: _Acting) -> None:
    message = update.effective_message
    assert message is not None
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        # Ending a link is the linked clinician's alone, authorised as a hold: an admin who
        # is not linked to the athlete is refused.
        resolved = await _authorised_athlete(update, context, session, "unlink", "/unlink", acting)
        if resolved is None:
            return
        caller, actor, athlete, rest = resolved
        reason = " ".join(rest).strip() or None
        offer = leaving.unlink_offer(session, actor, athlete)
        athlete_id = athlete.id or 0
    signer = signer_of(context)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    str(leaving.UNLINK_BUTTON),
                    callback_data=signer.sign(ACT_UNLINK, [athlete_id], caller.telegram_id, now),
                ),
                InlineKeyboardButton(
                    str(leaving.UNLINK_KEEP_BUTTON),
                    callback_data=signer.sign(
                        ACT_UNLINK_KEEP, [athlete_id], caller.telegram_id, now
                    ),
                ),
            ]
        ]
    )
    shown = await message.reply_text(
        leaving.unlink_offer_text(offer, reason), reply_markup=keyboard
    )
    # Bound to this message: an older offer's button does nothing once a newer one is shown.
    with session_scope(services.engine) as session:
        _await_step(
            session,
            caller,
            steps.CONFIRM,
            now,
            action=_UNLINK_STEP,
            athlete_id=athlete_id,
            note=reason,
            message_id=shown.message_id,
        )


def _unlink_offer(
    session: Session, caller: Caller, athlete_id: int, message_id: int | None, now: Any
) -> dict[str, Any] | None:
    """Take the clinician's waiting /unlink offer if the press is on it; return what it held
    (None: the press is not on the offer waiting now)."""
    step = steps.get_step(session, telegram_user_id=caller.telegram_id, kind=steps.CONFIRM, now=now)
    if (
        step is None
        or step.expired
        or step.payload.get("action") != _UNLINK_STEP
        or step.payload.get("athlete_id") != athlete_id
        or step.payload.get("message_id") != message_id
    ):
        return None
    # Taken once: of two presses (or two replicas), one finds it gone.
    taken = steps.take_step(
        session, telegram_user_id=caller.telegram_id, kind=steps.CONFIRM, now=now
    )
    return taken.payload if taken is not None else None


@stops_update
async def unlink_button(update: Update, context: Context) -> None:
    """Stop following or Keep following under a clinician's /unlink offer."""
    query = update.callback_query
    assert query is not None and query.data is not None
    services = get_services(context)
    now = services.clock.now()
    try:
        press = signer_of(context).verify(query.data, query.from_user.id, now)
        athlete_id = press.int_id(0)
    except CallbackExpired:
        # Their own button, too old: said in their language.
        with session_scope(services.engine, read_only=True) as session:
            caller_context(session, update, services)
        await query.answer(str(leaving.UNLINK_OVER), show_alert=True)
        await _drop_unlink_buttons(query)
        return
    except CallbackRejected as exc:
        with session_scope(services.engine, read_only=True) as session:
            caller, _person = caller_context(session, update, services)
        await refuse(update, context, caller, f"callback: {exc.reason}", command=query.data[:12])
        return
    shown_id = query.message.message_id if query.message is not None else None
    reply = str(leaving.UNLINK_OVER)
    finished = False
    with session_scope(services.engine) as session:
        caller, actor = caller_context(session, update, services)
        athlete = session.get(Person, athlete_id)
        if actor is None or actor.id is None or actor.role != "clinician":
            pass  # their account is gone, or is not a clinician's (any more)
        elif athlete is None or athlete_id not in caller.linked_athlete_ids:
            # The athlete unlinked them meanwhile (or was deleted), or a first press did it.
            reply = str(leaving.UNLINK_NOT_FOLLOWING)
        else:
            offer = _unlink_offer(session, caller, athlete_id, shown_id, now)
            name = label_for_caller(session, athlete, caller)
            if offer is None:
                pass
            elif press.action == ACT_UNLINK_KEEP:
                finished, reply = True, str(leaving.UNLINK_KEPT).format(name=name)
            elif leaving.stop_following(
                session,
                actor,
                athlete,
                now,
                signer_of(context),
                services.settings.admin_telegram_ids,
                reason=offer.get("note") or None,
            ):
                finished, reply = True, str(leaving.UNLINK_DONE).format(name=name)
                _LOGGER.info("clinician #%s stopped following athlete #%s", actor.id, athlete_id)
            else:  # unlinked a moment ago, on another replica
                reply = str(leaving.UNLINK_NOT_FOLLOWING)
    if not finished:
        await query.answer(reply, show_alert=True)
        await _drop_unlink_buttons(query)
        return
    kick(context)
    await query.answer()
    try:
        await query.edit_message_text(reply)
    except BadRequest as exc:
        _LOGGER.info("could not edit the /unlink offer: %s", exc.message)
        if query.message is not None:
            await context.bot.send_message(query.message.chat.id, reply)


async def _drop_unlink_buttons(query: Any) -> None:
    """Take buttons that can do nothing any more off the offer (already gone: fine)."""
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:
        _LOGGER.info("could not take the /unlink buttons off: %s", exc.message)


# --- alert and card buttons -------------------------------------------------------------------


_BUTTON_ACTIONS: dict[str, str] = {
    ACT_ACK: "acknowledge",
    ACT_CLEAR: "clear",
    ACT_DECLINE: "decline",
    ACT_HOLD: "hold",
    ACT_BACK: "step_back",
    ACT_MSG: "message",
    ACT_REVIEW: "review",
    ACT_REVIEW_OK: "review",
    ACT_STAGE_OK: "set_stage",
}


@stops_update
async def alert_button(update: Update, context: Context) -> None:
    """A press on an alert or athlete-card button: verify, authorise, record, apply, report.

    The decision is confirmed once, by a message in the chat (the press itself gets a silent
    answer); a press that changes nothing is answered with a pop-up saying why."""
    query = update.callback_query
    assert query is not None and query.data is not None
    services = get_services(context)
    now = services.clock.now()
    with session_scope(services.engine) as session:
        caller, actor = caller_context(session, update, services)
    try:
        press = signer_of(context).verify(query.data, query.from_user.id, now)
        athlete_id = press.int_id(0)
        if press.action == ACT_CANCEL:
            # Only the confirmation this Cancel came with: a message started since, or a newer
            # confirmation, stays.
            shown_id = query.message.message_id if query.message is not None else None
            with session_scope(services.engine) as session:
                step = steps.get_step(
                    session, telegram_user_id=caller.telegram_id, kind=steps.CONFIRM, now=now
                )
                if step is not None and step.payload.get("message_id") == shown_id:
                    steps.drop_steps(
                        session, telegram_user_id=caller.telegram_id, kinds=(steps.CONFIRM,)
                    )
            await query.answer()
            assert query.message is not None
            await context.bot.send_message(
                query.message.chat.id, _("Cancelled: nothing was changed.")
            )
            return
        if press.action == ACT_STAGE_OK:
            ids = (0, 0)
            shown_stage = press.ids[2] if len(press.ids) > 2 else None
        else:
            ids = (press.int_id(1), press.int_id(2))
            shown_stage = press.ids[3] if len(press.ids) > 3 else None
    except CallbackExpired as exc:
        if _may_press(caller, exc.press):
            await query.answer(_(TOO_OLD_TEXT), show_alert=True)
            return
        await refuse(update, context, caller, f"callback: {exc.reason}", command=query.data[:12])
        return
    except CallbackRejected as exc:
        await refuse(update, context, caller, f"callback: {exc.reason}", command=query.data[:12])
        return
    if athlete_gone(services.engine, athlete_id):  # the card's athlete deleted their data
        await query.answer(_(DELETED_TEXT), show_alert=True)
        return
    action: AthleteAction = _BUTTON_ACTIONS[press.action]  # type: ignore[assignment]
    decision = may_act_on_athlete(caller, athlete_id, action)
    if not decision or (actor is None and action != "acknowledge"):
        await refuse(
            update, context, caller, decision.reason, command=press.action, athlete_id=athlete_id
        )
        return
    acting = _Acting()
    acting.athlete_id = athlete_id
    pressed = _pressed(update, context, caller, actor, press, action, ids, shown_stage)
    await _unless_gone(update, context, acting, pressed)


async def _pressed(
    update: Update,
    context: Context,
    caller: Caller,
    actor: Person | None,
    press: SignedCallback,
    action: AthleteAction,
    ids: tuple[int, int],
    shown_stage: str | None,
) -> None:
    """Carry out a verified, authorised press of ``press`` (``action`` on its athlete, with
    the alert ``ids`` and the stage the card showed) and answer it."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    services = get_services(context)
    now = services.clock.now()
    athlete_id = press.int_id(0)
    if athlete_gone(services.engine, athlete_id):  # deleted since the press was authorised
        await _say_gone(update)
        return
    chat_id = query.message.chat.id
    if action == "decline" and not signoff_waiting(services.engine, athlete_id, now):
        await query.answer(_("No sign-off is waiting for this athlete."), show_alert=True)
        return
    if action == "decline" and not stage_still(
        services.engine, athlete_id, shown_stage, press.issued_at
    ):
        await query.answer(_(STALE_TEXT), show_alert=True)
        return
    if press.action == ACT_REVIEW:
        if not review_waiting(services.engine, athlete_id, now):
            await query.answer(
                _("Running is not stopped for this athlete: there is nothing to review."),
                show_alert=True,
            )
            return
        with session_scope(services.engine) as session:
            athlete = session.get(Person, athlete_id)
            name = label_for_caller(session, athlete, caller) if athlete is not None else ""
            dropped = _await_input(
                session,
                caller,
                now,
                action="review",
                athlete_id=athlete_id,
                alert_ids=list(ids),
                stage=shown_stage or "-",
            )
        await query.answer()
        await context.bot.send_message(chat_id, dropped + _(REVIEW_NOTE_PROMPT).format(name=name))
        return
    if action in ("message", "decline"):
        with session_scope(services.engine) as session:
            athlete = session.get(Person, athlete_id)
            name = label_for_caller(session, athlete, caller) if athlete is not None else ""
            dropped = _await_input(
                session,
                caller,
                now,
                action=action,
                athlete_id=athlete_id,
                alert_ids=list(ids),
                # A decline is about the stage the card showed: checked again with the
                # reason.
                stage=shown_stage,
            )
        prompt = (
            _("Write your message to {name} (or /cancel).")
            if action == "message"
            else _("Write why you decline {name}'s sign-off (or /cancel).")
            + " "
            + _(SENT_WORD_FOR_WORD)
        )
        await query.answer()
        await context.bot.send_message(chat_id, dropped + prompt.format(name=name))
        return
    if button_was_used(services.engine, query.data):
        await query.answer(_(ALREADY_DONE), show_alert=True)
        return
    waiting: dict[str, Any] | None = None
    if press.action in (ACT_REVIEW_OK, ACT_STAGE_OK):
        with session_scope(services.engine, read_only=True) as session:
            step = steps.get_step(
                session, telegram_user_id=caller.telegram_id, kind=steps.CONFIRM, now=now
            )
        waiting = step.payload if step is not None and not step.expired else None
        expected = "review" if press.action == ACT_REVIEW_OK else "set_stage"
        if (
            not waiting
            or waiting.get("message_id") != query.message.message_id
            or waiting.get("action") != expected
            or waiting.get("athlete_id") != athlete_id
            or (expected == "set_stage" and waiting.get("stage") != press.ids[1])
        ):
            await query.answer(_(EXPIRED_TEXT), show_alert=True)
            return
    if (action in STAGE_BOUND_ACTIONS or press.action == ACT_STAGE_OK) and not stage_still(
        services.engine, athlete_id, shown_stage, press.issued_at
    ):
        await query.answer(_(STALE_TEXT), show_alert=True)
        return
    if press.action == ACT_STAGE_OK:
        assert waiting is not None
        reply = _confirmed_stage(services, caller, athlete_id, waiting, now, query.data)
    else:
        reply = apply_button(
            services.engine,
            caller,
            actor,
            athlete_id,
            action,
            ids,
            now,
            services.settings.default_timezone,
            token=query.data,
            note=waiting.get("note") if waiting else None,
            seen=waiting.get("seen") if waiting else None,
            shown_up_to=_shown_up_to(waiting),
        )
    if reply in (_(ALREADY_DONE), _(GONE_TEXT)):  # another press got there first, or a /delete
        await query.answer(reply, show_alert=True)
        return
    if waiting is not None:
        with session_scope(services.engine) as session:
            steps.drop_steps(session, telegram_user_id=caller.telegram_id, kinds=(steps.CONFIRM,))
    kick(context)
    await query.answer()
    await context.bot.send_message(chat_id, reply)


def _shown_up_to(waiting: dict[str, Any] | None) -> int | None:
    """Return the athlete's newest alert id a review's confirmation kept when it was shown
    (None: no confirmation, or one shown before confirmations kept it)."""
    kept = waiting.get("shown_up_to") if waiting else None
    return int(kept) if isinstance(kept, int) else None


def _may_press(caller: Caller, press: SignedCallback) -> bool:
    """Decide whether the presser of an expired button may act on its athlete today (then
    they are told the button is too old; anyone else gets the neutral refusal)."""
    action = _BUTTON_ACTIONS.get(press.action, "view")
    try:
        athlete_id = press.int_id(0)
    except CallbackRejected:
        return False
    return bool(may_act_on_athlete(caller, athlete_id, action))  # type: ignore[arg-type]


def _confirmed_stage(
    services: Any, caller: Caller, athlete_id: int, waiting: dict[str, Any], now: Any, token: str
) -> str:
    """Apply a /stage the clinician confirmed; return their reply. The press is recorded with
    the change (``token``, the button's data): of two presses racing on two replicas, one
    moves the stage and the other is told it was already done."""
    try:
        with session_scope(services.engine) as session:
            actor = session.get(Person, caller.person_id) if caller.person_id else None
            athlete = session.get(Person, athlete_id)
            if athlete is None:
                return _(GONE_TEXT)
            if actor is None or actor.id is None:
                return _(REFUSAL_TEXT)
            try:
                reply = decide_by_command(
                    session,
                    actor,
                    athlete,
                    "set_stage",
                    now,
                    stage=str(waiting["stage"]),
                    reason=waiting.get("note"),
                )
            except ActionRefused as exc:
                return str(exc)
            if not use_button(
                session,
                token=token,
                athlete_id=athlete_id,
                pressed_by=actor.id,
                action="set_stage",
                now=now,
            ):
                raise ButtonAlreadyUsed
            return reply
    except ButtonAlreadyUsed:
        return _(ALREADY_DONE)


async def pending_text(update: Update, context: Context) -> None:
    """Text after 'Message athlete' / 'Decline' / 'Reviewed': deliver it (a review's note is
    shown back with a confirmation first). Other text from a clinician or admin gets a pointer
    to /help; anyone else's passes through."""
    message = update.effective_message
    if message is None or not message.text:
        return
    services = get_services(context)
    now = services.clock.now()
    user_id = update.effective_user.id if update.effective_user is not None else 0
    reply: str | None = None
    about: int | None = None  # the athlete the step is about
    # Nothing below raises inside the transaction: ApplicationHandlerStop would roll back the
    # step taken, the refusal's audit or the review's confirmation waiting for its press.
    try:
        with session_scope(services.engine) as session:
            caller, actor = caller_context(session, update, services)
            if not (caller.is_clinician or caller.is_admin):
                return  # only staff start steps in two parts; anyone else's text passes through
            step = steps.take_step(session, telegram_user_id=user_id, kind=steps.INPUT, now=now)
            if step is None:
                reply = _(STAFF_HINT)
            elif step.expired:
                reply = _(INPUT_EXPIRED_TEXT)
            else:
                about = int(step.payload.get("athlete_id") or 0) or None
                reply = await _finish_input(
                    update, context, session, caller, actor, step.payload, now
                )
    except GONE_ERRORS:
        # The athlete was deleted while the message or reason was being recorded.
        if about is None or not athlete_gone(services.engine, about):
            raise
        reply = _(GONE_TEXT)
    if reply is not None:
        if step is not None and not step.expired:
            kick(context)
        await message.reply_text(reply)
    raise ApplicationHandlerStop


async def _finish_input(
    update: Update,
    context: Context,
    session: Session,
    caller: Caller,
    actor: Person | None,
    pending: dict[str, Any],
    now: Any,
) -> str | None:
    """Finish the step ``pending`` with the text just typed; return the reply to send (None
    when it was sent here: a refusal, or a review's note shown back for its confirmation)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    athlete_id = int(pending["athlete_id"])
    alert_ids = tuple(pending["alert_ids"])
    action: AthleteAction = pending["action"]
    decision = may_act_on_athlete(caller, athlete_id, action)
    athlete = session.get(Person, athlete_id)
    if decision and athlete is None:  # linked a moment ago: deleted since
        return _(GONE_TEXT)
    if not decision or actor is None or athlete is None:
        await refuse(update, context, caller, decision.reason, command=action, session=session)
        return None
    if action == "review":
        note = " ".join(message.text.split())
        await ask_review_confirmation(
            update,
            context,
            session,
            caller,
            athlete,
            note,
            (int(alert_ids[0]), int(alert_ids[1])),
            str(pending.get("stage") or "-"),
        )
        return None
    return deliver_pending(
        session, actor, athlete, action, message.text, alert_ids, now, pending.get("stage")
    )


async def cancel_if_pending(update: Update, context: Context) -> None:
    """/cancel while a message, a note or a confirmation is awaited; otherwise leave it to
    others."""
    services = get_services(context)
    user_id = update.effective_user.id if update.effective_user is not None else 0
    with session_scope(services.engine) as session:
        dropped = steps.drop_steps(
            session, telegram_user_id=user_id, kinds=(steps.INPUT, steps.CONFIRM)
        )
    if not dropped:
        return
    assert update.effective_message is not None
    await update.effective_message.reply_text(_("Cancelled: nothing was changed."))
    raise ApplicationHandlerStop


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the clinician commands, the alert and /unlink buttons, pending-input capture and
    the job."""
    g = STAFF_GROUP
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
        ("usual", "usual_tightness", False),
    ):
        application.add_handler(
            CommandHandler(
                command, _command_action(kind, f"/{command}", needs_reason), filters=_PRIVATE
            ),
            group=g,
        )
    application.add_handler(CommandHandler("unlink", unlink_command, filters=_PRIVATE), group=g)
    application.add_handler(
        CallbackQueryHandler(unlink_button, pattern=rf"^({ACT_UNLINK}|{ACT_UNLINK_KEEP}):"),
        group=g,
    )
    application.add_handler(CommandHandler("cancel", cancel_if_pending, filters=_PRIVATE), group=g)
    actions = "|".join(ALERT_ACTIONS)
    application.add_handler(CallbackQueryHandler(alert_button, pattern=rf"^({actions}):"), group=g)
    application.add_handler(
        MessageHandler(_PRIVATE & filters.TEXT & ~filters.COMMAND, pending_text), group=g
    )
    install_escalation_job(application)
