"""What a clinician's decision does to the store, in the caller's transaction.

Every function here records the decision with who took it (Clearance, ClinicianActionRecord,
AlertRecord acknowledgement, StageChange, Note), applies it to the programme, writes an
AuditLog row and puts the athlete's notice in the Outbox (sent by the delivery job). Access is
checked by the caller (``bot.services.access``) before any of these run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from bot.clock import zone_of
from bot.reports.shown import SIGNOFF_ALERT_RULES, stage_words
from bot.reports.stage_history import is_warning_sign
from bot.scheduling.schedule import reschedule_athlete
from bot.services.clinician.alert_policy import URGENT
from bot.services.clinician.names import label_for_reader
from bot.services.protocol_admin import programme_protocol
from bot.services.timezones import place_name
from bot.store.models import (
    NOTICE_KIND,
    PROGRESS_CHART_KIND,
    AlertRecord,
    Clearance,
    ClinicianActionRecord,
    MorningCheckinRecord,
    Note,
    Outbox,
    Person,
    Programme,
    SessionReportRecord,
)
from bot.store.repo.alerts import claim_acknowledgement
from bot.store.repo.audit import audit
from bot.store.repo.links import clinicians_of
from bot.store.repo.messaging import enqueue_message
from bot.store.repo.programme import add_note as store_note
from bot.store.repo.programme import (
    move_stage,
    record_clinician_action,
    set_programme_status,
)
from bot.store.repo.programme import notes_about as store_notes_about
from bot.store.repo.programme import record_clearance as store_clearance
from bot.store.standing import (
    athlete_stage_status,
    gate_pending,
    reviewed_from,
    stay_entered_at,
    working_day,
)
from bot.support.formats import format_long_date, format_short_date, format_time
from bot.support.i18n import L_, N_, _, use_language
from engine.readiness import no_baseline_limits
from engine.schema import Protocol
from engine.status import StageStatus

ActionKind = Literal["hold", "step_back", "set_stage", "pause", "resume"]


NO_STAGE_BEFORE_A_REMOVED_ONE = L_(
    "Not changed: the athlete's stage is not in the protocol version the programme runs on, "
    "so there is no stage to step back to. Please set the stage with /stage."
)


class ActionRefused(Exception):
    """The action cannot apply to this athlete now; the message says why (shown to the user)."""


def chat_of(person: Person) -> int:
    """Return the chat to message a person in (their private chat is their user id)."""
    return person.chat_id if person.chat_id is not None else person.telegram_user_id


def current_programme(session: Session, athlete_id: int) -> Programme | None:
    """Return the athlete's newest programme that is not finished, or None."""
    return session.exec(
        select(Programme)
        .where(
            Programme.athlete_id == athlete_id,
            col(Programme.status).in_(("active", "paused")),
        )
        .order_by(col(Programme.id).desc())
    ).first()


def enqueue(
    session: Session,
    person: Person,
    text: str,
    now: dt.datetime,
    *,
    kind: str,
    athlete_id: int | None,
    reply_markup: dict[str, Any] | None = None,
    author_id: int | None = None,
) -> Outbox:
    """Queue a message to ``person`` in the Outbox (committed with the caller's transaction);
    ``author_id`` is told if it finally cannot be delivered."""
    return enqueue_message(
        session,
        chat_id=chat_of(person),
        text=text,
        kind=kind,
        now=now,
        reply_markup=reply_markup,
        person_id=person.id,
        athlete_id=athlete_id,
        author_id=author_id,
    )


def alert_group(
    session: Session, athlete_id: int, first_alert_id: int, last_alert_id: int
) -> list[AlertRecord]:
    """Return the athlete's alerts with ids in [first, last]: those one alert message covers."""
    return list(
        session.exec(
            select(AlertRecord)
            .where(
                AlertRecord.athlete_id == athlete_id,
                col(AlertRecord.id) >= first_alert_id,
                col(AlertRecord.id) <= last_alert_id,
            )
            .order_by(col(AlertRecord.created_at), col(AlertRecord.id))
        )
    )


def acknowledge(
    session: Session,
    actor: Person,
    athlete_id: int,
    alert_ids: tuple[int, int],
    now: dt.datetime,
) -> tuple[list[AlertRecord], list[AlertRecord]]:
    """Acknowledge the alerts of a message; return (newly acknowledged, acknowledged before)."""
    return _acknowledge_alerts(
        session, actor, athlete_id, alert_group(session, athlete_id, *alert_ids), now
    )


def _acknowledge_alerts(
    session: Session,
    actor: Person,
    athlete_id: int,
    alerts: list[AlertRecord],
    now: dt.datetime,
) -> tuple[list[AlertRecord], list[AlertRecord]]:
    """Acknowledge ``alerts`` (audited once); return (newly acknowledged, acknowledged
    before). Each is claimed in the store (:func:`claim_acknowledgement`): one acknowledged
    by someone else a moment ago, on another replica, counts as acknowledged before, with
    who did it."""
    fresh: list[AlertRecord] = []
    earlier: list[AlertRecord] = []
    for alert in alerts:
        if alert.acknowledged_at is not None:
            earlier.append(alert)
            continue
        assert alert.id is not None and actor.id is not None
        row, first = claim_acknowledgement(
            session, alert_id=alert.id, by_person_id=actor.id, now=now
        )
        (fresh if first else earlier).append(row)
    if fresh:
        audit(
            session,
            actor_id=actor.id,
            action="acknowledge",
            now=now,
            athlete_id=athlete_id,
            detail={"alert_ids": [a.id for a in fresh]},
        )
    return fresh, earlier


