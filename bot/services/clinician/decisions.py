"""What a clinician's decision on one athlete does, from a command, a button or a typed note.

The handlers parse the command or verify the pressed button and check access; the functions
here look at what waits on the athlete (a sign-off, a review after a red-flag stop), apply the
decision with ``bot.services.clinician.actions`` and return the sentence the clinician reads.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.reports.shown import stage_words
from bot.services.access import REFUSAL_TEXT, AthleteAction, Caller, may_act_on_athlete
from bot.services.athlete.engine_bridge import warning_sign_reported_at
from bot.services.callers import ensure_admin_person
from bot.services.clinician.actions import (
    SENT_WORD_FOR_WORD,
    ActionRefused,
    accept_usual_tightness,
    acknowledge,
    apply_action,
    current_programme,
    message_athlete,
    record_clearance,
    record_review,
    review_effective_day,
    review_state,
)
from bot.services.clinician.alert_policy import URGENT
from bot.services.clinician.names import label_for_caller, label_for_reader
from bot.services.protocol_admin import programme_protocol
from bot.store.db import session_scope
from bot.store.models import (
    AlertRecord,
    ClinicianActionRecord,
    Decision,
    Link,
    Person,
    Programme,
)
from bot.store.repo.buttons import button_used, use_button
from bot.store.repo.links import clinicians_of
from bot.store.repo.programme import lock_programme
from bot.store.standing import clearances_in_this_stay, stay_entered_at, working_day
from bot.support.formats import format_short_date
from bot.support.i18n import N_, _, ngettext
from engine.schema import Protocol

# Said by name: "/clear 5" typed between two patients is answered about the athlete meant.
NOTHING_WAITS = N_("No sign-off is waiting for {name}: nothing was recorded.")
NO_STOP = N_("Running is not stopped for this athlete: there is nothing to review.")
ALREADY_DONE = N_("Already done: this button was pressed before, so nothing changed.")
ALREADY_HELD = N_("{name} is already on hold today at {stage}: nothing changed.")
# A second /pause: nothing is recorded and the athlete is not told again.
ALREADY_PAUSED = N_(
    "{name}'s programme is already paused: nothing changed, and they were not told again."
)
ALREADY_HELD_REMOVED_STAGE = N_(
    "{name} is already on hold today, at a stage no longer in the protocol: nothing changed. "
    "Please set the stage with /stage."
)
STALE_TEXT = N_(
    "The athlete's stage has changed since this message: nothing was done. "
    "Open /athlete for the current state."
)
NEW_SIGN_TEXT = N_(
    "Not recorded: {name} has reported a new red flag since this review was put to you. "
    "Read the new alert, then review again if running may start."
)
# The athlete's account was deleted while a clinician was acting on them (their own /delete
# on another replica, a moment before): said plainly rather than as an error or a refusal.
GONE_TEXT = N_("Nothing was done: this athlete's account has just been deleted.")
# A button of a card about an athlete who has since deleted their account (pressed days
# later, say): made for the presser, who saw that athlete, so said plainly, not refused.
DELETED_TEXT = N_("Nothing was done: this athlete deleted their account and all of their data.")
# What a review prompt records when the athlete's day has no warning sign yet.
NO_SIGN_SEEN = "none"
# A stage change this soon after a red flag (a stop, an urgent alert) asks for confirmation.
RED_FLAG_CAUTION = dt.timedelta(hours=72)


class ButtonAlreadyUsed(Exception):
    """The pressed button was pressed before: its transaction must not commit."""


def athlete_gone(engine: Engine, athlete_id: int) -> bool:
    """Tell whether the athlete's account no longer exists (read in its own session): asked
    when an action the caller was allowed fails or finds nothing, to tell them why."""
    with session_scope(engine, read_only=True) as session:
        return session.get(Person, athlete_id) is None


def still_allowed(session: Session, caller: Caller, athlete_id: int, action: AthleteAction) -> bool:
    """Decide again, in the transaction that applies it, whether ``caller`` may do ``action``
    on the athlete: their links are read afresh, so an unlink committed since the press was
    checked (an earlier transaction) is seen and the decision refused."""
    linked = caller.person_id is not None and (
        session.exec(
            select(Link.id).where(
                Link.athlete_id == athlete_id, Link.clinician_id == caller.person_id
            )
        ).first()
        is not None
    )
    fresh = caller.model_copy(
        update={"linked_athlete_ids": frozenset({athlete_id}) if linked else frozenset()}
    )
    return may_act_on_athlete(fresh, athlete_id, action).allowed


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


def review_waiting(engine: Engine, athlete_id: int, now: dt.datetime) -> bool:
    """Tell whether running is stopped for the athlete until a clinician reviews them."""
    with session_scope(engine, read_only=True) as session:
        athlete = session.get(Person, athlete_id)
        if athlete is None:
            return False
        programme = current_programme(session, athlete_id)
        return review_state(session, athlete, programme, now).suspended


def _stage_words(protocol: Protocol | None, stage: str) -> str:
    return stage_words(protocol, stage, "clinician")


def clear_or_decline(
    session: Session,
    actor: Person,
    athlete: Person,
    programme: Programme | None,
    now: dt.datetime,
    declined: bool,
    note: str | None,
) -> tuple[bool, str]:
    """Record a sign-off of the stage's gate (or its refusal) if one waits and can count;
    return whether it was recorded and the clinician's reply. A sign-off is refused while
    running is stopped (a review comes first) and before the stage's exit criteria are all
    met (it would lapse)."""
    state = review_state(session, athlete, programme, now)
    name = label_for_reader(session, athlete, actor)
    if not declined and state.suspended:
        return False, _(
            "Not recorded: running is stopped after a red flag. Review {name} first "
            "(🩺 Reviewed: may run again, or /clear {number} <note>); the sign-off comes after."
        ).format(name=name, number=athlete.id)
    if not state.signoff_waiting:
        signed = clearances_in_this_stay(session, programme, declined=False) if programme else []
        if not signed:
            return False, _(NOTHING_WAITS).format(name=name)
        given = signed[0]
        by = session.get(Person, given.clinician_id)
        return False, _("Already signed off by {names} on {day}: nothing changed.").format(
            names=(by.display_name if by is not None else "") or _("someone"),
            day=format_short_date(given.local_date),
        )
    if not declined and state.reviewed_from is not None:
        # Reviewed already, with effect from a later day: the sign-off can count from then.
        return False, _(
            "Not recorded yet: your review lets {name} run again from {day}; the sign-off can "
            "be given from then."
        ).format(name=name, day=format_short_date(state.reviewed_from))
    if not declined and not state.criteria_met:
        left = [c for c in (state.status.criteria if state.status else []) if not c.met]
        return False, ngettext(
            "Not recorded: a sign-off counts only once every exit criterion of this stage "
            "is met ({count} is not yet). You will be asked when they are.",
            "Not recorded: a sign-off counts only once every exit criterion of this stage "
            "is met ({count} are not yet). You will be asked when they are.",
            len(left),
        ).format(count=len(left))
    overruled = "" if declined else _overruled(session, actor, programme)
    # It answers this stage's sign-off requests, whichever card (if any) it was given on.
    record_clearance(session, actor, athlete, now, declined=declined, note=note)
    # A note typed with the command goes to the athlete with the notice: said once.
    read = " " + _(SENT_WORD_FOR_WORD).format(name=name) if note else ""
    if declined:
        reply = _("Sign-off declined for {name}. They have been told.").format(name=name)
        return True, reply + read
    reply = _("Signed off: {name} may move on. They have been told.").format(name=name)
    return True, reply + read + overruled


def _overruled(session: Session, actor: Person, programme: Programme | None) -> str:
    """Return a line for a clinician signing off a gate another clinician declined in this
    stay (who, when, why), or "" when nobody else declined it."""
    if programme is None:
        return ""
    declines = clearances_in_this_stay(session, programme, declined=True)
    others = [c for c in declines if c.clinician_id != actor.id]
    if not others:
        return ""
    last = others[-1]
    by = session.get(Person, last.clinician_id)
    linked = {c.id for c in clinicians_of(session, athlete_id=programme.athlete_id)}
    told = (
        _("{who} declined this sign-off on {day} and has been told you gave it.")
        if last.clinician_id in linked  # only linked clinicians are told (actions.py)
        else _("{who} declined this sign-off on {day}.")
    )
    line = told.format(
        who=(by.display_name if by is not None else "") or _("Another clinician"),
        day=format_short_date(last.local_date),
    )
    if last.note:
        line += "\n" + _("Reason: {note}").format(note=last.note)
    return "\n" + line


def signs_seen(session: Session, athlete: Person, now: dt.datetime) -> str:
    """Return what a review prompt shown now lets the clinician know of: the athlete's working
    day and when its latest warning sign was reported ("2026-03-03 2026-03-03T07:10:00+00:00",
    or the day and NO_SIGN_SEEN). Kept with the prompt, so that its Confirm can tell a sign
    that came in afterwards, on that day or a later one."""
    programme = current_programme(session, athlete.id or 0)
    protocol = programme_protocol(session, programme, now) if programme else None
    day = working_day(session, athlete, now)
    if programme is None or protocol is None:
        return f"{day.isoformat()} {NO_SIGN_SEEN}"
    reported = warning_sign_reported_at(session, protocol, programme.athlete_id, day)
    return f"{day.isoformat()} {reported.isoformat() if reported is not None else NO_SIGN_SEEN}"


def _new_sign_since(
    session: Session, athlete: Person, programme: Programme, now: dt.datetime, seen: str
) -> bool:
    """Tell whether the athlete reported a warning sign after the review prompt that recorded
    ``seen`` (see :func:`signs_seen`) was shown: a later one on the prompt's day, or any on a
    day after it (a Confirm pressed after midnight). A ``seen`` without its day (a prompt
    shown before prompts recorded it) is read as of today's working day."""
    protocol = programme_protocol(session, programme, now)
    if protocol is None:
        return False
    today = working_day(session, athlete, now)
    shown_on, _, latest = seen.rpartition(" ")
    first = dt.date.fromisoformat(shown_on) if shown_on else today
    known = None if latest == NO_SIGN_SEEN else dt.datetime.fromisoformat(latest)
    day = first
    while day <= today:
        reported = warning_sign_reported_at(session, protocol, programme.athlete_id, day)
        if reported is not None and (known is None or day > first or reported > known):
            return True
        day += dt.timedelta(days=1)
    return False


