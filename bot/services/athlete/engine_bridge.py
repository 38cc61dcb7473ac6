"""Running the pure engine on an athlete's stored history, and recording what it decided.

The programme row keeps a snapshot of the engine state at the end of the last *closed* day
(``{"as_of": date, "state": ProgrammeState}``); today is never folded into it because a
session report may still change today. To decide today, the days since the snapshot are
folded from the stored records (a day with nothing recorded is a missed check-in), then
``decide_day`` runs on today's record with the last 28 days as its window.

The snapshot only moves on where the days it folds are closed: each folded day's daily
decision is recorded and its new alerts raised in the same transaction (``_start_of``), so a
read such as /status that folds missed days loses none of their decisions or alerts. "Today"
is the athlete's working day (``bot.store.standing.working_day``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.clock import local_date
from bot.scheduling.registry import AlertNotifier
from bot.services import texts
from bot.services.protocol_admin import active_version
from bot.store import repo
from bot.store.models import (
    PROGRESS_CHART_KIND,
    AlertRecord,
    AuditLog,
    ClinicianActionRecord,
    Decision,
    MorningCheckinRecord,
    Person,
    Programme,
    SessionReportRecord,
)
from bot.store.repo.alerts import MISSED_CHECKINS_RULE
from bot.store.standing import (
    athlete_stage_status,
    load_snapshot,
    parse_stored,
    protocol_for,
)
from bot.wording import stage_label
from engine.models import DayRecord, Injury, Metrics, MorningCheckIn, Reason, SessionReport
from engine.plan import prescribe
from engine.programme import (
    RECENT_DAYS,
    RULES_VERSION,
    DayOutcome,
    ProgrammeState,
    decide_day,
    initial_state,
)
from engine.red_flags import triage_morning, triage_session
from engine.schema import Protocol
from engine.status import StageStatus, stage_status

STARTED_RULE = "programme.started"
STARTED_TEXT = "Programme started today; first check-in tomorrow."
_PROGRAMME_MEMO = "athlete_engine.programme"
ENGINE_MISSED_RULE = "escalate.missed"
_MISSING_RULES = frozenset({"missing.checkin", ENGINE_MISSED_RULE})


@dataclass
class EngineRun:
    """Today's outcome, the programme and protocol it came from, and days folded on the way.

    ``state_after`` and ``injury`` (set by ``run_today``) give the stage status after today
    without reading the history again.
    """

    outcome: DayOutcome
    programme: Programme
    protocol: Protocol
    state_before: ProgrammeState
    folded: list[DayOutcome] = field(default_factory=list)
    state_after: ProgrammeState | None = None
    injury: Injury | None = None
    # Alerts of the folded days raised on the way (their clinician messages still to queue).
    raised_on_the_way: int = 0

    def status_after(self, today: dt.date) -> StageStatus | None:
        """Return where the athlete stands after this decision (what a clinician's card shows:
        criteria left, a sign-off waiting, a red-flag stop), or None if unknown.

        Only for a decision about ``today``, the athlete's local date: one about an earlier
        day (a session report finished after midnight) is followed by today's clinician
        actions, e.g. a review dated today, which only a fresh look at the history includes.
        """
        if self.state_after is None or self.injury is None or self.outcome.date != today:
            return None
        return stage_status(
            self.protocol, self.injury, None, self.state_after, (), on=self.outcome.date
        )


def notify_nobody(
    session: Session, athlete_id: int, now: dt.datetime, status: StageStatus | None = None
) -> int:
    """The notifier for flows that raise no alerts (benchmarks, tests). Scheduled prompts
    have the athlete flow's notifier (``bot.handlers.jobs.build_scheduler``): opening a
    questionnaire may complete another one whose answers recorded a warning sign."""
    return 0


def stage_checks(protocol: Protocol, stage_id: str) -> tuple[str, ...]:
    """Return the functional-check keys the stage's criteria read (asked after a session)."""
    stage = protocol.stage(stage_id)
    keys: list[str] = []
    for criterion in (*stage.exit_criteria, *stage.regression_triggers):
        group, _, key = criterion.item.partition(".")
        if group == "checks" and key not in keys:
            keys.append(key)
    return tuple(keys)


