"""Onboarding and /settings on a phone, second round: the way back out of a /settings step,
"don't know" typed where the button offers it, a button of the finished set-up pressed later,
and injury dates typed in words. Every reply is read as the athlete reads it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from bot.sandbox import TranscriptMessage
from bot.services import texts
from bot.services.timezones import REGIONS, city_name, region_label
from bot.store.repo import latest_injury
from bot.support.i18n import L_, text, use_language
from tests.athlete.conftest import Phone, World

WorldFactory = Callable[[], Awaitable[World]]


def _said(replies: list[TranscriptMessage]) -> str:
    return "\n".join(m.text or "" for m in replies)


def _in(language: str, message: str) -> str:
    """The catalogue text ``message`` as an athlete reading ``language`` sees it."""
    with use_language(language):
        return text(L_(message))


async def _to_the_grade(sam: Phone, language: str = "en") -> None:
    """Open onboarding and answer up to the grade question, tapping as the athlete does."""
    await sam.say("/start")
    for label in ("I agree", "Hamstring", "Don't know", "Left"):
        await sam.tap(_in(language, label))


async def _rest_of_onboarding(sam: Phone) -> str:
    """From the mechanism question to the end; return what the end says."""
    for label in ("Sprinting / running fast", "Rugby", "Skip", "Europe", "Berlin", "07:30"):
        await sam.tap(label)
    return _said(await sam.tap("✅ Confirm"))


def _injury(w: World, telegram_id: int):  # type: ignore[no-untyped-def]
    person = w.person(telegram_id)
    assert person is not None and person.id is not None
    athlete_id = person.id
    return w.read(lambda s: latest_injury(s, athlete_id=athlete_id))


# --- 1. /settings: "◀ Back" on every step after the first ---------------------------------


async def test_a_settings_step_with_buttons_has_back_to_the_choice(world: WorldFactory) -> None:
    """Sam tapped "Time zone" meaning "Check-in time": every step after the first has
    "◀ Back" (as the check-in's steps do), and going back changes nothing until the new
    choice is answered."""
    w = await world()
    sam = w.phone(3201, "Sam")
    await sam.onboard()
    first = await sam.say("/settings")
    assert "◀ Back" not in first[-1].button_labels  # nothing before it to go back to
    regions = await sam.tap("Time zone")
    assert "◀ Back" in regions[-1].button_labels, sam.user.format_transcript()
    cities = await sam.tap("Asia")
    assert "◀ Back" in cities[-1].button_labels, sam.user.format_transcript()
    again = await sam.tap("◀ Back")  # the regions again
    assert "Europe" in again[-1].button_labels, _said(again)
    choice = await sam.tap("◀ Back")  # what to change, again
    assert "What would you like to change?" in (choice[-1].text or ""), _said(choice)
    times = await sam.tap("Check-in time")
    assert "◀ Back" in times[-1].button_labels
    said = _said(await sam.tap("07:00"))
    assert "Time zone: Berlin" in said and "Morning check-in: 07:00" in said, said


# --- 2. "don't know" typed at the grade ----------------------------------------------------


async def test_dont_know_typed_at_the_grade_is_the_buttons_answer(world: WorldFactory) -> None:
    """The grade's button says "Not graded / don't know"; typing "don't know" (or "dont
    know") was refused with "Please answer with one of the buttons below"."""
    w = await world()
    sam = w.phone(3202, "Sam")
    await _to_the_grade(sam)
    replies = await sam.say("dont know")
    assert "Please answer with one of the buttons" not in _said(replies), _said(replies)
    assert "When did it happen?" in (replies[-1].text or ""), _said(replies)
    await sam.tap("Yesterday")
    summary_and_end = await _rest_of_onboarding(sam)
    assert "All set" in summary_and_end, summary_and_end
    injury = _injury(w, 3202)
    assert injury.grade is None


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("es", "no lo sé"),
        ("pt", "não sei"),
        ("fr", "inconnu"),
        ("de", "weiß nicht"),
        ("de", "don't know"),  # the English words are understood in every language
    ],
)
async def test_dont_know_typed_at_the_grade_in_the_athletes_language(
    world: WorldFactory, language: str, typed: str
) -> None:
    """The words of the button as it reads in the athlete's language are accepted too."""
    w = await world()
    w.sandbox.user(3203, "Ana", language_code=language)
    ana = w.phone(3203, "Ana")
    await _to_the_grade(ana, language)
    replies = await ana.say(typed)
    assert _in(language, "Please answer with one of the buttons below.") not in _said(replies)
    with use_language(language):
        asked = text(texts.ASK_INJURY_DATE)
    assert asked in (replies[-1].text or ""), _said(replies)


# --- 4. a button of the finished onboarding pressed -------------------------------------