def review(
    session: Session,
    actor: Person,
    athlete: Person,
    now: dt.datetime,
    note: str,
    alert_ids: tuple[int, int] | None,
    seen: str | None = None,
    shown_up_to: int | None = None,
) -> tuple[bool, str]:
    """Record a review that lets the athlete run again after a stop, if running is stopped;
    return whether it was recorded and the clinician's reply.

    ``seen`` is what the confirmed prompt recorded (:func:`signs_seen`; None for a prompt
    from before prompts recorded it): a warning sign reported since then is refused, or the
    review would lift a stop the clinician has not read about. ``shown_up_to`` is the
    athlete's newest alert when that prompt was shown: the review answers no alert raised
    after it (see ``actions.record_review``)."""
    programme = lock_programme(session, athlete_id=athlete.id or 0)
    state = review_state(session, athlete, programme, now)
    if not state.suspended:
        return False, _(NO_STOP)
    if (
        seen is not None
        and programme is not None
        and _new_sign_since(session, athlete, programme, now, seen)
    ):
        name = label_for_reader(session, athlete, actor)
        return False, _(NEW_SIGN_TEXT).format(name=name)
    today = working_day(session, athlete, now)
    effective = record_review(
        session, actor, athlete, now, note=note, alert_ids=alert_ids, shown_up_to=shown_up_to
    )
    name = label_for_reader(session, athlete, actor)
    if effective == today:
        what = _("Reviewed: {name} may run again from today. They have been told.")
    else:
        what = _("Reviewed: {name} may run again from tomorrow. They have been told.")
    reply = what.format(name=name)
    if state.signoff_waiting:
        reply += "\n" + _("The stage's sign-off still waits: it is a separate decision.")
    return True, reply


