"""Fixtures for the progress chart, report and digest tests: a real store holding athletes'
histories, linked clinicians, and the whole Application running on the Bot API sandbox."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import select

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox, SimUser
from bot.services.protocol_admin import ensure_seeded
from bot.settings import Settings
from bot.store import repo
from bot.store.db import make_engine, session_scope
from bot.store.models import AuditLog
from engine.models import Alert, Injury, Metrics, MorningCheckIn, SessionReport, Severity
from engine.programme import ProgrammeState
from tests.store.conftest import db_url, pg_databases, pg_migrated, sqlite_template
from tests.support.telegram import BotHarness, RunningBot

__all__ = ["db_url", "pg_databases", "pg_migrated", "sqlite_template"]

ADMIN = 9000
STAGES = ("H2", "H3", "H4", "H5")
BASELINE = Metrics(vmax_ms=9.0, split_10m_s=1.8, split_30m_s=4.0)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated SQLite database for one test."""
    path = tmp_path / "reports.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def pdf_text(data: bytes) -> str:
    """Return the text of every page of a PDF."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def write_athlete(
    engine: Engine,
    now: dt.datetime,
    telegram_id: int,
    name: str,
    *,
    days: int = 21,
    timezone: str = "Europe/London",
    alert: Severity | None = None,
) -> int:
    """Store an athlete ``days`` into a hamstring programme ending the day before ``now``: a
    morning check-in every day but one in five, a session every other day with speed and
    splits, a daily decision, a stage move every two weeks, a step-back halfway, a note;
    ``alert`` leaves an open alert of that severity. Returns the athlete's id."""
    today = now.date()
    start = today - dt.timedelta(days=days)
    with session_scope(engine) as session:
        ensure_seeded(session, "hamstring", now)
        person = repo.create_person(
            session,
            role="athlete",
            telegram_user_id=telegram_id,
            chat_id=telegram_id,
            display_name=name,
            timezone=timezone,
            now=now - dt.timedelta(days=days + 1),
        )
        athlete_id = person.id
        assert athlete_id is not None
        injury = Injury(
            injury="hamstring", side="left", grade=1, injury_date=start - dt.timedelta(days=3)
        )
        injury_row = repo.add_injury(session, athlete_id=athlete_id, injury=injury, now=now)
        repo.set_baseline(session, athlete_id=athlete_id, metrics=BASELINE, now=now)
        programme = repo.start_programme(
            session,
            athlete_id=athlete_id,
            protocol_name="hamstring",
            protocol_version=1,
            first_stage=STAGES[0],
            start_date=start,
            now=dt.datetime.combine(start, dt.time(9), dt.UTC),
            injury_id=injury_row.id,
        )
        assert programme.id is not None
        stage_index = 0
        entered = start
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            at = dt.datetime.combine(day, dt.time(8), dt.UTC)
            stage = STAGES[stage_index]
            if offset % 5 != 4:
                repo.upsert_morning_checkin(
                    session,
                    athlete_id=athlete_id,
                    local_date=day,
                    answers=MorningCheckIn(
                        red_flags=[], pain_rest=0, pain_test=int(offset % 3 == 0)
                    ),
                    answered_at=at,
                    utc_offset_minutes=0,
                )
                repo.record_decision(
                    session,
                    athlete_id=athlete_id,
                    local_date=day,
                    kind="morning",
                    outcome="go",
                    decision={"stage": stage, "reasons": []},
                    protocol_name="hamstring",
                    protocol_version=1,
                    now=at,
                )
            if offset % 2 == 0:
                pct = 0.6 + 0.1 * stage_index + 0.02 * (offset % 3 - 1)
                repo.upsert_session_report(
                    session,
                    athlete_id=athlete_id,
                    local_date=day,
                    answers=SessionReport(
                        completion="full",
                        pain_max=int(offset % 4 == 0),
                        metrics=Metrics(
                            vmax_ms=round(9.0 * pct, 2),
                            split_10m_s=round(1.8 / pct, 2),
                            split_30m_s=round(4.0 / pct, 2),
                        ),
                    ),
                    answered_at=at + dt.timedelta(hours=9),
                    utc_offset_minutes=0,
                )
            decision = "hold"
            after = stage
            if offset == days // 2 and stage_index > 0:
                decision, stage_index = "step_back", stage_index - 1
            elif offset % 14 == 13 and stage_index < len(STAGES) - 1:
                decision, stage_index = "progress", stage_index + 1
            after = STAGES[stage_index]
            repo.record_decision(
                session,
                athlete_id=athlete_id,
                local_date=day,
                kind="daily",
                outcome=decision,
                decision={"stage": stage, "stage_after": after, "reasons": []},
                protocol_name="hamstring",
                protocol_version=1,
                now=at + dt.timedelta(hours=10),
            )
            if after != stage:
                repo.move_stage(
                    session,
                    programme_id=programme.id,
                    to_stage=after,
                    now=at + dt.timedelta(hours=10),
                    reason=f"engine: {decision} on {day.isoformat()}",
                )
                entered = day + dt.timedelta(days=1)
        # The engine's snapshot at the end of yesterday, as the athlete flow stores it.
        state = ProgrammeState(
            stage=STAGES[stage_index], stage_entered=entered, start=start, last_progress=entered
        )
        repo.save_programme_state(
            session,
            programme_id=programme.id,
            state_json=json.dumps(
                {
                    "as_of": (today - dt.timedelta(days=1)).isoformat(),
                    "state": state.model_dump(mode="json"),
                }
            ),
            now=now,
        )
        repo.add_note(
            session,
            athlete_id=athlete_id,
            author_id=athlete_id,
            text=f"{name} reports better confidence at speed.",
            now=now,
        )
        if alert is not None:
            repo.raise_alert(
                session,
                athlete_id=athlete_id,
                alert=Alert(severity=alert, rule="test.alert", text=f"{name}: sharp pain"),
                now=now - dt.timedelta(days=2),
                local_date=today - dt.timedelta(days=2),
            )
    return athlete_id


