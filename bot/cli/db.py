"""`sprintback db upgrade|downgrade REV|current`: manage the database schema."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.settings import SettingsError, load_settings
from bot.store import db


def register(subparsers: Any) -> None:
    """Add the `db` sub-command and its actions."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "db",
        help="create or migrate the database schema (DATABASE_URL or --database-url)",
        description="Create, migrate or inspect the database schema. Exit status: 0 when done, "
        "1 when the action failed (one line says why), 2 on invalid settings or no ACTION.",
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
        # the same database.
        url = args.database_url or load_settings().database_url
    except SettingsError as err:
        print(
            f"sprintback db: invalid settings:\n{err}\n(--database-url URL skips the settings)",
            file=sys.stderr,
        )
        return 2
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