def review_prompt(
    athlete: Person, note: str, now: dt.datetime, session: Session, reader: Person | None
) -> str:
    """Return the confirmation ``reader`` (the clinician) reads before a review is recorded."""
    name = label_for_reader(session, athlete, reader)
    today = working_day(session, athlete, now)
    later = review_effective_day(session, athlete.id or 0, today) != today
    when = _("tomorrow") if later else _("today")
    prompt = _(
        "Confirm the review of {name}: running may start again from {when}, and the "
        "stop after the red flag is lifted.\nNote: {note}"
    ).format(name=name, when=when, note=note)
    # The note goes to the athlete word for word with the review: say so before it does.
    return prompt + "\n" + _("{name} will read this note.").format(name=name)


def stage_change_risk(
    session: Session,
    athlete: Person,
    protocol: Protocol | None,
    target: str,
    now: dt.datetime,
    reader: Person | None,
) -> str | None:
    """Return why a /stage to ``target`` needs a confirmation (the risk, in words), or None:
    it moves more than one stage, or comes within 72 h of a red flag."""
    programme = current_programme(session, athlete.id or 0)
    if programme is None or protocol is None:
        return None
    ids = [s.id for s in protocol.stages]
    if target not in ids or programme.current_stage not in ids:
        return None
    jump = ids.index(target) - ids.index(programme.current_stage)
    risks: list[str] = []
    if jump > 1:
        risks.append(
            ngettext(
                "This skips {count} stage: its exit criteria will not have been checked.",
                "This skips {count} stages: their exit criteria will not have been checked.",
                jump - 1,
            ).format(count=jump - 1)
        )
    elif jump < -1:
        risks.append(
            _("This moves {name} back {count} stages at once.").format(
                name=label_for_reader(session, athlete, reader), count=-jump
            )
        )
    since = now - RED_FLAG_CAUTION
    stop = session.exec(
        select(Decision.id).where(
            Decision.athlete_id == (athlete.id or 0),
            Decision.outcome == "stop",
            col(Decision.created_at) >= since,
        )
    ).first()
    urgent = session.exec(
        select(AlertRecord.id).where(
            AlertRecord.athlete_id == (athlete.id or 0),
            col(AlertRecord.severity).in_(sorted(URGENT)),
            col(AlertRecord.created_at) >= since,
        )
    ).first()
    if stop is not None or urgent is not None:
        risks.append(
            _(
                "A red flag was reported in the last 72 hours: changing the stage now may "
                "load tissue that has not been checked."
            )
        )
    if not risks:
        return None
    return "\n".join(
        [
            _("Move {name} from {old} to {new}?").format(
                name=label_for_reader(session, athlete, reader),
                old=_stage_words(protocol, programme.current_stage),
                new=_stage_words(protocol, target),
            ),
            *risks,
        ]
    )


