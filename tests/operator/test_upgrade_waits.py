"""Operator items: `sprintback db` waits for a database that is still starting, a server
speaking another language is recognised by its SQLSTATE, and an http WEBHOOK_URL is refused
as a setting when the Bot API is Telegram's own.

Through the real commands (subprocesses), as an operator runs them: `db upgrade` as a one-off
job right after PostgreSQL was started (refused, then "starting up", then answering).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.settings import SettingsError, load_settings
from tests.operator.cli import run_sprintback
from tests.pg_coming_up import free_port, late_server
from tests.support.postgres import base_url, throwaway_database

RETRY_LINE = "database not reachable yet"
ENGLISH = b"the database system is starting up"
GERMAN = b"das Datenbanksystem startet"


def _env(tmp_path: Path, wait: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_WAIT_SECONDS": wait,
        "RUNTIME_DIR": str(tmp_path / "run"),
        **extra,
    }
    for name in ("WEBHOOK_URL", "TELEGRAM_API_BASE_URL", "DATABASE_URL"):
        if name not in extra:
            env.pop(name, None)
    return env


def _sprintback(
    tmp_path: Path, env: dict[str, str], *args: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    result = run_sprintback(tmp_path, env, *args)
    return result, time.monotonic() - began


def _retry_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if RETRY_LINE in line]


# --- a PostgreSQL server coming up ------------------------------------------------------


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """Return the name of a new, empty database on the test server (dropped afterwards)."""
    with throwaway_database("sb_upgrade_wait") as url:
        yield str(make_url(url).database)


def _upgrade_through_late_server(
    tmp_path: Path, database: str, message: bytes, *, refused_first: bool, via_option: bool
) -> tuple[int, str, str]:
    """Run `sprintback db upgrade` against a server coming up; return its exit status, stdout
    and stderr. With ``refused_first`` the port refuses until the command said so once."""
    base = make_url(base_url())
    upstream = (base.host or "127.0.0.1", base.port or 5432)
    with late_server(upstream, refusals=2, message=message) as (port, listen):
        if not refused_first:
            listen.set()
        url = base.set(host="127.0.0.1", port=port, database=database).render_as_string(
            hide_password=False
        )
        if via_option:
            env, args = _env(tmp_path, "60"), ("--database-url", url)
        else:
            env, args = _env(tmp_path, "60", DATABASE_URL=url), ()
        job = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "db", "upgrade", *args],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: list[str] = []

        def read() -> None:
            assert job.stderr is not None
            for line in job.stderr:
                lines.append(line.rstrip("\n"))
                if "(connection refused)" in line:
                    listen.set()  # the server comes up after the first refusal

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            code = job.wait(60)
        finally:
            if job.poll() is None:
                job.kill()
                job.wait()
        reader.join(5)
        out = job.stdout.read() if job.stdout else ""
    return code, out, "\n".join(lines)


def test_db_upgrade_run_as_a_job_waits_for_a_server_that_is_starting_then_migrates(
    tmp_path: Path, fresh_database: str
) -> None:
    code, out, err = _upgrade_through_late_server(
        tmp_path, fresh_database, ENGLISH, refused_first=True, via_option=False
    )
    assert code == 0, err
    assert out.startswith("database upgraded to head"), out
    retries = _retry_lines(err)
    # The same lines `sprintback run` logs, on standard error of the one-off job.
    assert retries[0] == (
        "sprintback db: database not reachable yet (connection refused); retrying in 1 s"
    ), err
    assert [line for line in retries if "(server starting up); retrying in" in line], err
    assert "sprintback db: database reachable after" in err
    assert "Traceback" not in err


def test_a_server_speaking_another_language_is_recognised_by_its_sqlstate(
    tmp_path: Path, fresh_database: str
) -> None:
    # lc_messages = 'de_DE': the refusal's words are German, its SQLSTATE is still 57P03.
    code, out, err = _upgrade_through_late_server(
        tmp_path, fresh_database, GERMAN, refused_first=False, via_option=True
    )
    assert code == 0, f"a server refusing with 57P03 in German was not waited for\n{err}"
    assert out.startswith("database upgraded to head"), out
    retries = _retry_lines(err)
    assert retries, err
    assert all(line.startswith("sprintback db: ") for line in retries), err
    assert all("(server not accepting connections yet)" in line for line in retries), err
    assert "Traceback" not in err


def test_db_upgrade_gives_up_after_the_wait_with_the_one_line_it_always_gave(
    tmp_path: Path,
) -> None:
    url = f"postgresql+psycopg://sprintback:s3cret@127.0.0.1:{free_port()}/sprintback"
    result, took = _sprintback(tmp_path, _env(tmp_path, "3", DATABASE_URL=url), "db", "upgrade")
    assert result.returncode == 1, result.stderr
    # Not before the 3 s wait; well before a wait of the default 60 s (a loaded machine may
    # take several seconds just to start the command, so no tighter bound).
    assert 3 <= took < 45, f"gave up after {took:.1f} s, not after the 3 s wait"
    lines = result.stderr.strip().splitlines()
    assert len(_retry_lines(result.stderr)) == 2, result.stderr  # after 1 s, then 2 s
    failure = [line for line in lines if RETRY_LINE not in line]
    assert len(failure) == 1 and failure[0].startswith("sprintback db upgrade failed on ")
    assert "Connection refused" in failure[0]
    assert "s3cret" not in result.stderr + result.stdout
    assert result.stdout == ""


def test_db_current_waits_too_and_0_means_no_wait(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://sprintback@127.0.0.1:{free_port()}/sprintback"
    # 1 s: one retry line proves the wait.
    result, _ = _sprintback(tmp_path, _env(tmp_path, "1"), "db", "current", "--database-url", url)
    assert result.returncode == 1
    assert _retry_lines(result.stderr), result.stderr
    result, _ = _sprintback(tmp_path, _env(tmp_path, "0"), "db", "current", "--database-url", url)
    assert result.returncode == 1
    assert _retry_lines(result.stderr) == []  # no try again: it did not wait
    assert "Connection refused" in result.stderr


def test_db_upgrade_does_not_wait_for_a_database_that_does_not_exist(tmp_path: Path) -> None:
    missing = f"sb_upgrade_missing_{uuid.uuid4().hex[:8]}"
    url = make_url(base_url()).set(database=missing).render_as_string(hide_password=False)
    result, took = _sprintback(tmp_path, _env(tmp_path, "60", DATABASE_URL=url), "db", "upgrade")
    assert result.returncode == 1
    # The wait is 60 s: a command that waited would take at least that (the bound leaves room
    # for a loaded machine's slow start).
    assert took < 45, f"waited {took:.1f} s for a mistake waiting cannot fix"
    assert _retry_lines(result.stderr) == []
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not exist" in lines[0], result.stderr


def test_an_invalid_wait_is_refused_even_with_database_url(tmp_path: Path) -> None:
    result, _ = _sprintback(
        tmp_path, _env(tmp_path, "soon"), "db", "upgrade", "--database-url", "sqlite:///x.sqlite3"
    )
    assert result.returncode == 2
    assert "DATABASE_WAIT_SECONDS: 'soon'" in result.stderr
    assert "skips the settings" not in result.stderr
    assert not (tmp_path / "x.sqlite3").exists()


# --- WEBHOOK_URL over plain http ---------------------------------------------------------


def test_an_http_webhook_with_telegrams_bot_api_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    env = _env(
        tmp_path,
        "60",
        TELEGRAM_TOKEN="123456789:unused-token",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        WEBHOOK_URL="http://bot.example.org/telegram",
    )
    result, took = _sprintback(tmp_path, env, "run")
    assert result.returncode == 2, result.stderr
    assert took < 15
    assert result.stderr.splitlines() == [
        "sprintback run: invalid settings:",
        "WEBHOOK_URL: 'http://bot.example.org/telegram' is plain http, which Telegram's Bot "
        "API refuses for webhooks (only a local Bot API server in TELEGRAM_API_BASE_URL "
        "takes http), expected an https URL such as https://bot.example.org/telegram",
    ]
    assert result.stdout == ""  # nothing started: no log line
    assert not (tmp_path / "bot.sqlite3").exists()


@pytest.mark.parametrize(
    ("base_url", "webhook_url"),
    [
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8443/telegram"),  # local Bot API
        ("https://api.telegram.org/bot", "https://bot.example.org/telegram"),
    ],
)
def test_http_stays_allowed_with_a_local_bot_api_and_https_with_telegrams(
    base_url: str, webhook_url: str
) -> None:
    settings = load_settings(env_file=None, telegram_api_base_url=base_url, webhook_url=webhook_url)
    assert settings.webhook_url == webhook_url


def test_telegrams_api_however_spelled_refuses_http() -> None:
    with pytest.raises(SettingsError, match=r"^WEBHOOK_URL: 'http://h/x' is plain http"):
        load_settings(
            env_file=None,
            telegram_api_base_url="https://API.Telegram.org/bot",
            webhook_url="http://h/x",
        )
