"""CPU per Bot API call: python-telegram-bot's default client (httpx) against Sprintback's
(aiohttp, bot/delivery/http.py), side by side on the local Bot API sandbox.

Each client sends ``--calls`` sendMessage calls through a python-telegram-bot ``Bot``, one at
a time and then fifty in flight (how a busy replica sends replies). The sandbox runs in the
same process, so the CPU figure is client and server together; the server's share is the same
for both clients, so the difference is the clients'. Prints calls per second and process CPU
per call, each client alternately, two rounds.

    .venv/bin/python bench/bench_http_client.py [--calls 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bot.app import make_request
from bot.sandbox import BotApiSandbox

CHAT = 1001


def _client(name: str, in_flight: int) -> BaseRequest:
    if name == "httpx (PTB default)":
        return HTTPXRequest(connection_pool_size=in_flight + 4)
    return make_request(for_get_updates=False, pool_size=in_flight + 4)


async def measure(name: str, calls: int, in_flight: int) -> tuple[float, float]:
    """Return (calls per second, CPU ms per call) of ``calls`` sendMessage calls."""
    async with BotApiSandbox() as sandbox:
        sandbox.user(CHAT, "Bench")
        bot = Bot(token=sandbox.token, base_url=sandbox.base_url, request=_client(name, in_flight))
        await bot.initialize()
        slots = asyncio.Semaphore(in_flight)

        async def one(index: int) -> None:
            async with slots:
                await bot.send_message(CHAT, f"Question {index}: how do you feel today?")

        await asyncio.gather(*(one(i) for i in range(min(200, calls))))  # warm up
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(i) for i in range(calls)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await bot.shutdown()
    return calls / wall, 1000 * cpu / calls


def main() -> int:
    """Run both clients alternately and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls per measurement")
    args = parser.parse_args()
    print("sendMessage through python-telegram-bot's Bot on the local sandbox (same process):")
    for in_flight in (1, 50):
        for _ in range(2):
            for name in ("httpx (PTB default)", "aiohttp (Sprintback)"):
                rate, cpu_ms = asyncio.run(measure(name, args.calls, in_flight))
                print(
                    f"  {name:<22} {in_flight:>2} in flight: {rate:7.0f} calls/s   "
                    f"CPU {cpu_ms:5.3f} ms per call (client + sandbox)"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
