"""An SQLite DATABASE_URL whose folder or file the user running Sprintback cannot write is
named in one line with what to do, by `sprintback run`, `db upgrade`, `db current` and
`health`, instead of SQLite's bare "unable to open database file" or "attempt to write a
readonly database" (or, for a read-only file, a bot that starts and then fails every answer).
`db current`, which only reads, still reads a read-only file in a folder it can write. And
`db current`, `db downgrade` and `run` name a folder that does not exist at once, with the
`mkdir -p` to run, as `db upgrade` does (not "there is no database" first).

Through the real commands (a process each) as an operator runs them, in a fresh folder. As
root, permissions stop no write: there the command runs without the capabilities that
override them (CAP_DAC_OVERRIDE, CAP_FOWNER, dropped as ``setpriv --bounding-set
-dac_override,-fowner`` does), so a root-owned folder or file without write permission is
refused as for any other user.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.db import head_revision
from tests.operator.cli import files_in, operator_env, run_sprintback, sprintback
from tests.pg_coming_up import free_port

TOKEN = "123456789:unused-token"
# As root, the capabilities that let a process write whatever the permissions say.
_OVERRIDES = ("dac_override", "fowner")


def sprintback_bound(
    tmp_path: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """Run `sprintback ARGS` as ``sprintback`` does, but bound by file permissions even as
    root: without the capabilities that override them (as ``setpriv --bounding-set
    -dac_override,-fowner`` would start it)."""
    dropped = _OVERRIDES if os.geteuid() == 0 else ()
    return run_sprintback(tmp_path, env, *args, drop_capabilities=dropped)


def _user() -> str:
    uid = os.geteuid()
    return f"{pwd.getpwuid(uid).pw_name}, uid {uid}"


def _cannot_write_folder(folder: Path, setting: str = "DATABASE_URL") -> str:
    return (
        f"cannot write to {folder} (the folder of {setting}): give the user running "
        f"Sprintback ({_user()}) write access to it, or choose another folder; SQLite writes "
        "its journal files beside the database, even to read it"
    )


def _cannot_write_file(file: Path, setting: str = "DATABASE_URL") -> str:
    return (
        f"cannot write to {file} (the database file of {setting}): give the user running "
        f"Sprintback ({_user()}) write access to it"
    )


def _run_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """Settings for `run`: nothing listens at the Bot API address, so once the database is
    ready the start stops at Telegram (exit 1, "cannot reach Telegram")."""
    return operator_env(
        tmp_path,
        TELEGRAM_TOKEN=TOKEN,
        ADMIN_TELEGRAM_IDS="1",
        DATABASE_URL=database_url,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{free_port()}/bot",
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The lines on standard error, after checking that no traceback or raw SQLite error
    came with them."""
    both = result.stdout + result.stderr
    assert "Traceback" not in both
    assert "unable to open database file" not in both
    assert "readonly database" not in both
    return result.stderr.splitlines()


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """An empty folder ``data`` nobody may write (mode 555), made writable again afterwards
    so pytest can remove it."""
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def test_db_upgrade_and_run_name_a_folder_they_cannot_write(
    tmp_path: Path, read_only_folder: Path
) -> None:
    url = "sqlite:///data/bot.sqlite3"
    env = operator_env(tmp_path, DATABASE_URL=url)

    result = sprintback_bound(tmp_path, env, "db", "upgrade")
    assert result.returncode == 1, result.stdout + result.stderr
    assert _one_line(result) == [f"sprintback db upgrade: {_cannot_write_folder(read_only_folder)}"]
    assert result.stdout == ""

    result = sprintback_bound(
        tmp_path, operator_env(tmp_path), "db", "upgrade", "--database-url", url
    )
    assert result.returncode == 1
    assert _one_line(result) == [
        f"sprintback db upgrade: {_cannot_write_folder(read_only_folder, '--database-url')}"
    ]

    result = sprintback_bound(tmp_path, _run_env(tmp_path, url), "run", "--db-upgrade")
    assert result.returncode == 2, result.stdout + result.stderr
    assert _one_line(result)[-1:] == [f"sprintback run: {_cannot_write_folder(read_only_folder)}"]
    assert files_in(tmp_path) == ["data"], "a command created something"

    # Once the operator gives write access, the same command creates the database.
    read_only_folder.chmod(0o755)
    result = sprintback_bound(tmp_path, env, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (read_only_folder / "bot.sqlite3").is_file()


def test_a_database_in_a_folder_they_cannot_write_is_named_even_to_read_it(
    tmp_path: Path, read_only_folder: Path
) -> None:
    url = "sqlite:///data/bot.sqlite3"
    read_only_folder.chmod(0o755)
    assert (
        sprintback(tmp_path, operator_env(tmp_path, DATABASE_URL=url), "db", "upgrade").returncode
        == 0
    )
    assert files_in(tmp_path) == ["data", "data/bot.sqlite3"]  # no journal files left
    read_only_folder.chmod(0o555)
    env = operator_env(tmp_path, DATABASE_URL=url)
    expected = _cannot_write_folder(read_only_folder)

    for action in (["current"], ["upgrade"], ["downgrade", "base"]):
        result = sprintback_bound(tmp_path, env, "db", *action)
        assert result.returncode == 1, result.stdout + result.stderr
        assert _one_line(result) == [f"sprintback db {action[0]}: {expected}"]
        assert result.stdout == ""

    result = sprintback_bound(tmp_path, _run_env(tmp_path, url), "run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert _one_line(result)[-1:] == [f"sprintback run: {expected}"]

    # The health check says the same, not "unreachable (OperationalError)".
    result = sprintback_bound(tmp_path, _run_env(tmp_path, url), "health")
    assert result.returncode == 1
    assert json.loads(result.stdout)["database"] == expected
    assert files_in(tmp_path) == ["data", "data/bot.sqlite3"]


def test_a_read_only_database_file_is_refused_by_writers_and_read_by_db_current(
    tmp_path: Path,
) -> None:
    (tmp_path / "data").mkdir()
    url = "sqlite:///data/bot.sqlite3"
    env = operator_env(tmp_path, DATABASE_URL=url)
    assert sprintback(tmp_path, env, "db", "upgrade").returncode == 0
    database = tmp_path / "data/bot.sqlite3"
    database.chmod(0o444)
    before = database.read_bytes()
    expected = _cannot_write_file(database)

    # Before: `run` started a bot whose every answer would fail to be stored.
    for args in (["run"], ["run", "--db-upgrade"]):
        result = sprintback_bound(tmp_path, _run_env(tmp_path, url), *args)
        assert result.returncode == 2, result.stdout + result.stderr
        assert _one_line(result)[-1:] == [f"sprintback run: {expected}"]
        assert "cannot reach Telegram" not in result.stderr

    for action in (["upgrade"], ["downgrade", "base"]):
        result = sprintback_bound(tmp_path, env, "db", *action)
        assert result.returncode == 1, result.stdout + result.stderr
        assert _one_line(result) == [f"sprintback db {action[0]}: {expected}"]
        assert result.stdout == ""
    assert database.read_bytes() == before

    # `db current` only reads: it still reads a read-only file in a folder it can write.
    result = sprintback_bound(tmp_path, env, "db", "current")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"current: {head_revision()}; code expects: {head_revision()}\n"

    # Reading it left SQLite's journal files beside it, read-only as the file was: once the
    # file is writable again, the journal file still in the way is named.
    database.chmod(0o644)
    journal = tmp_path / "data/bot.sqlite3-wal"
    assert files_in(tmp_path / "data") == ["bot.sqlite3", "bot.sqlite3-shm", "bot.sqlite3-wal"]
    result = sprintback_bound(tmp_path, env, "db", "upgrade")
    assert result.returncode == 1, result.stdout + result.stderr
    assert _one_line(result) == [
        f"sprintback db upgrade: cannot write to {journal} (a journal file of the database of "
        f"DATABASE_URL): give the user running Sprintback ({_user()}) write access to it"
    ]


def _no_folder(folder: Path, file: str, then: str, setting: str = "DATABASE_URL") -> str:
    return (
        f"the folder {folder} does not exist, so the database file {file} cannot be made in it "
        f"(nothing was created): check {setting} (a relative path starts from the working "
        f"folder), or create the folder first: mkdir -p {folder}; then {then}"
    )


def test_db_current_downgrade_and_run_name_a_missing_folder_at_once(tmp_path: Path) -> None:
    url = "sqlite:///data/bot.sqlite3"
    folder = tmp_path / "data"
    env = operator_env(tmp_path, DATABASE_URL=url)
    create = "create the database with `sprintback db upgrade`"

    for action in (["current"], ["downgrade", "base"]):
        result = sprintback(tmp_path, env, "db", *action)
        assert result.returncode == 1, result.stdout + result.stderr
        assert _one_line(result) == [
            f"sprintback db {action[0]}: {_no_folder(folder, 'bot.sqlite3', create)}"
        ]
        assert result.stdout == ""

    result = sprintback(tmp_path, operator_env(tmp_path), "db", "current", "--database-url", url)
    assert result.returncode == 1
    assert _one_line(result) == [
        f"sprintback db current: {_no_folder(folder, 'bot.sqlite3', create, '--database-url')}"
    ]

    run_env = _run_env(tmp_path, url)
    result = sprintback(tmp_path, run_env, "run")
    assert result.returncode == 2, result.stdout + result.stderr
    start = "start with `sprintback run --db-upgrade`"
    assert _one_line(result)[-1:] == [f"sprintback run: {_no_folder(folder, 'bot.sqlite3', start)}"]
    assert files_in(tmp_path) == [], "a command created a folder or a file"

    # Doing what it says is enough: the folder, then `run --db-upgrade`.
    folder.mkdir()
    result = sprintback(tmp_path, run_env, "run", "--db-upgrade")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cannot reach Telegram" in result.stderr, result.stderr
    assert (folder / "bot.sqlite3").is_file()
