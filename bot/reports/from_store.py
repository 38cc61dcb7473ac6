"""Fill the renderer inputs (`bot.reports.data`) from stored records only.

Each builder reads the athlete's stored answers, decisions, stage moves, alerts, clearances and
notes (and, for the criteria, the engine's read-only replay of the stored history); none of
them writes. They run in the render worker thread with their own read-only session, so they
never hold the event loop. Dates are the athlete's local dates as stored; instants stay UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from bot.reports.data import (
    AlertRow,
    ClearanceRow,
    CriterionRow,
    DayPoint,
    DigestAthleteWeek,
    DigestData,
    MetricRow,
    NoteRow,
    OpenAlert,
    ProgressData,
    ReportData,
    StageEntry,
    StageTarget,
    TrendSummary,
    day_point_from_record,
)
from bot.store import repo
from bot.store.models import AlertRecord, Clearance, Decision, Person, Programme
from bot.store.standing import athlete_stage_status, gate_pending, protocol_for
from engine.models import DayRecord, DecisionKind, Injury, Metrics
from engine.programme import RECENT_DAYS, ProgrammeState
from engine.schema import Protocol
from engine.status import StageStatus, stage_status

TREND_DAYS = 14
MAX_ALERT_ROWS = 60
MAX_NOTES = 50
# (label, Metrics field, unit, higher is better) of the metric rows of the report.
REPORT_METRICS: tuple[tuple[str, str, str, bool], ...] = (
    ("Vmax", "vmax_ms", "m/s", True),
    ("10 m split", "split_10m_s", "s", False),
    ("20 m split", "split_20m_s", "s", False),
    ("30 m split", "split_30m_s", "s", False),
    ("40 m split", "split_40m_s", "s", False),
    ("Strength LSI", "strength_lsi_pct", "%", True),
    ("Hop LSI", "hop_lsi_pct", "%", True),
)
_SPEED_ITEMS = ("derived.pct_vmax", "derived.vmax_pct_baseline")


class ReportUnavailable(LookupError):
    """Nothing to chart or report yet (no athlete, or no injury recorded); the text says which."""


# --- shared helpers ---------------------------------------------------------------------------


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _clip(text: str | None, limit: int) -> str:
    value = (text or "").strip()
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _athlete(session: Session, athlete_id: int) -> Person:
    person = session.get(Person, athlete_id)
    if person is None or person.role != "athlete":
        raise ReportUnavailable(f"no athlete with number {athlete_id}")
    return person


def _name(person: Person | None, fallback: str = "someone") -> str:
    if person is None:
        return fallback
    return _clip(person.display_name, 60) or f"{person.role.title()} {person.id}"


def _athlete_name(person: Person) -> str:
    return _clip(person.display_name, 80) or f"Athlete {person.id}"


def _injury(session: Session, athlete_id: int) -> Injury:
    injury = repo.latest_injury(session, athlete_id=athlete_id)
    if injury is None:
        raise ReportUnavailable("no injury has been recorded (it is asked at onboarding)")
    return injury


def _programme(session: Session, athlete_id: int) -> Programme | None:
    """The current programme, else the newest finished one."""
    current = repo.get_active_programme(session, athlete_id=athlete_id)
    if current is not None:
        return current
    return session.exec(
        select(Programme)
        .where(Programme.athlete_id == athlete_id)
        .order_by(col(Programme.id).desc())
    ).first()


def _protocol(session: Session, programme: Programme | None) -> Protocol | None:
    if programme is None:
        return None
    try:
        return protocol_for(session, programme)
    except (LookupError, ValueError):
        return None


def _decisions_by_day(
    decisions: Iterable[Decision],
) -> tuple[dict[dt.date, Decision], dict[dt.date, Decision]]:
    """The last morning and the last daily decision stored for each local date."""
    morning: dict[dt.date, Decision] = {}
    daily: dict[dt.date, Decision] = {}
    for row in decisions:
        (morning if row.kind == "morning" else daily)[row.local_date] = row
    return morning, daily


def _stages_by_day(
    days: Sequence[dt.date],
    morning: dict[dt.date, Decision],
    daily: dict[dt.date, Decision],
    first_stage: str,
) -> dict[dt.date, str]:
    """The stage each day started in: from that day's stored decision, else carried forward
    from the last decision before it (its ``stage_after``)."""
    stage = first_stage
    stages: dict[dt.date, str] = {}
    for day in sorted(set(days) | set(morning) | set(daily)):
        row = daily.get(day) or morning.get(day)
        if row is not None and isinstance(row.decision.get("stage"), str):
            stage = row.decision["stage"]
        stages[day] = stage
        after = daily.get(day)
        if after is not None and isinstance(after.decision.get("stage_after"), str):
            stage = after.decision["stage_after"]
    return stages


def _first_stage(session: Session, programme: Programme | None, protocol: Protocol | None) -> str:
    if programme is not None and programme.id is not None:
        history = repo.stage_history(session, programme_id=programme.id)
        if history:
            return history[0].to_stage
        return programme.current_stage
    return protocol.stages[0].id if protocol is not None else "-"


def stage_target(protocol: Protocol, stage_id: str) -> StageTarget | None:
    """The speed the current stage's exit criteria ask for, as % of baseline, labelled with
    the stage it opens; None for the last stage or a stage without a speed criterion.

    A split criterion (``worst_split_pct_baseline <= X`` % of baseline time) is turned into
    speed (100 × 100 ÷ X) so it reads like the chart's split lines.
    """
    try:
        stage = protocol.stage(stage_id)
    except KeyError:
        return None
    following = protocol.next_stage(stage_id)
    if following is None:
        return None
    values: list[float] = []
    for criterion in stage.exit_criteria:
        threshold = criterion.threshold
        numeric = isinstance(threshold, int | float) and not isinstance(threshold, bool)
        if criterion.at_pct_vmax:
            values.append(float(criterion.at_pct_vmax))
        if numeric and criterion.item in _SPEED_ITEMS and criterion.op in ("ge", "gt"):
            values.append(float(threshold))
        if (
            numeric
            and criterion.item == "derived.worst_split_pct_baseline"
            and criterion.op in ("le", "lt")
            and float(threshold) > 0
        ):
            values.append(round(10000 / float(threshold), 1))
    if not values:
        return None
    pct = min(max(values), 130.0)
    return StageTarget(stage=following, pct_of_baseline=pct, label=f"{following} needs {pct:g} %")


def _points(
    records: Sequence[DayRecord], stages: dict[dt.date, str], daily: dict[dt.date, Decision]
) -> list[DayPoint]:
    points: list[DayPoint] = []
    for record in records:
        if record.morning is None and record.session is None:
            continue
        row = daily.get(record.date)
        decision: DecisionKind | None = (
            row.outcome  # type: ignore[assignment]
            if row is not None and row.outcome in ("progress", "hold", "step_back", "stop")
            else None
        )
        point = day_point_from_record(record, stage=stages[record.date], decision=decision)
        if any(a.kind == "step_back" for a in record.clinician_actions) and not point.step_back:
            point = point.model_copy(update={"step_back": True})
        points.append(point)
    return points


# --- progress chart ---------------------------------------------------------------------------


def progress_data_for(session: Session, *, athlete_id: int, today: dt.date) -> ProgressData:
    """Return the athlete's progress chart input up to ``today`` (their local date).

    Raises ReportUnavailable when there is no such athlete or no injury recorded yet.
    """
    person = _athlete(session, athlete_id)
    injury = _injury(session, athlete_id)
    programme = _programme(session, athlete_id)
    protocol = _protocol(session, programme)
    today = max(today, injury.injury_date)
    since = max(injury.injury_date, programme.start_date if programme else injury.injury_date)
    since = min(since, today)
    records = repo.load_day_records(session, athlete_id=athlete_id, since=since, until=today)
    morning, daily = _decisions_by_day(
        repo.decisions_between(session, athlete_id=athlete_id, since=since, until=today)
    )
    stages = _stages_by_day(
        [r.date for r in records], morning, daily, _first_stage(session, programme, protocol)
    )
    target = (
        stage_target(protocol, programme.current_stage)
        if protocol is not None and programme is not None
        else None
    )
    return ProgressData(
        athlete_name=_athlete_name(person),
        injury=injury,
        timezone=_zone(person.timezone).key,
        baseline=repo.latest_baseline(session, athlete_id=athlete_id) or Metrics(),
        points=_points(records, stages, daily),
        target=target,
        current_stage=programme.current_stage if programme is not None else None,
        today=today,
    )


# --- clinician report -------------------------------------------------------------------------


def _timeline(session: Session, programme: Programme, zone: ZoneInfo) -> list[StageEntry]:
    assert programme.id is not None
    entries: list[StageEntry] = []
    people: dict[int, Person | None] = {}
    for index, change in enumerate(repo.stage_history(session, programme_id=programme.id)):
        if change.by_person_id is None:
            moved_by = "engine"
        else:
            if change.by_person_id not in people:
                people[change.by_person_id] = session.get(Person, change.by_person_id)
            moved_by = _name(people[change.by_person_id])
        entered = programme.start_date if index == 0 else change.at.astimezone(zone).date()
        entries.append(
            StageEntry(
                stage=_clip(change.to_stage, 12),
                entered=entered,
                moved_by=moved_by,
                reason=_clip(change.reason, 300),
            )
        )
    return entries


def _stored_state(programme: Programme) -> ProgrammeState | None:
    """The engine state the athlete flow stored with the programme, if readable."""
    if not programme.state_json:
        return None
    try:
        return ProgrammeState.model_validate(json.loads(programme.state_json)["state"])
    except (ValueError, KeyError, TypeError):
        return None


def current_stage_status(
    session: Session, programme: Programme, protocol: Protocol, injury: Injury, today: dt.date
) -> StageStatus | None:
    """The engine's status of the current stage: from the stored engine state when it is at
    the programme's stage, else from a read-only replay of the stored history."""
    state = _stored_state(programme)
    if state is None or state.stage != programme.current_stage:
        return athlete_stage_status(session, programme, protocol, today)
    recent = repo.load_day_records(
        session,
        athlete_id=programme.athlete_id,
        since=max(programme.start_date, today - dt.timedelta(days=RECENT_DAYS - 1)),
        until=today,
    )
    baseline = repo.latest_baseline(session, athlete_id=programme.athlete_id)
    return stage_status(protocol, injury, baseline, state, recent, on=today)


