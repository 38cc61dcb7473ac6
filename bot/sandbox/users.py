"""Simulated Telegram users: they write to the bot, press its buttons and read its replies."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.sandbox.formatting import utf16_len
from bot.sandbox.state import (
    CallbackAnswer,
    SandboxError,
    SentFile,
    StoredFile,
    TranscriptMessage,
    photo_sizes,
)
from bot.sandbox.transcript import format_transcript

if TYPE_CHECKING:
    from bot.sandbox.server import BotApiSandbox

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")
# A 1x1 transparent PNG: what send_photo uploads unless the test gives its own bytes.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class NoReplyError(AssertionError):
    """The bot did not answer as the test expected within the time allowed."""


class SimUser:
    """One Telegram user in a private chat with the bot (chat id == user id).

    Every action (send, press, ...) starts a new "turn": wait_reply() returns the bot
    messages sent or edited in this chat since the latest action.
    """

    def __init__(self, sandbox: BotApiSandbox, user_id: int) -> None:
        self.sandbox = sandbox
        self.user_id = user_id
        self.chat_id = user_id
        self._mark = sandbox.seq
        self._last_update_id = 0
        self._last_action = "(no action yet)"
        self._last_query_id: str | None = None

    # ----------------------------------------------------------------- identity

    @property
    def user_json(self) -> dict[str, Any]:
        """Return the Telegram User object of this user."""
        return dict(self.sandbox.chats[self.chat_id].user)

    @property
    def first_name(self) -> str:
        """Return the user's first name."""
        return str(self.user_json["first_name"])

    # ----------------------------------------------------------------- actions

    async def send(
        self, text: str, *, reply_to: TranscriptMessage | None = None
    ) -> TranscriptMessage:
        """Send a text message; a leading /command gets its bot_command entity ("/start CODE"
        is a deep link with payload CODE)."""
        if not text:
            raise SandboxError("Telegram clients cannot send an empty message")
        content: dict[str, Any] = {"text": text}
        match = _COMMAND_RE.match(text)
        if match:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}
            ]
        return self._send_content("text", content, text, reply_to=reply_to)

    async def press(
        self, label_or_callback_data: str, message: TranscriptMessage | int | None = None
    ) -> TranscriptMessage:
        """Press the inline button labelled (or with callback_data) ``label_or_callback_data``
        on the latest bot message showing it, or on ``message``; return the message pressed."""
        target, button = self._find_button(label_or_callback_data, message)
        if "callback_data" not in button:
            raise SandboxError(
                f"button {button.get('text')!r} does not send a callback (it is "
                f"{', '.join(k for k in button if k != 'text')}); it cannot be pressed here"
            )
        self._push_callback(target, str(button["callback_data"]), f"pressed [{button.get('text')}]")
        return target

    async def press_data(self, callback_data: str, message: TranscriptMessage | int) -> None:
        """Send a callback query carrying ``callback_data`` for ``message`` of this chat even if
        no button shows it: a stale keyboard from an older bot version, or a modified client.
        The bot's answer, if any, is in last_callback_answer once wait_reply/expect_no_reply
        has returned."""
        message_id = message if isinstance(message, int) else message.message_id
        target = self.sandbox.chats[self.chat_id].message(message_id)
        if target is None or target.sender != "bot":
            raise SandboxError(f"chat {self.chat_id} has no bot message {message_id} to press on")
        self._push_callback(target, callback_data, f"pressed data {callback_data!r}")

    async def send_document(
        self,
        filename: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        reported_size: int | None = None,
    ) -> TranscriptMessage:
        """Send a file as a document (the bot can fetch it with getFile and download it).

        ``reported_size`` is the size the message claims, as a modified client can make it
        (by default the true size); getFile and the download always hold the real bytes."""
        stored = self.sandbox.store_file(
            data,
            filename=filename,
            mime_type=mime_type or _guess_mime(filename),
            folder="documents",
        )
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": filename,
            "file_size": stored.size if reported_size is None else reported_size,
        }
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return self._send_content("document", content, caption, file=stored)

    async def send_photo(
        self, data: bytes = TINY_PNG, *, caption: str | None = None
    ) -> TranscriptMessage:
        """Send a photo (a tiny PNG unless ``data`` is given)."""
        stored = self.sandbox.store_file(
            data, filename=None, mime_type="image/jpeg", folder="photos"
        )
        content: dict[str, Any] = {"photo": photo_sizes(stored)}
        if caption:
            content["caption"] = caption
        return self._send_content("photo", content, caption, file=stored)

    async def send_sticker(self, emoji: str = "\N{THUMBS UP SIGN}") -> TranscriptMessage:
        """Send a regular sticker showing ``emoji``."""
        stored = self.sandbox.store_file(b"RIFFsticker", filename=None, mime_type="image/webp",
                                         folder="stickers")  # fmt: skip
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._send_content("sticker", {"sticker": sticker}, emoji)

    async def send_location(self, latitude: float, longitude: float) -> TranscriptMessage:
        """Share a location."""
        content = {"location": {"latitude": latitude, "longitude": longitude}}
        return self._send_content("location", content, f"({latitude}, {longitude})")

    async def send_contact(
        self, phone_number: str, first_name: str | None = None, *, own: bool = True
    ) -> TranscriptMessage:
        """Share a contact: by default the user's own (user_id set, as the share button does)."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
        }
        if own:
            contact["user_id"] = self.user_id
        return self._send_content("contact", {"contact": contact}, phone_number)

    async def block_bot(self) -> None:
        """Block the bot: it gets a my_chat_member update ("kicked") and from then on every
        call to this chat fails with 403 "bot was blocked by the user"."""
        self.sandbox.block_user(self.chat_id)
        self._member_change("member", "kicked")

    async def unblock_bot(self) -> None:
        """Unblock the bot (restart it): it gets a my_chat_member update ("member")."""
        self.sandbox.unblock_user(self.chat_id)
        self._member_change("kicked", "member")

    # ----------------------------------------------------------------- waiting for the bot

    async def wait_reply(self, timeout: float = 5.0) -> list[TranscriptMessage]:
        """Return the bot messages sent or edited in this chat since the latest action, once the
        bot has processed that action; wait up to ``timeout`` s for at least one."""
        return await self.wait_until(bool, timeout=timeout, describe="reply")

    async def wait_until(
        self,
        predicate: Callable[[list[TranscriptMessage]], object],
        timeout: float = 5.0,
        *,
        describe: str = "the expected messages",
    ) -> list[TranscriptMessage]:
        """Return the bot messages since the latest action once ``predicate(messages)`` holds;
        raise NoReplyError with the transcript if it does not within ``timeout`` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._last_update_id and not await self.sandbox.settle(self._last_update_id, deadline):
            raise NoReplyError(
                f"the bot did not process {self._last_action!r} of user {self.user_id} within "
                f"{timeout}s (is it running and polling this sandbox?)\n{self.format_transcript()}"
            )
        while True:
            messages = self.messages_since_action()
            if predicate(messages):
                return messages
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise NoReplyError(
                    f"no {describe} from the bot within {timeout}s after {self._last_action!r} "
                    f"of user {self.user_id}; transcript:\n{self.format_transcript()}"
                )
            await self.sandbox.wait_for_change(remaining)

    async def expect_no_reply(self, timeout: float = 5.0) -> None:
        """Assert that the bot processed the latest action without writing to this chat."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._last_update_id and not await self.sandbox.settle(self._last_update_id, deadline):
            raise NoReplyError(f"the bot did not process {self._last_action!r} within {timeout}s")
        messages = self.messages_since_action()
        if messages:
            raise AssertionError(
                f"expected no reply to {self._last_action!r}, got:\n"
                f"{format_transcript(messages, user_name=self.first_name)}"
            )

    def messages_since_action(self) -> list[TranscriptMessage]:
        """Return the bot messages sent or edited since the latest action (not deleted ones)."""
        return [
            message
            for message in self.sandbox.transcript(self.chat_id)
            if message.sender == "bot" and message.changed_seq > self._mark
        ]

    # ----------------------------------------------------------------- reading the chat

    @property
    def transcript(self) -> list[TranscriptMessage]:
        """Return every message of the chat in order, edits applied, deleted ones left out."""
        return self.sandbox.transcript(self.chat_id)

    @property
    def bot_messages(self) -> list[TranscriptMessage]:
        """Return the bot's messages in this chat, oldest first."""
        return [message for message in self.transcript if message.sender == "bot"]

    @property
    def last_bot_message(self) -> TranscriptMessage:
        """Return the bot's latest message in this chat."""
        messages = self.bot_messages
        if not messages:
            raise NoReplyError(f"the bot has not written to user {self.user_id} yet")
        return messages[-1]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Return the reply keyboard currently shown (rows of labels), or None."""
        return self.sandbox.chats[self.chat_id].reply_keyboard

    @property
    def documents(self) -> list[SentFile]:
        """Return the documents the bot sent to this user, with their bytes."""
        return self.sandbox.sent_documents(self.chat_id)

    @property
    def photos(self) -> list[SentFile]:
        """Return the photos the bot sent to this user, with their bytes."""
        return self.sandbox.sent_photos(self.chat_id)

    @property
    def chat_actions(self) -> list[str]:
        """Return the chat actions ("typing", ...) the bot showed, oldest first."""
        return list(self.sandbox.chats[self.chat_id].chat_actions)

    @property
    def last_callback_answer(self) -> CallbackAnswer | None:
        """Return the bot's answer to this user's latest button press, if it answered."""
        if self._last_query_id is None:
            return None
        return self.sandbox.callback_answers.get(self._last_query_id)

    @property
    def commands(self) -> list[str]:
        """Return the command names in the menu this user sees (most specific scope)."""
        return [c["command"] for c in self.sandbox.commands_for_chat(self.chat_id)]

    def format_transcript(self) -> str:
        """Return the chat as terminal text (who said what, buttons as [labels])."""
        return format_transcript(
            self.transcript, user_name=self.first_name, bot_name=self.sandbox.bot_first_name
        )

    # ----------------------------------------------------------------- internals

    def _begin(self, action: str) -> None:
        self._mark = self.sandbox.seq
        self._last_action = action

    def _push_callback(self, target: TranscriptMessage, data: str, action: str) -> None:
        query_id = self.sandbox.open_callback_query(self.chat_id)
        self._last_query_id = query_id
        payload = {
            "id": query_id,
            "from": self.user_json,
            "message": dict(target.raw),
            "chat_instance": f"{self.chat_id}{self.sandbox.bot_id}",
            "data": data,
        }
        self._begin(action)
        self._last_update_id = self.sandbox.push_update("callback_query", payload)

    def _member_change(self, old: str, new: str) -> None:
        chat = self.sandbox.chats[self.chat_id]
        bot_user = self.sandbox.bot_user()

        def member(status: str) -> dict[str, Any]:
            return {
                "status": status,
                "user": bot_user,
                **({"until_date": 0} if status == "kicked" else {}),
            }

        payload = {
            "chat": chat.chat_json(),
            "from": self.user_json,
            "date": int(self.sandbox.now().timestamp()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        self._begin("blocked the bot" if new == "kicked" else "unblocked the bot")
        self._last_update_id = self.sandbox.push_update("my_chat_member", payload)

    def _send_content(
        self,
        kind: str,
        content: dict[str, Any],
        text: str | None,
        *,
        reply_to: TranscriptMessage | None = None,
        file: StoredFile | None = None,
    ) -> TranscriptMessage:
        chat = self.sandbox.chats[self.chat_id]
        now = self.sandbox.now()
        raw: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "date": int(now.timestamp()),
            "chat": chat.chat_json(),
            "from": self.user_json,
            **content,
        }
        if reply_to is not None:
            raw["reply_to_message"] = dict(reply_to.raw)
        self._begin(text if kind == "text" and text else f"sent a {kind}")
        seq = self.sandbox.next_seq()
        message = TranscriptMessage(
            chat_id=self.chat_id,
            message_id=raw["message_id"],
            sender="user",
            date=now,
            kind=kind,
            text=text,
            raw=raw,
            sent_seq=seq,
            changed_seq=seq,
            file=file,
        )
        self._mark = seq
        self.sandbox.add_message(message)
        self._last_update_id = self.sandbox.push_update("message", raw)
        return message

    def _find_button(
        self, wanted: str, message: TranscriptMessage | int | None
    ) -> tuple[TranscriptMessage, dict[str, Any]]:
        candidates = [m for m in self.bot_messages if m.inline_keyboard]
        if message is not None:
            message_id = message if isinstance(message, int) else message.message_id
            candidates = [m for m in candidates if m.message_id == message_id]
        for candidate in reversed(candidates):
            button = candidate.find_button(wanted)
            if button is not None:
                return candidate, button
        on_offer = [
            f"message {m.message_id} {_short(m.text)}: "
            + " ".join(f"[{label}]" for label in m.button_labels)
            for m in candidates[-3:]
        ]
        shown = "\n  ".join(on_offer) if on_offer else "(no inline buttons are shown)"
        raise SandboxError(
            f"user {self.user_id} cannot press {wanted!r}: no such button. On offer:\n  {shown}"
        )


def _short(text: str | None) -> str:
    if not text:
        return "''"
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _guess_mime(filename: str) -> str | None:
    lowered = filename.lower()
    for suffix, mime in (
        (".yaml", "application/x-yaml"),
        (".yml", "application/x-yaml"),
        (".json", "application/json"),
        (".csv", "text/csv"),
        (".txt", "text/plain"),
        (".pdf", "application/pdf"),
        (".png", "image/png"),
    ):
        if lowered.endswith(suffix):
            return mime
    return None
