"""What the Bot API sandbox remembers: chats and their messages, files, calls, planned failures."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Sender = Literal["user", "bot"]


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional response parameters."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        """Return the body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class SandboxError(Exception):
    """A test or demo used the sandbox wrongly (e.g. pressed a button that is not shown)."""


def bad_request(reason: str) -> ApiError:
    """Return a 400 error worded like Telegram's ("Bad Request: <reason>")."""
    return ApiError(400, f"Bad Request: {reason}")


@dataclass
class StoredFile:
    """A file known to the sandbox: uploaded by the bot or sent by a simulated user."""

    file_id: str
    file_unique_id: str
    data: bytes
    filename: str | None
    mime_type: str | None
    file_path: str

    @property
    def size(self) -> int:
        """Return the size in bytes."""
        return len(self.data)


@dataclass
class SentFile:
    """A photo or document the bot sent to a chat, with the bytes it uploaded."""

    kind: Literal["photo", "document"]
    chat_id: int
    message_id: int
    data: bytes
    filename: str | None
    mime_type: str | None
    caption: str | None


@dataclass
class TranscriptMessage:
    """One message of a chat as the user sees it now (edits applied, deletion flagged)."""

    chat_id: int
    message_id: int
    sender: Sender
    date: dt.datetime
    kind: str
    text: str | None
    raw: dict[str, Any]
    inline_keyboard: list[list[dict[str, Any]]] = field(default_factory=list)
    reply_keyboard: list[list[str]] | None = None
    removes_keyboard: bool = False
    force_reply: bool = False
    parse_mode: str | None = None
    edited: bool = False
    deleted: bool = False
    sent_seq: int = 0
    changed_seq: int = 0
    file: StoredFile | None = None

    @property
    def buttons(self) -> list[list[str]]:
        """Return the inline keyboard as rows of button labels."""
        return [[str(button.get("text", "")) for button in row] for row in self.inline_keyboard]

    @property
    def button_labels(self) -> list[str]:
        """Return every inline button label, row by row."""
        return [label for row in self.buttons for label in row]

    @property
    def callback_data(self) -> list[str]:
        """Return the callback_data of every inline button that has one."""
        return [
            str(button["callback_data"])
            for row in self.inline_keyboard
            for button in row
            if "callback_data" in button
        ]

    def find_button(self, label_or_data: str) -> dict[str, Any] | None:
        """Return the inline button whose label or callback_data equals ``label_or_data``."""
        for row in self.inline_keyboard:
            for button in row:
                if button.get("text") == label_or_data:
                    return button
        for row in self.inline_keyboard:
            for button in row:
                if button.get("callback_data") == label_or_data:
                    return button
        return None


@dataclass
class ChatState:
    """A private chat between one simulated user and the bot."""

    user: dict[str, Any]
    messages: list[TranscriptMessage] = field(default_factory=list)
    next_message_id: int = 1
    blocked: bool = False
    reply_keyboard: list[list[str]] | None = None
    chat_actions: list[str] = field(default_factory=list)
    # Set (and replaced) whenever the bot calls a method for this chat: a test waiting on
    # one chat among thousands wakes only for it.
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def chat_id(self) -> int:
        """Return the chat id, which equals the user id in a private chat."""
        return int(self.user["id"])

    def chat_json(self) -> dict[str, Any]:
        """Return the Chat object Telegram puts into messages of this chat."""
        chat: dict[str, Any] = {"id": self.chat_id, "type": "private"}
        for key in ("first_name", "last_name", "username"):
            if self.user.get(key):
                chat[key] = self.user[key]
        return chat

    def take_message_id(self) -> int:
        """Return the next message id of this chat (Telegram numbers per private chat)."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def message(self, message_id: int) -> TranscriptMessage | None:
        """Return the message with ``message_id``, or None if it never existed."""
        for message in self.messages:
            if message.message_id == message_id:
                return message
        return None


@dataclass
class ApiCall:
    """One request the bot made to the sandbox, as decoded, and how it was answered."""

    method: str
    params: dict[str, Any]
    at: dt.datetime
    monotonic: float
    status: int = 200
    result: Any = None
    error: str | None = None
    # Which client made the call, when it used a tagged base URL (``BotApiSandbox.base_url_for``).
    via: str | None = None

    @property
    def chat_id(self) -> int | None:
        """Return the chat_id parameter as an int, if the call had one."""
        value = self.params.get("chat_id")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None


@dataclass
class PlannedFailure:
    """A failure the next matching call will get instead of (or before) its normal answer."""

    method: str | None
    chat_id: int | None
    status: int | None
    description: str | None
    retry_after: int | None
    delay: float
    remaining: int

    def matches(self, method: str, chat_id: int | None) -> bool:
        """Say whether a call of ``method`` to ``chat_id`` should get this failure.

        A failure planned for any method (None) spares getUpdates, so that it hits what the
        bot sends rather than its polling loop; plan one for "getUpdates" to hit polling.
        """
        if self.method is None and method.lower() == "getupdates":
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass
class WebhookState:
    """The webhook the bot registered with setWebhook, and how delivery to it went."""

    url: str
    secret_token: str | None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivery_statuses: list[int] = field(default_factory=list)


@dataclass
class CallbackAnswer:
    """What the bot answered to a button press (answerCallbackQuery)."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None


def photo_sizes(stored: StoredFile) -> list[dict[str, Any]]:
    """Return the PhotoSize list Telegram reports for an uploaded photo (one size here)."""
    return [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": 640,
            "height": 480,
            "file_size": stored.size,
        }
    ]
