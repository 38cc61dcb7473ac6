"""Fixtures for clinician/admin end-to-end tests: a real store, the real Application on the
sandbox, the outbox sender, and helpers that act as the athlete flow would (athletes with a
programme, alerts raised by the engine)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import FakeClock
from bot.delivery.sender import OutboxSender
from bot.handlers.context import Services, signer_for
from bot.sandbox import BotApiSandbox, SimUser
from bot.sandbox.state import TranscriptMessage
from bot.services import protocol_admin as pa
from bot.services.clinician.escalation import alert_notifier, run_escalations
from bot.settings import Settings
from bot.store.db import make_engine, session_scope
from bot.store.models import AuditLog, Person
from bot.store.repo.alerts import raise_alert
from bot.store.repo.answers import upsert_checks, upsert_morning_checkin
from bot.store.repo.people import create_person
from bot.store.repo.programme import (
    add_injury,
    move_stage,
    record_clinician_action,
    start_programme,
)
from engine.models import Alert, Checks, Injury, MorningCheckIn
from tests.store.conftest import db_url, pg_databases, pg_migrated, sqlite_template
from tests.support.telegram import BotHarness, RunningBot

# The store's fixtures: every test here runs on SQLite and on PostgreSQL.
__all__ = ["db_url", "pg_databases", "pg_migrated", "sqlite_template"]

ADMIN = 9000
LIGHTS = ("🔴", "🟠", "🟢")
CLINICIAN_HANDLERS = ["invites", "clinician", "admin", "reports"]
CHART_WAIT = 20.0  # the chart is drawn on the render threads: slow on a busy 2-core machine


async def open_card(user: SimUser, ref: object, *, chart: bool = True) -> TranscriptMessage:
    """Send /athlete ``ref`` and return the card; with ``chart``, wait for the progress chart
    that follows it too (so it cannot land among the replies to a later action)."""
    await user.send(f"/athlete {ref}")

    def arrived(messages: list[TranscriptMessage]) -> bool:
        card = any(m.text and m.text.startswith(LIGHTS) for m in messages)
        return card and (not chart or any(m.kind == "photo" for m in messages))

    messages = await user.wait_until(arrived, timeout=CHART_WAIT, describe="card and chart")
    return next(m for m in messages if m.text and m.text.startswith(LIGHTS))


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """Return an engine on an empty, migrated database: SQLite, then PostgreSQL."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def services(bot_settings: Settings, clock: FakeClock, db: Engine) -> Services:
    """Return Services with the real store."""
    return Services(settings=bot_settings, clock=clock, engine=db)


