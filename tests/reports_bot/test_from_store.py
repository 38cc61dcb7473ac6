"""What the chart, report and digest are built from: the stored days, decisions, stage moves,
alerts and notes, turned into the renderers' inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.reports.from_store import (
    ReportUnavailable,
    digest_data_for,
    progress_data_for,
    report_data_for,
    stage_target,
)
from bot.store import repo
from bot.store.db import make_engine, session_scope
from bot.store.standing import protocol_for
from tests.reports_bot.conftest import write_athlete

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
START = TODAY - dt.timedelta(days=30)


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    """A store holding Anna's 30 days (H2 → H3, a step-back on day 15, H3 again on day 28)."""
    eng = make_engine(sqlite_url)
    yield eng
    eng.dispose()


def day(offset: int) -> dt.date:
    """The programme's day ``offset`` (0 = first day)."""
    return START + dt.timedelta(days=offset)


def test_chart_points_follow_the_stored_days_and_decisions(engine: Engine) -> None:
    anna = write_athlete(engine, NOW, 1, "Anna", days=30)
    with session_scope(engine) as session:
        repo.record_decision(
            session,
            athlete_id=anna,
            local_date=day(20),
            kind="daily",
            outcome="stop",
            decision={"stage": "H2", "stage_after": "H2", "reasons": []},
            protocol_name="hamstring",
            protocol_version=1,
            now=NOW,
        )
    with session_scope(engine, read_only=True) as session:
        data = progress_data_for(session, athlete_id=anna, today=TODAY)
    by_date = {p.local_date: p for p in data.points}
    # A day with neither a check-in nor a session is a gap, not a zero.
    assert day(9) not in by_date and day(8) in by_date
    assert [by_date[day(i)].stage for i in (12, 14, 16, 28)] == ["H2", "H3", "H2", "H3"]
    assert [p.local_date for p in data.points if p.step_back] == [day(15)]
    assert [p.local_date for p in data.points if p.red_flag] == [day(20)]
    assert by_date[day(14)].vmax_ms is not None and by_date[day(15)].vmax_ms is None
    assert data.target is not None and (data.target.stage, data.target.pct_of_baseline) == (
        "H4",
        80.0,
    )
    assert data.timezone == "Europe/London" and data.today == TODAY


def test_stage_target_is_the_speed_criterions_own_threshold(engine: Engine) -> None:
    write_athlete(engine, NOW, 1, "Anna", days=3)
    with session_scope(engine, read_only=True) as session:
        programme = repo.get_active_programme(session, athlete_id=1)
        assert programme is not None
        protocol = protocol_for(session, programme)
    h2 = stage_target(protocol, "H2")
    h4 = stage_target(protocol, "H4", audience="clinician")
    h5 = stage_target(protocol, "H5", audience="clinician")
    assert h2 is not None and (h2.stage, h2.pct_of_baseline) == ("H3", 65.0)
    assert h2.label is not None and "runs reaching 65 % of your top speed" in h2.label
    # H4 asks for reps at 90 % Vmax; its split criterion stays in words, never converted.
    assert h4 is not None and (h4.stage, h4.pct_of_baseline) == ("H5", 90.0)
    assert h4.label is not None and "at 90 % of Vmax" in h4.label
    # H5: Vmax ≥ 95 % of pre-injury, as the PDF and /status say (not 97.1 from the splits).
    assert h5 is not None and (h5.stage, h5.pct_of_baseline) == ("H6", 95.0)
    assert stage_target(protocol, protocol.stages[-1].id) is None


def test_report_names_who_moved_each_stage_and_who_acknowledged(engine: Engine) -> None:
    anna = write_athlete(engine, NOW, 1, "Anna", days=30, alert="same_day")
    with session_scope(engine) as session:
        lee = repo.create_person(
            session, role="clinician", telegram_user_id=2, display_name="Dr Lee", now=NOW
        )
        assert lee.id is not None
        programme = repo.get_active_programme(session, athlete_id=anna)
        assert programme is not None and programme.id is not None
        repo.move_stage(
            session,
            programme_id=programme.id,
            to_stage="H2",
            now=NOW,
            reason="tight",
            by_person_id=lee.id,
        )
        [alert] = repo.open_alerts(session, athlete_id=anna)
        assert alert.id is not None
        repo.acknowledge_alert(
            session, alert_id=alert.id, by_person_id=lee.id, now=NOW, action_taken="phoned"
        )
        repo.record_clearance(
            session, athlete_id=anna, stage="H2", clinician_id=lee.id, local_date=TODAY, now=NOW
        )
        viewer = lee
    with session_scope(engine, read_only=True) as session:
        data = report_data_for(session, athlete_id=anna, now=NOW, viewer=viewer)
    assert [(e.stage, e.moved_by) for e in data.timeline] == [
        ("H2", "Enrolment"),
        ("H3", "Sprintback rules"),
        ("H2", "Sprintback rules"),
        ("H3", "Sprintback rules"),
        ("H2", "Dr Lee"),
    ]
    assert data.timeline[0].entered == START
    assert data.timeline[-1].reason == "Stage set by the clinician"
    [row] = data.alerts
    assert (row.acknowledged_by, row.action) == ("Dr Lee", "phoned")
    assert [(r.action.split(" · ")[0], r.by) for r in data.record] == [
        ("Signed off: may leave H2", "Dr Lee"),  # same moment: actions before notes
        ("Note", "Anna"),
    ]
    assert data.clinician_name == "Dr Lee" and data.protocol_version == "1"
    vmax = next(m for m in data.metrics if m.name == "Vmax")
    assert vmax.baseline == 9.0 and vmax.latest_date == day(28)
    # The last 14 days up to yesterday (today's check-in is not in yet).
    assert data.trend is not None and data.trend.since == TODAY - dt.timedelta(days=13)
    assert data.trend.readiness["go"] + data.trend.readiness["missing"] == 13


def test_digest_week_counts_sessions_missed_checkins_and_stage_change(engine: Engine) -> None:
    anna = write_athlete(engine, NOW, 1, "Anna", days=30, alert="emergency")
    with session_scope(engine) as session:
        lee = repo.create_person(
            session, role="clinician", telegram_user_id=2, display_name="Dr Lee", now=NOW
        )
        assert lee.id is not None
        repo.link_athlete(session, athlete_id=anna, clinician_id=lee.id, now=NOW)
    week = (day(23), day(29))
    with session_scope(engine, read_only=True) as session:
        data = digest_data_for(session, clinician_id=lee.id, week=week)
    [anna_week] = data.athletes
    assert (anna_week.stage_start, anna_week.stage_end) == ("H2", "H3")
    # The clinician reads a stage by code and name, never the code alone (voice.md).
    assert anna_week.stage_start_label == "H2 · Return to running, jog → ~65 % Vmax"
    assert anna_week.stage_end_label == "H3 · Progressive running 70–80 % Vmax"
    assert anna_week.sessions_done == 3  # days 24, 26, 28
    assert anna_week.missed_checkins == 2  # days 24 and 29
    assert [a.severity for a in anna_week.open_alerts] == ["emergency"]
    assert anna_week.step_backs == 0 and anna_week.red_flags == 0


def test_nothing_to_show_without_an_injury(engine: Engine) -> None:
    with session_scope(engine) as session:
        person = repo.create_person(session, role="athlete", telegram_user_id=5, now=NOW)
        assert person.id is not None
    with session_scope(engine, read_only=True) as session, pytest.raises(ReportUnavailable):
        progress_data_for(session, athlete_id=person.id, today=TODAY)
