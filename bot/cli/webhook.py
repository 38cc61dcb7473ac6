"""Webhook mode: a small tornado server that feeds Telegram's updates to the Application.

Telegram POSTs each update to ``WEBHOOK_URL`` with the secret token we registered in
``setWebhook``. The secret is checked from the headers, before any of the body is read: a
request without that exact token is refused with 403 and its body is never read, so
strangers can neither inject updates nor make the bot buffer large bodies. A body over
``MAX_BODY_BYTES`` (1 MB; Telegram's updates are a few kB) is refused with 413 as soon as it
is announced or exceeded. Refusals are logged once per source address per minute, with a
count of the ones not logged.

A 200 means the update is committed to the inbox (``bot.inbox``): a replica that dies later
loses nothing, and another one handles it. If the database cannot take it, the answer is 503
and Telegram sends the update again. ``GET /healthz`` reports the database and scheduler
state for the container's health check and for load balancers (its database check runs on a
thread of its own, so it answers even while every database thread waits on a lock).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tornado.netutil
import tornado.web
from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.handlers.dispatch import ALLOWED_UPDATES
from bot.inbox.store import InboxQueue

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

HealthProbe = Callable[[], dict[str, str]]


@dataclass(frozen=True)
class WebhookConfig:
    """Where the webhook listens and what it accepts."""

    listen: str
    port: int
    path: str
    secret: str


MAX_BODY_BYTES = 1024 * 1024
REFUSAL_LOG_WINDOW = 60.0


class RefusalLog:
    """Logs refused requests at most once per source address per ``window`` seconds; the
    next line says how many were refused meanwhile. Remembers only recent sources."""

    def __init__(
        self, window: float = REFUSAL_LOG_WINDOW, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self._clock = clock
        self._sources: dict[str, tuple[float, int]] = {}

    def refused(self, source: str, reason: str) -> bool:
        """Count a refusal from ``source``; log it if none was logged in the window. Returns
        whether a line was logged."""
        now = self._clock()
        logged_at, unlogged = self._sources.get(source, (-self.window - 1, 0))
        if now - logged_at < self.window:
            self._sources[source] = (logged_at, unlogged + 1)
            return False
        more = f" (and {unlogged} more since the last line)" if unlogged else ""
        log.warning("webhook request from %s refused: %s%s", source, reason, more)
        self._sources[source] = (now, 0)
        if len(self._sources) > 1000:
            self._sources = {s: v for s, v in self._sources.items() if now - v[0] < self.window}
        return True


@tornado.web.stream_request_body
class _UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, queue: InboxQueue, bot: Any, secret: str, refusals: RefusalLog) -> None:
        self._queue = queue
        self._bot = bot
        self._secret = secret
        self._refusals = refusals
        self._chunks: list[bytes] = []
        self._size = 0

    def prepare(self) -> None:
        # Only the headers have arrived: refuse before reading a byte of the body.
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            self._refuse(403, "Forbidden: wrong secret token", "missing or wrong secret token")
            return
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            self._refuse(413, "Request Entity Too Large", "body over 1 MB")
            return
        connection = self.request.connection
        if connection is not None and hasattr(connection, "set_max_body_size"):
            connection.set_max_body_size(MAX_BODY_BYTES)

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self._size += len(chunk)
        if self._size > MAX_BODY_BYTES:
            self._chunks.clear()
            self._refuse(413, "Request Entity Too Large", "body over 1 MB")
            return
        self._chunks.append(chunk)

    def _refuse(self, status: int, description: str, reason: str) -> None:
        self._refusals.refused(self.request.remote_ip or "unknown", reason)
        self.set_status(status)
        self.set_header("Connection", "close")
        self.finish({"ok": False, "description": description})

    async def post(self) -> None:
        body = b"".join(self._chunks)
        self._chunks.clear()
        try:
            text = body.decode()
            update = Update.de_json(json.loads(text), self._bot)
            if update is None:
                raise ValueError("empty update")
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            self._refusals.refused(self.request.remote_ip or "unknown", "not a Telegram update")
            self.set_status(400)
            self.finish({"ok": False, "description": "Bad Request: body is not a Telegram update"})
            return
        try:
            await self._queue.put_update(update, text)
        except Exception as exc:  # the database refused it: Telegram will send it again
            log.warning(
                "update %s not stored (%s); answered 503", update.update_id, type(exc).__name__
            )
            self.set_status(503)
            self.finish({"ok": False, "description": "Service Unavailable: try again"})
            return
        self.finish({"ok": True})


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, probe: HealthProbe) -> None:
        self._probe = probe

    async def get(self) -> None:
        # Its own thread, not the database pool: it answers even when the pool is busy.
        report = await asyncio.to_thread(self._probe)
        healthy = all(value == "ok" or value == "running" for value in report.values())
        self.set_status(200 if healthy else 503)
        self.finish({"status": "ok" if healthy else "unhealthy", **report})


class WebhookServer:
    """Serves the webhook path and ``/healthz`` until stopped."""

    def __init__(
        self,
        application: AnyApplication,
        config: WebhookConfig,
        probe: HealthProbe,
    ) -> None:
        path = "/" + config.path.strip("/")
        queue = application.update_queue
        if not isinstance(queue, InboxQueue):
            raise TypeError("the webhook needs an Application built by bot.app (an InboxQueue)")
        handler_args = {
            "queue": queue,
            "bot": application.bot,
            "secret": config.secret,
            "refusals": RefusalLog(),
        }
        app = tornado.web.Application(
            [
                (path, _UpdateHandler, handler_args),
                ("/healthz", _HealthHandler, {"probe": probe}),
            ],
            log_function=lambda handler: None,
        )
        # Bodies are capped by the handler (headers first); this bounds anything else.
        self._server = HTTPServer(app, max_body_size=MAX_BODY_BYTES, max_buffer_size=MAX_BODY_BYTES)
        self._config = config
        self.port = config.port

    def start(self) -> int:
        """Start listening; return the port actually bound (useful when port 0 was asked)."""
        sockets = tornado.netutil.bind_sockets(self._config.port, address=self._config.listen)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        log.info("webhook listening on %s:%s", self._config.listen, self.port)
        return self.port

    async def stop(self) -> None:
        """Stop accepting new requests and wait for those in flight."""
        self._server.stop()
        await self._server.close_all_connections()


async def serve_until_stopped(
    application: AnyApplication,
    config: WebhookConfig,
    probe: HealthProbe,
    *,
    public_url: str,
    stop: asyncio.Event,
) -> None:
    """Register ``public_url`` with Telegram, serve updates until ``stop`` is set, then shut
    down in order: stop accepting, finish the update in hand, stop jobs, close the bot."""
    try:
        await application.initialize()
    except BaseException:
        await application.bot.shutdown()  # the HTTP sessions getMe opened
        raise
    server = WebhookServer(application, config, probe)
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.bot.set_webhook(
            url=public_url, secret_token=config.secret, allowed_updates=ALLOWED_UPDATES
        )
        await application.start()
        server.start()
    except BaseException:
        # Telegram refused the webhook, or the port is taken: close what was opened.
        if application.running:
            await application.stop()
        await application.shutdown()
        raise
    try:
        await stop.wait()
    finally:
        log.info("shutting down: no new updates accepted")
        await server.stop()
        await application.stop()
        await application.shutdown()


def install_stop_signals(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM or SIGINT (docker stop, Ctrl-C); log what every task and
    thread is waiting on at SIGUSR1 (a replica that seems stuck, inspected while it runs)."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, log_waits)


def _awaiting(coro: Any) -> list[str]:
    """The chain of coroutines ``coro`` is suspended in, outermost first."""
    chain: list[str] = []
    while coro is not None and len(chain) < 20:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        chain.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return chain


def log_waits() -> None:
    """Log, for each asyncio task and each thread, the code it is waiting in."""
    for task in asyncio.all_tasks():
        where = " > ".join(_awaiting(task.get_coro()))
        log.warning("waiting: task %s in %s", task.get_name(), where or "(not started)")
    names = {t.ident: t.name for t in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        stack = traceback.extract_stack(frame, limit=12)
        where = " > ".join(f"{s.name}:{s.lineno}" for s in stack)
        log.warning("waiting: thread %s in %s", names.get(ident, ident), where)