def _signoff_alerts(
    session: Session, programme: Programme, stay_since: dt.datetime | None
) -> list[AlertRecord]:
    """Return the athlete's alerts putting the sign-off of their current stage to the
    clinicians that a decision on it answers, oldest first: the open ones, and those raised
    in this stay (since ``stay_since``, when it entered the stage) that a decline answered
    (a sign-off over the decline is the last word on them) or that were acknowledged with
    no decision yet. The engine's sentence names the stage ("Stage H0 criteria met: …",
    "Sign-off for H0 recorded before …"): a request about another stage is not answered."""
    waiting = col(AlertRecord.acknowledged_at).is_(None)
    unanswered = or_(
        col(AlertRecord.action_taken) == "decline", col(AlertRecord.action_taken).is_(None)
    )
    if stay_since is not None:
        unanswered = and_(unanswered, col(AlertRecord.created_at) >= stay_since)
    rows = session.exec(
        select(AlertRecord)
        .where(
            AlertRecord.athlete_id == programme.athlete_id,
            col(AlertRecord.rule).in_(SIGNOFF_ALERT_RULES),
            or_(waiting, unanswered),
        )
        .order_by(col(AlertRecord.created_at), col(AlertRecord.id))
    )
    stage = programme.current_stage
    named = (f"Stage {stage} ", f"Sign-off for {stage} ")
    return [row for row in rows if row.text.startswith(named)]


def _answered_alerts(session: Session, programme: Programme) -> list[AlertRecord]:
    """Return the alerts a sign-off of the current stage (or its refusal) answers, oldest
    first: every alert asking for this stage's sign-off that is still open (or, in this
    stay, was declined or acknowledged with no decision), however the decision was given.

    Only those: a card's other alerts (the /athlete card's buttons carry every open alert
    of the athlete; an alert card may merge a pain report with the request) are no sign-off
    matter. Marked "clear", a pain alert would read "Reviewed: may run again" in the
    reports; they stay open until someone acknowledges or reviews them."""
    return _signoff_alerts(session, programme, stay_entered_at(session, programme))


def _reviewable(alert: AlertRecord) -> bool:
    """Whether a review after a red-flag stop answers ``alert``: a red flag (warning sign)
    or an urgent alert, open or acknowledged with no decision yet (one another decision
    answered keeps its record)."""
    unanswered = alert.acknowledged_at is None or alert.action_taken is None
    return unanswered and (alert.severity in URGENT or is_warning_sign(alert.rule))


def _reviewed_alerts(
    session: Session,
    athlete_id: int,
    alert_ids: tuple[int, int] | None,
    now: dt.datetime,
    shown_up_to: int | None = None,
) -> list[AlertRecord]:
    """Return the alerts a review after a red-flag stop answers, oldest first: the red flags
    and urgent alerts of the card it was given on (``alert_ids``) that no other decision
    answered (open, or acknowledged with no decision yet); without a card (/clear), the
    athlete's red flags and urgent alerts the review's confirmation was shown after (ids up
    to ``shown_up_to``; see ``newest_alert_id``): the open ones, and those acknowledged with
    no decision since the athlete's previous review (the stop this review lifts). An alert
    raised after the confirmation was shown was not read by the clinician: it is not
    answered (a red flag reported since refuses the review, see ``decisions.review``). A
    confirmation shown before confirmations kept ``shown_up_to`` answers those raised until
    ``now``."""
    if alert_ids is not None:
        chosen = alert_group(session, athlete_id, *alert_ids)
    else:
        # ✅ Acknowledge says "seen", not "reviewed": a red flag acknowledged before the
        # review is reviewed by it, as on the card. One acknowledged before an earlier review
        # belongs to an earlier stop, and a decision taken on an alert keeps its record.
        since = _previous_review_at(session, athlete_id)
        undecided: list[ColumnElement[bool]] = [col(AlertRecord.action_taken).is_(None)]
        if since is not None:
            undecided.append(col(AlertRecord.created_at) > since)
        query = select(AlertRecord).where(
            AlertRecord.athlete_id == athlete_id,
            or_(col(AlertRecord.acknowledged_at).is_(None), and_(*undecided)),
        )
        if shown_up_to is not None:
            query = query.where(col(AlertRecord.id) <= shown_up_to)
        else:
            query = query.where(col(AlertRecord.created_at) <= now)
        chosen = list(
            session.exec(query.order_by(col(AlertRecord.created_at), col(AlertRecord.id)))
        )
    if shown_up_to is not None:
        chosen = [a for a in chosen if (a.id or 0) <= shown_up_to]
    return [alert for alert in chosen if _reviewable(alert)]


