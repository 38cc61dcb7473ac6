"""A local Telegram Bot API sandbox: a fake server plus simulated users, for tests and the demo.

A separate tool, not part of the product: only ``bot.demo`` and the tests import it (checked
by ``lint-imports``). It imports nothing from the product but ``bot.clock``.
"""

from bot.sandbox.server import DEFAULT_TOKEN, BotApiSandbox
from bot.sandbox.state import ApiCall, CallbackAnswer, SandboxError, SentFile, TranscriptMessage
from bot.sandbox.transcript import format_message, format_transcript
from bot.sandbox.users import NoReplyError, SimUser

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "BotApiSandbox",
    "CallbackAnswer",
    "NoReplyError",
    "SandboxError",
    "SentFile",
    "SimUser",
    "TranscriptMessage",
    "format_message",
    "format_transcript",
]
