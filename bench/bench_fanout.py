"""Morning-prompt fan-out through the local Bot API sandbox, and scheduler start-up cost.

Prints, in one run:

1. A bare python-telegram-bot ``send_message`` loop to N chats (the floor), with the bot's own
   HTTP client (bot/delivery/http.py), and beside it with python-telegram-bot's default
   client (httpx), for reference.
2. The real pipeline with the rate limiter OFF: N morning prompts due at once are claimed by the
   tick, queued in the outbox and drained by the sender through the same sandbox; messages per
   second (target >= 0.8 x the bare loop) and CPU time per prompt in the bot process (the
   sandbox runs in its own process, so its CPU is not counted).
3. The same with the limiter ON (30 msg/s overall, 1 msg/s per chat) for M prompts: fan-out
   time / (M / 30 s) (target <= 1.05).
4. Start-up with 100,000 athletes registered (each with their next day planned): time from a
   fresh process to the first tick done, and peak resident memory (targets < 2 s, < 200 MB);
   beside the naive design of one ``run_daily`` JobQueue job per athlete.

    .venv/bin/python bench/bench_fanout.py [--athletes 10000] [--limited 2000]
        [--startup-athletes 100000] [--naive-athletes 100000] [--db-url URL]

By default the limiter-on part sends 2,000 prompts (about 67 s at 30/s) instead of 10,000
(333 s) so the whole bench runs in about three minutes; the ratio does not depend on N.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FIRST_CHAT = 1_000_000
TZ = "Europe/London"
TEXT = "Good morning! Time for your morning check-in: it takes about a minute. Send /checkin."


# --------------------------------------------------------------------------- sandbox process


def _sandbox_main(first_chat: int, count: int, conn: Connection) -> None:
    asyncio.run(_serve(first_chat, count, conn))


async def _serve(first_chat: int, count: int, conn: Connection) -> None:
    from bot.sandbox import BotApiSandbox

    async with BotApiSandbox() as sandbox:
        for chat in range(first_chat, first_chat + count):
            sandbox.user(chat)
        conn.send((sandbox.base_url, sandbox.token))
        while True:
            command = await asyncio.to_thread(conn.recv)
            if command == "stats":
                sends = [c for c in sandbox.calls if c.method == "sendMessage" and c.status == 200]
                per_chat = Counter(c.chat_id for c in sends)
                conn.send((len(sends), max(per_chat.values(), default=0)))
            elif command == "reset":
                sandbox.calls.clear()
                for chat_state in sandbox.chats.values():
                    chat_state.messages.clear()
                conn.send(True)
            else:
                conn.send(True)
                return


class SandboxProcess:
    """The Bot API sandbox in a child process, so its CPU is not the bot's."""

    def __init__(self, chats: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_sandbox_main, args=(FIRST_CHAT, chats, child))
        self._proc.start()
        self.base_url, self.token = self._conn.recv()

    def ask(self, command: str) -> Any:
        """Send a command to the sandbox process and return its answer."""
        self._conn.send(command)
        return self._conn.recv()

    def stop(self) -> None:
        """Stop the sandbox process."""
        self.ask("stop")
        self._proc.join(10)


# --------------------------------------------------------------------------- database


