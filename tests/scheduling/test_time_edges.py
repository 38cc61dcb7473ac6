"""Time edges a real athlete meets, on the real Application over the Bot API sandbox: a
check-in time inside a DST gap or overlap, odd offsets and half-hour DST, southern-hemisphere
DST, a new time zone or check-in time after today's prompt, and prompts at 00:00 and 23:59.

The rule: one morning prompt per local date at the chosen local time (a time the clocks jump
over comes when they jump; a time that happens twice comes the first time), and the
post-session prompt at the session end time, in the athlete's local time across DST.

Athletes cannot choose a check-in time between 01:00 and 03:59 (clock changes happen then),
so the European, American and Australian edges are met by a time stored before that rule or
set in the database; the zones whose clocks change at midnight (Havana, Beirut, Cairo,
Santiago) meet them with times an athlete types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.sandbox import TranscriptMessage
from bot.scheduling.registry import registry_of
from bot.scheduling.schedule import reschedule_athlete
from bot.scheduling.tick import Scheduler, run_tick
from bot.scheduling.times import local_to_utc
from bot.store.db import session_scope
from bot.store.models import MorningCheckinRecord, Outbox
from bot.store.repo.people import update_person
from tests.athlete.conftest import Phone, World, db, services, world
from tests.athlete.test_time_first_prompt import onboard_with_checkin_time
from tests.scheduling.helpers import next_due

__all__ = ["db", "services", "world"]

WorldFactory = Callable[[], Awaitable[World]]
Z = dt.UTC
DAY = dt.timedelta(days=1)


def _said(replies: list[TranscriptMessage]) -> str:
    return "\n".join(m.text or "" for m in replies)


async def _athlete(
    w: World,
    user_id: int,
    *,
    onboard_at: dt.datetime,
    zone: str,
    checkin: str,
    stored: bool = False,
) -> Phone:
    """Onboard an athlete at ``onboard_at`` (Berlin), move them to ``zone`` with /timezone and
    set ``checkin`` with /settings as an athlete does; ``stored``: a time the settings refuse
    (01:00-03:59), written to the database as one stored before that rule."""
    w.clock.set(onboard_at)
    phone = w.phone(user_id)
    await onboard_with_checkin_time(phone, "07:30")
    if zone != "Europe/Berlin":
        await phone.say("/timezone")
        said = _said(await phone.say(zone))
        assert "Saved" in said, said
    if stored:
        person = w.person(user_id)
        assert person is not None and person.id is not None
        with session_scope(w.engine) as session:
            update_person(session, person_id=person.id, checkin_time=checkin)
            reschedule_athlete(session, person.id, now=w.clock.now())
    elif checkin != "07:30":
        await phone.say("/settings")
        await phone.tap("Check-in time")
        said = _said(await phone.say(checkin))
        assert f"Morning check-in: {checkin}" in said, said
    return phone


def _scheduler(w: World) -> Scheduler:
    return Scheduler(
        engine=w.engine, clock=w.clock, senders=registry_of(w.running.application.bot_data)
    )


async def _live(w: World, until: dt.datetime) -> None:
    """Run the scheduler as production does up to ``until``: a tick at every instant a prompt
    falls due (and at ``until``), each tick's messages delivered to Telegram at once."""
    scheduler = _scheduler(w)
    while True:
        await run_tick(scheduler)
        await w.deliver()
        due = next_due(w.engine)
        if due is None or due > until:
            break
        w.clock.set(max(due, w.clock.now()))
    w.clock.set(until)
    await run_tick(scheduler)
    await w.deliver()


def _delivered(w: World, phone: Phone, kind: str, zone: str) -> list[dt.datetime]:
    """When each prompt of ``kind`` reached the athlete's phone, in ``zone``'s wall time."""
    ids = set(
        w.read(
            lambda s: s.exec(
                select(Outbox.telegram_message_id).where(
                    Outbox.chat_id == phone.user.user_id, Outbox.kind == kind
                )
            ).all()
        )
    )
    zi = ZoneInfo(zone)
    return [m.date.astimezone(zi) for m in phone.user.bot_messages if m.message_id in ids]


