"""Fill the renderer inputs (`bot.reports.data`) from stored records only.

Each builder reads the athlete's stored answers, decisions, stage moves, alerts, clinician
actions, clearances and notes (and, for the criteria, the engine's read-only replay of the
stored history); none of them writes. The stage each day was run in comes from
``bot.reports.stage_history``, what the stage still needs from ``bot.reports.criteria`` and
the clinician's record from ``bot.reports.record``. They run in the render worker thread with
their own read-only session, so they never hold the event loop. Dates are the athlete's local
dates as stored; instants stay UTC.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, func, select

from bot.reports.criteria import (
    READINESS_NOTE,
    READINESS_NOTE_ATHLETE,
    criteria_rows,
    missing,
    speed_criterion,
    stage_target,
)
from bot.reports.data import (
    AlertRow,
    BaselineChange,
    DayPoint,
    DigestAthleteWeek,
    DigestData,
    MetricRow,
    OpenAlert,
    ProgressData,
    ReportData,
    StageTarget,
    TrendSummary,
    day_point_from_record,
)
from bot.reports.glyphs import drawable, shown_name
from bot.reports.record import (
    VOIDED_REVIEW,
    VoidedReview,
    record_rows,
    stop_times,
    voided_review_rows,
)
from bot.reports.shown import (
    ALERT_WITHOUT_WORDS,
    CRITERIA_PROTOCOL_UNREADABLE,
    CRITERIA_STAGE_NOT_IN_VERSION,
    SIGNOFF_ALERT_RULES,
    SIGNOFF_REQUEST_RULE,
    alert_text,
    protocol_title,
    stage_words,
)
from bot.reports.stage_history import (
    day_stages,
    is_warning_sign,
    stage_periods,
    timeline_entries,
)
from bot.store import repo
from bot.store.models import AlertRecord, AuditLog, Baseline, Decision, Person, Programme
from bot.store.standing import athlete_stage_status, gate_pending, parse_stored, protocol_for
from bot.support.i18n import L_, LazyText, _, labelled
from bot.wording import Audience, alert_action_words
from bot.wording.engine_reasons import reason_words
from bot.wording.items import format_value, item_label
from bot.wording.reasons import plain
from engine.models import DayRecord, DecisionKind, Injury, Metrics, Reason
from engine.programme import RECENT_DAYS, ProgrammeState
from engine.schema import Protocol, ProtocolError
from engine.status import StageStatus, stage_status

TREND_DAYS = 14
MAX_ALERT_ROWS = 60
PROTOCOL_TITLE_CHARS = 160  # ReportData.protocol_name
# (label, Metrics field, unit, higher is better) of the metric rows of the report.
REPORT_METRICS: tuple[tuple[LazyText, str, str, bool], ...] = (
    (L_("Vmax"), "vmax_ms", "m/s", True),
    (L_("10 m split"), "split_10m_s", "s", False),
    (L_("20 m split"), "split_20m_s", "s", False),
    (L_("30 m split"), "split_30m_s", "s", False),
    (L_("40 m split"), "split_40m_s", "s", False),
    (L_("Strength LSI"), "strength_lsi_pct", "%", True),
    (L_("Hop LSI"), "hop_lsi_pct", "%", True),
)

__all__ = [
    "ReportUnavailable",
    "current_stage_status",
    "digest_data_for",
    "progress_data_for",
    "report_data_for",
    "stage_target",
]


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
        raise ReportUnavailable(_("no athlete with number {number}").format(number=athlete_id))
    return person


def _name(person: Person | None, fallback: str = "someone") -> str:
    if person is None:
        return fallback
    return shown_name(_clip(person.display_name, 60), person.id) or f"#{person.id}"


def _athlete_name(person: Person, limit: int = 80) -> str:
    """The athlete's name, cut to ``limit`` (the report prints up to 200, charts and the
    digest 80)."""
    return _clip(person.display_name, limit) or _("Athlete {number}").format(number=person.id)


def _injury(session: Session, athlete_id: int) -> Injury:
    injury = repo.latest_injury(session, athlete_id=athlete_id)
    if injury is None:
        raise ReportUnavailable(_("no injury has been recorded (it is asked at onboarding)"))
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


def _clinician_stage(protocol: Protocol | None, stage: object) -> str | None:
    """A stage as a clinician reads it ("H2 · Return to running"; in words for a stage without
    a name or no longer in the protocol), or None if there is none."""
    if not isinstance(stage, str):
        return None
    return _clip(stage_words(protocol, stage, "clinician"), 120)


def _protocol_title(protocol: Protocol | None, injury: Injury) -> str:
    """The protocol's title in the reader's language (a protocol display text), else what it
    is for in words: never the name it is stored under (an admin's protocol may have no
    title, and a stored version may no longer be readable)."""
    return _clip(protocol_title(protocol, injury.injury), PROTOCOL_TITLE_CHARS)


# A range of stage codes in a protocol's title ("… return to sprint (H0–H7)").
_STAGE_RANGE = re.compile(r"\s*\(\s*[A-Z][0-9]{1,2}\s*[–-]\s*[A-Z][0-9]{1,2}\s*\)")


def _athlete_title(title: str, protocol: Protocol | None) -> str:
    """The protocol's title as the athlete reads it: without its range of stage codes
    ("(H0–H7)"), any other stage code or clinician's term in plain words."""
    return _clip(plain(_STAGE_RANGE.sub("", title), protocol), PROTOCOL_TITLE_CHARS)


