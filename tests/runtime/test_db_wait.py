"""`sprintback run` waits for a PostgreSQL server that is still starting, not for a mistake.

Through the real command (a subprocess): a closed port is retried for DATABASE_WAIT_SECONDS
then stops start-up with the usual one line and exit 2; a server that comes up during the
wait (refusing, then "starting up", then answering) is waited for and the bot serves; a
database that does not exist stops start-up at once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.sandbox import BotApiSandbox
from tests.operator.cli import run_sprintback
from tests.pg_coming_up import free_port, late_server
from tests.support.postgres import base_url, throwaway_database

RETRY_LINE = "database not reachable yet"


def _env(tmp_path: Path, database_url: str, wait: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TELEGRAM_TOKEN": "123456789:unused-token",
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}/bot",
        "DATABASE_URL": database_url,
        "DATABASE_WAIT_SECONDS": wait,
        "RUNTIME_DIR": str(tmp_path / "run"),
        **extra,
    }
    env.pop("WEBHOOK_URL", None)
    return env


def _run(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    result = run_sprintback(tmp_path, env, "run")
    return result, time.monotonic() - began


def _retry_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if RETRY_LINE in line]


def test_a_closed_port_is_retried_for_the_wait_then_stops_with_one_line(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://sprintback:s3cret@127.0.0.1:{free_port()}/sprintback"
    result, took = _run(tmp_path, _env(tmp_path, url, "4"))
    assert result.returncode == 2, result.stderr
    # Not before the 4 s wait; no tight upper bound (a loaded machine starts slowly): the
    # retry lines below say how it waited.
    assert 4 <= took < 45, f"gave up after {took:.1f} s, not after the 4 s wait"
    retries = _retry_lines(result.stdout)
    # Pauses of 1, 2, then what is left of the 4 s: one plain line each.
    assert len(retries) == 3, result.stdout
    assert retries[0].endswith("database not reachable yet (connection refused); retrying in 1 s")
    assert retries[1].endswith("database not reachable yet (connection refused); retrying in 2 s")
    # The last attempt is the start-up's own, which says why it failed, as without a wait.
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Connection refused" in lines[0], result.stderr
    assert "s3cret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_no_wait_when_database_wait_seconds_is_0(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://sprintback@127.0.0.1:{free_port()}/sprintback"
    result, _ = _run(tmp_path, _env(tmp_path, url, "0"))
    assert result.returncode == 2
    assert _retry_lines(result.stdout) == []  # no try again: it did not wait
    assert "Connection refused" in result.stderr


def test_a_database_that_does_not_exist_is_not_waited_for(tmp_path: Path) -> None:
    missing = f"sb_wait_missing_{uuid.uuid4().hex[:8]}"
    url = make_url(base_url()).set(database=missing).render_as_string(hide_password=False)
    result, took = _run(tmp_path, _env(tmp_path, url, "60"))
    assert result.returncode == 2
    # The wait is 60 s: a process that waited would take at least that.
    assert took < 45, f"waited {took:.1f} s for a mistake waiting cannot fix"
    assert _retry_lines(result.stdout) == []
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not exist" in lines[0], result.stderr


def test_an_invalid_wait_is_refused_as_a_setting(tmp_path: Path) -> None:
    result, _ = _run(tmp_path, _env(tmp_path, "sqlite:///x.sqlite3", "soon"))
    assert result.returncode == 2
    assert "DATABASE_WAIT_SECONDS" in result.stderr
    assert "from 0 (do not wait) to 3600" in result.stderr


# --- a server that comes up while `run` waits ---------------------------------------------


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """Return the name of a new, empty database on the test server (dropped afterwards)."""
    with throwaway_database("sb_wait") as url:
        yield str(make_url(url).database)


async def test_a_server_that_comes_up_during_the_wait_is_waited_for_and_the_bot_serves(
    sandbox: BotApiSandbox, tmp_path: Path, fresh_database: str
) -> None:
    base = make_url(base_url())
    upstream = (base.host or "127.0.0.1", base.port or 5432)
    # Refused at 0 s; open but starting up at the retry after 1 s (opened ~0.1 s after the
    # first refusal line); answering by the retry after 2 s more (ready ~1.9 s after that
    # line), so the wait sees all three states in ~3 s.
    with late_server(upstream, starting_for=1.8) as (port, listen):
        url = (base.set(host="127.0.0.1", port=port, database=fresh_database)).render_as_string(
            hide_password=False
        )
        env = _env(
            tmp_path,
            url,
            "60",
            TELEGRAM_TOKEN=sandbox.token,
            TELEGRAM_API_BASE_URL=sandbox.base_url,
        )
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--db-upgrade"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: list[str] = []

        def read() -> None:
            assert bot.stdout is not None
            for line in bot.stdout:
                lines.append(line.rstrip("\n"))
                # The server comes up a moment after the bot was first refused.
                if "(connection refused)" in line and not listen.is_set():
                    threading.Timer(0.1, listen.set).start()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            for _ in range(600):
                if sandbox.calls_to("getUpdates") or bot.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            serving = bool(sandbox.calls_to("getUpdates"))
            bot.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(bot.wait, 30)
        finally:
            if bot.poll() is None:
                bot.kill()
                bot.wait()
        reader.join(5)
        err = bot.stderr.read() if bot.stderr else ""
    out = "\n".join(lines)
    assert serving, f"the bot never started serving\n{out}\n{err}"
    assert code == 0, err
    retries = _retry_lines(out)
    assert any(line.endswith("(connection refused); retrying in 1 s") for line in retries), out
    assert any("(server starting up); retrying in" in line for line in retries), out
    assert "database reachable after" in out
    assert err.strip() == "", err
    assert "Traceback" not in out + err
