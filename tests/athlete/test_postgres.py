"""The same athlete flow on PostgreSQL: onboarding, a check-in with a red flag, /status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.pool import NullPool
from sqlmodel import select

from bot.store.db import create_all_for_tests, make_engine
from bot.store.models import AlertRecord, Decision
from tests.athlete.conftest import World
from tests.store.conftest import PgDatabases


@pytest.fixture(scope="module")
def pg() -> Iterator[PgDatabases]:
    """Throw-away PostgreSQL databases (the test fails if the server is unreachable)."""
    databases = PgDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture
def db(pg: PgDatabases) -> Iterator[Engine]:
    """Override: the store on a fresh PostgreSQL database."""
    engine = make_engine(pg.create(), poolclass=NullPool)
    create_all_for_tests(engine)
    yield engine
    engine.dispose()


async def test_athlete_flow_on_postgresql(world: Callable[[], Awaitable[World]]) -> None:
    w = await world()
    code = w.clinician_invite("Dr Kim")
    alex = w.phone(1001)
    await alex.onboard(code=code)
    await alex.say("/checkin")
    await alex.tap("▫️ Calf warm, red or swollen")
    replies = await alex.tap("Done")
    assert (replies[-1].text or "").startswith("⛔ Stop")
    alerts = w.read(lambda s: [a.severity for a in s.exec(select(AlertRecord))])
    assert alerts == ["same_day"]
    decision = w.read(lambda s: s.exec(select(Decision)).one())
    assert (decision.kind, decision.outcome) == ("morning", "stop")
    replies = await alex.say("/status")
    assert (replies[0].text or "").startswith("Stage H0")