def _protocol(session: Session, programme: Programme | None) -> Protocol | None:
    """The protocol version the programme runs on; else (that version is no longer stored or
    readable) the protocol's active version, which names the same stages; else None."""
    if programme is None:
        return None
    with contextlib.suppress(LookupError, ValueError, ProtocolError):
        return protocol_for(session, programme)
    row = repo.get_active_protocol(session, name=programme.protocol_name)
    if row is None:
        return None
    try:
        return parse_stored(row.name, row.version, row.text)
    except (LookupError, ValueError, ProtocolError):
        return None


# --- stage history ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _History:
    """What the chart and the report both read: the programme's days, decisions and moves."""

    programme: Programme | None
    protocol: Protocol | None
    since: dt.date
    records: list[DayRecord]
    decisions: list[Decision]
    entries: list[repo.RecordEntry]
    moves: list[repo.StageMove]
    stages: dict[dt.date, str]


def _history(
    session: Session, athlete_id: int, injury: Injury, zone: ZoneInfo, today: dt.date
) -> _History:
    programme = _programme(session, athlete_id)
    protocol = _protocol(session, programme)
    since = min(programme.start_date if programme else injury.injury_date, today)
    records = repo.load_day_records(session, athlete_id=athlete_id, since=since, until=today)
    decisions = repo.decisions_between(session, athlete_id=athlete_id, since=since, until=today)
    entries = repo.clinician_record(session, athlete_id=athlete_id)
    moves: list[repo.StageMove] = []
    stages: dict[dt.date, str] = {}
    if programme is not None and programme.id is not None:
        moves = repo.stage_moves(session, programme_id=programme.id)
        first = moves[0].to_stage if moves else programme.current_stage
        stages = day_stages(since, today, decisions, entries, moves, zone, first)
    return _History(programme, protocol, since, records, decisions, entries, moves, stages)


def _points(records: Sequence[DayRecord], history: _History) -> list[DayPoint]:
    daily = {row.local_date: row for row in history.decisions if row.kind == "daily"}
    morning = {row.local_date: row for row in history.decisions if row.kind == "morning"}
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
        if decision is None and (early := morning.get(record.date)) is not None:
            decision = "stop" if early.outcome == "stop" else None
        stage = history.stages.get(record.date) or (
            history.programme.current_stage if history.programme else "-"
        )
        point = day_point_from_record(record, stage=stage, decision=decision)
        if any(a.kind == "step_back" for a in record.clinician_actions) and not point.step_back:
            point = point.model_copy(update={"step_back": True})
        points.append(point)
    return points


def _status(
    session: Session, history: _History, injury: Injury, today: dt.date
) -> StageStatus | None:
    if history.programme is None or history.protocol is None:
        return None
    return current_stage_status(session, history.programme, history.protocol, injury, today)


