"""The one place the bot reads the time, so tests can replace it; and local dates.

Everything stored is UTC; a person's calendar day is worked out at the edges with
:func:`local_date` in their own IANA time zone (:func:`zone_of`). Any layer may import this
module, and it imports nothing from ``bot``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Protocol


class Clock(Protocol):
    """Something that says what time it is, always timezone-aware UTC."""

    def now(self) -> dt.datetime:
        """Return the current instant as an aware UTC datetime."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> dt.datetime:
        """Return the current instant as an aware UTC datetime."""
        return dt.datetime.now(dt.UTC)


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        """Return the instant the test set."""
        return self._now

    def set(self, when: dt.datetime) -> None:
        """Jump to ``when`` (aware)."""
        if when.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = when.astimezone(dt.UTC)

    def advance(self, delta: dt.timedelta) -> None:
        """Move forward by ``delta``."""
        self._now += delta


class HasTimezone(Protocol):
    """Anything with an IANA time zone name (a stored person)."""

    @property
    def timezone(self) -> str | None:
        """The IANA name, e.g. "Europe/Berlin" (None or unknown: UTC)."""
        ...


def zone_of(name: str | None) -> dt.tzinfo:
    """Return the time zone named ``name`` (an IANA name), or UTC if it is unset or unknown."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def local_date(person: HasTimezone, now: dt.datetime) -> dt.date:
    """Return the person's calendar date at ``now`` in their own time zone."""
    return now.astimezone(zone_of(person.timezone)).date()
