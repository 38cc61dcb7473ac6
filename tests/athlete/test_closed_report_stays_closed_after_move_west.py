"""A check-in or session report once said to be "not finished, so it did not count" stays
closed: a /timezone move west that gives its day back never puts it on hold again ("Send
/done to finish it") nor carries it on. Through the real bot, SQLite then PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.store.db import make_engine
from bot.store.models import QuestionnaireProgress
from tests.athlete.conftest import Phone, World
from tests.store.conftest import db_url, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "pg_databases", "pg_migrated", "sqlite_template"]

Factory = Callable[[], Awaitable[World]]
BERLIN = ZoneInfo("Europe/Berlin")
REPORT_CLOSED = "session report of Tuesday 3 March was not finished, so it did not count"
CHECKIN_CLOSED = "morning check-in of Tuesday 3 March was not finished, so it did not count"
KEPT = "I kept the answers you gave"


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """Override: an engine on an empty, migrated database, SQLite then PostgreSQL."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _said(replies: list[object]) -> list[str]:
    return [getattr(m, "text", None) or "" for m in replies]


async def _move_to_los_angeles(alex: Phone) -> list[str]:
    """/timezone, Los Angeles: 08:05 in Berlin on Wednesday is 23:05 on Tuesday there."""
    await alex.say("/timezone")
    return _said(await alex.say("Los Angeles"))


def _sessions(w: World) -> list[QuestionnaireProgress]:
    rows: list[QuestionnaireProgress] = w.read(
        lambda s: list(
            s.exec(
                select(QuestionnaireProgress)
                .where(QuestionnaireProgress.kind == "session")
                .order_by(col(QuestionnaireProgress.id))
            )
        )
    )
    return rows


async def test_a_report_said_closed_is_not_put_on_hold_again_by_a_move_west(
    world: Factory,
) -> None:
    """Tuesday: checked in, half a session report. Wednesday 08:00: /checkin says the report
    did not count. Then Los Angeles, where it is Tuesday evening again: nothing says the
    report is on hold, and /done starts a new report instead of carrying the closed one on."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 3, 19, 0, tzinfo=BERLIN))
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("1")
    w.clock.set(dt.datetime(2026, 3, 4, 8, 0, tzinfo=BERLIN))
    said = _said(await alex.say("/checkin"))
    assert any(REPORT_CLOSED in t for t in said), said
    w.clock.set(dt.datetime(2026, 3, 4, 8, 5, tzinfo=BERLIN))
    said = await _move_to_los_angeles(alex)
    assert not any("on hold" in t or "/done" in t for t in said), said
    replies = await alex.say("/done")
    question = _said(replies)[-1]
    assert KEPT not in question and "session report is on hold" not in question, question
    assert "(1/" in question, question  # the report's first question: a new one
    closed, fresh = _sessions(w)
    assert closed.status == "cancelled" and closed.answers.get("pain_max") == 1
    assert fresh.status == "open" and "pain_max" not in fresh.answers


async def test_a_check_in_said_closed_is_not_carried_on_after_a_move_west(
    world: Factory,
) -> None:
    """Half Tuesday's check-in; Wednesday 08:00 /problem says it did not count. Then Los
    Angeles, where it is Tuesday again: /done does not call it on hold, and /checkin begins
    a new check-in instead of carrying the closed one on."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.tap("2")
    w.clock.set(dt.datetime(2026, 3, 4, 8, 0, tzinfo=BERLIN))
    said = _said(await alex.say("/problem"))
    assert any(CHECKIN_CLOSED in t for t in said), said
    w.clock.set(dt.datetime(2026, 3, 4, 8, 5, tzinfo=BERLIN))
    said = await _move_to_los_angeles(alex)
    assert not any("on hold" in t for t in said), said
    said = _said(await alex.say("/done"))
    assert not any("check-in is on hold" in t for t in said), said
    replies = await alex.say("/checkin")
    question = _said(replies)[-1]
    assert KEPT not in question and "(1/" in question, question
