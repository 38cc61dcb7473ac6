"""/settings after the review: a time zone moved west right after onboarding or a check-in,
a zone typed that is no place, a check-in put aside by /settings; and top speeds typed with a
unit alone or negative. Through the sandbox, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.scheduling.registry import registry_of
from bot.scheduling.tick import Scheduler, run_tick
from bot.store.models import SessionReportRecord
from tests.athlete.conftest import Phone, World
from tests.athlete.test_session import s_items

WorldFactory = Callable[[], Awaitable[World]]


def _text(replies: list) -> str:  # type: ignore[type-arg]
    return "\n".join(m.text or "" for m in replies)


async def _onboard_in_tokyo(w: World) -> Phone:
    """Sam sets up at 07:00 UTC on Monday 2 March: 16:00 in Tokyo, check-in at 07:30."""
    sam = w.phone(1002, "Sam")
    await sam.say("/start")
    for label in ("I agree", "Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await sam.tap(label)
    for label in ("Sprinting / running fast", "Rugby", "Skip", "Asia", "Tokyo", "07:30"):
        await sam.tap(label)
    assert "All set" in _text(await sam.tap("✅ Confirm")), sam.user.format_transcript()
    return sam


async def _move_to_los_angeles(sam: Phone) -> str:
    """/settings → Los Angeles, where it is still 23:00 on Sunday 1 March; the confirmation."""
    await sam.say("/settings")
    await sam.tap("Time zone")
    await sam.tap("Americas")
    return _text(await sam.tap("Los Angeles"))


async def test_days_at_the_stage_never_read_below_zero_after_moving_west(
    world: WorldFactory,
) -> None:
    """ "Days at this stage: -1 of 1" after moving from Tokyo to Los Angeles on day one."""
    w = await world()
    sam = await _onboard_in_tokyo(w)
    await _move_to_los_angeles(sam)
    status = _text(await sam.say("/status"))
    assert "At this stage since today." in status.splitlines(), status
    assert "-1" not in status, status


async def test_moving_west_after_a_check_in_says_when_the_next_one_comes(
    world: WorldFactory,
) -> None:
    """Checked in on 2 March in Tokyo, then moved to Los Angeles (still 1 March): the next
    Los Angeles morning is 2 March, already checked in, so /checkin said "You already checked
    in today" out of the blue. The confirmation now says when the next check-in comes, and
    it does come then."""
    w = await world()
    sam = await _onboard_in_tokyo(w)
    await sam.morning()  # /checkin on the onboarding day, dated 2 March in Tokyo
    said = await _move_to_los_angeles(sam)
    assert (
        "You already checked in for Monday 2 March in your previous time zone, so your next "
        "check-in is on Tuesday 3 March at 07:30." in said
    ), said
    assert "That time has passed today" not in said, said
    scheduler = Scheduler(
        engine=w.engine, clock=w.clock, senders=registry_of(w.running.application.bot_data)
    )
    await run_tick(scheduler)
    w.clock.set(dt.datetime(2026, 3, 2, 15, 31, tzinfo=dt.UTC))  # 07:31 on 2 March in LA
    await run_tick(scheduler)
    await w.deliver()
    assert "Good morning" not in sam.last
    w.clock.set(dt.datetime(2026, 3, 3, 15, 31, tzinfo=dt.UTC))  # 07:31 on 3 March in LA
    await run_tick(scheduler)
    await w.deliver()
    assert "Good morning" in sam.last, sam.user.format_transcript()


async def test_moving_without_a_check_in_ahead_says_nothing_more(world: WorldFactory) -> None:
    w = await world()
    sam = await _onboard_in_tokyo(w)
    said = await _move_to_los_angeles(sam)
    assert "Saved." in said and "already checked in" not in said, said


async def test_a_zone_that_is_no_place_is_refused_for_an_athlete(world: WorldFactory) -> None:
    """ "Etc/GMT+2" is UTC−2 (POSIX signs): it was taken, and prompts came 4 hours off."""
    w = await world()
    sam = await _onboard_in_tokyo(w)
    await sam.say("/settings")
    await sam.tap("Time zone")
    replies = await sam.say("Etc/GMT+2")
    # A fixed offset is told why it is no place (it ignores summer time) and what to type.
    assert "A UTC offset doesn't follow summer time" in _text(replies), _text(replies)
    person = w.person(1002)
    assert person is not None and person.timezone == "Asia/Tokyo"
    said = _text(await sam.say("US/Pacific"))  # an old name of a place is that place
    assert "Los Angeles" in said, said
    person = w.person(1002)
    assert person is not None and person.timezone == "America/Los_Angeles"


async def test_settings_opened_mid_check_in_says_the_check_in_waits(world: WorldFactory) -> None:
    w = await world()
    sam = await _onboard_in_tokyo(w)
    await sam.say("/checkin")
    await sam.tap("None of these ✅")
    await sam.tap("0")  # pain at rest
    await sam.say("/settings")
    said = _text(await sam.tap("Check-in time") + await sam.say("06:45"))
    assert "Your check-in is on hold: send /checkin to finish it." in said, said
    assert "is paused" not in said and said.count("/checkin to finish it") == 1, said
    replies = await sam.say("/checkin")
    assert "I kept the answers you gave" in _text(replies), _text(replies)


async def test_settings_without_a_check_in_aside_says_nothing_of_it(world: WorldFactory) -> None:
    w = await world()
    sam = await _onboard_in_tokyo(w)
    await sam.say("/checkin")
    await sam.tap("None of these ✅")
    await sam.say("/cancel")  # put aside by the athlete, before /settings
    w.clock.advance(dt.timedelta(minutes=1))
    await sam.say("/settings")
    said = _text(await sam.tap("Check-in time") + await sam.say("06:45"))
    assert "Saved." in said and "paused" not in said, said


async def _at_metrics(w: World) -> Phone:
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await s_items(alex, pain="0")
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    return alex


async def test_a_speed_typed_alone_with_its_unit_is_the_top_speed(world: WorldFactory) -> None:
    """ "32 km/h" was refused with "'32' has no name in front of it"."""
    w = await world()
    alex = await _at_metrics(w)
    said = _text(await alex.say("32 km/h"))
    assert "no name in front" not in said, said
    assert "top speed: 8.89 m/s" in alex.last, alex.user.format_transcript()  # shown rounded
    await alex.tap("Yes, save")
    report = w.read(lambda s: s.exec(select(SessionReportRecord)).one())
    assert report.answers["metrics"] == {"vmax_ms": 8.889}


async def test_a_negative_top_speed_gets_one_plain_reason(world: WorldFactory) -> None:
    """ "vmax -9" got three bullets: no number after vmax, negative, '9' without a name."""
    w = await world()
    alex = await _at_metrics(w)
    said = _text(await alex.say("vmax -9"))
    assert "Values cannot be negative" in said, said
    assert "needs a number" not in said and "no name in front" not in said, said
