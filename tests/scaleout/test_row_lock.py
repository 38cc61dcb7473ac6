"""A row lock on one athlete stalls nobody else: database work runs off the event loop, and
a lock held too long (another process answering for that athlete) makes the update wait its
turn and run again, instead of failing with "Something went wrong" (PostgreSQL)."""

from __future__ import annotations

import asyncio
import time

import psycopg
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.runtime import database_health
from bot.sandbox import BotApiSandbox
from bot.settings import Settings
from bot.store.db import make_engine, session_scope
from bot.store.models import Person, QuestionnaireProgress
from tests.conftest import CLOCK_START
from tests.scaleout.harness import athlete_ids, onboard_athletes, quiet_checkin_time
from tests.support.telegram import BotHarness

LOCKED, FREE = 1101, 1102


async def test_a_locked_athlete_stalls_nobody_else(pg_url: str) -> None:
    engine = make_engine(pg_url)
    onboard_athletes(engine, [LOCKED, FREE], quiet_checkin_time(CLOCK_START))
    people = athlete_ids(engine, [LOCKED, FREE])
    settings = Settings(_env_file=None, database_url=pg_url)
    services = Services(settings=settings, clock=FakeClock(CLOCK_START), engine=engine)
    async with BotApiSandbox(clock=services.clock) as sandbox:
        harness = BotHarness(sandbox=sandbox, services=services)
        try:
            await harness.start()
            locked, free = sandbox.user(LOCKED, "Locked"), sandbox.user(FREE, "Free")
            for user in (locked, free):
                await user.send("/checkin")
                await user.wait_reply()
            # Another process holds the locked athlete's questionnaire row.
            holder = psycopg.connect(
                make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
            )
            holder.execute(
                "SELECT id FROM questionnaire_progress WHERE athlete_id = %s AND status = "
                "'open' FOR UPDATE",
                (people[LOCKED],),
            )
            locked_mark = sandbox.seq
            await locked.send("none")
            await asyncio.sleep(0.3)  # its transaction now waits for the lock
            started = time.perf_counter()
            mark = sandbox.seq
            await free.send("none")
            # (Per chat: the bot-wide "all updates handled" would wait for the locked one.)
            await _bot_wrote(sandbox, FREE, mark, 5)
            free_took = time.perf_counter() - started
            health = await asyncio.wait_for(asyncio.to_thread(database_health, engine), 2)
            # The lock outlives the database's lock timeout; then it is released.
            await asyncio.sleep(3.5)
            holder.rollback()
            holder.close()
            await _bot_wrote(sandbox, LOCKED, locked_mark, 15)
            replies = locked.messages_since_action()
        finally:
            await harness.stop_all()
    assert free_took < 2.0, f"the free athlete waited {free_took:.1f} s"
    assert health == "ok"
    assert all("Something went wrong" not in (m.text or "") for m in locked.transcript)
    assert replies  # the next question reached the locked athlete
    with session_scope(engine, read_only=True) as session:
        for tg in (LOCKED, FREE):
            progress = session.exec(
                select(QuestionnaireProgress)
                .join(Person, Person.id == QuestionnaireProgress.athlete_id)
                .where(Person.telegram_user_id == tg, QuestionnaireProgress.kind == "morning")
            ).one()
            assert progress.answers.get("red_flags") == [], tg
    engine.dispose()


async def _bot_wrote(sandbox: BotApiSandbox, chat: int, after_seq: int, timeout: float) -> None:
    def wrote() -> bool:
        return any(m.sender == "bot" and m.sent_seq > after_seq for m in sandbox.transcript(chat))

    await sandbox.wait_for_chat(chat, wrote, timeout, what=f"a reply in chat {chat}")
