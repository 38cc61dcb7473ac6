"""Values athletes read follow their language: decimal commas in values, echoes, examples and
button labels (the values stored stay numbers), dates in words, and every example a prompt
shows is one the parser reads."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.services import texts
from bot.services.questionnaires.answers import parse_date
from bot.services.questionnaires.model import QuestionContext
from bot.services.questionnaires.morning import MORNING
from bot.services.questionnaires.summary import onboarding_summary
from bot.support import i18n
from bot.support.formats import parse_decimal
from bot.wording import format_value

OTHER = ("es", "pt", "fr", "de")
_DOTTED = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")


@pytest.fixture(autouse=True)
def _fresh_catalogues() -> None:
    i18n.reload_catalogues()


def test_values_take_the_decimal_comma() -> None:
    with i18n.use_language("de"):
        assert format_value("metrics.vmax_ms", 9.1) == "9,1 m/s"
        assert format_value("morning.pain_test", 0.6) == "0,6/10"
        assert format_value("morning.sleep_hours", 7.5) == "7,5 h"
    assert format_value("metrics.vmax_ms", 9.1) == "9.1 m/s"


def test_the_onboarding_summary_shows_the_date_in_words_and_decimal_commas() -> None:
    answers = {
        "injury": "hamstring",
        "side": "left",
        "grade": 1,
        "injury_date": "2026-03-01",
        "baseline": {"vmax_ms": 9.1, "split_10m_s": 1.78},
    }
    with i18n.use_language("de"):
        german = onboarding_summary(answers, "Europe/Berlin")
    with i18n.use_language("es"):
        spanish = onboarding_summary(answers, "Europe/Madrid")
    assert "1. März 2026" in german and "9,1 m/s" in german and "1,78 s" in german
    assert "1 de marzo de 2026" in spanish and "9,1 m/s" in spanish
    for summary in (german, spanish):
        assert "2026-03-01" not in summary and not _DOTTED.search(summary), summary
    assert "1 March 2026" in onboarding_summary(answers, None)


@pytest.mark.parametrize("lang", OTHER)
def test_sleep_buttons_read_with_the_decimal_comma_and_keep_their_values(lang: str) -> None:
    sleep = next(q for q in MORNING.questions if q.key == "sleep_hours")
    with i18n.use_language(lang):
        options = sleep.render_options(QuestionContext(), {})
        labels = [o.shown for o in options]
        prompt = sleep.render_prompt(QuestionContext(), {})
    assert "6,5" in labels and "7,5" in labels and not any("." in label for label in labels)
    assert [o.value for o in options] == [5, 6, 6.5, 7, 7.5, 8, 8.5, 9]
    example = re.search(r"\d+[.,]\d+", prompt)
    assert example is not None and example.group() == "7,5", prompt
    assert parse_decimal(example.group(), lang) == 7.5


@pytest.mark.parametrize("lang", ("en", *OTHER))
def test_every_date_example_a_prompt_shows_is_read_as_that_date(lang: str) -> None:
    with i18n.use_language(lang):
        shown = " ".join(str(t) for t in (texts.ASK_INJURY_DATE, texts.DATE_EXPECTED))
    examples = re.findall(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{4}", shown)
    assert len(examples) >= 2, shown
    for example in examples:
        assert parse_date(example, dt.date(2026, 3, 10)) == dt.date(2026, 3, 1), example
    if lang in ("es", "pt", "fr"):
        assert "1/3/2026" in shown and "1.3.2026" not in shown


@pytest.mark.parametrize("lang", OTHER)
def test_number_examples_in_prompts_use_the_decimal_comma(lang: str) -> None:
    with i18n.use_language(lang):
        shown = [
            str(texts.ASK_SLEEP_HOURS),
            str(texts.ASK_METRICS),
        ]
    dotted = [m for text in shown for m in _DOTTED.findall(text)]
    assert not dotted, f"{lang}: {dotted}"