def _criteria(status: StageStatus | None) -> list[CriterionRow]:
    if status is None:
        return []
    rows = [
        CriterionRow(
            name=_clip(item.text, 120),
            observed=_clip("—" if item.observed is None else str(item.observed), 60),
            needed=_clip("" if item.needed is None else str(item.needed), 60),
            met=item.met,
        )
        for item in status.criteria
    ]
    if status.signoff == "required":
        rows.append(
            CriterionRow(
                name="Clinician sign-off",
                observed="waiting" if status.signoff_pending else "given",
                needed="a recorded clearance",
                met=not status.signoff_pending,
            )
        )
    return rows


def _metric_rows(baseline: Metrics | None, records: Sequence[DayRecord]) -> list[MetricRow]:
    rows: list[MetricRow] = []
    for label, field, unit, higher in REPORT_METRICS:
        base = getattr(baseline, field, None) if baseline is not None else None
        latest: float | None = None
        latest_date: dt.date | None = None
        for record in reversed(records):
            value = getattr(record.session.metrics, field, None) if record.session else None
            if value is not None:
                latest, latest_date = float(value), record.date
                break
        if base is None and latest is None:
            continue
        rows.append(
            MetricRow(
                name=label,
                unit=unit,
                baseline=None if base is None else float(base),
                latest=latest,
                latest_date=latest_date,
                higher_is_better=higher,
            )
        )
    return rows