def start_programme_for(
    session: Session,
    athlete_id: int,
    injury: Injury,
    injury_id: int | None,
    today: dt.date,
    now: dt.datetime,
) -> tuple[Programme, Protocol]:
    """Start the athlete at the first stage of the active protocol for their injury."""
    row = active_version(session, injury.injury, now)
    if row is None:
        raise LookupError(f"no protocol for {injury.injury}")
    protocol = parse_stored(row.name, row.version, row.text)
    state = initial_state(protocol, today)
    programme = repo.start_programme(
        session,
        athlete_id=athlete_id,
        protocol_name=row.name,
        protocol_version=row.version,
        first_stage=state.stage,
        start_date=today,
        now=now,
        injury_id=injury_id,
        state_json=_snapshot(today - dt.timedelta(days=1), state, row.version),
    )
    return programme, protocol


def _snapshot(as_of: dt.date, state: ProgrammeState, version: int) -> str:
    """The stored snapshot: the state at the end of ``as_of`` under protocol ``version``."""
    return json.dumps(
        {
            "as_of": as_of.isoformat(),
            "protocol_version": version,
            "rules": RULES_VERSION,
            "state": state.model_dump(mode="json"),
        }
    )


def remember_programme(
    session: Session, athlete_id: int, programme: Programme, injury_group: str | None
) -> None:
    """Keep the athlete's current programme (and injured muscle group) for the rest of this
    transaction, so the engine run and the questions do not read it again."""
    session.info[(_PROGRAMME_MEMO, athlete_id)] = (programme, injury_group)


def known_programme(session: Session, athlete_id: int) -> tuple[Programme, str | None] | None:
    """Return the programme remembered in this transaction while it is still current."""
    known = session.info.get((_PROGRAMME_MEMO, athlete_id))
    # The remembered row is the session's own object, so a status change shows here.
    if known is None or known[0].status not in ("active", "paused"):
        return None
    return known  # type: ignore[no-any-return]


def _require(session: Session, athlete_id: int) -> tuple[Programme, Protocol, Injury]:
    known = known_programme(session, athlete_id)
    programme = (
        known[0] if known is not None else repo.get_active_programme(session, athlete_id=athlete_id)
    )
    injury = repo.latest_injury(session, athlete_id=athlete_id)
    if programme is None or injury is None:
        raise LookupError(f"athlete {athlete_id} has no programme yet")
    return programme, protocol_for(session, programme), injury


@dataclass
class _StartOfDay:
    """The state at the start of a day, the records of its window (≤ 28 days before it, plus
    its own, last), the days folded on the way with the alerts they raised, and the
    programme's context."""

    state: ProgrammeState
    window: list[DayRecord]
    folded: list[DayOutcome]
    raised: int
    programme: Programme
    protocol: Protocol
    injury: Injury
    baseline: Metrics | None


def _start_of(session: Session, athlete_id: int, today: dt.date, now: dt.datetime) -> _StartOfDay:
    """Fold the days between the snapshot and ``today`` into the state and close them: each
    folded day's daily decision is recorded (unless it has one) and its new alerts raised,
    then the snapshot moves to the end of the day before ``today``.

    Whoever reads first after missed days (a /status, a /plan, the check-in) closes them the
    same way, so the decisions and alerts of those days are never lost with the snapshot.
    """
    programme, protocol, injury = _require(session, athlete_id)
    baseline = repo.latest_baseline(session, athlete_id=athlete_id)
    as_of, state = load_snapshot(session, programme, protocol)
    if as_of >= today:
        # A day the snapshot already holds is decided again (a session report for yesterday
        # finished after midnight, or its pain follow-up): re-derive from the start of the
        # programme.
        as_of = programme.start_date - dt.timedelta(days=1)
        state = initial_state(protocol, programme.start_date)
    since = min(as_of + dt.timedelta(days=1), today) - dt.timedelta(days=RECENT_DAYS)
    records = repo.load_day_records(session, athlete_id=athlete_id, since=since, until=today)
    by_date = {r.date: r for r in records}
    window = [r for r in records if r.date <= as_of][-RECENT_DAYS:]
    folded: list[DayOutcome] = []
    day = as_of + dt.timedelta(days=1)
    while day < today:
        record = by_date.get(day) or DayRecord(date=day)
        outcome, state = decide(protocol, injury, baseline, state, record, window, programme)
        folded.append(outcome)
        window.append(record)
        del window[:-RECENT_DAYS]
        day += dt.timedelta(days=1)
    raised = 0
    if folded and programme.id is not None:
        for outcome in folded:
            if not _has_decision(session, athlete_id, outcome.date, "daily"):
                _record(session, programme, outcome, "daily", now)
        raised = _raise_new(session, programme, protocol, folded, now)
        repo.save_programme_state(
            session,
            programme_id=programme.id,
            state_json=_snapshot(today - dt.timedelta(days=1), state, programme.protocol_version),
            now=now,
        )
    window.append(by_date.get(today) or DayRecord(date=today))
    return _StartOfDay(state, window, folded, raised, programme, protocol, injury, baseline)


