"""The repeating tick: claim the prompts that are due, hand each to its sender, plan ahead.

One tick (``run_tick``) per ``SchedulerConfig.tick_seconds``, in every bot process:

1. Claim up to ``batch`` due prompts (``claim_due_prompts``: SKIP LOCKED on PostgreSQL, so two
   processes never get the same row) and, in the same transaction, decide each one and queue
   its message in the outbox. Claim, decision and message commit together: a crash rolls all
   three back and the prompt is claimed again by the next tick.
2. For each prompt: paused athlete -> cancelled; more than ``grace`` late -> recorded missed,
   not sent; late within grace -> sent with a note; reminder/cut-off with the check-in already
   answered -> cancelled; a reminder (or a last call not preceded by one) whose morning prompt
   was missed asks the check-in itself, saying it comes late; a post-session prompt follows
   the plan the athlete was given at that day's check-in: sent when it had any training,
   cancelled when it had none, and without a check-in (or after a stop) cancelled when the
   session policy, re-checked, makes the day a rest day. A sender may put its prompt back for
   later (``PromptContext.defer``) or cancel it (``cancel``). A morning prompt also judges the
   days before (missed check-ins) and plans the next day: after downtime, today's if its
   morning is still within the grace (sent late), never the older days in a burst; on a rest
   day inside the protocol's rest interval it also adds the day's post-session row, which a
   day planned before the prompt followed the plan given lacks.
   A prompt that opens a questionnaire may complete another whose answers recorded a warning
   sign: its alert reaches the linked clinicians in the same transaction (``Scheduler.notify``,
   the athlete flow's notifier), not a minute later from the escalation job's check.
3. After each batch commits, kick the outbox sender so the messages go out now.

Facts are read once per batch (athletes, check-ins, programme states, session reports) and the
writes go out as a few multi-row statements, so a 07:00 fan-out to thousands of athletes costs
a few queries per batch rather than a dozen per athlete.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.scheduling.planner import (
    NEEDS_UNANSWERED,
    ON_TIME_SLACK,
    PlannedPrompt,
    grace_decision,
    plan_day,
)
from bot.scheduling.registry import AlertNotifier, PromptContext, PromptSender, new_registry
from bot.scheduling.schedule import (
    FACTS_KEY,
    SchedulerConfig,
    SessionDayPolicy,
    SessionFacts,
    SweepCursor,
    athlete_schedule,
    default_session_policy,
    next_day_plan,
    plan_unscheduled,
    plans_given,
)
from bot.scheduling.times import local_to_utc
from bot.store.db import session_scope
from bot.store.models import (
    MISSED_DAYS_KIND,
    AlertRecord,
    MorningCheckinRecord,
    Outbox,
    Person,
    Programme,
    QuestionnaireProgress,
    ScheduledPrompt,
    SessionReportRecord,
)
from bot.store.repo._common import dialect_insert
from bot.store.repo.alerts import MISSED_CHECKINS_RULE, raise_alert
from bot.store.repo.answers import get_open_questionnaire
from bot.store.repo.links import clinicians_of
from bot.store.repo.messaging import DEFAULT_LEASE, claim_due_prompts, enqueue_message
from bot.store.threads import run_db
from bot.support.i18n import use_language
from bot.support.logs import failure
from bot.wording.alerts import alert_line
from engine.models import Alert

_LOGGER = logging.getLogger(__name__)
MISSED_DAYS_RULE = MISSED_CHECKINS_RULE
_DAY = dt.timedelta(days=1)
# In the answers of a morning check-in carried forward to a later day by a move east (begun
# for the day in the old time zone, finished for the day in the new one): the ISO date it was
# begun for. That day was answered, so it is no missed check-in (``_judge_previous_days``).
CARRIED_FROM_KEY = "_carried_from"
_LOOKBACK_DAYS = 5
_MIN_RETRY = dt.timedelta(minutes=1)


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
    queued: int = 0
    # Clinician alert messages queued by prompts (an alert raised when a prompt's
    # questionnaire completed another one whose answers recorded a warning sign).
    notified: int = 0

    @property
    def claimed(self) -> int:
        """How many prompts this tick claimed."""
        return self.sent + self.missed + self.cancelled + self.deferred

    def add(self, other: TickResult) -> None:
        """Add ``other``'s counts to this one."""
        for name in ("sent", "late", "missed", "cancelled", "deferred", "planned", "alerts"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.queued += other.queued
        self.notified += other.notified


@dataclass
class Scheduler:
    """The scheduler's dependencies: database, clock, settings, senders, this worker's name."""

    engine: Engine
    clock: Clock
    config: SchedulerConfig = field(default_factory=SchedulerConfig)
    senders: dict[str, PromptSender] = field(default_factory=new_registry)
    worker: str = "worker-1"
    session_policy: SessionDayPolicy = default_session_policy
    # Called after a batch that queued messages has committed (the outbox sender's kick).
    on_enqueued: Callable[[], None] | None = None
    # Queues the clinicians' messages for alerts a prompt raises, in the prompt's transaction
    # (the athlete flow's notifier: ``bot.handlers.jobs.build_scheduler`` sets it). None: such
    # an alert waits for the escalation job's check, up to a minute.
    notify: AlertNotifier | None = None
    # Ticks started and finished by this process (health checks and benchmarks read them).
    ticks: int = 0
    completed_ticks: int = 0
    sweep: SweepCursor = field(default_factory=SweepCursor)


@dataclass
class _Batch:
    """Facts for one claimed batch, read up front, and the writes it collects."""

    athletes: dict[int, Person]
    paused_programme: set[int]
    checkins: set[tuple[int, dt.date]]
    # (athlete, date) -> (status, done_at) of that date's morning prompt.
    mornings: dict[tuple[int, dt.date], tuple[str, dt.datetime | None]]
    reports: set[tuple[int, dt.date]]
    alerted: set[tuple[int, dt.date]]
    # (athlete, date) whose check-in a reminder asked in this batch (its morning was lost).
    asked: set[tuple[int, dt.date]] = field(default_factory=set)
    # (athlete, date) of the batch's post-session prompts -> whether that day's check-in gave
    # a plan with training (absent: no plan said, the session policy decides).
    plans: dict[tuple[int, dt.date], bool] = field(default_factory=dict)
    finished: dict[str, list[int]] = field(default_factory=dict)
    outbox_rows: list[dict[str, Any]] = field(default_factory=list)
    new_prompts: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, session: Session, prompts: Sequence[ScheduledPrompt]) -> _Batch:
        """Read everything the batch's decisions need in a handful of queries."""
        ids = {p.athlete_id for p in prompts}
        first = min(p.local_date for p in prompts) - _LOOKBACK_DAYS * _DAY
        last = max(p.local_date for p in prompts)
        athletes = {
            a.id: a for a in session.exec(select(Person).where(col(Person.id).in_(ids))).all()
        }
        paused = set(
            session.exec(
                select(Programme.athlete_id).where(
                    col(Programme.athlete_id).in_(ids), Programme.status == "paused"
                )
            ).all()
        )
        checkins = {
            (a, d)
            for a, d in session.exec(
                select(
                    col(MorningCheckinRecord.athlete_id), col(MorningCheckinRecord.local_date)
                ).where(
                    col(MorningCheckinRecord.athlete_id).in_(ids),
                    col(MorningCheckinRecord.local_date) >= first,
                    col(MorningCheckinRecord.local_date) <= last,
                )
            ).all()
        }
        mornings = {
            (a, d): (s, done)
            for a, d, s, done in session.exec(
                select(
                    col(ScheduledPrompt.athlete_id),
                    col(ScheduledPrompt.local_date),
                    col(ScheduledPrompt.status),
                    col(ScheduledPrompt.done_at),
                ).where(
                    col(ScheduledPrompt.athlete_id).in_(ids),
                    ScheduledPrompt.kind == "morning",
                    col(ScheduledPrompt.local_date) >= first,
                    col(ScheduledPrompt.local_date) <= last,
                )
            ).all()
        }
        reports = {
            (a, d)
            for a, d in session.exec(
                select(
                    col(SessionReportRecord.athlete_id), col(SessionReportRecord.local_date)
                ).where(
                    col(SessionReportRecord.athlete_id).in_(ids),
                    col(SessionReportRecord.local_date) >= first,
                    col(SessionReportRecord.local_date) <= last,
                )
            ).all()
        }
        alerted = {
            (a, d)
            for a, d in session.exec(
                select(col(AlertRecord.athlete_id), col(AlertRecord.local_date)).where(
                    col(AlertRecord.athlete_id).in_(ids),
                    AlertRecord.rule == MISSED_DAYS_RULE,
                    col(AlertRecord.local_date) >= first,
                )
            ).all()
            if d is not None
        }
        # The default session policy reads these instead of querying per athlete.
        session.info[FACTS_KEY] = SessionFacts.load(session, ids, first, last + _DAY)
        plans = plans_given(
            session, [(p.athlete_id, p.local_date) for p in prompts if p.kind == "post_session"]
        )
        return cls(
            {k: v for k, v in athletes.items() if k is not None},
            paused,
            checkins,
            mornings,
            reports,
            alerted,
            plans=plans,
        )

    def finish(self, prompt: ScheduledPrompt, status: str) -> None:
        """Close ``prompt`` with ``status`` when the batch is written."""
        assert prompt.id is not None
        self.finished.setdefault(status, []).append(prompt.id)

    def write(self, session: Session, now: dt.datetime) -> None:
        """Write the batch's outcomes: prompt statuses, queued messages, next days' rows."""
        for status, ids in self.finished.items():
            session.exec(
                update(ScheduledPrompt)
                .where(col(ScheduledPrompt.id).in_(ids))
                .values(status=status, done_at=now)
                .execution_options(synchronize_session=False)
            )
        if self.outbox_rows:
            session.exec(
                dialect_insert(session, Outbox).on_conflict_do_nothing(
                    index_elements=["dedupe_key"]
                ),
                params=self.outbox_rows,
            )
        if self.new_prompts:
            session.exec(
                dialect_insert(session, ScheduledPrompt).on_conflict_do_nothing(
                    index_elements=["athlete_id", "kind", "local_date"]
                ),
                params=self.new_prompts,
            )
        session.info.pop(FACTS_KEY, None)


