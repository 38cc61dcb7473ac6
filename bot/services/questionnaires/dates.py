"""A day the athlete named: a calendar date, or a number of days back from when they said it.

"Today" and "Yesterday" mean the athlete's own day. During onboarding the injury date is asked
before the time zone, so the athlete's day is not known yet when they answer: a relative
answer keeps the moment it was given and is turned into a date once the zone is chosen
(23:00 on 1 March in Los Angeles is 07:00 on 2 March in UTC, and "Today" there is 1 March).
A typed calendar date is kept as typed; until the zone is known it is checked against the
latest day it is anywhere on Earth, and once the zone is chosen a date after the athlete's
own today is asked again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bot.clock import zone_of
from bot.services.questionnaires.model import QuestionContext

DAYS_BACK = "days_back"
SAID_AT = "said_at"
# Onboarding's second injury-date question, asked when the first answer is after the
# athlete's own today once their zone is known.
INJURY_DATE_AGAIN = "injury_date_again"
# The easternmost zones (Kiribati) are UTC+14: no one's today is later than UTC's + 14 h.
_LATEST_OFFSET = dt.timedelta(hours=14)


def chosen_zone(answers: Mapping[str, Any]) -> str | None:
    """Return the IANA zone chosen: a city button, or a zone typed/located at the region step."""
    zone = answers.get("timezone")
    if isinstance(zone, str):
        return zone
    region = answers.get("tz_region")
    return region if isinstance(region, str) and "/" in region else None


def own_today(ctx: QuestionContext, answers: Mapping[str, Any]) -> dt.date:
    """Return the athlete's today: in the zone they chose (or have), else, when their zone is
    not known yet, the latest day it is anywhere (a date typed then is checked again once it
    is known)."""
    zone = chosen_zone(answers) or ctx.zone
    if ctx.now is None:
        return ctx.today or dt.date.today()
    if zone is not None:
        return ctx.now.astimezone(zone_of(zone)).date()
    return (ctx.now.astimezone(dt.UTC) + _LATEST_OFFSET).date()


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


def injury_day(answers: Mapping[str, Any], zone: str | None) -> dt.date | None:
    """Return the injury date of the onboarding answers for someone living in ``zone``: the
    date given again when the first one was after their today (a new first answer drops it),
    else the first."""
    again = day_in_zone(answers.get(INJURY_DATE_AGAIN), zone)
    return again if again is not None else day_in_zone(answers.get("injury_date"), zone)
