"""The /athlete card lists open alerts as the clinician reads them: worded in their
language, never the engine's English record with its stage ids."""

from __future__ import annotations

from bot.services.protocol_files import load_protocol
from bot.store import repo
from bot.store.db import session_scope
from engine.models import MorningCheckIn
from engine.red_flags import triage_morning
from tests.reports_bot.conftest import WorldFactory

ANNA, LEE = 3001, 2001


async def test_open_alerts_on_the_card_read_in_the_clinicians_language(
    world: WorldFactory,
) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna", days=10)
    lee_id = w.add_clinician(LEE, "Dr Lee")
    w.link(anna_id, lee_id)
    triage = triage_morning(
        load_protocol("hamstring"), MorningCheckIn(red_flags=["numbness"], pain_rest=2)
    )
    assert triage is not None
    now = w.clock.now()
    with session_scope(w.engine) as session:
        repo.raise_alert(
            session, athlete_id=anna_id, alert=triage.alert, now=now, local_date=now.date()
        )
        repo.set_language(session, person_id=lee_id, language="de", chosen=True)
    lee = w.user(LEE, "Lee")
    await lee.send(f"/athlete {anna_id}")
    [card] = await lee.wait_reply()
    text = card.text or ""
    assert "1 offene Meldung:" in text, text
    assert "Taubheit" in text, text  # the sign, in German
    assert triage.alert.text[:30] not in text, text  # not the engine's English record
    assert "numbness" not in text.lower(), text
