"""The repeating tick: claim the prompts that are due, hand each to its sender, plan ahead.

One tick (``run_tick``) per ``SchedulerConfig.tick_seconds``, in every bot process:

1. Claim up to ``batch`` due prompts (``claim_due_prompts``: SKIP LOCKED on PostgreSQL, so two
   processes never get the same row) and, in the same transaction, decide each one and queue
   its message in the outbox. Claim, decision and message commit together: a crash rolls all
   three back and the prompt is claimed again by the next tick.
2. For each prompt: paused athlete -> cancelled; more than ``grace`` late -> recorded missed,
   not sent; late within grace -> sent with a note; reminder/cut-off with the check-in already
   answered -> cancelled. A morning prompt also judges the day before (missed check-in?) and
   plans the next day.
3. Kick the outbox sender so the messages go out now, not at its next run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.scheduling.planner import NEEDS_UNANSWERED, grace_decision
from bot.scheduling.registry import PromptContext, PromptSender, new_registry
from bot.scheduling.schedule import (
    SchedulerConfig,
    SessionDayPolicy,
    athlete_schedule,
    default_session_policy,
    is_paused,
    plan_next_day,
    plan_unscheduled,
)
from bot.scheduling.times import local_to_utc
from bot.store.db import session_scope
from bot.store.models import (
    AlertRecord,
    MorningCheckinRecord,
    Person,
    ScheduledPrompt,
    SessionReportRecord,
)
from bot.store.repo.alerts import raise_alert
from bot.store.repo.links import clinicians_of
from bot.store.repo.messaging import claim_due_prompts, enqueue_message, finish_prompt
from engine.models import Alert

_LOGGER = logging.getLogger(__name__)
MISSED_DAYS_RULE = "missed_checkins"


@dataclass
class TickResult:
    """What one tick did, by outcome (tests and logs read it)."""

    sent: int = 0
    late: int = 0
    missed: int = 0
    cancelled: int = 0
    deferred: int = 0
    planned: int = 0
    alerts: int = 0
    outbox_ids: list[int] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        """How many prompts this tick claimed."""
        return self.sent + self.missed + self.cancelled + self.deferred


@dataclass
class Scheduler:
    """The scheduler's dependencies: database, clock, settings, senders, this worker's name."""

    engine: Engine
    clock: Clock
    config: SchedulerConfig = field(default_factory=SchedulerConfig)
    senders: dict[str, PromptSender] = field(default_factory=new_registry)
    worker: str = "worker-1"
    session_policy: SessionDayPolicy = default_session_policy
    # Called after a tick queued messages (the outbox sender's kick).
    on_enqueued: Callable[[], None] | None = None
    ticks: int = 0


def _answered(session: Session, athlete_id: int, day: dt.date) -> bool:
    found = session.exec(
        select(MorningCheckinRecord.id).where(
            MorningCheckinRecord.athlete_id == athlete_id,
            MorningCheckinRecord.local_date == day,
        )
    ).first()
    return found is not None


def _had_session_report(session: Session, athlete_id: int, day: dt.date) -> bool:
    found = session.exec(
        select(SessionReportRecord.id).where(
            SessionReportRecord.athlete_id == athlete_id,
            SessionReportRecord.local_date == day,
        )
    ).first()
    return found is not None


def _was_prompted(session: Session, athlete_id: int, day: dt.date) -> bool:
    status = session.exec(
        select(ScheduledPrompt.status).where(
            ScheduledPrompt.athlete_id == athlete_id,
            ScheduledPrompt.kind == "morning",
            ScheduledPrompt.local_date == day,
        )
    ).first()
    # A morning missed because the bot was down never reached the athlete: not their miss.
    return status == "sent"


def missed_streak(session: Session, athlete_id: int, last_day: dt.date, limit: int = 30) -> int:
    """Return how many prompted days in a row, ending with ``last_day``, had no check-in."""
    streak = 0
    day = last_day
    while streak < limit and _was_prompted(session, athlete_id, day):
        if _answered(session, athlete_id, day):
            break
        streak += 1
        day -= dt.timedelta(days=1)
    return streak


def _notify_missed_days(
    session: Session, athlete: Person, streak_end: dt.date, days: int, now: dt.datetime
) -> int:
    """Raise the missed-check-ins alert and queue it to the linked clinicians (or admins)."""
    assert athlete.id is not None
    name = athlete.display_name or f"athlete {athlete.id}"
    text = (
        f"{name} has missed {days} morning check-ins in a row (last on "
        f"{streak_end:%a %d %b}). Missed days count as hold: no progression. "
        "Please get in touch."
    )
    alert = raise_alert(
        session,
        athlete_id=athlete.id,
        alert=Alert(severity="within_24h", rule=MISSED_DAYS_RULE, text=text),
        now=now,
        local_date=streak_end,
    )
    recipients = clinicians_of(session, athlete_id=athlete.id) or list(
        session.exec(select(Person).where(Person.role == "admin").order_by(col(Person.id)))
    )
    queued = 0
    for person in recipients:
        if person.chat_id is None:
            continue
        enqueue_message(
            session,
            chat_id=person.chat_id,
            text=text,
            kind="missed_days_alert",
            now=now,
            dedupe_key=f"missed:{athlete.id}:{streak_end.isoformat()}:{person.id}:{alert.id}",
            person_id=person.id,
            athlete_id=athlete.id,
        )
        queued += 1
    return queued


def _already_alerted(session: Session, athlete_id: int, streak_end: dt.date) -> bool:
    found = session.exec(
        select(AlertRecord.id).where(
            AlertRecord.athlete_id == athlete_id,
            AlertRecord.rule == MISSED_DAYS_RULE,
            AlertRecord.local_date == streak_end,
        )
    ).first()
    return found is not None


def judge_previous_day(
    session: Session, athlete: Person, day: dt.date, now: dt.datetime, config: SchedulerConfig
) -> int:
    """Judge ``day - 1`` when ``day``'s morning falls due: alert after N missed days in a row.

    The alert goes out once, when the streak reaches ``config.missed_days_alert``.
    """
    assert athlete.id is not None
    yesterday = day - dt.timedelta(days=1)
    streak = missed_streak(session, athlete.id, yesterday)
    if streak != config.missed_days_alert or _already_alerted(session, athlete.id, yesterday):
        return 0
    return _notify_missed_days(session, athlete, yesterday, streak, now)


async def _process(
    scheduler: Scheduler, session: Session, prompt: ScheduledPrompt, now: dt.datetime
) -> tuple[str, list[int], int, int]:
    """Decide and act on one claimed prompt; return (outcome, outbox ids, planned, alerts)."""
    assert prompt.id is not None
    config = scheduler.config
    athlete = session.get(Person, prompt.athlete_id)
    if athlete is None or athlete.chat_id is None or is_paused(session, athlete):
        finish_prompt(session, prompt_id=prompt.id, status="cancelled", now=now)
        return "cancelled", [], 0, 0
    planned = alerts = 0
    if prompt.kind == "morning":
        alerts = judge_previous_day(session, athlete, prompt.local_date, now, config)
    timing = grace_decision(prompt.due_at, now, config.grace)
    if timing == "missed":
        finish_prompt(session, prompt_id=prompt.id, status="missed", now=now)
        outcome = "missed"
    elif prompt.kind in NEEDS_UNANSWERED and _answered(session, athlete.id or 0, prompt.local_date):
        finish_prompt(session, prompt_id=prompt.id, status="cancelled", now=now)
        outcome = "cancelled"
    elif prompt.kind == "reminder" and _defer_reminder(session, prompt, athlete, now, config):
        outcome = "deferred"
    elif (
        prompt.kind == "post_session"
        and not scheduler.session_policy(session, athlete, prompt.local_date, config)[0]
    ):
        # Re-checked when due: a session reported since the day was planned may make it a
        # rest day under the protocol's rest interval.
        finish_prompt(session, prompt_id=prompt.id, status="cancelled", now=now)
        outcome = "cancelled"
    else:
        ctx = PromptContext(session=session, prompt=prompt, athlete=athlete, now=now)
        ctx.late = timing == "late"
        if prompt.kind == "morning":
            previous = prompt.local_date - dt.timedelta(days=1)
            if _had_session_report(session, athlete.id or 0, previous):
                ctx.follow_up_for = previous
        sender = scheduler.senders.get(prompt.kind)
        if sender is None:
            raise LookupError(f"no prompt sender registered for kind {prompt.kind!r}")
        await sender(ctx)
        finish_prompt(session, prompt_id=prompt.id, status="sent", now=now)
        outcome = "late" if ctx.late else "sent"
        queued = ctx.queued
        if prompt.kind == "morning":
            planned = _plan_after(scheduler, session, athlete, now)
        return outcome, queued, planned, alerts
    if prompt.kind == "morning":
        planned = _plan_after(scheduler, session, athlete, now)
    return outcome, [], planned, alerts


def _plan_after(scheduler: Scheduler, session: Session, athlete: Person, now: dt.datetime) -> int:
    day = plan_next_day(
        session, athlete, now=now, config=scheduler.config, policy=scheduler.session_policy
    )
    return 0 if day is None else 1


def _defer_reminder(
    session: Session,
    prompt: ScheduledPrompt,
    athlete: Person,
    now: dt.datetime,
    config: SchedulerConfig,
) -> bool:
    """Push a reminder back when its morning prompt went out late, less than 45 min ago.

    Returns True if the reminder was moved (or dropped because the cut-off comes first).
    """
    morning = session.exec(
        select(ScheduledPrompt).where(
            ScheduledPrompt.athlete_id == prompt.athlete_id,
            ScheduledPrompt.kind == "morning",
            ScheduledPrompt.local_date == prompt.local_date,
        )
    ).first()
    if morning is None or morning.done_at is None or morning.status != "sent":
        return False
    wanted = morning.done_at + config.reminder_delay
    if wanted <= now:
        return False
    schedule = athlete_schedule(athlete, config, paused=False)
    cutoff_at = local_to_utc(prompt.local_date, schedule.cutoff_time, schedule.tz)
    assert prompt.id is not None
    if wanted >= cutoff_at:
        finish_prompt(session, prompt_id=prompt.id, status="cancelled", now=now)
        return True
    prompt.status = "pending"
    prompt.due_at = wanted
    prompt.claimed_by = None
    prompt.claimed_at = None
    session.add(prompt)
    session.flush()
    return True


async def run_tick(scheduler: Scheduler) -> TickResult:
    """Run one tick at the scheduler clock's current time and return what it did."""
    now = scheduler.clock.now()
    result = TickResult()
    scheduler.ticks += 1
    if scheduler.ticks == 1 or scheduler.ticks % scheduler.config.sweep_every_ticks == 0:
        with session_scope(scheduler.engine) as session:
            result.planned += plan_unscheduled(
                session, now=now, config=scheduler.config, policy=scheduler.session_policy
            )
    while True:
        with session_scope(scheduler.engine) as session:
            prompts = claim_due_prompts(
                session, now=now, limit=scheduler.config.batch, worker=scheduler.worker
            )
            for prompt in prompts:
                await _process_safely(scheduler, session, prompt, now, result)
        if len(prompts) < scheduler.config.batch:
            break
    if result.outbox_ids and scheduler.on_enqueued is not None:
        scheduler.on_enqueued()
    return result


async def _process_safely(
    scheduler: Scheduler,
    session: Session,
    prompt: ScheduledPrompt,
    now: dt.datetime,
    result: TickResult,
) -> None:
    """Process one prompt inside a savepoint, so one faulty prompt cannot block the batch."""
    savepoint = session.begin_nested()
    try:
        outcome, queued, planned, alerts = await _process(scheduler, session, prompt, now)
        savepoint.commit()
    except Exception:
        savepoint.rollback()
        _LOGGER.exception("prompt %s (%s) could not be produced", prompt.id, prompt.kind)
        assert prompt.id is not None
        # Recorded as missed, so it is not retried forever; the error is in the log.
        session.expire(prompt)
        finish_prompt(session, prompt_id=prompt.id, status="missed", now=now)
        result.missed += 1
        return
    result.outbox_ids.extend(queued)
    result.planned += planned
    result.alerts += alerts
    if outcome == "late":
        result.late += 1
        result.sent += 1
    elif outcome == "sent":
        result.sent += 1
    elif outcome == "missed":
        result.missed += 1
    elif outcome == "cancelled":
        result.cancelled += 1
    else:
        result.deferred += 1
