"""`sprintback run`: webhook mode (secret token, /healthz) and a clean SIGTERM mid fan-out."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.cli.run import webhook_config
from bot.cli.webhook import SECRET_HEADER, serve_until_stopped
from bot.clock import FakeClock
from bot.runtime import build_runtime, database_health, scheduler_health
from bot.sandbox import BotApiSandbox
from bot.sandbox.runner import free_port
from bot.settings import Settings
from bot.store.db import make_engine, session_scope, upgrade
from bot.store.models import Outbox
from bot.store.repo.messaging import enqueue_message
from tests.support import echo


def _post(url: str, body: dict[str, Any], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def _get_json(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as err:
        return int(err.code), json.loads(err.read())


def _fake_update(update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_770_000_000,
            "chat": {"id": 666, "type": "private", "first_name": "Mallory"},
            "from": {"id": 666, "is_bot": False, "first_name": "Mallory"},
            "text": "forged",
        },
    }


async def test_webhook_serves_updates_with_the_secret_and_refuses_others(
    sandbox: BotApiSandbox, tmp_path: Path, clock: FakeClock
) -> None:
    url = f"sqlite:///{tmp_path / 'hook.sqlite3'}"
    upgrade(url)
    port = free_port()
    public_url = f"http://127.0.0.1:{port}/telegram"
    settings = Settings(
        _env_file=None,
        database_url=url,
        telegram_api_base_url=sandbox.base_url,  # a local Bot API: http webhooks allowed
        webhook_url=public_url,
        webhook_secret="s3cret-token",
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    runtime = build_runtime(
        settings,
        clock=clock,
        token=sandbox.token,
        base_url=sandbox.base_url,
        base_file_url=sandbox.base_file_url,
        handler_modules=[echo.register],
    )

    def probe() -> dict[str, str]:
        return {
            "database": database_health(runtime.engine),
            "scheduler": scheduler_health(runtime.application),
        }

    stop = asyncio.Event()
    serving = asyncio.create_task(
        serve_until_stopped(
            runtime.application, webhook_config(settings), probe, public_url=public_url, stop=stop
        )
    )
    try:
        for _ in range(100):
            if sandbox.calls_to("setWebhook") and runtime.application.running:
                break
            await asyncio.sleep(0.05)
        # Telegram (the sandbox) delivers with the secret it was given: the bot answers.
        alex = sandbox.user(1001, "Alex")
        await alex.send("hello")
        assert [m.text for m in await alex.wait_reply()] == ["echo: hello"]

        # Anyone else posting to the webhook is refused and nothing reaches the handlers
        # (the echo handler would answer Mallory if the forged update got through).
        sandbox.user(666, "Mallory")
        assert await asyncio.to_thread(_post, public_url, _fake_update(990001), None) == 403
        assert await asyncio.to_thread(_post, public_url, _fake_update(990002), "guess") == 403
        await asyncio.sleep(0.2)
        assert sandbox.transcript(666) == []

        status, report = await asyncio.to_thread(_get_json, f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        assert report == {"status": "ok", "database": "ok", "scheduler": "running"}
    finally:
        stop.set()
        await serving
    runtime.engine.dispose()


async def test_sigterm_during_a_fan_out_loses_nothing_and_sends_nothing_twice(
    sandbox: BotApiSandbox, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'fanout.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    chats = list(range(5001, 5301))
    now = sandbox.now()
    with session_scope(engine) as session:
        for chat_id in chats:
            sandbox.user(chat_id, f"Athlete{chat_id}")
            enqueue_message(
                session, chat_id=chat_id, text=f"Good morning {chat_id}", kind="prompt", now=now
            )
    env = {
        **os.environ,
        "TELEGRAM_TOKEN": sandbox.token,
        "TELEGRAM_API_BASE_URL": sandbox.base_url,
        "DATABASE_URL": url,
        "SCHEDULER_TICK_SECONDS": "3600",
    }
    env.pop("WEBHOOK_URL", None)
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(400):
            if len(sandbox.calls_to("sendMessage")) >= 10:
                break
            await asyncio.sleep(0.025)
        assert sandbox.calls_to("sendMessage"), "the bot never started sending"
        bot.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(bot.wait, 30)
    finally:
        if bot.poll() is None:
            bot.kill()
    output = bot.stdout.read().decode() if bot.stdout else ""
    assert code == 0, output
    assert "Traceback" not in output

    delivered_first = {c: len(sandbox.transcript(c)) for c in chats}
    assert max(delivered_first.values()) <= 1
    assert 0 < sum(delivered_first.values()) < len(chats), "SIGTERM did not land mid fan-out"
    with session_scope(engine, read_only=True) as session:
        rows = session.exec(select(Outbox)).all()
    sent = {row.chat_id for row in rows if row.status == "sent"}
    # Whatever Telegram accepted is recorded as sent; the rest waits in the outbox.
    assert sent == {c for c, n in delivered_first.items() if n == 1}
    assert all(row.status in ("sent", "pending") for row in rows), [r.status for r in rows]

    # The next start sends the rest, and nothing twice.
    again = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(600):
            if all(len(sandbox.transcript(c)) >= 1 for c in chats):
                break
            await asyncio.sleep(0.025)
        again.send_signal(signal.SIGTERM)
        await asyncio.to_thread(again.wait, 30)
    finally:
        if again.poll() is None:
            again.kill()
    assert [len(sandbox.transcript(c)) for c in chats] == [1] * len(chats)
    engine.dispose()


def _run_once(tmp_path: Path, **settings: str) -> tuple[int, str]:
    """Run `sprintback run` with ``settings`` (and a migrated SQLite database) until it exits;
    return its exit code and everything it printed."""
    url = f"sqlite:///{tmp_path / 'start.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "RUNTIME_DIR": str(tmp_path), **settings}
    for name in ("WEBHOOK_URL", "WEBHOOK_PORT", "WEBHOOK_LISTEN"):
        if name not in settings:
            env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--db-upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


async def test_a_token_telegram_refuses_is_said_in_one_line(
    sandbox: BotApiSandbox, tmp_path: Path
) -> None:
    """The operator pasted a revoked token: one line saying so, no traceback, no noise about
    unclosed sessions (before: python-telegram-bot's traceback, then the interpreter's)."""
    code, output = await asyncio.to_thread(
        _run_once,
        tmp_path,
        TELEGRAM_TOKEN="123456789:revoked-token",
        TELEGRAM_API_BASE_URL=sandbox.base_url,
    )
    assert code == 2, output
    assert "Telegram refused TELEGRAM_TOKEN" in output
    assert "@BotFather" in output
    assert "Traceback" not in output and "Unclosed" not in output, output
    assert "revoked-token" not in output


def test_an_unreachable_telegram_is_said_in_one_line_naming_the_host(tmp_path: Path) -> None:
    port = free_port()
    code, output = _run_once(
        tmp_path,
        TELEGRAM_TOKEN="123456789:some-token",
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot",
    )
    assert code == 1, output  # it may pass: a supervisor is right to restart the bot
    assert f"cannot reach Telegram at 127.0.0.1:{port}" in output
    assert "Traceback" not in output and "Unclosed" not in output, output


async def test_a_webhook_port_already_taken_is_said_in_one_line(
    sandbox: BotApiSandbox, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, output = await asyncio.to_thread(
            _run_once,
            tmp_path,
            TELEGRAM_TOKEN=sandbox.token,
            TELEGRAM_API_BASE_URL=sandbox.base_url,
            WEBHOOK_URL="https://bot.example.org/telegram",
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
        )
    assert code == 2, output
    assert f"cannot listen on 127.0.0.1:{port}" in output
    assert "Traceback" not in output and "Unclosed" not in output, output