def missed_streak(
    mornings: dict[tuple[int, dt.date], tuple[str, dt.datetime | None]],
    checkins: set[tuple[int, dt.date]],
    athlete_id: int,
    last_day: dt.date,
    limit: int,
) -> int:
    """Return how many prompted days in a row, ending with ``last_day``, had no check-in.

    A morning prompt the bot never sent (it was down) is not the athlete's miss: it ends the
    streak. At most ``limit`` days are looked at.
    """
    streak = 0
    day = last_day
    while streak < limit:
        state = mornings.get((athlete_id, day))
        if state is None or state[0] != "sent" or (athlete_id, day) in checkins:
            break
        streak += 1
        day -= _DAY
    return streak


def _notify_missed_days(
    session: Session,
    athlete: Person,
    streak_end: dt.date,
    days: int,
    now: dt.datetime,
    admin_telegram_ids: Sequence[int],
    notify: AlertNotifier | None = None,
) -> int:
    """Raise the missed-check-ins alert and queue it to the linked clinicians (or else the
    configured admins): as the alert card every other alert gets (``notify``, the athlete
    flow's notifier: buttons to acknowledge, and the escalation job sees it covered), else,
    with no notifier wired, as a plain message. Before, both went: the plain message at once
    and, a minute later, the card the escalation job sends for an alert no card covered."""
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
    if notify is not None:
        return notify(session, athlete.id, now)
    recipients = clinicians_of(session, athlete_id=athlete.id) or list(
        session.exec(
            select(Person)
            .where(col(Person.telegram_user_id).in_(tuple(admin_telegram_ids)))
            .order_by(col(Person.id))
        )
    )
    queued = 0
    for person in recipients:
        if person.chat_id is None:
            continue
        with use_language(person.language):  # each reader's message in their language
            worded = alert_line(MISSED_DAYS_RULE, text, None, streak_end)
        enqueue_message(
            session,
            chat_id=person.chat_id,
            text=worded,
            kind=MISSED_DAYS_KIND,
            now=now,
            dedupe_key=f"missed:{athlete.id}:{streak_end.isoformat()}:{person.id}:{alert.id}",
            person_id=person.id,
            athlete_id=athlete.id,
        )
        queued += 1
    return queued


