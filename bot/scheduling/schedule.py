"""The durable schedule: writing each athlete's next day of prompt rows into the database.

Every non-paused athlete with a chat always has the rows of one coming day (morning, reminder,
cut-off, and post-session on the days that may have a session: ``may_have_session``). Claiming
a morning prompt plans the following day, so nothing per athlete lives in memory and a restart
loses nothing. Whether a post-session prompt is asked is decided when it falls due, from the
plan the athlete was given at that day's check-in (``plans_given``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, func
from sqlmodel import Session, col, select

from bot.scheduling.planner import (
    DEFAULT_CHECKIN_TIME,
    DEFAULT_CUTOFF_TIME,
    DEFAULT_GRACE,
    DEFAULT_SESSION_END_TIME,
    REMINDER_DELAY,
    AthleteSchedule,
    PlannedPrompt,
    RestRule,
    plan_day,
    session_due,
)
from bot.scheduling.times import local_date_at, local_to_utc, next_local_occurrence
from bot.store.models import Decision, Person, Programme, ScheduledPrompt, SessionReportRecord
from bot.store.repo.messaging import schedule_prompt

_LOGGER = logging.getLogger(__name__)

# How far back a reported high-velocity session still matters for the rest interval.
_HV_LOOKBACK = dt.timedelta(days=4)
DEFAULT_HV_REST = RestRule(stage_has_hv=True, min_rest=dt.timedelta(hours=48))


@dataclass(frozen=True)
class SchedulerConfig:
    """Settings of the scheduler (from bot settings; tests pass their own)."""

    tick_seconds: float = 30.0
    grace: dt.timedelta = DEFAULT_GRACE
    batch: int = 500
    cutoff_time: dt.time = DEFAULT_CUTOFF_TIME
    reminder_delay: dt.timedelta = REMINDER_DELAY
    default_checkin_time: dt.time = DEFAULT_CHECKIN_TIME
    default_session_end_time: dt.time = DEFAULT_SESSION_END_TIME
    # Consecutive missed check-ins after which the linked clinician is told.
    missed_days_alert: int = 2
    # Each tick, athletes without a planned day (new, resumed) get one: all athletes
    # registered since the last tick, plus this many older ids in rotation.
    sweep_span: int = 2000
    # Run that sweep every this many ticks (1 = every tick).
    sweep_every_ticks: int = 1
    # The configured admins (ADMIN_TELEGRAM_IDS): told of missed days when no clinician is
    # linked. A stored role "admin" alone is not enough.
    admin_telegram_ids: tuple[int, ...] = ()


# Decides whether a local date has a prescribed session: (session, athlete, date) ->
# (session_day, rest reason or None). The engine's owner may register a protocol-aware one.
SessionDayPolicy = Callable[[Session, Person, dt.date, "SchedulerConfig"], tuple[bool, str | None]]


_LAST_SECOND = dt.time(23, 59, 59)
# The smallest step back in time: a morning due exactly "now" is still to come.
_INSTANT = dt.timedelta(microseconds=1)


def _hhmm(value: str | None, default: dt.time) -> dt.time:
    if not value:
        return default
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def checkin_time_of(athlete: Person, config: SchedulerConfig | None = None) -> dt.time:
    """Return the athlete's local morning check-in time (stored, else the default)."""
    return _hhmm(athlete.checkin_time, (config or SchedulerConfig()).default_checkin_time)


# The shortest time between the check-in prompt and its last call.
_MIN_WINDOW_MINUTES = 120


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def athlete_schedule(athlete: Person, config: SchedulerConfig, *, paused: bool) -> AthleteSchedule:
    """Return the schedule settings of ``athlete`` (stored values, else the defaults)."""
    checkin = checkin_time_of(athlete, config)
    cutoff = config.cutoff_time
    if _minutes(cutoff) - _minutes(checkin) < _MIN_WINDOW_MINUTES:
        # An athlete who checks in after (or just before) the usual cut-off gets a cut-off 4 h
        # after check-in, within the same day (a late-evening check-in's ends at the day's
        # last second): a 10:59 check-in is not followed by a last call at 11:00.
        day = dt.date(2000, 1, 1)
        later = dt.datetime.combine(day, checkin) + dt.timedelta(hours=4)
        cutoff = later.time() if later.date() == day else _LAST_SECOND
    return AthleteSchedule(
        tz=athlete.timezone,
        checkin_time=checkin,
        cutoff_time=cutoff,
        session_end_time=_hhmm(athlete.session_end_time, config.default_session_end_time),
        paused=paused,
        reminder_delay=config.reminder_delay,
    )