def state_at_start_of(
    session: Session, athlete_id: int, today: dt.date, now: dt.datetime
) -> tuple[
    ProgrammeState, list[DayRecord], list[DayOutcome], Programme, Protocol, Injury, Metrics | None
]:
    """Fold and close the days between the snapshot and ``today`` (see ``_start_of``).

    Returns the state at the start of today, the records of the window (≤ 28 days before
    today, plus today's), the outcomes of the days folded now, and the programme context
    (programme, protocol, injury, baseline).
    """
    start = _start_of(session, athlete_id, today, now)
    return (
        start.state,
        start.window,
        start.folded,
        start.programme,
        start.protocol,
        start.injury,
        start.baseline,
    )


def run_today(session: Session, person: Person, today: dt.date, now: dt.datetime) -> EngineRun:
    """Decide ``today`` from the stored history (check-in and session, if reported)."""
    assert person.id is not None
    start = _start_of(session, person.id, today, now)
    outcome, after = decide(
        start.protocol,
        start.injury,
        start.baseline,
        start.state,
        start.window[-1],
        start.window[:-1],
        start.programme,
    )
    return EngineRun(
        outcome,
        start.programme,
        start.protocol,
        start.state,
        start.folded,
        after,
        start.injury,
        start.raised,
    )


def decide(
    protocol: Protocol,
    injury: Injury,
    baseline: Metrics | None,
    state: ProgrammeState,
    record: DayRecord,
    window: list[DayRecord],
    programme: Programme,
) -> tuple[DayOutcome, ProgrammeState]:
    """Run ``decide_day`` on one day; the programme's first day without a check-in is the
    day it started, not a missed check-in.

    The athlete onboards during that day and their first prompt comes the next morning, so
    the day holds (no training is prescribed without a check-in) with the reason "Programme
    started today", and it neither adds to the missed-check-in streak nor raises its alert.
    """
    outcome, after = decide_day(protocol, injury, baseline, state, record, window)
    if record.date != programme.start_date or record.morning is not None:
        return outcome, after
    started = Reason(rule=STARTED_RULE, text=STARTED_TEXT)
    outcome = outcome.model_copy(
        update={
            "reasons": [started, *(r for r in outcome.reasons if r.rule not in _MISSING_RULES)],
            "alerts": [a for a in outcome.alerts if a.rule not in _MISSING_RULES],
        }
    )
    return outcome, after.model_copy(update={"missed_streak": state.missed_streak})


def close_days_before(
    session: Session, person: Person, today: dt.date, now: dt.datetime, notify: AlertNotifier
) -> bool:
    """Close the days between the snapshot and ``today`` (``_start_of``: their decisions
    recorded, their new alerts raised) and queue the clinician messages of those alerts;
    return whether any was queued. For the athlete's reads (/status, /plan before the
    check-in), which decide nothing about today."""
    assert person.id is not None
    start = _start_of(session, person.id, today, now)
    if not start.raised:
        return False
    return bool(notify(session, person.id, now))


def status_today(
    session: Session, person: Person, today: dt.date, now: dt.datetime
) -> tuple[StageStatus, Protocol]:
    """Return where the athlete stands in the current stage at the end of ``today`` as
    recorded so far (today's check-in, session and actions: a red flag this morning, a step
    back, a clinician's move, a pause or resume), and the protocol (to name its stages and
    criteria).

    The days before ``today`` are closed first (``_start_of``); today is decided without
    recording anything, from the same read as the clinician's card
    (``bot.store.standing.athlete_stage_status``), so both say the same.
    """
    assert person.id is not None
    start = _start_of(session, person.id, today, now)
    status = athlete_stage_status(session, start.programme, start.protocol, today)
    if status is None:  # a day before the programme's first: the state it starts from
        status = stage_status(start.protocol, start.injury, None, start.state, (), on=today)
    return status, start.protocol


# What the preview of today's session assumes about the morning: nothing wrong (no warning
# sign, no pain, good sleep), so it shows the most today's session can be.
_FINE_MORNING = MorningCheckIn(
    red_flags=[],
    pain_rest=0,
    pain_test=0,
    tightness=0,
    confidence=10,
    sleep_quality=1,
    fatigue=1,
    stress=1,
    soreness=1,
    sleep_hours=8,
)


