"""`sprintback health`: exit 0 when this deployment is healthy (the container HEALTHCHECK)."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any

from bot.cli.db import missing_sqlite_file, no_write_access, sqlite_file
from bot.cli.polling_health import polling_healthy, polling_report, status_path
from bot.runtime import database_health
from bot.settings import Settings, SettingsError, load_settings
from bot.store.db import make_engine

DESCRIPTION = """\
Check that Sprintback is healthy and exit 0, or print what is wrong and exit 1 (2 when the
settings are invalid). Run it with the same settings as `sprintback run`.

In webhook mode (WEBHOOK_URL set) it asks the running bot's GET /healthz, which reports the
database and the scheduler. In polling mode it checks that the database answers and that its
schema is current, and reads the status file `sprintback run` keeps in RUNTIME_DIR: it fails
when the last successful getUpdates is older than three long polls (POLLING_TIMEOUT_SECONDS)
plus 5 s, when the bot recorded its scheduler as stopped, or when no bot is running (no status
file for this TELEGRAM_TOKEN, or no TELEGRAM_TOKEN at all). It only reads: an SQLite
database file that does not exist is reported, with the path looked for, and never created.
"""


def register(subparsers: Any) -> None:
    """Add the `health` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "health",
        help="exit 0 if the deployment is healthy (for container health checks)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=health)


def health(args: argparse.Namespace) -> int:
    """Print the health report; return 0 if healthy, 1 if not, 2 on invalid settings."""
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"sprintback health: invalid settings:\n{err}", file=sys.stderr)
        return 2
    report = _webhook_report(settings) if settings.webhook_url else _polling_report(settings)
    print(json.dumps(report))
    return 0 if report.get("status") == "ok" else 1


def _polling_report(settings: Settings) -> dict[str, str]:
    database = _missing_sqlite_file(settings.database_url)
    if database is None:
        engine = make_engine(settings.database_url)
        try:
            database = database_health(engine)
        finally:
            engine.dispose()
    if settings.token:
        polling = polling_report(status_path(settings.runtime_dir, settings.token))
    else:
        polling = {"polling": "TELEGRAM_TOKEN is not set, so no bot can be polling"}
    healthy = database == "ok" and polling_healthy(polling)
    return {"status": "ok" if healthy else "unhealthy", "database": database, **polling}


def _missing_sqlite_file(url: str) -> str | None:
    """Return what is wrong when ``url`` names an SQLite file that does not exist, else None.

    SQLite creates a missing file on connecting: a health check, which only reads, must not
    leave an empty database behind (in the working folder, for the default URL). A folder
    SQLite cannot write its journal files in is named too (SQLite would only fail to open it).
    """
    path = missing_sqlite_file(url)
    if path is None:
        file = sqlite_file(url)
        return None if file is None else no_write_access(file, read_only=True)
    return (
        f"no database file at {path}: expected the SQLite file `sprintback run` uses, made by "
        "`sprintback db upgrade` (run health with the same DATABASE_URL and working folder)"
    )


def _webhook_report(settings: Settings) -> dict[str, str]:
    host = "127.0.0.1" if settings.webhook_listen in ("0.0.0.0", "::") else settings.webhook_listen
    url = f"http://{host}:{settings.webhook_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            body: dict[str, str] = json.loads(response.read())
            return body
    except urllib.error.HTTPError as err:
        body = json.loads(err.read() or b"{}")
        return {"status": "unhealthy", **body}
    except (urllib.error.URLError, OSError, ValueError) as err:
        return {"status": "unhealthy", "webhook": f"no answer from {url} ({err})"}
