"""A local fake of the Telegram Bot API, served over HTTP on 127.0.0.1 by tornado.

The real python-telegram-bot Application talks to it exactly as it talks to Telegram (polling
with getUpdates or a webhook), while tests and the demo play users through ``sandbox.user(...)``.

Why one module of ~1,100 lines: it is one HTTP server whose every Bot API method reads and
writes the same per-chat state; the pieces that stand alone are already apart (``state``,
``params``, ``markup``, ``formatting``, ``users``, ``transcript``, ``runner``). It is a test
tool, not part of the product.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import re
import socket
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import httpx
import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

from bot.clock import Clock, SystemClock
from bot.sandbox.formatting import parse_text, utf16_len
from bot.sandbox.markup import Markup, parse_markup
from bot.sandbox.params import decode_form, decode_json_body, int_param
from bot.sandbox.state import (
    ApiCall,
    ApiError,
    CallbackAnswer,
    ChatState,
    PlannedFailure,
    SandboxError,
    SentFile,
    StoredFile,
    TranscriptMessage,
    WebhookState,
    bad_request,
    photo_sizes,
)
from bot.sandbox.users import SimUser

_LOGGER = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:SANDBOX-token"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_DEFAULT_FAILURE_TEXT = {
    400: "Bad Request: injected failure",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: injected failure",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
_UPDATE_KINDS = ("message", "edited_message", "callback_query", "my_chat_member")

Handler = Callable[[dict[str, Any], dict[str, StoredFile]], Awaitable[Any]]


class BotApiSandbox:
    """A running fake Bot API: chats, files, commands, webhook, recorded calls, planned failures."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "sprintback_sandbox_bot",
        bot_first_name: str = "Sprintback",
        clock: Clock | None = None,
        webhook_retry_delay: float = 0.2,
        webhook_delivery: bool = True,
    ) -> None:
        if not _TOKEN_RE.match(token):
            raise ValueError(f"token {token!r} does not look like a bot token (digits:secret)")
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.clock: Clock = clock or SystemClock()
        self.webhook_retry_delay = webhook_retry_delay
        # False: the sandbox never posts updates to the webhook itself; the test takes them
        # (take_updates) and delivers them where it wants (several replicas behind a proxy).
        self.webhook_delivery = webhook_delivery
        self.calls: list[ApiCall] = []
        self.chats: dict[int, ChatState] = {}
        self.files: dict[str, StoredFile] = {}
        self.sent_files: list[SentFile] = []
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.webhook: WebhookState | None = None
        self.confirmed_update_id = 0
        self._commands: dict[tuple[str, int | None, int | None, str], list[dict[str, str]]] = {}
        self._pending: list[dict[str, Any]] = []
        self._next_update_id = 1000
        self._next_file_number = 1
        self._seq = 0
        self._failures: list[PlannedFailure] = []
        self._allowed_updates: list[str] | None = None
        self._open_callback_queries: dict[str, int] = {}
        self._event = asyncio.Event()
        self._poll_generation = 0
        self._closing = False
        self._server: tornado.httpserver.HTTPServer | None = None
        self._port: int | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None
        self._watched_queue: asyncio.Queue[object] | None = None
        self._users: dict[int, SimUser] = {}
        self._handlers: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._true,
                "close": self._true,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setMyDescription": self._true,
                "setMyShortDescription": self._true,
                "setChatMenuButton": self._true,
                "sendChatAction": self._send_chat_action,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "getFile": self._get_file,
            }.items()
        }

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> BotApiSandbox:
        """Start serving on an ephemeral port of 127.0.0.1 and return self."""
        app = tornado.web.Application(
            [
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"sandbox": self}),
                (r"/bot([^/]+)/([A-Za-z]+)/?", _ApiHandler, {"sandbox": self}),
                (
                    r"/via/([A-Za-z0-9_-]+)/bot([^/]+)/([A-Za-z]+)/?",
                    _TaggedApiHandler,
                    {"sandbox": self},
                ),
            ],
            log_function=lambda handler: None,
        )
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
        self._port = sockets[0].getsockname()[1]
        self._server = tornado.httpserver.HTTPServer(app, max_buffer_size=60 * 1024 * 1024)
        self._server.add_sockets(sockets)
        self._closing = False
        return self

    async def stop(self) -> None:
        """Stop serving, wake any waiting long poll and stop webhook delivery."""
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> BotApiSandbox:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """Return the TCP port the sandbox listens on."""
        if self._port is None:
            raise SandboxError("the sandbox is not started; await sandbox.start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """Return the value for ApplicationBuilder.base_url (the token is appended)."""
        return f"http://127.0.0.1:{self.port}/bot"

    def base_url_for(self, tag: str) -> str:
        """Return a base URL whose calls are recorded with ``via=tag`` (tell replicas apart)."""
        return f"http://127.0.0.1:{self.port}/via/{tag}/bot"

    @property
    def base_file_url(self) -> str:
        """Return the value for ApplicationBuilder.base_file_url."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ----------------------------------------------------------------- control API for tests

    def user(
        self,
        user_id: int,
        first_name: str = "Alex",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> SimUser:
        """Return a simulated user with a private chat to the bot (created on first call)."""
        if user_id not in self.chats:
            user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
            if last_name:
                user["last_name"] = last_name
            if username:
                user["username"] = username
            if language_code:
                user["language_code"] = language_code
            self.chats[user_id] = ChatState(user=user)
        if user_id not in self._users:
            self._users[user_id] = SimUser(self, user_id)
        return self._users[user_id]

    def fail_next(
        self,
        method: str | None,
        *,
        status: int = 500,
        retry_after: int | None = None,
        description: str | None = None,
        chat_id: int | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (any but getUpdates if None), only
        those to ``chat_id`` if given, fail with ``status`` after waiting ``delay`` seconds.

        429 carries parameters.retry_after (default 1 s), as Telegram's flood control does.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        self._failures.append(
            PlannedFailure(method, chat_id, status, description, retry_after, delay, times)
        )

    def slow_next(
        self, method: str | None, *, delay: float, chat_id: int | None = None, times: int = 1
    ) -> None:
        """Delay the next ``times`` matching calls by ``delay`` seconds, then answer normally
        (the call takes effect, as when Telegram is slow but the message still goes out)."""
        self._failures.append(PlannedFailure(method, chat_id, None, None, None, delay, times))

    def block_user(self, chat_id: int) -> None:
        """Make every call addressed to ``chat_id`` fail with 403 "bot was blocked by the user"."""
        self._chat_state(chat_id).blocked = True

    def unblock_user(self, chat_id: int) -> None:
        """Let the bot write to ``chat_id`` again."""
        self._chat_state(chat_id).blocked = False

    def calls_to(self, method: str, *, chat_id: int | None = None) -> list[ApiCall]:
        """Return the recorded calls of ``method`` (case-insensitive), optionally to one chat."""
        return [
            call
            for call in self.calls
            if call.method.lower() == method.lower()
            and (chat_id is None or call.chat_id == chat_id)
        ]

    def transcript(self, chat_id: int) -> list[TranscriptMessage]:
        """Return the messages of a chat as the user sees them now (deleted ones left out)."""
        return [message for message in self._chat_state(chat_id).messages if not message.deleted]

    def sent_documents(self, chat_id: int | None = None) -> list[SentFile]:
        """Return the documents the bot uploaded, with their bytes, oldest first."""
        return [
            sent
            for sent in self.sent_files
            if sent.kind == "document" and (chat_id is None or sent.chat_id == chat_id)
        ]

    def sent_photos(self, chat_id: int | None = None) -> list[SentFile]:
        """Return the photos the bot uploaded, with their bytes, oldest first."""
        return [
            sent
            for sent in self.sent_files
            if sent.kind == "photo" and (chat_id is None or sent.chat_id == chat_id)
        ]

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """Return the command list set for exactly ``scope`` (default scope if None)."""
        return list(self._commands.get(self._scope_key(scope, language_code), []))

    def commands_for_chat(self, chat_id: int, language_code: str = "") -> list[dict[str, str]]:
        """Return the commands a private chat's user sees: the most specific scope that is set."""
        for scope in (
            {"type": "chat", "chat_id": chat_id},
            {"type": "all_private_chats"},
            {"type": "default"},
        ):
            for language in dict.fromkeys((language_code, "")):
                key = self._scope_key(scope, language)
                if key in self._commands:
                    return list(self._commands[key])
        return []

    def pending_updates(self) -> list[dict[str, Any]]:
        """Return the updates not yet confirmed by the bot."""
        return list(self._pending)

    def take_updates(self) -> list[dict[str, Any]]:
        """Remove and return the updates waiting for delivery (for a test that delivers them
        itself, with ``webhook_delivery=False``); they count as confirmed."""
        taken, self._pending = self._pending, []
        if taken:
            self.confirmed_update_id = max(self.confirmed_update_id, taken[-1]["update_id"])
        return taken

    def watch_application(self, application: Any) -> None:
        """Let users' wait_reply know when ``application`` has finished processing updates.

        Uses the Application's public update_queue: an update is processed once the bot has
        fetched it and the queue has no unfinished item.
        """
        self._watched_queue = application.update_queue

    # ----------------------------------------------------------------- used by SimUser

    def now(self) -> dt.datetime:
        """Return the sandbox clock's current instant."""
        return self.clock.now()

    def next_seq(self) -> int:
        """Return a new sequence number ordering every change in every chat."""
        self._seq += 1
        return self._seq

    @property
    def seq(self) -> int:
        """Return the latest sequence number handed out."""
        return self._seq

    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue an update of ``kind`` for the bot (getUpdates or webhook); return its id."""
        update_id = self._next_update_id
        self._next_update_id += 1
        self._pending.append({"update_id": update_id, kind: payload})
        self._notify()
        self._ensure_webhook_worker()
        return update_id

    def store_file(
        self, data: bytes, *, filename: str | None, mime_type: str | None, folder: str
    ) -> StoredFile:
        """Keep ``data`` as a file the bot can fetch with getFile and download."""
        number = self._next_file_number
        self._next_file_number += 1
        suffix = ""
        if filename and "." in filename:
            suffix = "." + filename.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"SBX{folder[:3].upper()}{number:06d}",
            file_unique_id=f"U{number:06d}",
            data=data,
            filename=filename,
            mime_type=mime_type,
            file_path=f"{folder}/file_{number}{suffix}",
        )
        self.files[stored.file_id] = stored
        return stored

    def open_callback_query(self, chat_id: int) -> str:
        """Return a new callback query id the bot may answer."""
        query_id = f"{self.bot_id}{self.next_seq():08d}"
        self._open_callback_queries[query_id] = chat_id
        return query_id

    def add_message(self, message: TranscriptMessage) -> None:
        """Append ``message`` to its chat's transcript and wake waiters."""
        self._chat_state(message.chat_id).messages.append(message)
        self._notify()

    async def wait_for_change(self, timeout: float) -> bool:
        """Wait until anything changes (a call, an update, a message); False on timeout."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout=max(timeout, 0))
        except TimeoutError:
            return False
        return True

    def _notify_chat(self, chat_id: int | None) -> None:
        chat = self.chats.get(chat_id) if chat_id is not None else None
        if chat is not None:
            event, chat.changed = chat.changed, asyncio.Event()
            event.set()

    async def wait_for_chat(
        self,
        chat_id: int,
        predicate: Callable[[], object],
        timeout: float = 5.0,
        *,
        what: str = "condition",
    ) -> None:
        """Like :meth:`wait_for`, but looks again only when the bot acted in ``chat_id``
        (cheap with thousands of simulated users waiting at once)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        chat = self._chat_state(chat_id)
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"the sandbox did not reach {what} within {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(chat.changed.wait(), remaining)

    async def wait_for(
        self, predicate: Callable[[], object], timeout: float = 5.0, *, what: str = "condition"
    ) -> None:
        """Wait until ``predicate()`` holds (checked after every change in the sandbox);
        raise TimeoutError naming ``what`` if it does not within ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"the sandbox did not reach {what} within {timeout}s")
            await self.wait_for_change(remaining)

    async def settle(self, update_id: int, deadline: float) -> bool:
        """Wait until the bot has fetched ``update_id`` and (if an Application is watched)
        finished processing it; return False if ``deadline`` (loop time) passes first."""
        loop = asyncio.get_running_loop()
        while self.confirmed_update_id < update_id:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await self.wait_for_change(remaining)
        if self._watched_queue is not None:
            try:
                await asyncio.wait_for(
                    self._watched_queue.join(), timeout=max(deadline - loop.time(), 0)
                )
            except TimeoutError:
                return False
        return True

    # ----------------------------------------------------------------- request plumbing

    def _notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    def _chat_state(self, chat_id: int) -> ChatState:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise SandboxError(f"no chat {chat_id}; create the user with sandbox.user(...) first")
        return chat

    async def handle(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        files: dict[str, StoredFile],
        via: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API request: (HTTP status, JSON body)."""
        entry = self._handlers.get(method.lower())
        name = entry[0] if entry else method
        logged_params = dict(params)
        for part, stored in files.items():
            logged_params[part] = {"filename": stored.filename, "size": stored.size}
        call = ApiCall(name, logged_params, self.clock.now(), time.monotonic(), via=via)
        self.calls.append(call)
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            await self._apply_planned_failure(name, call.chat_id)
            if entry is None:
                raise ApiError(404, f"Not Found: method {method} not found")
            result = await entry[1](params, files)
        except ApiError as err:
            call.status, call.error = err.status, err.description
            self._notify()
            return err.status, err.to_json()
        except Exception as err:  # a sandbox bug must show up as a loud 500, not a hang
            _LOGGER.exception("sandbox failed to answer %s", name)
            err = ApiError(500, f"Internal Server Error: sandbox bug {type(err).__name__}: {err}")
            call.status, call.error = err.status, err.description
            self._notify()
            return err.status, err.to_json()
        call.result = result
        self._notify()
        self._notify_chat(call.chat_id)
        return 200, {"ok": True, "result": result}

    async def _apply_planned_failure(self, method: str, chat_id: int | None) -> None:
        for failure in self._failures:
            if failure.remaining > 0 and failure.matches(method, chat_id):
                failure.remaining -= 1
                self._failures = [f for f in self._failures if f.remaining > 0]
                if failure.delay:
                    await asyncio.sleep(failure.delay)
                if failure.status is None:
                    return
                template = failure.description or _DEFAULT_FAILURE_TEXT.get(
                    failure.status, f"Error {failure.status}"
                )
                parameters = (
                    {"retry_after": failure.retry_after}
                    if failure.retry_after is not None
                    else None
                )
                raise ApiError(
                    failure.status,
                    template.format(retry_after=failure.retry_after),
                    parameters,
                )

    def bot_user(self) -> dict[str, Any]:
        """Return the sandbox bot as a Telegram User object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _target_chat(self, params: dict[str, Any]) -> ChatState:
        chat_id = int_param(params, "chat_id")
        assert chat_id is not None
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _bot_message(
        self,
        chat: ChatState,
        *,
        kind: str,
        text: str | None,
        entities: list[dict[str, Any]],
        markup: Markup,
        parse_mode: str | None,
        extra: dict[str, Any] | None = None,
        file: StoredFile | None = None,
    ) -> TranscriptMessage:
        message_id = chat.take_message_id()
        now = self.clock.now()
        raw: dict[str, Any] = {
            "message_id": message_id,
            "date": int(now.timestamp()),
            "chat": chat.chat_json(),
            "from": self.bot_user(),
        }
        text_key, entities_key = (
            ("text", "entities") if kind == "text" else ("caption", "caption_entities")
        )
        if text is not None:
            raw[text_key] = text
            if entities:
                raw[entities_key] = entities
        if extra:
            raw.update(extra)
        inline = markup.inline_json()
        if inline:
            raw["reply_markup"] = inline
        if markup.reply_keyboard is not None:
            chat.reply_keyboard = markup.reply_keyboard
        if markup.remove_keyboard:
            chat.reply_keyboard = None
        seq = self.next_seq()
        message = TranscriptMessage(
            chat_id=chat.chat_id,
            message_id=message_id,
            sender="bot",
            date=now,
            kind=kind,
            text=text,
            raw=raw,
            inline_keyboard=markup.inline_keyboard,
            reply_keyboard=markup.reply_keyboard,
            removes_keyboard=markup.remove_keyboard,
            force_reply=markup.force_reply,
            parse_mode=parse_mode,
            sent_seq=seq,
            changed_seq=seq,
            file=file,
        )
        self.add_message(message)
        return message

    def _visible_text(
        self, params: dict[str, Any], key: str, limit: int, *, required: bool
    ) -> tuple[str | None, list[dict[str, Any]], str | None]:
        raw_text = params.get(key)
        parse_mode = params.get("parse_mode") or None
        if raw_text is None or str(raw_text) == "":
            if required:
                raise bad_request("message text is empty")
            return None, [], parse_mode
        text, entities = parse_text(str(raw_text), parse_mode)
        explicit = params.get("entities" if key == "text" else "caption_entities")
        if explicit:
            entities = list(explicit)
        if required and not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > limit:
            raise bad_request(
                "message is too long" if key == "text" else "message caption is too long"
            )
        return text, entities, parse_mode

    def _editable(self, params: dict[str, Any]) -> tuple[ChatState, TranscriptMessage]:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the sandbox")
        chat = self._target_chat(params)
        message_id = int_param(params, "message_id")
        assert message_id is not None
        message = chat.message(message_id)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if message.sender != "bot":
            raise bad_request("message can't be edited")
        return chat, message

    # ----------------------------------------------------------------- Bot API methods

    async def _true(self, params: dict[str, Any], files: dict[str, StoredFile]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        return {
            **self.bot_user(),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int_param(params, "offset", required=False)
        limit = int_param(params, "limit", required=False) or 100
        timeout = int_param(params, "timeout", required=False) or 0
        if "allowed_updates" in params and params["allowed_updates"] is not None:
            self._allowed_updates = list(params["allowed_updates"]) or None
        if offset is not None:
            self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            ready = self._deliverable()
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._closing:
                return ready[: max(1, min(limit, 100))]
            await self.wait_for_change(remaining)

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            keep = -offset
            dropped = self._pending[:-keep] if keep < len(self._pending) else []
            self._pending = self._pending[len(dropped) :]
            if dropped:
                self.confirmed_update_id = max(self.confirmed_update_id, dropped[-1]["update_id"])
            return
        self._pending = [u for u in self._pending if u["update_id"] >= offset]
        self.confirmed_update_id = max(self.confirmed_update_id, offset - 1)

    def _deliverable(self) -> list[dict[str, Any]]:
        allowed = self._allowed_updates
        if allowed:
            kept = [u for u in self._pending if any(kind in u for kind in allowed)]
            # Telegram never creates updates of kinds the bot did not ask for.
            self._pending = kept
        return list(self._pending)

    async def _set_webhook(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params, files)
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._drop_pending()
        allowed = params.get("allowed_updates")
        if allowed is not None:
            self._allowed_updates = list(allowed) or None
        self.webhook = WebhookState(
            url=url,
            secret_token=str(secret) if secret is not None else None,
            max_connections=int(params.get("max_connections") or 40),
            allowed_updates=self._allowed_updates,
        )
        self._poll_generation += 1  # a waiting getUpdates ends with 409, as on Telegram
        self._ensure_webhook_worker()
        return True

    async def _delete_webhook(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._drop_pending()
        return True

    def _drop_pending(self) -> None:
        if self._pending:
            self.confirmed_update_id = max(self.confirmed_update_id, self._pending[-1]["update_id"])
        self._pending = []

    async def _get_webhook_info(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.allowed_updates:
                info["allowed_updates"] = self.webhook.allowed_updates
            if self.webhook.last_error_date is not None:
                info["last_error_date"] = self.webhook.last_error_date
                info["last_error_message"] = self.webhook.last_error_message
        return info

    async def _send_message(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        chat = self._target_chat(params)
        text, entities, parse_mode = self._visible_text(
            params, "text", MAX_TEXT_LENGTH, required=True
        )
        markup = parse_markup(params.get("reply_markup"))
        message = self._bot_message(
            chat, kind="text", text=text, entities=entities, markup=markup, parse_mode=parse_mode
        )
        return message.raw

    async def _edit_message_text(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        _chat, message = self._editable(params)
        text, entities, parse_mode = self._visible_text(
            params, "text", MAX_TEXT_LENGTH, required=True
        )
        markup = parse_markup(params.get("reply_markup"), inline_only=True)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        if (
            text == message.text
            and entities == message.raw.get("entities", [])
            and markup.inline_keyboard == message.inline_keyboard
        ):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.text = text
        message.raw["text"] = text
        message.raw.pop("entities", None)
        if entities:
            message.raw["entities"] = entities
        message.parse_mode = parse_mode
        self._apply_inline(message, markup)
        return message.raw

    async def _edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, StoredFile]
    ) -> Any:
        _chat, message = self._editable(params)
        markup = parse_markup(params.get("reply_markup"), inline_only=True)
        if markup.inline_keyboard == message.inline_keyboard:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._apply_inline(message, markup)
        return message.raw

    def _apply_inline(self, message: TranscriptMessage, markup: Markup) -> None:
        # Editing without reply_markup removes the inline keyboard, as on Telegram.
        message.inline_keyboard = markup.inline_keyboard
        message.raw.pop("reply_markup", None)
        inline = markup.inline_json()
        if inline:
            message.raw["reply_markup"] = inline
        message.edited = True
        message.raw["edit_date"] = int(self.clock.now().timestamp())
        message.changed_seq = self.next_seq()
        self._notify()

    async def _delete_message(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        chat = self._target_chat(params)
        message_id = int_param(params, "message_id")
        assert message_id is not None
        message = chat.message(message_id)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        message.changed_seq = self.next_seq()
        return True

    async def _answer_callback_query(
        self, params: dict[str, Any], files: dict[str, StoredFile]
    ) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callback_queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        if text is not None and utf16_len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        del self._open_callback_queries[query_id]
        self.callback_answers[query_id] = CallbackAnswer(
            callback_query_id=query_id,
            text=str(text) if text is not None else None,
            show_alert=bool(params.get("show_alert")),
            url=params.get("url"),
        )
        return True

    def _scope_key(
        self, scope: dict[str, Any] | None, language_code: str
    ) -> tuple[str, int | None, int | None, str]:
        scope = scope or {"type": "default"}
        kind = str(scope.get("type", ""))
        if kind not in {
            "default",
            "all_private_chats",
            "all_group_chats",
            "all_chat_administrators",
            "chat",
            "chat_administrators",
            "chat_member",
        }:
            raise bad_request(f"unsupported bot command scope type {kind!r}")
        chat_id = scope.get("chat_id")
        user_id = scope.get("user_id")
        if kind.startswith("chat"):
            if chat_id is None:
                raise bad_request("chat_id is empty")
            if int(chat_id) not in self.chats:
                raise bad_request("chat not found")
        return (
            kind,
            int(chat_id) if chat_id is not None else None,
            int(user_id) if user_id is not None else None,
            language_code or "",
        )

    async def _set_my_commands(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be an array of at most 100 BotCommand")
        checked: list[dict[str, str]] = []
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            description = str(command.get("description", "")) if isinstance(command, dict) else ""
            if not _COMMAND_RE.match(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("command description is empty or longer than 256 characters")
            checked.append({"command": name, "description": description})
        key = self._scope_key(params.get("scope"), str(params.get("language_code") or ""))
        if checked:
            self._commands[key] = checked
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        key = self._scope_key(params.get("scope"), str(params.get("language_code") or ""))
        return list(self._commands.get(key, []))

    async def _delete_my_commands(
        self, params: dict[str, Any], files: dict[str, StoredFile]
    ) -> Any:
        key = self._scope_key(params.get("scope"), str(params.get("language_code") or ""))
        self._commands.pop(key, None)
        return True

    async def _send_chat_action(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        chat = self._target_chat(params)
        action = str(params.get("action") or "")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.chat_actions.append(action)
        return True

    def _input_file(
        self, params: dict[str, Any], files: dict[str, StoredFile], field: str
    ) -> StoredFile:
        value = params.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            attached = files.get(value.removeprefix("attach://"))
            if attached is None:
                raise bad_request(f"file {value} not found in the request")
            return attached
        if field in files:
            return files[field]
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        if value is None:
            raise bad_request(f"there is no {field} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    async def _send_document(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        chat = self._target_chat(params)
        stored = self._input_file(params, files, "document")
        caption, entities, parse_mode = self._visible_text(
            params, "caption", MAX_CAPTION_LENGTH, required=False
        )
        markup = parse_markup(params.get("reply_markup"))
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
        if stored.filename:
            document["file_name"] = stored.filename
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        message = self._bot_message(
            chat,
            kind="document",
            text=caption,
            entities=entities,
            markup=markup,
            parse_mode=parse_mode,
            extra={"document": document},
            file=stored,
        )
        self.sent_files.append(
            SentFile(
                "document",
                chat.chat_id,
                message.message_id,
                stored.data,
                stored.filename,
                stored.mime_type,
                caption,
            )
        )
        return message.raw

    async def _send_photo(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        chat = self._target_chat(params)
        stored = self._input_file(params, files, "photo")
        caption, entities, parse_mode = self._visible_text(
            params, "caption", MAX_CAPTION_LENGTH, required=False
        )
        markup = parse_markup(params.get("reply_markup"))
        photo = photo_sizes(stored)
        message = self._bot_message(
            chat,
            kind="photo",
            text=caption,
            entities=entities,
            markup=markup,
            parse_mode=parse_mode,
            extra={"photo": photo},
            file=stored,
        )
        self.sent_files.append(
            SentFile(
                "photo",
                chat.chat_id,
                message.message_id,
                stored.data,
                stored.filename,
                stored.mime_type,
                caption,
            )
        )
        return message.raw

    async def _get_file(self, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        file_id = str(params.get("file_id") or "")
        stored = self.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    # ----------------------------------------------------------------- webhook delivery

    def _ensure_webhook_worker(self) -> None:
        if self.webhook is None or self._closing or not self.webhook_delivery:
            return
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhooks())

    async def _deliver_webhooks(self) -> None:
        while self.webhook is not None and not self._closing:
            ready = self._deliverable()
            if not ready:
                await self.wait_for_change(1.0)
                continue
            webhook = self.webhook
            update = ready[0]
            headers = {"Content-Type": "application/json"}
            if webhook.secret_token is not None:
                headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
            status, error = await self._post_update(webhook.url, update, headers)
            webhook.delivery_statuses.append(status)
            if 200 <= status < 300:
                self._pending = [u for u in self._pending if u is not update]
                self.confirmed_update_id = max(self.confirmed_update_id, update["update_id"])
                self._notify()
            else:
                webhook.last_error_date = int(self.clock.now().timestamp())
                webhook.last_error_message = error
                self._notify()
                await asyncio.sleep(self.webhook_retry_delay)

    async def _post_update(
        self, url: str, update: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, str]:
        if self._http is None:  # created on first use: building an SSL context is slow
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(5.0))
        try:
            response = await self._http.post(url, content=json.dumps(update), headers=headers)
        except httpx.HTTPError as err:
            return 0, f"Connection failed: {type(err).__name__}"
        try:
            reason = HTTPStatus(response.status_code).phrase
        except ValueError:
            reason = response.reason_phrase or ""
        return (
            response.status_code,
            f"Wrong response from the webhook: {response.status_code} {reason}",
        )


class _ApiHandler(tornado.web.RequestHandler):
    """Routes /bot<token>/<method> to the sandbox."""

    def initialize(self, sandbox: BotApiSandbox) -> None:
        self.sandbox = sandbox

    async def get(self, token: str, method: str) -> None:
        await self._answer(token, method)

    async def post(self, token: str, method: str) -> None:
        await self._answer(token, method)

    async def _answer(self, token: str, method: str, via: str | None = None) -> None:
        files: dict[str, StoredFile] = {}
        try:
            params = decode_form(self.request.query_arguments)
            content_type = self.request.headers.get("Content-Type", "")
            if content_type.startswith("application/json"):
                params.update(decode_json_body(self.request.body))
            else:
                params.update(decode_form(self.request.body_arguments))
            for part, uploads in self.request.files.items():
                upload = uploads[-1]
                files[part] = self.sandbox.store_file(
                    upload.body,
                    filename=upload.filename or None,
                    mime_type=upload.content_type or None,
                    folder="photos" if part == "photo" else "documents",
                )
        except ApiError as err:
            self._write(err.status, err.to_json())
            return
        status, body = await self.sandbox.handle(token, method, params, files, via)
        self._write(status, body)

    def _write(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        with contextlib.suppress(tornado.iostream.StreamClosedError):
            self.finish(json.dumps(body))


class _TaggedApiHandler(_ApiHandler):
    """Routes /via/<tag>/bot<token>/<method>: the same API, calls recorded with their tag."""

    async def get(self, tag: str, token: str, method: str) -> None:  # type: ignore[override]
        await self._answer(token, method, tag)

    async def post(self, tag: str, token: str, method: str) -> None:  # type: ignore[override]
        await self._answer(token, method, tag)


class _FileHandler(tornado.web.RequestHandler):
    """Serves /file/bot<token>/<file_path> so the bot can download files users sent."""

    def initialize(self, sandbox: BotApiSandbox) -> None:
        self.sandbox = sandbox

    def get(self, token: str, file_path: str) -> None:
        if token != self.sandbox.token:
            self.set_status(401)
            self.finish(json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"}))
            return
        for stored in self.sandbox.files.values():
            if stored.file_path == file_path:
                self.set_header("Content-Type", stored.mime_type or "application/octet-stream")
                self.finish(stored.data)
                return
        self.set_status(404)
        self.finish(json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}))
