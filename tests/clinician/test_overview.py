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
    assert traffic_light(summary(1, "a", verdict_today="stop")) == "red"
    assert traffic_light(summary(1, "a", open_alert_severities=("within_24h",))) == "amber"
    assert traffic_light(summary(1, "a", gate_pending=True)) == "amber"
    assert traffic_light(summary(1, "a", last_checkin=TODAY - dt.timedelta(days=3))) == "amber"
    assert traffic_light(summary(1, "a", last_checkin=None)) == "amber"


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
    assert line.startswith("🔴 #7 Anna")
    for part in ("H3", "today stop/stop", "last check-in 1 d ago", "1 open alert(s)"):
        assert part in line


def test_empty_overview_says_how_to_invite() -> None:
    assert "/invite" in render_overview([])