# --- progress chart ---------------------------------------------------------------------------


def progress_data_for(
    session: Session, *, athlete_id: int, today: dt.date, audience: Audience = "athlete"
) -> ProgressData:
    """Return the athlete's progress chart input up to ``today`` (their local date), in the
    words of ``audience`` (the athlete, or a clinician: stage codes, Vmax).

    Raises ReportUnavailable when there is no such athlete or no injury recorded yet.
    """
    person = _athlete(session, athlete_id)
    injury = _injury(session, athlete_id)
    zone = _zone(person.timezone)
    today = max(today, injury.injury_date)
    history = _history(session, athlete_id, injury, zone, today)
    programme, protocol = history.programme, history.protocol
    status = _status(session, history, injury, today)
    target: StageTarget | None = None
    needed: list[str] = []
    current = programme.current_stage if programme is not None else None
    if protocol is not None and current is not None:
        target = stage_target(protocol, current, status, audience)
        if status is not None and status.stage == current:
            speed = speed_criterion(protocol, current) if target is not None else None
            needed = missing(protocol, status, audience, skip=[speed[0]] if speed else [])
    return ProgressData(
        athlete_name=_athlete_name(person),
        athlete_id=person.id,
        injury=injury,
        timezone=zone.key,
        baseline=repo.latest_baseline(session, athlete_id=athlete_id) or Metrics(),
        points=_points(history.records, history),
        target=target,
        current_stage=current,
        current_stage_label=_clip(stage_words(protocol, current, audience), 80)
        if current
        else None,
        today=today,
        audience=audience,
        stages=stage_periods(history.stages, protocol, audience),
        still_needed=needed,
    )


# --- clinician report -------------------------------------------------------------------------


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


def _metric_rows(
    baseline: Metrics | None, records: Sequence[DayRecord], audience: Audience = "clinician"
) -> list[MetricRow]:
    rows: list[MetricRow] = []
    for label_text, field, unit, higher in REPORT_METRICS:
        # The athlete reads their own words ("top speed", "10 m sprint time").
        label = str(label_text)
        if audience == "athlete":
            label = item_label(f"metrics.{field}")
            label = label[:1].upper() + label[1:]
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


# The baseline values the speed criteria compare with: a lower top speed or a slower split
# makes them easier to meet (as the clinician's card of a change warns).
_HIGHER_IS_FASTER = ("vmax_ms",)
_LOWER_IS_FASTER = ("split_10m_s", "split_20m_s", "split_30m_s", "split_40m_s")


def _baseline_changes(
    session: Session, athlete_id: int, audience: Audience = "clinician"
) -> list[BaselineChange]:
    """Every change of the athlete's baseline after its first record, oldest first: each
    stored baseline against the one before it, the values that differ in words (in the data
    dictionary's order), and whether the change lowered the bar of a speed criterion."""
    rows = session.exec(
        select(Baseline)
        .where(Baseline.athlete_id == athlete_id)
        .order_by(col(Baseline.recorded_at), col(Baseline.id))
    ).all()
    changes: list[BaselineChange] = []
    for before, after in itertools.pairwise(rows):
        old, new = dict(before.metrics or {}), dict(after.metrics or {})
        keys = [k for k in Metrics.model_fields if k in old or k in new]
        differ = [k for k in keys if old.get(k) != new.get(k)]
        if not differ:
            continue
        words = []
        for key in differ:
            item = f"metrics.{key}"
            was, now = format_value(item, old.get(key)), format_value(item, new.get(key))
            words.append(_clip(labelled(item_label(item, audience), f"{was} → {now}"), 120))
        easier = any(
            old.get(k) is not None and new.get(k) is not None and new[k] < old[k]
            for k in _HIGHER_IS_FASTER
        ) or any(
            old.get(k) is not None and new.get(k) is not None and new[k] > old[k]
            for k in _LOWER_IS_FASTER
        )
        changes.append(BaselineChange(at=after.recorded_at, changes=words, easier=easier))
    return changes


