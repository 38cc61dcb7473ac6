"""A clinician whose Telegram name shows nothing (only fillers or invisible characters) writes
to an athlete: the athlete reads "Message from your clinician:", not a capitalised fallback in
the middle of the sentence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.clinician.conftest import World, open_card
from tests.clinician.test_clinician_flow import link, make_clinician, say

WorldFactory = Callable[[], Awaitable[World]]
CLINICIAN, BEN = 2011, 3011


async def test_a_clinician_without_a_shown_name_is_your_clinician(world: WorldFactory) -> None:
    w = await world()
    w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, CLINICIAN, "\u3164")  # a Hangul filler: shows nothing
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)
    await open_card(lee, "ben", chart=False)
    await lee.press("💬 Message athlete")
    await lee.wait_reply()
    assert "Sent to Ben." in await say(lee, "Keep the walks easy today, please.")
    await w.deliver()
    texts = [m.text or "" for m in ben.bot_messages]
    assert any(t.startswith("Message from your clinician:\nKeep the walks easy") for t in texts), (
        texts
    )
    assert not any("Message from Your clinician" in t for t in texts), texts
