"""What an athlete types instead of tapping, attacked through the real bot: injury dates written
as people say them ("2 weeks ago", "tomorrow", "31/02"), and /language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from bot.demo.words import DemoWords
from bot.sandbox import TranscriptMessage
from bot.services.questionnaires.answers import parse_date, parse_days_back
from bot.store.repo import latest_injury
from bot.support import typed_words
from bot.support.i18n import use_language
from tests.athlete.conftest import Phone, World

WorldFactory = Callable[[], Awaitable[World]]
TODAY = dt.date(2026, 3, 2)  # the fixtures' clock (07:00 UTC)
DATE_EXPECTED = "Please type a date like 2026-03-01 or 1.3.2026, or tap a button."
TOO_OLD = "That is more than a year ago. Please check the date (e.g. 2026-03-01)."
DAY_NEEDED = (
    "I need the exact day, because your programme counts the days since the injury. Please "
    "type the date (e.g. 1.3.2026), or tap a button."
)
IN_FUTURE = "That date is in the future. When did the injury happen?"


def _said(replies: list[TranscriptMessage]) -> str:
    return "\n".join(m.text or "" for m in replies)


async def _at_the_injury_date(sam: Phone) -> None:
    await sam.say("/start")
    for label in ("I agree", "Hamstring", "Don't know", "Left", "1"):
        await sam.tap(label)
    assert "When did it happen?" in sam.last, sam.last


async def _finish(sam: Phone) -> None:
    for label in ("Sprinting / running fast", "Rugby", "Skip", "Europe", "Berlin", "07:30"):
        await sam.tap(label)
    replies = await sam.tap("✅ Confirm")
    assert "All set" in _said(replies), sam.user.format_transcript()


@pytest.mark.parametrize(
    ("typed", "days"),
    [("2 weeks ago", 14), ("1 week ago", 7), ("a week ago", 7), ("10 days", 10)],
)
async def test_weeks_and_bare_days_back_are_read_as_the_injury_date(
    world: WorldFactory, typed: str, days: int
) -> None:
    """ "2 weeks ago", "a week ago" and "10 days" got "Please type a date like 2026-03-01…":
    a tired athlete says when it happened as people do. Weeks are 7 days."""
    w = await world()
    sam = w.phone(3101, "Sam")
    await _at_the_injury_date(sam)
    replies = await sam.say(typed)
    assert "Sprinting / running fast" in replies[-1].button_labels, _said(replies)
    await _finish(sam)
    person = w.person(3101)
    assert person is not None and person.id is not None
    athlete_id = person.id
    injury = w.read(lambda s: latest_injury(s, athlete_id=athlete_id))
    assert injury.injury_date == TODAY - dt.timedelta(days=days)


@pytest.mark.parametrize(
    ("typed", "told"),
    [
        ("2 years ago", TOO_OLD),
        ("13 months ago", TOO_OLD),
        ("60 weeks ago", TOO_OLD),
        ("tomorrow", IN_FUTURE),
        # Too rough to store as a day (months are 28 to 31 days): a date is asked for.
        ("2 months ago", DAY_NEEDED),
        ("1 year ago", DAY_NEEDED),
    ],
)
async def test_years_months_and_tomorrow_get_the_refusal_that_fits(
    world: WorldFactory, typed: str, told: str
) -> None:
    """ "2 years ago" and "tomorrow" got the generic "type a date like…", as if not
    understood; they are understood, and refused for what they are. Nothing is stored."""
    w = await world()
    sam = w.phone(3102, "Sam")
    await _at_the_injury_date(sam)
    said = _said(await sam.say(typed))
    assert said.startswith(told + "\n"), said
    replies = await sam.tap("Yesterday")  # and the question still takes an answer
    assert "Sprinting / running fast" in replies[-1].button_labels, _said(replies)


@pytest.mark.parametrize("typed", ["31/02", "30.2.2026", "2026-02-30", "3/14"])
async def test_a_day_that_does_not_exist_is_named(world: WorldFactory, typed: str) -> None:
    """ "31/02" got "Please type a date like 1.3.2026": it is a date, one that does not exist
    (or a month-first one, "3/14"); the athlete is told which, to check it."""
    w = await world()
    sam = w.phone(3103, "Sam")
    await _at_the_injury_date(sam)
    said = _said(await sam.say(typed))
    told = f"There is no {typed}. Please check the day and month (e.g. 1.3.2026)."
    assert said.startswith(told + "\n"), said
    replies = await sam.say("1.3.2026")
    assert "Sprinting / running fast" in replies[-1].button_labels, _said(replies)


async def test_english_weeks_are_read_whatever_the_language(world: WorldFactory) -> None:
    """English is always read besides the athlete's language (until the catalogues say how
    people write weeks back in theirs): a German athlete typing "2 weeks ago" is understood."""
    w = await world()
    w.sandbox.user(3104, "Lena", language_code="de")
    lena = w.phone(3104)
    words = DemoWords("de")
    await lena.say("/start")
    for label in ("I agree", "Hamstring", "Don't know", "Left", "1"):
        offered = [text for m in lena.user.bot_messages for text in m.button_labels]
        await lena.tap(words.label(label, offered))
    asked = lena.user.last_bot_message
    replies = await lena.say("2 weeks ago")
    assert replies[-1].button_labels != asked.button_labels, _said(replies)
    mechanism = words.label("Sprinting / running fast", replies[-1].button_labels)
    assert mechanism in replies[-1].button_labels, _said(replies)


@pytest.mark.parametrize("lang", ["en", "es", "pt", "fr", "de"])
def test_days_back_still_read_in_every_language(lang: str) -> None:
    """The days-back words are now one list among weeks, months and years: each language's
    days still read as before, and no unit is taken for another."""
    typed = {
        "en": "3 days ago",
        "es": "hace 3 días",
        "pt": "há 3 dias",
        "fr": "il y a 3 jours",
        "de": "vor 3 Tagen",
    }[lang]
    with use_language(lang):
        assert typed_words.days_ago(typed) == 3
        assert parse_days_back(typed) == 3
        assert typed_words.time_ago("3 weeks ago") == (3, "weeks")
        assert typed_words.time_ago("3 months ago") == (3, "months")
        assert typed_words.time_ago("3 years") == (3, "years")
        assert parse_days_back("3 months ago") is None
        assert parse_days_back("tomorrow") == -1
        assert parse_date("a week ago", TODAY) == TODAY - dt.timedelta(days=7)


async def test_language_opens_the_language_setting(world: WorldFactory) -> None:
    """/language got "I don't know that command": it asks the language at once, as /settings
    → Language does, and the choice is kept."""
    w = await world()
    sam = w.phone(3105, "Sam")
    await sam.onboard()
    *_, question = await sam.say("/language")
    assert (question.text or "").endswith("Which language should I write to you in?"), question
    assert "I don't know that command" not in (question.text or "")
    *_, saved = await sam.tap("Español")
    assert saved.text == "Hecho: a partir de ahora te escribo en español."
    person = w.person(3105)
    assert person is not None and (person.language, person.language_chosen) == ("es", True)


async def test_language_over_an_open_settings_question_asks_the_language(
    world: WorldFactory,
) -> None:
    """/settings → Time zone left open, then /language: the language is what is asked."""
    w = await world()
    sam = w.phone(3106, "Sam")
    await sam.onboard()
    await sam.say("/settings")
    await sam.tap("Time zone")
    *_, question = await sam.say("/language")
    assert (question.text or "").endswith("Which language should I write to you in?"), question
    *_, saved = await sam.say("Deutsch")
    assert saved.text is not None and "Deutsch" in saved.text, saved.text


async def test_language_before_the_set_up_sends_to_it(world: WorldFactory) -> None:
    w = await world()
    stranger = w.phone(3107, "Kim")
    assert _said(await stranger.say("/language")) == "Let's set you up first: send /start."
