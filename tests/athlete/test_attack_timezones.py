"""The time zone typed as people type it: "Kolkata", "India", "são paulo", "new york", at
onboarding's time-zone step, in /settings and by a clinician's /timezone. All of them were
answered "I don't know that place." A country with several time zones, a UTC offset and an
abbreviation are refused with why and what to type instead; two different places are never
guessed between."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.sandbox import TranscriptMessage
from bot.services import texts
from bot.services.timezones import (
    ZONE_ABBREVIATION,
    ZONE_ABBREVIATION_STAFF,
    ZONE_OFFSET,
    ZONE_OFFSET_STAFF,
    read_typed_zone,
    resolve_staff_zone,
    resolve_typed_zone,
    zone_refusal,
)
from bot.support.i18n import use_language
from tests.athlete.conftest import CLINICIAN_ID, Phone, World

WorldFactory = Callable[[], Awaitable[World]]


def _said(replies: list[TranscriptMessage]) -> str:
    return "\n".join(m.text or "" for m in replies)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Kolkata", "Asia/Kolkata"),
        ("kolkata", "Asia/Kolkata"),
        ("Calcutta", "Asia/Kolkata"),  # the old name, as its zone today
        ("India", "Asia/Kolkata"),
        ("Germany", "Europe/Berlin"),  # Busingen keeps Berlin's clock: one time
        ("Deutschland", "Europe/Berlin"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("são paulo", "America/Sao_Paulo"),
        ("SAO_PAULO", "America/Sao_Paulo"),
        ("new york", "America/New_York"),
        ("Nueva York", "America/New_York"),
        ("UK", "Europe/London"),
        ("Kiev", "Europe/Kyiv"),
        ("St. John's, Canada", "America/St_Johns"),
        ("Iceland", "Atlantic/Reykjavik"),  # "Iceland" links to Africa/Abidjan: not that
        ("Manaus, Brazil", "America/Manaus"),
        ("Córdoba, Argentina", "America/Argentina/Cordoba"),
        ("Argentina", "America/Argentina/Buenos_Aires"),  # all of it on one clock
        ("Europe/Berlin", "Europe/Berlin"),
        ("Asia/Calcutta", "Asia/Kolkata"),
    ],
)
def test_what_people_type_resolves_to_their_place(typed: str, zone: str) -> None:
    assert resolve_typed_zone(typed) == zone
    assert resolve_staff_zone(typed) == zone


@pytest.mark.parametrize(
    "typed",
    ["Brazil", "brasil", "USA", "Australia", "Spain", "Portugal", "Eastern", "Samoa"],
)
def test_several_places_are_asked_about_never_guessed(typed: str) -> None:
    """A country on several clocks, or a name two different places share ("Eastern": New
    York or Toronto; "Samoa": Apia or Pago Pago), asks for the city with examples."""
    assert resolve_typed_zone(typed) is None
    assert resolve_staff_zone(typed) is None
    why = zone_refusal(typed) or ""
    assert "Type your city" in why or "Type the city with its country" in why, why


def test_a_country_names_cities_on_different_clocks() -> None:
    assert zone_refusal("Brazil") == (
        "Brazil has several time zones. Type your city, e.g. São Paulo, Manaus or Rio Branco."
    )
    assert zone_refusal("usa") == (
        "The United States has several time zones. Type your city, e.g. New York, Chicago or "
        "Denver."
    )
    assert zone_refusal("Eastern") == (
        "“Eastern” could be Toronto or New York. Type the city with its country, e.g. "
        "Toronto, Canada."
    )
    with use_language("pt"):  # the country and the cities in the reader's language
        assert "Brasil" in (zone_refusal("Brazil") or "")


@pytest.mark.parametrize(
    "typed", ["+5:30", "GMT-3", "UTC+2", "utc +05:30", "-3", "GMT", "UTC", "Etc/GMT+2"]
)
def test_an_offset_is_refused_with_why(typed: str) -> None:
    assert resolve_typed_zone(typed) is None
    assert read_typed_zone(typed).offset
    assert zone_refusal(typed) == str(ZONE_OFFSET)
    assert zone_refusal(typed, staff=True) == str(ZONE_OFFSET_STAFF)


@pytest.mark.parametrize("typed", ["EST", "CET", "ist", "PST8PDT"])
def test_an_abbreviation_is_refused_with_why(typed: str) -> None:
    assert resolve_typed_zone(typed) is None
    assert resolve_staff_zone(typed) is None
    assert zone_refusal(typed) == str(ZONE_ABBREVIATION)
    assert zone_refusal(typed, staff=True) == str(ZONE_ABBREVIATION_STAFF)


@pytest.mark.parametrize("typed", ["Paris, Texas", "5", "Atlantis", "Pa'ris\u200b", ""])
def test_no_guess_and_no_reason_for_the_unknown(typed: str) -> None:
    """ "Paris, Texas" is not Europe/Paris; an unknown name keeps the caller's own message."""
    assert resolve_typed_zone(typed) is None
    assert zone_refusal(typed) is None


