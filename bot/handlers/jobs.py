"""Wire the scheduler tick and the outbox sender into a python-telegram-bot Application.

Three repeating JobQueue jobs, nothing per athlete: the tick (every SCHEDULER_TICK_SECONDS),
the sender (every few seconds, and at once whenever something is queued: ``kick_sender``) and
the sweep of abandoned questionnaires whose answers call for review (``ABANDONED_SECONDS``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.delivery.limiter import RateGate
from bot.delivery.sender import OutboxSender, SenderConfig
from bot.handlers.context import Services
from bot.scheduling.registry import registry_of
from bot.scheduling.schedule import SchedulerConfig
from bot.scheduling.tick import Scheduler, run_tick
from bot.services.athlete.abandoned import AbandonedSweeper, sweep_abandoned

SCHEDULER_KEY = "sprintback.scheduler"
SENDER_KEY = "sprintback.outbox_sender"
TICK_JOB = "sprintback:scheduler-tick"
SENDER_JOB = "sprintback:outbox-sender"
ABANDONED_KEY = "sprintback.abandoned_sweeper"
ABANDONED_JOB = "sprintback:abandoned-questionnaires"
# An idle questionnaire is evaluated within this long after its 2 hours of idleness.
ABANDONED_SECONDS = 300.0

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def worker_name() -> str:
    """Return a name for this process that is unique across hosts (host:pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def scheduler_config_from(services: Services) -> SchedulerConfig:
    """Return the scheduler settings derived from the deployment settings."""
    settings = services.settings
    return SchedulerConfig(
        tick_seconds=float(settings.scheduler_tick_seconds),
        grace=dt.timedelta(minutes=settings.missed_prompt_grace_minutes),
    )


def install_scheduling(
    application: AnyApplication,
    services: Services,
    *,
    scheduler_config: SchedulerConfig | None = None,
    sender_config: SenderConfig | None = None,
    gate: RateGate | None = None,
) -> tuple[Scheduler, OutboxSender]:
    """Create the scheduler and sender for ``application`` and register their jobs.

    Prompt senders registered with ``register_prompt_sender`` (before or after this call) are
    used, since both share the application's registry.
    """
    if application.job_queue is None:
        raise RuntimeError(
            "the Application has no JobQueue: install python-telegram-bot[job-queue]"
        )
    if services.engine is None:
        raise RuntimeError("Services.engine is not set; the scheduler needs the database")
    worker = worker_name()
    sender = OutboxSender(
        bot=application.bot,
        engine=services.engine,
        clock=services.clock,
        gate=gate or RateGate(),
        config=sender_config or SenderConfig(),
        worker=worker,
        should_continue=lambda: application.running,
    )
    config = scheduler_config or scheduler_config_from(services)
    scheduler = Scheduler(
        engine=services.engine,
        clock=services.clock,
        config=config,
        senders=registry_of(application.bot_data),
        worker=worker,
        on_enqueued=lambda: kick_sender(application),
    )
    application.bot_data[SCHEDULER_KEY] = scheduler
    application.bot_data[SENDER_KEY] = sender
    application.bot_data[ABANDONED_KEY] = AbandonedSweeper(engine=services.engine)
    queue = application.job_queue
    repeat = {"replace_existing": True, "max_instances": 1, "coalesce": True}
    # first=0 does not run at once under APScheduler (PTB documents it), so each job gets a
    # one-off run right after start-up: a restart catches up without waiting a whole interval.
    queue.run_repeating(
        _tick_job,
        interval=config.tick_seconds,
        first=config.tick_seconds,
        name=TICK_JOB,
        job_kwargs={"id": TICK_JOB, "misfire_grace_time": None, **repeat},
    )
    queue.run_repeating(
        _sender_job,
        interval=sender.config.interval_seconds,
        first=sender.config.interval_seconds,
        name=SENDER_JOB,
        job_kwargs={"id": SENDER_JOB, "misfire_grace_time": None, **repeat},
    )
    queue.run_repeating(
        _abandoned_job,
        interval=ABANDONED_SECONDS,
        first=ABANDONED_SECONDS,
        name=ABANDONED_JOB,
        job_kwargs={"id": ABANDONED_JOB, "misfire_grace_time": None, **repeat},
    )
    for callback, name in ((_tick_job, TICK_JOB), (_sender_job, SENDER_JOB)):
        queue.run_once(
            callback,
            when=0.01,
            name=f"{name}:startup",
            job_kwargs={"id": f"{name}:startup", "misfire_grace_time": None},
        )
    return scheduler, sender


async def _tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    scheduler: Scheduler = context.application.bot_data[SCHEDULER_KEY]
    await run_tick(scheduler)


async def _abandoned_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    # Imported here: bot.handlers.clinician imports this module.
    from bot.handlers.clinician import alert_notifier_for

    sweeper: AbandonedSweeper = context.application.bot_data[ABANDONED_KEY]
    scheduler: Scheduler = context.application.bot_data[SCHEDULER_KEY]
    notify = alert_notifier_for(context)
    result = sweep_abandoned(sweeper, scheduler.clock.now(), notify)
    if result.queued:
        kick_sender(context.application)


async def _sender_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    sender: OutboxSender = context.application.bot_data[SENDER_KEY]
    await sender.drain()


def kick_sender(application: AnyApplication) -> None:
    """Drain the outbox now (call after a transaction that queued messages has committed).

    Safe to call from handlers and jobs: it only schedules the drain on the running loop; a
    drain already running picks the new rows up before it stops.
    """
    sender: OutboxSender | None = application.bot_data.get(SENDER_KEY)
    if sender is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    task = loop.create_task(sender.drain())
    pending: set[asyncio.Task[Any]] = application.bot_data.setdefault("sprintback.kicks", set())
    pending.add(task)
    task.add_done_callback(pending.discard)
