"""Numbers, dates and times as each language writes them, and typed input read safely."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.support.formats import (
    NumberNotRead,
    decimal_sign,
    format_date,
    format_date_range,
    format_day_month,
    format_decimal,
    format_long_date,
    format_or_list,
    format_percent,
    format_short_date,
    format_time,
    parse_decimal,
    weekday_name,
)
from bot.support.i18n import LANGUAGES, use_language
from bot.support.typed_words import typed_word, words_for

MONDAY = dt.date(2026, 3, 9)


@pytest.mark.parametrize(
    ("lang", "split", "speed", "pct", "day", "short", "time"),
    [
        ("en", "1.82", "8.7", "91\u00a0%", "Monday 9 March", "Mon 9 Mar", "07:30"),
        ("es", "1,82", "8,7", "91\u00a0%", "lunes, 9 de marzo", "lun, 9 mar", "7:30"),
        ("pt", "1,82", "8,7", "91%", "segunda-feira, 9 de março", "seg., 9 de mar.", "07:30"),
        ("fr", "1,82", "8,7", "91\u00a0%", "lundi 9 mars", "lun. 9 mars", "07:30"),
        ("de", "1,82", "8,7", "91\u00a0%", "Montag, 9. März", "Mo., 9. März", "07:30"),
    ],
)
def test_each_language_writes_numbers_dates_and_times_its_way(
    lang: str, split: str, speed: str, pct: str, day: str, short: str, time: str
) -> None:
    assert format_decimal(1.823, 2, lang) == split
    assert format_decimal(8.7, lang=lang) == speed
    assert format_percent(91, lang=lang) == pct
    assert format_date(MONDAY, lang) == day
    assert format_short_date(MONDAY, lang) == short
    assert format_time(dt.time(7, 30), lang) == time


def test_the_current_language_is_used_when_none_is_given() -> None:
    with use_language("fr"):
        assert f"{format_decimal(1.82, 2)} s" == "1,82 s"
        assert format_date(MONDAY) == "lundi 9 mars"
        assert weekday_name(0) == weekday_name(MONDAY) == "lundi"
        assert format_long_date(MONDAY) == "9 mars 2026"
        assert format_or_list(["999", "112"]) == "999 ou 112"
    assert format_or_list(["999", "112"]) == "999 or 112"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("typed", "value"),
    [("1,82", 1.82), ("1.82", 1.82), (" 8,7 ", 8.7), (",5", 0.5), ("12", 12.0), ("-3", -3.0)],
)
def test_a_decimal_comma_or_point_is_read_in_every_language(
    lang: str, typed: str, value: float
) -> None:
    assert parse_decimal(typed, lang) == pytest.approx(value)


@pytest.mark.parametrize(
    ("typed", "lang"),
    [("1,820", "en"), ("1.820", "de"), ("1.820", "fr"), ("2.500", "es"), ("12.345", "pt")],
)
def test_a_possible_thousands_separator_is_refused_not_guessed(typed: str, lang: str) -> None:
    with pytest.raises(NumberNotRead) as refused:
        parse_decimal(typed, lang)
    assert refused.value.reason == "ambiguous"


@pytest.mark.parametrize(("typed", "lang", "value"), [("1.820", "en", 1.82), ("1,820", "de", 1.82)])
def test_the_languages_own_decimal_sign_is_never_ambiguous(
    typed: str, lang: str, value: float
) -> None:
    assert parse_decimal(typed, lang) == pytest.approx(value)


@pytest.mark.parametrize(
    "typed", ["", "  ", "abc", "1,2,3", "1.2.3", "12,345.6", "1e5", "nan", "inf", "1 2"]
)
def test_anything_else_is_not_a_number(typed: str) -> None:
    with pytest.raises(NumberNotRead):
        parse_decimal(typed, "en")


@given(st.text(max_size=20), st.sampled_from(LANGUAGES))
def test_reading_a_number_never_fails_otherwise(typed: str, lang: str) -> None:
    try:
        value = parse_decimal(typed, lang)
    except NumberNotRead:
        return
    assert value == value and abs(value) != float("inf")


def test_decimal_signs() -> None:
    assert [decimal_sign(lang) for lang in LANGUAGES] == [".", ",", ",", ",", ","]


@pytest.mark.parametrize(
    ("typed", "lang", "among", "word"),
    [
        ("Sí", "es", ("yes", "no"), "yes"),
        ("si", "es", ("yes", "no"), "yes"),
        ("yes", "es", ("yes", "no"), "yes"),  # English is always understood
        ("Não", "pt", ("yes", "no"), "no"),
        ("nao", "pt", ("yes", "no"), "no"),
        ("Oui !", "fr", ("yes", "no"), "yes"),
        ("NEIN", "de", ("yes", "no"), "no"),
        ("no", "en", ("yes", "no"), "no"),
        ("no", "en", ("none",), "none"),  # "no" to a symptoms list means none of them
        ("nada", "es", ("none",), "none"),
        ("aucun", "fr", ("none",), "none"),
        ("keine", "de", ("none", "skip"), "none"),
        ("überspringen", "de", ("skip",), "skip"),
        ("pular", "pt", ("skip",), "skip"),
        ("saltar", "pt", ("skip",), "skip"),
        ("hoy", "es", ("today", "yesterday"), "today"),
        ("gestern", "de", ("today", "yesterday"), "yesterday"),
        ("aujourd'hui", "fr", ("today",), "today"),
        ("km/h", "fr", ("km/h",), "km/h"),
        ("km por hora", "es", ("km/h",), "km/h"),
    ],
)
def test_typed_words_are_read_in_the_persons_language_and_english(
    typed: str, lang: str, among: tuple[str, ...], word: str
) -> None:
    assert typed_word(typed, among, lang) == word  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "lang", "among"),
    [
        ("ja", "en", ("yes", "no")),  # German yes is not English
        ("oui", "de", ("yes", "no")),
        ("no", "de", ("yes",)),
        ("", "es", ("yes", "no")),
        ("sí", "es", ("no", "none")),
    ],
)
def test_other_words_are_not_taken_for_an_answer(
    typed: str, lang: str, among: tuple[str, ...]
) -> None:
    assert typed_word(typed, among, lang) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_word_means_both_yes_and_no(lang: str) -> None:
    assert not words_for("yes", lang) & words_for("no", lang)


def test_a_number_beyond_decimal_precision_is_still_shown() -> None:
    """A typed 25-digit number is refused with its value shown, never a crash."""
    from bot.support.formats import format_decimal as shown

    assert shown(9999999999999999832227841.0, lang="de") == "1e+25"
    assert shown(2.5, lang="de") == "2,5"


def test_french_writes_the_first_of_the_month_as_an_ordinal() -> None:
    first, eleventh = dt.date(2026, 3, 1), dt.date(2026, 3, 11)
    assert format_long_date(first, "fr") == "1er mars 2026"
    assert format_date(first, "fr") == "dimanche 1er mars"
    assert format_short_date(first, "fr") == "dim. 1er mars"
    assert format_day_month(first, "fr") == "1er mars"
    assert format_long_date(eleventh, "fr") == "11 mars 2026"  # other days as they are
    assert format_long_date(dt.date(2001, 1, 1), "fr") == "1er janvier 2001"
    assert format_long_date(first, "en") == "1 March 2026"
    # Spans too, at either end (the digest's week, the report's period).
    assert format_date_range(dt.date(2026, 6, 1), dt.date(2026, 6, 7), "fr") == "1er–7 juin 2026"
    assert format_date_range(dt.date(2026, 2, 23), first, "fr").endswith("1er mars 2026")
    assert format_date_range(dt.date(2026, 6, 11), dt.date(2026, 6, 17), "fr") == "11–17 juin 2026"
    assert "1er" not in format_date_range(dt.date(2026, 6, 1), dt.date(2026, 6, 7), "en")
