"""The JobQueue jobs: what python-telegram-bot runs on a timer instead of on an update.

Like a handler, a job takes what it needs from its context, calls the infrastructure or a
service, and kicks the outbox sender. Nothing is scheduled per athlete:

- :func:`install_scheduling` (called by ``bot.runtime``): the scheduler tick (every
  SCHEDULER_TICK_SECONDS), the outbox sender (every few seconds, and at once whenever something
  is queued: ``bot.handlers.context.kick_sender``), the sweep of abandoned questionnaires
  whose answers call for review (``ABANDONED_SECONDS``) and the lease keeper (every
  ``WORK_LEASE_SECONDS / 3``: renews this process's claims on updates and messages, and
  takes over those of a replica that died);
- :func:`install_escalation_job` (added by the clinician handlers): alert re-sends and
  hand-overs, every minute;
- :func:`install_digest_job` (added by the report handlers): the clinicians' Monday digest.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.delivery.budget import SharedBudget
from bot.delivery.limiter import RateGate
from bot.delivery.sender import OutboxSender, SenderConfig
from bot.handlers.context import (
    SENDER_KEY,
    Services,
    alert_notifier_for,
    get_services,
    inbox_of_application,
    kick,
    kick_sender,
    signer_for,
    signer_of,
)
from bot.scheduling.registry import registry_of
from bot.scheduling.schedule import SchedulerConfig
from bot.scheduling.tick import Scheduler, run_tick
from bot.scheduling.worker import worker_name
from bot.services.athlete.abandoned import AbandonedSweeper, sweep_abandoned
from bot.services.clinician.escalation import alert_notifier, run_escalations
from bot.services.digest import run_digest
from bot.store.db import session_scope
from bot.store.threads import run_db

_LOGGER = logging.getLogger(__name__)

SCHEDULER_KEY = "sprintback.scheduler"
TICK_JOB = "sprintback:scheduler-tick"
SENDER_JOB = "sprintback:outbox-sender"
ABANDONED_KEY = "sprintback.abandoned_sweeper"
ABANDONED_JOB = "sprintback:abandoned-questionnaires"
# An idle questionnaire is evaluated within this long after its 2 hours of idleness.
ABANDONED_SECONDS = 300.0
LEASE_JOB = "sprintback:lease-keeper"
ORPHAN_JOB = "sprintback:take-over"
DIGEST_JOB = "sprintback:weekly-digest"
DIGEST_INTERVAL = dt.timedelta(seconds=60)
ESCALATION_JOB = "clinician-escalations"
ESCALATION_INTERVAL = dt.timedelta(seconds=60)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def scheduler_config_from(services: Services) -> SchedulerConfig:
    """Return the scheduler settings derived from the deployment settings."""
    settings = services.settings
    return SchedulerConfig(
        tick_seconds=float(settings.scheduler_tick_seconds),
        grace=dt.timedelta(minutes=settings.missed_prompt_grace_minutes),
        admin_telegram_ids=tuple(settings.admin_telegram_ids),
    )


def sender_config_from(services: Services) -> SenderConfig:
    """Return the outbox sender's settings derived from the deployment settings."""
    settings = services.settings
    return SenderConfig(
        concurrency=settings.outbox_concurrency,
        lease=dt.timedelta(seconds=settings.work_lease_seconds),
        paid_broadcasts=settings.telegram_paid_broadcasts,
    )


def rate_gate_from(services: Services) -> RateGate:
    """Return the gate of the deployment's send rate: shared by every replica through the
    database on PostgreSQL (``bot.delivery.budget``), this process's own on SQLite."""
    rate = float(services.settings.telegram_messages_per_second)
    engine = services.engine
    if engine is not None and engine.dialect.name == "postgresql":
        return RateGate(rate, budget=SharedBudget(engine, rate))
    return RateGate(rate)


