"""What the demo leaves behind: the decision timeline read from the database, the athlete's
progress chart (PNG) and the clinician report (PDF), filled from stored records by the same
builders the bot's /progress and /report use (``bot.reports.from_store``).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.reports.chart import render_progress_png
from bot.reports.from_store import progress_data_for, report_data_for
from bot.reports.report_pdf import render_report_pdf
from bot.services.texts import HISTORY_DAY, HISTORY_MORNING
from bot.store.db import session_scope
from bot.store.models import Decision, Link, Person, Programme
from bot.store.standing import protocol_for
from bot.support.formats import format_short_date
from bot.support.i18n import L_, capitalised
from bot.wording.reasons import today_reasons, word_reasons
from bot.wording.stages import stage_position
from engine.programme import DayOutcome
from engine.schema import Protocol

TIMELINE_HEAD = L_("date · stage · morning · after the day")


@dataclass(frozen=True)
class TimelineRow:
    """One day's decision in words, as the demo's timeline shows it."""

    date: dt.date
    stage: str  # "Stage 2 of 8", or "Stage 3 of 8 → Stage 2 of 8" on the day of a move
    morning: str  # the morning's verdict: "train", "rest", "no check-in"
    decision: str  # "moved up", "same stage", "back one stage", "stopped"
    reason: str  # what explains the day best, as the athlete read it


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


def main_reason(outcome: DayOutcome, protocol: Protocol | None) -> str:
    """Return the sentence that explains a day's decision best, as the athlete read it: what
    fired (a red flag, a flare-up), else what the clinician did, else the stage they moved
    to, else what is still needed to move up; empty when the protocol cannot be read."""
    if protocol is None:
        return ""
    worded = word_reasons(outcome.reasons, protocol, outcome.stage)
    fired = [w.text for w in worded if w.kind == "fired"]
    clinician = [w.text for w in worded if w.rule.startswith("clinician.")]
    moves = [w.text for w in worded if w.kind == "move"]
    chosen = fired or clinician or moves or today_reasons(worded, limit=1)
    if not chosen:
        return ""
    return str(capitalised(chosen[0]))


def decision_timeline(engine: Engine, athlete_telegram_id: int) -> list[TimelineRow]:
    """Return the athlete's daily decisions, oldest first, as stored by the bot, in words
    of the current language (no stage id, rule or engine key)."""
    with session_scope(engine, read_only=True) as session:
        athlete_id = athlete_id_of(session, athlete_telegram_id)
        rows = session.exec(
            select(Decision)
            .where(Decision.athlete_id == athlete_id, Decision.kind == "daily")
            .order_by(col(Decision.local_date), col(Decision.id))
        ).all()
        programme = session.exec(
            select(Programme)
            .where(Programme.athlete_id == athlete_id)
            .order_by(col(Programme.id).desc())
        ).first()
        protocol = protocol_for(session, programme) if programme is not None else None
    latest: dict[dt.date, Decision] = {row.local_date: row for row in rows}
    return [
        _row(day, DayOutcome.model_validate(row.decision), protocol)
        for day, row in sorted(latest.items())
    ]


def _stage_number(protocol: Protocol | None, stage_id: str) -> str:
    return stage_position(protocol, stage_id) if protocol is not None else "–"


def _row(day: dt.date, outcome: DayOutcome, protocol: Protocol | None) -> TimelineRow:
    stage = _stage_number(protocol, outcome.stage)
    if outcome.stage_after != outcome.stage:
        stage += " → " + _stage_number(protocol, outcome.stage_after)
    morning = HISTORY_MORNING.get(str(outcome.readiness))
    decision = HISTORY_DAY.get(str(outcome.decision))
    return TimelineRow(
        date=day,
        stage=stage,
        morning=str(morning) if morning is not None else "–",
        decision=str(decision) if decision is not None else "–",
        reason=main_reason(outcome, protocol),
    )


def render_timeline(rows: list[TimelineRow], width: int = 100) -> str:
    """Return the timeline: a line per day (date · stage · morning · decision), its reason
    wrapped and indented below it."""
    lines = [str(TIMELINE_HEAD)]
    for row in rows:
        lines.append(
            " · ".join((format_short_date(row.date), row.stage, row.morning, row.decision))
        )
        if row.reason:
            lines.extend(
                textwrap.wrap(
                    row.reason, width=width, initial_indent="    ", subsequent_indent="    "
                )
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