def _latest_programme(session: Session, athlete_id: int) -> tuple[str, dt.datetime] | None:
    """Return (status, created_at) of the athlete's latest programme, or None."""
    row = session.exec(
        select(Programme.status, Programme.created_at)
        .where(Programme.athlete_id == athlete_id)
        .order_by(col(Programme.id).desc())
    ).first()
    return None if row is None else (row[0], row[1])


def is_paused(session: Session, athlete: Person) -> bool:
    """Return True when the athlete or their programme is paused (they get no prompts)."""
    if athlete.paused:
        return True
    assert athlete.id is not None
    programme = _latest_programme(session, athlete.id)
    return programme is not None and programme[0] == "paused"


def first_prompt_day(athlete: Person, programme_started_at: dt.datetime) -> dt.date:
    """Return the first local date that may get a morning prompt: the day after the one the
    programme started on, in the athlete's current zone.

    The onboarding day is the programme's first day, judged "programme started" rather than
    a missed check-in, and the athlete was told the first check-in comes tomorrow; a later
    change of time zone or check-in time keeps it so (counted in the new zone's dates).
    """
    return local_date_at(programme_started_at, athlete.timezone or "UTC") + dt.timedelta(days=1)


def _is_hv(answers: dict[str, object]) -> bool:
    metrics = answers.get("metrics")
    if not isinstance(metrics, dict):
        return False
    hv_reps = metrics.get("hv_reps")
    top = metrics.get("top_pct_vmax")
    return bool(
        (isinstance(hv_reps, int) and hv_reps > 0) or (isinstance(top, int | float) and top >= 80)
    )


FACTS_KEY = "sprintback.session_facts"


@dataclass
class SessionFacts:
    """What the default session policy needs for a batch of athletes, read in two queries.

    The tick loads it once per claimed batch and leaves it in ``session.info[FACTS_KEY]``, so
    planning thousands of next days does not cost two queries per athlete.
    """

    athlete_ids: frozenset[int]
    since: dt.date
    until: dt.date
    active: set[int]
    hv_dates: dict[int, list[dt.date]]

    @classmethod
    def load(
        cls, session: Session, athlete_ids: Iterable[int], since: dt.date, until: dt.date
    ) -> SessionFacts:
        """Read active programmes and HV session dates in ``[since, until]`` for the athletes."""
        ids = frozenset(athlete_ids)
        active = set(
            session.exec(
                select(Programme.athlete_id).where(
                    col(Programme.athlete_id).in_(ids), Programme.status == "active"
                )
            ).all()
        )
        hv_dates: dict[int, list[dt.date]] = {}
        reports = session.exec(
            select(
                col(SessionReportRecord.athlete_id),
                col(SessionReportRecord.local_date),
                col(SessionReportRecord.answers),
            ).where(
                col(SessionReportRecord.athlete_id).in_(ids),
                col(SessionReportRecord.local_date) >= since,
                col(SessionReportRecord.local_date) <= until,
            )
        ).all()
        for athlete_id, day, answers in reports:
            if _is_hv(answers):
                hv_dates.setdefault(athlete_id, []).append(day)
        for dates in hv_dates.values():
            dates.sort(reverse=True)
        return cls(ids, since, until, active, hv_dates)

    def covers(self, athlete_id: int, local_date: dt.date) -> bool:
        """Tell whether these facts answer the policy for ``athlete_id`` on ``local_date``."""
        return (
            athlete_id in self.athlete_ids
            and self.since <= local_date - _HV_LOOKBACK
            and self.until >= local_date - dt.timedelta(days=1)
        )


def _query_facts(session: Session, athlete_id: int, local_date: dt.date) -> SessionFacts:
    return SessionFacts.load(
        session, [athlete_id], local_date - _HV_LOOKBACK, local_date - dt.timedelta(days=1)
    )


