"""Sprint times (and a top speed typed with them) must add up before they are stored: a longer
distance takes longer, no stretch between two times is run faster than anyone runs, and none
faster than the top speed allows. One line, step by step, "Is that right?" and the pre-injury
bests (onboarding, /baseline) all refuse the same entries with the same words."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.services.questionnaires import ONBOARDING, SESSION
from bot.services.questionnaires.answers import Accepted, Rejected, parse_typed
from bot.services.questionnaires.metrics_parser import (
    baseline_problems,
    parse_metric_value,
    parse_metrics_line,
)
from bot.services.questionnaires.model import QuestionContext
from bot.services.questionnaires.session import STEPS_MODE
from bot.support.i18n import use_language

CTX = QuestionContext(injury="hamstring", stage="H4", today=dt.date(2026, 3, 10))
TOO_FAST = (
    "Your 10 m time (1.82 s) and 20 m time (2.3 s) are only 0.48 s apart: nobody runs those "
    "10 m that fast (it takes at least 0.80 s). Please check both times."
)
OVER_TOP = (
    "Your top speed (7 m/s) is slower than your average speed between 10 m and 30 m (8.7 m/s, "
    "from your 10 m time of 1.82 s and 30 m time of 4.11 s). Your top speed must be faster: "
    "please check it and those times."
)
OVER_TOP_FROM_START = (
    "Your top speed (6 m/s) is slower than your average speed over 10 m from the start "
    "(6.7 m/s, from your 10 m time of 1.5 s). Your top speed must be faster: please check both."
)
EARLIER = (
    "If the mistake is in a number you typed before, tap Skip here: you can type all the "
    "numbers again before saving."
)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("10m 1.82 20m 2.3", TOO_FAST),
        ("10m 1,82 20m 2,3", TOO_FAST),
        ("10m 1.82 30m 4.11 vmax 7", OVER_TOP),
        ("vmax 6 10m 1.5", OVER_TOP_FROM_START),
        (
            "10m 3,1 20m 3,1",  # equal: the longer distance must take strictly longer
            "The 10 m split (3.1 s) should be shorter than the 20 m split (3.1 s): please "
            "check both.",
        ),
    ],
)
def test_times_that_do_not_add_up_are_refused_with_what_is_wrong(line: str, problem: str) -> None:
    result = parse_metrics_line(line)
    assert not result.ok and result.problems == (problem,), result.problems


@pytest.mark.parametrize(
    "line",
    [
        "10m 1.82 30m 4.11 vmax 8.7",
        "10m 1,82 30m 4,11 vmax 8,7",
        "10m 1,82 Sek. 20m 3,05 Sek. speed 31 km/h",
        "10m 1.89 20m 2.88 30m 3.78 40m 4.64 vmax 12.3",  # a world-class sprinter
        "10m 1.8 20m 3.0 30m 4.05 vmax 9",  # 20-30 m at 9.5 m/s: a GPS peak reads a bit low
    ],
)
def test_times_that_add_up_are_read(line: str) -> None:
    result = parse_metrics_line(line)
    assert result.ok, result.problems


@pytest.mark.parametrize("lang", ["es", "pt", "fr", "de"])
def test_the_problem_shows_numbers_with_the_readers_decimal_comma(lang: str) -> None:
    with use_language(lang):
        [problem] = parse_metrics_line("10m 1,82 20m 2,3").problems
        assert "1,82" in problem and "0,48" in problem and "0,80" in problem, problem
        assert "1.82" not in problem, problem
        assert parse_metrics_line("10m 1,82 30m 4,11 vmax 8,7").ok


def test_a_step_value_is_refused_as_the_one_line_entry_is_and_told_how_to_retype_all() -> None:
    one_line = parse_metrics_line("vmax 6 10m 1.5").problems
    step = parse_metric_value("split_10m_s", "1,5", {"vmax_ms": 6.0})
    assert step.value is None and step.conflict and (step.problem,) == one_line
    question = SESSION.question("m_split_10m_s")
    answers = {"metrics": STEPS_MODE, "m_vmax_ms": 6.0}
    refused = parse_typed(question, "1.5", CTX, answers)
    assert isinstance(refused, Rejected)
    assert refused.message == f"{OVER_TOP_FROM_START}\n{EARLIER}", refused.message
    assert parse_typed(question, "1.9", CTX, answers) == Accepted(1.9)  # 5.3 m/s: fine
    # a value refused on its own is not told about earlier numbers
    alone = parse_typed(question, "0.9", CTX, answers)
    assert isinstance(alone, Rejected) and EARLIER not in alone.message


def test_contradicting_metrics_at_is_that_right_can_only_be_typed_again() -> None:
    """Times stored before this check existed are shown with what is wrong, never saved."""
    question = SESSION.question("metrics_confirm")
    bad = {"metrics": {"vmax_ms": 7.0, "split_10m_s": 1.82, "split_30m_s": 4.11}}
    assert [o.value for o in question.render_options(CTX, bad)] == [False]
    assert OVER_TOP in question.render_prompt(CTX, bad)
    good = {"metrics": {"vmax_ms": 8.7, "split_10m_s": 1.82, "split_30m_s": 4.11}}
    assert [o.value for o in question.render_options(CTX, good)] == [True, False]


def test_the_onboarding_baseline_refuses_times_that_do_not_add_up() -> None:
    question = ONBOARDING.question("baseline")
    refused = parse_typed(question, "vmax 9 10m 1.82 20m 2.3", CTX, {})
    assert isinstance(refused, Rejected) and TOO_FAST in refused.message, refused
    assert parse_typed(question, "vmax 9 10m 1,82 20m 3,05", CTX, {}) == Accepted(
        {"vmax_ms": 9.0, "split_10m_s": 1.82, "split_20m_s": 3.05}
    )


SAVED = {"vmax_ms": 9.0, "split_10m_s": 1.8, "split_30m_s": 4.05}


def test_a_baseline_value_typed_is_checked_against_the_kept_ones_and_says_which() -> None:
    [problem] = baseline_problems({"vmax_ms": 7.0}, SAVED)
    assert problem.startswith("Your top speed (7 m/s) is slower than your average speed"), problem
    assert problem.endswith(
        "(Saved before: 10 m split 1.8 s, 30 m split 4.05 s. If that is wrong too, type it again.)"
    ), problem
    [problem] = baseline_problems({"split_20m_s": 2.2}, SAVED)
    assert "Your 10 m time (1.8 s) and 20 m time (2.2 s) are only 0.40 s apart" in problem
    assert problem.endswith(
        "(Saved before: 10 m split 1.8 s. If that is wrong too, type it again.)"
    )
    # typed again together, the saved ones they replace are not compared
    assert baseline_problems({"vmax_ms": 7.0, "split_10m_s": 1.9, "split_30m_s": 4.9}, SAVED) == []


def test_saved_values_that_disagree_are_not_this_entrys_problem() -> None:
    saved = {"vmax_ms": 6.0, "split_10m_s": 1.82, "split_30m_s": 4.11}
    assert baseline_problems({"hop_lsi_pct": 95}, saved) == []
