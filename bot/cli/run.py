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

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.cli.db import sqlite_problem
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
from bot.services import timezones
from bot.settings import Settings, SettingsError, load_settings
from bot.store.db import describe_error, safe_url, upgrade, wait_for_database

_LOGGER = logging.getLogger(__name__)

DESCRIPTION = """\
Run the Sprintback bot with the settings from the environment (or .env).

Needs TELEGRAM_TOKEN (from @BotFather) and a migrated database (`sprintback db upgrade`, or
--db-upgrade, which applies pending migrations first: the container's command). Without
--db-upgrade, an SQLite database file that does not exist is not created: `run` says so;
with it, the file is created in a folder that exists, never the folder itself.
Polling by default: each getUpdates waits up to POLLING_TIMEOUT_SECONDS, and the bot keeps a
status file in RUNTIME_DIR that `sprintback health` reads. With WEBHOOK_URL set, Telegram posts
updates to that URL: the bot listens on WEBHOOK_LISTEN:WEBHOOK_PORT, refuses requests without
WEBHOOK_SECRET (a random secret is generated when it is not set) and serves GET /healthz.
SIGTERM or Ctrl-C stops it cleanly: the update in hand finishes and unsent messages stay in
the outbox for the next start; during start-up (e.g. the migrations) they stop it at once.

A PostgreSQL server that cannot be reached yet at start (connection refused, starting up, no
answer, a host name that does not resolve yet, as a database container's before it is up) is
tried again with growing pauses for up to DATABASE_WAIT_SECONDS (default 60; 0: no wait), one
log line per attempt naming the reason; a wrong password or a database that does not exist
stops start-up at once. Nothing answers health checks while it waits.

Exit status: 0 after a clean stop; 1 when Telegram cannot be reached at start (worth trying
again later); 2 for something to fix first: an invalid setting, no TELEGRAM_TOKEN, a token
Telegram refuses, a database it cannot reach (after the wait), an SQLite file that does not
exist (with --db-upgrade: a folder for it that does not exist), an SQLite folder or file this
user cannot write, a schema that is not current, a RUNTIME_DIR this user cannot write, or a
webhook address that cannot be used (with Telegram's own Bot API, WEBHOOK_URL must be https on
port 443, 80, 88 or 8443). Each is said in one line. 143 when SIGTERM stops it during
start-up, 130 when Ctrl-C stops the wait for the database.
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
    logging.getLogger("telegram.ext").addFilter(_FailedStartFilter())
    if not settings.admin_telegram_ids:
        _LOGGER.warning(
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
    try:
        # A PostgreSQL server still starting (compose, a restart) is waited for; the start-up
        # below is the last attempt and says why it failed.
        wait_for_database(settings.database_url, settings.database_wait_seconds, _LOGGER.warning)
    except KeyboardInterrupt:
        print("sprintback: stopped by SIGINT", file=sys.stderr)
        return 128 + signal.SIGINT
    # A folder that does not exist, no file (unless --db-upgrade creates it), a folder or file
    # this user cannot write: said here in one line, instead of SQLite's "unable to open
    # database file" (or, for a read-only file, a bot whose every answer fails).
    problem = sqlite_problem(
        settings.database_url,
        create=args.db_upgrade,
        also=" (or start with `sprintback run --db-upgrade`)",
        then="; then start with `sprintback run --db-upgrade`",
    )
    if problem is not None:
        print(f"sprintback run: {problem}", file=sys.stderr)
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
    add_startup_hook(runtime.application, _warm_zone_names)
    add_startup_hook(runtime.application, freeze_startup_heap)  # last: after the other hooks
    if heartbeat is None:
        try:
            asyncio.run(_serve_webhook(runtime, settings))
        except (TelegramError, OSError) as err:
            runtime.engine.dispose()
            return _cannot_start(err, settings)
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
                close_loop=False,
            )
        except TelegramError as err:
            # Only the start can end this way (getMe): polling itself retries on its own.
            _close_after_failed_start(application)
            runtime.engine.dispose()
            return _cannot_start(err, settings)
        finally:
            heartbeat.stop()
        asyncio.get_event_loop().close()
    runtime.engine.dispose()
    return 0


class _FailedStartFilter(logging.Filter):
    """Drops python-telegram-bot's traceback of a start that failed (getMe): `run` says what
    went wrong in one line instead (see ``_cannot_start``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Aborting" not in str(record.msg)


def _close_after_failed_start(application: Any) -> None:
    """Close the HTTP sessions a failed start opened, then the loop (no 'unclosed' noise)."""
    loop = asyncio.get_event_loop()
    try:
        loop.run_until_complete(application.bot.shutdown())
    finally:
        loop.close()


async def _warm_zone_names(application: Any) -> None:
    """Build the place-name indexes before updates flow (off the event loop), so the first
    athlete who types a city does not wait for them; their memory is then frozen with the
    start-up heap."""
    await asyncio.to_thread(timezones.warm_up)


def _cannot_start(err: Exception, settings: Settings) -> int:
    """Say in one line why the bot could not start, and what to check; return the exit code.

    A refused token or webhook is a setting to fix (2); an unreachable Telegram may pass, so a
    supervisor restarting the bot is right to (1).
    """
    where = urlsplit(settings.telegram_api_base_url).netloc or settings.telegram_api_base_url
    if isinstance(err, InvalidToken):
        message, code = (
            "Telegram refused TELEGRAM_TOKEN (revoked, or mistyped): copy the token again "
            "from @BotFather",
            2,
        )
    elif isinstance(err, NetworkError):
        message, code = (
            f"cannot reach Telegram at {where} ({err.message}); check this machine's network "
            "and TELEGRAM_API_BASE_URL",
            1,
        )
    elif isinstance(err, TelegramError):
        message, code = (
            f"Telegram refused to start the bot ({err.message}); check WEBHOOK_URL "
            "(an https URL Telegram can reach) and the bot's token",
            2,
        )
    else:
        message, code = (
            f"cannot listen on {settings.webhook_listen}:{settings.webhook_port} "
            f"({getattr(err, 'strerror', None) or err}); set WEBHOOK_LISTEN and WEBHOOK_PORT "
            "to an address and free port of this machine",
            2,
        )
    print(f"sprintback run: {message}", file=sys.stderr)
    return code


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