def _just_after(zone: str, day: dt.date, at: str) -> dt.datetime:
    """Two hours after ``at`` local on ``day``: when its prompt has surely come."""
    return local_to_utc(day, dt.time.fromisoformat(at), zone) + dt.timedelta(hours=2)


def _wall(times: list[dt.datetime]) -> list[str]:
    return [t.strftime("%Y-%m-%d %H:%M %z") for t in times]


def _mornings(w: World, phone: Phone, zone: str) -> list[str]:
    """The morning prompts the athlete got: 'YYYY-MM-DD HH:MM +offset', local."""
    return _wall(_delivered(w, phone, "prompt_morning", zone))


def _expected(zone: str, first: dt.date, days: int, at: str, odd: dict[dt.date, str]) -> list[str]:
    """``at`` local on each of ``days`` dates from ``first`` (``odd``: the DST day's wall time,
    with its offset), as _mornings shows them."""
    zi = ZoneInfo(zone)
    out = []
    for n in range(days):
        day = first + n * DAY
        if day in odd:
            out.append(f"{day} {odd[day]}")
            continue
        wall = dt.datetime.combine(day, dt.time.fromisoformat(at), tzinfo=zi)
        out.append(wall.strftime("%Y-%m-%d %H:%M %z"))
    return out


# --- A check-in time the clocks jump over: prompted once that day, when they jump --------

GAPS = [
    # zone, check-in, stored (the settings refuse it), gap day, wall time of that day's prompt
    ("Europe/Berlin", "02:30", True, dt.date(2026, 3, 29), "03:00 +0200"),
    ("America/New_York", "02:30", True, dt.date(2026, 3, 8), "03:00 -0400"),
    ("Australia/Sydney", "02:30", True, dt.date(2026, 10, 4), "03:00 +1100"),
    ("Australia/Lord_Howe", "02:15", True, dt.date(2026, 10, 4), "02:30 +1100"),
    ("America/Havana", "00:00", False, dt.date(2026, 3, 8), "01:00 -0400"),
    ("Asia/Beirut", "00:00", False, dt.date(2026, 3, 29), "01:00 +0300"),
    ("Africa/Cairo", "00:30", False, dt.date(2026, 4, 24), "01:00 +0300"),
    ("America/Santiago", "00:00", False, dt.date(2026, 9, 6), "01:00 -0300"),
    # Nuuk jumps from 23:00 on Saturday straight to Sunday: the prompt stays on Saturday,
    # in its last second before the jump.
    ("America/Nuuk", "23:30", False, dt.date(2026, 3, 28), "22:59 -0200"),
]


@pytest.mark.parametrize(("zone", "checkin", "stored", "day", "wall"), GAPS)
async def test_a_check_in_time_the_clocks_jump_over_is_prompted_once_when_they_jump(
    world: WorldFactory, zone: str, checkin: str, stored: bool, day: dt.date, wall: str
) -> None:
    w = await world()
    zi = ZoneInfo(zone)
    # Onboarded at noon three days before: prompts on the two days before, the day, the day after.
    onboard_at = dt.datetime.combine(day - 3 * DAY, dt.time(12), tzinfo=zi)
    alex = await _athlete(w, 1101, onboard_at=onboard_at, zone=zone, checkin=checkin, stored=stored)
    await _live(w, _just_after(zone, day + DAY, checkin))
    assert _mornings(w, alex, zone) == _expected(zone, day - 2 * DAY, 4, checkin, {day: wall})


async def test_a_check_in_time_in_the_hours_clocks_change_is_refused_with_why(
    world: WorldFactory,
) -> None:
    w = await world()
    alex = await _athlete(
        w,
        1102,
        onboard_at=dt.datetime(2026, 3, 26, 12, tzinfo=Z),
        zone="Europe/Berlin",
        checkin="07:30",
    )
    await alex.say("/settings")
    await alex.tap("Check-in time")
    said = _said(await alex.say("2:30"))
    assert "outside 01:00–03:59 (clock changes happen then)" in said, said


