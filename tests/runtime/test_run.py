"""`sprintback run`: webhook mode (secret token, /healthz) and a clean SIGTERM mid fan-out."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bot.cli.run import webhook_config
from bot.clock import FakeClock
from bot.runtime import build_runtime, database_health, scheduler_health
from bot.sandbox import BotApiSandbox
from bot.sandbox.runner import free_port
from bot.settings import Settings
from bot.store.db import upgrade
from bot.webhook import SECRET_HEADER, serve_until_stopped
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
