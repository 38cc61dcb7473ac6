"""Render a sandbox chat as plain terminal text: who said what, buttons as [labels]."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from bot.sandbox.state import TranscriptMessage

_WIDTH = 78


def format_message(
    message: TranscriptMessage, *, user_name: str = "User", bot_name: str = "Bot"
) -> str:
    """Return one message as lines prefixed with its sender, then its buttons."""
    name = bot_name if message.sender == "bot" else user_name
    arrow = "<" if message.sender == "bot" else ">"
    prefix = f"{name[:12]:>12} {arrow} "
    indent = " " * len(prefix)
    body = _body(message)
    lines: list[str] = []
    for index, paragraph in enumerate(body.splitlines() or [""]):
        wrapped = textwrap.wrap(paragraph, width=_WIDTH - len(prefix)) or [""]
        for line_number, line in enumerate(wrapped):
            lead = prefix if index == 0 and line_number == 0 else indent
            lines.append(f"{lead}{line}".rstrip())
    for row in message.buttons:
        lines.append(indent + " ".join(f"[{label}]" for label in row))
    if message.reply_keyboard:
        keys = " | ".join(" ".join(f"({label})" for label in row) for row in message.reply_keyboard)
        lines.append(f"{indent}keyboard: {keys}")
    if message.removes_keyboard:
        lines.append(f"{indent}(keyboard removed)")
    return "\n".join(lines)


def format_transcript(
    messages: Iterable[TranscriptMessage], *, user_name: str = "User", bot_name: str = "Bot"
) -> str:
    """Return the messages, in order, as terminal text (one block per message)."""
    return "\n".join(
        format_message(message, user_name=user_name, bot_name=bot_name) for message in messages
    )


def _body(message: TranscriptMessage) -> str:
    edited = " (edited)" if message.edited else ""
    if message.kind == "text":
        return (message.text or "") + edited
    if message.kind == "document":
        name = message.file.filename if message.file and message.file.filename else "file"
        size = f", {message.file.size} bytes" if message.file else ""
        caption = f"\n{message.text}" if message.text else ""
        return f"[document: {name}{size}]{caption}{edited}"
    if message.kind == "photo":
        caption = f"\n{message.text}" if message.text else ""
        return f"[photo]{caption}{edited}"
    return f"[{message.kind}: {message.text or ''}]"
