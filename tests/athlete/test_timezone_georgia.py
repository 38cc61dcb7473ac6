"""Names two places share are asked about, not guessed: "Georgia" was taken as the country
(Tbilisi) although an athlete in Atlanta means the US state (New York's time); "Kingston" as
Jamaica, never Ontario; "St. John's" as Newfoundland, never Antigua. English also said "The
US Outlying Islands has several time zones": a plural name with a singular verb."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.sandbox import TranscriptMessage
from bot.services.timezones import (
    read_typed_zone,
    resolve_staff_zone,
    resolve_typed_zone,
    zone_refusal,
)
from bot.support.i18n import LANGUAGES, use_language
from tests.athlete.conftest import CLINICIAN_ID, Phone, World

WorldFactory = Callable[[], Awaitable[World]]


def _said(replies: list[TranscriptMessage]) -> str:
    return "\n".join(m.text or "" for m in replies)


@pytest.mark.parametrize(
    ("typed", "asked"),
    [
        (
            "Georgia",
            "“Georgia” could be Tbilisi (Georgia) or Georgia (United States). "
            "Type the city with its country, e.g. Tbilisi, Georgia.",
        ),
        (
            "Kingston",
            "“Kingston” could be Kingston (Canada) or Kingston (Jamaica). "
            "Type the city with its country, e.g. Kingston, Canada.",
        ),
        (
            "St. John's",
            "“St. John's” could be St. John's (Antigua & Barbuda) or St. John's (Canada). "
            "Type the city with its country, e.g. St. John's, Antigua & Barbuda.",
        ),
    ],
)
def test_a_name_two_places_share_asks_which(typed: str, asked: str) -> None:
    assert resolve_typed_zone(typed) is None
    assert resolve_staff_zone(typed) is None
    assert zone_refusal(typed) == asked


@pytest.mark.parametrize("typed", ["georgia", "Géorgie", "Geórgia", "St Johns", "Saint John's"])
def test_other_spellings_ask_too(typed: str) -> None:
    assert resolve_typed_zone(typed) is None
    assert len(read_typed_zone(typed).choices) == 2, read_typed_zone(typed)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Georgia, USA", "America/New_York"),
        ("Georgia, United States", "America/New_York"),
        ("Atlanta", "America/New_York"),
        ("Georgia, Georgia", "Asia/Tbilisi"),
        ("Tbilisi", "Asia/Tbilisi"),
        ("Georgien", "Asia/Tbilisi"),  # German for the country only ("Georgia" is the state)
        ("Kingston, Jamaica", "America/Jamaica"),
        ("Kingston, Canada", "America/Toronto"),
        ("Kingston, Ontario", "America/Toronto"),
        ("St. John's, Canada", "America/St_Johns"),
        ("St. John's, Newfoundland", "America/St_Johns"),
        ("St. John's, Antigua", "America/Antigua"),
        ("St. John's, Antigua and Barbuda", "America/Antigua"),
    ],
)
def test_the_place_with_its_country_is_taken(typed: str, zone: str) -> None:
    assert resolve_typed_zone(typed) == zone
    assert resolve_staff_zone(typed) == zone


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("typed", ["Georgia", "Kingston", "St. John's"])
def test_the_example_given_can_be_typed_as_it_is(lang: str, typed: str) -> None:
    """What the question suggests typing ("Tbilissi, Géorgie") is taken, in every language."""
    with use_language(lang):
        asked = zone_refusal(typed) or ""
    for marker in ("e.g. ", "p. ej., ", "por exemplo, ", "par exemple ", "z. B. "):
        if marker in asked:
            example = asked.rsplit(marker, 1)[1].removesuffix(".")
            break
    else:
        pytest.fail(f"no example in {asked!r}")
    assert resolve_typed_zone(example) == read_typed_zone(typed).choices[0], (lang, example)


def test_a_plural_country_name_takes_a_plural_verb() -> None:
    assert zone_refusal("U.S. Outlying Islands") == (
        "The US Outlying Islands have several time zones. "
        "Type your city, e.g. Midway Atoll or Wake Island."
    )
    assert (zone_refusal("USA") or "").startswith("The United States has several time zones.")
    assert (zone_refusal("Brazil") or "").startswith("Brazil has several time zones.")


# --- through the bot ----------------------------------------------------------------------


async def _at_the_zone_step(sam: Phone) -> None:
    await sam.say("/start")
    for label in ("I agree", "Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await sam.tap(label)
    await sam.tap("Sprinting / running fast")
    await sam.tap("Rugby")
    await sam.tap("Skip")
    assert "Which time zone are you in?" in sam.last, sam.last


async def test_onboarding_asks_which_georgia_then_takes_the_us_state(
    world: WorldFactory,
) -> None:
    w = await world()
    sam = w.phone(3401, "Sam")
    await _at_the_zone_step(sam)
    said = _said(await sam.say("Georgia"))
    assert "“Georgia” could be Tbilisi (Georgia) or Georgia (United States)." in said, said
    assert "At what time should I send the morning check-in?" not in said, said
    said = _said(await sam.say("Georgia, USA"))
    assert "At what time should I send the morning check-in?" in said, said
    await sam.tap("07:30")
    assert "All set" in _said(await sam.tap("✅ Confirm"))
    assert w.person(3401).timezone == "America/New_York"  # type: ignore[union-attr]


async def test_settings_asks_which_kingston(world: WorldFactory) -> None:
    w = await world()
    sam = w.phone(3402, "Sam")
    await sam.onboard()
    before = w.person(3402).timezone  # type: ignore[union-attr]
    await sam.say("/settings")
    await sam.tap("Time zone")
    said = _said(await sam.say("Kingston"))
    assert "“Kingston” could be Kingston (Canada) or Kingston (Jamaica)." in said, said
    assert w.person(3402).timezone == before  # type: ignore[union-attr]  # unchanged
    assert "Saved." in _said(await sam.say("Kingston, Jamaica"))
    assert w.person(3402).timezone == "America/Jamaica"  # type: ignore[union-attr]


async def test_a_clinician_is_asked_which_st_johns(world: WorldFactory) -> None:
    w = await world()
    w.clinician_invite()
    kim = w.sandbox.user(CLINICIAN_ID, "Dr Kim")
    await kim.send("/timezone St. John's")
    said = _said(await kim.wait_reply())
    assert "“St. John's” could be St. John's (Antigua & Barbuda) or St. John's (Canada)." in said
    await kim.send("/timezone St. John's, Canada")
    said = _said(await kim.wait_reply())
    assert "America/St_Johns" in said, said
    assert w.person(CLINICIAN_ID).timezone == "America/St_Johns"  # type: ignore[union-attr]
