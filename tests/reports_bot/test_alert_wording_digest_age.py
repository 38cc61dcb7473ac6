"""An alert raised during the week and still open, as the Monday digest lists it.

The digest listed it with the severity word it was raised with ("today, Wed 25 Feb 07:00: Red
flag …"): read on Monday, "today" is five days wrong. It now says since when the alert is open
and what it asked for then ("open since Wed 25 Feb 07:00 (same-day review)"), and the
athlete's headline says "open same-day alert", not "open alert for today".
"""

from __future__ import annotations

import datetime as dt

from bot.services.digest import run_digest
from bot.services.protocol_files import load_protocol
from bot.store import repo
from bot.store.db import session_scope
from engine.models import MorningCheckIn
from engine.red_flags import triage_morning
from tests.reports_bot.conftest import WorldFactory

ANNA, LEE = 3001, 2001


async def test_a_week_old_open_alert_says_since_when_not_today(world: WorldFactory) -> None:
    w = await world()
    anna = w.add_athlete(ANNA, "Anna Moreau", days=20)
    lee = w.add_clinician(LEE, "Dr Lee", timezone="Europe/London")
    w.link(anna, lee)
    lee_chat = w.user(LEE, "Lee")
    tri = triage_morning(
        load_protocol("hamstring"), MorningCheckIn(red_flags=["numbness"], pain_rest=0)
    )
    assert tri is not None and tri.alert.severity == "same_day"
    raised = dt.datetime(2026, 2, 25, 7, 0, tzinfo=dt.UTC)  # Wednesday, 5 days before Monday
    with session_scope(w.engine) as session:
        repo.raise_alert(
            session, athlete_id=anna, alert=tri.alert, now=raised, local_date=raised.date()
        )

    w.clock.set(dt.datetime(2026, 3, 2, 8, 5, tzinfo=dt.UTC))  # Monday, 08:05 in London
    run = await run_digest(w.running.application.bot, w.engine, w.clock, worker="a")
    assert run.sent == [lee]
    texts = [m.text or "" for m in w.sandbox.transcript(LEE) if m.sender == "bot"]
    [digest] = [t for t in texts if t.startswith("Weekly digest")]
    block = digest[digest.index("Anna Moreau") :].split("\n\n")[0]
    assert block.startswith("Anna Moreau: open same-day alert"), block
    [line] = [x for x in block.splitlines() if "Red flag" in x]
    assert line.startswith("  • open since Wed 25 Feb 07:00 (same-day review): Red flag, tier 2"), (
        line
    )
    assert "today" not in block, block
    # The chart's caption names the same reason.
    assert [p.caption for p in lee_chat.photos] == ["Anna Moreau: open same-day alert"]
