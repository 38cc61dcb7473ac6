"""The scheduler and sender as python-telegram-bot JobQueue jobs on the real Application."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from bot.app import build_application
from bot.clock import FakeClock
from bot.handlers.context import Services, kick_sender
from bot.handlers.jobs import SENDER_JOB, TICK_JOB, install_scheduling
from bot.sandbox import BotApiSandbox
from bot.scheduling.registry import PromptContext, register_prompt_sender
from bot.settings import Settings
from bot.store.db import create_all_for_tests, make_engine, session_scope
from bot.store.repo.messaging import enqueue_message
from tests.scheduling.helpers import add_person


async def _settle(application: object) -> None:
    kicks = getattr(application, "bot_data", {}).get("sprintback.kicks", set())
    while kicks:
        await asyncio.gather(*list(kicks))


async def test_tick_job_sends_registered_prompt_through_the_bot(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    create_all_for_tests(engine)
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=dt.UTC))
    settings = Settings(_env_file=None, scheduler_tick_seconds=15)
    services = Services(settings=settings, clock=clock, engine=engine)
    add_person(engine, 801, tz="Europe/London")
    async with BotApiSandbox(clock=clock) as sandbox:
        sandbox.user(801)
        app = build_application(
            settings,
            services=services,
            base_url=sandbox.base_url,
            token=sandbox.token,
            handler_modules=[],
        )

        async def morning(ctx: PromptContext) -> None:
            ctx.enqueue("Morning! First question: any red flags?")

        register_prompt_sender(app, "morning", morning)
        install_scheduling(app, services)
        assert app.job_queue is not None
        [tick] = app.job_queue.get_jobs_by_name(TICK_JOB)
        [sender_job] = app.job_queue.get_jobs_by_name(SENDER_JOB)
        assert tick.job.trigger.interval == dt.timedelta(seconds=15)
        async with app:
            await tick.run(app)  # plans tomorrow
            clock.set(dt.datetime(2026, 6, 10, 6, 0, tzinfo=dt.UTC))
            await tick.run(app)  # claims 07:00 and kicks the sender: no wait for its job
            await _settle(app)
            texts = [m.text for m in sandbox.transcript(801)]
            assert texts == ["Morning! First question: any red flags?"]
            # An alert queued by any transaction goes out at once with a kick.
            with session_scope(engine) as session:
                enqueue_message(
                    session,
                    chat_id=801,
                    text="Call your clinician",
                    kind="red_flag",
                    now=clock.now(),
                )
            kick_sender(app)
            await _settle(app)
            assert [m.text for m in sandbox.transcript(801)][-1] == "Call your clinician"
            await sender_job.run(app)
            assert len(sandbox.transcript(801)) == 2
    engine.dispose()
