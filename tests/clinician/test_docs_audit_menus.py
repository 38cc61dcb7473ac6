"""Staff menus and /help name every staff command that exists: /settings (language and time
zone) for clinicians and admins, and every /protocol sub-command (diff included) for admins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.clinician.conftest import ADMIN, World
from tests.clinician.test_clinician_flow import make_clinician, say

WorldFactory = Callable[[], Awaitable[World]]
LEE = 2001


async def test_a_clinician_finds_settings_in_the_menu_and_in_help(world: WorldFactory) -> None:
    w = await world()
    w.sandbox.user(LEE, "Lee", language_code="en")
    lee = await make_clinician(w, LEE, "Lee")
    menu = {c["command"]: c["description"] for c in w.sandbox.commands_for_chat(LEE)}
    assert menu["settings"] == "Your language and time zone"
    help_text = await say(lee, "/help")
    assert "/settings – Your language and time zone" in help_text
    # What the menu promises is what the command does.
    settings = await say(lee, "/settings")
    assert "Your time zone:" in settings and "Your language: English." in settings


async def test_an_admin_menu_names_every_protocol_sub_command(world: WorldFactory) -> None:
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada", language_code="en")
    help_text = await say(ada, "/help")
    menu = {c["command"]: c["description"] for c in w.sandbox.commands_for_chat(ADMIN)}
    assert menu["protocol"] == "show | set | dryrun | diff | history | rollback"
    assert menu["settings"] == "Your language and time zone"
    assert "/protocol – show | set | dryrun | diff | history | rollback" in help_text
    assert "/settings – Your language and time zone" in help_text
    # Each sub-command the menu names is one /protocol answers to (not its usage text).
    usage = await say(ada, "/protocol")
    for sub in menu["protocol"].split(" | "):
        assert f"/protocol {sub} " in usage
