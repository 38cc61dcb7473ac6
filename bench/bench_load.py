"""Closed-loop load: N athletes answering check-ins as fast as the bot replies, on one
`sprintback run` process and on three replicas behind a load balancer, side by side.

Each run starts real `sprintback run` processes in webhook mode on a fresh PostgreSQL
database, against the local Bot API sandbox (in this process). Telegram is played as it
behaves for a webhook: each chat's updates one after the other, different chats at once,
each update to a random replica. Every athlete sends /checkin and then types the answer to
each question the moment it appears, ten answers in all. Prints, per setup, the answers
handled per second and the reply time (answer sent -> next message in the chat) median and
99th percentile. Target (issue 13): p99 under 1 s at N = 200 on one process.

Everything shares the machine: the replicas, PostgreSQL, the sandbox and the simulated
athletes (on the CI-class 2-core machine, three replicas compete with each other for the
same two cores).

    .venv/bin/python bench/bench_load.py [--athletes 200]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.sandbox import BotApiSandbox, SimUser, TranscriptMessage
from bot.services.athlete.keyboards import unpack
from bot.services.questionnaires import QUESTIONNAIRES
from bot.store.db import make_engine, upgrade
from tests.scaleout.harness import (
    Deployment,
    Telegram,
    drop_database,
    fresh_database,
    onboard_athletes,
    quiet_checkin_time,
)

# Typed answers of one check-in, by question (never by position: a question inserted into
# the check-in would shift every answer onto the next question).
ANSWERS = {
    "red_flags": "none",
    "pain_rest": "0",
    "pain_test": "1",
    "tightness": "2",
    "confidence": "8",
    "sleep_quality": "3",
    "fatigue": "2",
    "stress": "3",
    "soreness": "2",
    "sleep_hours": "7.5",
}
MORNING = QUESTIONNAIRES["morning"]
PG_URL = os.environ.get("SPRINTBACK_TEST_POSTGRES_URL") or (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _step(message: TranscriptMessage) -> int | None:
    for row in message.inline_keyboard:
        for button in row:
            pressed = unpack(button.get("callback_data"))
            if pressed is not None:
                return pressed.step
    return None


async def _athlete(user: SimUser, latencies: list[float]) -> int:
    """Answer a whole check-in as fast as the bot replies; return the answers sent."""
    sent = 0
    text, asked = "/checkin", ""
    while True:
        mark = user.sandbox.seq
        started = time.perf_counter()
        await user.send(text)

        def replied(since: int = mark) -> bool:
            return any(m.sender == "bot" and m.sent_seq > since for m in user.transcript)

        await user.sandbox.wait_for_chat(
            user.chat_id, replied, 120, what=f"a reply to {user.user_id}"
        )
        latencies.append(time.perf_counter() - started)
        sent += 1
        step = _step(user.transcript[-1])
        if step is None:
            return sent
        key = MORNING.questions[step].key
        if key not in ANSWERS:
            raise RuntimeError(
                f"{user.user_id}: the check-in asked {key!r}, which this bench never answers"
            )
        if key == asked:  # the same question again: the answer was refused
            said = user.transcript[-2].text
            raise RuntimeError(f"{user.user_id}: {text!r} was refused at {key!r}: {said}")
        asked, text = key, ANSWERS[key]


@dataclass
class CpuSplit:
    """CPU seconds spent during the load, by who spent them."""

    bot: float = 0.0  # the `sprintback run` processes
    harness: float = 0.0  # this process: the Bot API sandbox and the simulated athletes
    machine: float = 0.0  # every core's busy time (so the rest is PostgreSQL and the OS)
    cores: int = 1
    wall: float = 0.0

    @property
    def rest(self) -> float:
        """PostgreSQL, the kernel and anything else running."""
        return max(0.0, self.machine - self.bot - self.harness)


_TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _machine_busy() -> tuple[float, int]:
    """Busy CPU seconds of the whole machine since boot, and the number of cores."""
    lines = Path("/proc/stat").read_text().splitlines()
    total = [int(v) for v in lines[0].split()[1:]]
    idle = total[3] + total[4]  # idle and iowait
    cores = sum(1 for line in lines if line.startswith("cpu") and line[3:4].isdigit())
    return (sum(total[:8]) - idle) / _TICK, cores


def _cpu_now(deployment: Deployment) -> tuple[float, float, float, int]:
    bot = sum(_process_cpu(r.process.pid) for r in deployment.live())
    times = os.times()
    machine, cores = _machine_busy()
    return bot, times.user + times.system, machine, cores


async def run(replicas: int, athletes: int) -> tuple[float, float, float, int, CpuSplit]:
    """Return (answers/s, p50 s, p99 s, answers, CPU split) for ``athletes`` on ``replicas``."""
    url, admin = fresh_database(PG_URL, "sb_bench_load")
    try:
        upgrade(url)
        engine = make_engine(url)
        ids = list(range(900_000, 900_000 + athletes))
        onboard_athletes(engine, ids, quiet_checkin_time(dt.datetime.now(dt.UTC)))
        engine.dispose()
        with tempfile.TemporaryDirectory() as tmp:
            async with BotApiSandbox(webhook_delivery=False) as sandbox:
                users = [sandbox.user(tg, f"Athlete {tg}") for tg in ids]
                deployment = Deployment(sandbox, url, Path(tmp), size=replicas)
                await deployment.start()
                telegram = Telegram(sandbox, deployment, random.Random(5), duplicate_share=0.0)
                telegram.start()
                latencies: list[float] = []
                try:
                    before = _cpu_now(deployment)
                    started = time.perf_counter()
                    counts = await asyncio.gather(*(_athlete(u, latencies) for u in users))
                    took = time.perf_counter() - started
                    after = _cpu_now(deployment)
                    cpu = CpuSplit(
                        bot=after[0] - before[0],
                        harness=after[1] - before[1],
                        machine=after[2] - before[2],
                        cores=after[3],
                        wall=took,
                    )
                finally:
                    await telegram.stop()
                    await deployment.stop()
    finally:
        drop_database(url, admin)
    latencies.sort()
    answers = sum(counts)
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    return answers / took, statistics.median(latencies), p99, answers, cpu


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


async def main(athletes: int) -> int:
    """Run both setups and print them side by side."""
    print(f"Machine load (1/5/15 min) before: {_loadavg()}")
    rows = []
    for replicas in (1, 3):
        rows.append((replicas, *await run(replicas, athletes)))
    print(f"Closed-loop check-ins, {athletes} athletes (webhook, PostgreSQL, real processes):")
    for replicas, rate, p50, p99, answers, _ in rows:
        label = "1 process" if replicas == 1 else f"{replicas} replicas"
        print(
            f"  {label:<11} {rate:7.1f} answers/s   reply p50 {p50 * 1000:7.1f} ms   "
            f"p99 {p99 * 1000:7.1f} ms   ({answers} answers)"
        )
    print("CPU per answer (ms), and the machine's busy share:")
    for replicas, _, _, _, answers, cpu in rows:
        label = "1 process" if replicas == 1 else f"{replicas} replicas"
        per = 1000 / max(1, answers)
        busy = cpu.machine / (cpu.wall * cpu.cores) if cpu.wall else 0.0
        print(
            f"  {label:<11} bot {cpu.bot * per:5.2f}   sandbox+athletes {cpu.harness * per:5.2f}"
            f"   PostgreSQL+rest {cpu.rest * per:5.2f}   machine busy {busy:4.0%}"
            f" of {cpu.cores} cores"
        )
    one = rows[0]
    print(f"  target, one process: p99 < 1 s: {'met' if one[3] < 1.0 else 'NOT met'}")
    print(f"Machine load after: {_loadavg()}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=200)
    sys.exit(asyncio.run(main(parser.parse_args().athletes)))
