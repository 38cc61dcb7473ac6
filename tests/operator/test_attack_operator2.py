"""Operator items, second round: a DATABASE_URL whose SQLite file does not exist (a mistyped
path) is said to be missing by `run` and `db current`/`downgrade`, which leave nothing behind;
only `db upgrade` and `run --db-upgrade` create the file. And `sprintback protocol validate`
names the place of each problem in a file as the admin's bot commands do ("stage 4 (H3),
exit_criteria 4 (H3e), threshold"), not in the schema's ``stages[H3].exit_criteria[3]`` form.

Through the real commands (subprocesses) as an operator runs them, in a fresh folder.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.services.protocol_admin import parse_for_admin
from bot.store.db import head_revision
from engine.schema import ProtocolError
from tests.operator.cli import files_in, operator_env, sprintback
from tests.pg_coming_up import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:unused-token"


def _no_database(path: Path, setting: str = "DATABASE_URL") -> str:
    return (
        f"there is no database at {path} (nothing was created): check {setting} (a relative "
        "path starts from the working folder), or create the database with "
        "`sprintback db upgrade`"
    )


# --- `run` without --db-upgrade creates no database -----------------------------------------

# The default URL (in the working folder), and a mistyped path into an existing folder.
MISSING = [(None, "sprintback.sqlite3"), ("sqlite:///data/bot.sqlite3", "data/bot.sqlite3")]


@pytest.mark.parametrize(("database_url", "file"), MISSING)
def test_run_says_there_is_no_database_and_creates_none_until_told_to(
    tmp_path: Path, database_url: str | None, file: str
) -> None:
    (tmp_path / "data").mkdir()
    extra = {"TELEGRAM_TOKEN": TOKEN, "ADMIN_TELEGRAM_IDS": "1"}
    if database_url:
        extra["DATABASE_URL"] = database_url
    # Nothing listens there: once the database is ready, the start stops at Telegram.
    extra["TELEGRAM_API_BASE_URL"] = f"http://127.0.0.1:{free_port()}/bot"
    env = operator_env(tmp_path, **extra)

    result = sprintback(tmp_path, env, "run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"sprintback run: {_no_database(tmp_path / file)} (or start with "
        "`sprintback run --db-upgrade`)"
    ]
    assert "no Sprintback schema" not in result.stdout + result.stderr
    assert files_in(tmp_path) == ["data"], "run created a database"

    # --db-upgrade still creates and migrates it, then goes on to start the bot.
    result = sprintback(tmp_path, env, "run", "--db-upgrade")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cannot reach Telegram" in result.stderr, result.stderr
    assert (tmp_path / file).is_file()
    current = sprintback(tmp_path, env, "db", "current")
    assert current.stdout == f"current: {head_revision()}; code expects: {head_revision()}\n"
    assert "Traceback" not in result.stdout + result.stderr


# --- `db current` and `db downgrade` create no database; `db upgrade` does ------------------


@pytest.mark.parametrize(("database_url", "file"), MISSING)
def test_db_current_says_there_is_no_database_and_only_upgrade_creates_it(
    tmp_path: Path, database_url: str | None, file: str
) -> None:
    (tmp_path / "data").mkdir()
    env = operator_env(tmp_path, **({"DATABASE_URL": database_url} if database_url else {}))

    for action in (["current"], ["downgrade", "base"]):
        result = sprintback(tmp_path, env, "db", *action)
        assert result.returncode == 1, result.stdout + result.stderr
        assert result.stderr.splitlines() == [
            f"sprintback db {action[0]}: {_no_database(tmp_path / file)}"
        ]
        assert result.stdout == ""  # not "current: none (empty database)"
        assert files_in(tmp_path) == ["data"], f"db {action[0]} created a database"

    result = sprintback(tmp_path, env, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / file).is_file()
    result = sprintback(tmp_path, env, "db", "current")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"current: {head_revision()}; code expects: {head_revision()}\n"


def test_db_current_names_the_option_that_gave_the_mistyped_path(tmp_path: Path) -> None:
    result = sprintback(
        tmp_path,
        operator_env(tmp_path),
        "db",
        "current",
        "--database-url",
        "sqlite:///sprintbak.db",
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"sprintback db current: {_no_database(tmp_path / 'sprintbak.db', '--database-url')}"
    ]
    assert files_in(tmp_path) == []


def test_db_current_still_reports_an_empty_database_that_exists(tmp_path: Path) -> None:
    (tmp_path / "empty.sqlite3").touch()
    env = operator_env(tmp_path, DATABASE_URL="sqlite:///empty.sqlite3")
    result = sprintback(tmp_path, env, "db", "current")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"current: none (empty database); code expects: {head_revision()}\n"


# --- `protocol validate` names places as the admin's commands do -----------------------------


def _hamstring() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (ROOT / "protocols/hamstring.yaml").read_text(encoding="utf-8")
    )
    return data


def _place(items: list[dict[str, Any]], item_id: str) -> int:
    """The position (counted from 1) of the item with id ``item_id``."""
    return [item["id"] for item in items].index(item_id) + 1


def _admin_problems(path: Path) -> list[str]:
    """The problems the admin's bot commands show for the text of ``path``."""
    with pytest.raises(ProtocolError) as caught:
        parse_for_admin(path.read_text(encoding="utf-8"), str(path))
    return caught.value.problems