def plan_preview(
    session: Session, person: Person, today: dt.date, now: dt.datetime
) -> tuple[DayOutcome, Protocol]:
    """Return today's session before the check-in: the day decided (without recording
    anything) as if the morning were fine, with the protocol.

    So the preview keeps what holds whatever the morning: no running while a clinician's
    review is awaited (``review_pending``), none or only easier running inside a rest
    interval, and today's clinician actions (a review this morning). A fine morning that
    would move the athlete up previews the current stage's full session, not the next one:
    the move needs the real check-in.
    """
    assert person.id is not None
    start = _start_of(session, person.id, today, now)
    # The imagined check-in is answered now: the real-time rest rule counts from it, and a
    # session already reported today came before it (no second session).
    today_record = start.window[-1]
    record = today_record.model_copy(
        update={"morning": _FINE_MORNING, "morning_at": today_record.morning_at or now}
    )
    outcome, _after = decide(
        start.protocol,
        start.injury,
        start.baseline,
        start.state,
        record,
        start.window[:-1],
        start.programme,
    )
    if outcome.decision == "progress" and any(r.rule == "progress" for r in outcome.reasons):
        plan = prescribe(start.protocol, outcome.stage, start.baseline, None)
        outcome = outcome.model_copy(update={"plan": plan, "stage_after": outcome.stage})
    return outcome, start.protocol


def _void_reviews_before_the_stop(
    session: Session, protocol: Protocol, athlete_id: int, day: dt.date, now: dt.datetime
) -> None:
    """A review recorded for a later day ("may run again from tomorrow", the athlete having
    checked in) reviewed the stop it was given for, not a warning sign reported after it the
    same day (a /problem, a session's sharp or severe pain): the engine would lift the new
    stop with it the next morning. Such a review is voided (audited with its note), so running stays
    stopped until a clinician reviews again; the new alert's card asks for that review.

    A warning sign stored by this very update (its instant is ``now``) voids every such review
    the transaction can see, whatever its clock says: under the programme lock, a review this
    transaction sees was committed before the sign could be seen by anyone, even when another
    replica's clock stamped it a moment after this update read its own."""
    reported = warning_sign_reported_at(session, protocol, athlete_id, day)
    if reported is None:
        return
    reviews = select(ClinicianActionRecord).where(
        ClinicianActionRecord.athlete_id == athlete_id,
        ClinicianActionRecord.kind == "review",
        col(ClinicianActionRecord.local_date) > day,
    )
    if reported != now:
        reviews = reviews.where(col(ClinicianActionRecord.at) < reported)
    for review in session.exec(reviews).all():
        repo.audit(
            session,
            actor_id=None,
            action="void_review",
            now=now,
            athlete_id=athlete_id,
            detail={
                "review_by": review.clinician_id,
                "review_for": review.local_date.isoformat(),
                "review_at": review.at.isoformat(),
                "note": review.note,
                "reason": "a warning sign reported after the review",
            },
        )
        session.delete(review)


def warning_sign_reported_at(
    session: Session, protocol: Protocol, athlete_id: int, day: dt.date
) -> dt.datetime | None:
    """Return when the day's latest warning sign was reported (the check-in's or the session
    report's, as the engine's red-flag triage reads it: a red flag, sharp pain, severe pain,
    the Achilles picture...), or None when the day has none.

    A sign is dated when the answers first showed it as it stands, not when they were last
    saved: finishing the check-in after a /problem, or a pain follow-up, saves the same sign
    again later (the audit log keeps each earlier version of the answers)."""
    morning_row = session.exec(
        select(MorningCheckinRecord).where(
            MorningCheckinRecord.athlete_id == athlete_id, MorningCheckinRecord.local_date == day
        )
    ).first()
    session_row = session.exec(
        select(SessionReportRecord).where(
            SessionReportRecord.athlete_id == athlete_id, SessionReportRecord.local_date == day
        )
    ).first()
    morning = MorningCheckIn.model_validate(morning_row.answers) if morning_row else None
    if morning_row is None and session_row is None:
        return None
    earlier = _earlier_versions(session, athlete_id, day)

    def morning_picture(answers: dict[str, Any]) -> tuple[object, ...] | None:
        found = triage_morning(protocol, MorningCheckIn.model_validate(answers))
        return (found.tier, tuple(sorted(found.signs))) if found is not None else None

    def session_picture(answers: dict[str, Any]) -> tuple[object, ...] | None:
        found = triage_session(protocol, SessionReport.model_validate(answers), morning)
        return (found.tier, tuple(sorted(found.signs))) if found is not None else None

    found: list[dt.datetime] = []
    for row, kind, picture in (
        (morning_row, "morning", morning_picture),
        (session_row, "session", session_picture),
    ):
        if row is None:
            continue
        now_shows = picture(row.answers)
        if now_shows is None:
            continue
        since = row.answered_at
        for at, answers in earlier.get(kind, []):
            if picture(answers) != now_shows:
                break
            since = at
        found.append(since)
    return max(found, default=None)