def default_session_policy(
    session: Session, athlete: Person, local_date: dt.date, config: SchedulerConfig
) -> tuple[bool, str | None]:
    """Session day = an active programme, unless the last reported HV session is < 48 h old.

    48 h is the return-to-sprint reference's conservative default for both injuries
    (hamstring: >=48 h between HV sessions; calf: never consecutive running days).
    """
    assert athlete.id is not None
    facts = session.info.get(FACTS_KEY)
    if not isinstance(facts, SessionFacts) or not facts.covers(athlete.id, local_date):
        facts = _query_facts(session, athlete.id, local_date)
    if athlete.id not in facts.active:
        return False, None
    schedule = athlete_schedule(athlete, config, paused=False)
    earliest = local_date - _HV_LOOKBACK
    recent = [d for d in facts.hv_dates.get(athlete.id, []) if earliest <= d < local_date]
    return session_due(schedule, local_date, DEFAULT_HV_REST, recent[0] if recent else None)


def may_have_session(session_day: bool, rest_reason: str | None) -> bool:
    """Whether a day's rows include the post-session prompt, from the session policy's answer:
    on a session day, and on a rest day inside the protocol's rest interval too. There the
    engine's plan may still have training (an easier run, strength or mobility work), so the
    row is planned and the plan given at the check-in decides when it falls due (see
    ``plans_given``). Not on a day the policy rests for another reason (no active programme,
    not a training weekday), where no plan is given."""
    return session_day or rest_reason is not None


def plan_has_training(verdict: dict[str, Any]) -> bool | None:
    """Whether a stored morning verdict (the engine's outcome as the check-in recorded it)
    gave the athlete a plan with training: True when its plan has any drill (a run, an easier
    run between fast sessions, strength, mobility, walking or the bike), False when it has
    none ("No training today": a rest interval after a run, or after tests logged without
    one, that the engine holds as a run by feel). None when it says neither: a stop (a
    session reported during a stop is still taken, as before) or no plan stored; the session
    policy decides then."""
    if verdict.get("readiness") == "stop":
        return None
    plan = verdict.get("plan")
    if not isinstance(plan, dict):
        return None
    drills = plan.get("drills")
    if not isinstance(drills, list):
        return None
    return bool(drills)


def plans_given(
    session: Session, days: Iterable[tuple[int, dt.date]]
) -> dict[tuple[int, dt.date], bool]:
    """Of ``days`` (athlete, local date), whether each day's stored morning verdict gave a plan
    with training (``plan_has_training``), in one query. A day without a verdict, or whose
    verdict says neither, is left out: the session policy decides."""
    wanted = set(days)
    if not wanted:
        return {}
    rows = session.exec(
        select(col(Decision.athlete_id), col(Decision.local_date), col(Decision.decision)).where(
            col(Decision.athlete_id).in_({a for a, _ in wanted}),
            Decision.kind == "morning",
            col(Decision.local_date) >= min(d for _, d in wanted),
            col(Decision.local_date) <= max(d for _, d in wanted),
        )
    ).all()
    given: dict[tuple[int, dt.date], bool] = {}
    for a, d, verdict in rows:
        if (a, d) in wanted and isinstance(verdict, dict):
            training = plan_has_training(verdict)
            if training is not None:
                given[(a, d)] = training
    return given


def last_served_morning(session: Session, athlete_id: int) -> dt.date | None:
    """Return the latest local date whose morning prompt went out (or was claimed/missed)."""
    served: dt.date | None = session.exec(
        select(func.max(ScheduledPrompt.local_date)).where(
            ScheduledPrompt.athlete_id == athlete_id,
            ScheduledPrompt.kind == "morning",
            col(ScheduledPrompt.status).in_(("claimed", "sent", "missed")),
        )
    ).one()
    return served


def _morning_sent_at(session: Session, athlete_id: int, local_date: dt.date) -> dt.datetime | None:
    """Return when the morning prompt of ``local_date`` went out, or None (not sent)."""
    done: dt.datetime | None = session.exec(
        select(ScheduledPrompt.done_at).where(
            ScheduledPrompt.athlete_id == athlete_id,
            ScheduledPrompt.kind == "morning",
            ScheduledPrompt.local_date == local_date,
            ScheduledPrompt.status == "sent",
        )
    ).first()
    if done is not None and done.tzinfo is None:
        done = done.replace(tzinfo=dt.UTC)  # SQLite keeps no offset
    return done


