"""`sprintback demo --interactive`: a person plays the athlete (or the clinician) in the terminal
against the same sandbox and bot as the scripted demo.

Typed text is sent as a message; a number picks the button with that number on the bot's
latest message; ``/next`` jumps to the next scheduled prompt (morning check-in or post-session
questionnaire); ``quit`` ends. As the clinician you follow an athlete whom the script has
taken through invitation, onboarding and a red flag, so there is an alert to act on.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from pathlib import Path
from typing import TextIO

from bot.demo import script
from bot.demo.output import write_outputs
from bot.demo.record import Entry, render_entry
from bot.demo.world import DemoError, DemoWorld, Person, open_world
from bot.sandbox import TranscriptMessage
from bot.support.i18n import _, use_language

QUIT_WORDS = frozenset({"quit", "exit", "q"})
HELP = (
    "Type a message and press Enter to send it; type a number to press that button; "
    "/next jumps to the next scheduled prompt; 'quit' ends the demo."
)


def numbered_buttons(message: TranscriptMessage) -> list[str]:
    """Return the labels of ``message``'s buttons, in the order they are numbered (from 1)."""
    return message.button_labels


def render_for_player(entry: Entry, world: DemoWorld, buttons: list[str]) -> str:
    """Return a bot entry with its buttons numbered for the player to choose."""
    plain = Entry(at=entry.at, kind=entry.kind, chat_id=entry.chat_id, text=entry.text)
    text = render_entry(plain, world.recorder)
    if buttons:
        text += "\n" + "\n".join(f"    {n}. {label}" for n, label in enumerate(buttons, 1))
    return text


async def _read_line(stdin: TextIO) -> str | None:
    line = await asyncio.to_thread(stdin.readline)
    return None if line == "" else line.rstrip("\n")


async def prepare(world: DemoWorld, role: str) -> Person:
    """Bring the story to where the player takes over; return the person they play."""
    cast, code = await script.invitations(world)
    if role == "athlete":
        await world.say(cast.athlete, f"/start {code}")
        return cast.athlete
    await script.onboarding(world, cast.athlete, code)
    await world.run_jobs()
    await script.morning(world, cast.athlete)
    await script.morning(
        world, cast.athlete, red_flags=["▫️ Numbness, tingling or weakness in leg/foot"]
    )
    return cast.clinician


async def next_prompt(world: DemoWorld, athlete: Person) -> str:
    """Jump the clock to the athlete's next scheduled prompt and let the scheduler send it;
    return a note for the player when nothing is scheduled."""
    await world.run_jobs()  # a tick plans the next day of an athlete who has just onboarded
    due: list[dt.datetime] = []
    for kind in ("morning", "post_session"):
        with contextlib.suppress(DemoError):
            due.append(world.next_prompt_due(athlete, kind))
    if not due:
        return "(nothing is scheduled yet: finish onboarding first)"
    await world.set_time(min(due))
    return ""


async def play_interactively(
    world: DemoWorld, player: Person, athlete: Person, stdin: TextIO, out: TextIO
) -> None:
    """Read the player's lines from ``stdin`` and show every bot message in ``out``."""
    shown = 0

    def show_new() -> list[str]:
        nonlocal shown
        latest = player.user.bot_messages[-1] if player.user.bot_messages else None
        buttons = numbered_buttons(latest) if latest is not None else []
        entries = world.recorder.entries[shown:]
        shown = len(world.recorder.entries)
        for index, entry in enumerate(entries):
            if entry.kind == "user" and entry.chat_id == player.user.chat_id:
                continue
            last_of_player = entry.chat_id == player.user.chat_id and index == len(entries) - 1
            out.write(render_for_player(entry, world, buttons if last_of_player else []) + "\n")
        out.flush()
        return buttons

    out.write(f"You are the {player.label.lower()} ({player.name}). {HELP}\n")
    buttons = show_new()
    while True:
        out.write("> ")
        out.flush()
        line = await _read_line(stdin)
        if line is None or line.strip().lower() in QUIT_WORDS:
            out.write("Bye.\n")
            return
        text = line.strip()
        if not text:
            continue
        if text == "/next":
            note = await next_prompt(world, athlete)
            if note:
                out.write(note + "\n")
        elif text.isdigit() and buttons:
            number = int(text)
            if not 1 <= number <= len(buttons):
                out.write(f"Choose a button between 1 and {len(buttons)}, or type a message.\n")
                continue
            await world.tap(player, buttons[number - 1])
        else:
            await world.say(player, text)
        buttons = show_new()


async def run_interactive(
    role: str,
    output: Path,
    *,
    keep_db: bool = False,
    stdin: TextIO,
    out: TextIO | None = None,
    lang: str = "en",
) -> Path:
    """Let a person play ``role`` ("athlete" or "clinician"); write the transcript into
    ``output`` when they quit and return its path. Everyone's Telegram app uses ``lang``: the
    bot speaks it (the terminal's own instructions stay English)."""
    import sys

    sink = out or sys.stdout
    world = await open_world(
        script.START,
        zone=script.ZONE,
        admin_telegram_id=script.ADMIN_ID,
        people=script.PEOPLE,
        keep_workdir=keep_db,
        lang=lang,
    )
    try:
        player = await prepare(world, role)
        athlete = world.people[script.ATHLETE_ID]
        await play_interactively(world, player, athlete, stdin, sink)
        output.mkdir(parents=True, exist_ok=True)
        path = output / "transcript.txt"
        with use_language(lang):
            path.write_text(world.recorder.render(), encoding="utf-8")
        if role == "clinician":
            now = world.clock.now()
            with use_language(lang):
                _write_outputs(world, now, output)
    finally:
        await world.close()
    sink.write(f"Transcript: {path}\n")
    if keep_db:
        sink.write(_("Database kept:    {path}").format(path=world.database_path) + "\n")
    return path


def _write_outputs(world: DemoWorld, now: dt.datetime, output: Path) -> None:
    """Write the transcript, chart and report of a clinician's session (current language)."""
    write_outputs(
        world.runtime.engine,
        athlete_telegram_id=script.ATHLETE_ID,
        now=now,
        today=now.astimezone(script.ZONE).date(),
        transcript=world.recorder.render(),
        folder=output,
    )
