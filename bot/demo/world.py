"""The demo's world: the production bot (``build_runtime``) on the local Bot API sandbox, a
throw-away SQLite database, a fake clock the script moves, and the people who talk to the bot.

The JobQueue's own timer is paused: the script runs the very same jobs (scheduler tick, outbox
sender, clinician escalations) at the fake instants it chooses, so compressed days play out in
seconds and in the same order on every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from telegram.ext import Application

from bot.clock import FakeClock
from bot.delivery.limiter import RateGate
from bot.demo.record import Recorder
from bot.demo.words import DemoWords
from bot.handlers.context import SENDER_KEY
from bot.handlers.jobs import SCHEDULER_KEY, SENDER_JOB, TICK_JOB
from bot.runtime import Runtime, build_runtime
from bot.sandbox import BotApiSandbox, SimUser, TranscriptMessage
from bot.sandbox.runner import start_application, stop_application
from bot.settings import Settings
from bot.store.db import session_scope, upgrade
from bot.store.models import Person as StoredPerson
from bot.store.models import ScheduledPrompt

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

KICKS_KEY = "sprintback.kicks"
# Seconds the bot may take to answer one action before the demo gives up.
REPLY_TIMEOUT = 10.0
# Seconds to wait for a chart or report drawn in the background.
FILE_TIMEOUT = 30.0


class DemoError(RuntimeError):
    """The demo could not go on; the message says what the bot did not do."""


@dataclass
class Person:
    """Someone in the demo: a simulated Telegram user with a role label for the transcript."""

    label: str
    user: SimUser

    @property
    def name(self) -> str:
        """Return the first name shown in Telegram."""
        return self.user.first_name


@dataclass
class DemoWorld:
    """A running demo: sandbox, bot, database, clock and transcript recorder."""

    sandbox: BotApiSandbox
    runtime: Runtime
    clock: FakeClock
    recorder: Recorder
    workdir: Path
    keep_workdir: bool = False
    people: dict[int, Person] = field(default_factory=dict)
    # The language the people's Telegram apps use, and the demo's words in it.
    words: DemoWords = field(default_factory=DemoWords)

    @property
    def application(self) -> AnyApplication:
        """Return the running Application."""
        return self.runtime.application

    @property
    def database_path(self) -> Path:
        """Return the SQLite file the bot writes to."""
        return self.workdir / "sprintback-demo.sqlite3"

    # ------------------------------------------------------------------ people

    def person(self, telegram_id: int, first_name: str, label: str) -> Person:
        """Return the simulated user ``telegram_id`` labelled ``label`` in the transcript."""
        if telegram_id not in self.people:
            user = self.sandbox.user(telegram_id, first_name, language_code=self.words.lang)
            self.people[telegram_id] = Person(label=label, user=user)
            self.recorder.name_chat(telegram_id, label)
        return self.people[telegram_id]

    # ------------------------------------------------------------------ actions

    async def say(self, who: Person, text: str) -> list[TranscriptMessage]:
        """``who`` sends ``text``; return the bot's messages to them once all is delivered."""
        self.recorder.user_action(who.user.chat_id, text, self.clock.now())
        await who.user.send(text)
        return await self._after_action(who, f"{who.label} sent {text!r}")

    async def ask_for_file(self, who: Person, text: str, kind: str) -> TranscriptMessage:
        """``who`` sends ``text`` (e.g. /report 3) and waits for the ``kind`` ("photo" or
        "document") the bot draws in the background; return that message."""
        self.recorder.user_action(who.user.chat_id, text, self.clock.now())
        await who.user.send(text)
        try:
            messages = await who.user.wait_until(
                lambda ms: any(m.kind == kind for m in ms), timeout=FILE_TIMEOUT
            )
        except AssertionError as err:
            raise DemoError(f"the bot sent no {kind} after {who.label} sent {text!r}") from err
        await self.deliver()
        self.recorder.collect(self.sandbox, self.clock.now())
        return next(m for m in messages if m.kind == kind)

    async def tap(
        self, who: Person, label: str, message: TranscriptMessage | None = None
    ) -> list[TranscriptMessage]:
        """``who`` presses the button ``label`` (on ``message`` or the latest showing it);
        return the bot's messages to them once all is delivered. ``label`` is the English
        label: the button pressed is its translation in the demo's language."""
        offered = [
            text
            for shown in ([message] if message is not None else who.user.bot_messages)
            for text in shown.button_labels
        ]
        label = self.words.label(label, offered)
        self.recorder.user_action(who.user.chat_id, f"[{label}]", self.clock.now())
        await who.user.press(label, message)
        replies = await self._after_action(who, f"{who.label} pressed [{label}]")
        answer = who.user.last_callback_answer
        if answer is not None and answer.text:
            self.recorder.toast(who.user.chat_id, answer.text, self.clock.now())
        return replies

    async def set_time(self, when: dt.datetime) -> None:
        """Move the clock to ``when`` (aware) and let the bot's jobs run at that instant."""
        self.clock.set(when)
        await self.run_jobs()

    def next_prompt_due(self, athlete: Person, kind: str) -> dt.datetime:
        """Return when the scheduler will send ``athlete``'s next pending ``kind`` prompt."""
        with session_scope(self.runtime.engine, read_only=True) as session:
            person_id = session.exec(
                select(StoredPerson.id).where(StoredPerson.telegram_user_id == athlete.user.user_id)
            ).first()
            due = session.exec(
                select(ScheduledPrompt.due_at)
                .where(
                    ScheduledPrompt.athlete_id == person_id,
                    ScheduledPrompt.kind == kind,
                    ScheduledPrompt.status == "pending",
                    col(ScheduledPrompt.due_at) > self.clock.now(),
                )
                .order_by(col(ScheduledPrompt.due_at))
            ).first()
        if due is None:
            raise DemoError(f"the scheduler has planned no {kind} prompt for the {athlete.label}")
        return due

    async def run_jobs(self) -> None:
        """Run every repeating job of the bot once, now: the scheduler tick first, then the
        others (clinician escalations, weekly digest, ...), then the outbox sender."""
        queue = self.application.job_queue
        if queue is None:
            raise DemoError("the bot has no JobQueue")
        jobs = sorted(queue.jobs(), key=lambda job: job.name != TICK_JOB)
        for job in jobs:
            if job.name != SENDER_JOB:
                await job.run(self.application)
        await self.deliver()
        self.recorder.collect(self.sandbox, self.clock.now())

    async def deliver(self) -> None:
        """Send everything the bot queued in its outbox (waiting for drains already started).

        The replies of the last update are recorded as sent after the reply went out, in the
        chat's turn; until then they hold the chat's place in the outbox, and a prompt queued
        behind them would wait for the next drain. That after-work is awaited first."""
        idle = getattr(self.application.update_processor, "idle", None)
        if idle is not None:
            await idle()
        for _ in range(20):
            kicks: set[asyncio.Task[Any]] = self.application.bot_data.get(KICKS_KEY, set())
            if kicks:
                await asyncio.gather(*list(kicks), return_exceptions=True)
            for job in self.application.job_queue.get_jobs_by_name(SENDER_JOB):  # type: ignore[union-attr]
                await job.run(self.application)
            if not self.application.bot_data.get(KICKS_KEY):
                return

    async def _after_action(self, who: Person, action: str) -> list[TranscriptMessage]:
        try:
            await who.user.wait_until(lambda messages: True, timeout=REPLY_TIMEOUT)
        except AssertionError as err:
            raise DemoError(f"the bot did not process: {action}") from err
        await self.deliver()
        self.recorder.collect(self.sandbox, self.clock.now())
        return who.user.messages_since_action()

    # ------------------------------------------------------------------ lifecycle

    async def close(self) -> None:
        """Stop the bot and the sandbox; remove the temporary folder unless kept."""
        with contextlib.suppress(Exception):
            await stop_application(self.application)
        await self.sandbox.stop()
        self.runtime.engine.dispose()
        if not self.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