def _previous_review_at(session: Session, athlete_id: int) -> dt.datetime | None:
    """Return when the athlete's latest review on record was given, or None (asked before
    the review being given is recorded)."""
    return session.exec(
        select(ClinicianActionRecord.at)
        .where(
            ClinicianActionRecord.athlete_id == athlete_id,
            ClinicianActionRecord.kind == "review",
        )
        .order_by(col(ClinicianActionRecord.at).desc())
    ).first()


def _mark_alert(
    session: Session, alert_ids: tuple[int, int] | None, athlete_id: int, taken: str
) -> None:
    """Mark the card's alerts with the decision taken on it (they are acknowledged with it),
    save those another decision answered already: they keep the record of their own."""
    if alert_ids is None:
        return
    for alert in alert_group(session, athlete_id, *alert_ids):
        if alert.action_taken is not None:
            continue
        alert.action_taken = taken
        session.add(alert)


def _clinician_name(actor: Person) -> str:
    return actor.display_name or _("Your clinician")


def apply_action(
    session: Session,
    actor: Person,
    athlete: Person,
    kind: ActionKind,
    now: dt.datetime,
    protocol: Protocol | None,
    *,
    stage: str | None = None,
    note: str | None = None,
    alert_ids: tuple[int, int] | None = None,
) -> str:
    """Record and apply hold / step back / set stage / pause / resume; return a summary line.

    Raises ActionRefused (with a message for the clinician) when the athlete has no
    programme, the stage is unknown, or a step back is impossible from the first stage.
    """
    assert athlete.id is not None and actor.id is not None
    programme = current_programme(session, athlete.id)
    if programme is None or programme.id is None:
        raise ActionRefused(_("This athlete has no programme in progress yet."))
    refusal = refusal_while_stopped(session, actor, athlete, programme, kind, now)
    if refusal is not None:
        raise ActionRefused(refusal)
    today = working_day(session, athlete, now)
    before = programme.current_stage
    new_stage = before
    if kind == "step_back":
        if protocol is None:
            raise ActionRefused(_("The athlete's protocol could not be loaded."))
        if before not in {s.id for s in protocol.stages}:
            # A newer version removed the athlete's stage: there is no stage before it.
            raise ActionRefused(str(NO_STAGE_BEFORE_A_REMOVED_ONE))
        new_stage = protocol.previous_stage(before)
        if new_stage == before:
            raise ActionRefused(
                _("{stage} is the first stage: there is nothing to step back to.").format(
                    stage=stage_words(protocol, before, "clinician")
                )
            )
    elif kind == "set_stage":
        if protocol is None:
            raise ActionRefused(_("The athlete's protocol could not be loaded."))
        ids = [s.id for s in protocol.stages]
        if stage not in ids:
            raise ActionRefused(
                _("Unknown stage {stage}: expected one of {stages}.").format(
                    stage=stage, stages=", ".join(ids)
                )
            )
        new_stage = stage
    record_clinician_action(
        session,
        athlete_id=athlete.id,
        clinician_id=actor.id,
        local_date=today,
        kind=kind,
        now=now,
        stage=new_stage if kind in ("step_back", "set_stage") else None,
        note=note,
    )
    if new_stage != before:
        move_stage(
            session,
            programme_id=programme.id,
            to_stage=new_stage,
            now=now,
            reason=f"{kind}: {note}" if note else kind,
            by_person_id=actor.id,
        )
    if kind in ("pause", "resume"):
        set_programme_status(
            session,
            programme_id=programme.id,
            status="paused" if kind == "pause" else "active",
            now=now,
        )
        athlete.paused = kind == "pause"
        session.add(athlete)
        session.flush()
        # Prompts follow the pause: pending ones are dropped, or planned again on resume.
        reschedule_athlete(session, athlete.id, now=now)
    _mark_alert(session, alert_ids, athlete.id, kind)
    audit(
        session,
        actor_id=actor.id,
        action="set_stage" if new_stage != before else f"clinician_{kind}",
        now=now,
        athlete_id=athlete.id,
        detail={
            "kind": kind,
            "from_stage": before,
            "to_stage": new_stage,
            "note": note,
            "alert_ids": list(alert_ids) if alert_ids else None,
            "local_date": today.isoformat(),
        },
    )
    with use_language(athlete.language):
        who = _clinician_name(actor)
        athlete_was = athlete_stage_words(protocol, before)
        athlete_now = athlete_stage_words(protocol, new_stage)
        notices = {
            "hold": _("{who} asked you to stay at {stage} for now: no moving up today."),
            "step_back": _(
                "{who} moved you back to {new}. Follow that stage's sessions for a few days."
            ),
            "set_stage": _("{who} moved you to {new}."),
            "pause": _("{who} paused your programme. You will not get check-ins until it resumes."),
            "resume": _("{who} resumed your programme at {stage}."),
        }
        if not _names_stage(protocol, before):
            # The stage in words ("your current stage", "a stage no longer in the protocol")
            # after "at" takes another case in German ("auf deine aktuelle Stufe bleibst"):
            # the athlete reads sentences of their own.
            notices["hold"] = _(
                "{who} asked you to stay at your current stage for now: no moving up today."
            )
            notices["resume"] = _("{who} resumed your programme at your current stage.")
        text = notices[kind].format(who=who, stage=athlete_was, new=athlete_now)
        if note:
            text += "\n" + _("Reason: {note}").format(note=note)
        enqueue(session, athlete, text, now, kind=NOTICE_KIND, athlete_id=athlete.id)
        caption = _("📈 Now at {stage}: your progress so far.").format(stage=athlete_now)
    if new_stage != before and athlete.chat_id is not None:
        # The athlete's small progress chart follows every stage change, as after the engine's.
        enqueue_message(
            session,
            chat_id=athlete.chat_id,
            text=caption,
            kind=PROGRESS_CHART_KIND,
            now=now,
            person_id=athlete.id,
            athlete_id=athlete.id,
        )
    session.flush()
    name = label_for_reader(session, athlete, actor)
    summaries = {
        "hold": _("Hold recorded for {name} at {stage}."),
        "step_back": _("{name} stepped back {stage} → {new}."),
        "set_stage": _("{name} moved to {new} (was {stage})."),
        "pause": _("{name}'s programme is paused."),
        "resume": _("{name}'s programme is resumed at {stage}."),
    }

    def clinician_words(stage: str) -> str:
        # "H1 · Early loading": codes are fine for clinicians, never on their own (voice.md).
        return stage_words(protocol, stage, "clinician")

    # The reason goes to the athlete with the notice, word for word: said once, plainly.
    read = " " + _(SENT_WORD_FOR_WORD).format(name=name) if note else ""
    if protocol is not None and before not in {s.id for s in protocol.stages}:
        # A stage in words after "at" reads wrongly in other languages ("en la etapa una
        # etapa …"): a hold or a resume there is said in a sentence of its own.
        removed = {
            "hold": _(
                "Hold recorded for {name}, at a stage no longer in the protocol. Please set "
                "the stage with /stage."
            ),
            "resume": _(
                "{name}'s programme is resumed, at a stage no longer in the protocol. Please "
                "set the stage with /stage."
            ),
        }
        if kind in removed:
            return removed[kind].format(name=name) + " " + _("They have been told.") + read

    return (
        summaries[kind].format(
            name=name, stage=clinician_words(before), new=clinician_words(new_stage)
        )
        + " "
        + _("They have been told.")
        + read
    )