def _mean(values: Sequence[int]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


def expected_checkins(
    records: Sequence[DayRecord], first: dt.date, last: dt.date, enrolled: dt.date | None
) -> list[dt.date]:
    """Return the days in [first, last] a morning check-in was expected: never before
    enrolment, not the enrolment day itself unless one was given (the first prompt comes the
    next morning), not a paused day."""
    by_date = {r.date: r for r in records}
    start = max(first, enrolled) if enrolled is not None else first
    days: list[dt.date] = []
    day = start
    while day <= last:
        record = by_date.get(day)
        answered = record is not None and record.morning is not None
        paused = record is not None and record.paused
        if answered or (day != enrolled and not paused):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _trend(
    records: Sequence[DayRecord],
    morning: dict[dt.date, Decision],
    today: dt.date,
    enrolled: dt.date | None,
) -> TrendSummary:
    by_date = {r.date: r for r in records}
    first = today - dt.timedelta(days=TREND_DAYS - 1)
    since = max(first, enrolled) if enrolled is not None else first
    answered_today = by_date.get(today) is not None and by_date[today].morning is not None
    # Today's check-in may still come: today counts once it is in.
    last = today if answered_today else today - dt.timedelta(days=1)
    readiness: dict[str, int] = {}
    days = expected_checkins(records, since, last, enrolled)
    for day in days:
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
        days=len(days),
        since=since,
        readiness=readiness,
        mean_test_pain_last7=_mean(test_pain(0, 7)),
        mean_test_pain_prev7=_mean(test_pain(7, 14)),
        max_session_pain_last7=max(session_pain) if session_pain else None,
    )


def _alert_records(session: Session, athlete_id: int) -> tuple[list[AlertRecord], int]:
    """The athlete's alerts the report lists, oldest first (every open one, however old, and
    the newest ``MAX_ALERT_ROWS`` in all), and how many alerts they have in all."""
    newest = session.exec(
        select(AlertRecord)
        .where(AlertRecord.athlete_id == athlete_id)
        .order_by(col(AlertRecord.created_at).desc(), col(AlertRecord.id).desc())
        .limit(MAX_ALERT_ROWS)
    )
    rows = {row.id: row for row in newest}
    rows.update((row.id, row) for row in repo.open_alerts(session, athlete_id=athlete_id))
    total = session.exec(
        select(func.count()).select_from(AlertRecord).where(AlertRecord.athlete_id == athlete_id)
    ).one()
    return sorted(rows.values(), key=lambda row: (row.created_at, row.id or 0)), int(total)


def _alerts(
    rows: Sequence[AlertRecord],
    names: dict[int, str],
    protocol: Protocol | None,
    voided: frozenset[int] = frozenset(),
) -> list[AlertRow]:
    """The alerts as report rows, each worded from its rule in the reader's language as the
    chat's alert cards word it (the stored sentence is the engine's English, for the record).
    An alert whose review was voided later (``voided``: their ids) says so."""
    return [
        AlertRow(
            at=row.created_at,
            severity=row.severity,
            text=_clip(alert_text(row.rule, row.text, protocol, row.local_date), 400),
            acknowledged_by=names.get(row.acknowledged_by or 0) if row.acknowledged_by else None,
            acknowledged_at=row.acknowledged_at,
            action=(
                str(VOIDED_REVIEW)
                if row.id in voided and row.action_taken == "review"
                else alert_action_words(
                    _clip(row.action_taken, 300) or None,
                    signoff_alert=row.rule in SIGNOFF_ALERT_RULES,
                )
            ),
        )
        for row in rows
    ]


# What an alert was about, in the athlete's own report: the clinician's alert line (its
# tier, what the signs may mean, "your sign-off is needed") is written to the clinician.
ATHLETE_WARNING_SIGN = L_("You reported a warning sign")
ATHLETE_OK_ASKED = L_("Your clinician was asked for their OK to move on")
ATHLETE_UPDATE = L_("Your clinician was told how your training is going")
# What the clinician did about it, when it let the athlete run or move on.
ATHLETE_MAY_RUN = L_("you may run again")
ATHLETE_MAY_RUN_VOIDED = L_("you may run again (no longer counts)")
ATHLETE_OK_GIVEN = L_("OK given to move on")