async def open_world(
    start: dt.datetime,
    *,
    zone: ZoneInfo,
    admin_telegram_id: int,
    people: dict[int, str] | None = None,
    keep_workdir: bool = False,
    lang: str = "en",
) -> DemoWorld:
    """Start the sandbox and the production bot on a fresh SQLite file, clock at ``start``.

    ``people`` (Telegram id -> first name) get their sandbox chat before the bot starts, so
    its start-up hooks (the admins' command menus) find them. The sender's pacing gate is
    opened: the sandbox has no flood limits and the demo packs weeks into seconds, so
    Telegram's 1 message/s per chat would only add wall-clock waits. Everyone's Telegram app
    uses ``lang`` (their ``language_code``), so the bot speaks it to them.
    """
    workdir = Path(tempfile.mkdtemp(prefix="sprintback-demo-"))
    database = workdir / "sprintback-demo.sqlite3"
    url = f"sqlite:///{database}"
    upgrade(url)
    clock = FakeClock(start)
    settings = Settings(
        _env_file=None,
        database_url=url,
        admin_telegram_ids=[admin_telegram_id],
        default_timezone=str(zone),
        # The script runs the tick itself; the JobQueue timer is paused anyway.
        scheduler_tick_seconds=3600,
    )
    sandbox = await BotApiSandbox(clock=clock).start()
    for telegram_id, first_name in (people or {}).items():
        sandbox.user(telegram_id, first_name, language_code=lang)
    runtime = build_runtime(
        settings,
        clock=clock,
        token=sandbox.token,
        base_url=sandbox.base_url,
        base_file_url=sandbox.base_file_url,
    )
    sender = runtime.application.bot_data[SENDER_KEY]
    sender.gate = RateGate.off()
    # One demo tick stands for the many ticks between two instants of the story, so each one
    # also plans athletes who have no day planned yet (production does it every 10th tick).
    scheduler = runtime.application.bot_data[SCHEDULER_KEY]
    scheduler.config = dataclasses.replace(scheduler.config, sweep_every_ticks=1)
    world = DemoWorld(
        sandbox=sandbox,
        runtime=runtime,
        clock=clock,
        recorder=Recorder(start=start, zone=zone),
        workdir=workdir,
        keep_workdir=keep_workdir,
        words=DemoWords(lang),
    )
    try:
        await start_application(runtime.application, sandbox)
        queue = runtime.application.job_queue
        if queue is None:
            raise DemoError("the bot has no JobQueue (install python-telegram-bot[job-queue])")
        queue.scheduler.pause()
    except BaseException:
        await world.close()
        raise
    return world
