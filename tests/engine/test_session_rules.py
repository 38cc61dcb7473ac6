"""Post-session classification, reference §4.2. Rule ids cited."""

from __future__ import annotations

from typing import Any

import pytest

from engine.session_rules import classify_session
from tests.engine.builders import protocol, session

HAM = protocol("hamstring")

# (rule id, session overrides, exposure % Vmax, tightness baseline, class)
CASES: list[tuple[str, dict[str, Any], float, float | None, str]] = [
    ("session.stop", {"sharp_pain": True}, 60, 1, "stop"),
    ("session.red", {"pain_max": 5}, 60, 1, "red"),
    ("session.red.pain_1h", {"pain_1h": 4}, 60, 1, "red"),
    ("session.amber", {"pain_max": 3}, 60, 1, "amber"),
    ("session.amber", {"pain_max": 4}, 60, 1, "amber"),
    ("session.amber.hv", {"pain_max": 2}, 85, 1, "amber"),
    ("session.green", {"pain_max": 2}, 70, 1, "green"),
    ("session.green", {"pain_max": 1}, 95, 1, "green"),
    ("session.green.tightness", {"tightness": 3}, 60, 1, "amber"),
    ("session.green", {"tightness": 2}, 60, 1, "green"),
    ("session.green.tightness", {}, 60, None, "amber"),
    ("missing.session", {"pain_max": None}, 60, 1, "amber"),
    ("missing.session", {"sharp_pain": None}, 60, 1, "amber"),
    ("missing.session", {"tightness": None}, 60, 1, "amber"),
]


@pytest.mark.parametrize(
    ("rule", "overrides", "pct", "tight", "cls"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_session_rule(
    rule: str, overrides: dict[str, Any], pct: float, tight: float | None, cls: str
) -> None:
    result = classify_session(HAM, session(**overrides), pct, tight)
    assert result.session_class == cls
    assert any(r.rule == rule for r in result.reasons), [r.rule for r in result.reasons]


def test_sharp_pain_alerts_the_clinician_the_same_day() -> None:
    result = classify_session(HAM, session(sharp_pain=True), 60, 1)
    assert [a.severity for a in result.alerts] == ["same_day"]
    assert result.triage is not None and "clinician" in result.triage.instruction.text


@pytest.mark.parametrize(
    ("overrides", "incomplete", "rule"),
    [
        (
            {"completion": "partial", "completed_pct": 60, "stop_reason": "pain"},
            True,
            "session.incomplete",
        ),
        (
            {"completion": "partial", "completed_pct": 60, "stop_reason": "fear"},
            True,
            "session.incomplete",
        ),
        # Not the prescribed dose, whatever the cause, but not a symptom either.
        (
            {"completion": "partial", "completed_pct": 60, "stop_reason": "weather_time"},
            True,
            "gate.3",
        ),
        (
            {"completion": "stopped", "completed_pct": 10, "stop_reason": "weather_time"},
            True,
            "gate.3",
        ),
        ({"completion": "stopped", "stop_reason": "weather_time"}, True, "gate.3"),
        ({"completion": "partial", "stop_reason": "other"}, True, "gate.3"),
        (
            {"completion": "stopped", "completed_pct": 90, "stop_reason": "weather_time"},
            False,
            None,
        ),
        ({"completion": "partial", "completed_pct": 85, "stop_reason": "pain"}, False, None),
        (
            {"completion": "stopped", "completed_pct": 90, "stop_reason": "pain"},
            True,
            "session.incomplete",
        ),
        ({"completion": "stopped", "stop_reason": "tightness"}, True, "session.incomplete"),
        ({"completion": None}, True, "missing.session"),
        ({}, False, None),
    ],
)
def test_a_session_below_the_completion_minimum_is_not_completed(
    overrides: dict[str, Any], incomplete: bool, rule: str | None
) -> None:
    """Any session below 80 % is not completed; only symptom or fear stops read as symptoms."""
    result = classify_session(HAM, session(**overrides), 60, 1)
    assert result.incomplete is incomplete
    got = {r.rule for r in result.reasons} & {"session.incomplete", "missing.session", "gate.3"}
    assert got == ({rule} if rule else set())
    assert ("session.green" in {r.rule for r in result.reasons}) is not incomplete


@pytest.mark.parametrize("where", ["other_leg", "back_buttock", "other"])
def test_pain_elsewhere_asks_for_a_screen_within_24h(where: str) -> None:
    result = classify_session(HAM, session(pain_max=2, pain_location=where), 60, 1)
    assert any(
        a.severity == "within_24h" and a.rule == "session.pain_location" for a in result.alerts
    )


@pytest.mark.parametrize(
    ("overrides", "pct", "low"),
    [
        ({"confidence": 5}, 85, True),
        ({"held_back": True}, 90, True),
        ({"confidence": 5}, 60, False),
        ({"confidence": 6}, 90, False),
    ],
)
def test_low_confidence_counts_on_hv_sessions_only(
    overrides: dict[str, Any], pct: float, low: bool
) -> None:
    assert classify_session(HAM, session(**overrides), pct, 1).low_confidence is low