async def _process(
    scheduler: Scheduler,
    session: Session,
    batch: _Batch,
    prompt: ScheduledPrompt,
    now: dt.datetime,
    result: TickResult,
) -> None:
    """Decide and act on one claimed prompt, recording the outcome in ``batch``/``result``."""
    config = scheduler.config
    athlete = batch.athletes.get(prompt.athlete_id)
    if (
        athlete is None
        or athlete.id is None
        or athlete.chat_id is None
        or athlete.paused
        or athlete.id in batch.paused_programme
    ):
        batch.finish(prompt, "cancelled")
        result.cancelled += 1
        return
    key = (athlete.id, prompt.local_date)
    if _follow_changed_settings(session, batch, prompt, athlete, now, config):
        result.deferred += 1
        return
    if prompt.kind == "morning":
        result.alerts += _judge_previous_days(
            session, batch, athlete, prompt, now, config, scheduler.notify
        )
    timing = grace_decision(
        prompt.due_at, now, config.grace, tick=dt.timedelta(seconds=config.tick_seconds)
    )
    if timing == "missed":
        batch.finish(prompt, "missed")
        result.missed += 1
        if prompt.kind == "morning":
            batch.mornings[key] = ("missed", now)
            _plan_after(scheduler, session, batch, athlete, prompt, now, result)
        return
    if prompt.kind in NEEDS_UNANSWERED and key in batch.checkins:
        batch.finish(prompt, "cancelled")
        result.cancelled += 1
        return
    if prompt.kind == "reminder" and _defer_reminder(session, batch, prompt, athlete, now, config):
        result.deferred += 1
        return
    if prompt.kind == "post_session" and not _session_asked(
        scheduler, session, batch, athlete, prompt, config
    ):
        batch.finish(prompt, "cancelled")
        result.cancelled += 1
        return
    asks = prompt.kind
    if (
        prompt.kind in NEEDS_UNANSWERED
        and batch.mornings.get(key, ("",))[0] == "missed"
        and key not in batch.asked
        and not _reminder_sent(session, athlete.id, prompt)
        and get_open_questionnaire(session, athlete_id=athlete.id or 0) is None
    ):
        # The day's morning prompt was lost (downtime beyond the grace), and so was its
        # reminder if this is the last call: a reminder (or a "last call") of a check-in never
        # asked would puzzle, so it asks the check-in itself, with the note saying it comes
        # late, unless the athlete is answering something already (asking would close it or
        # repeat it).
        asks = "morning"
    sender = scheduler.senders.get(asks)
    if sender is None:
        raise LookupError(f"no prompt sender registered for kind {asks!r}")
    ctx = PromptContext(
        session=session, prompt=prompt, athlete=athlete, now=now, notify=scheduler.notify
    )
    # A check-in asked in place of its lost morning prompt comes later than planned.
    ctx.late = timing == "late" or asks != prompt.kind
    if asks == "morning" and (athlete.id, prompt.local_date - _DAY) in batch.reports:
        ctx.follow_up_for = prompt.local_date - _DAY
    with use_language(athlete.language):  # the prompt is written in the athlete's language
        await sender(ctx)
    result.notified += ctx.notified
    if not ctx.queued and ctx.retry_at is not None:
        # The sender asked to be called again later (never in this same tick).
        _repend(session, prompt, max(ctx.retry_at, now + _MIN_RETRY))
        result.deferred += 1
        return
    if not ctx.queued and ctx.cancelled:
        batch.finish(prompt, "cancelled")
        result.cancelled += 1
        return
    if asks != prompt.kind:
        batch.asked.add(key)
    batch.outbox_rows.extend(ctx.queued)
    result.queued += len(ctx.queued)
    batch.finish(prompt, "sent")
    result.sent += 1
    result.late += ctx.late
    if prompt.kind == "morning":
        batch.mornings[key] = ("sent", now)
        _plan_after(scheduler, session, batch, athlete, prompt, now, result)