def build_scheduler(
    application: AnyApplication,
    services: Services,
    *,
    config: SchedulerConfig | None = None,
    worker: str | None = None,
) -> Scheduler:
    """Return the scheduler of ``application``: its prompt senders (the application's
    registry), the outbox sender's kick after each batch, and the athlete flow's clinician
    notifier, so that an alert a prompt raises (its questionnaire completed another one whose
    answers recorded a warning sign) is queued to the clinicians in the prompt's transaction
    and sent at once, as an update's would be."""
    if services.engine is None:
        raise RuntimeError("Services.engine is not set; the scheduler needs the database")
    signer = signer_for(services, application.bot.token)
    return Scheduler(
        engine=services.engine,
        clock=services.clock,
        config=config or scheduler_config_from(services),
        senders=registry_of(application.bot_data),
        worker=worker or worker_name(),
        on_enqueued=lambda: kick_sender(application),
        notify=alert_notifier(signer, services.settings.admin_telegram_ids),
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
        gate=gate or rate_gate_from(services),
        config=sender_config or sender_config_from(services),
        worker=worker,
        should_continue=lambda: application.running,
        admin_telegram_ids=tuple(services.settings.admin_telegram_ids),
    )
    scheduler = build_scheduler(application, services, config=scheduler_config, worker=worker)
    config = scheduler.config
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
    keep_every = max(0.5, sender.config.lease.total_seconds() / 3)
    for callback, name in ((_lease_job, LEASE_JOB), (_orphan_job, ORPHAN_JOB)):
        queue.run_repeating(
            callback,
            interval=keep_every,
            first=keep_every,
            name=name,
            job_kwargs={"id": name, "misfire_grace_time": None, **repeat},
        )
    for callback, name in (
        (_tick_job, TICK_JOB),
        (_sender_job, SENDER_JOB),
        (_orphan_job, ORPHAN_JOB),
    ):
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
    sweeper: AbandonedSweeper = context.application.bot_data[ABANDONED_KEY]
    scheduler: Scheduler = context.application.bot_data[SCHEDULER_KEY]
    notify = alert_notifier_for(context)
    result = await run_db(sweep_abandoned, sweeper, scheduler.clock.now(), notify)
    if result.queued:
        kick_sender(context.application)


async def _sender_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    sender: OutboxSender = context.application.bot_data[SENDER_KEY]
    await sender.drain()


async def _lease_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Renew this process's claims on updates and messages."""
    sender: OutboxSender = context.application.bot_data[SENDER_KEY]
    inbox = inbox_of_application(context.application)
    await asyncio.gather(sender.renew(), *([inbox.renew()] if inbox is not None else []))


async def _orphan_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take over the updates of a replica that died (their leases ran out)."""
    inbox = inbox_of_application(context.application)
    if inbox is not None:
        await inbox.maintain()


async def _escalation_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every minute: notify un-notified alerts, re-send unacknowledged urgent ones, hand over."""
    services = get_services(context)
    now = services.clock.now()
    signer = signer_of(context)

    def work() -> None:
        with session_scope(services.engine) as session:
            run_escalations(session, now, signer, services.settings.admin_telegram_ids)

    # Off the event loop: a burst of re-sends takes a moment and updates must keep flowing.
    await run_db(work)
    kick(context)


def install_escalation_job(application: AnyApplication) -> None:
    """Run the clinician alert escalation every minute (the clinician handlers add it)."""
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _escalation_job,
            interval=ESCALATION_INTERVAL,
            first=5,
            name=ESCALATION_JOB,
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": 60},
        )


async def _digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    if services.engine is None:
        return
    await run_digest(context.bot, services.engine, services.clock)


def install_digest_job(
    application: Application[Any, Any, Any, Any, Any, Any],
    interval: dt.timedelta = DIGEST_INTERVAL,
) -> None:
    """Run the digest job every ``interval`` in this process (other processes may too)."""
    if application.job_queue is None:
        _LOGGER.warning("no JobQueue: the weekly digest will not be sent by this process")
        return
    application.job_queue.run_repeating(
        _digest_job,
        interval=interval,
        first=interval,
        name=DIGEST_JOB,
        job_kwargs={
            "id": DIGEST_JOB,
            "replace_existing": True,
            "max_instances": 1,
            "coalesce": True,
            "misfire_grace_time": None,
        },
    )
