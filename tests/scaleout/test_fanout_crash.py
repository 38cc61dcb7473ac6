"""The morning fan-out on three replicas, one killed with ``kill -9`` while sending.

1,000 athletes' morning prompts fall due at once. The replicas claim them, queue the first
question of each check-in and send them at the deployment's shared rate (paid broadcasts on,
so the test is quick); one replica is killed mid-send. The survivors send what it had
claimed once its lease runs out: every athlete gets their prompt, and only the one call the
dead replica had in flight (a sending slot of one) may have reached its athlete twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from pathlib import Path

from sqlmodel import col, func, select

from bot.sandbox import BotApiSandbox
from bot.store.db import make_engine, session_scope
from bot.store.models import Outbox, ScheduledPrompt
from tests.scaleout.harness import Deployment, add_athletes_due_now

ATHLETES = 1000
FIRST_ID = 800_000


async def test_a_replica_killed_mid_fan_out_loses_no_prompt(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    telegram_ids = list(range(FIRST_ID, FIRST_ID + ATHLETES))
    now = dt.datetime.now(dt.UTC)
    add_athletes_due_now(engine, telegram_ids, now)
    async with BotApiSandbox(webhook_delivery=False) as sandbox:
        for tg in telegram_ids:
            sandbox.user(tg, f"Athlete {tg}")
        deployment = Deployment(
            sandbox,
            pg_url,
            tmp_path,
            env={
                "SCHEDULER_TICK_SECONDS": "2",
                "TELEGRAM_PAID_BROADCASTS": "true",
                "TELEGRAM_MESSAGES_PER_SECOND": "150",
                "OUTBOX_CONCURRENCY": "1",
            },
        )
        victim = None
        try:
            await deployment.start()
            victim = deployment.replicas[0]

            def prompts_sent(via: str | None = None) -> int:
                return sum(
                    1
                    for c in sandbox.calls_to("sendMessage")
                    if c.status == 200 and (via is None or c.via == via)
                )

            await sandbox.wait_for(
                lambda: prompts_sent() >= ATHLETES * 0.3 and prompts_sent(victim.name) >= 20,
                60,
                what="the fan-out under way on every replica",
            )
            deployment.kill(victim)
            sent_at_kill = prompts_sent()
            with session_scope(engine, read_only=True) as session:
                # Claimed by the dead replica: at most one of them reached Telegram.
                orphaned = session.exec(
                    select(func.count()).where(
                        col(Outbox.status) == "sending", col(Outbox.claimed_by) == victim.worker
                    )
                ).one()
            await sandbox.wait_for(
                lambda: all(sandbox.transcript(tg) for tg in telegram_ids),
                90,
                what="every athlete's prompt",
            )
            await _outbox_settled(engine)
        finally:
            await deployment.stop()
        assert victim is not None and sent_at_kill < ATHLETES
        assert orphaned > 0, "the replica was killed while it held no messages"
        for replica in deployment.replicas[1:]:
            assert "Traceback" not in deployment.output(replica), deployment.output(replica)

    delivered = Counter(c.chat_id for c in sandbox.calls_to("sendMessage") if c.status == 200)
    assert set(delivered) == set(telegram_ids)  # nobody missed the morning prompt
    duplicates = sum(n - 1 for n in delivered.values())
    assert duplicates <= 1, {chat: n for chat, n in delivered.items() if n > 1}
    with session_scope(engine, read_only=True) as session:
        statuses = Counter(
            session.exec(
                select(ScheduledPrompt.status).where(
                    ScheduledPrompt.kind == "morning", ScheduledPrompt.local_date == now.date()
                )
            ).all()
        )
        assert statuses == {"sent": ATHLETES}  # (tomorrow's are planned, pending)
        prompts = session.exec(
            select(func.count()).where(
                col(Outbox.kind) == "prompt_morning", col(Outbox.status) == "sent"
            )
        ).one()
        assert prompts == ATHLETES
    engine.dispose()


async def _outbox_settled(engine: object, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with session_scope(engine, read_only=True) as session:  # type: ignore[arg-type]
            unsent = session.exec(
                select(func.count()).where(col(Outbox.status).in_(("pending", "sending")))
            ).one()
        if not unsent:
            return
        if loop.time() > deadline:
            raise AssertionError(f"{unsent} messages never sent")
        await asyncio.sleep(0.2)
