"""`sprintback run`: serve the bot for real (polling, or webhook mode when WEBHOOK_URL is set)."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import signal
import sys
from typing import Any
from urllib.parse import urlsplit

from telegram import Update

from bot.cli.webhook import WebhookConfig, install_stop_signals, serve_until_stopped
from bot.handlers.context import add_startup_hook
from bot.runtime import (
    Runtime,
    StartupError,
    build_runtime,
    configure_logging,
    database_health,
    freeze_startup_heap,
    scheduler_health,
)
from bot.settings import Settings, SettingsError, load_settings

DESCRIPTION = """\
Run the Sprintback bot with the settings from the environment (or .env).

Needs TELEGRAM_TOKEN (from @BotFather) and a migrated database (`sprintback db upgrade`).
Polling by default. With WEBHOOK_URL set, Telegram posts updates to that URL: the bot listens
on WEBHOOK_LISTEN:WEBHOOK_PORT, refuses requests without WEBHOOK_SECRET (a random secret is
generated when it is not set) and serves GET /healthz. SIGTERM or Ctrl-C stops it cleanly:
the update in hand finishes and unsent messages stay in the outbox for the next start.
"""


def register(subparsers: Any) -> None:
    """Add the `run` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run",
        help="run the bot (polling; webhook when WEBHOOK_URL is set)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start the bot and serve until stopped; return the exit code."""
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"sprintback run: invalid settings:\n{err}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level_number)
    if not settings.token:
        print(
            "sprintback run: TELEGRAM_TOKEN is not set; create a bot with @BotFather and put "
            "its token in TELEGRAM_TOKEN (or try `sprintback demo`, which needs none).",
            file=sys.stderr,
        )
        return 2
    try:
        runtime = build_runtime(settings)
    except StartupError as err:
        print(f"sprintback run: {err}", file=sys.stderr)
        return 2
    add_startup_hook(runtime.application, freeze_startup_heap)  # last: after the other hooks
    if settings.webhook_url:
        asyncio.run(_serve_webhook(runtime, settings))
    else:
        runtime.application.run_polling(
            allowed_updates=Update.ALL_TYPES, stop_signals=(signal.SIGINT, signal.SIGTERM)
        )
    runtime.engine.dispose()
    return 0


def webhook_config(settings: Settings) -> WebhookConfig:
    """Return where to listen and which secret to require, from the settings."""
    url = settings.webhook_url or ""
    secret = (
        settings.webhook_secret.get_secret_value()
        if settings.webhook_secret
        else secrets.token_urlsafe(32)
    )
    return WebhookConfig(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        path=urlsplit(url).path or "/",
        secret=secret,
    )


async def _serve_webhook(runtime: Runtime, settings: Settings) -> None:
    stop = asyncio.Event()
    install_stop_signals(stop)
    application = runtime.application

    def probe() -> dict[str, str]:
        return {
            "database": database_health(runtime.engine),
            "scheduler": scheduler_health(application),
        }

    await serve_until_stopped(
        application,
        webhook_config(settings),
        probe,
        public_url=settings.webhook_url or "",
        stop=stop,
    )