def _athlete_alerts(
    rows: Sequence[AlertRecord], names: dict[int, str], voided: frozenset[int] = frozenset()
) -> list[AlertRow]:
    """The alerts as rows of the athlete's own report: what each was about and what their
    clinician did, in the athlete's words (the times and who saw it are the same facts as
    the clinician's rows)."""
    out: list[AlertRow] = []
    for row in rows:
        signoff = row.rule in SIGNOFF_ALERT_RULES
        about: str | None = None
        if is_warning_sign(row.rule) or row.text.startswith("Red flag"):
            about = str(ATHLETE_WARNING_SIGN)
        elif signoff and row.rule != SIGNOFF_REQUEST_RULE:
            # The engine's word that an earlier OK came too early or no longer holds: said as
            # the athlete was told it on the day, not as a request for an OK they had.
            about = reason_words(Reason(rule=row.rule, text=row.text), None)
        if about is None:
            about = str(ATHLETE_OK_ASKED if signoff else ATHLETE_UPDATE)
        action: LazyText | None = None
        if row.id in voided and row.action_taken == "review":
            action = ATHLETE_MAY_RUN_VOIDED
        elif row.action_taken == "clear":
            action = ATHLETE_OK_GIVEN if signoff else ATHLETE_MAY_RUN
        elif row.action_taken == "review":
            action = ATHLETE_MAY_RUN
        out.append(
            AlertRow(
                at=row.created_at,
                severity=row.severity,
                text=about,
                acknowledged_by=names.get(row.acknowledged_by or 0)
                if row.acknowledged_by
                else None,
                acknowledged_at=row.acknowledged_at,
                action=str(action) if action is not None else None,
            )
        )
    return out


@dataclass(frozen=True)
class _Voided:
    """The athlete's reviews voided by a later warning sign, read from the audit log: each as
    the record shows it, and the alerts they had reviewed (ids)."""

    reviews: list[VoidedReview]
    alert_ids: frozenset[int]


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# A review voided in the same instant may carry a later time from another replica's clock.
_CLOCK_SLACK = dt.timedelta(minutes=1)


def _voided_reviews(session: Session, athlete_id: int) -> _Voided:
    """Return the athlete's voided reviews. A ``void_review`` entry says whose review, for
    which day, with which note; the clinician's own ``review`` entry of it (the latest one
    before the voiding, give or take a replica's clock, for that day, the same note
    preferred, each used once) says when it was given and which alerts it reviewed."""
    voids = session.exec(
        select(AuditLog)
        .where(AuditLog.athlete_id == athlete_id, AuditLog.action == "void_review")
        .order_by(col(AuditLog.at), col(AuditLog.id))
    ).all()
    if not voids:
        return _Voided([], frozenset())
    given = session.exec(
        select(AuditLog)
        .where(AuditLog.athlete_id == athlete_id, AuditLog.action == "review")
        .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
    ).all()
    reviewers = {_int((v.detail or {}).get("review_by")) for v in voids}
    names = _people_names(session, reviewers)
    used: set[int] = set()
    reviews: list[VoidedReview] = []
    alert_ids: set[int] = set()
    for void in voids:
        detail = void.detail or {}
        by = _int(detail.get("review_by"))
        note = detail.get("note") if isinstance(detail.get("note"), str) else None
        candidates = [
            entry
            for entry in given
            if entry.id not in used
            and entry.actor_id == by
            and entry.at <= void.at + _CLOCK_SLACK
            and (entry.detail or {}).get("effective") == detail.get("review_for")
        ]
        same_note = [e for e in candidates if (e.detail or {}).get("note") == note]
        match = next(iter(same_note or candidates), None)
        reviewed_at = void.at
        if match is not None and match.id is not None:
            used.add(match.id)
            reviewed_at = match.at
            group = (match.detail or {}).get("alert_ids")
            if isinstance(group, list) and len(group) == 2:
                first, last = _int(group[0]), _int(group[1])
                if first and last:
                    alert_ids.update(range(first, last + 1))
        reviews.append(
            VoidedReview(
                reviewed_at=reviewed_at,
                voided_at=void.at,
                by=names.get(by or 0) or _("a clinician"),
                note=note,
            )
        )
    return _Voided(reviews, frozenset(alert_ids))


