"""`sprintback run`: serve the bot for real (polling, or webhook mode when WEBHOOK_URL is set)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import signal
import sys
from typing import Any
from urllib.parse import urlsplit

from bot.cli.polling_health import PollingHeartbeat, status_path
from bot.cli.webhook import WebhookConfig, install_stop_signals, serve_until_stopped
from bot.handlers.context import add_startup_hook
from bot.handlers.dispatch import ALLOWED_UPDATES
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
from bot.store.db import describe_error, safe_url, upgrade

DESCRIPTION = """\
Run the Sprintback bot with the settings from the environment (or .env).

Needs TELEGRAM_TOKEN (from @BotFather) and a migrated database (`sprintback db upgrade`, or
--db-upgrade, which applies pending migrations first: the container's command).
Polling by default: each getUpdates waits up to POLLING_TIMEOUT_SECONDS, and the bot keeps a
status file in RUNTIME_DIR that `sprintback health` reads. With WEBHOOK_URL set, Telegram posts
updates to that URL: the bot listens on WEBHOOK_LISTEN:WEBHOOK_PORT, refuses requests without
WEBHOOK_SECRET (a random secret is generated when it is not set) and serves GET /healthz.
SIGTERM or Ctrl-C stops it cleanly: the update in hand finishes and unsent messages stay in
the outbox for the next start; during start-up (e.g. the migrations) they stop it at once.
"""


def register(subparsers: Any) -> None:
    """Add the `run` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run",
        help="run the bot (polling; webhook when WEBHOOK_URL is set)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--db-upgrade",
        action="store_true",
        help="apply pending database migrations before starting (as `sprintback db upgrade`)",
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
    if not settings.admin_telegram_ids:
        logging.getLogger(__name__).warning(
            "ADMIN_TELEGRAM_IDS is empty: alerts about athletes with no linked clinician, and "
            "alerts no clinician acknowledges within the hour, will reach nobody"
        )
    if not settings.token:
        print(
            "sprintback run: TELEGRAM_TOKEN is not set; create a bot with @BotFather and put "
            "its token in TELEGRAM_TOKEN (or try `sprintback demo`, which needs none).",
            file=sys.stderr,
        )
        return 2
    if args.db_upgrade:
        try:
            upgrade(settings.database_url)
        except Exception as exc:
            print(
                f"sprintback run: cannot upgrade the database {safe_url(settings.database_url)}: "
                f"{describe_error(exc)}",
                file=sys.stderr,
            )
            return 2
    heartbeat = None
    if not settings.webhook_url:
        path = status_path(settings.runtime_dir, settings.token)
        heartbeat = PollingHeartbeat(path, settings.polling_timeout_seconds)
    try:
        runtime = build_runtime(
            settings, on_get_updates=heartbeat.record_success if heartbeat else None
        )
    except StartupError as err:
        print(f"sprintback run: {err}", file=sys.stderr)
        return 2
    add_startup_hook(runtime.application, freeze_startup_heap)  # last: after the other hooks
    if heartbeat is None:
        asyncio.run(_serve_webhook(runtime, settings))
    else:
        try:
            heartbeat.start()
        except OSError as err:
            runtime.engine.dispose()
            print(
                f"sprintback run: cannot write the polling status in RUNTIME_DIR "
                f"{settings.runtime_dir} ({err.strerror}); set RUNTIME_DIR to a folder this "
                "user can write",
                file=sys.stderr,
            )
            return 2
        application = runtime.application
        heartbeat.watch_scheduler(lambda: scheduler_health(application))
        try:
            application.run_polling(
                timeout=settings.polling_timeout_seconds,
                allowed_updates=ALLOWED_UPDATES,
                stop_signals=(signal.SIGINT, signal.SIGTERM),
            )
        finally:
            heartbeat.stop()
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
