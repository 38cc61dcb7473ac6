"""The clinician's alert card after time away at the final stage says the whole plan: the
capped first session back, the easy day after it and when the usual sessions return (protocol
note 21), as the athlete's plan does. Before, it told only the capped first session. The line
is short enough for the card in every language (% Vmax, as clinicians read it), so the review
request at its end is never cut."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from engine.programme import replay
from tests.clinician.conftest import World
from tests.clinician.test_clinician_flow import link, make_clinician
from tests.engine.builders import protocol
from tests.engine.test_reference_conformance import BASE, D0, HAM, day, session

WorldFactory = Callable[[], Awaitable[World]]
SAM, LEE = 1011, 2011


def _gap_final_alert() -> tuple[str, str, str]:
    """The engine's ``gap.final`` alert for a hamstring athlete back at H7 after 20 days."""
    days = [
        day(0, set_stage="H7"),
        day(1, s=session(97, checks={"full_training": True})),
        day(3, s=session(97, checks={"full_training": True})),
        day(24),
    ]
    timeline = replay(protocol("hamstring"), HAM, BASE, days, start=D0)
    back = next(o for o in timeline.days if o.date == D0 + dt.timedelta(days=24))
    alert = next(a for a in back.alerts if a.rule == "gap.final")
    return alert.severity, alert.rule, alert.text


async def test_the_card_tells_the_easy_day_and_when_usual_sessions_return(
    world: WorldFactory,
) -> None:
    w = await world()
    sam_id = w.add_athlete(SAM, "Sam", stage="H7")
    w.sandbox.user(LEE, "Lee", language_code="en")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(SAM, "Sam"))
    w.raise_alert(sam_id, *_gap_final_alert())
    await w.escalate()
    cards = [m.text or "" for m in lee.bot_messages if "Back after 20 days" in (m.text or "")]
    assert len(cards) == 1, [m.text for m in lee.bot_messages]
    card = cards[0]
    # The whole line, uncut on the card (on one line: its spaces are plain ones there).
    assert (
        "Back after 20 days away at the final stage, H7 · Return to play + maintenance. First "
        "session back ≤ 90 % Vmax, then an easy day with nothing ≥ 95 %; no full training or "
        "matches for 72 h after that run. Re-tests due: please review before matches.\n"
    ) in card, card
    # The clinician's words, not the engine's record sentence nor its rule id.
    assert "capped at" not in card and "gap.final" not in card, card
