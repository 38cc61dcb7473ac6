"""/help lists every command an athlete can send, as README's "Commands by role" does: the
menu's, and /report, /timezone, /language and /link, which the menu leaves out. Each one /help
names is answered for an athlete (none is "I don't know that command"). Through the real bot on
the Bot API sandbox."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.services import texts
from tests.athlete.conftest import World

WorldFactory = Callable[[], Awaitable[World]]
README = Path(__file__).resolve().parents[2] / "README.md"
# README's athlete commands /help leaves out: /start is how an athlete begins, before any /help.
NOT_IN_HELP = {"start"}


def _readme_athlete_commands() -> set[str]:
    """The commands of the athletes' column of README's "Commands by role" table."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index("### Commands by role")
    commands: set[str] = set()
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("| ") and not line.startswith("|---"):
            commands |= set(re.findall(r"`/([a-z_]+)", line.split(" | ")[0]))
    return commands


async def test_help_lists_what_an_athlete_can_do(world: WorldFactory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite())
    shown = (await alex.say("/help"))[0].text or ""
    lines = shown.splitlines()
    assert lines[0] == "What I can do:", shown
    listed = [line.split(" – ")[0].removeprefix("/") for line in lines if line.startswith("/")]
    # The four the menu leaves out, each with plain words, next to the entry it goes with.
    assert "/report – Your progress as a PDF report" in lines, shown
    assert "/timezone – Change your time zone" in lines, shown
    assert "/language – Change the language" in lines, shown
    assert "/link – Share your data with a clinician, with the code they gave you" in lines
    assert listed.index("report") == listed.index("progress") + 1, listed
    assert listed.index("timezone") == listed.index("settings") + 1, listed
    assert listed.index("link") == listed.index("unlink") - 1, listed
    # Every menu command is still there, once, and the menu itself is unchanged.
    assert len(listed) == len(set(listed)), listed
    assert set(alex.user.commands) <= set(listed), (alex.user.commands, listed)
    assert "timezone" not in alex.user.commands and "link" not in alex.user.commands
    # What README says an athlete can do is what /help lists.
    assert _readme_athlete_commands() - NOT_IN_HELP == set(listed), listed
    assert shown.endswith(str(texts.HELP_FOOTER)), shown


async def test_every_command_help_names_is_answered_for_an_athlete(world: WorldFactory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite())
    shown = (await alex.say("/help"))[0].text or ""
    extras = {
        "/report": "Preparing the report",
        "/timezone": "Which time zone are you in?",
        "/language": "Which language should I write to you in?",
        "/link": "Send /link followed by the code your clinician gave you",
    }
    for command, answer in extras.items():
        assert f"\n{command} – " in shown, shown
        await alex.say("/cancel")  # the questions /timezone and /language open, closed
        replies = await alex.say(command)
        said = "\n".join(m.text or "" for m in replies)
        assert answer in said, (command, said)
        assert "I don't know that command" not in said, (command, said)