def _people_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    found = session.exec(select(Person).where(col(Person.id).in_(wanted)))
    return {p.id: _name(p) for p in found if p.id is not None}


# The same, in the athlete's own report (the clinician's sentences ask them to act).
ATHLETE_CRITERIA_UNAVAILABLE = L_(
    "What's needed to move up from your stage cannot be shown just now. Ask your clinician "
    "if you are not sure what comes next."
)


def _criteria_unavailable(
    protocol: Protocol | None, current: str | None, audience: Audience = "clinician"
) -> str | None:
    """Why the report cannot show the exit criteria of the athlete's stage, in words: the
    stage is not in the protocol version (a newer version removed it), or that version
    cannot be read; None when they can be shown (or there is no programme)."""
    if current is None:
        return None
    if protocol is None:
        unavailable = CRITERIA_PROTOCOL_UNREADABLE
    elif current not in {s.id for s in protocol.stages}:
        unavailable = CRITERIA_STAGE_NOT_IN_VERSION
    else:
        return None
    return str(ATHLETE_CRITERIA_UNAVAILABLE if audience == "athlete" else unavailable)


def _athlete_ref(
    session: Session, person: Person, viewer: Person | None, admin: bool
) -> str | None:
    """The athlete's number printed beside their name ("#3"), where it is needed: another
    athlete the viewer has in view shares the name (voice.md: name first, the number on a
    clash), or the report's font cannot draw the name whole (a CJK name would print blank)."""
    clash = repo.shares_name(session, person=person, viewer=viewer, admin=admin)
    return f"#{person.id}" if clash or not drawable(person.display_name) else None


