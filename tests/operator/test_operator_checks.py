"""Operator items: `sprintback health` only reads (a missing SQLite file is reported, never
created), a database host name that does not resolve is waited for and named, and a
WEBHOOK_URL port Telegram's own Bot API refuses is refused as a setting.

Through the real commands (subprocesses) as an operator runs them, in a fresh folder; the
settings also through `load_settings`, as `run` and `health` read them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from bot.store.db import upgrade
from tests.operator.cli import run_sprintback

RETRY_LINE = "database not reachable yet"
# RFC 6761: names under .invalid never resolve; RES_OPTIONS keeps a slow resolver short.
TYPO_HOST = "sprintback-db-typo.invalid"
TYPO_URL = f"postgresql+psycopg://sprintback:s3cret@{TYPO_HOST}/sprintback"
SHOWN_URL = f"postgresql+psycopg://sprintback:***@{TYPO_HOST}/sprintback"
UNRESOLVED = f"the host name '{TYPO_HOST}' could not be resolved ("


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "RUNTIME_DIR": str(tmp_path / "run"),
        "RES_OPTIONS": "timeout:1 attempts:1",
        **extra,
    }
    for name in ("WEBHOOK_URL", "TELEGRAM_API_BASE_URL", "DATABASE_URL", "TELEGRAM_TOKEN"):
        if name not in extra:
            env.pop(name, None)
    return env


def _sprintback(
    tmp_path: Path, env: dict[str, str], *args: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    result = run_sprintback(tmp_path, env, *args, timeout=60)
    return result, time.monotonic() - began


def _retry_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if RETRY_LINE in line]


# --- `sprintback health` in polling mode only reads ---------------------------------------


@pytest.mark.parametrize(
    ("database_url", "file"),
    [
        (None, "sprintback.sqlite3"),  # the default: in the working folder
        ("sqlite:///data/bot.sqlite3", "data/bot.sqlite3"),
    ],
)
def test_health_reports_a_missing_sqlite_file_and_never_creates_it(
    tmp_path: Path, database_url: str | None, file: str
) -> None:
    extra = {"TELEGRAM_TOKEN": "123456789:unused-token"}
    if database_url:
        extra["DATABASE_URL"] = database_url
        (tmp_path / "data").mkdir()
    result, _ = _sprintback(tmp_path, _env(tmp_path, **extra), "health")
    assert result.returncode == 1, result.stderr
    assert not (tmp_path / file).exists(), "the health check created a database"
    assert sorted(p.name for p in tmp_path.rglob("*")) == (["data"] if database_url else [])
    assert len(result.stdout.splitlines()) == 1, result.stdout
    report = json.loads(result.stdout)
    assert report["status"] == "unhealthy"
    assert report["database"] == (
        f"no database file at {tmp_path / file}: expected the SQLite file `sprintback run` "
        "uses, made by `sprintback db upgrade` (run health with the same DATABASE_URL and "
        "working folder)"
    )
    assert "Traceback" not in result.stderr


def test_health_still_checks_an_sqlite_file_that_exists(tmp_path: Path) -> None:
    upgrade(f"sqlite:///{tmp_path / 'sprintback.sqlite3'}")
    env = _env(tmp_path, TELEGRAM_TOKEN="123456789:unused-token")
    result, _ = _sprintback(tmp_path, env, "health")
    report = json.loads(result.stdout)
    assert report["database"] == "ok"
    assert result.returncode == 1  # no bot is polling
    assert report["polling"].startswith("no status in ")


# --- a database host name that does not resolve -------------------------------------------


def test_db_upgrade_waits_for_a_host_name_that_does_not_resolve_and_names_it(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path, DATABASE_URL=TYPO_URL, DATABASE_WAIT_SECONDS="1")
    result, took = _sprintback(tmp_path, env, "db", "upgrade")
    assert result.returncode == 1, result.stderr
    assert 1 <= took < 45, f"gave up after {took:.1f} s, not after the 1 s wait"
    retries = _retry_lines(result.stderr)
    assert len(retries) == 1, result.stderr
    assert re.fullmatch(
        rf"sprintback db: database not reachable yet \(host name '{re.escape(TYPO_HOST)}' "
        r"could not be resolved\); retrying in (1|0\.\d) s",
        retries[0],
    ), retries[0]
    failure = [line for line in result.stderr.splitlines() if RETRY_LINE not in line]
    assert len(failure) == 1, result.stderr
    assert failure[0].startswith(f"sprintback db upgrade failed on {SHOWN_URL}: {UNRESOLVED}")
    assert "s3cret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_run_waits_for_a_host_name_that_does_not_resolve_then_says_so_in_one_line(
    tmp_path: Path,
) -> None:
    env = _env(
        tmp_path,
        TELEGRAM_TOKEN="123456789:unused-token",
        ADMIN_TELEGRAM_IDS="1",
        DATABASE_URL=TYPO_URL,
        DATABASE_WAIT_SECONDS="1",
    )
    result, took = _sprintback(tmp_path, env, "run")
    assert result.returncode == 2, result.stderr
    assert took < 45  # the 1 s wait, not the default 60 s (the retry line says which)
    retries = _retry_lines(result.stdout)  # the log
    assert len(retries) == 1, result.stdout
    assert re.search(
        rf" database not reachable yet \(host name '{re.escape(TYPO_HOST)}' could not be "
        r"resolved\); retrying in (1|0\.\d) s$",
        retries[0],
    ), retries[0]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sprintback run: "), result.stderr
    assert UNRESOLVED in lines[0]
    assert "s3cret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_with_no_wait_a_host_name_that_does_not_resolve_is_named_at_once(tmp_path: Path) -> None:
    env = _env(tmp_path, DATABASE_WAIT_SECONDS="0")
    result, took = _sprintback(tmp_path, env, "db", "current", "--database-url", TYPO_URL)
    assert result.returncode == 1
    assert took < 45  # no pause of the default 60 s: the process's own start-up only
    assert _retry_lines(result.stderr) == []
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"sprintback db current failed on {SHOWN_URL}: {UNRESOLVED}")
    assert "s3cret" not in result.stderr


# --- WEBHOOK_URL ports with Telegram's own Bot API ----------------------------------------


def test_a_webhook_port_telegram_refuses_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    env = _env(
        tmp_path,
        TELEGRAM_TOKEN="123456789:unused-token",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        DATABASE_WAIT_SECONDS="0",
        WEBHOOK_URL="https://bot.example.org:8080/telegram",
    )
    result, took = _sprintback(tmp_path, env, "run")
    assert result.returncode == 2, result.stderr
    assert took < 45  # the 1 s wait, not the default 60 s (the retry line says which)
    assert result.stderr.splitlines() == [
        "sprintback run: invalid settings:",
        "WEBHOOK_URL: 'https://bot.example.org:8080/telegram' uses port 8080, but Telegram's "
        "Bot API posts webhooks only to ports 443, 80, 88 or 8443 (only a local Bot API server "
        "in TELEGRAM_API_BASE_URL takes another port), expected an https URL such as "
        "https://bot.example.org/telegram",
    ]
    assert result.stdout == ""  # nothing started: no log line
    assert not (tmp_path / "bot.sqlite3").exists()


@pytest.mark.parametrize(
    "webhook_url",
    [
        "https://bot.example.org/telegram",
        "https://bot.example.org:443/telegram",
        "https://bot.example.org:88/telegram",
        "https://bot.example.org:8443/telegram",
        "https://bot.example.org:80/telegram",
    ],
)
def test_the_ports_telegram_takes_are_accepted(webhook_url: str) -> None:
    settings = load_settings(env_file=None, webhook_url=webhook_url)
    assert settings.webhook_url == webhook_url


def test_a_local_bot_api_takes_any_port() -> None:
    settings = load_settings(
        env_file=None,
        telegram_api_base_url="http://127.0.0.1:8081/bot",
        webhook_url="https://bot.example.org:8080/telegram",
    )
    assert settings.webhook_url == "https://bot.example.org:8080/telegram"


def test_telegrams_api_however_spelled_refuses_another_port() -> None:
    with pytest.raises(SettingsError, match=r"^WEBHOOK_URL: 'https://h:9000/x' uses port 9000"):
        load_settings(
            env_file=None,
            telegram_api_base_url="https://API.Telegram.org/bot",
            webhook_url="https://h:9000/x",
        )


@pytest.mark.parametrize("webhook_url", ["https://h:99999/x", "https://h:port/x", "https://h:0/x"])
def test_a_port_that_is_not_a_port_is_refused(webhook_url: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(
            env_file=None,
            telegram_api_base_url="http://127.0.0.1:8081/bot",
            webhook_url=webhook_url,
        )
    assert str(refused.value).startswith(
        f"WEBHOOK_URL: {webhook_url!r} has a port that is not a number from 1 to 65535"
    )