def _earlier_versions(
    session: Session, athlete_id: int, day: dt.date
) -> dict[str, list[tuple[dt.datetime, dict[str, Any]]]]:
    """The earlier versions of the day's answers the audit log keeps ("correct_answer"), by
    kind ("morning", "session"), newest first: (when they were given, the answers)."""
    since = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    rows = session.exec(
        select(AuditLog.detail).where(
            AuditLog.athlete_id == athlete_id,
            AuditLog.action == "correct_answer",
            col(AuditLog.at) >= since,
        )
    ).all()
    out: dict[str, list[tuple[dt.datetime, dict[str, Any]]]] = {}
    for detail in rows:
        try:
            if dt.date.fromisoformat(str(detail["local_date"])) != day:
                continue
            at = dt.datetime.fromisoformat(str(detail["previous_answered_at"]))
            out.setdefault(str(detail["kind"]), []).append((at, dict(detail["previous"])))
        except (KeyError, TypeError, ValueError):
            continue
    for versions in out.values():
        versions.sort(key=lambda v: v[0], reverse=True)
    return out


def apply_outcome(
    session: Session,
    person: Person,
    run: EngineRun,
    kind: str,
    now: dt.datetime,
    notify: AlertNotifier,
) -> bool:
    """Record the decision(s), move the stage, raise new alerts and queue their messages.

    ``kind`` is "morning" (the verdict after the check-in) or "daily" (the decision after
    the session report). The days folded on the way were closed by ``run_today`` (their
    decisions recorded, their alerts raised): their clinician messages are queued here.
    Returns whether any message was queued for a clinician.
    """
    assert person.id is not None
    athlete_id = person.id
    _record(session, run.programme, run.outcome, kind, now)
    if run.outcome.review_pending:
        _void_reviews_before_the_stop(session, run.protocol, athlete_id, run.outcome.date, now)
    programme = run.programme
    if programme.id is not None and programme.current_stage != run.outcome.stage_after:
        repo.move_stage(
            session,
            programme_id=programme.id,
            to_stage=run.outcome.stage_after,
            now=now,
            reason=f"engine: {run.outcome.decision} on {run.outcome.date.isoformat()}",
        )
        if person.chat_id is not None:
            # The small progress chart goes out with the same commit as the stage change
            # (the outbox sender draws it from the stored data, off the event loop).
            repo.enqueue_message(
                session,
                chat_id=person.chat_id,
                text=str(texts.CHART_AFTER_MOVE).format(
                    after=stage_label(run.protocol, run.outcome.stage_after)
                ),
                kind=PROGRESS_CHART_KIND,
                now=now,
                dedupe_key=f"chart:{athlete_id}:{run.outcome.date.isoformat()}:"
                f"{run.outcome.stage_after}",
                person_id=athlete_id,
                athlete_id=athlete_id,
            )
    raised = run.raised_on_the_way
    raised += _raise_new(session, run.programme, run.protocol, [run.outcome], now)
    if not raised:
        return False
    return bool(notify(session, athlete_id, now, run.status_after(local_date(person, now))))


def _raise_new(
    session: Session,
    programme: Programme,
    protocol: Protocol,
    outcomes: list[DayOutcome],
    now: dt.datetime,
) -> int:
    """Raise the alerts of ``outcomes`` the clinician does not have yet; return how many."""
    athlete_id = programme.athlete_id
    raised = 0
    for outcome in outcomes:
        for alert in outcome.alerts:
            if _already_alerted(session, athlete_id, outcome.date, alert.rule, alert.text):
                continue
            if alert.rule == ENGINE_MISSED_RULE and _absence_reported(
                session, programme, protocol, outcome.date
            ):
                continue  # the scheduler told the clinician as it happened; this one is late
            repo.raise_alert(
                session, athlete_id=athlete_id, alert=alert, now=now, local_date=outcome.date
            )
            raised += 1
    return raised