@dataclass
class World:
    """The running bot and the helpers a test drives it with."""

    running: RunningBot
    sandbox: BotApiSandbox
    services: Services
    clock: FakeClock

    @property
    def engine(self) -> Engine:
        """The store's engine."""
        engine: Engine = self.services.engine
        return engine

    async def deliver(self) -> int:
        """Send everything queued in the outbox now (the delivery job's work), once the
        replies already sent are recorded (see ``tests.athlete.conftest.World.deliver``)."""
        idle = getattr(self.running.application.update_processor, "idle", None)
        if idle is not None:
            await idle()
        sender = OutboxSender(
            bot=self.running.application.bot,
            engine=self.engine,
            clock=self.clock,
            admin_telegram_ids=self.services.settings.admin_telegram_ids,
        )
        result = await sender.drain()
        return result.sent

    async def escalate(self) -> None:
        """Run the escalation job once (notify, re-send, hand over), then deliver."""
        signer = signer_for(self.services, self.running.application.bot.token)
        with session_scope(self.engine) as session:
            run_escalations(
                session, self.clock.now(), signer, self.services.settings.admin_telegram_ids
            )
        await self.deliver()

    async def run_job(self) -> None:
        """Run the registered escalation job once, as the JobQueue does, then deliver."""
        application = self.running.application
        assert application.job_queue is not None
        [job] = application.job_queue.get_jobs_by_name("clinician-escalations")
        await job.run(application)
        await self.deliver()

    def notifier(self) -> Callable[[Session, int, dt.datetime], int]:
        """Return the notifier the athlete flow calls after a decision that raised alerts."""
        signer = signer_for(self.services, self.running.application.bot.token)
        return alert_notifier(signer, self.services.settings.admin_telegram_ids)

    def add_athlete(self, telegram_id: int, name: str, stage: str = "H2") -> int:
        """Create an athlete with a hamstring programme (as onboarding would), started today at
        H0 and, for another ``stage``, set there on day one (as a clinician's /stage would)."""
        now = self.clock.now()
        with session_scope(self.engine) as session:
            person = create_person(
                session,
                role="athlete",
                telegram_user_id=telegram_id,
                chat_id=telegram_id,
                display_name=name,
                now=now,
            )
            assert person.id is not None
            add_injury(
                session,
                athlete_id=person.id,
                injury=Injury(
                    injury="hamstring",
                    side="left",
                    grade=1,
                    injury_date=now.date() - dt.timedelta(days=10),
                ),
                now=now,
            )
            version = pa.active_version(session, "hamstring", now)
            assert version is not None
            programme = start_programme(
                session,
                athlete_id=person.id,
                protocol_name="hamstring",
                protocol_version=version.version,
                first_stage="H0",
                start_date=now.date(),
                now=now,
            )
            if stage != "H0":
                assert programme.id is not None
                record_clinician_action(
                    session,
                    athlete_id=person.id,
                    clinician_id=person.id,
                    local_date=now.date(),
                    kind="set_stage",
                    now=now,
                    stage=stage,
                    note="set up for the test",
                )
                move_stage(
                    session,
                    programme_id=programme.id,
                    to_stage=stage,
                    now=now,
                    reason="set up for the test",
                )
            return person.id

    def raise_alert(self, athlete_id: int, severity: str, rule: str, text: str) -> int:
        """Store an engine alert for the athlete (as the athlete flow does after a decision)."""
        with session_scope(self.engine) as session:
            row = raise_alert(
                session,
                athlete_id=athlete_id,
                alert=Alert(severity=severity, rule=rule, text=text),  # type: ignore[arg-type]
                now=self.clock.now(),
                local_date=self.clock.now().date(),
            )
            assert row.id is not None
            return row.id

    def meet_h0_criteria(self, athlete_id: int) -> None:
        """Record today's walking check at 0/10: H0's exit criterion is met, so only the
        sign-off is left (as for an athlete whose check-ins went well)."""
        now = self.clock.now()
        with session_scope(self.engine) as session:
            upsert_checks(
                session,
                athlete_id=athlete_id,
                local_date=now.date(),
                answers=Checks(walk_pain=0),
                answered_at=now,
                utc_offset_minutes=0,
            )

    def report_red_flag(self, athlete_id: int, flag: str = "numbness") -> int:
        """Store today's morning check-in with a red flag (the engine stops running until a
        review) and its same-day alert, as the athlete flow does; return the alert id."""
        now = self.clock.now()
        with session_scope(self.engine) as session:
            upsert_morning_checkin(
                session,
                athlete_id=athlete_id,
                local_date=now.date(),
                answers=MorningCheckIn(red_flags=[flag], pain_rest=3, pain_test=2),  # type: ignore[list-item]
                answered_at=now,
                utc_offset_minutes=0,
            )
        return self.raise_alert(
            athlete_id,
            "same_day",
            f"red_flag.{flag}",
            f"Red flag, tier 2: athlete reported {flag}.",
        )

    def audit(self, action: str) -> list[AuditLog]:
        """Return the audit rows of ``action``, oldest first."""
        with session_scope(self.engine, read_only=True) as session:
            return list(
                session.exec(
                    select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)  # type: ignore[arg-type]
                )
            )

    def person(self, telegram_id: int) -> Person | None:
        """Return the stored person of a Telegram id."""
        with session_scope(self.engine, read_only=True) as session:
            return session.exec(
                select(Person).where(Person.telegram_user_id == telegram_id)
            ).first()


@pytest.fixture
def world(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> Callable[[], Awaitable[World]]:
    """Return ``await world()``: the Application started with the clinician/admin handlers."""

    async def start() -> World:
        running = await telegram.start(services=services, handlers=CLINICIAN_HANDLERS)
        return World(running=running, sandbox=sandbox, services=services, clock=clock)

    return start