def _session_asked(
    scheduler: Scheduler,
    session: Session,
    batch: _Batch,
    athlete: Person,
    prompt: ScheduledPrompt,
    config: SchedulerConfig,
) -> bool:
    """Whether a post-session prompt is asked: it follows the plan the athlete was given at
    that day's check-in. Any training in it (an easier run inside the rest between fast
    sessions, drills): asked, so the 24-hour rules get the session's pain and tightness. None
    ("No training today"; tests logged without a run the day before keep the rest after a run
    by feel, which the policy does not see): not asked. Without a check-in, or when its
    verdict says neither (a stop), the session policy decides, re-checked now: a session
    reported since the day was planned may make it a rest day under the rest interval."""
    key = (prompt.athlete_id, prompt.local_date)
    given = batch.plans.get(key) if key in batch.checkins else None
    if given is not None:
        return given
    return scheduler.session_policy(session, athlete, prompt.local_date, config)[0]


def _reminder_sent(session: Session, athlete_id: int, prompt: ScheduledPrompt) -> bool:
    """Whether the reminder of ``prompt``'s day went out before ``prompt`` (a last call
    after a reminder that asked the check-in is a last call, not a second check-in)."""
    if prompt.kind == "reminder":
        return False
    found = session.exec(
        select(ScheduledPrompt.id).where(
            ScheduledPrompt.athlete_id == athlete_id,
            ScheduledPrompt.kind == "reminder",
            ScheduledPrompt.local_date == prompt.local_date,
            ScheduledPrompt.status == "sent",
        )
    ).first()
    return found is not None


