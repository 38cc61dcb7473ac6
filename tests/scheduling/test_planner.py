"""An athlete's day: which prompts, when, and which days are rest days under the protocol."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.scheduling.planner import (
    DEFAULT_GRACE,
    AthleteSchedule,
    RestRule,
    grace_decision,
    plan_day,
    plan_days,
    session_due,
)
from bot.scheduling.schedule import SchedulerConfig, athlete_schedule
from bot.store.models import Person

Z = dt.UTC
LONDON = AthleteSchedule(tz="Europe/London", session_end_time=dt.time(18, 30))


def test_day_prompts_in_order_at_local_times() -> None:
    day = dt.date(2026, 6, 10)  # BST, UTC+1
    prompts = plan_day(LONDON, day, session_day=True)
    assert [(p.kind, p.due_at) for p in prompts] == [
        ("morning", dt.datetime(2026, 6, 10, 6, 0, tzinfo=Z)),
        ("reminder", dt.datetime(2026, 6, 10, 6, 45, tzinfo=Z)),
        ("cutoff", dt.datetime(2026, 6, 10, 10, 0, tzinfo=Z)),
        ("post_session", dt.datetime(2026, 6, 10, 17, 30, tzinfo=Z)),
    ]
    assert all(p.local_date == day for p in prompts)


def test_no_post_session_prompt_without_a_session_and_nothing_when_paused() -> None:
    day = dt.date(2026, 6, 10)
    kinds = [p.kind for p in plan_day(LONDON, day, session_day=False)]
    assert kinds == ["morning", "reminder", "cutoff"]
    paused = AthleteSchedule(tz="Europe/London", paused=True)
    assert plan_day(paused, day, session_day=True) == ()


def test_reminder_dropped_when_the_cutoff_comes_first() -> None:
    tight = AthleteSchedule(tz="UTC", checkin_time=dt.time(7), cutoff_time=dt.time(7, 30))
    kinds = [p.kind for p in plan_day(tight, dt.date(2026, 6, 10), session_day=False)]
    assert kinds == ["morning", "cutoff"]


def test_bad_settings_are_refused_with_what_is_expected() -> None:
    with pytest.raises(ValueError, match="must be later than the check-in time"):
        AthleteSchedule(tz="UTC", checkin_time=dt.time(9), cutoff_time=dt.time(8))
    with pytest.raises(ValueError, match="IANA"):
        AthleteSchedule(tz="Europe/Londn")
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6"):
        AthleteSchedule(tz="UTC", training_weekdays=frozenset({7}))


def test_hv_rest_interval_turns_the_next_day_into_a_rest_day() -> None:
    rule = RestRule(stage_has_hv=True, min_rest=dt.timedelta(hours=48))
    monday = dt.date(2026, 6, 8)
    plans = plan_days(LONDON, monday, 5, rule)
    assert [p.session_day for p in plans] == [True, False, True, False, True]
    rest = plans[1]
    assert rest.rest_reason is not None and "48 h between high-velocity" in rest.rest_reason
    assert "post_session" not in [p.kind for p in rest.prompts]


def test_stage_without_hv_work_trains_every_training_day() -> None:
    plans = plan_days(LONDON, dt.date(2026, 6, 8), 3, RestRule(stage_has_hv=False))
    assert all(p.session_day for p in plans)


def test_rest_interval_counts_local_days_as_the_engine_does_across_dst() -> None:
    # A session on Saturday 28 March; Monday 30 March is two local days later (47 real hours,
    # the clocks went forward): a session day, as the engine's plan says, so its prompt comes.
    rule = RestRule(stage_has_hv=True, min_rest=dt.timedelta(hours=48))
    saturday = dt.date(2026, 3, 28)
    has_session, reason = session_due(LONDON, dt.date(2026, 3, 29), rule, saturday)
    assert not has_session and reason is not None and "24 h before" in reason
    assert session_due(LONDON, dt.date(2026, 3, 30), rule, saturday) == (True, None)


def test_non_training_weekdays_have_no_session() -> None:
    weekdays = AthleteSchedule(tz="UTC", training_weekdays=frozenset({0, 2, 4}))
    plans = plan_days(weekdays, dt.date(2026, 6, 8), 7, RestRule())
    assert [p.session_day for p in plans] == [True, False, True, False, True, False, False]
    assert all(p.rest_reason is None for p in plans)


@pytest.mark.parametrize(
    ("late_by", "expected"),
    [
        (dt.timedelta(0), "on_time"),
        (dt.timedelta(minutes=1), "on_time"),
        (dt.timedelta(minutes=30), "late"),
        (dt.timedelta(hours=2), "late"),
        (dt.timedelta(hours=2, seconds=1), "missed"),
    ],
)
def test_grace_period(late_by: dt.timedelta, expected: str) -> None:
    due = dt.datetime(2026, 6, 10, 6, 0, tzinfo=Z)
    assert grace_decision(due, due + late_by, DEFAULT_GRACE) == expected


def test_the_post_session_prompt_never_comes_before_the_morning_check_in() -> None:
    # A check-in time set later than the usual session end: the check-in would otherwise close
    # the session report the athlete is answering.
    evening = AthleteSchedule(
        tz="UTC",
        checkin_time=dt.time(20, 0),
        cutoff_time=dt.time(23, 59),
        session_end_time=dt.time(18, 0),
    )
    prompts = plan_day(evening, dt.date(2026, 6, 10), session_day=True)
    due = {p.kind: p.due_at for p in prompts}
    assert due["post_session"] == dt.datetime(2026, 6, 10, 21, 0, tzinfo=Z)
    assert prompts[0].kind == "morning"


@pytest.mark.parametrize(
    ("checkin", "cutoff"),
    [("07:00", "11:00"), ("09:00", "11:00"), ("09:30", "13:30"), ("10:59", "14:59")],
)
def test_a_check_in_just_before_the_usual_cut_off_gets_a_window_of_its_own(
    checkin: str, cutoff: str
) -> None:
    athlete = Person(
        role="athlete", telegram_user_id=1, display_name="A", timezone="UTC", checkin_time=checkin
    )
    schedule = athlete_schedule(athlete, SchedulerConfig(), paused=False)
    assert schedule.cutoff_time.strftime("%H:%M") == cutoff