@dataclass
class World:
    """The running bot, its store, and helpers that write what the athlete flow would."""

    telegram: BotHarness
    running: RunningBot
    sandbox: BotApiSandbox
    services: Services
    clock: FakeClock

    @property
    def engine(self) -> Engine:
        """The store's engine."""
        engine: Engine = self.services.engine
        return engine

    def user(self, telegram_id: int, name: str) -> SimUser:
        """The simulated Telegram user."""
        return self.sandbox.user(telegram_id, name)

    def add_clinician(self, telegram_id: int, name: str, timezone: str = "Europe/London") -> int:
        """Store a clinician (registered a month ago) and return their id."""
        with session_scope(self.engine) as session:
            person = repo.create_person(
                session,
                role="clinician",
                telegram_user_id=telegram_id,
                chat_id=telegram_id,
                display_name=name,
                timezone=timezone,
                now=self.clock.now() - dt.timedelta(days=30),
            )
            assert person.id is not None
            return person.id

    def link(self, athlete_id: int, clinician_id: int) -> None:
        """Link an athlete to a clinician (as the consented /link does)."""
        with session_scope(self.engine) as session:
            repo.link_athlete(
                session, athlete_id=athlete_id, clinician_id=clinician_id, now=self.clock.now()
            )

    def add_athlete(
        self,
        telegram_id: int,
        name: str,
        *,
        days: int = 21,
        timezone: str = "Europe/London",
        alert: Severity | None = None,
    ) -> int:
        """Store an athlete with ``days`` of history (see ``write_athlete``)."""
        return write_athlete(
            self.engine,
            self.clock.now(),
            telegram_id,
            name,
            days=days,
            timezone=timezone,
            alert=alert,
        )

    def audit(self, action: str) -> list[AuditLog]:
        """The audit rows of ``action``, oldest first."""
        with session_scope(self.engine, read_only=True) as session:
            return list(
                session.exec(
                    select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)  # type: ignore[arg-type]
                )
            )


WorldFactory = Callable[[], Awaitable[World]]


def _factory(
    url: str, telegram: BotHarness, sandbox: BotApiSandbox, settings: Settings, clock: FakeClock
) -> tuple[WorldFactory, Engine]:
    engine = make_engine(url)
    services = Services(settings=settings, clock=clock, engine=engine)

    async def start() -> World:
        running = await telegram.start(services=services)
        return World(telegram, running, sandbox, services, clock)

    return start, engine


@pytest.fixture
def world(
    sqlite_url: str,
    telegram: BotHarness,
    sandbox: BotApiSandbox,
    bot_settings: Settings,
    clock: FakeClock,
) -> Iterator[WorldFactory]:
    """``await world()``: every handler module running on a SQLite store."""
    start, engine = _factory(sqlite_url, telegram, sandbox, bot_settings, clock)
    yield start
    engine.dispose()


@pytest.fixture
def world_both(
    db_url: str,
    telegram: BotHarness,
    sandbox: BotApiSandbox,
    bot_settings: Settings,
    clock: FakeClock,
) -> Iterator[WorldFactory]:
    """``await world_both()``: the same on SQLite, then on PostgreSQL."""
    start, engine = _factory(db_url, telegram, sandbox, bot_settings, clock)
    yield start
    engine.dispose()
