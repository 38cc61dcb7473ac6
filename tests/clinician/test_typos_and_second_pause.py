"""A linked clinician's typing mistakes get the command's usage line (the neutral refusal is
kept for a well-formed reference to an athlete they may not see); a second /pause says the
programme is already paused and tells the athlete nothing again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.services.access import REFUSAL_TEXT
from tests.clinician.conftest import World
from tests.clinician.test_clinician_flow import link, make_clinician, say

WorldFactory = Callable[[], Awaitable[World]]
LEE, BEN, CARA = 2001, 3002, 3003
ATHLETE_USAGE = "Send /athlete followed by the athlete's number (from /athletes) or name."
NOTE_USAGE = "Send /note followed by the athlete's number (see /athletes)."


async def test_a_clinicians_typing_mistakes_get_the_usage_line(world: WorldFactory) -> None:
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben")
    cara_id = w.add_athlete(CARA, "Cara")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    assert await say(lee, f"/athlete {ben_id} {ben_id}") == ATHLETE_USAGE
    assert await say(lee, "/athlete #") == ATHLETE_USAGE
    assert await say(lee, "/note #") == NOTE_USAGE
    assert await say(lee, f"/note {ben_id}x checked") == NOTE_USAGE
    # A well-formed reference to an athlete Lee may not see is still refused.
    assert await say(lee, f"/athlete {cara_id}") == REFUSAL_TEXT
    assert await say(lee, f"/note {cara_id} hello") == REFUSAL_TEXT


async def test_a_second_pause_says_already_paused_and_tells_nobody_again(
    world: WorldFactory,
) -> None:
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben")
    lee = await make_clinician(w, LEE, "Lee")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)
    first = await say(lee, f"/pause {ben_id} x")
    assert first.startswith("Ben's programme is paused. They have been told."), first
    second = await say(lee, f"/pause {ben_id} x")
    assert second == (
        "Ben's programme is already paused: nothing changed, and they were not told again."
    )
    await w.deliver()
    told = [m for m in ben.bot_messages if "paused your programme" in (m.text or "")]
    assert len(told) == 1, [m.text for m in ben.bot_messages]
