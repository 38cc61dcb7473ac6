"""What the demo leaves behind: the decision timeline read from the database, the athlete's
progress chart (PNG) and the clinician report (PDF), built from stored records only.

The chart and report inputs are filled here from the store's repositories (the shared
``bot.reports.from_store`` builders were not committed when the demo was written).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.reports.chart import render_progress_png
from bot.reports.data import (
    AlertRow,
    ClearanceRow,
    MetricRow,
    ProgressData,
    ReportData,
    StageEntry,
    day_point_from_record,
)
from bot.reports.report_pdf import render_report_pdf
from bot.store.db import session_scope
from bot.store.models import (
    AlertRecord,
    Clearance,
    Decision,
    Link,
    Person,
    Programme,
    StageChange,
)
from bot.store.repo.answers import load_day_records
from bot.store.repo.programme import latest_baseline, latest_injury
from engine.models import DecisionKind, Metrics

# Reasons that explain a decision best, most telling first (rule names of the engine).
_MAIN_RULES = (
    "morning.p1.redflag",
    "progress",
    "24h.step_back",
    "clinician.step_back",
    "clinician.resume",
    "clinician.clear",
    "gate.1",
    "missing.checkin",
)


@dataclass(frozen=True)
class TimelineRow:
    """One daily decision as the timeline table shows it."""

    date: dt.date
    stage: str
    readiness: str
    decision: str
    stage_after: str
    reason: str


@dataclass(frozen=True)
class WrittenFiles:
    """Where the demo wrote its files."""

    transcript: Path
    chart: Path
    report: Path


def athlete_id_of(session: Session, telegram_id: int) -> int:
    """Return the stored id of the person with ``telegram_id``."""
    person_id = session.exec(
        select(Person.id).where(Person.telegram_user_id == telegram_id)
    ).first()
    if person_id is None:
        raise LookupError(f"no person with Telegram id {telegram_id} is stored")
    return person_id


def main_reason(reasons: list[dict[str, object]]) -> str:
    """Return the text of the reason that best explains a decision."""
    for prefix in _MAIN_RULES:
        for reason in reasons:
            if str(reason.get("rule", "")).startswith(prefix):
                return str(reason.get("text", ""))
    for reason in reasons:
        if str(reason.get("text", "")).startswith("Not yet"):
            return str(reason["text"])
    return str(reasons[0].get("text", "")) if reasons else ""


def decision_timeline(engine: Engine, athlete_telegram_id: int) -> list[TimelineRow]:
    """Return the athlete's daily decisions, oldest first, as stored by the bot."""
    with session_scope(engine, read_only=True) as session:
        athlete_id = athlete_id_of(session, athlete_telegram_id)
        rows = session.exec(
            select(Decision)
            .where(Decision.athlete_id == athlete_id, Decision.kind == "daily")
            .order_by(col(Decision.local_date), col(Decision.id))
        ).all()
        latest: dict[dt.date, Decision] = {row.local_date: row for row in rows}
    return [
        TimelineRow(
            date=day,
            stage=str(row.decision.get("stage", "")),
            readiness=str(row.decision.get("readiness", "")),
            decision=row.outcome,
            stage_after=str(row.decision.get("stage_after", "")),
            reason=main_reason(list(row.decision.get("reasons", []))),
        )
        for day, row in sorted(latest.items())
    ]


def render_timeline(rows: list[TimelineRow], width: int = 100) -> str:
    """Return the timeline as a fixed-width table."""
    head = f"{'date':<10}  {'stage':<5}  {'readiness':<9}  {'decision':<9}  {'after':<5}  reason"
    room = max(width - 59, 70)
    lines = [head, "-" * (59 + room)]
    for row in rows:
        reason = row.reason if len(row.reason) <= room else row.reason[: room - 1] + "…"
        lines.append(
            f"{row.date.isoformat():<10}  {row.stage:<5}  {row.readiness:<9}  "
            f"{row.decision:<9}  {row.stage_after:<5}  {reason}"
        )
    return "\n".join(lines)


def _names(session: Session) -> dict[int, str]:
    return {p.id: p.display_name for p in session.exec(select(Person)) if p.id is not None}


def progress_data(session: Session, athlete_id: int, today: dt.date) -> ProgressData:
    """Return the chart input of the athlete from the stored days and decisions."""
    person = session.get(Person, athlete_id)
    injury = latest_injury(session, athlete_id=athlete_id)
    if person is None or injury is None:
        raise LookupError("the athlete has no injury recorded: onboarding did not finish")
    decisions = {
        row.local_date: row
        for row in session.exec(
            select(Decision)
            .where(Decision.athlete_id == athlete_id, Decision.kind == "daily")
            .order_by(col(Decision.local_date), col(Decision.id))
        )
    }
    points = []
    for record in load_day_records(
        session, athlete_id=athlete_id, since=injury.injury_date, until=today
    ):
        decision = decisions.get(record.date)
        stage = str(decision.decision.get("stage")) if decision else _stage_on(session, athlete_id)
        outcome: DecisionKind | None = decision.outcome if decision else None  # type: ignore[assignment]
        points.append(day_point_from_record(record, stage=stage, decision=outcome))
    return ProgressData(
        athlete_name=person.display_name or "Athlete",
        injury=injury,
        timezone=person.timezone,
        baseline=latest_baseline(session, athlete_id=athlete_id) or Metrics(),
        points=points,
        today=today,
    )