def report_data_for(
    session: Session,
    *,
    athlete_id: int,
    now: dt.datetime,
    viewer: Person | None,
    admin: bool = False,
    audience: Audience = "clinician",
) -> ReportData:
    """Return the report input for the athlete as of ``now`` (aware UTC): the clinician's,
    or with ``audience`` "athlete" the athlete's own, the same facts in their words (stages
    as "Stage 3 of 8 · back to running", warning signs, their clinician's OK; never a stage
    code, a rule id or a clinician's term such as Vmax or exit criteria). Clinicians' notes
    and reasons are given as typed to both: the athlete's /export holds them too.

    Times are in the reader's zone (``viewer``'s; the athlete's without a viewer); dates of
    the athlete's days are their own local dates. ``viewer`` names the clinician on the
    report when they are one; otherwise the first clinician linked to the athlete is named.
    The athlete's number is printed beside the name as :func:`_athlete_ref` decides
    (``admin``: the viewer is an admin, who has every athlete in view).
    Raises ReportUnavailable when there is no such athlete or no injury recorded yet.
    """
    person = _athlete(session, athlete_id)
    injury = _injury(session, athlete_id)
    zone = _zone(person.timezone)
    reader_zone = _zone(viewer.timezone) if viewer is not None else zone
    today = max(now.astimezone(zone).date(), injury.injury_date)
    history = _history(session, athlete_id, injury, zone, today)
    programme, protocol = history.programme, history.protocol
    morning = {
        row.local_date: row
        for row in history.decisions
        if row.kind == "morning" and row.local_date >= today - dt.timedelta(days=TREND_DAYS)
    }
    alert_records, alerts_total = _alert_records(session, athlete_id)
    names = _people_names(session, (row.acknowledged_by for row in alert_records))
    voided = _voided_reviews(session, athlete_id)
    if viewer is not None and viewer.role == "clinician":
        clinician_name: str | None = _name(viewer)
    else:
        linked = repo.clinicians_of(session, athlete_id=athlete_id)
        clinician_name = _name(linked[0]) if linked else None
    status = _status(session, history, injury, today)
    enrolled = repo.enrolment_date(session, athlete_id=athlete_id)
    current = programme.current_stage if programme else None
    unavailable = _criteria_unavailable(protocol, current, audience)
    if unavailable is not None:
        # The replay of a version without the athlete's stage starts at its first stage:
        # those are not the athlete's criteria.
        status = None
    criteria_stage = status.stage if status is not None else None

    def label(stage: str | None) -> str | None:
        if stage is None:
            return None
        return _clip(stage_words(protocol, stage, audience), 80)

    athlete = audience == "athlete"

    return ReportData(
        athlete_name=_athlete_name(person, 200),
        athlete_ref=_athlete_ref(session, person, viewer, admin),
        clinician_name=clinician_name,
        injury=injury,
        timezone=reader_zone.key,
        athlete_today=today,
        protocol_name=(
            _athlete_title(_protocol_title(protocol, injury), protocol)
            if athlete
            else _protocol_title(protocol, injury)
        )
        if programme
        else _("not started"),
        protocol_version=str(programme.protocol_version) if programme else "—",
        current_stage=_clip(current, 12) if current else None,
        current_stage_label=label(current),
        enrolled=enrolled,
        timeline=(
            timeline_entries(
                history.moves, history.decisions, protocol, zone, history.since, audience
            )
            if programme
            else []
        ),
        criteria_stage=_clip(criteria_stage, 12) if criteria_stage else None,
        criteria_stage_label=label(criteria_stage),
        criteria=criteria_rows(protocol, status, audience) if protocol and status else [],
        criteria_note=(
            str(READINESS_NOTE_ATHLETE if athlete else READINESS_NOTE)
            if status is not None
            else None
        ),
        criteria_unavailable=unavailable,
        still_needed=missing(protocol, status, audience) if protocol and status else [],
        metrics=_metric_rows(
            repo.latest_baseline(session, athlete_id=athlete_id), history.records, audience
        ),
        baseline_changes=_baseline_changes(session, athlete_id, audience),
        trend=_trend(history.records, morning, today, enrolled),
        alerts=(
            _athlete_alerts(alert_records, names, voided.alert_ids)
            if athlete
            else _alerts(alert_records, names, protocol, voided.alert_ids)
        ),
        alerts_total=alerts_total,
        record=sorted(
            [
                *record_rows(history.entries, stop_times(history.decisions), protocol, audience),
                *voided_review_rows(voided.reviews, audience),
            ],
            key=lambda row: row.at,
        ),
        generated_at=now,
        audience=audience,
    )


# --- weekly digest ----------------------------------------------------------------------------


def _day_decisions(
    session: Session, athlete_id: int, start: dt.date, end: dt.date
) -> dict[dt.date, Decision]:
    """Each day's decision in [start, end]: the daily row, else the morning row (a day's daily
    row is only written when its session report comes in or the next check-in folds the day,
    so the week's last morning may have decided a stage change on its own)."""
    rows = repo.decisions_between(session, athlete_id=athlete_id, since=start, until=end)
    days = {row.local_date: row for row in rows if row.kind == "morning"}
    days.update((row.local_date, row) for row in rows if row.kind == "daily")
    return days


def _decided(row: Decision) -> str | None:
    """The decision of a stored day (progress, hold, step_back, stop): the engine's payload
    says it on either kind of row; a daily row's outcome is the same word (a morning row's
    outcome is the readiness word, never the decision)."""
    word = row.decision.get("decision")
    if isinstance(word, str):
        return word
    return row.outcome if row.kind == "daily" else None


def _stage_on(moves: Sequence[repo.StageMove], zone: ZoneInfo, day: dt.date) -> str | None:
    """The stage at the end of the athlete's local ``day``: where the last stage move
    recorded on or before it took them (the engine's moves and a clinician's alike)."""
    made = [m for m in moves if m.at.astimezone(zone).date() <= day]
    return made[-1].to_stage if made else None


