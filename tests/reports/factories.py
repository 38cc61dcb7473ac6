"""Generated athlete histories for the report tests and bench/bench_reports.py."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Collection

from bot.reports.data import (
    AlertRow,
    CriterionRow,
    DayPoint,
    MetricRow,
    ProgressData,
    RecordRow,
    ReportData,
    StageEntry,
    StageTarget,
    TrendSummary,
)
from engine.models import Injury, Metrics

INJURY_DATE = dt.date(2026, 3, 1)
BASELINE = Metrics(vmax_ms=9.0, split_10m_s=1.80, split_30m_s=4.00)
HAMSTRING = Injury(
    injury="hamstring", muscle="biceps_femoris", side="left", injury_date=INJURY_DATE
)
STAGES = ("H0", "H1", "H2", "H3", "H4", "H5", "H6", "H7")


def make_points(
    days: int,
    *,
    first_day: int = 2,
    gaps: Collection[int] = (),
    step_backs: Collection[int] = (),
    red_flags: Collection[int] = (),
    seed: int = 7,
) -> list[DayPoint]:
    """Build ``days`` calendar days of history from ``first_day`` after the injury.

    Days listed in ``gaps`` (days since injury) have no record. The stage rises one step every
    ``days // 8`` days (at least 4), drops one stage the day after a step-back day, and
    sessions (with speed and splits) fall on every other day from H2 on.
    """
    rng = random.Random(seed)
    stage_index = 0
    stage_length = max(4, days // 8)
    days_in_stage = 0
    points: list[DayPoint] = []
    for day in range(first_day, first_day + days):
        if day in gaps:
            continue
        stage = STAGES[stage_index]
        running = stage_index >= 2 and day % 2 == 0
        pct = min(1.0, 0.5 + 0.07 * stage_index + rng.uniform(-0.02, 0.02))
        points.append(
            DayPoint(
                local_date=INJURY_DATE + dt.timedelta(days=day),
                stage=stage,
                vmax_ms=round(9.0 * pct, 2) if running else None,
                split_10m_s=round(1.80 / min(1.0, pct + 0.1), 2) if running else None,
                split_30m_s=round(4.00 / min(1.0, pct + 0.05), 2) if running else None,
                session_pain_max=rng.randint(0, 3) if running or stage_index < 2 else None,
                morning_test_pain=rng.randint(0, 2),
                red_flag=day in red_flags,
                step_back=day in step_backs,
            )
        )
        days_in_stage += 1
        if day in step_backs and stage_index > 0:
            stage_index -= 1
            days_in_stage = 0
        elif days_in_stage >= stage_length and stage_index < len(STAGES) - 1:
            stage_index += 1
            days_in_stage = 0
    return points


def make_progress(
    days: int,
    *,
    gaps: Collection[int] = (),
    step_backs: Collection[int] = (),
    red_flags: Collection[int] = (),
    target: StageTarget | None = None,
    today: dt.date | None = None,
    timezone: str = "Europe/London",
) -> ProgressData:
    """A ProgressData for a left biceps femoris strain with ``days`` days of history."""
    return ProgressData(
        athlete_name="Alex Example",
        injury=HAMSTRING,
        timezone=timezone,
        baseline=BASELINE,
        points=make_points(days, gaps=gaps, step_backs=step_backs, red_flags=red_flags),
        target=target,
        today=today,
    )


def make_report(
    days: int,
    *,
    alerts: int = 3,
    stage_changes: int = 6,
    clearances: int = 2,
    notes: int = 2,
) -> ReportData:
    """A ReportData for the same athlete, with as many rows of each kind as asked
    (``clearances`` sign-offs or refusals and ``notes`` notes in the clinician's record)."""
    generated = dt.datetime.combine(
        INJURY_DATE + dt.timedelta(days=days + 2), dt.time(9, 30), tzinfo=dt.UTC
    )
    timeline = [
        StageEntry(
            stage=STAGES[i % len(STAGES)],
            stage_label=f"{STAGES[i % len(STAGES)]} · stage {i % len(STAGES) + 1}",
            entered=INJURY_DATE + dt.timedelta(days=2 + i * 3),
            at=dt.datetime.combine(
                INJURY_DATE + dt.timedelta(days=2 + i * 3), dt.time(7, 30), tzinfo=dt.UTC
            ),
            moved_by="Sprintback rules" if i % 3 else "Dr Maria Šimková",
            reason="Exit criteria met: moved up"
            if i % 4 != 3
            else "Stepped back: pain 5/10 in session",
        )
        for i in range(stage_changes)
    ]
    alert_rows = [
        AlertRow(
            at=generated - dt.timedelta(days=alerts - i, hours=3),
            severity=("same_day", "within_24h", "info", "emergency")[i % 4],
            text=f"Alert {i + 1}: {'sharp pain in session' if i % 2 else 'new swelling reported'}",
            acknowledged_by=None if i == alerts - 1 else "Dr Maria Šimková",
            acknowledged_at=None if i == alerts - 1 else generated - dt.timedelta(days=alerts - i),
            action=None if i == alerts - 1 else "Reviewed: may run again",
        )
        for i in range(alerts)
    ]
    record = [
        RecordRow(
            at=generated - dt.timedelta(days=clearances - i, hours=5),
            action="Sign-off declined: stays in H5" if i % 2 else "Signed off: may leave H5",
            by="Dr Maria Šimková",
            text="wait for strength LSI ≥ 90 %" if i % 2 else "H-test negative",
        )
        for i in range(clearances)
    ] + [
        RecordRow(
            at=generated - dt.timedelta(days=notes - i),
            action="Note",
            by="Dr Maria Šimková",
            text=f"Note {i + 1}: athlete reports better confidence at 80 % Vmax.",
        )
        for i in range(notes)
    ]
    return ReportData(
        athlete_name="Alex Example",
        athlete_ref="@alex_runs",
        clinician_name="Dr Maria Šimková",
        injury=HAMSTRING,
        timezone="Europe/London",
        protocol_name="hamstring",
        protocol_version="1.2.0",
        current_stage=timeline[-1].stage if timeline else None,
        current_stage_label=timeline[-1].stage_label if timeline else None,
        enrolled=INJURY_DATE + dt.timedelta(days=2),
        timeline=timeline,
        criteria_stage=timeline[-1].stage if timeline else None,
        criteria=[
            CriterionRow(name="Days in this stage", observed="1 of 4", needed="4 days", met=False),
            CriterionRow(
                name="≥3 reps at 80 % Vmax, pain 0–1/10",
                observed="2",
                needed="HV reps 3 or more (in runs at 80 % of Vmax or faster)",
                met=False,
            ),
            CriterionRow(name="24-h response green", observed="green", needed="green", met=True),
            CriterionRow(name="Nordic LSI", observed="88 %", needed="≥85 %", met=True),
        ],
        still_needed=["3 more days in this stage", "HV reps 3 or more"],
        metrics=[
            MetricRow(
                name="Vmax", unit="m/s", baseline=9.0, latest=7.6, latest_date=generated.date()
            ),
            MetricRow(
                name="10 m split", unit="s", baseline=1.8, latest=1.9, higher_is_better=False
            ),
            MetricRow(name="Strength LSI", unit="%", baseline=None, latest=88),
        ],
        trend=TrendSummary(
            days=14,
            since=generated.date() - dt.timedelta(days=13),
            readiness={"go": 9, "modify": 3, "rest": 1, "missing": 1},
            mean_test_pain_last7=1.3,
            mean_test_pain_prev7=0.9,
            max_session_pain_last7=3,
        ),
        alerts=alert_rows,
        record=sorted(record, key=lambda r: r.at),
        generated_at=generated,
    )
