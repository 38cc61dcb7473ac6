"""Round trip of one check-in answer against a bare echo bot, side by side on the same fake.

Both bots are the real Application (bot.app.build_application) polling the Bot API sandbox
over HTTP. The Sprintback bot runs every handler module on a SQLite store, wired as
`sprintback run` wires it (start-up heap frozen), for an athlete with a linked clinician:
each check-in answer is looked up in the open questionnaire, stored, and answered with the
next question; the last answer of each check-in also stores the check-in, runs the engine on
the stored history, records the verdict (raising alerts and queueing the clinician's card
when due), and replies with the verdict and today's session. One check-in per simulated day
(the clock moves a day between check-ins, so the engine folds a new day each time).

Check-ins alternate between typed answers and button taps (how athletes mostly answer):
- typed: the echo bot answers each text with "echo: ..." (one sendMessage);
- taps: the echo bot answers each tap (answerCallbackQuery) and replies "echo: ..." with a
  button to tap again; Sprintback answers the tap, edits the tapped question into the
  answer given and sends the next question (three calls, the first two at once).
Echo and Sprintback round trips alternate, so both see the same machine load; each starts
with both bots idle (Sprintback records the replies it sent right after sending them, in the
athlete's turn: that bookkeeping is counted in the CPU figures, not in the wait).

Prints median, p90, p99 and max (ms) of each echo bot, every answer, and the answers that
complete a check-in, with the ratio of each median to its echo bot's median. The issue's
targets (median at most 1.5x echo, p99 under 50 ms) are checked on the typed answers, the
measure the bench has always used, and reported for taps alongside.

    .venv/bin/python bench/bench_checkin.py [--days 200]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app import build_application
from bot.clock import FakeClock
from bot.handlers.context import Services, add_startup_hook
from bot.handlers.jobs import DIGEST_JOB
from bot.runtime import freeze_startup_heap
from bot.sandbox import BotApiSandbox
from bot.services.athlete import questionnaire as svc
from bot.services.athlete.engine_bridge import notify_nobody
from bot.services.athlete.results import Env
from bot.services.questionnaires import ONBOARDING
from bot.settings import Settings
from bot.store import repo
from bot.store.db import create_all_for_tests, make_engine, session_scope

START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
# Typed answers of one check-in: red flags ("none"), M1–M4, the four Hooper items, hours slept.
ANSWERS = ("none", "0", "1", "1", "8", "2", "2", "2", "2", "7.5")
# The same answers as the buttons' labels.
TAPS = ("None of these ✅", "0", "1", "1", "8", "2", "2", "2", "2", "7.5")
ECHO_BUTTON = "tap"
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


async def _echo_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    await query.message.reply_text(f"echo: {query.data}", reply_markup=_TAP_AGAIN)


_TAP_AGAIN = InlineKeyboardMarkup([[InlineKeyboardButton(ECHO_BUTTON, callback_data="echo")]])


async def _echo_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("tap to echo", reply_markup=_TAP_AGAIN)


def _register_echo(application: AnyApp) -> None:
    application.add_handler(CommandHandler("start", _echo_start))
    application.add_handler(MessageHandler(filters.TEXT, _echo))
    application.add_handler(CallbackQueryHandler(_echo_tap))


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _start(
    sandbox: BotApiSandbox, services: Services, handlers: Any, *, production: bool = False
) -> AnyApp:
    app = build_application(
        services.settings,
        services=services,
        base_url=sandbox.base_url,
        base_file_url=sandbox.base_file_url,
        token=sandbox.token,
        handler_modules=handlers,
    )
    if production:  # as `sprintback run` does
        add_startup_hook(app, freeze_startup_heap)
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


Series = dict[str, list[float]]


async def _timed(user: Any, answer: str, tap: bool, app: AnyApp) -> tuple[float, float]:
    """Return (wall ms, process CPU ms) of one round trip: bot, sandbox and user together.

    The wall time ends when the reply is in the chat and the bot says the update is handled
    (what the athlete waits for). Sprintback then records its replies as sent, in the chat's
    turn; the CPU time includes that bookkeeping, and the next round trip (of either bot)
    starts only once it is done, so it never lands in another measurement.
    """
    started, cpu = time.perf_counter(), time.process_time()
    if tap:
        await user.press(answer)
    else:
        await user.send(answer)
    await user.wait_reply()
    wall = (time.perf_counter() - started) * 1000
    await _idle(app)
    return wall, (time.process_time() - cpu) * 1000


async def _idle(app: AnyApp) -> None:
    """Wait until the bot has no after-work in hand (recording replies it has sent)."""
    idle = getattr(app.update_processor, "idle", None)
    if idle is not None:
        await idle()


def _onboard(services: Services) -> None:
    """Create an onboarded athlete with a linked clinician directly in the store (as the
    invitation and onboarding flows would), so alerts build and queue a clinician card."""
    now = services.clock.now()
    env = Env(now=now, notify=notify_nobody)
    with session_scope(services.engine) as session:
        clinician = repo.create_person(
            session, role="clinician", telegram_user_id=2001, chat_id=2001, now=now
        )
        person = repo.create_person(session, role="athlete", telegram_user_id=1001, now=now)
        assert clinician.id is not None and person.id is not None
        repo.link_athlete(session, athlete_id=person.id, clinician_id=clinician.id, now=now)
        progress, _ = svc.begin(session, person, "onboarding", env)
        progress.answers = dict(ONBOARDING_ANSWERS)
        session.add(progress)
        session.flush()
        svc.answer(session, person, progress, ONBOARDING.question("confirm"), True, "✅", env)


async def measure(days: int, warmup_days: int = 4) -> tuple[Series, Series]:
    """Return the round trips (wall ms, and process CPU ms) by series: "echo", "answers" and
    "completing" for typed check-ins, the same with a "tap " prefix for tapped ones."""
    wall: Series = defaultdict(list)
    cpu: Series = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock(START)
        settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp}/bench.sqlite3")
        engine = make_engine(settings.database_url)
        create_all_for_tests(engine)
        services = Services(settings=settings, clock=clock, engine=engine)
        _onboard(services)
        async with BotApiSandbox(clock=clock) as sandbox, BotApiSandbox() as echo_sandbox:
            app = await _start(sandbox, services, None, production=True)
            # The simulated clock runs 200 days in about a minute, so the weekly digest would
            # run a hundred times more often than it does for real; it is not an answer.
            assert app.job_queue is not None
            for job in app.job_queue.get_jobs_by_name(DIGEST_JOB):
                job.schedule_removal()
            sandbox.user(2001, "Clinician")  # the linked clinician's chat
            echo_app = await _start(
                echo_sandbox, Services(settings=Settings(_env_file=None)), [_register_echo]
            )
            user = sandbox.user(1001, "Bench")
            echo_user = echo_sandbox.user(1001, "Bench")
            await echo_user.send("/start")  # a message with the echo bot's button to tap
            await echo_user.wait_reply()
            try:
                for day in range(warmup_days + days):
                    clock.set(START + dt.timedelta(days=day + 1))
                    tap = day % 2 == 1
                    await user.send("/checkin")
                    await user.wait_reply()
                    for index, answer in enumerate(TAPS if tap else ANSWERS):
                        echo_text = ECHO_BUTTON if tap else f"message {day} {index}"
                        echoed = await _timed(echo_user, echo_text, tap, echo_app)
                        answered = await _timed(user, answer, tap, app)
                        if day < warmup_days:
                            continue
                        prefix = "tap " if tap else ""
                        names = ["echo", "answers"]
                        if index == len(ANSWERS) - 1:
                            names.append("completing")
                        for name in names:
                            ms, cpu_ms = echoed if name == "echo" else answered
                            wall[prefix + name].append(ms)
                            cpu[prefix + name].append(cpu_ms)
                    last = user.last_bot_message.text or ""
                    if "Today's session" not in last:
                        raise RuntimeError(f"the check-in did not complete: {last!r}")
            finally:
                await _stop(app)
                await _stop(echo_app)
                engine.dispose()
        return wall, cpu


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


LINES = (
    ("echo bot (text)", "echo"),
    ("typed answer (any)", "answers"),
    ("typed completing answer", "completing"),
    ("echo bot (tap)", "tap echo"),
    ("tapped answer (any)", "tap answers"),
    ("tapped completing answer", "tap completing"),
)


def _table(series: Series) -> list[str]:
    lines = []
    for label, name in LINES:
        echo = None if name.endswith("echo") else "tap echo" if name.startswith("tap") else "echo"
        baseline = statistics.median(series[echo]) if echo else None
        lines.append(_line(label, series[name], baseline))
    return lines


def _verdict(series: Series, prefix: str) -> str:
    answers, completing = series[prefix + "answers"], series[prefix + "completing"]
    median_ok = statistics.median(answers) <= 1.5 * statistics.median(series[prefix + "echo"])
    p99_ok = _percentile(answers, 0.99) < 50 and _percentile(completing, 0.99) < 50
    return (
        f"median ≤ 1.5× echo: {'met' if median_ok else 'NOT met'}; "
        f"p99 < 50 ms: {'met' if p99_ok else 'NOT met'}"
    )


def main() -> int:
    """Run both bots in one process and print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--days", type=int, default=200, help="check-ins (one per day, typed and tapped alternate)"
    )
    args = parser.parse_args()
    load_before = _loadavg()
    wall, cpu = asyncio.run(measure(args.days))
    print(f"Machine load (1/5/15 min) before: {load_before}; after: {_loadavg()}")
    print("Check-in answer round trip vs echo bot (same sandbox, real PTB polling over HTTP):")
    print("\n".join(_table(wall)))
    print("Process CPU per round trip (bot + sandbox + simulated user; load-independent):")
    print("\n".join(_table(cpu)))
    print(f"  targets, typed answers: {_verdict(wall, '')}")
    print(f"  targets, tapped answers: {_verdict(wall, 'tap ')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