# A reason or note the athlete is sent as it was typed (a decline's, a hold's, a /clear's),
# said where it is asked for or confirmed.
SENT_WORD_FOR_WORD = N_("{name} is sent what you write, word for word.")


STOPPED_FIRST = N_(
    "Not changed: running is stopped after a red flag. Review {name} first (🩺 Reviewed: may "
    "run again, or /clear {number} <note>); then step back or change the stage."
)
NOT_PAUSED = N_("{name}'s programme is not paused: there is nothing to resume.")
REVIEWED_FROM = N_(
    "Not changed: your review lets {name} run again from {day}; step back or change the stage "
    "from then."
)


def refusal_while_stopped(
    session: Session,
    reader: Person | None,
    athlete: Person,
    programme: Programme,
    kind: str,
    now: dt.datetime,
) -> str | None:
    """Return why ``kind`` cannot be applied to ``athlete`` now, or None when it can.

    The engine takes a step back, a stage change or a resume of a programme that is not
    paused as the clinician's review of a red-flag stop (it lifts the stop). A review is
    recorded only with a note the clinician confirmed, so these wait until running is no
    longer stopped, including the day a review recorded for tomorrow has not reached yet; a
    resume with nothing paused is refused outright (it would only lift a stop). ``reader``
    reads the reply.
    """
    name = label_for_reader(session, athlete, reader)
    if kind == "resume" and programme.status != "paused" and not athlete.paused:
        return _(NOT_PAUSED).format(name=name)
    if kind not in ("step_back", "set_stage"):
        return None
    state = review_state(session, athlete, programme, now)
    if state.suspended:
        return _(STOPPED_FIRST).format(name=name, number=athlete.id)
    if state.reviewed_from is not None:
        # Today's answers were already judged under the stop: a move dated today would be
        # applied before them and lift the stop a day before the review does.
        return _(REVIEWED_FROM).format(name=name, day=format_short_date(state.reviewed_from))
    return None


def _names_stage(protocol: Protocol | None, stage: str) -> bool:
    """Whether the athlete's stage has a name to read (the protocol can be read and holds
    it); else it is said in words, which a sentence made for its name cannot take in every
    language."""
    return protocol is not None and stage in {s.id for s in protocol.stages}


def athlete_stage_words(protocol: Protocol | None, stage: str) -> str:
    """Return a stage as the athlete reads it ("Stage 2 of 8 · early strength")."""
    if protocol is None:
        return _("your current stage")
    return stage_words(protocol, stage, "athlete")


