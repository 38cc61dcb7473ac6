"""A session reported BEFORE the day's check-in, end to end on SQLite and on PostgreSQL.

The athlete at stage 3 of 8 runs without checking in and reports it with /done: it is saved
but does not count, and the clinician hears of it. When the check-in comes afterwards, all
fine, it prescribes no second session and says so plainly; the session still does not count
(the next day's /status says so), also once the pain an hour after is added to its report.
A warning sign in that late check-in still stops training and reaches the clinician."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import col, select

from bot.store.models import AlertRecord, Decision
from tests.athlete.both.test_pain_followup import set_stage, tick_and_deliver
from tests.athlete.conftest import CLINICIAN_ID, Phone, World

Factory = Callable[[], Awaitable[World]]
# Tuesday 3 March 2026, 09:00 in Berlin: the day after onboarding (Monday).
TUESDAY = dt.date(2026, 3, 3)
FOLLOWUP = "About an hour has passed since your session"
SECOND_SESSION = "😴 Today's session is already reported: no second session today."


async def run_reported(alex: Phone, *, pain_1h: str = "0") -> str:
    """Report a run (top speed 5.9 m/s, no pain) with /done; return the decision's text."""
    await alex.say("/done")
    for label in ("All of it", "0", "No", "None of these ✅", "1", "No", "8", "4", "45"):
        await alex.tap(label)
    await alex.tap(pain_1h)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    await alex.say("vmax 5.9")
    replies = await alex.tap("Yes, save")
    return replies[-1].text or ""


async def tuesday(w: Factory) -> tuple[World, Phone]:
    """An athlete with a clinician, at stage 3 of 8 since Monday; Tuesday 09:00 in Berlin."""
    world = await w()
    alex = world.phone(1001)
    await alex.onboard(code=world.clinician_invite())
    world.sandbox.user(CLINICIAN_ID, "Kim")  # the clinician's chat, to read what reaches it
    set_stage(world, "H2")
    world.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=dt.UTC))
    return world, alex


def alerts(w: World) -> list[AlertRecord]:
    rows: list[AlertRecord] = w.read(
        lambda s: list(s.exec(select(AlertRecord).order_by(col(AlertRecord.id))))
    )
    return rows


def decision(w: World, kind: str, day: dt.date = TUESDAY) -> Decision:
    found: Decision = w.read(
        lambda s: s.exec(
            select(Decision).where(Decision.kind == kind, Decision.local_date == day)
        ).one()
    )
    return found


async def next_day_status(w: World, alex: Phone) -> str:
    w.clock.set(dt.datetime(2026, 3, 4, 6, 0, tzinfo=dt.UTC))  # Wednesday 07:00 in Berlin
    replies = await alex.say("/status")
    return "\n".join(m.text or "" for m in replies)


async def test_a_checkin_after_the_run_prescribes_no_second_session_and_it_never_counts(
    world: Factory,
) -> None:
    w, alex = await tuesday(world)
    done = await run_reported(alex)
    assert done.startswith("🟡 Session saved, but it does not count towards moving up."), done
    assert "there was no morning check-in" in done
    assert [a.rule for a in alerts(w)] == ["session.against_plan"]
    w.clock.advance(dt.timedelta(minutes=30))
    # Before the check-in too: not "Do your /checkin first… There is nothing to show yet."
    early = await alex.say("/plan")
    assert (early[-1].text or "") == SECOND_SESSION, early[-1].text
    replies = await alex.morning()
    said = replies[-1].text or ""
    assert said.startswith("😴 Today's session is already reported: no second session today."), said
    assert "It came before this check-in, so it does not count towards moving up." in said
    assert "Train as planned" not in said and "Run-throughs" not in said, said
    assert "Next: your check-in tomorrow morning" in said
    morning = decision(w, "morning").decision
    assert morning["plan"] is None
    assert any(
        r["rule"] == "session.flag.no_running" and r["observed"] == "missing"
        for r in morning["reasons"]
    )
    why = await alex.tap("Why?")
    assert "there was no morning check-in" in (why[-1].text or "")
    plan = await alex.say("/plan")  # not "There is nothing to show yet."
    assert (
        plan[-1].text or ""
    ) == "😴 Today's session is already reported: no second session today."
    status = await next_day_status(w, alex)
    assert "⬜ 2 more good sessions" in status, status
    assert "Last session went well" not in status
    await a_warning_sign_in_the_late_checkin_still_stops_and_alerts(w, alex)


