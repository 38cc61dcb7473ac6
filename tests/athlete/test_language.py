"""The athlete's language: taken from Telegram at first contact, chosen in /settings, and the
athlete menu set in every language (issue 17, phase A)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.support.i18n import LANGUAGES, gettext, use_language
from tests.athlete.conftest import Phone, World
from tests.i18n.leaks import leaks
from tests.i18n.onboarding import onboard_in

WorldFactory = Callable[[], Awaitable[World]]
PRIVATE_CHATS = {"type": "all_private_chats"}
LANGUAGE_BUTTONS = ["English", "Español", "Português", "Français", "Deutsch"]


@pytest.mark.parametrize(
    ("telegram_language", "stored"),
    [("de", "de"), ("pt-br", "pt"), ("fr-CA", "fr"), ("es", "es"), ("zh-hans", "en"), (None, "en")],
)
async def test_the_language_comes_from_telegram_at_first_contact(
    world: WorldFactory, telegram_language: str | None, stored: str
) -> None:
    w = await world()
    w.sandbox.user(1001, "Ana", language_code=telegram_language)
    await w.phone(1001).say("/start")
    person = w.person(1001)
    assert person is not None and person.language == stored


async def test_settings_offers_five_languages_and_the_choice_is_kept(world: WorldFactory) -> None:
    w = await world()
    w.sandbox.user(1001, "Lena", language_code="de")
    lena = w.phone(1001)
    await onboard_in(lena, "de")
    await lena.say("/settings")
    *_, question = await lena.tap("Sprache")
    assert (question.text or "").endswith("In welcher Sprache soll ich schreiben?")
    assert question.button_labels == [*LANGUAGE_BUTTONS, "◀ Zurück"]  # back to the choice
    *_, saved = await lena.tap("Español")
    assert saved.text == "Hecho: a partir de ahora te escribo en español."
    person = w.person(1001)
    assert person is not None and (person.language, person.language_chosen) == ("es", True)

    await lena.say("/settings")  # now in Spanish
    *_, question = await lena.tap("Idioma")
    assert (question.text or "").endswith("¿En qué idioma debo escribir?")
    *_, saved = await lena.say("français")  # typing the language's name works too
    assert saved.text == "C'est fait\u00a0: désormais, je t'écris en français."
    assert w.person(1001).language == "fr"  # type: ignore[union-attr]


async def test_the_language_follows_the_app_until_the_athlete_chooses(world: WorldFactory) -> None:
    w = await world()
    w.sandbox.user(1001, "Lena", language_code="de")
    lena = w.phone(1001)
    await onboard_in(lena, "de")
    w.sandbox.chats[1001].user["language_code"] = "fr"  # she switches her phone to French
    await lena.say("/help")
    person = w.person(1001)
    assert person is not None and (person.language, person.language_chosen) == ("fr", False)
    await lena.say("/settings")
    await lena.tap("Langue")
    await lena.tap("Deutsch")
    w.sandbox.chats[1001].user["language_code"] = "es"
    await lena.say("/settings")
    *_, question = await lena.tap("Sprache")
    assert (question.text or "").endswith("In welcher Sprache soll ich schreiben?")
    assert w.person(1001).language == "de"  # type: ignore[union-attr]


async def test_other_settings_name_the_language_in_force(world: WorldFactory) -> None:
    w = await world()
    w.sandbox.user(1001, "Rui", language_code="pt-PT")
    rui = w.phone(1001)
    await onboard_in(rui, "pt")
    await rui.say("/settings")
    with use_language("pt"):
        check_in_time, language = gettext("Check-in time"), gettext("Language")
    await rui.tap(check_in_time)
    *_, saved = await rui.say("6:45")
    assert "06:45" in (saved.text or "") and f"{language}: Português" in (saved.text or "")


async def test_the_athlete_menu_is_set_in_every_language(world: WorldFactory) -> None:
    w = await world()
    english = w.sandbox.commands(PRIVATE_CHATS)
    assert {"command": "checkin", "description": "Morning check-in"} in english
    menus = {lang: w.sandbox.commands(PRIVATE_CHATS, lang) for lang in LANGUAGES if lang != "en"}
    names = [c["command"] for c in english]
    for lang, menu in menus.items():
        assert [c["command"] for c in menu] == names, lang
        for ours, theirs in zip(english, menu, strict=True):
            assert ours["description"] != theirs["description"], (lang, ours)
    assert menus["fr"][0]["description"] == "Bilan du matin"
    assert menus["de"][0]["description"] == "Morgenabfrage"
    # Telegram shows each person the menu of their app's language, English otherwise.
    w.sandbox.user(1002, "Jo", language_code="es")
    assert w.sandbox.commands_for_chat(1002, "es")[0]["description"] == "Cuestionario de la mañana"
    assert w.sandbox.commands_for_chat(1002, "it")[0]["description"] == "Morning check-in"


async def up_to_hours_slept(athlete: Phone, none_of_these: str) -> None:
    """Start a check-in and tap every answer up to the hours slept (no warning sign, low
    pain, good wellness)."""
    await athlete.say("/checkin")
    await athlete.tap(none_of_these)
    for answer in ("0", "1", "1", "8", "2", "2", "2", "2"):
        await athlete.tap(answer)


async def test_a_short_night_is_explained_in_the_athletes_language(world: WorldFactory) -> None:
    # The engine writes its reasons in English for the record; the athlete reads them worded
    # in their own language (bot.wording.engine_reasons), here after 4 h of sleep.
    w = await world()
    w.sandbox.user(1001, "Lena", language_code="de")
    lena = w.phone(1001)
    await onboard_in(lena, "de")
    with use_language("de"):
        none_of_these = gettext("None of these ✅")
        expected = gettext("Slept {hours} h: no fast running today.").format(hours="4")
        # A German noun keeps its capital after "To move up:" ("Morgenabfrage: …").
        needed = gettext("To move up: {what}").format(what=gettext("morning check-in says go"))
    await up_to_hours_slept(lena, none_of_these)
    replies = await lena.say("4")
    verdict = "\n".join(m.text or "" for m in replies)
    assert expected in verdict and needed in verdict, verdict
    assert "Slept" not in verdict and not leaks(verdict.splitlines()), verdict


async def test_a_word_typed_for_a_number_is_corrected_with_the_german_noun_capitalised(
    world: WorldFactory,
) -> None:
    """'ziemlich viel' for the hours slept: the correction names what is expected with its
    German capital ("Geschlafene Stunden"), as German writes nouns."""
    w = await world()
    w.sandbox.user(1001, "Lena", language_code="de")
    lena = w.phone(1001)
    await onboard_in(lena, "de")
    with use_language("de"):
        none_of_these = gettext("None of these ✅")
        hours = gettext("Hours slept")
    await up_to_hours_slept(lena, none_of_these)
    replies = await lena.say("ziemlich viel")
    said = replies[0].text or ""
    assert hours in said and hours[0].isupper(), said
