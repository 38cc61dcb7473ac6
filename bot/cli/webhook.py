"""Webhook mode: a small tornado server that feeds Telegram's updates to the Application.

Telegram POSTs each update to ``WEBHOOK_URL`` with the secret token we registered in
``setWebhook``; requests without that exact token are refused with 403, so nobody else can
inject updates. ``GET /healthz`` reports the database and scheduler state for the container's
health check and for load balancers.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tornado.netutil
import tornado.web
from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer

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


class _UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, bot_application: AnyApplication, secret: str) -> None:
        self._application = bot_application
        self._secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            log.warning("webhook request refused: missing or wrong secret token")
            self.set_status(403)
            self.finish({"ok": False, "description": "Forbidden: wrong secret token"})
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self._application.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("webhook request refused: body is not a Telegram update")
            self.set_status(400)
            self.finish({"ok": False, "description": "Bad Request: body is not a Telegram update"})
            return
        await self._application.update_queue.put(update)
        self.finish({"ok": True})


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, probe: HealthProbe) -> None:
        self._probe = probe

    def get(self) -> None:
        report = self._probe()
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
        app = tornado.web.Application(
            [
                (path, _UpdateHandler, {"bot_application": application, "secret": config.secret}),
                ("/healthz", _HealthHandler, {"probe": probe}),
            ]
        )
        self._server = HTTPServer(app)
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
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.bot.set_webhook(
        url=public_url, secret_token=config.secret, allowed_updates=Update.ALL_TYPES
    )
    await application.start()
    server = WebhookServer(application, config, probe)
    server.start()
    try:
        await stop.wait()
    finally:
        log.info("shutting down: no new updates accepted")
        await server.stop()
        await application.stop()
        await application.shutdown()


def install_stop_signals(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM or SIGINT (docker stop, Ctrl-C)."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