async def test_the_pain_an_hour_after_added_later_does_not_make_it_count(world: Factory) -> None:
    w, alex = await tuesday(world)
    await run_reported(alex, pain_1h="Skip")
    w.clock.advance(dt.timedelta(minutes=20))
    await alex.morning()
    w.clock.advance(dt.timedelta(minutes=45))  # about an hour after the report
    asked = [m for m in await tick_and_deliver(w, alex) if FOLLOWUP in (m.text or "")]
    assert asked, alex.user.format_transcript()
    await alex.tap("0", asked[0])
    daily = decision(w, "daily").decision
    assert any(r["rule"] == "session.flag.no_running" for r in daily["reasons"]), daily
    status = await next_day_status(w, alex)
    assert "⬜ 2 more good sessions" in status, status
    # Thursday in the normal order (check-in, then the run, two days on): that one counts.
    w.clock.set(dt.datetime(2026, 3, 5, 6, 45, tzinfo=dt.UTC))  # 07:45 in Berlin
    await alex.morning()
    w.clock.advance(dt.timedelta(hours=2))
    done = await run_reported(alex, pain_1h="0")
    assert done.startswith("✅ Session saved."), done
    w.clock.set(dt.datetime(2026, 3, 6, 6, 0, tzinfo=dt.UTC))
    replies = await alex.say("/status")
    status = "\n".join(m.text or "" for m in replies)
    assert "⬜ 1 more good session" in status, status


async def a_warning_sign_in_the_late_checkin_still_stops_and_alerts(w: World, alex: Phone) -> None:
    """Wednesday: another run before the check-in, then a check-in with a warning sign."""
    clinician = w.sandbox.user(CLINICIAN_ID, "Kim")
    w.clock.set(dt.datetime(2026, 3, 4, 16, 0, tzinfo=dt.UTC))  # 17:00 in Berlin
    await run_reported(alex)
    await w.deliver()
    heard = len(clinician.bot_messages)
    before = len(alerts(w))
    w.clock.advance(dt.timedelta(minutes=30))
    await alex.say("/checkin")
    await alex.tap("▫️ New swelling at the injury")
    replies = await alex.tap("Done")
    said = replies[-1].text or ""
    assert said.startswith("⛔ No training until your clinician has reviewed you."), said
    assert "already reported" not in said
    assert decision(w, "morning", TUESDAY + dt.timedelta(days=1)).outcome == "stop"
    raised = alerts(w)[before:]
    assert any(a.severity != "info" for a in raised), [a.rule for a in raised]
    await w.deliver()
    assert len(clinician.bot_messages) > heard, clinician.format_transcript()


# A change of time zone (the same store path carries each answer's instant): rest intervals
# between runs hold in real time as well as in local dates. (A flight west is covered by
# tests/engine/test_attack_rest_real_time.py.)


async def set_zone(alex: Phone, region: str, city: str) -> None:
    await alex.say("/settings")
    await alex.tap("Time zone")
    await alex.tap(region)
    await alex.tap(city)


async def test_after_a_flight_east_the_next_run_inside_48_real_hours_is_flagged(
    world: Factory,
) -> None:
    w, alex = await tuesday(world)
    await set_zone(alex, "Americas", "Los Angeles")
    w.clock.set(dt.datetime(2026, 3, 3, 15, 30, tzinfo=dt.UTC))  # Tuesday 07:30 in LA
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 4, 5, 0, tzinfo=dt.UTC))  # Tuesday 21:00 in LA
    assert (await run_reported(alex)).startswith("✅ Session saved."), alex.last
    await set_zone(alex, "Oceania", "Auckland")
    w.clock.set(dt.datetime(2026, 3, 4, 18, 30, tzinfo=dt.UTC))  # Thursday 07:30 in Auckland
    replies = await alex.morning()
    said = replies[-1].text or ""
    assert said.startswith("😴 No running today: your muscle rests between fast sessions."), said
    assert "Run-throughs" not in said and "Train as planned" not in said
    w.clock.set(dt.datetime(2026, 3, 4, 21, 0, tzinfo=dt.UTC))  # 10:00, 16 real hours on
    done = await run_reported(alex)
    assert done.startswith("🟡 Session saved, but it does not count towards moving up."), done
    assert "This fast session came 16 h after your last one" in done
    assert "at least 48 h of rest" in done
