"""/timezone in the middle of the morning check-in, when the new zone changes the athlete's
local date: the half-answered check-in was left on the old day.

Moving west (Auckland, half-way through Wednesday 4 March's check-in, to Los Angeles, where it
is still Tuesday 3 March, already checked in): the athlete was told "send /checkin to finish
it", and /checkin said "You already checked in today"; the answers waited on Wednesday.
Moving east (Los Angeles, half-way through Tuesday's, to Auckland, where it is Wednesday):
/checkin began Wednesday's from the first question, Tuesday's answers never used.

Now the check-in carries on at once, its answers kept, for the athlete's day in the new zone
if that one has no check-in yet, else for the day it was begun for (never two check-ins, so
never two decisions, for one day), and the athlete is told which day it counts for; the
prompts that follow skip no day that needs a check-in and ask none twice. Through the
sandbox and the scheduler, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.sandbox import TranscriptMessage
from bot.scheduling.registry import registry_of
from bot.scheduling.tick import Scheduler, run_tick
from bot.store.db import make_engine
from bot.store.models import Decision, MorningCheckinRecord, Outbox
from tests.athlete.conftest import Phone, World
from tests.scheduling.helpers import next_due
from tests.store.conftest import db_url, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "pg_databases", "pg_migrated", "sqlite_template"]

Factory = Callable[[], Awaitable[World]]
AUCKLAND = ZoneInfo("Pacific/Auckland")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
TUESDAY, WEDNESDAY, THURSDAY = dt.date(2026, 3, 3), dt.date(2026, 3, 4), dt.date(2026, 3, 5)
HALF = {"pain_rest": 2, "pain_test": 3}
ON_HOLD = "Your morning check-in is on hold"
RESUMED = "I kept the answers you gave before you stopped"
TIGHTNESS = "(4/10) Tightness or stiffness"


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """Override: an engine on an empty, migrated database, SQLite then PostgreSQL."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _text(replies: list[TranscriptMessage]) -> str:
    return "\n".join(m.text or "" for m in replies)