def _stage_on(session: Session, athlete_id: int) -> str:
    programme = _programme(session, athlete_id)
    return programme.current_stage if programme else "H0"


def _programme(session: Session, athlete_id: int) -> Programme | None:
    return session.exec(
        select(Programme).where(Programme.athlete_id == athlete_id).order_by(col(Programme.id))
    ).first()


def report_data(session: Session, athlete_id: int, now: dt.datetime) -> ReportData:
    """Return the clinician report input of the athlete from the stored records."""
    person = session.get(Person, athlete_id)
    injury = latest_injury(session, athlete_id=athlete_id)
    programme = _programme(session, athlete_id)
    if person is None or injury is None or programme is None:
        raise LookupError("the athlete has no programme: onboarding did not finish")
    names = _names(session)
    changes = session.exec(
        select(StageChange)
        .where(StageChange.programme_id == programme.id)
        .order_by(col(StageChange.at), col(StageChange.id))
    ).all()
    timeline = [
        StageEntry(
            stage=change.to_stage,
            entered=change.at.date(),
            moved_by=names.get(change.by_person_id or 0, "engine")[:60],
            reason=(change.reason or "")[:300],
        )
        for change in changes
    ]
    alerts = [
        AlertRow(
            at=row.created_at,
            severity=row.severity,
            text=row.text[:400],
            acknowledged_by=names.get(row.acknowledged_by or 0),
            acknowledged_at=row.acknowledged_at,
            action=row.action_taken,
        )
        for row in session.exec(
            select(AlertRecord)
            .where(AlertRecord.athlete_id == athlete_id)
            .order_by(col(AlertRecord.created_at))
        )
    ]
    clearances = [
        ClearanceRow(
            stage=row.stage,
            by=names.get(row.clinician_id, "clinician")[:60],
            at=row.at,
            declined=row.declined,
            note=row.note,
        )
        for row in session.exec(select(Clearance).where(Clearance.athlete_id == athlete_id))
    ]
    baseline = latest_baseline(session, athlete_id=athlete_id)
    today = now.date()
    records = load_day_records(
        session, athlete_id=athlete_id, since=injury.injury_date, until=today
    )
    metrics = []
    for key, name, unit, higher in (
        ("vmax_ms", "Top speed (Vmax)", "m/s", True),
        ("split_10m_s", "10 m split", "s", False),
        ("strength_lsi_pct", "Strength LSI", "%", True),
    ):
        latest = [
            (r.date, getattr(r.session.metrics, key))
            for r in records
            if r.session is not None and getattr(r.session.metrics, key) is not None
        ]
        metrics.append(
            MetricRow(
                name=name,
                unit=unit,
                baseline=getattr(baseline, key, None) if baseline else None,
                latest=latest[-1][1] if latest else None,
                latest_date=latest[-1][0] if latest else None,
                higher_is_better=higher,
            )
        )
    linked = [names[c] for c in _clinicians(session, athlete_id) if c in names]
    return ReportData(
        athlete_name=person.display_name or "Athlete",
        clinician_name=linked[0][:60] if linked else None,
        injury=injury,
        timezone=person.timezone,
        protocol_name=programme.protocol_name,
        protocol_version=str(programme.protocol_version),
        current_stage=programme.current_stage,
        timeline=timeline,
        metrics=metrics,
        alerts=alerts,
        clearances=clearances,
        generated_at=now,
    )


def _clinicians(session: Session, athlete_id: int) -> list[int]:
    return [
        link.clinician_id
        for link in session.exec(select(Link).where(Link.athlete_id == athlete_id))
    ]


def write_outputs(
    engine: Engine,
    *,
    athlete_telegram_id: int,
    now: dt.datetime,
    today: dt.date,
    transcript: str,
    folder: Path,
) -> WrittenFiles:
    """Write transcript.txt, progress-chart.png and clinician-report.pdf into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with session_scope(engine, read_only=True) as session:
        athlete_id = athlete_id_of(session, athlete_telegram_id)
        progress = progress_data(session, athlete_id, today)
        report = report_data(session, athlete_id, now)
    chart_png = render_progress_png(progress)
    files = WrittenFiles(
        transcript=folder / "transcript.txt",
        chart=folder / "progress-chart.png",
        report=folder / "clinician-report.pdf",
    )
    files.transcript.write_text(transcript, encoding="utf-8")
    files.chart.write_bytes(chart_png)
    files.report.write_bytes(render_report_pdf(report, chart_png))
    return files
