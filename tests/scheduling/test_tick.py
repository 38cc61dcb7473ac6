"""The durable schedule end to end on SQLite and PostgreSQL: ticks, restarts, travel, misses."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.clock import FakeClock
from bot.scheduling.registry import PromptContext, new_registry
from bot.scheduling.schedule import SchedulerConfig, reschedule_athlete
from bot.scheduling.tick import MISSED_DAYS_RULE, Scheduler, run_tick
from bot.store.db import session_scope
from bot.store.models import AlertRecord
from bot.store.repo.answers import upsert_morning_checkin, upsert_session_report
from bot.store.repo.people import update_person
from engine.models import MorningCheckIn, SessionReport
from tests.scheduling.helpers import add_person, outbox, prompts, run_until

Z = dt.UTC


def make_scheduler(engine: Engine, clock: FakeClock, **config: object) -> Scheduler:
    return Scheduler(engine=engine, clock=clock, config=SchedulerConfig(**config))  # type: ignore[arg-type]


def local(instant: dt.datetime, tz: str) -> dt.datetime:
    return instant.astimezone(ZoneInfo(tz))


# Each zone with a window of 8 local days around one of its 2026 DST changes.
DST_WINDOWS = [
    ("Europe/London", dt.datetime(2026, 3, 25, tzinfo=Z)),
    ("Europe/London", dt.datetime(2026, 10, 21, tzinfo=Z)),
    ("America/Los_Angeles", dt.datetime(2026, 3, 4, 12, tzinfo=Z)),
    ("America/Los_Angeles", dt.datetime(2026, 10, 28, 12, tzinfo=Z)),
    ("Pacific/Auckland", dt.datetime(2026, 4, 1, tzinfo=Z)),
    ("Pacific/Auckland", dt.datetime(2026, 9, 23, tzinfo=Z)),
    ("Asia/Kolkata", dt.datetime(2026, 3, 25, tzinfo=Z)),
]


@pytest.mark.parametrize(("tz", "start"), DST_WINDOWS)
async def test_morning_prompt_at_seven_local_every_day_across_dst(
    engine: Engine, tz: str, start: dt.datetime
) -> None:
    clock = FakeClock(start)
    athlete = add_person(engine, 501, tz=tz, checkin="07:00")
    scheduler = make_scheduler(engine, clock)
    await run_until(scheduler, clock, start + dt.timedelta(days=8))
    mornings = [m for m in outbox(engine, 501) if m.kind == "prompt_morning"]
    times = [local(m.created_at, tz) for m in mornings]
    assert len(times) == 8
    assert {(t.hour, t.minute) for t in times} == {(7, 0)}
    days = [t.date() for t in times]
    assert all((b - a).days == 1 for a, b in itertools.pairwise(days))
    assert all(m.text.startswith("Good morning") for m in mornings)
    assert athlete


async def test_restart_at_0659_sends_at_0700_once(engine: Engine) -> None:
    day_start = dt.datetime(2026, 6, 9, 12, tzinfo=Z)
    clock = FakeClock(day_start)
    add_person(engine, 502, tz="Europe/London")
    await run_tick(make_scheduler(engine, clock))  # plans 10 June, 07:00 BST = 06:00 UTC
    clock.set(dt.datetime(2026, 6, 10, 5, 59, tzinfo=Z))
    restarted = make_scheduler(engine, clock)  # a new process: nothing carried in memory
    assert (await run_tick(restarted)).sent == 0
    clock.set(dt.datetime(2026, 6, 10, 6, 0, tzinfo=Z))
    first = await run_tick(restarted)
    again = await run_tick(restarted)
    assert (first.sent, first.late, again.sent) == (1, 0, 0)
    [message] = outbox(engine, 502)
    assert message.created_at == dt.datetime(2026, 6, 10, 6, 0, tzinfo=Z)
    assert not message.text.startswith("Sorry")


async def test_a_late_prompt_apologises_in_the_athletes_language(engine: Engine) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    athlete = add_person(engine, 505, tz="Europe/Madrid")
    with session_scope(engine) as session:
        update_person(session, person_id=athlete, language="es")
    await run_tick(make_scheduler(engine, clock))
    clock.set(dt.datetime(2026, 6, 10, 6, 30, tzinfo=Z))  # 08:30 local, 90 min late
    await run_tick(make_scheduler(engine, clock))
    [message] = outbox(engine, 505)
    assert message.text.startswith("Perdona, esto llega más tarde de lo previsto"), message.text


async def test_restart_at_0701_sends_the_0700_prompt_at_once_without_a_note(
    engine: Engine,
) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    add_person(engine, 503, tz="Europe/London")
    await run_tick(make_scheduler(engine, clock))
    clock.set(dt.datetime(2026, 6, 10, 6, 1, tzinfo=Z))  # down from 06:50 to 07:01 local
    result = await run_tick(make_scheduler(engine, clock))
    assert (result.sent, result.late) == (1, 0)
    [message] = outbox(engine, 503)
    assert message.text.startswith("Good morning")


async def test_downtime_within_grace_sends_late_with_a_note_and_moves_the_reminder(
    engine: Engine,
) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    add_person(engine, 504, tz="Europe/London")
    await run_tick(make_scheduler(engine, clock))
    clock.set(dt.datetime(2026, 6, 10, 7, 30, tzinfo=Z))  # 08:30 local, 90 min late
    scheduler = make_scheduler(engine, clock)
    result = await run_tick(scheduler)
    assert (result.sent, result.late, result.deferred) == (1, 1, 1)
    [message] = outbox(engine, 504)
    assert message.text.startswith("Sorry, this comes later than planned")
    # The 07:45 reminder now comes 45 minutes after the late prompt, not together with it.
    await run_until(scheduler, clock, dt.datetime(2026, 6, 10, 8, 20, tzinfo=Z))
    reminders = [m for m in outbox(engine, 504) if m.kind == "prompt_reminder"]
    assert [m.created_at for m in reminders] == [dt.datetime(2026, 6, 10, 8, 15, tzinfo=Z)]


async def test_downtime_beyond_grace_skips_and_records_missed_then_carries_on(
    engine: Engine,
) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    athlete = add_person(engine, 505, tz="Europe/London")
    await run_tick(make_scheduler(engine, clock))
    clock.set(dt.datetime(2026, 6, 10, 8, 30, tzinfo=Z))  # 09:30 local: 2.5 h late
    result = await run_tick(make_scheduler(engine, clock))
    assert result.missed == 1  # the 07:00 morning prompt; its 07:45 reminder is within grace
    assert [m.kind for m in outbox(engine, 505)] == ["prompt_reminder"]
    rows = {(p.kind, p.local_date): p.status for p in prompts(engine, athlete)}
    assert rows[("morning", dt.date(2026, 6, 10))] == "missed"
    assert rows[("morning", dt.date(2026, 6, 11))] == "pending"
    assert rows[("cutoff", dt.date(2026, 6, 10))] == "pending"


async def test_grace_period_is_configurable(engine: Engine) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    add_person(engine, 506, tz="Europe/London")
    await run_tick(make_scheduler(engine, clock))
    clock.set(dt.datetime(2026, 6, 10, 8, 30, tzinfo=Z))
    result = await run_tick(make_scheduler(engine, clock, grace=dt.timedelta(hours=3)))
    assert result.late >= 1


async def test_reminders_only_while_unanswered(engine: Engine) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    quiet = add_person(engine, 507, tz="Europe/London")
    keen = add_person(engine, 508, tz="Europe/London")
    scheduler = make_scheduler(engine, clock)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 10, 6, 10, tzinfo=Z))
    with session_scope(engine) as session:
        upsert_morning_checkin(
            session,
            athlete_id=keen,
            local_date=dt.date(2026, 6, 10),
            answers=MorningCheckIn(red_flags=[], pain_rest=0),
            answered_at=clock.now(),
            utc_offset_minutes=60,
        )
    await run_until(scheduler, clock, dt.datetime(2026, 6, 10, 12, tzinfo=Z))
    assert [
        (m.kind, local(m.created_at, "Europe/London").strftime("%H:%M"))
        for m in outbox(engine, 507)
    ] == [("prompt_morning", "07:00"), ("prompt_reminder", "07:45"), ("prompt_cutoff", "11:00")]
    assert [m.kind for m in outbox(engine, 508)] == ["prompt_morning"]
    assert quiet


async def test_two_missed_days_notify_the_linked_clinician_once(engine: Engine) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    doc = add_person(engine, 601, role="clinician", name="Dr Rao")
    athlete = add_person(engine, 509, tz="Europe/London", clinician_id=doc, name="Sam")
    scheduler = make_scheduler(engine, clock)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 14, 12, tzinfo=Z))
    to_doc = outbox(engine, 601)
    assert [m.kind for m in to_doc] == ["missed_days_alert"]
    assert "Sam has missed 2 morning check-ins in a row" in to_doc[0].text
    # Judged when the morning after the second missed day (11 June) falls due.
    assert local(to_doc[0].created_at, "Europe/London").date() == dt.date(2026, 6, 12)
    with session_scope(engine, read_only=True) as session:
        alerts = session.exec(select(AlertRecord).where(AlertRecord.athlete_id == athlete)).all()
    assert [(a.rule, a.local_date) for a in alerts] == [(MISSED_DAYS_RULE, dt.date(2026, 6, 11))]


async def test_a_check_in_breaks_the_missed_streak(engine: Engine) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    doc = add_person(engine, 602, role="clinician")
    athlete = add_person(engine, 510, tz="Europe/London", clinician_id=doc)
    scheduler = make_scheduler(engine, clock)
    for day in (10, 12, 14):  # answers every other day: never two misses in a row
        await run_until(scheduler, clock, dt.datetime(2026, 6, day, 6, 30, tzinfo=Z))
        with session_scope(engine) as session:
            upsert_morning_checkin(
                session,
                athlete_id=athlete,
                local_date=dt.date(2026, 6, day),
                answers=MorningCheckIn(pain_rest=1),
                answered_at=clock.now(),
                utc_offset_minutes=60,
            )
    await run_until(scheduler, clock, dt.datetime(2026, 6, 15, 12, tzinfo=Z))
    assert outbox(engine, 602) == []


async def test_paused_athlete_gets_nothing_and_resumes_with_the_next_prompt(
    engine: Engine,
) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    athlete = add_person(engine, 511, tz="Europe/London")
    scheduler = make_scheduler(engine, clock)
    await run_tick(scheduler)
    with session_scope(engine) as session:
        update_person(session, person_id=athlete, paused=True)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 12, 12, tzinfo=Z))
    assert outbox(engine, 511) == []
    with session_scope(engine) as session:
        update_person(session, person_id=athlete, paused=False)
        reschedule_athlete(session, athlete, now=clock.now())
    await run_until(scheduler, clock, dt.datetime(2026, 6, 13, 6, 30, tzinfo=Z))
    assert [m.kind for m in outbox(engine, 511)] == ["prompt_morning"]


async def test_traveller_changing_zone_gets_one_prompt_per_local_day(engine: Engine) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    athlete = add_person(engine, 512, tz="Europe/London")
    scheduler = make_scheduler(engine, clock)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 10, 11, tzinfo=Z))  # noon London
    # Flies to Los Angeles, where it is 04:00 on the same date: 10 June is already served.
    with session_scope(engine) as session:
        update_person(session, person_id=athlete, timezone="America/Los_Angeles")
        next_day = reschedule_athlete(session, athlete, now=clock.now())
    assert next_day == dt.date(2026, 6, 11)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 13, 0, tzinfo=Z))
    # ... then on to Auckland, where it is already 12:00 on 13 June: next prompt 14 June.
    with session_scope(engine) as session:
        update_person(session, person_id=athlete, timezone="Pacific/Auckland")
        assert reschedule_athlete(session, athlete, now=clock.now()) == dt.date(2026, 6, 14)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 14, 12, tzinfo=Z))
    mornings = [m for m in outbox(engine, 512) if m.kind == "prompt_morning"]
    zones = ["Europe/London", "America/Los_Angeles", "America/Los_Angeles", "Pacific/Auckland"]
    seen = [local(m.created_at, tz) for m, tz in zip(mornings, zones, strict=True)]
    assert [(t.date().isoformat(), t.strftime("%H:%M")) for t in seen] == [
        ("2026-06-10", "07:00"),
        ("2026-06-11", "07:00"),
        ("2026-06-12", "07:00"),
        ("2026-06-14", "07:00"),
    ]


async def test_changed_checkin_time_applies_from_the_next_prompt(engine: Engine) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    athlete = add_person(engine, 513, tz="Asia/Kolkata")
    scheduler = make_scheduler(engine, clock)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 10, 3, tzinfo=Z))  # 08:30 IST
    with session_scope(engine) as session:
        update_person(session, person_id=athlete, checkin_time="06:15")
        reschedule_athlete(session, athlete, now=clock.now())
    await run_until(scheduler, clock, dt.datetime(2026, 6, 11, 3, tzinfo=Z))
    mornings = [m for m in outbox(engine, 513) if m.kind == "prompt_morning"]
    assert [local(m.created_at, "Asia/Kolkata").strftime("%d %H:%M") for m in mornings] == [
        "10 07:00",
        "11 06:15",
    ]


async def test_session_day_post_session_prompt_and_next_morning_follow_up(
    engine: Engine,
) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    athlete = add_person(engine, 514, tz="Europe/London", session_end="17:30", programme=True)
    scheduler = make_scheduler(engine, clock)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 10, 16, 45, tzinfo=Z))
    post = [m for m in outbox(engine, 514) if m.kind == "prompt_post_session"]
    assert [local(m.created_at, "Europe/London").strftime("%H:%M") for m in post] == ["17:30"]
    with session_scope(engine) as session:
        upsert_session_report(
            session,
            athlete_id=athlete,
            local_date=dt.date(2026, 6, 10),
            answers=SessionReport(completion="full", pain_max=1, rpe=5, minutes=40),
            answered_at=clock.now(),
            utc_offset_minutes=60,
        )
    await run_until(scheduler, clock, dt.datetime(2026, 6, 11, 6, 5, tzinfo=Z))
    morning = [m for m in outbox(engine, 514) if m.kind == "prompt_morning"][-1]
    assert "compared with your session of Wednesday 10 June" in morning.text


async def test_hv_session_makes_the_next_day_a_rest_day(engine: Engine) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    athlete = add_person(engine, 515, tz="Europe/London", programme=True)
    scheduler = make_scheduler(engine, clock)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 10, 16, 0, tzinfo=Z))
    with session_scope(engine) as session:
        upsert_session_report(
            session,
            athlete_id=athlete,
            local_date=dt.date(2026, 6, 10),
            answers=SessionReport.model_validate(
                {"completion": "full", "pain_max": 0, "metrics": {"hv_reps": 4}}
            ),
            answered_at=clock.now(),
            utc_offset_minutes=60,
        )
    await run_until(scheduler, clock, dt.datetime(2026, 6, 13, 0, tzinfo=Z))
    days = {
        p.local_date
        for p in prompts(engine, athlete)
        if p.kind == "post_session" and p.status == "sent"
    }
    # 11 June is within 48 h of the HV session: no session, no post-session prompt.
    assert dt.date(2026, 6, 11) not in days
    assert dt.date(2026, 6, 12) in days


async def test_registered_sender_replaces_the_default(engine: Engine) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    add_person(engine, 516, tz="Europe/London")
    seen: list[tuple[str, dt.date]] = []

    async def checkin_with_buttons(ctx: PromptContext) -> None:
        seen.append((ctx.kind, ctx.local_date))
        ctx.enqueue(
            "Any red flags?",
            reply_markup={"inline_keyboard": [[{"text": "None", "callback_data": "m:0"}]]},
        )

    senders = new_registry()
    senders["morning"] = checkin_with_buttons
    scheduler = Scheduler(engine=engine, clock=clock, senders=senders)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 10, 6, 5, tzinfo=Z))
    assert seen == [("morning", dt.date(2026, 6, 10))]
    [message] = outbox(engine, 516)
    assert message.reply_markup == {"inline_keyboard": [[{"text": "None", "callback_data": "m:0"}]]}


async def test_a_failing_sender_does_not_block_other_prompts(engine: Engine) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    add_person(engine, 517, tz="Europe/London")
    add_person(engine, 518, tz="Europe/London")

    async def broken_for_517(ctx: PromptContext) -> None:
        if ctx.athlete.chat_id == 517:
            raise RuntimeError("template missing")
        ctx.enqueue("hello")

    senders = new_registry()
    senders["morning"] = broken_for_517
    scheduler = Scheduler(engine=engine, clock=clock, senders=senders)
    await run_until(scheduler, clock, dt.datetime(2026, 6, 10, 6, 5, tzinfo=Z))
    assert outbox(engine, 517) == []
    assert [m.text for m in outbox(engine, 518)] == ["hello"]


async def test_later_checkin_time_is_followed_even_without_a_reschedule_call(
    engine: Engine,
) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    athlete = add_person(engine, 519, tz="Europe/London")
    scheduler = make_scheduler(engine, clock)
    await run_tick(scheduler)  # 10 June planned at 07:00
    with session_scope(engine) as session:
        update_person(session, person_id=athlete, checkin_time="08:30")
    await run_until(scheduler, clock, dt.datetime(2026, 6, 10, 9, tzinfo=Z))
    [morning] = [m for m in outbox(engine, 519) if m.kind == "prompt_morning"]
    assert local(morning.created_at, "Europe/London").strftime("%H:%M") == "08:30"
    assert not morning.text.startswith("Sorry")


async def test_sweep_plans_new_and_resumed_athletes_without_scanning_everyone(
    engine: Engine,
) -> None:
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    first = [add_person(engine, 700 + n, tz="Europe/London") for n in range(5)]
    scheduler = make_scheduler(engine, clock, sweep_span=2)
    assert (await run_tick(scheduler)).planned == 2  # start-up: one window of the rotation
    late = add_person(engine, 720, tz="Asia/Kolkata")  # registered while running
    result = await run_tick(scheduler)
    assert result.planned == 3  # the newcomer plus the next window
    assert "morning" in {p.kind for p in prompts(engine, late)}
    await run_tick(scheduler)
    assert all(prompts(engine, a) for a in first)


@pytest.mark.parametrize("checkin", ["20:00", "22:30", "23:59", "00:30"])
async def test_a_late_evening_check_in_time_still_gets_its_prompt_every_day(
    engine: Engine, checkin: str
) -> None:
    """Any time the athlete may set gets its daily prompt (a cut-off 4 h after check-in used
    to wrap past midnight, and the prompt silently failed every tick)."""
    start = dt.datetime(2026, 6, 9, 4, tzinfo=Z)
    clock = FakeClock(start)
    add_person(engine, 531, tz="Europe/London", checkin=checkin)
    await run_until(make_scheduler(engine, clock), clock, start + dt.timedelta(days=3))
    mornings = [m for m in outbox(engine, 531) if m.kind == "prompt_morning"]
    hour, minute = (int(part) for part in checkin.split(":"))
    times = {
        (local(m.created_at, "Europe/London").hour, local(m.created_at, "Europe/London").minute)
        for m in mornings
    }
    assert len(mornings) >= 2 and times == {(hour, minute)}, mornings


async def test_reminders_are_in_the_athletes_language_and_say_what_a_miss_means(
    engine: Engine,
) -> None:
    """The 45-minute reminder and the last call reach a German-speaking athlete in German
    (they were English for everyone), and the last call says what the engine does without a
    check-in: no training today, no moving up."""
    clock = FakeClock(dt.datetime(2026, 6, 9, 12, tzinfo=Z))
    athlete = add_person(engine, 520, tz="Europe/Berlin")
    english = add_person(engine, 521, tz="Europe/Berlin")
    with session_scope(engine) as session:
        update_person(session, person_id=athlete, language="de")
    await run_until(make_scheduler(engine, clock), clock, dt.datetime(2026, 6, 10, 12, tzinfo=Z))
    texts = {m.kind: m.text for m in outbox(engine, 520)}
    assert texts["prompt_reminder"].startswith("⏰ Deine Morgen"), texts["prompt_reminder"]
    assert "/checkin" in texts["prompt_cutoff"] and "Training" in texts["prompt_cutoff"]
    said = {m.kind: m.text for m in outbox(engine, 521)}
    assert "no training today" in said["prompt_cutoff"], said["prompt_cutoff"]
    assert "hold day" not in said["prompt_cutoff"]
    assert english
