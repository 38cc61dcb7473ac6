"""Running the pure engine on an athlete's stored history, and recording what it decided.

The programme row keeps a snapshot of the engine state at the end of the last *closed* day
(``{"as_of": date, "state": ProgrammeState}``); today is never folded into it because a
session report may still change today. To decide today, the days since the snapshot are
folded from the stored records (a day with nothing recorded is a missed check-in), then
``decide_day`` runs on today's record with the last 28 days as its window.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any
from typing import Protocol as TypingProtocol

from sqlalchemy import Select, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.clock import local_date
from bot.services import texts
from bot.services.protocol_admin import active_version
from bot.store import repo
from bot.store.models import PROGRESS_CHART_KIND, AlertRecord, Decision, Person, Programme
from bot.store.repo.alerts import MISSED_CHECKINS_RULE
from bot.store.repo.protocols import get_protocol_version
from bot.store.standing import parse_stored, protocol_for
from bot.wording import stage_label
from bot.wording.plan import plan_lines
from engine.models import DayRecord, Injury, Metrics, Reason
from engine.plan import prescribe
from engine.programme import (
    RECENT_DAYS,
    DayOutcome,
    ProgrammeState,
    carry_over,
    decide_day,
    initial_state,
)
from engine.schema import Protocol, ProtocolError
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


class AlertNotifier(TypingProtocol):
    """Queues the clinician messages for an athlete's new alerts in the caller's transaction
    and returns the rows written. ``status`` is the athlete's stage status when the caller
    has just computed it (the engine run), so the notifier need not replay the history."""

    def __call__(
        self,
        session: Session,
        athlete_id: int,
        now: dt.datetime,
        status: StageStatus | None = None,
        /,
    ) -> int: ...


def notify_nobody(
    session: Session, athlete_id: int, now: dt.datetime, status: StageStatus | None = None
) -> int:
    """The notifier for flows that raise no alerts (scheduled prompts, benchmarks)."""
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
            "state": state.model_dump(mode="json"),
        }
    )


def _load_snapshot(
    session: Session, programme: Programme, protocol: Protocol
) -> tuple[dt.date, ProgrammeState]:
    """Return the saved state, fit for ``protocol`` (the version the programme is on now).

    A snapshot saved under another version keeps no streak of a criterion whose definition
    changed since (``engine.programme.carry_over``).
    """
    if programme.state_json:
        try:
            data = json.loads(programme.state_json)
            as_of = dt.date.fromisoformat(data["as_of"])
            state = ProgrammeState.model_validate(data["state"])
            version = data.get("protocol_version")
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # an unreadable snapshot: re-derive from the start of the programme
        else:
            if version != programme.protocol_version:
                old = _protocol_of_snapshot(session, programme, version, as_of)
                state = carry_over(state, old, protocol)
            return as_of, state
    start = programme.start_date
    return start - dt.timedelta(days=1), initial_state(protocol, start)


def _protocol_of_snapshot(
    session: Session, programme: Programme, version: object, as_of: dt.date
) -> Protocol | None:
    """Return the protocol a snapshot was saved under, or None when it cannot be known.

    A snapshot saved before it recorded its version counts the version of the last decision
    up to its date.
    """
    if not isinstance(version, int):
        version = session.exec(
            select(Decision.protocol_version)
            .where(
                Decision.athlete_id == programme.athlete_id,
                Decision.protocol_name == programme.protocol_name,
                col(Decision.local_date) <= as_of,
            )
            .order_by(col(Decision.local_date).desc(), col(Decision.id).desc())
        ).first()
        if version is None:
            return None
    row = get_protocol_version(session, name=programme.protocol_name, version=version)
    if row is None:
        return None
    try:
        return parse_stored(row.name, row.version, row.text)
    except ProtocolError:
        return None


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


def state_at_start_of(
    session: Session, athlete_id: int, today: dt.date, now: dt.datetime
) -> tuple[
    ProgrammeState, list[DayRecord], list[DayOutcome], Programme, Protocol, Injury, Metrics | None
]:
    """Fold the days between the snapshot and ``today`` into the state; save the snapshot.

    Returns the state at the start of today, the records of the window (≤ 28 days before
    today, plus today's), the outcomes of the days folded now, and the programme context
    (programme, protocol, injury, baseline).
    """
    programme, protocol, injury = _require(session, athlete_id)
    baseline = repo.latest_baseline(session, athlete_id=athlete_id)
    as_of, state = _load_snapshot(session, programme, protocol)
    if as_of >= today:
        # The local date went back (a move west across time zones): the snapshot already
        # holds "today", so re-derive from the start of the programme.
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
    if folded and programme.id is not None:
        repo.save_programme_state(
            session,
            programme_id=programme.id,
            state_json=_snapshot(today - dt.timedelta(days=1), state, programme.protocol_version),
            now=now,
        )
    window.append(by_date.get(today) or DayRecord(date=today))
    return state, window, folded, programme, protocol, injury, baseline


def run_today(session: Session, person: Person, today: dt.date, now: dt.datetime) -> EngineRun:
    """Decide ``today`` from the stored history (check-in and session, if reported)."""
    assert person.id is not None
    state, window, folded, programme, protocol, injury, baseline = state_at_start_of(
        session, person.id, today, now
    )
    outcome, after = decide(protocol, injury, baseline, state, window[-1], window[:-1], programme)
    return EngineRun(outcome, programme, protocol, state, folded, after, injury)


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


def status_today(
    session: Session, person: Person, today: dt.date, now: dt.datetime
) -> tuple[StageStatus, Protocol]:
    """Return where the athlete stands in the current stage as of today, and the protocol
    (to name its stages and criteria)."""
    assert person.id is not None
    state, window, _, _, protocol, injury, baseline = state_at_start_of(
        session, person.id, today, now
    )
    return stage_status(protocol, injury, baseline, state, window[:-1], on=today), protocol


def plan_preview(session: Session, person: Person) -> str:
    """Return the current stage's full session (before the morning verdict is known)."""
    assert person.id is not None
    programme, protocol, _ = _require(session, person.id)
    baseline = repo.latest_baseline(session, athlete_id=person.id)
    plan = prescribe(protocol, programme.current_stage, baseline, None)
    return "\n".join(plan_lines(plan, protocol))


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
    the session report). Days folded on the way that have no daily decision yet get one.
    Returns whether any message was queued for a clinician.
    """
    assert person.id is not None
    athlete_id = person.id
    for outcome in run.folded:
        if not _has_decision(session, athlete_id, outcome.date, "daily"):
            _record(session, run, outcome, "daily", now)
    _record(session, run, run.outcome, kind, now)
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
    raised = 0
    for outcome in [*run.folded, run.outcome]:
        for alert in outcome.alerts:
            if _already_alerted(session, athlete_id, outcome.date, alert.rule, alert.text):
                continue
            if alert.rule == ENGINE_MISSED_RULE and _absence_reported(session, run, outcome.date):
                continue  # the scheduler told the clinician as it happened; this one is late
            repo.raise_alert(
                session, athlete_id=athlete_id, alert=alert, now=now, local_date=outcome.date
            )
            raised += 1
    if not raised:
        return False
    return bool(notify(session, athlete_id, now, run.status_after(local_date(person, now))))


def _record(
    session: Session, run: EngineRun, outcome: DayOutcome, kind: str, now: dt.datetime
) -> Decision:
    assert run.programme.athlete_id is not None
    payload: dict[str, Any] = outcome.model_dump(mode="json")
    word = outcome.readiness if kind == "morning" else outcome.decision
    return repo.record_decision(
        session,
        athlete_id=run.programme.athlete_id,
        local_date=outcome.date,
        kind="morning" if kind == "morning" else "daily",
        outcome=str(word),
        decision=payload,
        protocol_name=run.programme.protocol_name,
        protocol_version=run.programme.protocol_version,
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


def _absence_reported(session: Session, run: EngineRun, day: dt.date) -> bool:
    """Tell whether the scheduler already alerted the clinician about the run of missed
    check-ins that reaches the engine's threshold on ``day``.

    The engine only sees missed days when it next runs (usually when the athlete is back), so
    its alert would arrive late and repeat the scheduler's, raised while the days were missed;
    without a scheduler alert in that run of days (e.g. prompts were never sent), it stands.
    """
    days = run.protocol.rules.escalation.missed_days_alert.value
    params = {
        "athlete_id": run.programme.athlete_id,
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
