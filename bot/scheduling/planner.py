"""Which proactive prompts an athlete gets on one local day, and when (pure, no I/O).

A day's prompts, in the athlete's own zone:

* ``morning``: the readiness check-in at the athlete's check-in time. On the morning after a
  reported session it carries the 24-hour comparison with that session (decided when it falls
  due, from the stored session report).
* ``reminder``: 45 minutes after the morning prompt, sent only if the check-in is unanswered.
* ``cutoff``: a last reminder at the athlete's cut-off time, sent only if still unanswered;
  none when it would come less than ``MIN_LAST_CALL_AFTER`` after the morning prompt.
* ``post_session``: the post-session questionnaire at the athlete's usual session end, on the
  days ``plan_day`` is told may have a session (``/done`` starts it at any time too); at least
  an hour after the morning prompt, and none when that is past midnight (a check-in at 23:00
  or later). The live schedule plans it on rest days inside the rest interval as well, and
  whether it is asked is decided when it falls due, from the plan the athlete was given at
  that day's check-in (``bot.scheduling.schedule.may_have_session``, ``plans_given``).

Not planned here: ``followup``, the pain question asked about an hour after a session report
that skipped it, is scheduled by the athlete flow when the report is finished
(``bot.services.athlete.followup``) and claimed and sent by the same tick.

A day without a check-in is judged missed when the next morning prompt falls due (the engine
reads a missed check-in as ``hold``; two consecutive missed days notify the linked clinician).

Paused athletes get no prompts. Whether a reminder is still needed is decided when it falls due
(the athlete may answer in between), not here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from bot.scheduling.times import local_to_utc, zone
from engine.rest import REAL_TIME_TOLERANCE_H

PromptKind = Literal["morning", "reminder", "cutoff", "post_session", "followup"]
PROMPT_KINDS: tuple[PromptKind, ...] = ("morning", "reminder", "cutoff", "post_session", "followup")
# Kinds that are only sent when the morning check-in of that day is still unanswered.
NEEDS_UNANSWERED: frozenset[PromptKind] = frozenset({"reminder", "cutoff"})

DEFAULT_CHECKIN_TIME = dt.time(7, 0)
DEFAULT_CUTOFF_TIME = dt.time(11, 0)
DEFAULT_SESSION_END_TIME = dt.time(18, 0)
REMINDER_DELAY = dt.timedelta(minutes=45)
DEFAULT_GRACE = dt.timedelta(hours=2)
# A prompt found within this slack of its due time was delayed only by the tick interval.
ON_TIME_SLACK = dt.timedelta(minutes=2)
# The last call comes at least this long after the morning prompt: a check-in set late in the
# evening (23:59, whose cut-off is the day's last second) gets no "last call" a minute after
# its "good morning"; the prompt itself is the day's last call.
MIN_LAST_CALL_AFTER = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class AthleteSchedule:
    """One athlete's schedule settings, as stored (times are local wall-clock, tz is IANA)."""

    tz: str
    checkin_time: dt.time = DEFAULT_CHECKIN_TIME
    cutoff_time: dt.time = DEFAULT_CUTOFF_TIME
    session_end_time: dt.time = DEFAULT_SESSION_END_TIME
    # Local weekdays (Monday = 0) on which the athlete can train.
    training_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4, 5, 6})
    paused: bool = False
    reminder_delay: dt.timedelta = REMINDER_DELAY

    def __post_init__(self) -> None:
        zone(self.tz)  # fails early with a clear message on a bad zone name
        if self.cutoff_time <= self.checkin_time:
            raise ValueError(
                f"cut-off {self.cutoff_time:%H:%M} must be later than the check-in time "
                f"{self.checkin_time:%H:%M}"
            )
        if any(not 0 <= d <= 6 for d in self.training_weekdays):
            raise ValueError("training_weekdays must be 0 (Monday) to 6 (Sunday)")


# The post-session prompt comes at least this long after the morning check-in's.
POST_SESSION_AFTER_MORNING = dt.timedelta(hours=1)


@dataclass(frozen=True)
class RestRule:
    """The protocol's rest interval between high-velocity (HV) sessions for the current stage.

    ``stage_has_hv`` is False for stages without HV work (walking, early loading), which need no
    rest interval. ``min_rest`` is measured between session ends (calf: 'no consecutive running
    days' is a 48 h rule measured that way).
    """

    stage_has_hv: bool = False
    min_rest: dt.timedelta = dt.timedelta(0)


@dataclass(frozen=True)
class PlannedPrompt:
    """One prompt row to store: what, for which local date, due when (UTC)."""

    kind: PromptKind
    local_date: dt.date
    due_at: dt.datetime


@dataclass(frozen=True)
class DayPlan:
    """An athlete's plan for one local date: its prompts and whether a session is prescribed."""

    local_date: dt.date
    prompts: tuple[PlannedPrompt, ...]
    session_day: bool
    # Why there is no session on a training weekday (the protocol's rest interval), or None.
    rest_reason: str | None = None


