"""What a clinician's decision on one athlete does, from a command, a button or a typed note.

The handlers parse the command or verify the pressed button and check access; the functions
here look at what waits on the athlete (a sign-off, a review after a red-flag stop), apply the
decision with ``bot.services.clinician.actions`` and return the sentence the clinician reads.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import local_date
from bot.services.access import REFUSAL_TEXT, AthleteAction, Caller
from bot.services.callers import ensure_admin_person
from bot.services.clinician.actions import (
    ActionRefused,
    acknowledge,
    apply_action,
    current_programme,
    message_athlete,
    record_clearance,
    review_effective_day,
    review_state,
)
from bot.services.protocol_admin import programme_protocol
from bot.store.db import session_scope
from bot.store.models import ClinicianActionRecord, Person, Programme
from bot.store.repo.buttons import button_used, use_button

NOTHING_WAITS = "No sign-off or review is waiting for this athlete."
ALREADY_DONE = "Already done: this button was pressed before, so nothing changed."
ALREADY_HELD = "Already on hold today at {stage}; nothing changed."


class ButtonAlreadyUsed(Exception):
    """The pressed button was pressed before: its transaction must not commit."""


def button_was_used(engine: Engine, token: str) -> bool:
    """Tell whether the button ``token`` was pressed before (read in its own session)."""
    with session_scope(engine, read_only=True) as session:
        return button_used(session, token=token)


def signoff_waiting(engine: Engine, athlete_id: int, now: dt.datetime) -> bool:
    """Tell whether a sign-off waits for a clinician on the athlete (read in its own session)."""
    with session_scope(engine, read_only=True) as session:
        athlete = session.get(Person, athlete_id)
        if athlete is None:
            return False
        programme = current_programme(session, athlete_id)
        return review_state(session, athlete, programme, now).signoff_waiting


def _answered_today(session: Session, athlete: Person, now: dt.datetime) -> bool:
    assert athlete.id is not None
    today = local_date(athlete, now)
    return review_effective_day(session, athlete.id, today) != today


def clear_or_decline(
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


def stage_still(engine: Engine, athlete_id: int, shown_stage: str | None) -> bool:
    """Tell whether the athlete is still at the stage the pressed message showed."""
    with session_scope(engine, read_only=True) as session:
        programme = current_programme(session, athlete_id)
    current = programme.current_stage if programme is not None else "-"
    return shown_stage is not None and shown_stage == current


def apply_button(
    engine: Engine,
    caller: Caller,
    actor: Person | None,
    athlete_id: int,
    action: AthleteAction,
    ids: tuple[int, int],
    now: dt.datetime,
    default_timezone: str,
    token: str | None = None,
) -> str:
    """Apply a decision pressed on an alert or athlete card (acknowledge, clear, hold, step
    back) in its own transaction; return the reply for the presser. An admin without a stored
    person gets one (in ``default_timezone``); alerts the card covered are acknowledged.

    ``token`` is the pressed button's data: a decision is recorded with it, so a second press
    of the same button (even racing the first) changes nothing and answers ALREADY_DONE.
    """
    try:
        with session_scope(engine) as session:
            return _apply_button(
                session, caller, actor, athlete_id, action, ids, now, default_timezone, token
            )
    except ButtonAlreadyUsed:
        return ALREADY_DONE


def _apply_button(
    session: Session,
    caller: Caller,
    actor: Person | None,
    athlete_id: int,
    action: AthleteAction,
    ids: tuple[int, int],
    now: dt.datetime,
    default_timezone: str,
    token: str | None,
) -> str:
    alert_ids = ids if ids != (0, 0) else None
    if token is not None and button_used(session, token=token):
        raise ButtonAlreadyUsed
    athlete = session.get(Person, athlete_id)
    if athlete is None:
        return REFUSAL_TEXT
    actor = (
        ensure_admin_person(session, caller.telegram_id, "Admin", None, now, default_timezone)
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
        _use(session, token, athlete_id, actor, action, now)
        return f"Acknowledged {len(fresh)} alert(s) about {athlete.display_name}."
    programme = current_programme(session, athlete_id)
    protocol = programme_protocol(session, programme, now) if programme else None
    try:
        if action == "clear":
            reply = clear_or_decline(
                session, actor, athlete, programme, now, False, None, alert_ids
            )
            if reply == NOTHING_WAITS:
                return reply
            if alert_ids:
                acknowledge(session, actor, athlete_id, alert_ids, now)
            _use(session, token, athlete_id, actor, action, now)
            return reply
        if action == "hold" and programme is not None and held_today(session, athlete, now):
            return ALREADY_HELD.format(stage=programme.current_stage)
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
        _use(session, token, athlete_id, actor, action, now)
        return summary
    except ActionRefused as exc:
        return str(exc)


def _use(
    session: Session,
    token: str | None,
    athlete_id: int,
    actor: Person,
    action: str,
    now: dt.datetime,
) -> None:
    """Record the press of ``token`` with the decision; raise ButtonAlreadyUsed (rolling the
    decision back) if another press of it got there first."""
    if token is None or actor.id is None:
        return
    if not use_button(
        session, token=token, athlete_id=athlete_id, pressed_by=actor.id, action=action, now=now
    ):
        raise ButtonAlreadyUsed


def held_today(session: Session, athlete: Person, now: dt.datetime) -> bool:
    """Tell whether a hold is already recorded for the athlete's current local day."""
    found = session.exec(
        select(ClinicianActionRecord.id).where(
            ClinicianActionRecord.athlete_id == (athlete.id or 0),
            ClinicianActionRecord.kind == "hold",
            ClinicianActionRecord.local_date == local_date(athlete, now),
        )
    ).first()
    return found is not None


def decide_by_command(
    session: Session,
    actor: Person,
    athlete: Person,
    kind: str,
    now: dt.datetime,
    *,
    stage: str | None,
    reason: str | None,
) -> str:
    """Apply /clear, /decline, /hold, /stepback, /stage, /pause or /resume on ``athlete``;
    return the clinician's reply. Raises ActionRefused with the reason when it cannot apply."""
    programme = current_programme(session, athlete.id or 0)
    protocol = programme_protocol(session, programme, now) if programme else None
    if kind in ("clear", "decline"):
        return clear_or_decline(
            session, actor, athlete, programme, now, kind == "decline", reason, None
        )
    if kind == "hold" and programme is not None and held_today(session, athlete, now):
        return ALREADY_HELD.format(stage=programme.current_stage)
    return apply_action(
        session,
        actor,
        athlete,
        kind,  # type: ignore[arg-type]
        now,
        protocol,
        stage=stage,
        note=reason,
    )


def deliver_pending(
    session: Session,
    actor: Person,
    athlete: Person,
    action: AthleteAction,
    text: str,
    alert_ids: tuple[int, ...],
    now: dt.datetime,
) -> str:
    """Send the message a clinician typed after "Message athlete", or record the sign-off
    they declined with the reason they typed; return their reply (or why it was refused)."""
    try:
        if action == "message":
            message_athlete(session, actor, athlete, text, now)
            return f"Sent to {athlete.display_name}."
        ids = (alert_ids[0], alert_ids[1]) if alert_ids != (0, 0) else None
        record_clearance(session, actor, athlete, now, declined=True, note=text, alert_ids=ids)
        return f"Sign-off declined for {athlete.display_name}. The athlete has been told."
    except ActionRefused as exc:
        return str(exc)
