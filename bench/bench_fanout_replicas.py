"""The morning fan-out on three `sprintback run` replicas sharing one send budget.

Telegram's limit is per bot, not per process, so three replicas must keep 30 messages a
second together (and one a second per chat). Each part starts real replicas (webhook mode)
on a fresh PostgreSQL database, with every athlete's morning prompt due at once, against the
local Bot API sandbox (in this process), and measures the rate at which the first questions
of the check-ins reach the sandbox, from the first to the last:

1. The shared limit: 3 replicas, 30 msg/s (the default). Target: within 5 % of 30 msg/s
   together (it was 93 msg/s with a limiter per process).
2. Paid broadcasts (``TELEGRAM_PAID_BROADCASTS=true``, 1,000 msg/s): the deployment's rate
   with 1 and 3 replicas, beside a bare python-telegram-bot loop sending one message after
   another to the same sandbox (the floor on this machine).

    .venv/bin/python bench/bench_fanout_replicas.py [--limited 600] [--paid 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Bot

from bot.app import make_request
from bot.sandbox import BotApiSandbox
from bot.store.db import make_engine, upgrade
from tests.scaleout.harness import (
    Deployment,
    add_athletes_due_now,
    drop_database,
    fresh_database,
)

FIRST = 950_000
PG_URL = os.environ.get("SPRINTBACK_TEST_POSTGRES_URL") or (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TEXT = "Good morning! Time for your morning check-in: it takes about a minute. Send /checkin."


async def replicas_rate(replicas: int, athletes: int, env: dict[str, str]) -> tuple[float, int]:
    """Return (msg/s from first to last prompt, prompts sent) for ``replicas`` replicas."""
    url, admin = fresh_database(PG_URL, "sb_bench_fanout")
    try:
        upgrade(url)
        engine = make_engine(url)
        ids = list(range(FIRST, FIRST + athletes))
        add_athletes_due_now(engine, ids, dt.datetime.now(dt.UTC))
        engine.dispose()
        with tempfile.TemporaryDirectory() as tmp:
            async with BotApiSandbox(webhook_delivery=False) as sandbox:
                for tg in ids:
                    sandbox.user(tg)
                deployment = Deployment(
                    sandbox, url, Path(tmp), size=replicas, env={"WORK_LEASE_SECONDS": "10", **env}
                )
                try:
                    await deployment.start()

                    def sent() -> list[float]:
                        return [
                            c.monotonic for c in sandbox.calls_to("sendMessage") if c.status == 200
                        ]

                    await sandbox.wait_for(
                        lambda: len(sent()) >= athletes, athletes / 10 + 120, what="every prompt"
                    )
                finally:
                    await deployment.stop()
                times = sorted(sent())
    finally:
        drop_database(url, admin)
    return (len(times) - 1) / (times[-1] - times[0]), len(times)


async def bare_loop(count: int) -> float:
    """Return msg/s of a bare PTB ``send_message`` loop to ``count`` chats (one at a time),
    through the bot's own HTTP client (bot/delivery/http.py), as the replicas send."""
    async with BotApiSandbox() as sandbox:
        for n in range(count):
            sandbox.user(FIRST + n)
        request = make_request(for_get_updates=False, pool_size=8)
        async with Bot(sandbox.token, base_url=sandbox.base_url, request=request) as bot:
            started = time.perf_counter()
            for n in range(count):
                await bot.send_message(FIRST + n, TEXT)
            return count / (time.perf_counter() - started)


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


async def main(limited: int, paid: int) -> int:
    """Run the parts and print the figures."""
    print(f"Machine load (1/5/15 min) before: {_loadavg()}")
    shared, n = await replicas_rate(3, limited, {})
    print(f"Shared limit, 3 replicas, {n} prompts at TELEGRAM_MESSAGES_PER_SECOND=30:")
    off = abs(shared - 30) / 30
    verdict = "met" if off <= 0.05 else "NOT met"
    print(f"  {shared:6.1f} msg/s together ({off:.1%} from 30 msg/s; target within 5 %: {verdict})")
    paid_env = {"TELEGRAM_PAID_BROADCASTS": "true", "TELEGRAM_MESSAGES_PER_SECOND": "1000"}
    one, _ = await replicas_rate(1, paid, paid_env)
    three, _ = await replicas_rate(3, paid, paid_env)
    bare = await bare_loop(paid)
    print(f"Paid broadcasts (1,000 msg/s allowed), {paid} prompts:")
    print(f"  bare PTB send_message loop      {bare:7.1f} msg/s  (the bot's HTTP client)")
    print(f"  1 replica                       {one:7.1f} msg/s  ({one / bare:.2f} x bare loop)")
    print(f"  3 replicas                      {three:7.1f} msg/s  ({three / bare:.2f} x bare loop)")
    print(f"Machine load after: {_loadavg()}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limited", type=int, default=600)
    parser.add_argument("--paid", type=int, default=3000)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.limited, args.paid)))
