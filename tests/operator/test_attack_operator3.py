"""Operator items, third round: `sprintback simulate --protocol FILE` names the place of each
problem in an invalid protocol file as `sprintback protocol validate` does ("stage 4 (H3),
exit_criteria 4 (H3e), threshold"), not in the schema's ``stages[H3].exit_criteria[3]`` form;
and `sprintback db upgrade` and `sprintback run --db-upgrade`, given an SQLite DATABASE_URL
whose folder does not exist, say which folder is missing and what to do instead of SQLite's
bare "unable to open database file", and create nothing (no folder, no file).

Through the real commands (subprocesses) as an operator runs them, in a fresh folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.store.db import head_revision
from tests.operator.cli import files_in, operator_env, sprintback
from tests.pg_coming_up import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:unused-token"


# --- `simulate --protocol FILE` names places as `protocol validate` does ---------------------


def _bad_hamstring(tmp_path: Path) -> tuple[Path, int, int]:
    """Write the shipped hamstring protocol with H3e's threshold spoilt; return the file and
    the positions (counted from 1) of stage H3 and of criterion H3e in it."""
    data: dict[str, Any] = yaml.safe_load(
        (ROOT / "protocols/hamstring.yaml").read_text(encoding="utf-8")
    )
    stage = [s["id"] for s in data["stages"]].index("H3") + 1
    h3 = data["stages"][stage - 1]
    criterion = [c["id"] for c in h3["exit_criteria"]].index("H3e") + 1
    h3["exit_criteria"][criterion - 1]["threshold"] = "lots"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return bad, stage, criterion


def test_simulate_names_an_invalid_protocols_places_as_protocol_validate_does(
    tmp_path: Path,
) -> None:
    bad, stage, criterion = _bad_hamstring(tmp_path)
    problem = (
        f"{bad}: stage {stage} (H3), exit_criteria {criterion} (H3e), threshold: expected a "
        "number, not 'lots'; or expected yes or no (true / false), not 'lots'"
    )
    env = operator_env(tmp_path)

    result = sprintback(tmp_path, env, "simulate", "hamstring_grade1", "--protocol", str(bad))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr == f"sprintback simulate: invalid input:\n{problem}\n"
    assert "stages[" not in result.stderr and "exit_criteria[" not in result.stderr
    # Word for word the line `protocol validate` prints for the same file.
    validate = sprintback(tmp_path, env, "protocol", "validate", str(bad))
    assert validate.stdout.splitlines()[1:] == [f"  {problem}"]

    # A scenario that names the file itself (its `protocol:`) is told the same.
    scenario: dict[str, Any] = yaml.safe_load(
        (ROOT / "examples/hamstring_grade1.yaml").read_text(encoding="utf-8")
    )
    scenario["protocol"] = str(bad)
    own = tmp_path / "own.yaml"
    own.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    result = sprintback(tmp_path, env, "simulate", str(own))
    assert result.returncode == 2
    assert result.stderr == f"sprintback simulate: invalid input:\n{problem}\n"


def test_simulate_still_names_a_missing_protocol_file_and_runs_a_valid_one(
    tmp_path: Path,
) -> None:
    env = operator_env(tmp_path)
    missing = tmp_path / "nope.yaml"
    result = sprintback(tmp_path, env, "simulate", "hamstring_grade1", "--protocol", str(missing))
    assert result.returncode == 2
    assert result.stderr == f"sprintback simulate: invalid input:\n{missing}: no such file\n"

    good = ROOT / "protocols/hamstring.yaml"
    result = sprintback(tmp_path, env, "simulate", "hamstring_grade1", "--protocol", str(good))
    assert result.returncode == 0, result.stderr
    assert "full training (H6) reached on" in result.stdout


# --- `db upgrade` / `run --db-upgrade` into a folder that does not exist ---------------------


def _no_folder(folder: Path, file: str, setting: str = "DATABASE_URL") -> str:
    return (
        f"the folder {folder} does not exist, so the database file {file} cannot be made in it "
        f"(nothing was created): check {setting} (a relative path starts from the working "
        f"folder), or create the folder first: mkdir -p {folder}"
    )


# A relative path into a folder not made yet, and an absolute one two folders deep.
NO_FOLDER = [("sqlite:///data/bot.sqlite3", "data"), ("sqlite:///{tmp}/srv/db/bot.db", "srv/db")]


@pytest.mark.parametrize(("database_url", "folder"), NO_FOLDER)
def test_db_upgrade_names_the_missing_folder_and_creates_nothing(
    tmp_path: Path, database_url: str, folder: str
) -> None:
    url = database_url.format(tmp=tmp_path)
    file = url.rsplit("/", 1)[1]
    env = operator_env(tmp_path, DATABASE_URL=url)

    result = sprintback(tmp_path, env, "db", "upgrade")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"sprintback db upgrade: {_no_folder(tmp_path / folder, file)}"
    ]
    assert "unable to open database file" not in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    assert files_in(tmp_path) == [], "db upgrade created a folder or a file"

    # --database-url is named when it gave the path.
    result = sprintback(tmp_path, operator_env(tmp_path), "db", "upgrade", "--database-url", url)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"sprintback db upgrade: {_no_folder(tmp_path / folder, file, '--database-url')}"
    ]
    assert files_in(tmp_path) == []

    # Once the operator makes the folder, the same command creates and migrates the database.
    (tmp_path / folder).mkdir(parents=True)
    result = sprintback(tmp_path, env, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / folder / file).is_file()
    result = sprintback(tmp_path, env, "db", "current")
    assert result.stdout == f"current: {head_revision()}; code expects: {head_revision()}\n"


def test_run_db_upgrade_names_the_missing_folder_and_creates_nothing(tmp_path: Path) -> None:
    extra = {"TELEGRAM_TOKEN": TOKEN, "ADMIN_TELEGRAM_IDS": "1"}
    extra["DATABASE_URL"] = "sqlite:///data/bot.sqlite3"
    # Nothing listens there: once the database is ready, the start stops at Telegram.
    extra["TELEGRAM_API_BASE_URL"] = f"http://127.0.0.1:{free_port()}/bot"
    env = operator_env(tmp_path, **extra)

    result = sprintback(tmp_path, env, "run", "--db-upgrade")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"sprintback run: {_no_folder(tmp_path / 'data', 'bot.sqlite3')}"
    ]
    assert "Traceback" not in result.stdout + result.stderr
    assert files_in(tmp_path) == [], "run --db-upgrade created a folder or a file"

    (tmp_path / "data").mkdir()
    result = sprintback(tmp_path, env, "run", "--db-upgrade")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cannot reach Telegram" in result.stderr, result.stderr
    assert (tmp_path / "data/bot.sqlite3").is_file()


def test_db_upgrade_says_when_the_path_is_a_folder_or_goes_through_a_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "notes.txt").write_text("not a folder\n", encoding="utf-8")

    result = sprintback(
        tmp_path, operator_env(tmp_path, DATABASE_URL="sqlite:///data"), "db", "upgrade"
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"sprintback db upgrade: {tmp_path / 'data'} is a folder, not a database file (nothing "
        f"was created): fix DATABASE_URL to name a file, e.g. "
        f"sqlite:///{tmp_path / 'data/sprintback.sqlite3'}"
    ]

    env = operator_env(tmp_path, DATABASE_URL="sqlite:///notes.txt/bot.db")
    result = sprintback(tmp_path, env, "db", "upgrade")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"sprintback db upgrade: {tmp_path / 'notes.txt'} is a file, not a folder, so the "
        "database file bot.db cannot be made in it (nothing was created): check DATABASE_URL"
    ]
    assert files_in(tmp_path) == ["data", "notes.txt"]
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "not a folder\n"
