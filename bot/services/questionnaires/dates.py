"""A day the athlete named: a calendar date, or a number of days back from when they said it.

"Today" and "Yesterday" mean the athlete's own day. During onboarding the injury date is asked
before the time zone, so the athlete's day is not known yet when they answer: a relative
answer keeps the moment it was given and is turned into a date once the zone is chosen
(23:00 on 1 March in Los Angeles is 07:00 on 2 March in UTC, and "Today" there is 1 March).
A typed calendar date is kept as typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.clock import zone_of
from bot.services.questionnaires.model import QuestionContext

DAYS_BACK = "days_back"
SAID_AT = "said_at"


def days_back_answer(days: int, ctx: QuestionContext) -> Any:
    """Return the stored value of "``days`` days before the day this is said": the days and
    the moment, when the context knows it; otherwise the date in the context's day."""
    if ctx.now is None:
        today = ctx.today or dt.date.today()
        return (today - dt.timedelta(days=days)).isoformat()
    return {DAYS_BACK: days, SAID_AT: ctx.now.isoformat()}


def days_back_of(value: Any) -> int | None:
    """Return how many days back a relative answer names (None for a calendar date)."""
    if isinstance(value, dict) and isinstance(value.get(DAYS_BACK), int):
        return int(value[DAYS_BACK])
    return None


def day_in_zone(value: Any, zone: str | None) -> dt.date | None:
    """Return the calendar date a stored day answer names for someone living in ``zone``
    (an IANA name; UTC when unknown), or None when there is no valid answer."""
    days = days_back_of(value)
    if days is not None:
        try:
            said = dt.datetime.fromisoformat(str(value.get(SAID_AT)))
        except ValueError:
            return None
        if said.tzinfo is None:
            said = said.replace(tzinfo=dt.UTC)
        return said.astimezone(zone_of(zone)).date() - dt.timedelta(days=days)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None
