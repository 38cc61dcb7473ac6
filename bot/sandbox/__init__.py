"""A local Telegram Bot API sandbox: a fake server plus simulated users, for tests and the demo."""

from bot.sandbox.server import DEFAULT_TOKEN, BotApiSandbox, SandboxError
from bot.sandbox.state import ApiCall, CallbackAnswer, SentFile, TranscriptMessage
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
