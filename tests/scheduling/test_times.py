"""Due-time arithmetic across DST: 07:00 stays 07:00 local, gaps and repeats are handled once."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from bot.scheduling.times import (
    UnknownTimezoneError,
    is_ambiguous,
    is_nonexistent,
    local_date_at,
    local_to_utc,
    next_local_occurrence,
    parse_local_time,
)

SEVEN = dt.time(7, 0)
Z = dt.UTC

# (zone, local date, expected UTC instant of 07:00 local) on both sides of each DST change in 2026.
DST_EDGES = [
    ("Europe/London", dt.date(2026, 3, 28), dt.datetime(2026, 3, 28, 7, 0, tzinfo=Z)),
    ("Europe/London", dt.date(2026, 3, 29), dt.datetime(2026, 3, 29, 6, 0, tzinfo=Z)),
    ("Europe/London", dt.date(2026, 10, 24), dt.datetime(2026, 10, 24, 6, 0, tzinfo=Z)),
    ("Europe/London", dt.date(2026, 10, 25), dt.datetime(2026, 10, 25, 7, 0, tzinfo=Z)),
    ("America/Los_Angeles", dt.date(2026, 3, 7), dt.datetime(2026, 3, 7, 15, 0, tzinfo=Z)),
    ("America/Los_Angeles", dt.date(2026, 3, 8), dt.datetime(2026, 3, 8, 14, 0, tzinfo=Z)),
    ("America/Los_Angeles", dt.date(2026, 10, 31), dt.datetime(2026, 10, 31, 14, 0, tzinfo=Z)),
    ("America/Los_Angeles", dt.date(2026, 11, 1), dt.datetime(2026, 11, 1, 15, 0, tzinfo=Z)),
    ("Pacific/Auckland", dt.date(2026, 4, 4), dt.datetime(2026, 4, 3, 18, 0, tzinfo=Z)),
    ("Pacific/Auckland", dt.date(2026, 4, 5), dt.datetime(2026, 4, 4, 19, 0, tzinfo=Z)),
    ("Pacific/Auckland", dt.date(2026, 9, 26), dt.datetime(2026, 9, 25, 19, 0, tzinfo=Z)),
    ("Pacific/Auckland", dt.date(2026, 9, 27), dt.datetime(2026, 9, 26, 18, 0, tzinfo=Z)),
    ("Asia/Kolkata", dt.date(2026, 3, 29), dt.datetime(2026, 3, 29, 1, 30, tzinfo=Z)),
    ("Asia/Kolkata", dt.date(2026, 10, 25), dt.datetime(2026, 10, 25, 1, 30, tzinfo=Z)),
]


@pytest.mark.parametrize(("tz", "day", "expected"), DST_EDGES)
def test_seven_am_local_on_both_sides_of_each_dst_change(
    tz: str, day: dt.date, expected: dt.datetime
) -> None:
    assert local_to_utc(day, SEVEN, tz) == expected


@pytest.mark.parametrize(
    "tz", ["Pacific/Auckland", "Asia/Kolkata", "Europe/London", "America/Los_Angeles"]
)
def test_a_year_of_daily_occurrences_is_one_per_local_day_at_seven(tz: str) -> None:
    after = dt.datetime(2026, 1, 1, tzinfo=Z)
    seen: list[dt.date] = []
    for _ in range(365):
        day, due = next_local_occurrence(SEVEN, tz, after=after)
        local = due.astimezone(ZoneInfo(tz))
        assert (local.hour, local.minute) == (7, 0)
        assert local.date() == day
        seen.append(day)
        after = due
    gaps = {(b - a).days for a, b in itertools.pairwise(seen)}
    assert gaps == {1}, "a local day was skipped or served twice"


def test_time_inside_spring_forward_gap_is_due_when_the_clocks_jump() -> None:
    # London jumps from 01:00 GMT to 02:00 BST on 29 March 2026: 01:30 does not exist.
    day = dt.date(2026, 3, 29)
    assert is_nonexistent(day, dt.time(1, 30), "Europe/London")
    assert local_to_utc(day, dt.time(1, 30), "Europe/London") == dt.datetime(
        2026, 3, 29, 1, 0, tzinfo=Z
    )
    # Los Angeles: 02:30 on 8 March 2026 -> 03:00 PDT = 10:00 UTC.
    assert local_to_utc(dt.date(2026, 3, 8), dt.time(2, 30), "America/Los_Angeles") == (
        dt.datetime(2026, 3, 8, 10, 0, tzinfo=Z)
    )


def test_half_hour_dst_gap_is_found_too() -> None:
    # Lord Howe Island moves its clocks by 30 minutes (02:00 -> 02:30 on 4 October 2026).
    due = local_to_utc(dt.date(2026, 10, 4), dt.time(2, 15), "Australia/Lord_Howe")
    assert due == dt.datetime(2026, 10, 3, 15, 30, tzinfo=Z)


def test_repeated_time_on_fall_back_is_due_once_at_first_occurrence() -> None:
    day = dt.date(2026, 10, 25)
    assert is_ambiguous(day, dt.time(1, 30), "Europe/London")
    # First 01:30 is BST (00:30 UTC); the second, an hour later, is not used.
    assert local_to_utc(day, dt.time(1, 30), "Europe/London") == dt.datetime(
        2026, 10, 25, 0, 30, tzinfo=Z
    )
    occurrences = []
    after = dt.datetime(2026, 10, 24, 12, 0, tzinfo=Z)
    for _ in range(2):
        d, due = next_local_occurrence(dt.time(1, 30), "Europe/London", after=after)
        occurrences.append((d, due))
        after = due
    assert [d for d, _ in occurrences] == [dt.date(2026, 10, 25), dt.date(2026, 10, 26)]


def test_next_occurrence_skips_dates_already_served() -> None:
    after = dt.datetime(2026, 6, 10, 3, 0, tzinfo=Z)  # 04:00 in London, before 07:00
    day, _ = next_local_occurrence(SEVEN, "Europe/London", after=after)
    assert day == dt.date(2026, 6, 10)
    day, due = next_local_occurrence(
        SEVEN, "Europe/London", after=after, not_before_date=dt.date(2026, 6, 11)
    )
    assert day == dt.date(2026, 6, 11)
    assert due == dt.datetime(2026, 6, 11, 6, 0, tzinfo=Z)


def test_local_date_depends_on_zone() -> None:
    instant = dt.datetime(2026, 6, 10, 20, 0, tzinfo=Z)
    assert local_date_at(instant, "Pacific/Auckland") == dt.date(2026, 6, 11)
    assert local_date_at(instant, "America/Los_Angeles") == dt.date(2026, 6, 10)


def test_unknown_zone_and_bad_times_are_refused_with_a_clear_message() -> None:
    with pytest.raises(UnknownTimezoneError, match="IANA name"):
        local_to_utc(dt.date(2026, 1, 1), SEVEN, "Mars/Olympus")
    with pytest.raises(ValueError, match="HH:MM"):
        parse_local_time("7am")
    assert parse_local_time("06:45") == dt.time(6, 45)
    with pytest.raises(ValueError, match="aware"):
        next_local_occurrence(SEVEN, "UTC", after=dt.datetime(2026, 1, 1))