def next_day_plan(
    session: Session,
    athlete: Person,
    *,
    served: dt.date | None,
    now: dt.datetime,
    config: SchedulerConfig,
    policy: SessionDayPolicy = default_session_policy,
    late_ok: dt.timedelta = dt.timedelta(0),
    not_before: dt.date | None = None,
) -> tuple[dt.date, tuple[PlannedPrompt, ...]]:
    """Return the athlete's next day after ``served`` (and not before ``not_before``) whose
    morning is due at ``now`` or later, and its prompts (the caller knows the athlete gets
    prompts: not paused, has a chat).

    ``late_ok`` also accepts a morning due that long before ``now``: after downtime, the tick
    passes its grace, so today's prompt is still sent (late) rather than skipped.
    """
    schedule = athlete_schedule(athlete, config, paused=False)
    if served is not None:
        after_served = served + dt.timedelta(days=1)
        not_before = after_served if not_before is None else max(not_before, after_served)
    day, _ = next_local_occurrence(
        schedule.checkin_time,
        schedule.tz,
        after=now - late_ok - _INSTANT,
        not_before_date=not_before,
    )
    session_day, reason = policy(session, athlete, day, config)
    return day, plan_day(schedule, day, session_day=may_have_session(session_day, reason))


def plan_next_day(
    session: Session,
    athlete: Person,
    *,
    now: dt.datetime,
    config: SchedulerConfig,
    policy: SessionDayPolicy = default_session_policy,
) -> dt.date | None:
    """Write the rows of the athlete's next unserved day whose morning is at or after ``now``.

    Returns the planned local date, or None when the athlete gets no prompts (paused, no chat).
    Dates already served stay served, so a time-zone change never repeats a morning; and the
    day a programme started never gets a prompt (see :func:`first_prompt_day`).
    """
    if athlete.id is None or athlete.chat_id is None:
        return None
    programme = _latest_programme(session, athlete.id)
    if athlete.paused or (programme is not None and programme[0] == "paused"):
        return None
    served = last_served_morning(session, athlete.id)
    day, planned_prompts = next_day_plan(
        session,
        athlete,
        served=served,
        now=now,
        config=config,
        policy=policy,
        not_before=None if programme is None else first_prompt_day(athlete, programme[1]),
    )
    for planned in planned_prompts:
        schedule_prompt(
            session,
            athlete_id=athlete.id,
            kind=planned.kind,
            local_date=planned.local_date,
            due_at=planned.due_at,
        )
    return day


def reschedule_athlete(
    session: Session,
    athlete_id: int,
    *,
    now: dt.datetime,
    config: SchedulerConfig | None = None,
    policy: SessionDayPolicy = default_session_policy,
) -> dt.date | None:
    """Re-plan an athlete after a change of time zone, check-in time, session time or pause.

    Pending rows are dropped and planned again from the new settings: the change takes effect
    from the next prompt. Today's remaining reminders and post-session prompt move to the new
    times if a morning prompt already went out today (the reminder stays 45 minutes after
    the prompt the athlete got). A pending pain follow-up stays: it is
    due an hour after a report, an instant no setting moves (the tick cancels it for a paused
    athlete). Call it in the transaction that saved the change. Returns the local date of the
    next morning prompt, or None if none is planned.
    """
    config = config or SchedulerConfig()
    athlete = session.get(Person, athlete_id)
    if athlete is None:
        raise ValueError(f"no person with id {athlete_id}")
    session.exec(
        delete(ScheduledPrompt).where(
            col(ScheduledPrompt.athlete_id) == athlete_id,
            col(ScheduledPrompt.status) == "pending",
            col(ScheduledPrompt.kind) != "followup",
        )
    )
    if athlete.chat_id is None or is_paused(session, athlete):
        return None
    served = last_served_morning(session, athlete_id)
    if served is not None:
        schedule = athlete_schedule(athlete, config, paused=False)
        session_day, reason = policy(session, athlete, served, config)
        sent_at = _morning_sent_at(session, athlete_id, served)
        for planned in plan_day(
            schedule, served, session_day=may_have_session(session_day, reason)
        ):
            reminded = None if sent_at is None else sent_at + schedule.reminder_delay
            if (
                planned.kind == "reminder"
                and reminded is not None
                and local_date_at(reminded, schedule.tz) == served
            ):
                # The reminder follows the prompt the athlete got, not the new time: a 07:00
                # prompt's reminder stays at 07:45 when the time becomes 06:00 (it used to be
                # dropped, as 06:45 had passed) or 10:00 (it used to come at 10:45). Not after a
                # flight west, where 07:45 in London is still the evening before in LA: there
                # it comes at the new zone's reminder time of that date.
                if reminded >= local_to_utc(served, schedule.cutoff_time, schedule.tz):
                    continue
                planned = PlannedPrompt("reminder", served, reminded)
            if planned.kind != "morning" and planned.due_at > now:
                schedule_prompt(
                    session,
                    athlete_id=athlete_id,
                    kind=planned.kind,
                    local_date=planned.local_date,
                    due_at=planned.due_at,
                )
    return plan_next_day(session, athlete, now=now, config=config, policy=policy)