# A button's issue time is signed to the minute (``bot.services.callback_auth``).
_ISSUE_PRECISION = dt.timedelta(minutes=1)


def stage_still(
    engine: Engine, athlete_id: int, shown_stage: str | None, issued_at: dt.datetime | None = None
) -> bool:
    """Tell whether the athlete is still in the stay at the stage the pressed message showed:
    at that stage, and (given the button's ``issued_at``) not entered again since the message
    was sent. A card from an earlier stay at the same stage (before a step back and a climb
    back, say) speaks of a gate or a stop that is no longer the one waiting now."""
    with session_scope(engine, read_only=True) as session:
        programme = current_programme(session, athlete_id)
        if programme is None or shown_stage is None or shown_stage != programme.current_stage:
            return False
        if issued_at is None:
            return True
        entered = stay_entered_at(session, programme)
    return entered is None or entered < issued_at + _ISSUE_PRECISION


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
    note: str | None = None,
    seen: str | None = None,
    shown_up_to: int | None = None,
) -> str:
    """Apply a decision pressed on an alert or athlete card (acknowledge, sign off, review,
    hold, step back) in its own transaction; return the reply for the presser. An admin
    without a stored person gets one (in ``default_timezone``). Acknowledge, hold and step
    back acknowledge the alerts the card covered; a sign-off only this stage's sign-off
    requests, a review only the card's red flags and urgent alerts (see ``actions``).
    ``note`` is the review's note (a review is confirmed with one), ``seen`` what its prompt
    let the clinician know of and ``shown_up_to`` the athlete's newest alert when it was
    shown (see :func:`review`).

    ``token`` is the pressed button's data: a decision is recorded with it, so a second press
    of the same button (even racing the first) changes nothing and answers ALREADY_DONE.
    """
    try:
        with session_scope(engine) as session:
            return _apply_button(
                session,
                caller,
                actor,
                athlete_id,
                action,
                ids,
                now,
                default_timezone,
                token,
                note,
                seen,
                shown_up_to,
            )
    except ButtonAlreadyUsed:
        return _(ALREADY_DONE)


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
    note: str | None,
    seen: str | None,
    shown_up_to: int | None,
) -> str:
    alert_ids = ids if ids != (0, 0) else None
    if token is not None and button_used(session, token=token):
        raise ButtonAlreadyUsed
    athlete = session.get(Person, athlete_id)
    if athlete is None:
        return _(GONE_TEXT)
    if not still_allowed(session, caller, athlete_id, action):
        return _(REFUSAL_TEXT)
    actor = (
        ensure_admin_person(session, caller.telegram_id, "Admin", None, now, default_timezone)
        if actor is None
        else session.merge(actor)
    )
    name = label_for_caller(session, athlete, caller)
    if action == "acknowledge":
        if alert_ids is None:
            return _("There was no alert to acknowledge.")
        fresh, earlier = acknowledge(session, actor, athlete_id, alert_ids, now)
        if not fresh and earlier:
            by = {a.acknowledged_by for a in earlier}
            names = [p.display_name for p in (session.get(Person, i) for i in by if i) if p]
            return _("Already acknowledged by {names}.").format(
                names=", ".join(names) or _("someone")
            )
        _use(session, token, athlete_id, actor, action, now)
        return ngettext(
            "Acknowledged {count} alert about {name}.",
            "Acknowledged {count} alerts about {name}.",
            len(fresh),
        ).format(count=len(fresh), name=name)
    programme = lock_programme(session, athlete_id=athlete_id)
    protocol = programme_protocol(session, programme, now) if programme else None
    try:
        if action in ("clear", "review"):
            # Each acknowledges what it answers (actions.record_clearance, record_review),
            # not every alert of the card: a sign-off is no answer to a pain report.
            if action == "clear":
                done, reply = clear_or_decline(session, actor, athlete, programme, now, False, None)
            else:
                done, reply = review(
                    session, actor, athlete, now, note or "", alert_ids, seen, shown_up_to
                )
            if not done:
                return reply
            _use(session, token, athlete_id, actor, action, now)
            return reply
        if action == "hold" and programme is not None and held_today(session, athlete, now):
            return _already_held(session, actor, athlete, programme, protocol)
        summary = apply_action(
            session,
            actor,
            athlete,
            action,  # type: ignore[arg-type]
            now,
            protocol,
            # No note: it would be stored in the presser's language and read by the athlete
            # and other clinicians in theirs; the acknowledged alerts say where it came from.
            note=None,
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
            ClinicianActionRecord.local_date == working_day(session, athlete, now),
        )
    ).first()
    return found is not None


