"""Two scheduler processes on one PostgreSQL database over a simulated week.

Both tick and drain at the same instants; every prompt is handled by exactly one of them and
every message reaches Telegram (the sandbox) exactly once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
from collections import Counter

from sqlmodel import select

from bot.sandbox import BotApiSandbox
from bot.store.db import session_scope
from bot.store.models import Outbox, ScheduledPrompt
from tests.scheduling.dbfixtures import PgDatabase, fresh_engine
from tests.scheduling.helpers import add_person
from tests.scheduling.two_workers import worker_main

ZONES = ["Pacific/Auckland", "Asia/Kolkata", "Europe/London", "America/Los_Angeles"]
# Monday 19 October 2026 to Monday 26 October: London's clocks go back on the 25th.
START = dt.datetime(2026, 10, 19, 0, 0, tzinfo=dt.UTC)
# Every 30 min: 07:00/06:30 mornings on time, 45-minute reminders up to 15 min late.
STEP = dt.timedelta(minutes=30)


async def test_two_processes_send_every_prompt_exactly_once(
    pg_database: PgDatabase, tmp_path: object
) -> None:
    engine = fresh_engine("postgresql", tmp_path, pg_database)  # type: ignore[arg-type]
    doc = add_person(engine, 9001, role="clinician")
    chats = []
    for n in range(12):
        chat = 7000 + n
        add_person(
            engine,
            chat,
            tz=ZONES[n % 4],
            checkin=["06:30", "07:00"][n % 2],
            programme=n % 3 == 0,
            clinician_id=doc,
        )
        chats.append(chat)
    instants = []
    at = START
    while at <= START + dt.timedelta(days=7):
        instants.append(at.isoformat())
        at += STEP
    async with BotApiSandbox() as sandbox:
        for chat in [*chats, 9001]:
            sandbox.user(chat)
        ctx = multiprocessing.get_context("spawn")
        barrier = ctx.Barrier(2, timeout=60)
        results = ctx.Queue()
        workers = [
            ctx.Process(
                target=worker_main,
                args=(
                    pg_database.url,
                    sandbox.base_url,
                    sandbox.token,
                    instants,
                    barrier,
                    name,
                    results,
                ),
            )
            for name in ("alpha", "beta")
        ]
        for worker in workers:
            worker.start()
        summaries = [await asyncio.to_thread(results.get, True, 120) for _ in workers]
        for worker in workers:
            await asyncio.to_thread(worker.join, 30)
            assert worker.exitcode == 0
        delivered = Counter(
            (m.chat_id, m.text) for chat in [*chats, 9001] for m in sandbox.transcript(chat)
        )
    alpha, beta = (set(s["prompts"]) for s in summaries)
    assert alpha and beta, "both processes should have won some prompts"
    assert not alpha & beta, f"prompts handled twice: {sorted(alpha & beta)}"
    with session_scope(engine, read_only=True) as session:
        rows = session.exec(select(ScheduledPrompt)).all()
        outbox = session.exec(select(Outbox)).all()
    end = START + dt.timedelta(days=7)
    due = [r for r in rows if r.due_at <= end]
    assert {r.status for r in due} <= {"sent", "cancelled"}
    sent_ids = {r.id for r in due if r.status == "sent"}
    assert sent_ids == alpha | beta
    # A week of mornings for every athlete (7 or 8 depending on the zone), all sent once.
    mornings = Counter(r.athlete_id for r in due if r.kind == "morning" and r.status == "sent")
    assert len(mornings) == 12 and set(mornings.values()) <= {7, 8}
    assert {m.status for m in outbox} == {"sent"}
    assert sum(s["sent"] for s in summaries) == len(outbox)
    assert all(delivered[(m.chat_id, m.text)] >= 1 for m in outbox)
    assert sum(delivered.values()) == len(outbox)
    engine.dispose()
