"""Round trip of one message through a bare echo bot on the Bot API sandbox.

A simulated user sends a text; the real Application (built by bot.app.build_application,
polling over HTTP) answers "echo: ..."; the clock stops when the user sees the reply.
Prints median, p90, p99 and max in milliseconds: the floor later benches compare against.

    .venv/bin/python bench/bench_sandbox_echo.py [--messages 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.app import build_application
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox
from bot.settings import Settings


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


def _register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(MessageHandler(filters.TEXT, _echo))


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))
    return ordered[index]


async def measure(messages: int, warmup: int = 20) -> list[float]:
    """Return the round-trip times (ms) of ``messages`` echoes, after ``warmup`` unmeasured."""
    async with BotApiSandbox() as sandbox:
        settings = Settings(_env_file=None)
        app = build_application(
            settings,
            services=Services(settings=settings),
            base_url=sandbox.base_url,
            base_file_url=sandbox.base_file_url,
            token=sandbox.token,
            handler_modules=[_register],
        )
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        sandbox.watch_application(app)
        user = sandbox.user(1001, "Bench")
        samples: list[float] = []
        try:
            for index in range(warmup + messages):
                started = time.perf_counter()
                await user.send(f"message {index}")
                await user.wait_reply()
                if index >= warmup:
                    samples.append((time.perf_counter() - started) * 1000)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
        return samples


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    samples = asyncio.run(measure(args.messages))
    print(f"sandbox echo round trip over {len(samples)} messages (real PTB polling over HTTP):")
    print(f"  median {statistics.median(samples):6.2f} ms")
    print(f"  p90    {_percentile(samples, 0.90):6.2f} ms")
    print(f"  p99    {_percentile(samples, 0.99):6.2f} ms")
    print(f"  max    {max(samples):6.2f} ms")
    print(f"  throughput {1000 * len(samples) / sum(samples):6.1f} round trips/s (one user)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
