"""`sprintback db upgrade|downgrade REV|current`: manage the database schema."""

from __future__ import annotations

import argparse
import os
import pwd
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
        "does not exist yet, in a folder that does; no action creates a folder (each says "
        "which one is missing), and `current` and `downgrade` say there is no file and "
        "create none. A folder or database file this user cannot write is named (`current` "
        "may read a read-only file in a folder it can write). "
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
    problem = sqlite_problem(
        url, setting, create=action == "upgrade", read_only=action == "current"
    )
    if problem is not None:
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


def sqlite_file(url: str) -> Path | None:
    """Return the absolute path of the SQLite file ``url`` names, whether or not it exists;
    None for a PostgreSQL URL, an in-memory database or an SQLite ``file:`` URI (left to
    SQLite)."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:"):  # an SQLite URI (uri=true): left to SQLite
        return None
    return Path(name).absolute()


def missing_sqlite_file(url: str) -> Path | None:
    """Return the absolute path of the SQLite file ``url`` names if there is no file there,
    else None (a PostgreSQL URL, an in-memory database, an SQLite ``file:`` URI, a file that
    exists). SQLite creates a missing file on connecting: only `upgrade` should."""
    path = sqlite_file(url)
    return None if path is None or path.is_file() else path


# What to run once the folder of a new database exists, when the command will not create it.
UPGRADE_THEN = "; then create the database with `sprintback db upgrade`"


def sqlite_problem(
    url: str,
    setting: str = "DATABASE_URL",
    *,
    create: bool,
    read_only: bool = False,
    also: str = "",
    then: str = UPGRADE_THEN,
) -> str | None:
    """Say in one line what stops a command from using the SQLite database ``url`` names
    (``setting`` gave it), and what to do; None when nothing does, or for PostgreSQL.

    In this order: no folder for it (with the ``mkdir -p`` to run, then ``then``: how to
    create the database once it exists); no file, unless the command may ``create`` it
    (``also``: another way to create it); a folder or file this user cannot write
    (``read_only``: a command that only reads may read a read-only file).
    """
    path = sqlite_file(url)
    if path is None:
        return None
    if not path.is_file():
        problem = no_place_for(path, setting, "" if create else then)
        if problem is not None:
            return problem
        if not create:
            # SQLite would create the file on connecting: a mistyped path would leave an
            # empty database behind, and `current` would call it one never migrated.
            return no_database(path, setting, also)
    return no_write_access(path, setting, read_only=read_only)


def no_database(path: Path, setting: str = "DATABASE_URL", also: str = "") -> str:
    """Say that there is no SQLite database file at ``path`` (``setting`` named it) and what to
    do: fix the setting, or create the database with `sprintback db upgrade` (``also``: another
    way to create it)."""
    return (
        f"there is no database at {path} (nothing was created): check {setting} (a relative "
        f"path starts from the working folder), or create the database with "
        f"`sprintback db upgrade`{also}"
    )


def no_place_for(path: Path, setting: str = "DATABASE_URL", then: str = "") -> str | None:
    """Say why SQLite cannot create a database file at ``path`` (``setting`` named it): its
    folder does not exist or is a file, or ``path`` is a folder; else return None. SQLite
    would say only "unable to open database file". The folder is not created here: a
    mistyped path would leave folders behind, and a database where nobody looks for it.
    ``then``: what to run once the folder exists (a command that does not create the file)."""
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
        f"{then}"
    )


# SQLite's files beside the database in WAL mode (the journal and its shared-memory index).
_SQLITE_COMPANIONS = ("-wal", "-shm")


def no_write_access(
    path: Path, setting: str = "DATABASE_URL", *, read_only: bool = False
) -> str | None:
    """Say why this user cannot use the SQLite database at ``path`` (``setting`` named it),
    naming the folder or file to fix, else return None. SQLite would say only "unable to open
    database file" or "attempt to write a readonly database".

    The folder must be writable even to read: SQLite makes its journal files (``-wal``,
    ``-shm``) beside the database unless both are there already. The database file and its
    journal files must be writable unless ``read_only`` (a command that only reads, such as
    `db current`, may read a read-only file). For a missing ``path`` only its folder is
    checked (``no_place_for`` says when there is none).
    """
    folder = path.parent
    companions = [path.with_name(path.name + suffix) for suffix in _SQLITE_COMPANIONS]
    journals_there = path.is_file() and all(c.is_file() for c in companions)
    if not journals_there and not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"cannot write to {folder} (the folder of {setting}): give the user running "
            f"Sprintback ({_this_user()}) write access to it, or choose another folder; SQLite "
            "writes its journal files beside the database, even to read it"
        )
    if read_only:
        return None
    for file in (path, *companions):
        # As root, os.access says no only on a read-only file system.
        if file.is_file() and not os.access(file, os.W_OK):
            what = "the database file" if file == path else "a journal file of the database"
            return (
                f"cannot write to {file} ({what} of {setting}): give the user running "
                f"Sprintback ({_this_user()}) write access to it"
            )
    return None


def _this_user() -> str:
    """Name the user this process runs as, e.g. "sprintback, uid 10001" (only the uid when
    the system knows no name for it, as in a container run with an arbitrary uid)."""
    uid = os.geteuid()
    try:
        return f"{pwd.getpwuid(uid).pw_name}, uid {uid}"
    except KeyError:
        return f"uid {uid}"


def _say(line: str) -> None:
    """Print a line of the wait for the database (stdout stays for the action's result)."""
    print(f"sprintback db: {line}", file=sys.stderr, flush=True)