def _record(
    session: Session, programme: Programme, outcome: DayOutcome, kind: str, now: dt.datetime
) -> Decision:
    payload: dict[str, Any] = outcome.model_dump(mode="json")
    word = outcome.readiness if kind == "morning" else outcome.decision
    return repo.record_decision(
        session,
        athlete_id=programme.athlete_id,
        local_date=outcome.date,
        kind="morning" if kind == "morning" else "daily",
        outcome=str(word),
        decision=payload,
        protocol_name=programme.protocol_name,
        protocol_version=programme.protocol_version,
        now=now,
    )


def _first_id_where(table: Any, *columns: str) -> Select[Any]:
    """A prepared SELECT of one row id of ``table`` matching bound values of ``columns``."""
    conditions = (table.c[name] == bindparam(name) for name in columns)
    return sa_select(table.c.id).where(*conditions).limit(1)


_DECISION_TABLE: Any = Decision.__table__  # type: ignore[attr-defined]
_ALERT_TABLE: Any = AlertRecord.__table__  # type: ignore[attr-defined]
_DECISION_EXISTS = _first_id_where(_DECISION_TABLE, "athlete_id", "local_date", "kind")
_ALERT_TEXTS = sa_select(_ALERT_TABLE.c.text).where(
    _ALERT_TABLE.c.athlete_id == bindparam("athlete_id"),
    _ALERT_TABLE.c.local_date == bindparam("local_date"),
    _ALERT_TABLE.c.rule == bindparam("rule"),
)
# The signs a red-flag alert names (engine.red_flags.triage writes every one this way).
_REPORTED_SIGNS = re.compile(
    r"athlete reported (?P<signs>.+?)\.(?: Picture compatible with .+ \(reference §5\)\.)?$"
)


_ABSENCE_REPORTED = (
    sa_select(_ALERT_TABLE.c.id)
    .where(
        _ALERT_TABLE.c.athlete_id == bindparam("athlete_id"),
        _ALERT_TABLE.c.rule == bindparam("rule"),
        _ALERT_TABLE.c.local_date >= bindparam("since"),
        _ALERT_TABLE.c.local_date <= bindparam("until"),
    )
    .limit(1)
)


def _absence_reported(
    session: Session, programme: Programme, protocol: Protocol, day: dt.date
) -> bool:
    """Tell whether the scheduler already alerted the clinician about the run of missed
    check-ins that reaches the engine's threshold on ``day``.

    The engine only sees missed days when it next runs (usually when the athlete is back), so
    its alert would arrive late and repeat the scheduler's, raised while the days were missed;
    without a scheduler alert in that run of days (e.g. prompts were never sent), it stands.
    """
    days = protocol.rules.escalation.missed_days_alert.value
    params = {
        "athlete_id": programme.athlete_id,
        "rule": MISSED_CHECKINS_RULE,
        "since": day - dt.timedelta(days=days - 1),
        "until": day,
    }
    return session.execute(_ABSENCE_REPORTED, params).first() is not None


def _has_decision(session: Session, athlete_id: int, day: dt.date, kind: str) -> bool:
    params = {"athlete_id": athlete_id, "local_date": day, "kind": kind}
    return session.execute(_DECISION_EXISTS, params).first() is not None


def _reported_signs(text: str) -> frozenset[str] | None:
    """Return the signs a red-flag alert's sentence names, or None for another kind of alert."""
    found = _REPORTED_SIGNS.search(text)
    if found is None:
        return None
    return frozenset(s.strip() for s in found["signs"].split("; ") if s.strip())


def _already_alerted(session: Session, athlete_id: int, day: dt.date, rule: str, text: str) -> bool:
    """Decide whether the clinician already has this alert about ``day``: one of the same rule
    was raised that day and, for a red flag, every sign it names was already alerted.

    A day is decided again after each report, so its alerts repeat; but a red flag of the same
    tier reported later that day (a /problem after the morning's) names a new sign the
    clinician has not heard about, and must reach them.
    """
    params = {"athlete_id": athlete_id, "local_date": day, "rule": rule}
    earlier = list(session.execute(_ALERT_TEXTS, params).scalars())
    if not earlier:
        return False
    signs = _reported_signs(text)
    if signs is None:
        return True
    alerted: set[str] = set()
    for sentence in earlier:
        alerted |= _reported_signs(sentence) or frozenset()
    return signs <= alerted


def baseline_of(session: Session, athlete_id: int) -> Metrics | None:
    """Return the athlete's baseline metrics, if any."""
    return repo.latest_baseline(session, athlete_id=athlete_id)