# --- A check-in time that happens twice: prompted once, the first time -------------------

OVERLAPS = [
    ("Europe/Berlin", "02:30", True, dt.date(2026, 10, 25), "02:30 +0200"),
    ("Australia/Sydney", "02:30", True, dt.date(2026, 4, 5), "02:30 +1100"),
    ("Australia/Lord_Howe", "01:45", True, dt.date(2026, 4, 5), "01:45 +1100"),
    ("America/Havana", "00:30", False, dt.date(2026, 11, 1), "00:30 -0400"),
    ("Asia/Beirut", "23:59", False, dt.date(2026, 10, 24), "23:59 +0300"),
    ("America/Santiago", "23:30", False, dt.date(2026, 4, 4), "23:30 -0300"),
    ("Africa/Cairo", "23:45", False, dt.date(2026, 10, 29), "23:45 +0300"),
]


@pytest.mark.parametrize(("zone", "checkin", "stored", "day", "wall"), OVERLAPS)
async def test_a_check_in_time_that_happens_twice_is_prompted_once(
    world: WorldFactory, zone: str, checkin: str, stored: bool, day: dt.date, wall: str
) -> None:
    w = await world()
    zi = ZoneInfo(zone)
    onboard_at = dt.datetime.combine(day - 3 * DAY, dt.time(12), tzinfo=zi)
    alex = await _athlete(w, 1103, onboard_at=onboard_at, zone=zone, checkin=checkin, stored=stored)
    await _live(w, _just_after(zone, day + DAY, checkin))
    assert _mornings(w, alex, zone) == _expected(zone, day - 2 * DAY, 4, checkin, {day: wall})


# --- Odd offsets, half-hour DST, southern-hemisphere DST: 07:00 and 18:00 stay local -------

WEEKS = [
    ("Asia/Kathmandu", dt.date(2026, 3, 26)),  # +05:45, no DST
    ("Australia/Lord_Howe", dt.date(2026, 4, 2)),  # 30-minute fall back on 5 April
    ("Australia/Lord_Howe", dt.date(2026, 10, 1)),  # 30-minute spring forward on 4 October
    ("Australia/Sydney", dt.date(2026, 4, 2)),  # back on the first Sunday of April
    ("Australia/Sydney", dt.date(2026, 10, 1)),  # forward on the first Sunday of October
]


@pytest.mark.parametrize(("zone", "onboarding_day"), WEEKS)
async def test_prompts_keep_their_local_times_in_odd_offsets_and_southern_dst(
    world: WorldFactory, zone: str, onboarding_day: dt.date
) -> None:
    """Morning prompt at 07:00 and post-session prompt at 18:00 local on each of six days
    around the change, once each."""
    w = await world()
    zi = ZoneInfo(zone)
    onboard_at = dt.datetime.combine(onboarding_day, dt.time(12), tzinfo=zi)
    alex = await _athlete(w, 1104, onboard_at=onboard_at, zone=zone, checkin="07:00")
    first = onboarding_day + DAY
    await _live(w, dt.datetime.combine(first + 5 * DAY, dt.time(20), tzinfo=zi))
    assert _mornings(w, alex, zone) == _expected(zone, first, 6, "07:00", {})
    posts = _wall(_delivered(w, alex, "prompt_post_session", zone))
    assert posts == _expected(zone, first, 6, "18:00", {})


# --- A new time zone after today's prompt ---------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


