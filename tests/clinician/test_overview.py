"""The /athletes overview: traffic light and urgency order."""

from __future__ import annotations

import datetime as dt

from bot.services.clinician.view import (
    AthleteSummary,
    render_overview,
    sort_by_urgency,
    traffic_light,
)

TODAY = dt.date(2026, 5, 4)


def summary(athlete_id: int, name: str, **kw) -> AthleteSummary:  # type: ignore[no-untyped-def]
    base = {"stage": "H2", "verdict_today": "go", "last_checkin": TODAY, "today": TODAY}
    base.update(kw)
    return AthleteSummary(athlete_id=athlete_id, name=name, **base)


def test_lights() -> None:
    assert traffic_light(summary(1, "a")) == "green"
    assert traffic_light(summary(1, "a", open_alert_severities=("same_day",))) == "red"
    # Urgency follows open alerts: a stop whose alert was handled is amber, not red.
    assert traffic_light(summary(1, "a", verdict_today="stop")) == "amber"
    assert traffic_light(summary(1, "a", open_alert_severities=("within_24h",))) == "amber"
    assert traffic_light(summary(1, "a", gate_pending=True)) == "amber"
    assert traffic_light(summary(1, "a", last_checkin=TODAY - dt.timedelta(days=3))) == "amber"
    assert traffic_light(summary(1, "a", last_checkin=None, enrolled=TODAY - dt.timedelta(days=5)))
    assert (
        traffic_light(summary(1, "a", last_checkin=None, enrolled=TODAY - dt.timedelta(days=5)))
        == "amber"
    )


def test_missed_check_ins_count_from_enrolment() -> None:
    # Enrolled today or yesterday without a check-in yet: not late.
    for days in (0, 1):
        new = summary(1, "a", last_checkin=None, enrolled=TODAY - dt.timedelta(days=days))
        assert traffic_light(new) == "green", days
    # A check-in from an earlier programme does not make a new enrolment late.
    again = summary(
        1, "a", last_checkin=TODAY - dt.timedelta(days=20), enrolled=TODAY - dt.timedelta(days=1)
    )
    assert traffic_light(again) == "green"
    assert (
        traffic_light(summary(1, "a", last_checkin=None, enrolled=TODAY - dt.timedelta(days=2)))
        == "amber"
    )


def test_most_urgent_first() -> None:
    calm = summary(1, "Calm")
    stale = summary(2, "Stale", last_checkin=TODAY - dt.timedelta(days=5))
    staler = summary(3, "Staler", last_checkin=TODAY - dt.timedelta(days=9))
    emergency = summary(4, "Zed", open_alert_severities=("info", "emergency"))
    same_day = summary(5, "Amy", open_alert_severities=("same_day",))
    order = [s.name for s in sort_by_urgency([calm, stale, staler, emergency, same_day])]
    assert order == ["Zed", "Amy", "Staler", "Stale", "Calm"]


def test_each_athlete_is_one_line_with_stage_verdict_checkin_and_alerts() -> None:
    text = render_overview(
        [
            summary(
                7,
                "Anna",
                stage="H3",
                open_alert_severities=("same_day",),
                decision_today="stop",
                verdict_today="stop",
                last_checkin=TODAY - dt.timedelta(days=1),
            )
        ]
    )
    line = text.splitlines()[1]
    assert line.startswith("🔴 Anna · H3")
    for part in ("today: stopped", "1 open alert"):
        assert part in line
    assert "stopped, stopped" not in line
    assert "#7" not in line and "alert(s)" not in line and "stop/stop" not in line


def test_the_number_appears_only_when_two_athletes_share_a_name() -> None:
    text = render_overview(
        [
            summary(7, "Sam", verdict_today="modify"),
            summary(8, "sam", verdict_today="rest"),
            summary(9, "Anna", verdict_today=None, last_checkin=TODAY - dt.timedelta(days=2)),
        ]
    )
    assert "Sam (#7)" in text and "sam (#8)" in text
    assert "Anna ·" in text and "#9" not in text
    assert "today: lighter session" in text and "today: rest day" in text
    assert "last check-in 2 days ago" in text
    for engine_word in ("modify", "progress", "step_back"):
        assert engine_word not in text


def test_empty_overview_says_how_to_invite() -> None:
    assert "/invite" in render_overview([])