def session_due(
    schedule: AthleteSchedule,
    local_date: dt.date,
    rule: RestRule,
    last_hv_date: dt.date | None,
    *,
    last_hv_at: dt.datetime | None = None,
) -> tuple[bool, str | None]:
    """Decide whether ``local_date`` has a prescribed session, and why not when it is a rest day.

    A non-training weekday has no session. On a training weekday an HV stage needs the protocol's
    rest interval since the last HV session (on local date ``last_hv_date``, reported at the
    instant ``last_hv_at`` when known). It is counted as the engine counts it (``engine.rest``):
    in the athlete's local calendar days, 48 h = two days later at any hour, so a DST change
    changes nothing; and, when ``last_hv_at`` is given, in real time as well, from the
    athlete's check-in time of ``local_date``: at least the interval less
    ``engine.rest.REAL_TIME_TOLERANCE_H``, so a day that is two dates on after a flight east
    but only hours later in real time is a rest day, as the engine's plan says.
    """
    if local_date.weekday() not in schedule.training_weekdays:
        return False, None
    if not rule.stage_has_hv or last_hv_date is None:
        return True, None
    since = dt.timedelta(days=(local_date - last_hv_date).days)
    real: dt.timedelta | None = None
    if last_hv_at is not None:
        real = local_to_utc(local_date, schedule.checkin_time, schedule.tz) - last_hv_at
    tolerance = dt.timedelta(hours=REAL_TIME_TOLERANCE_H)
    if since < rule.min_rest or (real is not None and real + tolerance < rule.min_rest):
        hours = rule.min_rest.total_seconds() / 3600
        # The hours that break the rule: the calendar's, else the real ones.
        shown = since if since < rule.min_rest or real is None else real
        return False, (
            f"rest day: the protocol needs {hours:g} h between high-velocity sessions "
            f"and the last one was {shown.total_seconds() / 3600:.0f} h before this session"
        )
    return True, None


def plan_day(
    schedule: AthleteSchedule,
    local_date: dt.date,
    *,
    session_day: bool,
) -> tuple[PlannedPrompt, ...]:
    """Return the prompts of ``local_date`` in due order (empty for a paused athlete)."""
    if schedule.paused:
        return ()
    tz = schedule.tz
    morning_at = local_to_utc(local_date, schedule.checkin_time, tz)
    cutoff_at = local_to_utc(local_date, schedule.cutoff_time, tz)
    prompts = [PlannedPrompt("morning", local_date, morning_at)]
    reminder_at = morning_at + schedule.reminder_delay
    if reminder_at < cutoff_at:
        prompts.append(PlannedPrompt("reminder", local_date, reminder_at))
    if cutoff_at - morning_at >= MIN_LAST_CALL_AFTER:
        prompts.append(PlannedPrompt("cutoff", local_date, cutoff_at))
    if session_day:
        # Never before the morning check-in (a check-in time set later than the usual session
        # end): the check-in, when it comes, would close the session report being answered.
        session_at = max(
            local_to_utc(local_date, schedule.session_end_time, tz),
            morning_at + POST_SESSION_AFTER_MORNING,
        )
        # Nor past its own date (a check-in at 23:00 or later): it came in the night and asked
        # about the next day, whose check-in had not come; /done still reports the session.
        if session_at.astimezone(zone(tz)).date() == local_date:
            prompts.append(PlannedPrompt("post_session", local_date, session_at))
    return tuple(sorted(prompts, key=lambda p: p.due_at))


def plan_days(
    schedule: AthleteSchedule,
    first_date: dt.date,
    days: int,
    rule: RestRule,
    *,
    last_hv_date: dt.date | None = None,
) -> tuple[DayPlan, ...]:
    """Plan ``days`` consecutive local dates, assuming each planned HV session takes place.

    Used to show the week ahead; the live schedule re-plans each day from what really happened.
    """
    plans: list[DayPlan] = []
    last = last_hv_date
    for offset in range(days):
        day = first_date + dt.timedelta(days=offset)
        has_session, reason = session_due(schedule, day, rule, last)
        prompts = plan_day(schedule, day, session_day=has_session)
        plans.append(DayPlan(day, prompts, has_session, reason))
        if has_session and rule.stage_has_hv:
            last = day
    return tuple(plans)


def grace_decision(
    due_at: dt.datetime,
    now: dt.datetime,
    grace: dt.timedelta,
    *,
    tick: dt.timedelta = dt.timedelta(0),
) -> Literal["on_time", "late", "missed"]:
    """Classify a prompt found at ``now``: on time, late but within grace, or missed.

    'late' prompts are sent with a note saying so; 'missed' ones are skipped and recorded.
    A prompt found within one tick interval (``tick``) and the slack of its due time was only
    waiting for the next tick: it is on time, whatever the grace (a 5-minute tick with a grace
    of 0 used to record most prompts missed, and a 3-minute one to apologise for downtime).
    """
    lateness = now - due_at
    if lateness <= ON_TIME_SLACK + max(tick, dt.timedelta(0)):
        return "on_time"
    if lateness <= grace:
        return "late"
    return "missed"