def _follow_changed_settings(
    session: Session,
    batch: _Batch,
    prompt: ScheduledPrompt,
    athlete: Person,
    now: dt.datetime,
    config: SchedulerConfig,
) -> bool:
    """Move a prompt whose athlete has since set a later time (or another zone) to that time.

    ``reschedule_athlete`` does this when the settings change; this check makes the schedule
    follow the stored settings even if a settings handler forgot to call it. Returns True if
    the prompt was put back as pending at its new time.
    """
    if prompt.kind == "reminder" and batch.mornings.get(
        (prompt.athlete_id, prompt.local_date), ("",)
    )[0] in ("sent", "claimed"):
        return False  # it follows the prompt the athlete got (``_defer_reminder``)
    schedule = athlete_schedule(athlete, config, paused=False)
    planned: dict[str, dt.datetime] = {
        p.kind: p.due_at for p in plan_day(schedule, prompt.local_date, session_day=True)
    }
    expected = planned.get(prompt.kind)
    if expected is None or expected - now <= ON_TIME_SLACK or expected <= prompt.due_at:
        return False
    _repend(session, prompt, expected)
    return True


def _repend(session: Session, prompt: ScheduledPrompt, due_at: dt.datetime) -> None:
    """Put a claimed prompt back as pending, due at ``due_at``."""
    session.exec(
        update(ScheduledPrompt)
        .where(col(ScheduledPrompt.id) == prompt.id)
        .values(status="pending", due_at=due_at, claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )


def _judge_previous_days(
    session: Session,
    batch: _Batch,
    athlete: Person,
    prompt: ScheduledPrompt,
    now: dt.datetime,
    config: SchedulerConfig,
    notify: AlertNotifier | None = None,
) -> int:
    """When day D's morning falls due, judge D-1: alert once the missed streak reaches N."""
    assert athlete.id is not None
    yesterday = prompt.local_date - _DAY
    needed = config.missed_days_alert
    limit = min(needed + 1, 4)
    streak = missed_streak(batch.mornings, batch.checkins, athlete.id, yesterday, limit=limit)
    if streak != needed or (athlete.id, yesterday) in batch.alerted:
        return 0
    carried = _carried_from(session, athlete.id, yesterday - limit * _DAY, prompt.local_date)
    if carried:  # a day whose check-in a move east carried forward was answered: no miss
        checkins = batch.checkins | {(athlete.id, day) for day in carried}
        streak = missed_streak(batch.mornings, checkins, athlete.id, yesterday, limit=limit)
        if streak != needed:
            return 0
    batch.alerted.add((athlete.id, yesterday))
    _notify_missed_days(session, athlete, yesterday, streak, now, config.admin_telegram_ids, notify)
    return 1


def _carried_from(session: Session, athlete_id: int, first: dt.date, last: dt.date) -> set[dt.date]:
    """Return the days from ``first`` to ``last`` whose morning check-in a move east carried
    forward to a later day (``CARRIED_FROM_KEY``). Read only when a missed-days alert is about
    to be raised: rare, and a handful of rows."""
    answers = session.exec(
        select(col(QuestionnaireProgress.answers)).where(
            QuestionnaireProgress.athlete_id == athlete_id,
            QuestionnaireProgress.kind == "morning",
            col(QuestionnaireProgress.local_date) > first,
            col(QuestionnaireProgress.local_date) <= last + 2 * _DAY,
        )
    ).all()
    days: set[dt.date] = set()
    for kept in answers:
        begun = kept.get(CARRIED_FROM_KEY) if isinstance(kept, dict) else None
        if isinstance(begun, str):
            try:
                day = dt.date.fromisoformat(begun)
            except ValueError:
                continue
            if first <= day <= last:
                days.add(day)
    return days


def _plan_after(
    scheduler: Scheduler,
    session: Session,
    batch: _Batch,
    athlete: Person,
    prompt: ScheduledPrompt,
    now: dt.datetime,
    result: TickResult,
) -> None:
    """Queue the rows of the athlete's next day (the day after this morning's), and this
    morning's own post-session row if its day was planned without one (``_own_post_session``).

    After downtime that day's morning may already be due: within the grace it is still
    planned (and sent late by the next claim); older days are skipped, never sent in a burst.
    """
    assert athlete.id is not None
    own = _own_post_session(scheduler, session, athlete, prompt, now)
    if own is not None:
        batch.new_prompts.append(_row(athlete.id, own))
    _, planned = next_day_plan(
        session,
        athlete,
        served=prompt.local_date,
        now=now,
        config=scheduler.config,
        policy=scheduler.session_policy,
        late_ok=scheduler.config.grace,
    )
    batch.new_prompts.extend(_row(athlete.id, p) for p in planned)
    result.planned += 1


def _row(athlete_id: int, planned: PlannedPrompt) -> dict[str, Any]:
    """A ``scheduled_prompt`` row to insert for ``planned``."""
    return {
        "athlete_id": athlete_id,
        "kind": planned.kind,
        "local_date": planned.local_date,
        "due_at": planned.due_at,
        "status": "pending",
    }


def _own_post_session(
    scheduler: Scheduler,
    session: Session,
    athlete: Person,
    prompt: ScheduledPrompt,
    now: dt.datetime,
) -> PlannedPrompt | None:
    """The post-session row of a morning's own day when that day is a rest day inside the
    protocol's rest interval (``may_have_session``): a day planned before the prompt followed
    the plan given has none there. Written with the next day's rows, it adds nothing to a day
    that has its row (one per athlete, kind and date); none once its time has passed."""
    session_day, reason = scheduler.session_policy(
        session, athlete, prompt.local_date, scheduler.config
    )
    if session_day or reason is None:
        return None  # a session day was planned with its row; a day without a session has none
    schedule = athlete_schedule(athlete, scheduler.config, paused=False)
    for planned in plan_day(schedule, prompt.local_date, session_day=True):
        if planned.kind == "post_session" and planned.due_at > now:
            return planned
    return None


def _defer_reminder(
    session: Session,
    batch: _Batch,
    prompt: ScheduledPrompt,
    athlete: Person,
    now: dt.datetime,
    config: SchedulerConfig,
) -> bool:
    """Push a reminder back when its morning prompt went out late, less than 45 min ago.

    Returns True if the reminder was moved (or dropped because the cut-off comes first).
    """
    assert athlete.id is not None and prompt.id is not None
    state = batch.mornings.get((athlete.id, prompt.local_date))
    if state is None or state[0] != "sent" or state[1] is None:
        return False
    wanted = state[1] + config.reminder_delay
    if wanted <= now:
        return False
    schedule = athlete_schedule(athlete, config, paused=False)
    cutoff_at = local_to_utc(prompt.local_date, schedule.cutoff_time, schedule.tz)
    if wanted >= cutoff_at:
        batch.finish(prompt, "cancelled")
        return True
    _repend(session, prompt, wanted)
    return True


async def run_tick(scheduler: Scheduler) -> TickResult:
    """Run one tick at the scheduler clock's current time and return what it did.

    The database work (the sweep, each batch's claim, decisions and writes) runs on the
    database threads (``bot.store.threads``), so a big fan-out never stalls the event loop.
    """
    now = scheduler.clock.now()
    result = TickResult()
    scheduler.ticks += 1
    every = max(1, scheduler.config.sweep_every_ticks)
    if scheduler.ticks == 1 or scheduler.ticks % every == 0:
        result.planned += await run_db(_sweep, scheduler, now)
    while await run_db(_anything_due, scheduler.engine, now):
        batch_result, claimed = await run_db(_run_batch, scheduler, now)
        result.add(batch_result)
        queued = batch_result.queued or batch_result.alerts or batch_result.notified
        if queued and scheduler.on_enqueued is not None:
            scheduler.on_enqueued()
            # Let the kicked sender start on this batch while the next one is decided.
            await asyncio.sleep(0)
        if claimed < scheduler.config.batch:
            break
    scheduler.completed_ticks += 1
    return result


def _sweep(scheduler: Scheduler, now: dt.datetime) -> int:
    with session_scope(scheduler.engine) as session:
        return plan_unscheduled(
            session,
            now=now,
            config=scheduler.config,
            cursor=scheduler.sweep,
            policy=scheduler.session_policy,
        )


def _run_batch(scheduler: Scheduler, now: dt.datetime) -> tuple[TickResult, int]:
    """Claim and decide one batch (on a database thread). The prompt senders are coroutines
    that only touch the batch's session; they run on this thread's own event loop."""
    return asyncio.run(_batch(scheduler, now))


async def _batch(scheduler: Scheduler, now: dt.datetime) -> tuple[TickResult, int]:
    batch_result = TickResult()
    with session_scope(scheduler.engine) as session:
        prompts = claim_due_prompts(
            session, now=now, limit=scheduler.config.batch, worker=scheduler.worker
        )
        if prompts:
            batch = _Batch.load(session, prompts)
            for prompt in prompts:
                await _process_safely(scheduler, session, batch, prompt, now, batch_result)
            batch.write(session, now)
    return batch_result, len(prompts)


def _anything_due(engine: Engine, now: dt.datetime) -> bool:
    """Tell, with one indexed read, whether a claim could find work (idle ticks stay cheap)."""
    with session_scope(engine, read_only=True) as session:
        found = session.exec(
            select(ScheduledPrompt.id)
            .where(
                or_(
                    (col(ScheduledPrompt.status) == "pending")
                    & (col(ScheduledPrompt.due_at) <= now),
                    (col(ScheduledPrompt.status) == "claimed")
                    & (col(ScheduledPrompt.claimed_at) < now - DEFAULT_LEASE),
                )
            )
            .limit(1)
        ).first()
    return found is not None


async def _process_safely(
    scheduler: Scheduler,
    session: Session,
    batch: _Batch,
    prompt: ScheduledPrompt,
    now: dt.datetime,
    result: TickResult,
) -> None:
    """Process one prompt inside a savepoint, so one faulty prompt cannot block the batch."""
    savepoint = session.begin_nested()
    attempt = TickResult()
    planned_before = len(batch.new_prompts)
    try:
        await _process(scheduler, session, batch, prompt, now, attempt)
        savepoint.commit()
    except Exception as exc:
        savepoint.rollback()
        del batch.new_prompts[planned_before:]
        _LOGGER.error(
            "prompt %s (%s) could not be produced: %s", prompt.id, prompt.kind, failure(exc)
        )
        # Recorded as missed, so it is not retried forever; the error is in the log.
        batch.finish(prompt, "missed")
        result.missed += 1
        return
    result.add(attempt)
