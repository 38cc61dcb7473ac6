"""Pre-injury bests changed with /baseline: what is refused (a value too slow to be a sprint
best, a split that contradicts a kept one), the clinician's card and its warning, and the
criterion wording when a pre-injury best is what is missing."""

from __future__ import annotations

import pytest

from bot.services.athlete.account import baseline_card
from bot.services.questionnaires.metrics_parser import (
    baseline_problems,
    cross_checks,
    parse_metrics_line,
)
from bot.support.i18n import use_language
from bot.wording.reasons import MetricsOnFile, criterion_words, metrics_on_file
from engine.schema import Criterion

SAVED = {"vmax_ms": 9.0, "split_10m_s": 1.8, "split_30m_s": 4.05}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (
            {"split_10m_s": 4.2},
            "The 10 m split you typed (4.2 s) should be shorter than your saved 30 m split "
            "(4.05 s). If that one is wrong too, type both.",
        ),
        (
            {"split_20m_s": 4.5},
            "The 20 m split you typed (4.5 s) should be shorter than your saved 30 m split "
            "(4.05 s). If that one is wrong too, type both.",
        ),
        (
            {"split_30m_s": 1.7},
            "The 30 m split you typed (1.7 s) should be longer than your saved 10 m split "
            "(1.8 s). If that one is wrong too, type both.",
        ),
    ],
)
def test_a_split_typed_is_checked_against_the_kept_ones(
    typed: dict[str, float], expected: str
) -> None:
    assert expected in baseline_problems(typed, SAVED)


def test_values_that_agree_once_merged_pass() -> None:
    assert baseline_problems({"vmax_ms": 8.8, "split_20m_s": 3.0}, SAVED) == []
    # Both splits typed again: the saved one they replace is not compared.
    assert baseline_problems({"split_10m_s": 4.0, "split_30m_s": 6.0}, SAVED) == []


def test_two_saved_splits_that_disagree_are_not_this_entrys_problem() -> None:
    saved = {"split_10m_s": 4.1, "split_30m_s": 4.0}
    assert baseline_problems({"vmax_ms": 9.0}, saved) == []
    # Without a saved set, the same values are checked as one entry (session metrics).
    assert cross_checks(saved) != []


def test_a_top_speed_too_slow_for_a_sprint_best_is_refused_with_the_floor() -> None:
    [problem] = baseline_problems({"vmax_ms": 0.5})
    assert problem.startswith("top speed 0.5 m/s looks wrong"), problem
    assert problem.endswith("expected at least 4 m/s."), problem
    assert baseline_problems({"vmax_ms": 4.0}) == []
    with use_language("de"):
        assert "4 m/s" in baseline_problems({"vmax_ms": 3.5})[0]


@pytest.mark.parametrize(
    ("key", "slowest"), [("split_10m_s", 4.0), ("split_20m_s", 6.5), ("split_40m_s", 11.5)]
)
def test_a_split_too_slow_for_a_sprint_best_is_refused(key: str, slowest: float) -> None:
    assert baseline_problems({key: slowest}) == []
    [problem] = baseline_problems({key: slowest + 0.1})
    assert "too slow for a pre-injury best" in problem, problem
    assert f"expected at most {slowest:g} s" in problem, problem


def test_a_session_keeps_its_own_bounds() -> None:
    """The floor is for a pre-injury best only: a slow run in a session is a real reading."""
    assert parse_metrics_line("vmax 3.5 10m 4.5").ok


def test_the_card_warns_when_a_change_makes_criteria_easier_to_meet() -> None:
    slower = baseline_card("Alex", SAVED, {"split_30m_s": 4.2})
    assert slower.splitlines() == [
        "✏️ Alex changed their pre-injury bests:",
        "• 30 m split: 4.05 s → 4.2 s",
        "⚠️ A lower Vmax or slower splits make the speed criteria easier to meet.",
    ]
    # No criterion compares strength, jump or hop values with the baseline: no warning.
    weaker = baseline_card("Alex", {"nordic_n": 300}, {"nordic_n": 250})
    assert weaker.splitlines() == [
        "✏️ Alex changed their pre-injury bests:",
        "• Nordic force: 300 N → 250 N",
    ]
    both = baseline_card("Alex", {**SAVED, "hop_lsi_pct": 98}, {"vmax_ms": 8.5, "hop_lsi_pct": 90})
    assert both.splitlines()[-1] == (
        "⚠️ A lower Vmax or slower splits make the speed criteria easier to meet."
    )
    # A first value (no bar set before) and a faster one: no warning.
    first = baseline_card("Alex", {}, {"vmax_ms": 9.1, "split_10m_s": 1.78})
    assert first.splitlines() == [
        "✏️ Alex changed their pre-injury bests:",
        "• Vmax: not recorded → 9.1 m/s",
        "• 10 m split: not recorded → 1.78 s",
    ]


def _criterion(item: str) -> Criterion:
    """A protocol criterion on ``item`` ("95 % or more")."""
    return Criterion.model_construct(
        id="X1", text="t", item=item, op="ge", threshold=95, evidence="U", source="test"
    )


@pytest.mark.parametrize(
    ("item", "baseline", "reported", "needs"),
    [
        ("derived.vmax_pct_baseline", set(), {"vmax_ms"}, True),
        ("derived.vmax_pct_baseline", {"split_10m_s"}, {"vmax_ms", "split_10m_s"}, True),
        ("derived.vmax_pct_baseline", {"vmax_ms"}, {"vmax_ms"}, False),
        ("derived.vmax_pct_baseline", set(), set(), False),  # nothing reported yet
        ("derived.worst_split_pct_baseline", {"vmax_ms"}, {"split_10m_s"}, True),
        ("derived.worst_split_pct_baseline", {"split_30m_s"}, {"vmax_ms"}, False),  # no split yet
        ("derived.worst_10_20m_split_pct_baseline", {"split_30m_s"}, {"split_20m_s"}, True),
        ("derived.pct_vmax", set(), {"vmax_ms"}, True),
        ("metrics.hop_lsi_pct", set(), {"hop_lsi_pct"}, False),
    ],
)
def test_a_criterion_held_by_a_missing_best_says_so(
    item: str, baseline: set[str], reported: set[str], needs: bool
) -> None:
    criterion = _criterion(item)
    known = MetricsOnFile(baseline=frozenset(baseline), reported=frozenset(reported))
    with metrics_on_file(known):
        said = criterion_words(criterion, None, False)
    if needs:
        assert said.endswith("(needs your pre-injury best: send /baseline)"), said
    else:
        assert said.endswith("(not reported yet)"), said
    # Outside (nothing known about the athlete) the wording is as before.
    assert criterion_words(criterion, None, False).endswith("(not reported yet)")


def test_a_split_criterion_missing_one_split_says_which_to_time_together() -> None:
    """Baseline 10 m and 20 m, the athlete times only the 10 m: the criterion needs both in
    one session, so "(not reported yet)" read as if no split had been timed."""
    criterion = _criterion("derived.worst_10_20m_split_pct_baseline")
    known = MetricsOnFile(
        baseline=frozenset({"vmax_ms", "split_10m_s", "split_20m_s"}),
        reported=frozenset({"vmax_ms", "split_10m_s"}),
    )
    with metrics_on_file(known):
        said = criterion_words(criterion, None, False)
    assert said.endswith("(time these splits in the same session: 10 m, 20 m)"), said