@dataclass
class SweepCursor:
    """Where the sweep for unplanned athletes stands (two ids, not per-athlete state)."""

    # Ids above this were registered since the last sweep and are always looked at.
    newest_seen: int = 0
    # The rotating window over older ids starts after this id.
    rotation: int = 0


def plan_unscheduled(
    session: Session,
    *,
    now: dt.datetime,
    config: SchedulerConfig,
    cursor: SweepCursor | None = None,
    policy: SessionDayPolicy = default_session_policy,
) -> int:
    """Plan a day for athletes who have none pending (new, resumed); return how many.

    Each sweep looks at athletes registered since the previous one plus a rotating window of
    ``config.sweep_span`` older ids, so a sweep costs the same with 100 or 100,000 athletes
    and every athlete is looked at again within a cycle. Without a cursor, everyone is.
    """
    has_pending = exists().where(
        col(ScheduledPrompt.athlete_id) == col(Person.id),
        col(ScheduledPrompt.kind) == "morning",
        col(ScheduledPrompt.status).in_(("pending", "claimed")),
    )
    base = select(Person).where(
        Person.role == "athlete",
        col(Person.chat_id).is_not(None),
        col(Person.paused).is_(False),
        ~has_pending,
    )
    if cursor is None:
        athletes = list(session.exec(base.order_by(col(Person.id))).all())
    else:
        newest = session.exec(select(func.max(Person.id))).one() or 0
        if cursor.newest_seen == 0:
            # A fresh process: the athletes already registered are covered by the rotation
            # (new registrations are planned at once by reschedule_athlete), so start-up does
            # not scan everyone.
            cursor.newest_seen = newest
        window_end = cursor.rotation + config.sweep_span
        athletes = list(
            session.exec(
                base.where(col(Person.id) > cursor.newest_seen, col(Person.id) <= newest)
            ).all()
        )
        athletes += session.exec(
            base.where(
                col(Person.id) > cursor.rotation,
                col(Person.id) <= min(window_end, cursor.newest_seen),
            )
        ).all()
        cursor.rotation = 0 if window_end >= cursor.newest_seen else window_end
        cursor.newest_seen = newest
    planned = 0
    for athlete in {a.id: a for a in athletes}.values():
        try:
            day = plan_next_day(session, athlete, now=now, config=config, policy=policy)
        except ValueError as exc:
            # A stored setting that no longer reads (a zone this machine's tzdata does not
            # know, a mangled time): that athlete is skipped, and said so in the log, rather
            # than the whole sweep failing and with it every tick, for everyone.
            _LOGGER.error("athlete %s not scheduled: %s", athlete.id, exc)
            continue
        if day is not None:
            planned += 1
    return planned


def local_today(athlete: Person, now: dt.datetime) -> dt.date:
    """Return the athlete's local date at ``now``."""
    return local_date_at(now, athlete.timezone)
