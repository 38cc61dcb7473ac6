"""`sprintback db upgrade|downgrade REV|current`: manage the database schema."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bot.settings import SettingsError, load_database_wait, load_settings
from bot.store import db


def register(subparsers: Any) -> None:
    """Add the `db` sub-command and its actions."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "db",
        help="create or migrate the database schema (DATABASE_URL or --database-url)",
        description="Create, migrate or inspect the database schema. A PostgreSQL server that "
        "cannot be reached yet (connection refused, starting up, no answer, a host name that "
        "does not resolve yet) is tried again with growing pauses for up to "
        "DATABASE_WAIT_SECONDS (default 60; 0: no wait), one line per attempt on standard "
        "error, as `sprintback run` does. Only `upgrade` creates an SQLite database file that "
        "does not exist yet, in a folder that does (it creates no folder: it says which one "
        "is missing); `current` and `downgrade` say there is none and create nothing. "
        "Exit status: 0 when done, 1 when the action failed (one line says why), 2 on invalid "
        "settings or no ACTION, 130 when Ctrl-C stops the wait for the database.",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="database to act on (default: DATABASE_URL from the environment or ./.env, "
        f"else {db.DEFAULT_DATABASE_URL}: the database `sprintback run` opens)",
    )
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION")
    up = actions.add_parser("upgrade", help="apply every pending migration (or up to REV)")
    up.add_argument(
        "revision",
        nargs="?",
        default="head",
        metavar="REV",
        help="revision to stop at, e.g. 0005 (default: head, the one the code expects)",
    )
    down = actions.add_parser("downgrade", help="revert migrations down to REV ('base' = empty)")
    down.add_argument(
        "revision", metavar="REV", help="revision to go back to, e.g. 0005, or 'base' (empty)"
    )
    current = actions.add_parser("current", help="print the schema revision of the database")
    for action in (up, down, current):
        # Also accepted after the action; SUPPRESS keeps a value given before it.
        action.add_argument("--database-url", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser.set_defaults(func=_run, db_parser=parser)


def _run(args: argparse.Namespace) -> int:
    """Run the chosen action; print a one-line error (no traceback) if it fails."""
    action = args.db_action
    if action is None:
        args.db_parser.print_help()
        return 2
    try:
        # The same settings as `sprintback run` (environment, then ./.env), so both act on
        # the same database and wait for it alike; --database-url skips all but the wait.
        if args.database_url:
            url, wait = args.database_url, load_database_wait()
        else:
            settings = load_settings()
            url, wait = settings.database_url, settings.database_wait_seconds
    except SettingsError as err:
        hint = "" if args.database_url else "\n(--database-url URL skips the settings)"
        print(f"sprintback db: invalid settings:\n{err}{hint}", file=sys.stderr)
        return 2
    setting = "--database-url" if args.database_url else "DATABASE_URL"
    missing = missing_sqlite_file(url)
    if missing is not None and action != "upgrade":
        # SQLite would create the file on connecting: a mistyped path would leave an empty
        # database behind, and `current` would call it one that was never migrated.
        print(f"sprintback db {action}: {no_database(missing, setting)}", file=sys.stderr)
        return 1
    if missing is not None and (problem := no_place_for(missing, setting)):
        print(f"sprintback db {action}: {problem}", file=sys.stderr)
        return 1
    try:
        # A PostgreSQL server still starting (a job run right after it) is waited for; the
        # action below is the last attempt and says why it failed.
        db.wait_for_database(url, wait, _say)
    except KeyboardInterrupt:
        print("sprintback: stopped by SIGINT", file=sys.stderr)
        return 128 + signal.SIGINT
    try:
        if action == "upgrade":
            db.upgrade(url, args.revision)
            print(f"database upgraded to {args.revision} ({db.safe_url(url)})")
        elif action == "downgrade":
            db.downgrade(url, args.revision)
            print(f"database downgraded to {args.revision} ({db.safe_url(url)})")
        else:
            engine = db.make_engine(url)
            try:
                current = db.current_revision(engine) or "none (empty database)"
            finally:
                engine.dispose()
            print(f"current: {current}; code expects: {db.head_revision()}")
    except Exception as exc:
        print(
            f"sprintback db {action} failed on {db.safe_url(url)}: {db.describe_error(exc)}",
            file=sys.stderr,
        )
        return 1
    return 0


def missing_sqlite_file(url: str) -> Path | None:
    """Return the absolute path of the SQLite file ``url`` names if there is no file there,
    else None (a PostgreSQL URL, an in-memory database, an SQLite ``file:`` URI, a file that
    exists). SQLite creates a missing file on connecting: only `upgrade` should."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:"):  # an SQLite URI (uri=true): left to SQLite
        return None
    path = Path(name).absolute()
    return None if path.is_file() else path


def no_database(path: Path, setting: str = "DATABASE_URL", also: str = "") -> str:
    """Say that there is no SQLite database file at ``path`` (``setting`` named it) and what to
    do: fix the setting, or create the database with `sprintback db upgrade` (``also``: another
    way to create it)."""
    return (
        f"there is no database at {path} (nothing was created): check {setting} (a relative "
        f"path starts from the working folder), or create the database with "
        f"`sprintback db upgrade`{also}"
    )


def no_place_for(path: Path, setting: str = "DATABASE_URL") -> str | None:
    """Say why SQLite cannot create a database file at ``path`` (``setting`` named it): its
    folder does not exist or is a file, or ``path`` is a folder; else return None. SQLite
    would say only "unable to open database file". The folder is not created here: a
    mistyped path would leave folders behind, and a database where nobody looks for it."""
    if path.is_dir():
        return (
            f"{path} is a folder, not a database file (nothing was created): fix {setting} to "
            f"name a file, e.g. sqlite:///{path / 'sprintback.sqlite3'}"
        )
    folder = path.parent
    if folder.is_dir():
        return None
    if folder.exists():
        return (
            f"{folder} is a file, not a folder, so the database file {path.name} cannot be "
            f"made in it (nothing was created): check {setting}"
        )
    return (
        f"the folder {folder} does not exist, so the database file {path.name} cannot be made "
        f"in it (nothing was created): check {setting} (a relative path starts from the "
        f"working folder), or create the folder first: mkdir -p {shlex.quote(str(folder))}"
    )


def _say(line: str) -> None:
    """Print a line of the wait for the database (stdout stays for the action's result)."""
    print(f"sprintback db: {line}", file=sys.stderr, flush=True)