def prepare_db(url: str, athletes: int, due: dt.datetime, *, plan_days: bool = False) -> None:
    """Create the schema with ``athletes`` athletes whose morning prompt is due at ``due``.

    ``plan_days`` also writes each athlete's reminder and cut-off rows (a realistic schedule
    table for the start-up measurement).
    """
    from sqlalchemy import insert

    from bot.store.db import create_all_for_tests, make_engine, session_scope
    from bot.store.models import Person, ScheduledPrompt, metadata

    engine = make_engine(url)
    metadata.drop_all(engine)
    create_all_for_tests(engine)
    local_date = due.date()
    chunk = 20_000
    for start in range(0, athletes, chunk):
        stop = min(athletes, start + chunk)
        with session_scope(engine) as session:
            session.execute(
                insert(Person),
                [
                    {
                        "id": n + 1,
                        "role": "athlete",
                        "telegram_user_id": FIRST_CHAT + n,
                        "chat_id": FIRST_CHAT + n,
                        "display_name": f"Athlete {n}",
                        "language": "en",
                        "timezone": TZ,
                        "checkin_time": "07:00",
                        "paused": False,
                        "unreachable": False,
                        "created_at": due - dt.timedelta(days=30),
                    }
                    for n in range(start, stop)
                ],
            )
            rows = [
                {
                    "athlete_id": n + 1,
                    "kind": "morning",
                    "local_date": local_date,
                    "due_at": due,
                    "status": "pending",
                }
                for n in range(start, stop)
            ]
            if plan_days:
                for kind, later in (("reminder", 45), ("cutoff", 240)):
                    rows.extend(
                        {**row, "kind": kind, "due_at": due + dt.timedelta(minutes=later)}
                        for row in rows[: stop - start]
                    )
            session.execute(insert(ScheduledPrompt), rows)
    engine.dispose()


# --------------------------------------------------------------------------- measurements


async def bare_loop(
    base_url: str, token: str, count: int, *, stock: bool = False
) -> tuple[float, float]:
    """Send ``count`` messages one after another with PTB, through the bot's HTTP client (or
    PTB's default one, ``stock``); return (msg/s, CPU ms per msg)."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.app import make_request

    request = (
        HTTPXRequest(connection_pool_size=32)
        if stock
        else make_request(for_get_updates=False, pool_size=32)
    )
    async with Bot(token, base_url=base_url, request=request) as bot:
        wall, cpu = time.perf_counter(), time.process_time()
        for n in range(count):
            await bot.send_message(FIRST_CHAT + n, TEXT)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return count / wall, cpu / count * 1000


async def pipeline(
    url: str, base_url: str, token: str, count: int, *, limited: bool
) -> tuple[float, float]:
    """Fan out ``count`` due morning prompts: tick -> outbox -> sender -> sandbox.

    Returns (elapsed seconds from the tick starting to the last message accepted, CPU seconds).
    """
    from telegram import Bot

    from bot.app import make_request
    from bot.clock import FakeClock
    from bot.delivery.limiter import RateGate
    from bot.delivery.sender import OutboxSender, SenderConfig
    from bot.scheduling.schedule import SchedulerConfig
    from bot.scheduling.tick import Scheduler, run_tick
    from bot.store.db import make_engine

    due = dt.datetime(2026, 6, 10, 6, 0, tzinfo=dt.UTC)
    prepare_db(url, count, due)
    engine = make_engine(url)
    clock = FakeClock(due)
    request = make_request(for_get_updates=False, pool_size=32)
    async with Bot(token, base_url=base_url, request=request) as bot:
        sender = OutboxSender(
            bot=bot,
            engine=engine,
            clock=clock,
            gate=RateGate() if limited else RateGate.off(),
            config=SenderConfig(batch=60 if limited else 200),
        )
        kicks: set[asyncio.Task[Any]] = set()

        def kick() -> None:
            task = asyncio.get_running_loop().create_task(sender.drain())
            kicks.add(task)
            task.add_done_callback(kicks.discard)

        scheduler = Scheduler(
            engine=engine,
            clock=clock,
            config=SchedulerConfig(batch=500),
            on_enqueued=kick,
        )
        wall, cpu = time.perf_counter(), time.process_time()
        result = await run_tick(scheduler)
        while kicks:
            await asyncio.gather(*list(kicks))
        await sender.drain()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    engine.dispose()
    assert result.sent == count, f"tick sent {result.sent} of {count}"
    return wall, cpu


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB.

    VmHWM belongs to the current address space; ru_maxrss would also count the parent's
    memory at fork time (Linux keeps it across exec), which is not the bot's.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _startup_child(mode: str, url: str, base_url: str, token: str, conn: Connection) -> None:
    started = time.perf_counter()
    elapsed = asyncio.run(_startup(mode, url, base_url, token, started))
    conn.send((elapsed, peak_rss_mb()))


async def _startup(mode: str, url: str, base_url: str, token: str, started: float) -> float:
    from zoneinfo import ZoneInfo

    from sqlmodel import select

    from bot.app import build_application
    from bot.handlers.context import Services
    from bot.handlers.jobs import install_scheduling
    from bot.settings import Settings
    from bot.store.db import make_engine, session_scope
    from bot.store.models import Person

    settings = Settings(_env_file=None, database_url=url)
    engine = make_engine(url)
    services = Services(settings=settings, engine=engine)
    app = build_application(
        settings, services=services, base_url=base_url, token=token, handler_modules=[]
    )
    await app.initialize()
    assert app.job_queue is not None
    if mode == "durable":
        scheduler, _ = install_scheduling(app, services)
        await app.job_queue.start()  # the tick job's first run is immediate
        while scheduler.completed_ticks < 1:
            await asyncio.sleep(0.002)
    elif mode == "naive":

        async def morning(context: Any) -> None:
            return None

        with session_scope(engine, read_only=True) as session:
            athletes = session.exec(
                select(Person.id, Person.chat_id, Person.timezone, Person.checkin_time)
            ).all()
        for athlete_id, chat_id, tz, checkin in athletes:
            hours, minutes = (checkin or "07:00").split(":")
            app.job_queue.run_daily(
                morning,
                time=dt.time(int(hours), int(minutes), tzinfo=ZoneInfo(tz)),
                chat_id=chat_id,
                name=f"checkin:{athlete_id}",
                job_kwargs={
                    "id": f"checkin:{athlete_id}",
                    "replace_existing": True,
                    "misfire_grace_time": 3600,
                    "coalesce": True,
                },
            )
        await app.job_queue.start()
    elapsed = time.perf_counter() - started
    await app.job_queue.stop(wait=False)
    await app.shutdown()
    engine.dispose()
    return elapsed


def startup(mode: str, url: str, base_url: str, token: str) -> tuple[float, float]:
    """Run one start-up in a fresh process; return (seconds to ready, peak RSS in MB)."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_startup_child, args=(mode, url, base_url, token, child))
    wall = time.perf_counter()
    proc.start()
    elapsed, peak = parent.recv()
    proc.join(60)
    total = time.perf_counter() - wall
    print(f"      ({mode}: {total:.2f} s including interpreter start)")
    return elapsed, peak


