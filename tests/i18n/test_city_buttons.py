"""The time-zone picker's city buttons in the athlete's language (issue 17)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.demo.words import DemoWords
from tests.athlete.conftest import World, db, services, world

__all__ = ["db", "services", "world"]
WorldFactory = Callable[[], Awaitable[World]]


async def test_the_city_buttons_read_in_the_athletes_language(world: WorldFactory) -> None:
    """The picker names its cities as the athlete writes them ("Lisboa"), and the one
    tapped sets its zone."""
    w = await world()
    w.sandbox.user(1001, "Inês", language_code="pt")
    ines = w.phone(1001, "Inês")
    words = DemoWords("pt")
    await ines.say("/start")
    for label in ("I agree", "Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await ines.tap(words.label(label))
    for label in ("Sprinting / running fast", "Rugby", "Skip", "Europe"):
        await ines.tap(words.label(label))
    cities = ines.user.last_bot_message.button_labels
    assert {"Lisboa", "Berlim", "Varsóvia", "Londres"} <= set(cities), cities
    assert not {"Lisbon", "Warsaw", "London"} & set(cities), cities
    await ines.tap("Berlim")
    await ines.tap("07:30")
    await ines.tap(words.label("✅ Confirm"))
    person = w.person(1001)
    assert person is not None and person.timezone == "Europe/Berlin", ines.user.format_transcript()