async def test_a_flight_west_after_todays_prompt_is_not_prompted_again_that_day(
    world: WorldFactory,
) -> None:
    """Berlin's 07:30 prompt out on Wednesday; at 07:40 the athlete is in New York, where it
    is 01:40 on Wednesday and 07:30 still ahead: no second Wednesday prompt there."""
    w = await world()
    alex = await _athlete(
        w,
        1105,
        onboard_at=dt.datetime(2026, 6, 9, 12, tzinfo=BERLIN),
        zone="Europe/Berlin",
        checkin="07:30",
    )
    await _live(w, dt.datetime(2026, 6, 10, 7, 40, tzinfo=BERLIN))
    await alex.say("/timezone")
    said = _said(await alex.say("America/New_York"))
    assert "Saved" in said and "passed" not in said, said
    await _live(w, dt.datetime(2026, 6, 12, 12, tzinfo=NEW_YORK))
    assert _mornings(w, alex, "UTC") == [
        "2026-06-10 05:30 +0000",  # 07:30 in Berlin
        "2026-06-11 11:30 +0000",  # 07:30 in New York
        "2026-06-12 11:30 +0000",
    ]


async def test_a_flight_east_into_a_day_whose_check_in_time_has_passed_says_so(
    world: WorldFactory,
) -> None:
    """New York's 07:30 prompt out and answered on Wednesday; at 20:00 the athlete is in Tokyo,
    where it is 09:00 on Thursday and 07:30 has passed. Thursday is not lost in silence: the
    athlete is told at once that the next prompt is tomorrow's and /checkin checks in today;
    that check-in counts for Thursday, and Friday is prompted once, at 07:30 in Tokyo."""
    w = await world()
    alex = await _athlete(
        w,
        1106,
        onboard_at=dt.datetime(2026, 6, 9, 12, tzinfo=NEW_YORK),
        zone="America/New_York",
        checkin="07:30",
    )
    await _live(w, dt.datetime(2026, 6, 10, 7, 35, tzinfo=NEW_YORK))
    await alex.morning()
    w.clock.set(dt.datetime(2026, 6, 10, 20, 0, tzinfo=NEW_YORK))
    await alex.say("/timezone")
    said = _said(await alex.say("Asia/Tokyo"))
    assert "That time has passed today" in said and "/checkin" in said, said
    await alex.morning()
    person = w.person(1106)
    assert person is not None
    days = w.read(
        lambda s: sorted(
            s.exec(
                select(MorningCheckinRecord.local_date).where(
                    MorningCheckinRecord.athlete_id == person.id
                )
            ).all()
        )
    )
    assert days == [dt.date(2026, 6, 10), dt.date(2026, 6, 11)]
    await _live(w, dt.datetime(2026, 6, 13, 12, tzinfo=TOKYO))
    assert _mornings(w, alex, "UTC") == [
        "2026-06-10 11:30 +0000",  # 07:30 in New York
        "2026-06-11 22:30 +0000",  # 07:30 on Friday 12 June in Tokyo
        "2026-06-12 22:30 +0000",
    ]


# --- A check-in time changed after today's prompt ------------------------------------------


@pytest.mark.parametrize("new_time", ["06:00", "10:00"])
async def test_a_new_check_in_time_after_todays_prompt_starts_tomorrow(
    world: WorldFactory, new_time: str
) -> None:
    """07:30 prompt out; at 08:00 the athlete sets 06:00 (passed) or 10:00 (still ahead): no
    second prompt today, none lost, no "that time has passed" (today had its prompt)."""
    w = await world()
    alex = await _athlete(
        w,
        1107,
        onboard_at=dt.datetime(2026, 6, 9, 12, tzinfo=BERLIN),
        zone="Europe/Berlin",
        checkin="07:30",
    )
    await _live(w, dt.datetime(2026, 6, 10, 8, 0, tzinfo=BERLIN))
    await alex.say("/settings")
    await alex.tap("Check-in time")
    said = _said(await alex.say(new_time))
    assert f"Morning check-in: {new_time}" in said and "passed" not in said, said
    await _live(w, dt.datetime(2026, 6, 12, 12, tzinfo=BERLIN))
    assert _mornings(w, alex, "Europe/Berlin") == [
        "2026-06-10 07:30 +0200",
        f"2026-06-11 {new_time} +0200",
        f"2026-06-12 {new_time} +0200",
    ]


