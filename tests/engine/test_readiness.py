"""Morning verdict, reference §4.1 (priorities 1–8) and §5 (red-flag tiers). Rule ids cited."""

from __future__ import annotations

from typing import Any

import pytest

from engine.models import MorningCheckIn
from engine.readiness import SymptomBaseline, hooper_z, morning_verdict
from tests.engine.builders import morning, protocol

HAM = protocol("hamstring")
BASE = SymptomBaseline(pain_test=1, tightness=1)

# (rule id, morning overrides, Hooper history, symptom baseline, verdict, level)
CASES: list[tuple[str, dict[str, Any], list[int], SymptomBaseline | None, str, str]] = [
    ("morning.p1.redflag.tier3", {"red_flags": ["swelling"]}, [], BASE, "stop", "stop"),
    ("morning.p1.redflag.tier2", {"red_flags": ["calf_warm_red"]}, [], BASE, "stop", "stop"),
    ("morning.p1.redflag.tier1", {"red_flags": ["chest_breathless"]}, [], BASE, "stop", "stop"),
    ("morning.p1.redflag.tier3", {"pain_rest": 4}, [], BASE, "stop", "stop"),
    ("morning.p1.unanswered", {"red_flags": None}, [], BASE, "rest", "rest"),
    ("morning.p3.pain_rest", {"pain_rest": 3}, [], BASE, "rest", "rest"),
    ("morning.p3.pain_test", {"pain_test": 4}, [], BASE, "rest", "rest"),
    ("morning.p3.pain_test_delta", {"pain_test": 3}, [], BASE, "rest", "rest"),
    ("morning.p3.tightness_delta", {"tightness": 4}, [], BASE, "rest", "rest"),
    ("morning.p4.pain_test", {"pain_test": 2}, [], None, "modify", "light"),
    ("morning.p4.pain_test_delta", {"pain_test": 2}, [], BASE, "modify", "light"),
    ("morning.p4.tightness_delta", {"tightness": 3}, [], BASE, "modify", "light"),
    ("morning.p5.hooper_z", {"fatigue": 5, "soreness": 5}, [11] * 10, BASE, "modify", "heavy"),
    ("morning.p5.hooper_item", {"stress": 6}, [], BASE, "modify", "heavy"),
    ("morning.p5.sleep", {"sleep_hours": 4.5}, [], BASE, "modify", "heavy"),
    (
        "morning.p5.hooper_abs",
        {"sleep_quality": 5, "fatigue": 5, "stress": 4, "soreness": 4},
        [],
        BASE,
        "modify",
        "heavy",
    ),
    (
        "morning.p6.hooper_z",
        {"soreness": 5},
        [9, 13, 11, 9, 13, 11, 11, 11],
        BASE,
        "modify",
        "light",
    ),
    ("morning.p6.sleep", {"sleep_hours": 5.5}, [], BASE, "modify", "light"),
    ("morning.p6.hooper_abs", {"fatigue": 4, "soreness": 4}, [], BASE, "modify", "light"),
    ("morning.p7", {"confidence": 4}, [], BASE, "modify", "light"),
    # Unknown injury-site pain cannot rule out a rest (or stop) morning: rest (review r07).
    ("missing.answer", {"pain_test": None}, [], BASE, "rest", "rest"),
    ("missing.answer", {"pain_rest": None}, [], BASE, "rest", "rest"),
    ("missing.answer", {"tightness": None}, [], BASE, "rest", "rest"),
    ("missing.answer", {"confidence": None}, [], BASE, "modify", "light"),
    ("missing.hooper", {"stress": None}, [], BASE, "modify", "light"),
    ("missing.sleep_hours", {"sleep_hours": None}, [], BASE, "modify", "light"),
    ("morning.p8", {}, [11] * 10, BASE, "go", "go"),
    ("morning.p8", {"pain_test": 1, "tightness": 2}, [], BASE, "go", "go"),
]