def record_clearance(
    session: Session,
    actor: Person,
    athlete: Person,
    now: dt.datetime,
    *,
    declined: bool,
    note: str | None,
) -> Clearance:
    """Record a clinician's sign-off (or refusal) of the current stage's gate.

    It answers this stage's sign-off requests (see :func:`_answered_alerts`), whichever card
    or command it was given with.

    A review after a red-flag stop is not a sign-off: it is :func:`record_review`, recorded as
    its own action so that it never opens a gate.
    """
    assert athlete.id is not None and actor.id is not None
    programme = current_programme(session, athlete.id)
    if programme is None:
        raise ActionRefused(_("This athlete has no programme in progress yet."))
    today = working_day(session, athlete, now)
    row = store_clearance(
        session,
        athlete_id=athlete.id,
        stage=programme.current_stage,
        clinician_id=actor.id,
        local_date=today,
        now=now,
        declined=declined,
        note=note,
    )
    # The decision answers every request for this sign-off, and only those: they are
    # acknowledged with it, by whatever way it came (a card's button, /clear, /decline, a
    # typed decline reason), so no clinician is asked or reminded again about a gate that
    # has been decided. The card's other alerts are not answered by it (see
    # _answered_alerts). A refused sign-off (nothing recorded) never gets here.
    answered = _answered_alerts(session, programme)
    for alert in answered:
        # Each of SIGNOFF_ALERT_RULES: the reports read "clear" on any of them as "signed
        # off" (the OK to move on), on any other alert as "Reviewed: may run again".
        alert.action_taken = "decline" if declined else "clear"
        session.add(alert)
    _acknowledge_alerts(session, actor, athlete.id, answered, now)
    audit(
        session,
        actor_id=actor.id,
        action="decline" if declined else "clear",
        now=now,
        athlete_id=athlete.id,
        detail={
            "stage": programme.current_stage,
            "note": note,
            "local_date": today.isoformat(),
            "alert_ids": [a.id for a in answered] or None,
        },
    )
    with use_language(athlete.language):
        who = _clinician_name(actor)
        stage = athlete_stage_words(
            programme_protocol(session, programme, now), programme.current_stage
        )
        if declined:
            text = _("{who} has not given their OK to move on from {stage} yet.").format(
                who=who, stage=stage
            )
        else:
            text = _(
                "{who} has given their OK to move on from {stage}. You move up after your next "
                "good check-in and session."
            ).format(who=who, stage=stage)
        if note:
            text += "\n" + _("Note: {note}").format(note=note)
        enqueue(session, athlete, text, now, kind=NOTICE_KIND, athlete_id=athlete.id)
    _tell_other_clinicians(session, actor, athlete, programme, now, declined=declined, note=note)
    session.flush()
    return row


def _tell_other_clinicians(
    session: Session,
    actor: Person,
    athlete: Person,
    programme: Programme,
    now: dt.datetime,
    *,
    declined: bool,
    note: str | None,
) -> None:
    """Tell the athlete's other linked clinicians, each in their language, that ``actor``
    signed the gate off or declined it (with the reason): two clinicians following one
    athlete must not overrule each other unknowingly."""
    protocol = programme_protocol(session, programme, now)
    for other in clinicians_of(session, athlete_id=athlete.id or 0):
        if other.id == actor.id:
            continue
        with use_language(other.language):
            name = label_for_reader(session, athlete, other)
            stage = stage_words(protocol, programme.current_stage, "clinician")
            who = actor.display_name or _("Another clinician")
            if declined:
                text = _("{who} declined {name}'s sign-off at {stage}.").format(
                    who=who, name=name, stage=stage
                )
                if note:
                    text += "\n" + _("Reason: {note}").format(note=note)
            else:
                text = _("{who} signed off {name} at {stage}: they may move on.").format(
                    who=who, name=name, stage=stage
                )
            enqueue(session, other, text, now, kind=NOTICE_KIND, athlete_id=athlete.id)


