"""The chart and the PDF built from a stored history in which the engine and a clinician both
moved the athlete: every session sits in the band of the stage it was run in, the title's
stage is the last band, nothing is drawn off its axis, the speed line is the criterion's own
threshold, missed check-ins count from enrolment, and every clinician action is in the PDF
with its reason and author. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from bot.reports.chart import build_chart_spec, render_spec_png
from bot.reports.criteria import speed_criterion
from bot.reports.from_store import digest_data_for, progress_data_for, report_data_for
from bot.reports.report_pdf import render_report_pdf
from bot.services.clinician.actions import add_note, apply_action, record_clearance, record_review
from bot.services.protocol_admin import ensure_seeded
from bot.store import repo
from bot.store.db import make_engine, session_scope
from bot.store.models import Person
from bot.store.standing import protocol_for
from bot.wording import describe_criterion, stage_label
from engine.models import Injury, Metrics, MorningCheckIn, SessionReport
from tests.reports.pdf_pages import flat, page_facts, pdf_text, render_pages

ZONE = ZoneInfo("Europe/London")
START = dt.date(2026, 3, 2)  # enrolment, day 0; the injury was ten days before
INJURY_DATE = START - dt.timedelta(days=10)
TODAY = START + dt.timedelta(days=9)
NOW = dt.datetime.combine(TODAY, dt.time(12, 0), ZONE)
BASELINE = Metrics(vmax_ms=9.0, split_10m_s=1.8, split_30m_s=4.0)
MISSED_MORNING = 6  # the one day after enrolment without a check-in

# (day, decision, stage the day began in, stage of the day's plan, stage after the day)
# as the engine stores them. Day 2 moves up in the morning: its session is an H2 session.
# Day 3 steps back in the morning (24-hour rule): its session is run in H1. Day 7: the
# clinician set H3 before the session, so the engine ran the session in H3.
DAYS: list[tuple[int, str, str, str | None, str]] = [
    (0, "hold", "H0", None, "H0"),
    (1, "progress", "H0", "H0", "H1"),
    (2, "progress", "H1", "H2", "H2"),
    (3, "step_back", "H2", "H1", "H1"),
    (4, "stop", "H1", "H1", "H1"),
    (5, "hold", "H1", "H1", "H1"),
    (6, "hold", "H1", None, "H1"),
    (7, "hold", "H1", "H3", "H3"),
    (8, "hold", "H3", "H3", "H3"),
]
SESSION_DAYS = {1: "H0", 2: "H2", 3: "H1", 5: "H1", 7: "H3", 8: "H3"}
# Morning moves are recorded with the morning decision, evening ones with the session's.
MOVE_TIMES = {1: dt.time(19, 0), 2: dt.time(7, 30), 3: dt.time(7, 30)}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """Day ``day`` of the programme at a London wall-clock time."""
    return dt.datetime.combine(START + dt.timedelta(days=day), dt.time(hour, minute), ZONE)


@dataclass(frozen=True)
class Story:
    """The stored athlete and what the test expects of the chart and the report."""

    engine: Engine
    athlete_id: int
    clinician_id: int


def _decision(
    day: int, outcome: str, stage: str, plan: str | None, after: str
) -> dict[str, object]:
    reasons = [{"rule": "test", "text": f"Day {day}."}]
    if outcome == "step_back":
        reasons.insert(
            0,
            {
                "rule": "24h.step_back",
                "text": "Test pain up 3 points: step back.",
                "observed": "test pain +3, tightness +0",
            },
        )
    if outcome == "stop":
        reasons.insert(0, {"rule": "morning.m0", "text": "Red flag (numbness): stop training."})
    return {
        "stage": stage,
        "stage_after": after,
        "plan": None if plan is None else {"stage": plan, "stage_name": plan, "readiness": "go"},
        "reasons": reasons,
    }


def _write_story(engine: Engine) -> Story:
    with session_scope(engine) as session:
        ensure_seeded(session, "hamstring", at(0, 9))
        athlete = repo.create_person(
            session,
            role="athlete",
            telegram_user_id=501,
            chat_id=501,
            display_name="Robin Vale",
            timezone="Europe/London",
            now=at(0, 9),
        )
        lee = repo.create_person(
            session,
            role="clinician",
            telegram_user_id=601,
            chat_id=601,
            display_name="Dr Lee",
            timezone="America/New_York",
            now=at(0, 9),
        )
        assert athlete.id is not None and lee.id is not None
        repo.link_athlete(session, athlete_id=athlete.id, clinician_id=lee.id, now=at(0, 9))
        injury = Injury(injury="hamstring", side="left", grade=1, injury_date=INJURY_DATE)
        repo.add_injury(session, athlete_id=athlete.id, injury=injury, now=at(0, 9))
        repo.set_baseline(session, athlete_id=athlete.id, metrics=BASELINE, now=at(0, 9))
        programme = repo.start_programme(
            session,
            athlete_id=athlete.id,
            protocol_name="hamstring",
            protocol_version=1,
            first_stage="H0",
            start_date=START,
            now=at(0, 10),
        )
        assert programme.id is not None
        protocol = protocol_for(session, programme)
        for day, outcome, stage, plan, after in DAYS:
            date = START + dt.timedelta(days=day)
            if day not in (0, MISSED_MORNING):
                repo.upsert_morning_checkin(
                    session,
                    athlete_id=athlete.id,
                    local_date=date,
                    answers=MorningCheckIn(
                        red_flags=["numbness"] if outcome == "stop" else [],
                        pain_rest=0,
                        pain_test=0,
                    ),
                    answered_at=at(day, 7, 30),
                    utc_offset_minutes=0,
                )
            if day == 1:  # the H0 sign-off, before the day's session
                record_clearance(
                    session, lee, athlete, at(1, 8), declined=False, note="diagnosis confirmed"
                )
            if day == 5:  # the review after day 4's red flag, before the morning check-in
                record_review(
                    session, lee, athlete, at(5, 6, 50), note="reviewed by phone, no nerve signs",
                    alert_ids=None,
                )  # fmt: skip
            if day == 6:
                apply_action(
                    session, lee, athlete, "hold", at(6, 7), protocol, note="wait for the scan"
                )
            if day == 7:
                apply_action(
                    session, lee, athlete, "set_stage", at(7, 8), protocol,
                    stage="H3", note="seen in clinic, strong",
                )  # fmt: skip
            if day in SESSION_DAYS:
                repo.upsert_session_report(
                    session,
                    athlete_id=athlete.id,
                    local_date=date,
                    answers=SessionReport(
                        completion="full",
                        pain_max=0,
                        metrics=Metrics(vmax_ms=6.0 + 0.1 * day, split_10m_s=2.4 - 0.02 * day),
                    ),
                    answered_at=at(day, 18),
                    utc_offset_minutes=0,
                )
            moved_at = at(day, MOVE_TIMES.get(day, dt.time(19)).hour, 30)
            kinds = ["morning", "daily"] if day not in (0, MISSED_MORNING) else ["daily"]
            for kind in kinds:
                repo.record_decision(
                    session,
                    athlete_id=athlete.id,
                    local_date=date,
                    kind=kind,  # type: ignore[arg-type]
                    outcome=outcome if kind == "daily" or outcome in ("stop",) else "go",
                    decision=_decision(day, outcome, stage, plan, after),
                    protocol_name="hamstring",
                    protocol_version=1,
                    now=at(day, 7, 30) if kind == "morning" else at(day, 19),
                )
            current = repo.get_active_programme(session, athlete_id=athlete.id)
            assert current is not None
            if after != current.current_stage and outcome != "hold":
                repo.move_stage(
                    session,
                    programme_id=programme.id,
                    to_stage=after,
                    now=moved_at,
                    reason=f"engine: {outcome} on {date.isoformat()}",
                )
        # Today: the morning check-in, then the clinician steps the athlete back to H2.
        repo.upsert_morning_checkin(
            session,
            athlete_id=athlete.id,
            local_date=TODAY,
            answers=MorningCheckIn(red_flags=[], pain_rest=0, pain_test=1),
            answered_at=at(9, 7, 30),
            utc_offset_minutes=0,
        )
        repo.record_decision(
            session,
            athlete_id=athlete.id,
            local_date=TODAY,
            kind="morning",
            outcome="go",
            decision=_decision(9, "go", "H3", "H3", "H3"),
            protocol_name="hamstring",
            protocol_version=1,
            now=at(9, 7, 30),
        )
        apply_action(
            session, lee, athlete, "step_back", at(9, 10), protocol, note="pain on palpation"
        )
        add_note(session, lee, athlete.id, "Phoned: keen to race in May.", at(9, 11))
        return Story(engine, athlete.id, lee.id)


@pytest.fixture
def story(db_url: str) -> Iterator[Story]:
    """The stored story, on SQLite and on PostgreSQL."""
    engine = make_engine(db_url)
    try:
        yield _write_story(engine)
    finally:
        engine.dispose()


def _day(date: dt.date) -> int:
    return (date - INJURY_DATE).days


def test_sessions_sit_in_the_band_of_the_stage_they_were_run_in(story: Story) -> None:
    with session_scope(story.engine, read_only=True) as session:
        data = progress_data_for(session, athlete_id=story.athlete_id, today=TODAY)
    spec = build_chart_spec(data)
    sessions = {p.local_date: p for p in data.points if p.vmax_ms is not None}
    assert {(d - START).days for d in sessions} == set(SESSION_DAYS)
    for offset, stage in SESSION_DAYS.items():
        point = sessions[START + dt.timedelta(days=offset)]
        assert point.stage == stage
        for series in ("vmax", "split_10m", "session_pain"):
            x = next(x for x, _ in spec.series(series).points if round(x) == _day(point.local_date))
            band = spec.band_at(x)
            assert band is not None and band.stage == stage, f"day {offset} {series}"
    # The bands follow the stage history: H1 from the evening of day 1 to the morning of
    # day 2 had no day of its own; today the clinician's step back made it H2.
    assert [b.stage for b in spec.bands] == ["H0", "H2", "H1", "H3", "H2"]
    assert spec.bands[0].x_start == _day(START) - 0.5
    assert spec.bands[-1].first_date == TODAY and spec.bands[-1].x_end == spec.x_range[1]


def test_the_title_names_the_last_band_in_the_readers_words(story: Story) -> None:
    with session_scope(story.engine, read_only=True) as session:
        athlete = progress_data_for(session, athlete_id=story.athlete_id, today=TODAY)
        clinician = progress_data_for(
            session, athlete_id=story.athlete_id, today=TODAY, audience="clinician"
        )
    for data, words in (
        (athlete, "Stage 3 of 8 · back to running"),
        (clinician, "H2 · Return to running"),
    ):
        spec = build_chart_spec(data)
        assert spec.stage == spec.bands[-1].stage == "H2"
        assert words in spec.subtitle
        assert all("H" not in b.label for b in spec.bands) == (data.audience == "athlete")


def test_no_plotted_value_lies_outside_its_axis(story: Story) -> None:
    with session_scope(story.engine, read_only=True) as session:
        data = progress_data_for(session, athlete_id=story.athlete_id, today=TODAY)
    spec = build_chart_spec(data)
    assert spec.markers, "the red flag of day 4 and the step backs are marked"
    for panel in spec.panels:
        low, high = panel.y_range
        for series in panel.series:
            for x, y in series.points:
                assert low <= y <= high and spec.x_range[0] <= x <= spec.x_range[1]
        for line in panel.hlines:
            assert low <= line.y <= high
    events = spec.panel("events")
    for marker in spec.markers:
        assert events.y_range[0] < marker.row < events.y_range[1]
    red = [m.local_date for m in spec.markers if m.kind == "red_flag"]
    assert red == [START + dt.timedelta(days=4)]


def test_the_target_line_is_the_speed_criterions_threshold(story: Story) -> None:
    with session_scope(story.engine, read_only=True) as session:
        data = progress_data_for(session, athlete_id=story.athlete_id, today=TODAY)
        programme = repo.get_active_programme(session, athlete_id=story.athlete_id)
        assert programme is not None
        protocol = protocol_for(session, programme)
    found = speed_criterion(protocol, "H2")
    assert found is not None
    criterion, pct = found
    assert pct == criterion.threshold == 65
    spec = build_chart_spec(data)
    target = next(h for h in spec.panel("performance").hlines if h.key == "target")
    assert target.y == criterion.threshold
    assert data.target is not None and data.target.label == describe_criterion(criterion)
    assert data.target.stage_label == stage_label(protocol, "H3")
    # Speed alone is not all: the chart names what else the stage still needs.
    assert len(spec.info) == 2
    assert spec.info[1].startswith(("Still needed: ", "Also still needed: "))
    assert data.still_needed and data.still_needed[0] in spec.info[1]
    # H5's line is its Vmax criterion (95 %), not a number converted from the split criterion.
    h5 = speed_criterion(protocol, "H5")
    assert h5 is not None and h5[1] == 95 and h5[0].item == "derived.vmax_pct_baseline"


def test_missed_check_ins_count_from_enrolment(story: Story) -> None:
    with session_scope(story.engine, read_only=True) as session:
        viewer = session.get(Person, story.clinician_id)
        data = report_data_for(session, athlete_id=story.athlete_id, now=NOW, viewer=viewer)
        digest = digest_data_for(
            session, clinician_id=story.clinician_id, week=(START, START + dt.timedelta(days=6))
        )
    trend = data.trend
    assert trend is not None and trend.since == START == data.enrolled
    # Days 1–9 were due (the enrolment day is not: the first prompt comes the next morning);
    # only day 6 was missed, although the 14-day window reaches back before enrolment.
    assert sum(trend.readiness.values()) == trend.days == 9
    assert trend.readiness["missing"] == 1
    [week] = digest.athletes
    assert week.missed_checkins == 1


def test_every_clinician_action_is_in_the_pdf_with_its_reason_and_author(
    story: Story, tmp_path: Path
) -> None:
    with session_scope(story.engine, read_only=True) as session:
        viewer = session.get(Person, story.clinician_id)
        data = report_data_for(session, athlete_id=story.athlete_id, now=NOW, viewer=viewer)
        progress = progress_data_for(
            session, athlete_id=story.athlete_id, today=TODAY, audience="clinician"
        )
    expected = [
        (at(1, 8), "Signed off: may leave H0 · Triage & protection", "diagnosis confirmed"),
        (at(5, 6, 50), "Reviewed: may run again", "reviewed by phone, no nerve signs"),
        (at(6, 7), "Held: no progression that day", "wait for the scan"),
        (at(7, 8), "Moved to H3", "seen in clinic, strong"),
        (at(9, 10), "Stepped back to H2", "pain on palpation"),
        (at(9, 11), "Note", "Phoned: keen to race in May."),
    ]
    assert [(r.at, r.action.split(" · ")[0], r.by, r.text) for r in data.record] == [
        (when, action.split(" · ")[0], "Dr Lee", text) for when, action, text in expected
    ]
    # The stage timeline says who moved the athlete and why, in words.
    assert [(e.stage, e.moved_by) for e in data.timeline] == [
        ("H0", "Enrolment"),
        ("H1", "Sprintback rules"),
        ("H2", "Sprintback rules"),
        ("H1", "Sprintback rules"),
        ("H3", "Dr Lee"),
        ("H2", "Dr Lee"),
    ]
    reasons = [e.reason for e in data.timeline]
    assert reasons[1] == "Exit criteria met: moved up"
    assert reasons[3] == "Stepped back: test pain +3, morning tightness +0"
    assert reasons[4] == "Stage set by the clinician: seen in clinic, strong"
    assert reasons[5] == "Stepped back by the clinician: pain on palpation"
    assert not any("engine" in r for r in reasons)
    # Times are the reader's (Dr Lee is in New York), named once.
    assert data.timezone == "America/New_York"
    spec = build_chart_spec(progress, for_print=True)
    pdf = render_report_pdf(data, render_spec_png(spec))
    text = flat(" ".join(pdf_text(pdf)))
    assert text.count("America/New_York") == 1
    for row in data.record:
        local = row.at.astimezone(ZoneInfo("America/New_York"))
        assert f"{local.day} {local:%b %Y %H:%M} {row.action} Dr Lee {row.text}" in text
    assert "muscle not recorded" in text and "unknown" not in text
    assert "Still needed:" in text and "NOT MET" in text
    facts = page_facts(pdf)
    assert len(facts[1].image_boxes_pt) == 1, "the chart is on page 2"
    assert min(size for page in facts for size in page.font_sizes_pt) >= 7
    pages = render_pages(pdf, tmp_path, dpi=50)
    assert len(pages) == len(facts)