@pytest.mark.parametrize(
    ("rule", "overrides", "history", "baseline", "verdict", "level"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_morning_rule(
    rule: str,
    overrides: dict[str, Any],
    history: list[int],
    baseline: SymptomBaseline | None,
    verdict: str,
    level: str,
) -> None:
    result = morning_verdict(HAM, morning(**overrides), history, baseline)
    assert result.readiness == verdict
    assert result.level == level
    assert any(r.rule == rule for r in result.reasons), [r.rule for r in result.reasons]
    assert all(r.text for r in result.reasons)


def test_missing_check_in_is_missing_never_go() -> None:
    result = morning_verdict(HAM, None, [], BASE)
    assert result.readiness == "missing"
    assert result.reasons[0].rule == "missing.checkin"


def test_red_flag_wins_over_everything_else_first_match() -> None:
    m = morning(red_flags=["night_pain"], pain_rest=3, sleep_hours=3, confidence=1)
    result = morning_verdict(HAM, m, [], BASE)
    assert result.readiness == "stop"
    assert [r.rule for r in result.reasons] == ["morning.p1.redflag.tier3"]


def test_injury_signals_come_before_wellness() -> None:
    m = morning(pain_rest=3, sleep_hours=3, fatigue=7)
    result = morning_verdict(HAM, m, [], BASE)
    assert result.readiness == "rest"
    assert not any(r.rule.startswith("morning.p5") for r in result.reasons)


def test_hooper_z_needs_seven_entries_then_uses_own_history() -> None:
    # HI 14 is "light" on the absolute fallback (13–16) ...
    m = morning(sleep_quality=4, fatigue=4, stress=3, soreness=3)
    six = morning_verdict(HAM, m, [8] * 6, BASE)
    assert any(r.rule == "morning.p6.hooper_abs" for r in six.reasons)
    # ... but against this athlete's own steady 8s it is far above normal (z ≥ 2): heavy.
    seven = morning_verdict(HAM, m, [8] * 7, BASE)
    assert seven.level == "heavy"
    assert any(r.rule == "morning.p5.hooper_z" for r in seven.reasons)
    # and an athlete who always scores 14 is normal at 14.
    usual = morning_verdict(HAM, m, [14, 13, 15, 14, 14, 13, 15], BASE)
    assert usual.readiness == "go"


def test_hooper_z_formula() -> None:
    assert hooper_z(14, [10, 12, 14, 10, 12, 14, 12], 7) == pytest.approx((14 - 12) / 1.633, 0.01)
    assert hooper_z(14, [10] * 6, 7) is None


def test_heavy_wellness_caps_speed_at_70_percent() -> None:
    result = morning_verdict(HAM, morning(sleep_hours=4), [], BASE)
    assert result.max_pct_vmax == 70


def test_low_confidence_raises_the_psych_flag() -> None:
    assert morning_verdict(HAM, morning(confidence=3), [], BASE).psych_flag


@pytest.mark.parametrize(
    ("flags", "severity", "tier"),
    [
        (["chest_breathless"], "emergency", 1),
        (["calf_warm_red"], "same_day", 2),
        (["pop"], "same_day", 2),
        (["swelling"], "within_24h", 3),
        (["bruising"], "within_24h", 3),
        (["numbness"], "same_day", 2),  # also covers foot drop / weakness (tier 2)
        (["night_pain"], "within_24h", 3),
        (["unwell"], "within_24h", 3),
        (["swelling", "chest_breathless"], "emergency", 1),
    ],
)
def test_red_flag_tiers_reference_5(flags: list[str], severity: str, tier: int) -> None:
    result = morning_verdict(HAM, MorningCheckIn(red_flags=flags), [], None)  # type: ignore[arg-type]
    assert result.readiness == "stop"
    assert result.triage is not None and result.triage.tier == tier
    assert [a.severity for a in result.alerts] == [severity]
    assert result.instructions and result.instructions[0].rule == f"redflag.tier{tier}"
    if tier == 1:
        assert "112 / 911 / 999 / 000" in result.instructions[0].text