async def test_a_check_in_time_set_to_one_already_passed_today_is_said_and_not_prompted_twice(
    world: WorldFactory,
) -> None:
    """Tuesday 08:00 in Berlin, today's 09:00 prompt still to come: the athlete sets 07:00,
    already passed. Today gets no prompt (none at 07:00 yesterday's way, none at 09:00), the
    athlete is told so and how to check in today; from Wednesday it comes at 07:00."""
    w = await world()
    alex = await _athlete(
        w,
        1110,
        onboard_at=dt.datetime(2026, 6, 8, 12, tzinfo=BERLIN),
        zone="Europe/Berlin",
        checkin="09:00",
    )
    await _live(w, dt.datetime(2026, 6, 9, 8, 0, tzinfo=BERLIN))
    await alex.say("/settings")
    await alex.tap("Check-in time")
    said = _said(await alex.say("7:00"))
    assert "That time has passed today" in said and "/checkin" in said, said
    await _live(w, dt.datetime(2026, 6, 11, 12, tzinfo=BERLIN))
    assert _mornings(w, alex, "Europe/Berlin") == [
        "2026-06-10 07:00 +0200",
        "2026-06-11 07:00 +0200",
    ]


# --- Midnight and the day's last minute across a DST change --------------------------------


@pytest.mark.parametrize(
    ("zone", "checkin", "onboarding_day"),
    [
        ("Europe/Berlin", "00:00", dt.date(2026, 3, 26)),
        ("Europe/Berlin", "23:59", dt.date(2026, 3, 26)),
        ("Europe/Berlin", "00:00", dt.date(2026, 10, 22)),
        ("Europe/Berlin", "23:59", dt.date(2026, 10, 22)),
        ("America/New_York", "23:59", dt.date(2026, 10, 29)),
        ("Australia/Sydney", "00:00", dt.date(2026, 10, 1)),
    ],
)
async def test_midnight_and_2359_prompts_come_once_a_day_on_their_own_date(
    world: WorldFactory, zone: str, checkin: str, onboarding_day: dt.date
) -> None:
    w = await world()
    zi = ZoneInfo(zone)
    onboard_at = dt.datetime.combine(onboarding_day, dt.time(12), tzinfo=zi)
    alex = await _athlete(w, 1108, onboard_at=onboard_at, zone=zone, checkin=checkin)
    first = onboarding_day + DAY
    await _live(w, _just_after(zone, first + 4 * DAY, checkin))
    assert _mornings(w, alex, zone) == _expected(zone, first, 5, checkin, {})


@pytest.mark.parametrize(
    ("checkin", "posts_at"),
    [
        # The post-session prompt comes an hour after a check-in later than the session end.
        ("22:30", ["2026-06-10 23:30 +0200", "2026-06-11 23:30 +0200", "2026-06-12 23:30 +0200"]),
        # An hour after a 23:00-23:59 check-in is the next date: it came at 00:59, in the night,
        # about the new day ("This counts for Thursday 11 June, the day you already started in
        # your previous time zone ... No check-in today"). None comes; /done still reports.
        ("23:00", []),
        ("23:59", []),
    ],
)
async def test_a_late_evening_check_in_gets_no_post_session_prompt_in_the_night(
    world: WorldFactory, checkin: str, posts_at: list[str]
) -> None:
    w = await world()
    alex = await _athlete(
        w,
        1109,
        onboard_at=dt.datetime(2026, 6, 9, 12, tzinfo=BERLIN),
        zone="Europe/Berlin",
        checkin=checkin,
    )
    await _live(w, dt.datetime(2026, 6, 13, 12, tzinfo=BERLIN))
    assert _mornings(w, alex, "Europe/Berlin") == [
        f"2026-06-{day} {checkin} +0200" for day in (10, 11, 12)
    ]
    assert _wall(_delivered(w, alex, "prompt_post_session", "Europe/Berlin")) == posts_at
    night = [
        m.text
        for m in alex.user.bot_messages
        if m.date > dt.datetime(2026, 6, 10, tzinfo=Z) and 1 <= m.date.astimezone(BERLIN).hour < 6
    ]
    assert night == []
    assert "previous time zone" not in alex.user.format_transcript()