def _already_held(
    session: Session,
    reader: Person | None,
    athlete: Person,
    programme: Programme,
    protocol: Protocol | None,
) -> str:
    """The reply to a second hold on one day, naming the athlete and the stage as the
    clinician reads them (a reply read between two patients says whom it is about)."""
    stage = programme.current_stage
    name = label_for_reader(session, athlete, reader)
    if protocol is not None and stage not in {s.id for s in protocol.stages}:
        # A stage in words after "at" reads wrongly in other languages: a sentence of its own.
        return _(ALREADY_HELD_REMOVED_STAGE).format(name=name)
    where = stage_words(protocol, stage, "clinician")
    return _(ALREADY_HELD).format(name=name, stage=where)


def decide_by_command(
    session: Session,
    actor: Person,
    athlete: Person,
    kind: str,
    now: dt.datetime,
    *,
    stage: str | None,
    reason: str | None,
    value: str | None = None,
) -> str:
    """Apply /clear (a sign-off), /decline, /hold, /stepback, /stage, /pause, /resume or
    /usual (``value``: the tightness as typed) on ``athlete``; return the clinician's reply.
    Raises ActionRefused with the reason when it cannot apply. (A /clear while running is
    stopped is a review: the handler confirms it first and records it with :func:`review`.)"""
    programme = lock_programme(session, athlete_id=athlete.id or 0)
    if kind == "usual_tightness":
        return accept_usual_tightness(session, actor, athlete, value, now, note=reason)
    protocol = programme_protocol(session, programme, now) if programme else None
    if kind in ("clear", "decline"):
        return clear_or_decline(session, actor, athlete, programme, now, kind == "decline", reason)[
            1
        ]
    if kind == "hold" and programme is not None and held_today(session, athlete, now):
        return _already_held(session, actor, athlete, programme, protocol)
    if kind == "pause" and programme is not None and programme.status == "paused":
        # Read under the programme's lock: of two /pause racing, the second says so.
        return _(ALREADY_PAUSED).format(name=label_for_reader(session, athlete, actor))
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
    stage: str | None = None,
) -> str:
    """Send the message a clinician typed after "Message athlete", or record the sign-off
    they declined with the reason they typed; return their reply (or why it was refused).

    A decline counts only for the sign-off of ``stage``, the stage the pressed card showed:
    if the athlete has moved on, or no sign-off waits any more, nothing is recorded and the
    clinician is told the card is stale.
    """
    name = label_for_reader(session, athlete, actor)
    try:
        if action == "message":
            message_athlete(session, actor, athlete, text, now)
            return _("Sent to {name}.").format(name=name)
        programme = lock_programme(session, athlete_id=athlete.id or 0)
        current = programme.current_stage if programme is not None else "-"
        if stage != current or not review_state(session, athlete, programme, now).signoff_waiting:
            return _(STALE_TEXT)
        # It answers this stage's sign-off requests, not the card's other alerts.
        record_clearance(session, actor, athlete, now, declined=True, note=text)
        return _("Sign-off declined for {name}. They have been told.").format(name=name)
    except ActionRefused as exc:
        return str(exc)
