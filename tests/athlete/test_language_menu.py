"""An athlete who chooses a language gets the command menu in it, whatever their app's
(issue 17, phase B: a per-chat setMyCommands in the chosen language)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.demo.words import DemoWords
from tests.athlete.conftest import World
from tests.i18n.onboarding import onboard_in

WorldFactory = Callable[[], Awaitable[World]]


async def test_the_menu_follows_the_chosen_language_not_the_app(world: WorldFactory) -> None:
    w = await world()
    w.sandbox.user(1001, "Lena", language_code="de")
    lena = w.phone(1001)
    await onboard_in(lena, "de")
    assert w.sandbox.commands_for_chat(1001, "de")[0]["description"] == "Morgenabfrage"
    await lena.say("/settings")
    await lena.tap(DemoWords("de").label("Language", lena.user.bot_messages[-1].button_labels))
    await lena.tap("Español")
    await lena.say("/help")  # the athlete's next update: the menu follows the choice
    menu = w.sandbox.commands_for_chat(1001, "de")
    assert menu[0] == {"command": "checkin", "description": "Cuestionario de la mañana"}
    assert [c["command"] for c in menu] == [
        c["command"] for c in w.sandbox.commands({"type": "all_private_chats"})
    ]
    # Another athlete who follows the app keeps the menu of the app's language.
    w.sandbox.user(1002, "Jo", language_code="fr")
    await onboard_in(w.phone(1002), "fr")
    assert w.sandbox.commands_for_chat(1002, "fr")[0]["description"] == "Bilan du matin"


async def test_a_typed_language_name_moves_the_menu_too(world: WorldFactory) -> None:
    w = await world()
    w.sandbox.user(1001, "Lena", language_code="de")
    lena = w.phone(1001)
    await onboard_in(lena, "de")
    await lena.say("/help")  # the chat is known: later updates read nothing
    await lena.say("/settings")
    await lena.tap(DemoWords("de").label("Language", lena.user.bot_messages[-1].button_labels))
    await lena.say("français")
    await lena.say("/help")
    assert w.sandbox.commands_for_chat(1001, "de")[0]["description"] == "Bilan du matin"