def test_staff_still_set_universal_time() -> None:
    assert resolve_staff_zone("UTC") == "UTC"
    assert resolve_staff_zone("gmt") == "UTC"


async def _at_the_zone_step(sam: Phone) -> None:
    await sam.say("/start")
    await sam.tap("I agree")
    await sam.tap("Hamstring")
    await sam.tap("Don't know")
    await sam.tap("Left")
    await sam.tap("1")
    await sam.tap("Yesterday")
    await sam.tap("Sprinting / running fast")
    await sam.tap("Rugby")
    await sam.tap("Skip")
    assert "Which time zone are you in?" in sam.last, sam.last


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("kolkata", "Asia/Kolkata"), ("India", "Asia/Kolkata"), ("são paulo", "America/Sao_Paulo")],
)
async def test_onboarding_takes_the_typed_place(world: WorldFactory, typed: str, zone: str) -> None:
    w = await world()
    sam = w.phone(3201, "Sam")
    await _at_the_zone_step(sam)
    said = _said(await sam.say(typed))
    assert "I don't know that place" not in said, said
    assert "At what time should I send the morning check-in?" in said, said
    await sam.tap("07:30")
    assert "All set" in _said(await sam.tap("✅ Confirm"))
    person = w.person(3201)
    assert person is not None and person.timezone == zone


async def test_settings_and_timezone_take_the_typed_place(world: WorldFactory) -> None:
    w = await world()
    sam = w.phone(3202, "Sam")
    await sam.onboard()
    await sam.say("/settings")
    await sam.tap("Time zone")
    assert "Saved." in _said(await sam.say("new york"))
    assert w.person(3202).timezone == "America/New_York"  # type: ignore[union-attr]
    await sam.say("/timezone")
    assert "Saved." in _said(await sam.say("Germany"))
    assert w.person(3202).timezone == "Europe/Berlin"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+5:30", "A UTC offset doesn't follow summer time. Type your city or tap a region."),
        ("GMT-3", "A UTC offset doesn't follow summer time."),
        ("EST", "An abbreviation like IST can mean several places."),
        ("Brazil", "Brazil has several time zones. Type your city, e.g. São Paulo"),
    ],
)
async def test_onboarding_says_why_and_what_to_type(
    world: WorldFactory, typed: str, expected: str
) -> None:
    """Refused with why and what to type instead; the question stays, the city is taken."""
    w = await world()
    sam = w.phone(3203, "Sam")
    await _at_the_zone_step(sam)
    said = _said(await sam.say(typed))
    assert expected in said and "I don't know that place" not in said, said
    said = _said(await sam.say("Manaus"))
    assert "At what time should I send the morning check-in?" in said, said


async def test_a_clinician_types_a_country_or_a_city(world: WorldFactory) -> None:
    w = await world()
    w.clinician_invite()
    kim = w.sandbox.user(CLINICIAN_ID, "Dr Kim")
    await kim.send("/timezone India")
    said = _said(await kim.wait_reply())
    assert "Asia/Kolkata" in said, said
    await kim.send("/timezone são paulo")
    said = _said(await kim.wait_reply())
    assert "America/Sao_Paulo" in said, said
    person = w.person(CLINICIAN_ID)
    assert person is not None and person.timezone == "America/Sao_Paulo"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("UTC+2", "A UTC offset doesn't follow summer time. Send /timezone"),
        ("CET", "An abbreviation like IST can mean several places. Send /timezone"),
        ("Brazil", "Brazil has several time zones. Type your city, e.g. São Paulo"),
    ],
)
async def test_a_clinician_is_told_why(world: WorldFactory, typed: str, expected: str) -> None:
    w = await world()
    w.clinician_invite()
    kim = w.sandbox.user(CLINICIAN_ID, "Dr Kim")
    await kim.send(f"/timezone {typed}")
    said = _said(await kim.wait_reply())
    assert expected in said and "is not a time zone I know" not in said, said


def test_the_unknown_keeps_its_message() -> None:
    """Nothing to explain: the caller says "I don't know that place." as before."""
    assert zone_refusal("Atlantis") is None
    assert "I don't know that place" in str(texts.ZONE_UNKNOWN)
