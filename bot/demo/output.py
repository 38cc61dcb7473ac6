"""What the demo leaves behind: the decision timeline read from the database, the athlete's
progress chart (PNG) and the clinician report (PDF), filled from stored records by the same
builders the bot's /progress and /report use (``bot.reports.from_store``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.reports.chart import render_progress_png
from bot.reports.from_store import progress_data_for, report_data_for
from bot.reports.report_pdf import render_report_pdf
from bot.store.db import session_scope
from bot.store.models import (
    Decision,
    Link,
    Person,
)

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
        progress = progress_data_for(session, athlete_id=athlete_id, today=today)
        # The PDF's chart is the clinician's (stage codes, Vmax), drawn at its printed size.
        printed = progress_data_for(
            session, athlete_id=athlete_id, today=today, audience="clinician"
        )
        clinician = session.exec(
            select(Person)
            .join(Link, col(Link.clinician_id) == col(Person.id))
            .where(Link.athlete_id == athlete_id)
        ).first()
        report = report_data_for(session, athlete_id=athlete_id, now=now, viewer=clinician)
    chart_png = render_progress_png(progress)
    files = WrittenFiles(
        transcript=folder / "transcript.txt",
        chart=folder / "progress-chart.png",
        report=folder / "clinician-report.pdf",
    )
    files.transcript.write_text(transcript, encoding="utf-8")
    files.chart.write_bytes(chart_png)
    files.report.write_bytes(
        render_report_pdf(report, render_progress_png(printed, for_print=True))
    )
    return files
