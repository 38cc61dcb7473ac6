"""Typed metrics and session minutes after the input review: what used to be stored wrong
(another metric's value, contradicting splits, a thousand read as a decimal, an hour read as
a minute) is refused or read right, and local words and signs are understood."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.services.questionnaires import MORNING, SESSION
from bot.services.questionnaires.answers import Accepted, Rejected, parse_typed
from bot.services.questionnaires.metrics_parser import parse_metric_value, parse_metrics_line
from bot.services.questionnaires.model import QuestionContext
from bot.services.questionnaires.session import STEPS_MODE
from bot.support.i18n import use_language

CTX = QuestionContext(injury="hamstring", stage="H2", today=dt.date(2026, 3, 10))
SPLIT_ORDER = "The 10 m split (3.1 s) should be shorter than the 20 m split (2.9 s)"


# --- 1. a metric name typed before a step-by-step value -----------------------------------


@pytest.mark.parametrize(
    ("key", "typed", "other"),
    [
        ("vmax_ms", "10m 1.82", "10 m split"),
        ("vmax_ms", "10 m 1.82", "10 m split"),
        ("split_10m_s", "20m 3.05", "20 m split"),
        ("split_10m_s", "vmax 8.7", "top speed"),
        ("nordic_n", "hop 92", "hop distance compared with your other leg"),
    ],
)
def test_another_metrics_name_before_a_step_value_is_refused_not_dropped(
    key: str, typed: str, other: str
) -> None:
    """ "10m 1.82" at the top-speed prompt was stored as a top speed of 1.82 m/s."""
    result = parse_metric_value(key, typed)
    assert result.value is None and result.problem is not None
    assert f"is another measure ({other})" in result.problem, result.problem
    assert "Here, please type the" in result.problem
    assert "_" not in result.problem  # no internal key on screen


@pytest.mark.parametrize(
    ("key", "typed", "expected"),
    [
        ("vmax_ms", "vmax 8.7", 8.7),
        ("split_10m_s", "10m 1.82", 1.82),
        ("split_10m_s", "10 m 1,82 s", 1.82),
        ("slhb_reps_injured", "slhb 20", 20),
        ("slhb_reps_uninjured", "reps 25", 25),
        ("hv_reps", "hv 6", 6),
    ],
)
def test_the_metrics_own_name_or_unit_before_its_value_is_still_read(
    key: str, typed: str, expected: float
) -> None:
    assert parse_metric_value(key, typed).value == expected


# --- 2. the cross checks of a one-line entry, step by step --------------------------------


def test_a_step_value_contradicting_a_split_given_is_refused_with_the_one_line_message() -> None:
    one_line = parse_metrics_line("10m 3.1 20m 2.9").problems
    step = parse_metric_value("split_20m_s", "2.9", {"split_10m_s": 3.1})
    assert step.value is None and step.problem == one_line[0]
    assert SPLIT_ORDER in step.problem
    # the 10 m typed again (after Back) is checked against the 20 m still given
    again = parse_metric_value("split_10m_s", "3.1", {"split_20m_s": 2.9})
    assert again.problem is not None and SPLIT_ORDER in again.problem
    assert parse_metric_value("split_20m_s", "4.4", {"split_10m_s": 3.1}).value == 4.4


def test_a_value_typed_step_by_step_is_checked_against_the_ones_typed_before() -> None:
    question = SESSION.question("m_split_20m_s")
    answers = {"metrics": STEPS_MODE, "m_vmax_ms": None, "m_split_10m_s": 3.1}
    refused = parse_typed(question, "2.9", CTX, answers)
    assert isinstance(refused, Rejected) and SPLIT_ORDER in refused.message
    assert parse_typed(question, "4,4", CTX, answers) == Accepted(4.4)


def test_contradicting_metrics_at_is_that_right_can_only_be_typed_again() -> None:
    """Metrics stored before the step check existed are never offered to save."""
    question = SESSION.question("metrics_confirm")
    bad = {"metrics": STEPS_MODE, "m_split_10m_s": 3.1, "m_split_20m_s": 2.9}
    assert [o.value for o in question.render_options(CTX, bad)] == [False]
    assert SPLIT_ORDER in question.render_prompt(CTX, bad)
    good = {**bad, "m_split_20m_s": 4.4}
    assert [o.value for o in question.render_options(CTX, good)] == [True, False]


# --- 3. a thousands separator --------------------------------------------------------------


@pytest.mark.parametrize("typed", ["1,200", "1.200", "1,200 N"])
def test_a_thousand_with_a_separator_is_never_read_as_a_tiny_decimal(typed: str) -> None:
    """ "1,200" for the Nordic force was stored as 1.2 N."""
    for result in (parse_metric_value("nordic_n", typed), parse_metrics_line(f"nordic {typed}")):
        problem = result.problem if hasattr(result, "problem") else result.problems[0]
        assert problem == (
            "Nordic force 1.2 N looks wrong: expected at least 50 N. If you meant 1200 N, type "
            "it without a comma or point: 1200."
        )
    assert parse_metric_value("nordic_n", "1200").value == 1200


def test_an_implausibly_low_nordic_force_names_the_expected_range() -> None:
    problem = parse_metric_value("nordic_n", "30").problem
    assert problem is not None and "expected at least 50 N" in problem
    assert parse_metric_value("nordic_n", "310 N").value == 310


@pytest.mark.parametrize(
    ("key", "typed", "expected"),
    [("split_10m_s", "1,82", 1.82), ("split_10m_s", "1,820", 1.82), ("vmax_ms", "8,700", 8.7)],
)
def test_a_decimal_comma_plausible_as_a_decimal_is_read_as_one(
    key: str, typed: str, expected: float
) -> None:
    assert parse_metric_value(key, typed).value == expected


# --- 4. session minutes typed in hours ------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("45", 45),
        ("45 min", 45),
        ("45'", 45),
        ("50'", 50),
        ("45 minutos", 45),
        ("1 hour", 60),
        ("2 hours", 120),
        ("1h", 60),
        ("1,5 h", 90),
        ("1h30", 90),
        ("1 hora", 60),
        ("2 horas", 120),
        ("1 heure", 60),
        ("2 heures", 120),
        ("1 Stunde", 60),
        ("2 Stunden", 120),
        ("1 Std.", 60),
        ("45 mn", 45),  # the French abbreviation
        ("45mn", 45),
        ("45 min.", 45),
        ("1 hour!", 60),
        ("45:00", 45),  # a stopwatch's minutes and seconds, never 45 hours
        ("1:30", 90),
    ],
)
def test_session_minutes_typed_in_hours_are_read_as_hours(typed: str, minutes: int) -> None:
    """ "1 hour" was stored as 1 minute (the unit word was dropped)."""
    assert parse_typed(SESSION.question("minutes"), typed, CTX, {}) == Accepted(minutes)


@pytest.mark.parametrize(
    ("typed", "hours"), [("8 hours!", 8.0), ("7 hrs,", 7.0), ("7h30.", 7.5), ("seven", 7.0)]
)
def test_hours_slept_with_punctuation_or_in_words_are_read(typed: str, hours: float) -> None:
    """A sentence's punctuation after the unit, or a number in words, is still the hours."""
    assert parse_typed(MORNING.question("sleep_hours"), typed, CTX, {}) == Accepted(hours)