# --------------------------------------------------------------------------- main


def _timed(label: str, fn: Callable[[], Any]) -> Any:
    print(f"... {label}", flush=True)
    return fn()


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=10_000)
    parser.add_argument("--limited", type=int, default=2_000)
    parser.add_argument("--startup-athletes", type=int, default=100_000)
    parser.add_argument("--naive-athletes", type=int, default=100_000)
    parser.add_argument("--db-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sb-bench-fanout-"))
    try:
        return _run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(args: argparse.Namespace, workdir: Path) -> int:
    """Run every measurement with the database under ``workdir`` and print the figures."""
    url = args.db_url or f"sqlite:///{workdir / 'fanout.sqlite3'}"
    chats = max(args.athletes, args.limited, args.startup_athletes, args.naive_athletes)
    sandbox = _timed("starting the sandbox process", lambda: SandboxProcess(chats))
    try:
        n = args.athletes
        half = max(1, n // 2)
        # The floor is measured just before and just after the pipeline (half the messages
        # each) and averaged, so a change in machine load during the run biases neither side.
        before = _timed(
            f"bare send_message loop, {half} messages",
            lambda: asyncio.run(bare_loop(sandbox.base_url, sandbox.token, half)),
        )
        sandbox.ask("reset")
        off_wall, off_cpu = _timed(
            f"pipeline, limiter off, {n} prompts",
            lambda: asyncio.run(pipeline(url, sandbox.base_url, sandbox.token, n, limited=False)),
        )
        sent, most = sandbox.ask("stats")
        assert (sent, most) == (n, 1), f"limiter off: {sent} sent, max {most} per chat"
        sandbox.ask("reset")
        after = _timed(
            f"bare send_message loop again, {half} messages",
            lambda: asyncio.run(bare_loop(sandbox.base_url, sandbox.token, half)),
        )
        bare_rate = (before[0] + after[0]) / 2
        bare_cpu = (before[1] + after[1]) / 2
        sandbox.ask("reset")
        stock = _timed(
            f"bare send_message loop, PTB's default client, {half} messages",
            lambda: asyncio.run(bare_loop(sandbox.base_url, sandbox.token, half, stock=True)),
        )
        sandbox.ask("reset")
        m = args.limited
        on_wall, _ = _timed(
            f"pipeline, limiter on, {m} prompts (about {m / 30:.0f} s)",
            lambda: asyncio.run(pipeline(url, sandbox.base_url, sandbox.token, m, limited=True)),
        )
        sent, most = sandbox.ask("stats")
        assert (sent, most) == (m, 1), f"limiter on: {sent} sent, max {most} per chat"
        sandbox.ask("reset")
        tomorrow = dt.datetime.now(dt.UTC).replace(hour=6, minute=0, second=0, microsecond=0)
        tomorrow += dt.timedelta(days=1)
        s = args.startup_athletes
        _timed(f"registering {s} athletes", lambda: prepare_db(url, s, tomorrow, plan_days=True))
        floor = _timed(
            "start-up floor: imports, Application, initialize (no scheduling)",
            lambda: startup("floor", url, sandbox.base_url, sandbox.token),
        )
        durable = _timed(
            "start-up, durable schedule",
            lambda: startup("durable", url, sandbox.base_url, sandbox.token),
        )
        if args.naive_athletes != s:
            prepare_db(url, args.naive_athletes, tomorrow, plan_days=True)
        naive = _timed(
            f"start-up, one run_daily job per athlete ({args.naive_athletes})",
            lambda: startup("naive", url, sandbox.base_url, sandbox.token),
        )
    finally:
        sandbox.stop()

    off_rate = n / off_wall
    print()
    print(f"Fan-out of the morning prompt through the Bot API sandbox ({n} athletes)")
    print(
        f"  bare PTB send_message loop      {bare_rate:8.0f} msg/s   {bare_cpu:6.3f} ms CPU/msg"
        f"   (before {before[0]:.0f}, after {after[0]:.0f} msg/s; the bot's HTTP client)"
    )
    print(
        f"  the same, PTB's default client  {stock[0]:8.0f} msg/s   {stock[1]:6.3f} ms CPU/msg"
        "   (httpx; for reference)"
    )
    print(
        f"  pipeline, limiter off           {off_rate:8.0f} msg/s   "
        f"{off_cpu / n * 1000:6.3f} ms CPU/prompt (tick + outbox + send)"
    )
    print(f"  ratio to the bare loop          {off_rate / bare_rate:8.2f}      (target >= 0.80)")
    ideal = m / 30
    print(f"Limiter on, {m} prompts: {on_wall:.1f} s for an ideal {ideal:.1f} s at 30 msg/s")
    print(f"  fan-out time / ({m} / 30 s)     {on_wall / ideal:8.3f}      (target <= 1.05)")
    print(f"Start-up with {s} athletes registered (fresh process to first tick done)")
    print(
        f"  floor: imports + Application    {floor[0]:8.2f} s   {floor[1]:6.0f} MB peak RSS"
        "   (same for both designs)"
    )
    print(
        f"  durable schedule                {durable[0]:8.2f} s   {durable[1]:6.0f} MB peak RSS"
        "   (targets < 2 s, < 200 MB)"
    )
    print(
        f"  naive run_daily per athlete     {naive[0]:8.2f} s   {naive[1]:6.0f} MB peak RSS"
        f"   ({args.naive_athletes} jobs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