def _mean(values: Sequence[int]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


def _trend(
    records: Sequence[DayRecord], morning: dict[dt.date, Decision], today: dt.date
) -> TrendSummary:
    by_date = {r.date: r for r in records}
    readiness: dict[str, int] = {}
    for offset in range(TREND_DAYS):
        day = today - dt.timedelta(days=offset)
        row = morning.get(day)
        ready = row is not None and row.outcome in ("go", "modify", "rest", "stop")
        key = row.outcome if ready and row is not None else "missing"
        readiness[key] = readiness.get(key, 0) + 1

    def test_pain(first: int, last: int) -> list[int]:
        out: list[int] = []
        for offset in range(first, last):
            record = by_date.get(today - dt.timedelta(days=offset))
            if record is not None and record.morning and record.morning.pain_test is not None:
                out.append(record.morning.pain_test)
        return out

    session_pain = [
        record.session.pain_max
        for offset in range(7)
        if (record := by_date.get(today - dt.timedelta(days=offset))) is not None
        and record.session is not None
        and record.session.pain_max is not None
    ]
    return TrendSummary(
        days=TREND_DAYS,
        readiness=readiness,
        mean_test_pain_last7=_mean(test_pain(0, 7)),
        mean_test_pain_prev7=_mean(test_pain(7, 14)),
        max_session_pain_last7=max(session_pain) if session_pain else None,
    )


def _alerts(session: Session, athlete_id: int, names: dict[int, str]) -> list[AlertRow]:
    rows = list(
        session.exec(
            select(AlertRecord)
            .where(AlertRecord.athlete_id == athlete_id)
            .order_by(col(AlertRecord.created_at).desc(), col(AlertRecord.id).desc())
            .limit(MAX_ALERT_ROWS)
        )
    )
    return [
        AlertRow(
            at=row.created_at,
            severity=row.severity,
            text=_clip(row.text, 400) or row.rule,
            acknowledged_by=names.get(row.acknowledged_by or 0) if row.acknowledged_by else None,
            acknowledged_at=row.acknowledged_at,
            action=_clip(row.action_taken, 300) or None,
        )
        for row in reversed(rows)
    ]


def _people_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    found = session.exec(select(Person).where(col(Person.id).in_(wanted)))
    return {p.id: _name(p) for p in found if p.id is not None}


def report_data_for(
    session: Session, *, athlete_id: int, now: dt.datetime, viewer: Person | None
) -> ReportData:
    """Return the clinician report input for the athlete as of ``now`` (aware UTC).

    ``viewer`` names the clinician on the report when they are one; otherwise the first
    clinician linked to the athlete is named. Raises ReportUnavailable when there is no such
    athlete or no injury recorded yet.
    """
    person = _athlete(session, athlete_id)
    injury = _injury(session, athlete_id)
    zone = _zone(person.timezone)
    today = max(now.astimezone(zone).date(), injury.injury_date)
    programme = _programme(session, athlete_id)
    protocol = _protocol(session, programme)
    since = min(programme.start_date if programme else injury.injury_date, today)
    records = repo.load_day_records(session, athlete_id=athlete_id, since=since, until=today)
    morning, _daily = _decisions_by_day(
        repo.decisions_between(
            session,
            athlete_id=athlete_id,
            since=max(since, today - dt.timedelta(days=TREND_DAYS)),
            until=today,
        )
    )
    clearances = list(
        session.exec(
            select(Clearance)
            .where(Clearance.athlete_id == athlete_id)
            .order_by(col(Clearance.at), col(Clearance.id))
        )
    )
    alerts_raw = session.exec(
        select(AlertRecord.acknowledged_by).where(AlertRecord.athlete_id == athlete_id)
    )
    notes = repo.notes_about(session, athlete_id=athlete_id, limit=MAX_NOTES)
    names = _people_names(
        session,
        [*alerts_raw, *(c.clinician_id for c in clearances), *(n.author_id for n in notes)],
    )
    if viewer is not None and viewer.role == "clinician":
        clinician_name: str | None = _name(viewer)
    else:
        linked = repo.clinicians_of(session, athlete_id=athlete_id)
        clinician_name = _name(linked[0]) if linked else None
    status = (
        current_stage_status(session, programme, protocol, injury, today)
        if programme is not None and protocol is not None
        else None
    )
    criteria = _criteria(status)
    return ReportData(
        athlete_name=_athlete_name(person),
        athlete_ref=f"#{athlete_id}",
        clinician_name=clinician_name,
        injury=injury,
        timezone=zone.key,
        protocol_name=_clip(programme.protocol_name, 60) if programme else "not started",
        protocol_version=f"v{programme.protocol_version}" if programme else "—",
        current_stage=_clip(programme.current_stage, 12) if programme else None,
        timeline=_timeline(session, programme, zone) if programme else [],
        criteria_stage=_clip(status.stage, 12) if status is not None else None,
        criteria=criteria,
        metrics=_metric_rows(repo.latest_baseline(session, athlete_id=athlete_id), records),
        trend=_trend(records, morning, today),
        alerts=_alerts(session, athlete_id, names),
        clearances=[
            ClearanceRow(
                stage=_clip(c.stage, 12),
                by=names.get(c.clinician_id, "a clinician"),
                at=c.at,
                declined=c.declined,
                note=_clip(c.note, 300) or None,
            )
            for c in clearances
        ],
        notes=[
            NoteRow(
                at=n.created_at,
                author=names.get(n.author_id, "someone"),
                text=_clip(n.text, 1000) or "(empty)",
            )
            for n in reversed(notes)
        ],
        generated_at=now,
    )


# --- weekly digest ----------------------------------------------------------------------------


def _athlete_week(
    session: Session, athlete: Person, week: tuple[dt.date, dt.date]
) -> DigestAthleteWeek:
    assert athlete.id is not None
    start, end = week
    previous = start - dt.timedelta(days=7)
    programme = repo.get_active_programme(session, athlete_id=athlete.id)
    records = repo.load_day_records(session, athlete_id=athlete.id, since=previous, until=end)
    this_week = [r for r in records if r.date >= start]
    _morning, daily = _decisions_by_day(
        repo.decisions_between(session, athlete_id=athlete.id, since=start, until=end, kind="daily")
    )
    in_week = [daily[d] for d in sorted(daily)]
    stage_now = programme.current_stage if programme else None
    stage_start = in_week[0].decision.get("stage") if in_week else stage_now
    stage_end = in_week[-1].decision.get("stage_after") if in_week else stage_now
    red_days = {r.date for r in this_week if r.morning is not None and r.morning.red_flags} | {
        d for d, row in daily.items() if row.outcome == "stop"
    }
    test_now = [
        r.morning.pain_test for r in this_week if r.morning and r.morning.pain_test is not None
    ]
    test_before = [
        r.morning.pain_test
        for r in records
        if r.date < start and r.morning and r.morning.pain_test is not None
    ]
    session_pain = [
        r.session.pain_max for r in this_week if r.session and r.session.pain_max is not None
    ]
    paused_days = {r.date for r in this_week if r.paused}
    first_day = max(start, programme.start_date) if programme else end + dt.timedelta(days=1)
    expected = [
        first_day + dt.timedelta(days=i)
        for i in range(max(0, (end - first_day).days + 1))
        if first_day + dt.timedelta(days=i) not in paused_days
    ]
    checked = {r.date for r in this_week if r.morning is not None}
    protocol = _protocol(session, programme)
    return DigestAthleteWeek(
        athlete_id=athlete.id,
        athlete_name=_athlete_name(athlete),
        stage_start=_clip(stage_start, 12) if isinstance(stage_start, str) else None,
        stage_end=_clip(stage_end, 12) if isinstance(stage_end, str) else None,
        step_backs=sum(1 for row in in_week if row.outcome == "step_back"),
        red_flags=len(red_days),
        sessions_done=min(50, sum(1 for r in this_week if r.session is not None)),
        mean_test_pain=_mean(test_now),
        mean_test_pain_prev=_mean(test_before),
        max_session_pain=max(session_pain) if session_pain else None,
        open_alerts=[
            OpenAlert(
                severity=a.severity,
                text=_clip(a.text, 400) or a.rule,
                raised_at=a.created_at,
            )
            for a in repo.open_alerts(session, athlete_id=athlete.id)
        ],
        missed_checkins=min(7, sum(1 for d in expected if d not in checked)),
        signoff_pending=programme is not None and gate_pending(session, programme, protocol),
        paused=athlete.paused or (programme is not None and programme.status == "paused"),
    )


def digest_data_for(
    session: Session, *, clinician_id: int, week: tuple[dt.date, dt.date]
) -> DigestData:
    """Return the clinician's digest input for ``week`` (first and last local date, Monday to
    Sunday): every linked athlete's stage change, sessions, pain trend, open alerts and missed
    check-ins. The athletes' own local dates are used for their days."""
    clinician = session.get(Person, clinician_id)
    if clinician is None or clinician.role != "clinician":
        raise ReportUnavailable(f"no clinician with number {clinician_id}")
    athletes = repo.athletes_of(session, clinician_id=clinician_id)
    return DigestData(
        clinician_name=_name(clinician),
        timezone=_zone(clinician.timezone).key,
        week_start=week[0],
        week_end=week[1],
        athletes=[_athlete_week(session, a, week) for a in athletes if a.role == "athlete"],
    )
