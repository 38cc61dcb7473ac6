"""A warning sign ticked and never confirmed is reported however its questionnaire closes,
even when the abandoned-answers sweep never ran (the process was down, the sweep failed):
the athlete coming back after the questionnaire's day has passed reads the stop first, the
check-in is recorded with the sign and the clinician is told. Through the real bot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.store.db import make_engine
from bot.store.models import (
    AlertRecord,
    MorningCheckinRecord,
    QuestionnaireProgress,
    SessionReportRecord,
)
from tests.athlete.conftest import CLINICIAN_ID, Phone, World
from tests.store.conftest import db_url, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "pg_databases", "pg_migrated", "sqlite_template"]

Factory = Callable[[], Awaitable[World]]
BERLIN = ZoneInfo("Europe/Berlin")
NUMBNESS = "▫️ Numbness, tingling or weakness in leg/foot"
FROM_UNFINISHED = (
    "(This comes from your unfinished morning check-in: some of its answers needed acting on, "
    "so they were saved and used.)"
)


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """Override: an engine on an empty, migrated database, SQLite then PostgreSQL."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


async def _sign_ticked_then_away(w: World) -> Phone:
    """Alex, linked to Dr Kim, ticks numbness on Tuesday's check-in and never confirms it;
    the bot restarts and no sweep runs; Alex writes again on Thursday."""
    w.sandbox.user(CLINICIAN_ID, "Kim")
    alex = w.phone(1001, "Alex")
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/checkin")
    await alex.tap(NUMBNESS)
    await w.telegram.restart()
    w.clock.set(dt.datetime(2026, 3, 5, 12, 0, tzinfo=BERLIN))
    return alex


def _checkins(w: World) -> list[tuple[dt.date, list[str]]]:
    rows = w.read(lambda s: s.exec(select(MorningCheckinRecord)).all())
    return [(r.local_date, r.answers.get("red_flags")) for r in rows]


async def _clinician_reads(w: World) -> str:
    await w.deliver()
    return "\n".join(m.text or "" for m in w.sandbox.user(CLINICIAN_ID, "Kim").bot_messages)


@pytest.mark.parametrize("comes_back_with", ["words", "/cancel", "old button"])
async def test_a_sign_ticked_on_an_expired_check_in_stops_and_reaches_the_clinician(
    world: Factory, comes_back_with: str
) -> None:
    """Whatever Alex sends on Thursday (words, /cancel, a tap on Tuesday's old buttons), the
    numbness ticked on Tuesday is recorded for Tuesday, raises an alert and reaches Dr Kim;
    Alex reads the stop first (after /cancel's own line), with where it comes from."""
    w = await world()
    alex = await _sign_ticked_then_away(w)
    if comes_back_with == "words":
        replies = await alex.say("hi, I'm back")
    elif comes_back_with == "/cancel":
        replies = await alex.say("/cancel")
    else:
        replies = await alex.tap("Done")
    said = [m.text or "" for m in replies]
    assert _checkins(w) == [(dt.date(2026, 3, 3), ["numbness"])]
    assert w.read(lambda s: s.exec(select(AlertRecord)).all())
    assert "numbness" in await _clinician_reads(w)
    stops = [i for i, t in enumerate(said) if t.startswith("⛔")]
    assert stops == [1 if comes_back_with == "/cancel" else 0], said
    assert "your clinician has been messaged" in said[stops[0]], said
    if comes_back_with != "/cancel":  # /cancel's own first line says where it comes from
        assert said[stops[0]].endswith(FROM_UNFINISHED), said
    (closed,) = w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress.status).where(QuestionnaireProgress.kind == "morning")
        ).all()
    )
    assert closed == "done"


async def test_harmless_answers_on_an_expired_check_in_are_still_only_closed(
    world: Factory,
) -> None:
    """Without a warning sign, Tuesday's half check-in is closed on Thursday as before: said
    once to have not counted, nothing recorded, nobody alerted."""
    w = await world()
    w.sandbox.user(CLINICIAN_ID, "Kim")
    alex = w.phone(1001, "Alex")
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.tap("2")
    w.clock.set(dt.datetime(2026, 3, 5, 12, 0, tzinfo=BERLIN))
    said = [m.text or "" for m in await alex.say("hi, I'm back")]
    assert any("was not finished, so it did not count" in t for t in said), said
    assert not any(t.startswith("⛔") for t in said), said
    assert _checkins(w) == []
    assert w.read(lambda s: s.exec(select(AlertRecord)).all()) == []


async def test_pain_away_from_the_injury_on_an_expired_session_report_is_reported(
    world: Factory,
) -> None:
    """Pain away from the injured spot given on Tuesday's session report, left there, the bot
    restarted and no sweep: Alex's words on Thursday complete Tuesday's report, and the
    engine's alert reaches Dr Kim."""
    w = await world()
    w.sandbox.user(CLINICIAN_ID, "Kim")
    alex = w.phone(1001, "Alex")
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    w.clock.set(dt.datetime(2026, 3, 3, 18, 0, tzinfo=BERLIN))
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("2")
    await alex.tap("Low back / buttock")
    await w.telegram.restart()
    before = await _clinician_reads(w)
    w.clock.set(dt.datetime(2026, 3, 5, 12, 0, tzinfo=BERLIN))
    said = [m.text or "" for m in await alex.say("hi, I'm back")]
    reports = w.read(lambda s: s.exec(select(SessionReportRecord.local_date)).all())
    assert reports == [dt.date(2026, 3, 3)]
    assert w.read(lambda s: s.exec(select(AlertRecord)).all())
    told = (await _clinician_reads(w))[len(before) :]
    assert "Alex" in told and "pain in the low back or buttock" in told, told
    assert said[0].endswith(FROM_UNFINISHED.replace("morning check-in", "session report")), said
