"""Attacks on the schedule's times: late-evening check-ins, gaps past midnight, lost mornings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from bot.clock import FakeClock
from bot.scheduling.planner import plan_day
from bot.scheduling.schedule import SchedulerConfig, athlete_schedule, reschedule_athlete
from bot.scheduling.tick import Scheduler, run_tick
from bot.scheduling.times import local_to_utc, next_local_occurrence
from bot.store.db import session_scope
from bot.store.models import Person
from bot.store.repo.people import update_person
from tests.scheduling.helpers import add_person, outbox, prompts, run_until

Z = dt.UTC
LONDON = ZoneInfo("Europe/London")


def make_scheduler(engine: Engine, clock: FakeClock) -> Scheduler:
    return Scheduler(engine=engine, clock=clock, config=SchedulerConfig())


@pytest.mark.parametrize("checkin", ["22:30", "23:00", "23:30", "23:45", "23:59"])
def test_no_last_call_a_minute_after_a_late_evening_good_morning(checkin: str) -> None:
    """A 23:59 check-in's cut-off is the day's last second: the athlete read "Good morning"
    and, 59 seconds later, "Last call for today's check-in". A last call comes at least half
    an hour after the prompt, or not at all."""
    athlete = Person(
        role="athlete", telegram_user_id=1, display_name="A", timezone="UTC", checkin_time=checkin
    )
    schedule = athlete_schedule(athlete, SchedulerConfig(), paused=False)
    day = dt.date(2026, 6, 10)
    due = {p.kind: p.due_at for p in plan_day(schedule, day, session_day=True)}
    for kind in ("reminder", "cutoff"):
        if kind in due:
            assert due[kind] - due["morning"] >= dt.timedelta(minutes=30), (kind, due)
    assert ("cutoff" in due) is (checkin <= "23:29")


async def test_a_2359_check_in_gets_its_prompt_and_no_last_call_after_it(engine: Engine) -> None:
    start = dt.datetime(2026, 6, 9, 12, tzinfo=Z)
    clock = FakeClock(start)
    add_person(engine, 901, tz="Europe/London", checkin="23:59")
    await run_until(make_scheduler(engine, clock), clock, start + dt.timedelta(days=3))
    kinds = [m.kind for m in outbox(engine, 901)]
    assert kinds.count("prompt_morning") == 3
    assert "prompt_cutoff" not in kinds and "prompt_reminder" not in kinds


def test_a_gap_past_midnight_keeps_the_prompt_on_its_own_date() -> None:
    """America/Scoresbysund jumps from 23:00 on Saturday 28 March 2026 straight to 00:00 on
    Sunday. A 23:30 check-in was due at 00:00 on the 29th: two "good mornings" that Sunday
    (for the 28th just after midnight, then for the 29th), and the 28th's last call at the
    same instant as its prompt. It is now due just before the jump, still on the 28th."""
    tz = "America/Scoresbysund"
    zi = ZoneInfo(tz)
    due = local_to_utc(dt.date(2026, 3, 28), dt.time(23, 30), tz)
    assert due.astimezone(zi).date() == dt.date(2026, 3, 28)
    assert due.astimezone(zi).strftime("%H:%M:%S") == "22:59:59"
    # One prompt per calendar date over the week, each on its own date.
    after = dt.datetime(2026, 3, 25, tzinfo=Z)
    seen = []
    for _ in range(7):
        day, at = next_local_occurrence(dt.time(23, 30), tz, after=after)
        seen.append((day, at.astimezone(zi).date()))
        after = at
    assert all(day == local for day, local in seen), seen
    assert len({local for _, local in seen}) == 7


async def test_a_last_call_for_a_check_in_never_asked_asks_it_and_says_why(
    engine: Engine,
) -> None:
    """Down from 06:00 to 10:00: the 07:00 prompt and its 07:45 reminder are past the 2-hour
    grace. At 11:00 the athlete read "Last call for today's check-in" about a check-in they
    were never asked. The last call asks the check-in itself, saying it comes late."""
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    athlete = add_person(engine, 902, tz="Europe/London")
    await run_tick(make_scheduler(engine, clock))
    clock.set(dt.datetime(2026, 6, 10, 10, 0, tzinfo=LONDON))
    restarted = make_scheduler(engine, clock)
    await run_until(restarted, clock, dt.datetime(2026, 6, 10, 11, 1, tzinfo=LONDON))
    rows = {(p.kind, p.local_date): p.status for p in prompts(engine, athlete)}
    assert rows[("morning", dt.date(2026, 6, 10))] == "missed"
    assert rows[("reminder", dt.date(2026, 6, 10))] == "missed"
    [message] = outbox(engine, 902)
    assert message.text.startswith("Sorry, this comes later than planned"), message.text
    assert "Time for your morning check-in" in message.text
    assert "Last call" not in message.text


async def test_a_last_call_after_a_reminder_that_asked_the_check_in_stays_a_last_call(
    engine: Engine,
) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    add_person(engine, 903, tz="Europe/London")
    await run_tick(make_scheduler(engine, clock))
    clock.set(dt.datetime(2026, 6, 10, 9, 30, tzinfo=LONDON))  # the reminder asks it
    await run_until(
        make_scheduler(engine, clock), clock, dt.datetime(2026, 6, 10, 11, 1, tzinfo=LONDON)
    )
    texts = [m.text for m in outbox(engine, 903)]
    assert len(texts) == 2, texts
    assert "Time for your morning check-in" in texts[0]
    assert texts[1].startswith("⏰ Last call"), texts[1]


async def test_an_on_time_reminder_of_a_lost_morning_says_it_comes_late(engine: Engine) -> None:
    """Down over 07:00 only, with a 30-minute grace: the reminder is on time but asks the
    check-in that should have come at 07:00; the athlete is told why it comes now."""
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    add_person(engine, 904, tz="Europe/London")
    config = SchedulerConfig(grace=dt.timedelta(minutes=30))
    await run_tick(Scheduler(engine=engine, clock=clock, config=config))
    clock.set(dt.datetime(2026, 6, 10, 7, 45, tzinfo=LONDON))
    await run_tick(Scheduler(engine=engine, clock=clock, config=config))
    [message] = outbox(engine, 904)
    assert "Time for your morning check-in" in message.text
    assert message.text.startswith("Sorry, this comes later than planned"), message.text


@pytest.mark.parametrize("new_time", ["06:00", "10:00"])
async def test_a_time_changed_after_todays_prompt_keeps_its_reminder_45_minutes_after_it(
    engine: Engine, new_time: str
) -> None:
    """07:00 prompt out, unanswered; at 07:10 the athlete sets 06:00 (or 10:00) for the coming
    days. Today's reminder was dropped (06:45 had passed) or came at 10:45, 3¾ hours after
    the prompt it reminds of. It stays at 07:45; the new time applies from tomorrow."""
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    athlete = add_person(engine, 905, tz="Europe/London")
    scheduler = make_scheduler(engine, clock)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 10, 7, 10, tzinfo=LONDON))
    with session_scope(engine) as session:
        update_person(session, person_id=athlete, checkin_time=new_time)
        reschedule_athlete(session, athlete, now=clock.now())
    await run_until(scheduler, clock, dt.datetime(2026, 6, 11, 12, tzinfo=LONDON))
    sent = [
        (m.kind, m.created_at.astimezone(LONDON).strftime("%d %H:%M")) for m in outbox(engine, 905)
    ]
    reminders = [when for kind, when in sent if kind == "prompt_reminder"]
    mornings = [when for kind, when in sent if kind == "prompt_morning"]
    assert reminders[0] == "10 07:45", sent
    assert mornings == ["10 07:00", f"11 {new_time}"], sent


async def test_after_a_flight_west_todays_reminder_comes_in_the_new_mornings_time(
    engine: Engine,
) -> None:
    """07:00 prompt in London, unanswered; at 07:10 the athlete is in Los Angeles (23:10 the
    evening before): the reminder comes at 07:45 there, not at 23:45."""
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    athlete = add_person(engine, 906, tz="Europe/London")
    scheduler = make_scheduler(engine, clock)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 10, 7, 10, tzinfo=LONDON))
    with session_scope(engine) as session:
        update_person(session, person_id=athlete, timezone="America/Los_Angeles")
        reschedule_athlete(session, athlete, now=clock.now())
    await run_until(scheduler, clock, dt.datetime(2026, 6, 10, 20, tzinfo=LONDON))
    la = ZoneInfo("America/Los_Angeles")
    [reminder] = [m for m in outbox(engine, 906) if m.kind == "prompt_reminder"]
    assert reminder.created_at.astimezone(la).strftime("%d %H:%M") == "10 07:45"


async def test_one_athletes_unreadable_zone_does_not_stop_everyone_elses_prompts(
    engine: Engine,
) -> None:
    """A stored zone this machine's tzdata cannot load (a database restored on another host,
    a hand edit) made the sweep raise, and with it every tick: nobody got a prompt again.
    That athlete is skipped (and logged); the others are prompted as usual."""
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    bad = add_person(engine, 907, tz="Europe/London")
    add_person(engine, 908, tz="Europe/London")
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE person SET timezone = 'Mars/Olympus' WHERE id = :id"), {"id": bad}
        )
    scheduler = make_scheduler(engine, clock)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 11, 12, tzinfo=Z))
    assert [m.kind for m in outbox(engine, 908)].count("prompt_morning") == 2
    assert outbox(engine, 907) == []


@pytest.mark.parametrize("grace_minutes", [0, 120])
async def test_a_prompt_waiting_for_a_slow_tick_is_on_time(
    engine: Engine, grace_minutes: int
) -> None:
    """SCHEDULER_TICK_SECONDS=300: the 07:00 prompt is found at 07:04. It was recorded missed
    with MISSED_PROMPT_GRACE_MINUTES=0 (the athlete got nothing), and otherwise opened with
    "Sorry, this comes later than planned: the coach was offline". It is on time."""
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    add_person(engine, 909, tz="Europe/London")
    config = SchedulerConfig(tick_seconds=300, grace=dt.timedelta(minutes=grace_minutes))
    scheduler = Scheduler(engine=engine, clock=clock, config=config)
    await run_tick(scheduler)
    clock.set(dt.datetime(2026, 6, 10, 7, 4, 30, tzinfo=LONDON))
    await run_tick(scheduler)
    [message] = outbox(engine, 909)
    assert message.kind == "prompt_morning"
    assert not message.text.startswith("Sorry"), message.text
