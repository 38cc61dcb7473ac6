"""The demo transcript: every user action and bot message of every chat, in the order they
happened, rendered as "[day N HH:MM] Athlete → bot: ..." lines with buttons as [labels]."""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

from bot.sandbox import BotApiSandbox, TranscriptMessage

WIDTH = 100
# Continuation lines start here, under the first word a bot or user said.
INDENT = 28
EntryKind = Literal["user", "bot", "edit", "toast", "note"]


@dataclass(frozen=True)
class Entry:
    """One line of the story: who, when (UTC), what, and the buttons shown with it."""

    at: dt.datetime
    kind: EntryKind
    chat_id: int | None
    text: str
    buttons: tuple[tuple[str, ...], ...] = ()


@dataclass
class Recorder:
    """Collects the entries; ``collect`` picks up what the bot sent or edited since last time."""

    start: dt.datetime
    zone: ZoneInfo
    entries: list[Entry] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)
    seen_seq: int = 0

    def name_chat(self, chat_id: int, label: str) -> None:
        """Show the chat of ``chat_id`` as ``label`` ("Athlete", "Clinician", ...)."""
        self.labels[chat_id] = label

    def note(self, text: str, at: dt.datetime) -> None:
        """Add a narrator line (a new day, a time jump) to the story."""
        self.entries.append(Entry(at=at, kind="note", chat_id=None, text=text))

    def user_action(self, chat_id: int, text: str, at: dt.datetime) -> None:
        """Record that the user of ``chat_id`` typed ``text`` or pressed a [button]."""
        self.entries.append(Entry(at=at, kind="user", chat_id=chat_id, text=text))

    def toast(self, chat_id: int, text: str, at: dt.datetime) -> None:
        """Record the pop-up answer the bot gave to a button press."""
        self.entries.append(Entry(at=at, kind="toast", chat_id=chat_id, text=text))

    def collect(self, sandbox: BotApiSandbox, at: dt.datetime) -> list[Entry]:
        """Record the bot's messages sent or edited in any chat since the last call, oldest
        first; return the new entries."""
        changed: list[TranscriptMessage] = []
        for chat_id in sandbox.chats:
            changed.extend(
                message
                for message in sandbox.transcript(chat_id)
                if message.sender == "bot" and message.changed_seq > self.seen_seq
            )
        changed.sort(key=lambda message: message.changed_seq)
        new: list[Entry] = []
        for message in changed:
            kind: EntryKind = "edit" if message.sent_seq <= self.seen_seq else "bot"
            new.append(
                Entry(
                    at=at,
                    kind=kind,
                    chat_id=message.chat_id,
                    text=message_body(message),
                    buttons=tuple(tuple(row) for row in message.buttons),
                )
            )
        self.seen_seq = max([self.seen_seq, sandbox.seq])
        self.entries.extend(new)
        return new

    def who(self, chat_id: int | None) -> str:
        """Return the label of ``chat_id``'s user."""
        if chat_id is None:
            return ""
        return self.labels.get(chat_id, f"user {chat_id}")

    def stamp(self, at: dt.datetime) -> str:
        """Return "[day N HH:MM]" for ``at``: day 1 is the day the demo starts (local time)."""
        local = at.astimezone(self.zone)
        day = (local.date() - self.start.astimezone(self.zone).date()).days + 1
        return f"[day {day} {local:%H:%M}]"

    def render(self, width: int = WIDTH) -> str:
        """Return the whole story as text."""
        return "\n".join(render_entry(entry, self, width) for entry in self.entries) + "\n"


def message_body(message: TranscriptMessage) -> str:
    """Return what a user sees of a bot message (text, or the file it carries)."""
    if message.kind == "text":
        return message.text or ""
    name = message.file.filename if message.file and message.file.filename else message.kind
    caption = f" {message.text}" if message.text else ""
    return f"[{message.kind}: {name}]{caption}"


def render_entry(entry: Entry, recorder: Recorder, width: int = WIDTH) -> str:
    """Return one entry as wrapped lines with a hanging indent under the speaker."""
    stamp = recorder.stamp(entry.at)
    who = recorder.who(entry.chat_id)
    if entry.kind == "note":
        return f"\n{stamp} ── {entry.text} ──"
    head = {
        "user": f"{stamp} {who} → bot: ",
        "bot": f"{stamp} bot → {who}: ",
        "edit": f"{stamp} bot → {who} (updates its message): ",
        "toast": f"{stamp} bot → {who} (pop-up): ",
    }[entry.kind]
    indent = " " * INDENT
    lines: list[str] = []
    paragraphs = entry.text.splitlines() or [""]
    for index, paragraph in enumerate(paragraphs):
        if index > 0 and not paragraph.strip():
            continue
        lead = head if index == 0 else indent
        wrapped = textwrap.wrap(
            paragraph,
            width=width,
            initial_indent=lead,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )
        lines.extend(wrapped or [lead.rstrip()])
    labels = [f"[{label}]" for row in entry.buttons for label in row]
    lines.extend(pack(labels, indent, width))
    return "\n".join(line.rstrip() for line in lines)


def pack(items: list[str], indent: str, width: int) -> list[str]:
    """Return ``items`` laid out in lines of at most ``width`` characters (an item longer than
    a line gets one to itself), each line starting with ``indent``; items are never split."""
    lines: list[str] = []
    current = ""
    for item in items:
        if current and len(indent) + len(current) + 1 + len(item) > width:
            lines.append(indent + current)
            current = item
        else:
            current = f"{current} {item}" if current else item
    if current:
        lines.append(indent + current)
    return lines
