"""Pure due-time arithmetic: local wall-clock times in an IANA zone to UTC instants.

Rules (decided by the lead, tested in tests/scheduling/test_times.py):

* A local time that does not exist that night (clocks spring forward over it) is due at the
  first valid instant after the gap, i.e. the moment the clocks jump. 07:00 never falls in a
  gap in the zones we test, but a 02:30 check-in in Europe/London on the last Sunday of March
  is due at 02:00 BST (01:00 UTC), not at PEP 495's 03:30 BST.
* A local time that occurs twice (clocks fall back) is due once, at its first occurrence
  (``fold=0``).
* Date arithmetic ("tomorrow at 07:00") is done on local dates, never by adding 24 h to a UTC
  instant, so 07:00 stays 07:00 across DST.

Nothing here reads the clock: every function takes the instant it needs as an argument.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC


class UnknownTimezoneError(ValueError):
    """Raised when a time-zone name is not an IANA zone that zoneinfo can load."""


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """Return the ZoneInfo for IANA ``name``; raise UnknownTimezoneError naming what is expected."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimezoneError(
            f"unknown time zone {name!r}: expected an IANA name such as 'Europe/London'"
        ) from exc


def as_utc(instant: dt.datetime) -> dt.datetime:
    """Return aware ``instant`` in UTC; naive datetimes are refused (they hide bugs)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {instant.isoformat()}")
    return instant.astimezone(UTC)


def is_nonexistent(local_date: dt.date, local_time: dt.time, tz: str) -> bool:
    """Return True when ``local_time`` on ``local_date`` falls in a spring-forward gap of ``tz``."""
    wall = dt.datetime.combine(local_date, local_time, tzinfo=zone(tz))
    round_trip = wall.astimezone(UTC).astimezone(zone(tz))
    return round_trip.replace(tzinfo=None) != wall.replace(tzinfo=None)


def is_ambiguous(local_date: dt.date, local_time: dt.time, tz: str) -> bool:
    """Return True when ``local_time`` on ``local_date`` occurs twice in ``tz`` (fall-back hour)."""
    first = dt.datetime.combine(local_date, local_time, tzinfo=zone(tz)).replace(fold=0)
    second = first.replace(fold=1)
    return first.utcoffset() != second.utcoffset() and not is_nonexistent(
        local_date, local_time, tz
    )


def _gap_end(local_date: dt.date, local_time: dt.time, tz: str) -> dt.datetime:
    """Return the UTC instant at which the gap containing the non-existent wall time ends."""
    zi = zone(tz)
    wall = dt.datetime.combine(local_date, local_time, tzinfo=zi)
    # fold=0 applies the offset from before the jump, fold=1 the one after; the transition
    # instant lies between the two readings.
    late = wall.replace(fold=0).astimezone(UTC)
    early = wall.replace(fold=1).astimezone(UTC)
    low, high = min(early, late), max(early, late)
    after_offset = high.astimezone(zi).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        mid = low + (high - low) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zi).utcoffset() == after_offset:
            high = mid
        else:
            low = mid
    return high


def local_to_utc(local_date: dt.date, local_time: dt.time, tz: str) -> dt.datetime:
    """Return the UTC instant at which ``local_time`` on ``local_date`` happens in ``tz``.

    A wall time inside a spring-forward gap maps to the end of the gap (to the second before
    it when the gap reaches past midnight); an ambiguous one maps to its first occurrence.
    """
    if local_time.tzinfo is not None:
        raise ValueError("local_time must be a naive wall-clock time; the zone is passed as tz")
    if is_nonexistent(local_date, local_time, tz):
        end = _gap_end(local_date, local_time, tz)
        if end.astimezone(zone(tz)).date() > local_date:
            return end - dt.timedelta(seconds=1)  # the gap reaches past midnight
        return end
    wall = dt.datetime.combine(local_date, local_time.replace(fold=0), tzinfo=zone(tz))
    return wall.astimezone(UTC)


def local_date_at(instant: dt.datetime, tz: str) -> dt.date:
    """Return the calendar date in ``tz`` at aware ``instant``."""
    return as_utc(instant).astimezone(zone(tz)).date()


def next_local_occurrence(
    local_time: dt.time, tz: str, *, after: dt.datetime, not_before_date: dt.date | None = None
) -> tuple[dt.date, dt.datetime]:
    """Return ``(local_date, due_utc)`` of the first ``local_time`` in ``tz`` after ``after``.

    ``not_before_date`` lets the caller skip local dates that were already served (for example
    after a time-zone change, the date whose morning prompt went out in the old zone).
    """
    after_utc = as_utc(after)
    day = local_date_at(after_utc, tz) - dt.timedelta(days=1)
    if not_before_date is not None and not_before_date > day:
        day = not_before_date
    while True:
        due = local_to_utc(day, local_time, tz)
        if due > after_utc:
            return day, due
        day += dt.timedelta(days=1)


def parse_local_time(text: str) -> dt.time:
    """Return the time written ``HH:MM`` (24 h); raise ValueError saying what is expected."""
    try:
        hours, minutes = text.strip().split(":")
        value = dt.time(int(hours), int(minutes))
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is not a time: expected HH:MM in 24-hour form, e.g. 07:00"
        ) from exc
    return value