def record_review(
    session: Session,
    actor: Person,
    athlete: Person,
    now: dt.datetime,
    *,
    note: str,
    alert_ids: tuple[int, int] | None = None,
    shown_up_to: int | None = None,
) -> dt.date:
    """Record a clinician's review after a red-flag stop ("Reviewed: may run again") and tell
    the athlete; return the day running may resume (today, or tomorrow when today's answers
    were already decided under the stop).

    Stored as a ``review`` clinician action: the engine lifts the stop with it and never reads
    it as a sign-off, so a sign-off gate of the stage still waits for its own clearance.
    ``shown_up_to`` is the athlete's newest alert when its confirmation was shown (see
    :func:`_reviewed_alerts`).
    """
    assert athlete.id is not None and actor.id is not None
    programme = current_programme(session, athlete.id)
    if programme is None:
        raise ActionRefused(_("This athlete has no programme in progress yet."))
    today = working_day(session, athlete, now)
    effective = review_effective_day(session, athlete.id, today)
    # The review answers the red flags and urgent alerts it reviewed (those of the card it was
    # given on; given by /clear, those raised before its confirmation was shown), and only
    # those: acknowledged with it, so nobody is reminded of them and no admin is handed them
    # after the clinician has reviewed the athlete. Read before the review is recorded: /clear
    # answers those since the previous one.
    answered = _reviewed_alerts(session, athlete.id, alert_ids, now, shown_up_to)
    record_clinician_action(
        session,
        athlete_id=athlete.id,
        clinician_id=actor.id,
        local_date=effective,
        kind="review",
        now=now,
        note=note,
    )
    for alert in answered:
        alert.action_taken = "review"
        session.add(alert)
    _acknowledge_alerts(session, actor, athlete.id, answered, now)
    audit(
        session,
        actor_id=actor.id,
        action="review",
        now=now,
        athlete_id=athlete.id,
        detail={
            "stage": programme.current_stage,
            "note": note,
            "local_date": today.isoformat(),
            "effective": effective.isoformat(),
            # The first and last alert it answered, as a card's pair (a voided review's
            # alerts are read from it).
            "alert_ids": [answered[0].id, answered[-1].id] if answered else None,
        },
    )
    with use_language(athlete.language):
        who = _clinician_name(actor)
        protocol = programme_protocol(session, programme, now)
        stage = athlete_stage_words(protocol, programme.current_stage)
        if not _names_stage(protocol, programme.current_stage):
            # As for a hold: no stage in words after "at".
            if effective == today:
                text = _(
                    "{who} has reviewed you: you may train again from today. Your morning "
                    "check-in sets the day's session."
                )
            else:
                text = _(
                    "{who} has reviewed you: you may train again from tomorrow. Your morning "
                    "check-in sets the day's session."
                )
        elif effective == today:
            text = _(
                "{who} has reviewed you: you may train again from today, at {stage}. "
                "Your morning check-in sets the day's session."
            )
        else:
            text = _(
                "{who} has reviewed you: you may train again from tomorrow, at {stage}. "
                "Your morning check-in sets the day's session."
            )
        text = text.format(who=who, stage=stage) + "\n" + _("Note: {note}").format(note=note)
        enqueue(session, athlete, text, now, kind=NOTICE_KIND, athlete_id=athlete.id)
    session.flush()
    return effective


# /usual <number> <tightness>: what the clinician is told when the tightness is missing, not
# a whole number, or above what the athlete's protocol accepts as usual.
USUAL_USAGE = N_(
    "Send /usual {number} followed by the tightness that is usual for {name}, a whole number "
    "from 0 to {most} (out of 10), e.g. /usual {number} 4"
)
USUAL_TOO_HIGH = N_(
    "Not recorded: the usual tightness you can accept for {name} is from 0 to {most} (out of "
    "10). Above {most}/10, their mornings stay rest days until the tightness comes down."
)
USUAL_NOT_ALLOWED = N_(
    "Not recorded: {name}'s protocol does not allow a usual tightness to be accepted."
)
USUAL_RECORDED = N_(
    "Usual tightness for {name} recorded: {value}/10. From their next morning check-in their "
    "tightness is compared with {value}/10, or with their good mornings if those show less: "
    "a rise of {light} points or more makes a lighter day, {rest} or more a rest day. At "
    "stages with running, tightness of {limit}/10 or more still means no running that day. "
    "It holds until you send /usual again or review them after a stop."
)
# /usual while running is stopped: a review after a stop ends an accepted usual, so one
# recorded before it would be gone the moment the review takes effect.
USUAL_WHILE_STOPPED = N_(
    "Not recorded: {name}'s running is stopped until your review takes effect (/clear "
    "{number} records it). A review after a stop ends an accepted usual, so send /usual after "
    "their next morning check-in."
)
USUAL_NOTICE = N_(
    "{who} has noted that tightness around {value}/10 is usual for you for now: I'll look for "
    "changes from that. A rise of {light} points or more means a lighter day, {rest} or more "
    "a rest day. Once you are running, tightness of {limit}/10 or more still means no running "
    "that day."
)
# The /athlete card's line: the latest usual tightness a clinician accepted.
USUAL_CARD_LINE = N_("Usual tightness accepted: {value}/10 ({day}).")
USUAL_CARD_LINE_FROM = N_("Usual tightness accepted: {value}/10, from their check-in on {day}.")