def test_protocol_validate_names_stages_and_criteria_by_position_and_id(tmp_path: Path) -> None:
    data = _hamstring()
    stage = _place(data["stages"], "H3")
    h3 = data["stages"][stage - 1]
    criterion = _place(h3["exit_criteria"], "H3e")
    h3["exit_criteria"][criterion - 1]["threshold"] = "lots"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    # Two stages with one id: both places are named.
    twice = copy.deepcopy(_hamstring())
    twice["stages"][stage - 2]["id"] = "H3"
    dup = tmp_path / "dup.yaml"
    dup.write_text(yaml.safe_dump(twice, allow_unicode=True), encoding="utf-8")
    good = ROOT / "protocols/hamstring.yaml"

    result = sprintback(
        tmp_path, operator_env(tmp_path), "protocol", "validate", str(good), str(bad)
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"OK {good}: protocol 'hamstring'")
    assert lines[1:] == [
        f"INVALID {bad}",
        f"  {bad}: stage {stage} (H3), exit_criteria {criterion} (H3e), threshold: expected a "
        "number, not 'lots'; or expected yes or no (true / false), not 'lots'",
    ]
    assert "stages[" not in result.stdout and "exit_criteria[" not in result.stdout
    # Word for word what an admin reads for the same text in the bot.
    assert lines[2:] == [f"  {line}" for line in _admin_problems(bad)]

    result = sprintback(tmp_path, operator_env(tmp_path), "protocol", "validate", str(dup))
    assert result.returncode == 1
    assert result.stdout.splitlines()[1:] == [
        f"  {dup}: stages {stage - 1} and {stage} (H3), id: duplicate stage id 'H3': ids must "
        "be unique"
    ]
    assert result.stdout.splitlines()[1:] == [f"  {line}" for line in _admin_problems(dup)]

    # `protocol show` refuses the file in the same words.
    result = sprintback(tmp_path, operator_env(tmp_path), "protocol", "show", str(bad))
    assert result.returncode == 2
    assert result.stderr == (
        f"sprintback protocol show: {bad}: stage {stage} (H3), exit_criteria {criterion} "
        "(H3e), threshold: expected a number, not 'lots'; or expected yes or no "
        "(true / false), not 'lots'\n"
    )


def test_protocol_validate_still_names_a_missing_file_or_broken_yaml(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nstages: [\n", encoding="utf-8")
    missing = tmp_path / "nope.yaml"
    result = sprintback(
        tmp_path, operator_env(tmp_path), "protocol", "validate", str(missing), str(broken)
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:2] == [f"INVALID {missing}", f"  {missing}: no such file"]
    assert lines[2] == f"INVALID {broken}"
    assert lines[3].startswith(f"  {broken}: line ") and "expected valid YAML" in lines[3]
    assert "Traceback" not in result.stderr