def test_words_after_the_hours_slept_ask_for_a_number_not_a_unit() -> None:
    out = parse_typed(MORNING.question("sleep_hours"), "7 and a half", CTX, {})
    assert isinstance(out, Rejected) and "unit" not in out.message, out
    assert "7.5" in out.message  # the example of what to type


@pytest.mark.parametrize("typed", ["45 sec", "45 km", "1 day"])
def test_an_unknown_unit_after_the_minutes_is_refused_not_dropped(typed: str) -> None:
    out = parse_typed(SESSION.question("minutes"), typed, CTX, {})
    assert isinstance(out, Rejected)
    assert "is not a unit I can use here (expected min or h)" in out.message, out.message


# --- 5. local words for seconds --------------------------------------------------------------


@pytest.mark.parametrize(
    "unit",
    ["seg", "segundos", "secondes", "sec", "Sek.", "Sek", "Sekunden", "s.", "seg.", "Segundos."],
)
def test_local_words_for_seconds_are_read(unit: str) -> None:
    assert parse_metric_value("split_10m_s", f"1,82 {unit}").value == 1.82
    line = parse_metrics_line(f"10m 1,82 {unit} 20m 3,05 {unit}")
    assert line.ok and line.metrics is not None, line.problems
    assert (line.metrics.split_10m_s, line.metrics.split_20m_s) == (1.82, 3.05)


@pytest.mark.parametrize("lang", ["en", "es", "pt", "fr", "de"])
def test_a_refused_unit_names_only_unit_symbols(lang: str) -> None:
    with use_language(lang):
        problem = parse_metric_value("split_10m_s", "1,82 min").problem
        speed = parse_metric_value("vmax_ms", "8,7 mph").problem
    assert problem is not None and speed is not None
    assert "s" in problem and "ms" in problem and "m/s" in speed and "km/h" in speed
    for word in ("second", "seconds", "secs", "sec", "kph", "kmh", "mps"):
        pattern = rf"\b{word}\b"
        assert not re.search(pattern, problem) and not re.search(pattern, speed), (problem, speed)


# --- 6. the typo guess in the reader's decimal sign -----------------------------------------


@pytest.mark.parametrize(("lang", "shown"), [("en", "8.7"), ("de", "8,7"), ("fr", "8,7")])
def test_a_guessed_name_is_echoed_with_the_readers_decimal_sign(lang: str, shown: str) -> None:
    with use_language(lang):
        result = parse_metrics_line("vmx 8,7")
    assert result.ok and len(result.assumed) == 1
    assert f"vmax {shown}" in result.assumed[0], result.assumed


# --- 7. a minus sign as phones type it -------------------------------------------------------


@pytest.mark.parametrize("minus", ["-", "\u2212", "\u2013"])
def test_a_unicode_minus_is_refused_as_a_negative_value(minus: str) -> None:
    problems = parse_metrics_line(f"vmax {minus}8.7").problems
    assert any("cannot be negative" in p for p in problems), problems
    assert not any("I don't know" in p for p in problems), problems