def accept_usual_tightness(
    session: Session,
    actor: Person,
    athlete: Person,
    typed: str | None,
    now: dt.datetime,
    *,
    note: str | None = None,
) -> str:
    """Record ``/usual``: the clinician, having examined the athlete, accepts tightness
    ``typed``/10 as usual for them (the engine's ``usual_tightness`` action: their trusted
    tightness baseline, or their good mornings' if lower, until another /usual or a review
    after a stop); tell the athlete; return the clinician's reply. Raises ActionRefused when
    the value is missing, not a whole number, or outside 0 to the protocol's
    ``usual_tightness_max``, and while running is stopped awaiting (or pending) a review,
    which would end it.

    Filed under the day of the athlete's next check-in (today if nothing is recorded today
    yet, else tomorrow, as a review): the engine reads it from that day's morning."""
    assert athlete.id is not None and actor.id is not None
    programme = current_programme(session, athlete.id)
    if programme is None:
        raise ActionRefused(_("This athlete has no programme in progress yet."))
    protocol = programme_protocol(session, programme, now)
    if protocol is None:
        raise ActionRefused(_("The athlete's protocol could not be loaded."))
    name = label_for_reader(session, athlete, actor)
    rules = protocol.rules.morning
    bound = rules.usual_tightness_max
    if bound is None:
        raise ActionRefused(_(USUAL_NOT_ALLOWED).format(name=name))
    most = bound.value
    word = (typed or "").strip().removesuffix("/10")
    if not (word.isascii() and word.isdigit()):
        raise ActionRefused(_(USUAL_USAGE).format(number=athlete.id, name=name, most=most))
    value = int(word)
    if value > most:
        raise ActionRefused(_(USUAL_TOO_HIGH).format(name=name, most=most))
    if review_state(session, athlete, programme, now).stopped:
        raise ActionRefused(_(USUAL_WHILE_STOPPED).format(name=name, number=athlete.id))
    today = working_day(session, athlete, now)
    effective = review_effective_day(session, athlete.id, today)
    session.add(
        ClinicianActionRecord(
            athlete_id=athlete.id,
            clinician_id=actor.id,
            local_date=effective,
            kind="usual_tightness",
            value=value,
            note=note,
            at=now,
        )
    )
    audit(
        session,
        actor_id=actor.id,
        action="clinician_usual_tightness",
        now=now,
        athlete_id=athlete.id,
        detail={
            "kind": "usual_tightness",
            "value": value,
            "note": note,
            "local_date": today.isoformat(),
            "effective": effective.isoformat(),
        },
    )
    light, rest = rules.modify_tightness_delta.value, rules.rest_tightness_delta.value
    limit = no_baseline_limits(protocol)[1]
    with use_language(athlete.language):
        text = _(USUAL_NOTICE).format(
            who=_clinician_name(actor), value=value, light=light, rest=rest, limit=limit
        )
        if note:
            text += "\n" + _("Reason: {note}").format(note=note)
        enqueue(session, athlete, text, now, kind=NOTICE_KIND, athlete_id=athlete.id)
    session.flush()
    read = " " + _(SENT_WORD_FOR_WORD).format(name=name) if note else ""
    return (
        _(USUAL_RECORDED).format(name=name, value=value, light=light, rest=rest, limit=limit)
        + " "
        + _("They have been told.")
        + read
    )


def usual_tightness_line(
    session: Session, athlete: Person, status: StageStatus | None, now: dt.datetime
) -> str | None:
    """The /athlete card's line about the usual tightness a clinician accepted for the
    athlete: the one in force (``status``, the engine's: a review that lifted a stop ends
    it), or one recorded for their next morning check-in; None otherwise."""
    row = session.exec(
        select(ClinicianActionRecord)
        .where(
            ClinicianActionRecord.athlete_id == athlete.id,
            ClinicianActionRecord.kind == "usual_tightness",
        )
        .order_by(col(ClinicianActionRecord.at).desc(), col(ClinicianActionRecord.id).desc())
    ).first()
    if row is None or row.value is None:
        return None
    if row.local_date > working_day(session, athlete, now):
        return _(USUAL_CARD_LINE_FROM).format(
            value=row.value, day=format_short_date(row.local_date)
        )
    if status is None or status.usual_tightness is None:
        return None
    return _(USUAL_CARD_LINE).format(
        value=status.usual_tightness, day=format_short_date(row.local_date)
    )


def add_note(session: Session, actor: Person, athlete_id: int, text: str, now: dt.datetime) -> Note:
    """Add a note to the athlete's record (audited)."""
    assert actor.id is not None
    note = store_note(session, athlete_id=athlete_id, author_id=actor.id, text=text, now=now)
    audit(
        session,
        actor_id=actor.id,
        action="note",
        now=now,
        athlete_id=athlete_id,
        detail={"note_id": note.id},
    )
    return note


NOTES_SHOWN = 10


def notes_text(session: Session, actor: Person, athlete: Person, now: dt.datetime) -> str:
    """Return the athlete's newest notes, whole, for /note <number> (audited as a view)."""
    assert athlete.id is not None
    notes = store_notes_about(session, athlete_id=athlete.id, limit=NOTES_SHOWN)
    audit(
        session,
        actor_id=actor.id,
        action="view",
        now=now,
        athlete_id=athlete.id,
        detail={"what": "notes", "count": len(notes)},
    )
    add = _("Add one with /note {id} <text>.").format(id=athlete.id)
    # The name as the reader reads it everywhere else ("Sam", "Sam (#3)" on a clash, "Athlete
    # #3" without a name); the number stays in the /note hint, where it is typed.
    name = label_for_reader(session, athlete, actor)
    if not notes:
        return _("No notes about {name} yet.").format(name=name) + " " + add
    lines = [_("Notes about {name}, newest first:").format(name=name)]
    zone = actor.timezone or "UTC"
    for note in notes:
        # In the reader's own time zone (set with /timezone), named unless it is UTC.
        local = note.created_at.astimezone(zone_of(zone))
        written = f"{format_long_date(local.date())} {format_time(local)}"
        if local.utcoffset() == dt.timedelta(0) and zone in ("UTC", "Etc/UTC"):
            heading = _("{when} UTC:").format(when=written)
        else:
            heading = _("{when} ({place}):").format(when=written, place=place_name(zone))
        lines.extend(["", heading, note.text])
    lines.extend(["", add])
    return "\n".join(lines)


