"""Round trip of one check-in answer against a bare echo bot, side by side on the same fake.

Both bots are the real Application (bot.app.build_application) polling the Bot API sandbox
over HTTP. The echo bot answers each text with "echo: ...". The Sprintback bot runs every
handler module on a SQLite store: each typed check-in answer is looked up in the open
questionnaire, stored, and answered with the next question; the last answer of each check-in
also stores the check-in, runs the engine on the stored history, records the verdict, and
replies with the verdict and today's session. One check-in per simulated day (the clock
moves a day between check-ins, so the engine folds a new day each time).

Prints median, p90, p99 and max (ms) of: the echo bot, every check-in answer, and the
completing answer alone; and the ratio of each median to the echo median.

    .venv/bin/python bench/bench_checkin.py [--days 40]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot import athlete_service as svc
from bot.app import build_application
from bot.athlete_service import Env
from bot.clock import FakeClock
from bot.questionnaires import ONBOARDING
from bot.sandbox import BotApiSandbox
from bot.services import Services
from bot.settings import Settings
from bot.store import repo
from bot.store.db import create_all_for_tests, make_engine, session_scope

START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
# Typed answers of one check-in: red flags ("none"), M1–M4, the four Hooper items, hours slept.
ANSWERS = ("none", "0", "1", "1", "8", "2", "2", "2", "2", "7.5")
ONBOARDING_ANSWERS: dict[str, Any] = {
    "consent_store": True, "consent_share": True, "injury": "hamstring", "muscle": "unknown",
    "side": "left", "grade": 1, "injury_date": "2026-03-01", "mechanism": "sprint",
    "sport": "Rugby", "baseline": {"vmax_ms": 9.0, "split_10m_s": 1.8}, "tz_region": "Europe",
    "timezone": "Europe/Berlin", "checkin_time": "07:00",
}  # fmt: skip

AnyApp = Application[Any, Any, Any, Any, Any, Any]


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


def _register_echo(application: AnyApp) -> None:
    application.add_handler(MessageHandler(filters.TEXT, _echo))


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _start(sandbox: BotApiSandbox, services: Services, handlers: Any) -> AnyApp:
    app = build_application(
        services.settings,
        services=services,
        base_url=sandbox.base_url,
        base_file_url=sandbox.base_file_url,
        token=sandbox.token,
        handler_modules=handlers,
    )
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=5)
    sandbox.watch_application(app)
    return app


async def _stop(app: AnyApp) -> None:
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


CPU: dict[str, list[float]] = {"echo": [], "answers": [], "completing": []}


async def _timed(user: Any, text: str) -> tuple[float, float]:
    """Return (wall ms, process CPU ms) of one round trip: bot, sandbox and user together."""
    started, cpu = time.perf_counter(), time.process_time()
    await user.send(text)
    await user.wait_reply()
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def _onboard(services: Services) -> None:
    """Create an onboarded athlete directly in the store (as the onboarding flow would)."""
    now = services.clock.now()
    env = Env(now=now, notify=lambda session, athlete_id, now: 0)
    with session_scope(services.engine) as session:
        person = repo.create_person(session, role="athlete", telegram_user_id=1001, now=now)
        progress, _ = svc.begin(session, person, "onboarding", env)
        progress.answers = dict(ONBOARDING_ANSWERS)
        session.add(progress)
        session.flush()
        svc.answer(session, person, progress, ONBOARDING.question("confirm"), True, "✅", env)


async def measure(days: int, warmup_days: int = 3) -> tuple[list[float], list[float], list[float]]:
    """Round trips (ms) of the echo bot, of every typed check-in answer, and of the answers
    that complete a check-in. Echo and check-in round trips alternate, so both see the same
    machine load."""
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock(START)
        settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp}/bench.sqlite3")
        engine = make_engine(settings.database_url)
        create_all_for_tests(engine)
        services = Services(settings=settings, clock=clock, engine=engine)
        _onboard(services)
        async with BotApiSandbox(clock=clock) as sandbox, BotApiSandbox() as echo_sandbox:
            app = await _start(sandbox, services, None)
            echo_app = await _start(
                echo_sandbox, Services(settings=Settings(_env_file=None)), [_register_echo]
            )
            user = sandbox.user(1001, "Bench")
            echo_user = echo_sandbox.user(1001, "Bench")
            echo: list[float] = []
            answers: list[float] = []
            completing: list[float] = []
            try:
                for day in range(warmup_days + days):
                    clock.set(START + dt.timedelta(days=day + 1))
                    await user.send("/checkin")
                    await user.wait_reply()
                    for index, text in enumerate(ANSWERS):
                        echoed, echo_cpu = await _timed(echo_user, f"message {day} {index}")
                        elapsed, cpu = await _timed(user, text)
                        if day < warmup_days:
                            continue
                        echo.append(echoed)
                        answers.append(elapsed)
                        CPU["echo"].append(echo_cpu)
                        CPU["answers"].append(cpu)
                        if index == len(ANSWERS) - 1:
                            completing.append(elapsed)
                            CPU["completing"].append(cpu)
                    last = user.last_bot_message.text or ""
                    if "Today's session" not in last:
                        raise RuntimeError(f"the check-in did not complete: {last!r}")
            finally:
                await _stop(app)
                await _stop(echo_app)
                engine.dispose()
        return echo, answers, completing


def _line(name: str, samples: list[float], echo_median: float | None) -> str:
    median = statistics.median(samples)
    ratio = f"  ratio {median / echo_median:4.2f}× echo" if echo_median else ""
    return (
        f"  {name:<30} median {median:6.2f}  p90 {_percentile(samples, 0.9):6.2f}  "
        f"p99 {_percentile(samples, 0.99):6.2f}  max {max(samples):6.2f} ms  "
        f"(n={len(samples)}){ratio}"
    )


def _loadavg() -> str:
    """Return the 1, 5 and 15 minute load averages (the machine may be shared)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> int:
    """Run both benchmarks in one process and print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=40, help="check-ins (one per day)")
    args = parser.parse_args()
    load_before = _loadavg()
    echo, answers, completing = asyncio.run(measure(args.days))
    echo_median = statistics.median(echo)
    print(f"Machine load (1/5/15 min) before: {load_before}; after: {_loadavg()}")
    print("Check-in answer round trip vs echo bot (same sandbox, real PTB polling over HTTP):")
    print(_line("echo bot", echo, None))
    print(_line("check-in answer (any)", answers, echo_median))
    print(_line("completing answer (+engine)", completing, echo_median))
    echo_cpu = statistics.median(CPU["echo"])
    print("Process CPU per round trip (bot + sandbox + simulated user; load-independent):")
    print(_line("echo bot", CPU["echo"], None))
    print(_line("check-in answer (any)", CPU["answers"], echo_cpu))
    print(_line("completing answer (+engine)", CPU["completing"], echo_cpu))
    ok_median = statistics.median(answers) <= 1.5 * echo_median
    ok_p99 = _percentile(answers, 0.99) < 50 and _percentile(completing, 0.99) < 50
    print(
        f"  targets: median ≤ 1.5× echo: {'met' if ok_median else 'NOT met'}; "
        f"p99 < 50 ms: {'met' if ok_p99 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
