"""The webhook refuses strangers before reading their bodies, caps bodies at 1 MB, and logs
refusals once per source per minute (issue 14, finding 5), through the real webhook server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.run import webhook_config
from bot.cli.webhook import MAX_BODY_BYTES, SECRET_HEADER, RefusalLog, serve_until_stopped
from bot.clock import FakeClock
from bot.runtime import build_runtime
from bot.sandbox import BotApiSandbox
from bot.sandbox.runner import free_port
from bot.settings import Settings
from bot.store.db import upgrade
from tests.support import echo

SECRET = "s3cret-token"


@pytest.fixture
async def webhook(sandbox: BotApiSandbox, tmp_path: Path, clock: FakeClock) -> AsyncIterator[int]:
    """Serve the real webhook (echo handlers) on a free port; yield the port."""
    url = f"sqlite:///{tmp_path / 'hook.sqlite3'}"
    upgrade(url)
    port = free_port()
    settings = Settings(
        _env_file=None,
        database_url=url,
        telegram_api_base_url=sandbox.base_url,  # a local Bot API: http webhooks allowed
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret=SECRET,
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
    stop = asyncio.Event()
    serving = asyncio.create_task(
        serve_until_stopped(
            runtime.application,
            webhook_config(settings),
            lambda: {"database": "ok"},
            public_url=settings.webhook_url or "",
            stop=stop,
        )
    )
    await sandbox.wait_for(lambda: sandbox.calls_to("setWebhook"), 10, what="setWebhook")
    await asyncio.sleep(0.1)
    try:
        yield port
    finally:
        stop.set()
        await serving
        runtime.engine.dispose()


async def _request_head(port: int, headers: dict[str, str], body: bytes = b"") -> bytes:
    """Send a POST's head (and ``body``, maybe only part of what Content-Length announces);
    return what the server answers within 3 s without waiting for more of the body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = ["POST /telegram HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(4096), 3)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_a_stranger_is_refused_before_any_of_the_body_is_read(webhook: int) -> None:
    # 90 MB announced, none sent: the answer comes from the headers alone.
    answer = await _request_head(
        webhook, {"Content-Type": "application/json", "Content-Length": str(90 * 1024 * 1024)}
    )
    assert answer.startswith(b"HTTP/1.1 403")
    wrong = await _request_head(
        webhook,
        {
            "Content-Type": "application/json",
            "Content-Length": str(90 * 1024 * 1024),
            SECRET_HEADER: "guess",
        },
    )
    assert wrong.startswith(b"HTTP/1.1 403")


async def test_a_body_over_one_megabyte_is_refused_even_with_the_secret(webhook: int) -> None:
    announced = await _request_head(
        webhook,
        {
            "Content-Type": "application/json",
            "Content-Length": str(MAX_BODY_BYTES + 1),
            SECRET_HEADER: SECRET,
        },
    )
    assert announced.startswith(b"HTTP/1.1 413")
    # Chunked, so no length is announced: refused once the 1 MB is exceeded.
    chunk = b"x" * 65536
    body = b"".join(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(20))
    streamed = await _request_head(
        webhook,
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked", SECRET_HEADER: SECRET},
        body,
    )
    assert streamed == b"" or streamed.startswith((b"HTTP/1.1 413", b"HTTP/1.1 400"))


async def test_updates_with_the_secret_still_arrive(webhook: int, sandbox: BotApiSandbox) -> None:
    alex = sandbox.user(1001, "Alex")
    await alex.send("hello")
    assert [m.text for m in await alex.wait_reply()] == ["echo: hello"]


async def test_refusals_are_logged_once_per_source_per_minute(
    webhook: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.cli.webhook")
    for _ in range(6):
        answer = await _request_head(
            webhook, {"Content-Type": "application/json", "Content-Length": "1000000"}
        )
        assert answer.startswith(b"HTTP/1.1 403")
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1
    assert "127.0.0.1" in refusals[0].getMessage()


def test_the_next_line_after_a_minute_counts_the_ones_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    log = RefusalLog(clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="bot.cli.webhook")
    assert log.refused("203.0.113.9", "missing or wrong secret token")
    for _ in range(4):
        now[0] += 10
        assert not log.refused("203.0.113.9", "missing or wrong secret token")
    assert log.refused("198.51.100.7", "missing or wrong secret token")  # another source
    now[0] += 25
    assert log.refused("203.0.113.9", "missing or wrong secret token")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert "and 4 more since the last line" in lines[-1]