def _athlete_week(
    session: Session, athlete: Person, week: tuple[dt.date, dt.date], now: dt.datetime | None
) -> DigestAthleteWeek:
    assert athlete.id is not None
    start, end = week
    previous = start - dt.timedelta(days=7)
    programme = repo.get_active_programme(session, athlete_id=athlete.id)
    records = repo.load_day_records(session, athlete_id=athlete.id, since=previous, until=end)
    this_week = [r for r in records if r.date >= start]
    days = _day_decisions(session, athlete.id, start, end)
    in_week = [days[d] for d in sorted(days)]
    zone = _zone(athlete.timezone)
    moves = (
        repo.stage_moves(session, programme_id=programme.id)
        if programme is not None and programme.id is not None
        else []
    )
    stage_now = programme.current_stage if programme else None
    stage_start = in_week[0].decision.get("stage") if in_week else None
    if not isinstance(stage_start, str):
        stage_start = _stage_on(moves, zone, start - dt.timedelta(days=1)) or stage_now
    stage_end = _stage_on(moves, zone, end) or stage_now
    red_days = {r.date for r in this_week if r.morning is not None and r.morning.red_flags} | {
        d for d, row in days.items() if _decided(row) == "stop"
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
    # Missed check-ins are counted as in the report: from enrolment, paused days excepted.
    checked = {r.date for r in this_week if r.morning is not None}
    last = end
    if now is not None:
        # The athlete's today is not missed while it may still come (as in the report).
        today = now.astimezone(_zone(athlete.timezone)).date()
        if today <= end:
            last = today if today in checked else today - dt.timedelta(days=1)
    expected = expected_checkins(this_week, start, last, programme.start_date) if programme else []
    protocol = _protocol(session, programme)
    return DigestAthleteWeek(
        athlete_id=athlete.id,
        athlete_name=_athlete_name(athlete),
        stage_start=_clip(stage_start, 12) if isinstance(stage_start, str) else None,
        stage_end=_clip(stage_end, 12) if isinstance(stage_end, str) else None,
        stage_start_label=_clinician_stage(protocol, stage_start),
        stage_end_label=_clinician_stage(protocol, stage_end),
        step_backs=sum(1 for row in in_week if _decided(row) == "step_back"),
        red_flags=len(red_days),
        sessions_done=min(50, sum(1 for r in this_week if r.session is not None)),
        mean_test_pain=_mean(test_now),
        mean_test_pain_prev=_mean(test_before),
        max_session_pain=max(session_pain) if session_pain else None,
        open_alerts=[
            OpenAlert(
                severity=a.severity,
                # Worded from its rule when the digest is written; a sentence, never the
                # rule's id, when none was stored.
                text=_clip(a.text, 400) or str(ALERT_WITHOUT_WORDS),
                raised_at=a.created_at,
                rule=a.rule,
                local_date=a.local_date,
            )
            for a in repo.open_alerts(session, athlete_id=athlete.id)
        ],
        missed_checkins=min(7, sum(1 for d in expected if d not in checked)),
        signoff_pending=programme is not None and gate_pending(session, programme, protocol),
        paused=athlete.paused or (programme is not None and programme.status == "paused"),
        protocol=protocol,
    )


def digest_data_for(
    session: Session,
    *,
    clinician_id: int,
    week: tuple[dt.date, dt.date],
    now: dt.datetime | None = None,
) -> DigestData:
    """Return the clinician's digest input for ``week`` (first and last local date, Monday to
    Sunday): every linked athlete's stage change, sessions, pain trend, open alerts and missed
    check-ins. The athletes' own local dates are used for their days: sent at ``now``, a day
    that has not ended for the athlete (their Sunday afternoon, in a zone behind the
    clinician's) is not a missed check-in unless it has ended."""
    clinician = session.get(Person, clinician_id)
    if clinician is None or clinician.role != "clinician":
        raise ReportUnavailable(_("no clinician with number {number}").format(number=clinician_id))
    athletes = repo.athletes_of(session, clinician_id=clinician_id)
    return DigestData(
        clinician_name=_name(clinician),
        timezone=_zone(clinician.timezone).key,
        week_start=week[0],
        week_end=week[1],
        athletes=[_athlete_week(session, a, week, now) for a in athletes if a.role == "athlete"],
    )