def message_athlete(
    session: Session, actor: Person, athlete: Person, text: str, now: dt.datetime
) -> Outbox:
    """Queue a clinician's message to the athlete (audited, text not copied to the log). A
    text longer than one Telegram message is queued in parts; if it finally cannot be
    delivered, the clinician is told (``author_id``)."""
    with use_language(athlete.language):
        said = (
            _("Message from {who}:").format(who=actor.display_name)
            if actor.display_name
            else _("Message from your clinician:")
        )
    row = enqueue(
        session,
        athlete,
        f"{said}\n{text}",
        now,
        kind=NOTICE_KIND,
        athlete_id=athlete.id,
        author_id=actor.id,
    )
    audit(
        session,
        actor_id=actor.id,
        action="message_athlete",
        now=now,
        athlete_id=athlete.id,
        detail={"outbox_id": row.id},
    )
    return row


def open_alerts(session: Session, athlete_id: int) -> list[AlertRecord]:
    """Return the athlete's unacknowledged alerts, oldest first."""
    return list(
        session.exec(
            select(AlertRecord)
            .where(AlertRecord.athlete_id == athlete_id, col(AlertRecord.acknowledged_at).is_(None))
            .order_by(col(AlertRecord.created_at), col(AlertRecord.id))
        )
    )


@dataclass(frozen=True)
class ReviewState:
    """What waits for a clinician on an athlete: a sign-off gate, and/or a red-flag stop."""

    signoff_waiting: bool
    suspended: bool
    status: StageStatus | None
    # A review already recorded that lets the athlete run again from this (future) day.
    reviewed_from: dt.date | None = None

    @property
    def stopped(self) -> bool:
        """Whether running is stopped today (a review may already be recorded for tomorrow)."""
        return self.suspended or self.reviewed_from is not None

    @property
    def criteria_met(self) -> bool:
        """Whether every exit criterion of the stage is met (False when unknown)."""
        return self.status is not None and all(c.met for c in self.status.criteria)

    @property
    def may_sign_off(self) -> bool:
        """Whether a sign-off can count now: one waits, the stage's exit criteria are all met
        and running is not stopped (a sign-off given before would lapse: the engine asks
        again once the criteria are met, and a stop needs a review first)."""
        return self.signoff_waiting and self.criteria_met and not self.stopped


def review_effective_day(session: Session, athlete_id: int, today: dt.date) -> dt.date:
    """Return the day a review lifting a red-flag stop takes effect: today if the athlete has
    recorded nothing today yet, else tomorrow (the engine applies a day's clinician actions
    before that day's answers, and today's stop has already been decided)."""
    for table in (MorningCheckinRecord, SessionReportRecord):
        found = session.exec(
            select(table.id).where(table.athlete_id == athlete_id, table.local_date == today)
        ).first()
        if found is not None:
            return today + dt.timedelta(days=1)
    return today


def review_state(
    session: Session, athlete: Person, programme: Programme | None, now: dt.datetime
) -> ReviewState:
    """Return what waits for a clinician, from the engine's stage status (which also knows
    early sign-offs and red-flag stops); without an injury on record, from the stage's own
    'required' sign-off."""
    if programme is None:
        return ReviewState(False, False, None)
    protocol = programme_protocol(session, programme, now)
    if protocol is None:
        return ReviewState(False, False, None)
    today = working_day(session, athlete, now)
    status = athlete_stage_status(session, programme, protocol, today)
    if status is None:
        return ReviewState(gate_pending(session, programme, protocol), False, None)
    state = review_state_from_status(
        session, programme.athlete_id, programme.current_stage, status, today
    )
    if programme.current_stage not in {s.id for s in protocol.stages}:
        # The version no longer holds the athlete's stage: the replay ran from its first
        # stage, whose criteria and sign-off are not the athlete's. A red-flag stop stands.
        return replace(state, signoff_waiting=False, status=None)
    return state


def review_state_from_status(
    session: Session, athlete_id: int, stage: str, status: StageStatus, today: dt.date
) -> ReviewState:
    """Return what waits for a clinician on the athlete in ``stage``, given their stage status
    as of ``today`` (a red-flag stop waits unless a review already lets them run again)."""
    ahead = None
    if status.suspended:
        ahead = reviewed_from(session, athlete_id, stage, today)
    return ReviewState(status.signoff_pending, status.suspended and ahead is None, status, ahead)
