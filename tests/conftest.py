"""Fixtures for every test: a fake clock, the Bot API sandbox and a factory running the bot.

async def test_echo(start_bot, sandbox):
    await start_bot(handlers=[echo.register])
    alex = sandbox.user(1001, "Alex")
    await alex.send("hi")
    assert [m.text for m in await alex.wait_reply()] == ["echo: hi"]
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox
from bot.settings import Settings
from bot.support import i18n
from tests.support.telegram import BotHarness, RunningBot

ROOT = Path(__file__).resolve().parents[1]

# The files that take longest, handed out first: `--dist loadfile` gives whole files to the
# workers in collection order, and one of these started last kept a worker busy minutes after
# the others had finished.
SLOW_FIRST = (
    "tests/packaging/",
    "tests/scaleout/",
    "tests/demo/",
    "tests/i18n/test_demo_languages.py",
    "tests/privacy/test_delete_leaves_nothing.py",
    "tests/admin/test_rollback_confirm.py",
    "tests/reports/test_report_layout.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the slowest files first, keeping every other order as collected."""

    def rank(item: pytest.Item) -> int:
        return next(
            (i for i, prefix in enumerate(SLOW_FIRST) if item.nodeid.startswith(prefix)),
            len(SLOW_FIRST),
        )

    items.sort(key=rank)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    """In a checkout, compile the message catalogues whose .mo is missing or older than its
    .po (as `make` does), so a translator's edit is what the tests read."""
    if not i18n.LOCALE_DIR.is_relative_to(ROOT):
        return  # an installed Sprintback: its build compiled them
    stale = [
        po
        for po in i18n.LOCALE_DIR.glob(f"*/LC_MESSAGES/{i18n.DOMAIN}.po")
        if not po.with_suffix(".mo").is_file()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        command = [sys.executable, str(ROOT / "scripts" / "compile-catalogue"), *map(str, stale)]
        subprocess.run(command, check=True, capture_output=True)
        i18n.reload_catalogues()


# Monday 2 March 2026, 07:00 UTC: a fixed, ordinary instant (no DST change nearby in Europe).
CLOCK_START = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> FakeClock:
    """Return a clock that stands still at CLOCK_START until the test moves it."""
    return FakeClock(CLOCK_START)


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    """Return settings for tests: no .env, a throw-away SQLite file, one admin (id 9000)."""
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'sprintback-test.sqlite3'}",
        admin_telegram_ids=[9000],
    )


@pytest.fixture
def services(bot_settings: Settings, clock: FakeClock) -> Services:
    """Return the Services the bot runs with (no database engine; pass your own if needed)."""
    return Services(settings=bot_settings, clock=clock)


@pytest.fixture
async def sandbox(clock: FakeClock) -> AsyncIterator[BotApiSandbox]:
    """Return a started Bot API sandbox whose message dates follow ``clock``."""
    async with BotApiSandbox(clock=clock) as running:
        yield running


@pytest.fixture
async def telegram(sandbox: BotApiSandbox, services: Services) -> AsyncIterator[BotHarness]:
    """Return the harness that starts/restarts bots on ``sandbox``; stops them at teardown."""
    harness = BotHarness(sandbox=sandbox, services=services)
    try:
        yield harness
    finally:
        await harness.stop_all()


@pytest.fixture
def start_bot(telegram: BotHarness) -> Callable[..., Awaitable[RunningBot]]:
    """Return ``await start_bot(services=..., handlers=[...], mode="polling"|"webhook")``."""

    async def start(**kwargs: Any) -> RunningBot:
        return await telegram.start(**kwargs)

    return start
