"""Athlete end-to-end fixtures: the real Application (all handler modules) on the Bot API
sandbox, a real store, and a driver that acts as an athlete on a phone would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import FakeClock
from bot.delivery.sender import OutboxSender
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox, SimUser, TranscriptMessage
from bot.settings import Settings
from bot.store.db import create_all_for_tests, make_engine, session_scope
from bot.store.models import Person
from bot.store.repo.links import create_invite
from bot.store.repo.people import create_person
from tests.support.telegram import BotHarness, RunningBot

CLINICIAN_ID = 5001


@pytest.fixture
def db(bot_settings: Settings) -> Iterator[Engine]:
    """Return an engine on the test's SQLite file with every table created."""
    engine = make_engine(bot_settings.database_url)
    create_all_for_tests(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def services(bot_settings: Settings, clock: FakeClock, db: Engine) -> Services:
    """Return Services with the real store."""
    return Services(settings=bot_settings, clock=clock, engine=db)


@dataclass
class Phone:
    """A simulated athlete: send, tap, read what the bot answered."""

    user: SimUser
    world: World

    async def say(self, text: str) -> list[TranscriptMessage]:
        """Send a text (or command) and return the bot's answer."""
        await self.user.send(text)
        return await self.user.wait_reply()

    async def tap(
        self, label: str, message: TranscriptMessage | None = None
    ) -> list[TranscriptMessage]:
        """Press a button of the latest message showing it and return the bot's answer."""
        await self.user.press(label, message)
        return await self.user.wait_reply()

    @property
    def last(self) -> str:
        """The text of the bot's latest message in this chat."""
        return self.user.last_bot_message.text or ""

    async def onboard(
        self,
        *,
        code: str | None = None,
        baseline: str = "vmax 9.0 10m 1.80",
        injury: str = "Hamstring",
    ) -> None:
        """Go through onboarding with typical answers (Berlin, 07:30)."""
        await self.say("/start" + (f" {code}" if code else ""))
        await self.tap("I agree")
        if code:  # sharing with a clinician is asked about only when one invited them
            await self.tap("I agree")
        await self.tap(injury)
        await self.tap("Don't know")
        await self.tap("Left")
        await self.tap("1")
        await self.tap("Yesterday")
        await self.tap("Sprinting / running fast")
        await self.tap("Rugby")
        if baseline:
            await self.say(baseline)
        else:
            await self.tap("Skip")
        await self.tap("Europe")
        await self.tap("Berlin")
        await self.tap("07:30")
        replies = await self.tap("✅ Confirm")
        assert any("All set" in (m.text or "") for m in replies), self.user.format_transcript()

    async def morning(self, **overrides: Any) -> list[TranscriptMessage]:
        """Answer a full morning check-in by buttons (typing the hours slept)."""
        values = {
            "pain_rest": "0",
            "pain_test": "1",
            "tightness": "1",
            "confidence": "8",
            "sleep_quality": "2",
            "fatigue": "2",
            "stress": "2",
            "soreness": "2",
            "sleep_hours": "7.5",
        } | overrides
        shown = await self.say("/checkin")
        # A sign reported since the last check-in comes pre-ticked: this athlete says it has
        # gone (untick it, "None of these", then confirm), as an athlete whose sign passed.
        question = shown[-1] if shown else None
        for label in question.button_labels if question is not None else []:
            if label.startswith("☑️"):
                await self.tap(label)
        replies = await self.tap("None of these ✅")
        if replies and "Yes, all gone" in replies[-1].button_labels:
            await self.tap("Yes, all gone")
        for key in ("pain_rest", "pain_test", "tightness", "confidence"):
            await self.tap(values[key])
        for key in ("sleep_quality", "fatigue", "stress", "soreness"):
            await self.tap(values[key])
        return await self.say(values["sleep_hours"])


@dataclass
class World:
    """The running bot, the store and the clock of one test."""

    telegram: BotHarness
    sandbox: BotApiSandbox
    services: Services
    clock: FakeClock

    @property
    def engine(self) -> Engine:
        """The store's engine."""
        engine: Engine = self.services.engine
        return engine

    @property
    def running(self) -> RunningBot:
        """The Application started last."""
        return self.telegram.current

    def phone(self, user_id: int, name: str = "Alex") -> Phone:
        """Return a simulated athlete."""
        return Phone(self.sandbox.user(user_id, name), self)

    async def deliver(self) -> int:
        """Send what is queued in the outbox (the delivery job's work), once the replies the
        bot already sent are recorded (their after-work): a test that moved the fake clock
        past the replies' lease would otherwise see the sender take them over and send them
        again, which production's real clock (10 s leases, milliseconds of after-work) never
        does."""
        processor = self.running.application.update_processor
        idle = getattr(processor, "idle", None)
        if idle is not None:
            await idle()
        sender = OutboxSender(
            bot=self.running.application.bot,
            engine=self.engine,
            clock=self.clock,
            admin_telegram_ids=self.services.settings.admin_telegram_ids,
        )
        return (await sender.drain()).sent

    def clinician_invite(self, name: str = "Dr Kim") -> str:
        """Create a clinician and an athlete invite code from them; return the code."""
        now = self.clock.now()
        with session_scope(self.engine) as session:
            clinician = create_person(
                session,
                role="clinician",
                telegram_user_id=CLINICIAN_ID,
                chat_id=CLINICIAN_ID,
                display_name=name,
                now=now,
            )
            assert clinician.id is not None
            invite = create_invite(
                session,
                kind="athlete",
                clinician_id=clinician.id,
                created_by=clinician.id,
                now=now,
                ttl=dt.timedelta(days=7),
            )
            return invite.code

    def read(self, fn: Callable[[Session], Any]) -> Any:
        """Run ``fn`` on a read-only session and return its result."""
        with session_scope(self.engine, read_only=True) as session:
            return fn(session)

    def person(self, telegram_id: int) -> Person | None:
        """Return the stored person of a Telegram id."""
        return self.read(
            lambda s: s.exec(select(Person).where(Person.telegram_user_id == telegram_id)).first()
        )


@pytest.fixture
def world(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> Callable[[], Awaitable[World]]:
    """Return ``await world()``: the Application started with every handler module."""

    async def start() -> World:
        await telegram.start(services=services)
        return World(telegram=telegram, sandbox=sandbox, services=services, clock=clock)

    return start
