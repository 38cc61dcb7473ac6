"""Typed answers: accepted when they fit the question, a friendly correction otherwise."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services import texts
from bot.services.questionnaires import QUESTIONNAIRES
from bot.services.questionnaires.answers import Accepted, Rejected, parse_time, parse_typed
from bot.services.questionnaires.model import Question, QuestionContext
from engine.models import Metrics, MorningCheckIn, SessionReport

TODAY = dt.date(2026, 3, 10)
CTX = QuestionContext(
    injury="hamstring", stage="H2", today=TODAY, stage_checks=("walk_pain", "limp", "slr_lsi_pct")
)


def q(name: str, key: str) -> Question:
    return QUESTIONNAIRES[name].question(key)


def typed(name: str, key: str, text: str, answers: dict[str, Any] | None = None) -> Any:
    return parse_typed(q(name, key), text, CTX, answers or {})


def test_scale_accepts_a_typed_number_in_range_and_corrects_otherwise() -> None:
    assert typed("morning", "pain_rest", "3") == Accepted(3)
    out = typed("morning", "pain_rest", "12")
    assert isinstance(out, Rejected) and "between 0 and 10" in out.message and "12" in out.message
    out = typed("morning", "pain_rest", "a bit sore")
    assert isinstance(out, Rejected) and "0 to 10" in out.message
    assert isinstance(typed("morning", "sleep_quality", "0"), Rejected)
    assert isinstance(typed("morning", "pain_rest", "2.5"), Rejected)


def test_free_text_where_a_button_is_expected_is_corrected() -> None:
    assert typed("session", "completion", "it went ok") == Rejected(texts.USE_BUTTONS)
    assert typed("session", "completion", "stopped early") == Accepted("stopped")
    assert typed("morning", "red_flags", "none") == Accepted([])
    assert typed("morning", "red_flags", "my knee") == Rejected(texts.USE_BUTTONS)


def test_numbers_with_units_and_decimal_commas() -> None:
    assert typed("morning", "sleep_hours", "7,5 h") == Accepted(7.5)
    assert isinstance(typed("morning", "sleep_hours", "17"), Rejected)
    assert typed("session", "minutes", "45 min") == Accepted(45)
    out = typed("session", "minutes", "0")
    assert isinstance(out, Rejected) and "between 1 and 300" in out.message


def test_dates() -> None:
    assert typed("onboarding", "injury_date", "2026-03-01") == Accepted("2026-03-01")
    assert typed("onboarding", "injury_date", "1.3.2026") == Accepted("2026-03-01")
    assert typed("onboarding", "injury_date", "yesterday") == Accepted("2026-03-09")
    assert typed("onboarding", "injury_date", "Today") == Accepted("2026-03-10")
    assert typed("onboarding", "injury_date", "2026-03-11") == Rejected(texts.DATE_IN_FUTURE)
    assert typed("onboarding", "injury_date", "2024-01-01") == Rejected(texts.DATE_TOO_OLD)
    assert typed("onboarding", "injury_date", "31.2.2026") == Rejected(
        texts.DATE_DOES_NOT_EXIST.format(date="31.2.2026")
    )


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (dt.date(2027, 1, 3), "28.12", "2026-12-28"),  # last December's, not next
        (dt.date(2027, 1, 3), "3.1", "2027-01-03"),
        (dt.date(2027, 3, 1), "28/2", "2027-02-28"),
        (dt.date(2026, 3, 10), "1.3", "2026-03-01"),
    ],
)
def test_a_date_typed_without_its_year_is_the_latest_one_up_to_today(
    today: dt.date, text: str, expected: str
) -> None:
    """Early in January, an injury on 28 December typed "28.12" was refused as a date in the
    future (the year was always this year's)."""
    ctx = QuestionContext(injury="hamstring", stage="H2", today=today)
    assert parse_typed(q("onboarding", "injury_date"), text, ctx, {}) == Accepted(expected)


def test_times() -> None:
    assert parse_time("7") == dt.time(7)
    assert parse_time("7:15pm") == dt.time(19, 15)
    assert typed("onboarding", "checkin_time", "07.30") == Accepted("07:30")
    assert typed("onboarding", "checkin_time", "2:30") == Rejected(texts.TIME_NIGHT)
    assert typed("onboarding", "checkin_time", "25:00") == Rejected(texts.TIME_EXPECTED)


def test_zones_cities_and_sport() -> None:
    assert typed("onboarding", "tz_region", "europe/berlin") == Accepted("Europe/Berlin")
    assert typed("onboarding", "tz_region", "Sydney") == Accepted("Australia/Sydney")
    assert typed("onboarding", "tz_region", "Europe") == Accepted("Europe")
    assert typed("onboarding", "tz_region", "Atlantis") == Rejected(texts.ZONE_UNKNOWN)
    assert typed("onboarding", "sport", "  Ultimate   frisbee ") == Accepted("Ultimate frisbee")
    assert typed("onboarding", "sport", "1234") == Rejected(texts.TEXT_EMPTY)


def test_metrics_step_lists_every_problem() -> None:
    out = typed("session", "metrics", "10m 1.2 vmax 60")
    assert isinstance(out, Rejected)
    assert "10 m split 1.2 s" in out.message and "60 m/s" in out.message
    assert typed("session", "metrics", "10m 1.82 vmax 8.7") == Accepted(
        {"split_10m_s": 1.82, "vmax_ms": 8.7}
    )
    assert typed("session", "metrics", "no numbers today") == Accepted({})


FREE_TEXT_STEPS = [
    (name, question)
    for name, questionnaire in QUESTIONNAIRES.items()
    for question in questionnaire.questions
]


@settings(max_examples=60, deadline=None)
@given(
    st.text(max_size=80)
    | st.sampled_from(
        ["", "0", "10", "-1", "7.5", "1e400", "nan", "٣", "²", "7:30", "2026-02-30", "none"]
    )
)
@pytest.mark.parametrize(
    ("name", "question"), FREE_TEXT_STEPS, ids=[f"{n}.{q.key}" for n, q in FREE_TEXT_STEPS]
)
def test_no_typed_input_crashes_or_yields_an_invalid_value(
    name: str, question: Question, text: str
) -> None:
    out = parse_typed(question, text, CTX, {"injury": "calf", "tz_region": "Europe"})
    assert isinstance(out, Accepted | Rejected)
    if isinstance(out, Rejected):
        assert out.message
        return
    _assert_valid(name, question.key, out.value)


def _assert_valid(name: str, key: str, value: Any) -> None:
    """An accepted answer must fit the record it ends up in."""
    if name == "morning":
        MorningCheckIn.model_validate({key: value})
    elif name == "session" and key.startswith("m_"):
        if value not in (None, "finish"):
            Metrics.model_validate({key[2:]: value})
    elif name == "session" and key.startswith("check_"):
        SessionReport.model_validate({"checks": {key[6:]: value}})
    elif name == "session" and key in ("metrics",):
        if value != "steps":
            Metrics.model_validate(value)
    elif name == "session" and key != "metrics_confirm":
        SessionReport.model_validate({key: value})
    elif key in ("baseline",) and value:
        Metrics.model_validate(value)
    elif key == "injury_date":
        assert dt.date.fromisoformat(value) <= TODAY
    elif key == "checkin_time":
        assert dt.time.fromisoformat(value).hour not in (1, 2, 3)
