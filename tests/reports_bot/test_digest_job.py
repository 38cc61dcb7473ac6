"""The Monday digest: one message per clinician per ISO week at 08:00 in the clinician's own
time zone, most urgent athlete first, with the charts of the athletes needing attention; never
twice, whether the job ticks again, the bot restarts or two processes run it at once."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.services.digest import run_digest
from tests.reports_bot.conftest import WorldFactory

ANNA, BEN, CARA, LEE, KAI = 3001, 3002, 3003, 2001, 2002


def digests(texts: list[str | None]) -> list[str]:
    """The digest messages among a chat's bot messages."""
    return [t for t in texts if t and t.startswith("Weekly digest")]


async def test_digest_once_per_clinician_per_week(world_both: WorldFactory) -> None:
    w = await world_both()
    # Monday 2 March 2026, 07:00 UTC: 07:00 in London, 16:00 in Tokyo.
    anna = w.add_athlete(ANNA, "Anna Moreau", days=20, alert="emergency")
    ben = w.add_athlete(BEN, "Ben Okafor", days=20)
    cara = w.add_athlete(CARA, "Cara Diaz", days=20, timezone="Asia/Tokyo")
    lee = w.add_clinician(LEE, "Dr Lee", timezone="Europe/London")
    kai = w.add_clinician(KAI, "Dr Kai", timezone="Asia/Tokyo")
    w.link(anna, lee)
    w.link(ben, lee)
    w.link(cara, kai)
    bot = w.running.application.bot
    lee_chat, kai_chat = w.user(LEE, "Lee"), w.user(KAI, "Kai")

    def texts(user_id: int) -> list[str | None]:
        return [m.text for m in w.sandbox.transcript(user_id) if m.sender == "bot"]

    first = await run_digest(bot, w.engine, w.clock, worker="a")
    assert first.sent == [kai]  # 08:00 has passed in Tokyo, not yet in London
    assert digests(texts(LEE)) == []
    [kai_digest] = digests(texts(KAI))
    assert "Cara Diaz" in kai_digest and "23 Feb" in kai_digest  # the week of 23 Feb–1 Mar

    w.clock.set(dt.datetime(2026, 3, 2, 8, 5, tzinfo=dt.UTC))
    second = await run_digest(bot, w.engine, w.clock, worker="a")
    assert second.sent == [lee]
    [lee_digest] = digests(texts(LEE))
    assert lee_digest.index("Anna Moreau") < lee_digest.index("Ben Okafor")  # urgent first
    assert "EMERGENCY" in lee_digest
    # Anna's open emergency needs attention: her chart follows; Ben's routine week has none.
    assert [p.caption and p.caption.split(":")[0] for p in lee_chat.photos] == ["Anna Moreau"]
    assert lee_chat.photos[0].data.startswith(b"\x89PNG")

    # Another tick, a restart, a tick in the restarted bot: nothing more this week.
    assert (await run_digest(bot, w.engine, w.clock, worker="a")).sent == []
    restarted = await w.telegram.restart()
    w.clock.advance(dt.timedelta(hours=3))
    again = await run_digest(restarted.application.bot, w.engine, w.clock, worker="b")
    assert again.sent == []
    assert len(digests(texts(LEE))) == 1 and len(digests(texts(KAI))) == 1
    assert len(lee_chat.photos) == 1

    # The next Monday, two processes tick at the same moment: each clinician gets one digest.
    w.clock.set(dt.datetime(2026, 3, 9, 8, 30, tzinfo=dt.UTC))
    one, two = await asyncio.gather(
        run_digest(restarted.application.bot, w.engine, w.clock, worker="p1"),
        run_digest(restarted.application.bot, w.engine, w.clock, worker="p2"),
    )
    assert sorted(one.sent + two.sent) == sorted([lee, kai])
    assert len(digests(texts(LEE))) == 2 and len(digests(texts(KAI))) == 2
    # Cara checked in until 1 March only: a week of missed check-ins now needs a look.
    assert [p.caption for p in kai_chat.photos] == ["Cara Diaz: 7 missed check-ins"]
    assert "Ben Okafor" in digests(texts(LEE))[-1]


async def test_no_digest_outside_monday_morning_or_for_a_clinician_without_athletes(
    world: WorldFactory,
) -> None:
    w = await world()
    anna = w.add_athlete(ANNA, "Anna Moreau", days=10)
    lee = w.add_clinician(LEE, "Dr Lee", timezone="Europe/London")
    w.add_clinician(KAI, "Dr Kai", timezone="Europe/London")  # no athletes: nothing to say
    w.link(anna, lee)
    w.user(LEE, "Lee")
    bot = w.running.application.bot
    w.clock.set(dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC))  # Thursday: last Monday's is past
    assert (await run_digest(bot, w.engine, w.clock)).sent == []
    w.clock.set(dt.datetime(2026, 3, 9, 7, 59, tzinfo=dt.UTC))  # Monday 07:59 London
    assert (await run_digest(bot, w.engine, w.clock)).sent == []
    w.clock.set(dt.datetime(2026, 3, 9, 8, 0, tzinfo=dt.UTC))
    assert (await run_digest(bot, w.engine, w.clock)).sent == [lee]
    w.clock.set(dt.datetime(2026, 3, 18, 8, 0, tzinfo=dt.UTC))  # 2 days after Monday: too late
    assert (await run_digest(bot, w.engine, w.clock)).sent == []


async def test_the_digest_arrives_at_08_00_local_on_both_sides_of_a_dst_change(
    world: WorldFactory,
) -> None:
    """Berlin moves its clocks on the last Sunday of March and of October: the Monday digest
    follows the local 08:00 (06:00 UTC in summer time, 07:00 UTC in winter time), never 09:00."""
    w = await world()
    anna = w.add_athlete(ANNA, "Anna Moreau", days=10)
    lee = w.add_clinician(LEE, "Dr Lee", timezone="Europe/Berlin")
    w.link(anna, lee)
    lee_chat = w.user(LEE, "Lee")
    bot = w.running.application.bot
    for before, at in (
        # Monday 30 March 2026, the day after summer time began: 08:00 CEST = 06:00 UTC.
        (dt.datetime(2026, 3, 30, 5, 59), dt.datetime(2026, 3, 30, 6, 0)),
        # Monday 26 October 2026, the day after it ended: 08:00 CET = 07:00 UTC.
        (dt.datetime(2026, 10, 26, 6, 59), dt.datetime(2026, 10, 26, 7, 0)),
    ):
        w.clock.set(before.replace(tzinfo=dt.UTC))
        assert (await run_digest(bot, w.engine, w.clock)).sent == [], before
        w.clock.set(at.replace(tzinfo=dt.UTC))
        assert (await run_digest(bot, w.engine, w.clock)).sent == [lee], at
    sent = [m for m in w.sandbox.transcript(LEE) if m.sender == "bot" and m.text]
    assert len(digests([m.text for m in sent])) == 2
    assert lee_chat is not None