async def test_back_on_the_typed_baseline_after_onboarding_says_it_is_done(
    world: WorldFactory,
) -> None:
    """The baseline typed, its message kept "Skip" and "◀ Back"; pressed after the set-up
    they brought only a faint "This question has expired". Now a pop-up says the set-up is
    done and where to go, and nothing stored changes."""
    w = await world()
    sam = w.phone(3204, "Sam")
    await sam.onboard(baseline="vmax 9.0 10m 1.80")
    baseline_question = next(
        m for m in reversed(sam.user.bot_messages) if "Your best values" in (m.text or "")
    )
    assert "◀ Back" in baseline_question.button_labels  # still on screen
    await sam.user.press("◀ Back", baseline_question)
    await sam.user.wait_until(lambda _: sam.user.last_callback_answer is not None)
    answer = sam.user.last_callback_answer
    assert answer is not None and answer.show_alert, answer
    assert answer.text == text(texts.ALREADY_ONBOARDED), answer
    assert "All set" in (sam.user.bot_messages[-1].text or "")  # nothing reopened
    replies = await sam.say("/plan")  # and the programme is there
    assert "Stage 1 of 8" in _said(replies) or "session" in _said(replies).lower(), _said(replies)


async def test_a_stale_button_during_onboarding_still_says_it_expired(
    world: WorldFactory,
) -> None:
    """The note is for the finished set-up only: a button left behind by a typed answer and
    pressed while onboarding is under way is refused as before, and the set-up goes on."""
    w = await world()
    sam = w.phone(3205, "Sam")
    await _to_the_grade(sam)
    grade_question = sam.user.bot_messages[-1]
    await sam.say("1")  # typed: the grade's buttons stay on that message
    await sam.user.press("◀ Back", grade_question)
    await sam.user.wait_until(lambda _: sam.user.last_callback_answer is not None)
    answer = sam.user.last_callback_answer
    assert answer is not None and answer.text == text(texts.EXPIRED), answer
    replies = await sam.tap("Yesterday")  # the date question still answers
    assert "How did it happen?" in (replies[-1].text or ""), _said(replies)


# --- 5. injury dates typed in words ---------------------------------------------------------


async def _at_the_date(sam: Phone, language: str = "en") -> None:
    await _to_the_grade(sam, language)
    await sam.tap("1")


async def test_29_february_typed_without_a_year_in_2026_is_refused_as_no_such_day(
    world: WorldFactory,
) -> None:
    """On 2 March 2026 "29.2" was answered "Please type a date like 2026-03-01": it looked
    like a format mistake. 2026 has no 29 February: said so, and nothing is guessed."""
    w = await world()
    sam = w.phone(3206, "Sam")
    await _at_the_date(sam)
    said = _said(await sam.say("29.2"))
    assert "There is no 29.2. Please check the day and month" in said, said
    replies = await sam.say("28.2")
    assert "How did it happen?" in _said(replies) or replies[-1].button_labels, _said(replies)
    await _rest_of_onboarding(sam)
    assert _injury(w, 3206).injury_date == dt.date(2026, 2, 28)


@pytest.mark.parametrize("typed", ["a month ago", "one month ago", "a year ago"])
async def test_a_month_ago_asks_for_the_day_and_stores_nothing_guessed(
    world: WorldFactory, typed: str
) -> None:
    """The programme counts the days since the injury, so a month (28 to 31 days) is not
    turned into a day: the athlete is told why the day is needed and asked for it."""
    w = await world()
    sam = w.phone(3207, "Sam")
    await _at_the_date(sam)
    said = _said(await sam.say(typed))
    assert "I need the exact day, because your programme counts the days since the injury." in said
    assert "When did it happen?" in said  # the question again, with its buttons
    assert sam.user.bot_messages[-1].button_labels[:2] == ["Today", "Yesterday"]
    # Read, only not exact enough: no "if the injury feels worse, send /problem" as after a
    # sentence that is no answer at all.
    assert "/problem" not in said, said


@pytest.mark.parametrize(
    ("language", "typed", "day"),
    [
        ("en", "three weeks ago", dt.date(2026, 2, 9)),
        ("en", "two days ago", dt.date(2026, 2, 28)),
        ("es", "hace dos días", dt.date(2026, 2, 28)),
        ("pt", "há três semanas", dt.date(2026, 2, 9)),
        ("fr", "il y a deux jours", dt.date(2026, 2, 28)),
        ("de", "vor drei Wochen", dt.date(2026, 2, 9)),
    ],
)
async def test_days_and_weeks_back_typed_in_words_are_read(
    world: WorldFactory, language: str, typed: str, day: dt.date
) -> None:
    """Numbers from one to ten written as words, in the athlete's language or English,
    count the days back from the athlete's own today (2 March 2026 in Berlin)."""
    w = await world()
    w.sandbox.user(3208, "Ana", language_code=language)
    ana = w.phone(3208, "Ana")
    await _at_the_date(ana, language)
    replies = await ana.say(typed)
    with use_language(language):
        refused = text(texts.DATE_EXPECTED)
    assert refused not in _said(replies), _said(replies)
    for label in ("Sprinting / running fast", "Rugby", "Skip"):
        await ana.tap(_in(language, label))
    with use_language(language):
        await ana.tap(region_label("Europe"))
        await ana.tap(next(city_name(c) for c in REGIONS["Europe"] if c.zone == "Europe/Berlin"))
    await ana.tap("07:30")
    await ana.tap(_in(language, "✅ Confirm"))
    assert _injury(w, 3208).injury_date == day
