"""`sprintback run` from the installed wheel, against the local Bot API sandbox.

The bot runs as a separate process exactly as in the image (the image's command, the wheel's
own files, a folder outside the checkout); the test plays an athlete through the sandbox and
runs `sprintback health` as the container's HEALTHCHECK does.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.cli.polling_health import stale_after
from bot.sandbox import BotApiSandbox, SimUser
from tests.packaging.conftest import InstalledWheel, dockerfile_command

POLL_SECONDS = 1


def _settings(sandbox: BotApiSandbox, folder: Path) -> dict[str, str]:
    return {
        "TELEGRAM_TOKEN": sandbox.token,
        "TELEGRAM_API_BASE_URL": sandbox.base_url,
        "DATABASE_URL": f"sqlite:///{folder / 'sprintback.sqlite3'}",
        "RUNTIME_DIR": str(folder / "run"),
        "POLLING_TIMEOUT_SECONDS": str(POLL_SECONDS),
    }


@asynccontextmanager
async def running_bot(
    installed_wheel: InstalledWheel, sandbox: BotApiSandbox, folder: Path
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """Start the image's command from the wheel's venv; stop it with SIGTERM afterwards."""
    polls_before = len(sandbox.calls_to("getUpdates"))
    bot = subprocess.Popen(
        dockerfile_command(),
        cwd=folder,
        env=installed_wheel.env(**_settings(sandbox, folder)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        await sandbox.wait_for(
            lambda: len(sandbox.calls_to("getUpdates")) > polls_before or bot.poll() is not None,
            timeout=60,
            what="the installed bot polling",
        )
        assert bot.poll() is None, _output(bot)
        yield bot
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(bot.wait, 30) == 0, _output(bot)
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()


def _output(bot: subprocess.Popen[bytes]) -> str:
    if bot.poll() is None:
        bot.kill()
        bot.wait()
    return bot.stdout.read().decode(errors="replace") if bot.stdout else ""


async def _health(
    installed_wheel: InstalledWheel, sandbox: BotApiSandbox, folder: Path
) -> tuple[int, dict[str, Any]]:
    result = await asyncio.to_thread(
        subprocess.run,
        [installed_wheel.command("sprintback"), "health"],
        cwd=folder,
        env=installed_wheel.env(**_settings(sandbox, folder)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    return result.returncode, json.loads(result.stdout)


async def _tap(user: SimUser, label: str) -> None:
    """Press ``label`` once the bot, a separate process, has offered it since the last action."""
    await user.wait_until(
        lambda messages: any(m.find_button(label) for m in messages),
        timeout=15,
        describe=f"a [{label}] button",
    )
    await user.press(label)


async def test_the_installed_wheel_onboards_an_athlete_to_all_set(
    installed_wheel: InstalledWheel, sandbox: BotApiSandbox, outside: Path
) -> None:
    async with running_bot(installed_wheel, sandbox, outside):
        sam = sandbox.user(3001, "Sam")
        await sam.send("/start")
        for label in ("I agree", "Hamstring", "Don't know", "Left", "1", "Yesterday"):
            await _tap(sam, label)
        for label in ("Sprinting / running fast", "Rugby"):
            await _tap(sam, label)
        await sam.wait_until(
            lambda messages: any("Skip" in m.button_labels for m in messages),
            timeout=15,
            describe="the baseline question",
        )
        await sam.send("vmax 9.1 10m 1.78")
        for label in ("Europe", "Berlin", "07:30", "✅ Confirm"):
            await _tap(sam, label)
        await sam.wait_until(
            lambda messages: any("All set" in (m.text or "") for m in messages),
            timeout=15,
            describe="the onboarding confirmation",
        )
        assert "I'm Sprintback" in sam.format_transcript()
        assert "Something went wrong" not in sam.format_transcript()


async def test_health_in_polling_mode_follows_getupdates(
    installed_wheel: InstalledWheel, sandbox: BotApiSandbox, outside: Path
) -> None:
    async with running_bot(installed_wheel, sandbox, outside):
        code, report = await _health(installed_wheel, sandbox, outside)
        for _ in range(20):  # the first long poll may still be in flight
            if report.get("polling") == "ok":
                break
            await asyncio.sleep(0.5)
            code, report = await _health(installed_wheel, sandbox, outside)
        assert code == 0, report
        assert report["polling"] == "ok" and report["database"] == "ok", report
        assert report["scheduler"] == "running", report

        # Telegram stops answering getUpdates (six 502s; the bot backs off 1, 1.5, 2.25 ...
        # 7.6 s between them, ~21 s without a success): health fails once polling is stale.
        sandbox.fail_next("getUpdates", status=502, times=6)
        limit = stale_after(POLL_SECONDS)
        loop = asyncio.get_running_loop()
        failing_since = loop.time()
        while code == 0 and loop.time() - failing_since < limit + 15:
            await asyncio.sleep(1)
            code, report = await _health(installed_wheel, sandbox, outside)
        assert code == 1, report
        assert report["status"] == "unhealthy"
        assert "the last successful getUpdates was" in report["polling"], report
        assert loop.time() - failing_since >= limit - 2, "health failed before polling was stale"

        # Telegram answers again: the next successful poll makes it healthy again.
        for _ in range(60):
            await asyncio.sleep(1)
            code, report = await _health(installed_wheel, sandbox, outside)
            if code == 0:
                break
        assert code == 0, report

    # Stopped: the status file is gone and health says so.
    code, report = await _health(installed_wheel, sandbox, outside)
    assert code == 1
    assert "is `sprintback run` running in polling mode?" in report["polling"]