async def _onboard(w: World, region: str, city: str) -> Phone:
    """Alex sets up at 07:00 UTC on Monday 2 March in ``city``, check-in at 07:30."""
    alex = w.phone(1001, "Alex")
    await alex.say("/start")
    for label in ("I agree", "Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await alex.tap(label)
    for label in ("Sprinting / running fast", "Rugby", "Skip", region, city, "07:30"):
        await alex.tap(label)
    assert "All set" in _text(await alex.tap("✅ Confirm")), alex.user.format_transcript()
    return alex


async def _live(w: World, until: dt.datetime) -> None:
    """Run the scheduler as production does up to ``until``: a tick whenever a prompt falls
    due, its messages delivered at once."""
    scheduler = Scheduler(
        engine=w.engine, clock=w.clock, senders=registry_of(w.running.application.bot_data)
    )
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


async def _half_checkin(alex: Phone) -> None:
    """The check-in up to pain in the test: no warning sign, pain at rest 2, in the test 3."""
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.tap("2")
    await alex.tap("3")


async def _rest_of_checkin(alex: Phone) -> str:
    for label in ("1", "8", "2", "2", "2", "2"):
        await alex.tap(label)
    return _text(await alex.tap("7.5"))


async def _move(alex: Phone, city: str) -> list[TranscriptMessage]:
    said = _text(await alex.say("/timezone"))
    assert ON_HOLD in said, said
    return await alex.say(city)


def _checkins(w: World) -> dict[dt.date, dict[str, object]]:
    rows = w.read(lambda s: list(s.exec(select(MorningCheckinRecord))))
    return {r.local_date: dict(r.answers) for r in rows}


def _verdict_days(w: World) -> list[dt.date]:
    """The days an engine verdict (the morning decision) was made for, one row each."""
    return sorted(
        w.read(
            lambda s: list(s.exec(select(Decision.local_date).where(Decision.kind == "morning")))
        )
    )


def _morning_prompts(w: World, alex: Phone, zone: ZoneInfo) -> list[str]:
    """When each morning prompt reached the phone, as 'YYYY-MM-DD HH:MM' in ``zone``."""
    ids = set(
        w.read(
            lambda s: s.exec(
                select(Outbox.telegram_message_id).where(Outbox.kind == "prompt_morning")
            ).all()
        )
    )
    return [
        m.date.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        for m in alex.user.bot_messages
        if m.message_id in ids
    ]


def _answered(answers: dict[str, object]) -> dict[str, object]:
    return {k: answers.get(k) for k in HALF}


async def test_west_into_a_day_already_checked_in_finishes_the_day_begun(world: Factory) -> None:
    """Auckland, Wednesday 4 March 07:35, half-way through the check-in; Los Angeles, where
    it is 10:35 on Tuesday 3 March, checked in in Auckland: the check-in carries on at once
    for Wednesday, said plainly, and the next prompt is Thursday's in Los Angeles."""
    w = await world()
    alex = await _onboard(w, "Oceania", "Auckland")
    await _live(w, dt.datetime(2026, 3, 3, 7, 35, tzinfo=AUCKLAND))
    await alex.morning()
    await _live(w, dt.datetime(2026, 3, 4, 7, 35, tzinfo=AUCKLAND))
    await _half_checkin(alex)

    replies = await _move(alex, "Los Angeles")
    said = _text(replies)
    assert (
        "You already checked in for Tuesday 3 March, so the check-in you started still counts "
        "for Wednesday 4 March. Your next check-in after it is on Thursday 5 March at 07:30."
        in said
    ), said
    assert "next check-in is on Wednesday 4 March" not in said, said
    # The day and the answers kept are each said once: the day above, the answers here.
    question = replies[-1].text or ""
    assert RESUMED in question and TIGHTNESS in question, said
    assert said.count("Wednesday 4 March") == 1 and said.count("kept") == 1, said

    result = await _rest_of_checkin(alex)
    assert "Rest today" in result, result  # test pain 2 above the usual: decided on it
    checkins = _checkins(w)
    assert sorted(checkins) == [TUESDAY, WEDNESDAY]
    assert _answered(checkins[WEDNESDAY]) == HALF  # nothing asked twice, nothing lost
    assert _verdict_days(w) == [TUESDAY, WEDNESDAY]  # one verdict a day

    await _live(w, dt.datetime(2026, 3, 5, 12, 0, tzinfo=LOS_ANGELES))
    assert _morning_prompts(w, alex, dt.UTC) == [
        "2026-03-02 18:30",  # Tuesday 07:30 in Auckland
        "2026-03-03 18:30",  # Wednesday 07:30 in Auckland
        "2026-03-05 15:30",  # Thursday 07:30 in Los Angeles: Wednesday is checked in
    ]
    assert _verdict_days(w) == [TUESDAY, WEDNESDAY]


async def test_after_the_move_west_checkin_carries_on_with_the_day_begun(
    world: Factory,
) -> None:
    """The same move, then another command, then /checkin: the check-in carried to Wednesday
    is finished (answers kept), not refused with "You already checked in today"."""
    w = await world()
    alex = await _onboard(w, "Oceania", "Auckland")
    await _live(w, dt.datetime(2026, 3, 3, 7, 35, tzinfo=AUCKLAND))
    await alex.morning()
    await _live(w, dt.datetime(2026, 3, 4, 7, 35, tzinfo=AUCKLAND))
    await _half_checkin(alex)
    await _move(alex, "Los Angeles")
    await alex.say("/help")  # any command: the carried check-in is put aside

    question = _text(await alex.say("/checkin"))
    assert "already checked in" not in question, question
    assert "This counts for Wednesday 4 March" in question and TIGHTNESS in question, question
    assert "Rest today" in await _rest_of_checkin(alex)
    assert _answered(_checkins(w)[WEDNESDAY]) == HALF
    assert _verdict_days(w) == [TUESDAY, WEDNESDAY]
    # Done for both days now: /checkin says so, and opens nothing.
    done = _text(await alex.say("/checkin"))
    assert "already checked in" in done.casefold() or "next check-in" in done.casefold(), done


async def test_west_into_a_day_without_a_check_in_counts_for_it(world: Factory) -> None:
    """Tuesday skipped in Auckland; half-way through Wednesday's, Los Angeles, where it is
    still Tuesday: the answers count for Tuesday there, and Wednesday is still asked."""
    w = await world()
    alex = await _onboard(w, "Oceania", "Auckland")
    await _live(w, dt.datetime(2026, 3, 4, 7, 35, tzinfo=AUCKLAND))
    await _half_checkin(alex)

    replies = await _move(alex, "Los Angeles")
    said = _text(replies)
    assert (
        "It is now Tuesday 3 March where you are, so the check-in you started counts for "
        "today." in said
    ), said
    assert said.count("kept") == 1, said  # on the question only
    assert RESUMED in (replies[-1].text or "") and TIGHTNESS in (replies[-1].text or ""), said
    await _rest_of_checkin(alex)
    checkins = _checkins(w)
    assert sorted(checkins) == [TUESDAY] and _answered(checkins[TUESDAY]) == HALF

    # Wednesday in Los Angeles still needs its check-in: asked for that morning (its prompt
    # went out in Auckland already, so the reminder asks), and taken for Wednesday.
    await _live(w, dt.datetime(2026, 3, 4, 9, 0, tzinfo=LOS_ANGELES))
    asked = [m.text or "" for m in alex.user.bot_messages[-2:]]
    assert any("Good morning" in t or "/checkin" in t for t in asked), asked
    replies = await alex.say("/checkin")
    assert "None of these ✅" in replies[-1].button_labels, _text(replies)
    assert RESUMED not in _text(replies)
    await _rest_of_checkin_from_start(alex)
    assert sorted(_checkins(w)) == [TUESDAY, WEDNESDAY]
    assert _verdict_days(w) == [TUESDAY, WEDNESDAY]


async def _rest_of_checkin_from_start(alex: Phone) -> None:
    """The whole check-in from its first question (shown), all well."""
    await alex.tap("None of these ✅")
    for label in ("0", "1", "1", "8", "2", "2", "2", "2"):
        await alex.tap(label)
    await alex.tap("7.5")


async def test_east_into_the_next_day_counts_for_it(world: Factory) -> None:
    """Los Angeles, 10:00 on Tuesday 3 March, half-way through the check-in; Auckland, where
    it is 07:30 on Wednesday 4 March: the answers count for Wednesday, carried on at once,
    and Wednesday is not asked again."""
    w = await world()
    alex = await _onboard(w, "Americas", "Los Angeles")
    await _live(w, dt.datetime(2026, 3, 2, 7, 35, tzinfo=LOS_ANGELES))
    await alex.morning()
    await _live(w, dt.datetime(2026, 3, 3, 10, 0, tzinfo=LOS_ANGELES))
    await _half_checkin(alex)
    w.clock.set(dt.datetime(2026, 3, 4, 7, 30, tzinfo=AUCKLAND))

    replies = await _move(alex, "Auckland")
    said = _text(replies)
    assert (
        "It is now Wednesday 4 March where you are, so the check-in you started counts for "
        "today." in said
    ), said
    assert said.count("kept") == 1, said  # on the question only
    assert "That time has passed today" not in said, said
    assert RESUMED in (replies[-1].text or "") and TIGHTNESS in (replies[-1].text or ""), said
    await _rest_of_checkin(alex)
    checkins = _checkins(w)
    assert sorted(checkins) == [dt.date(2026, 3, 2), WEDNESDAY]
    assert _answered(checkins[WEDNESDAY]) == HALF
    assert "already checked in" in _text(await alex.say("/checkin")).lower()

    await _live(w, dt.datetime(2026, 3, 5, 12, 0, tzinfo=AUCKLAND))
    assert _morning_prompts(w, alex, dt.UTC) == [
        "2026-03-02 15:30",  # Monday 07:30 in Los Angeles
        "2026-03-03 15:30",  # Tuesday 07:30 in Los Angeles
        "2026-03-04 18:30",  # Thursday 07:30 in Auckland: Wednesday is checked in
    ]
    assert _verdict_days(w) == [dt.date(2026, 3, 2), WEDNESDAY]


async def test_answers_begun_hours_before_the_move_stay_on_their_day(world: Factory) -> None:
    """Begun at 07:35 in Los Angeles, then a flight: Auckland set on arrival, seven hours
    later (11:40 on Wednesday there). Those answers are not Wednesday morning's: they stay on
    Tuesday, the athlete is told, and /checkin asks Wednesday's from the start."""
    w = await world()
    alex = await _onboard(w, "Americas", "Los Angeles")
    await _live(w, dt.datetime(2026, 3, 3, 7, 35, tzinfo=LOS_ANGELES))
    await _half_checkin(alex)
    w.clock.set(dt.datetime(2026, 3, 4, 11, 40, tzinfo=AUCKLAND))  # 14:40 in Los Angeles

    said = _text(await _move(alex, "Auckland"))
    assert (
        "The check-in you started on Tuesday 3 March stays with that day. Send /checkin to "
        "check in for today." in said
    ), said
    replies = await alex.say("/checkin")
    assert "None of these ✅" in replies[-1].button_labels, _text(replies)
    assert RESUMED not in _text(replies)
