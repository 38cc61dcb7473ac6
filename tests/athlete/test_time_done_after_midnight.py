"""/done just after local midnight reports the evening's session of the day before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.store.models import SessionReportRecord
from tests.athlete.conftest import Phone, World

BERLIN = ZoneInfo("Europe/Berlin")
NO_CHECKIN_NOTE = "I have no check-in from you today yet"


async def finish_report(alex: Phone) -> None:
    """Answer the open session report by buttons, from its first question to saving it."""
    await alex.tap("All of it")
    await alex.tap("0")  # no pain
    await alex.tap("No")  # no sharp pain
    await alex.tap("None of these ✅")
    for label in ("1", "No", "8", "4", "45", "Skip"):
        await alex.tap(label)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    await alex.tap("No numbers today")


def report_days(w: World) -> list[dt.date]:
    """Return the local dates of the stored session reports, in order."""
    rows: list[SessionReportRecord] = w.read(
        lambda s: list(
            s.exec(select(SessionReportRecord).order_by(col(SessionReportRecord.local_date)))
        )
    )
    return [r.local_date for r in rows]


async def test_done_after_midnight_reports_last_nights_session(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()  # 2 March, 08:00 in Berlin, check-in time 07:30
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    # Trains late on 3 March and reports at 00:15 on 4 March, before checking in.
    w.clock.set(dt.datetime(2026, 3, 4, 0, 15, tzinfo=BERLIN))
    replies = await alex.say("/done")
    texts = [m.text or "" for m in replies]
    assert not any(NO_CHECKIN_NOTE in t for t in texts), texts
    assert "3 March 2026" in texts[-1]  # says which day's session this is
    await finish_report(alex)
    assert report_days(w) == [dt.date(2026, 3, 3)]
    # It is already the next day: the next check-in is this morning's, not tomorrow's.
    assert "Next: your check-in this morning" in alex.last, alex.last
    # 4 March's own session, reported that evening, is not refused as already reported.
    w.clock.set(dt.datetime(2026, 3, 4, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 4, 19, 0, tzinfo=BERLIN))
    replies = await alex.say("/done")
    assert "already reported" not in (replies[-1].text or "")
    assert "March 2026" not in (replies[-1].text or "")
    await finish_report(alex)
    assert report_days(w) == [dt.date(2026, 3, 3), dt.date(2026, 3, 4)]


async def test_done_after_the_check_in_time_is_for_the_new_day(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    # 09:00 on 4 March, past the 07:30 check-in time: the night is over.
    w.clock.set(dt.datetime(2026, 3, 4, 9, 0, tzinfo=BERLIN))
    replies = await alex.say("/done")
    assert NO_CHECKIN_NOTE in (replies[0].text or "")
    await finish_report(alex)
    assert report_days(w) == [dt.date(2026, 3, 4)]


async def test_done_after_midnight_when_last_night_is_reported_is_for_the_new_day(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 3, 20, 0, tzinfo=BERLIN))
    await alex.say("/done")
    await finish_report(alex)
    w.clock.set(dt.datetime(2026, 3, 4, 0, 15, tzinfo=BERLIN))
    replies = await alex.say("/done")
    assert "already reported" not in (replies[-1].text or "")
    await finish_report(alex)
    assert report_days(w) == [dt.date(2026, 3, 3), dt.date(2026, 3, 4)]


async def test_a_check_in_finished_after_midnight_names_the_day_it_counts_for(
    world: Callable[[], Awaitable[World]],
) -> None:
    """Started at 23:58 on 4 March, last answer at 00:03 on 5 March: stored for 4 March, and
    its "Train as planned today" at 00:03 must not read as the new day's."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 4, 23, 58, tzinfo=BERLIN))
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    for label in ("0", "1", "1", "8", "2", "2", "2", "2"):
        await alex.tap(label)
    w.clock.set(dt.datetime(2026, 3, 5, 0, 3, tzinfo=BERLIN))
    replies = await alex.say("7.5")
    first = replies[0].text or ""
    assert first.startswith("🗓 This check-in counts for"), first
    assert "4 March 2026" in first and "Your next check-in is this morning." in first
    # A check-in finished the same day says nothing of the kind.
    w.clock.set(dt.datetime(2026, 3, 5, 8, 0, tzinfo=BERLIN))
    assert not (await alex.morning())[0].text.startswith("🗓")  # type: ignore[union-attr]
