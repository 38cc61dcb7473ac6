"""A clinician reads an alert card in their own language, whatever language the athlete (or
the job that raised or re-sent it) uses: the alert line, the day's answers and the stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from bot.services.protocol_files import load_protocol
from bot.store.db import session_scope
from bot.store.repo.answers import upsert_morning_checkin
from bot.support.i18n import use_language
from engine.models import MorningCheckIn
from engine.red_flags import triage_morning
from tests.clinician.conftest import World
from tests.clinician.test_clinician_flow import link, make_clinician

WorldFactory = Callable[[], Awaitable[World]]
ANNA, LEE = 1001, 2001
ENGLISH = ("numbness", "tingling", "Red flag, tier", "red flags:", "Early loading", "Stage:")


async def test_a_german_clinician_reads_an_english_athletes_alert_in_german(
    world: WorldFactory,
) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna", stage="H1")
    w.sandbox.user(LEE, "Lee", language_code="de")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(ANNA, "Anna"))
    morning = MorningCheckIn(red_flags=["numbness"], pain_rest=0, pain_test=0)  # type: ignore[list-item]
    now = w.clock.now()
    with session_scope(w.engine) as session:
        upsert_morning_checkin(
            session,
            athlete_id=anna_id,
            local_date=now.date(),
            answers=morning,
            answered_at=now,
            utc_offset_minutes=0,
        )
    triage = triage_morning(load_protocol("hamstring"), morning)
    assert triage is not None
    w.raise_alert(anna_id, triage.alert.severity, triage.alert.rule, triage.alert.text)
    with use_language("es"):  # whatever language raised it: the card is worded per reader
        await w.escalate()
    w.clock.advance(dt.timedelta(minutes=30))
    await w.run_job()  # the re-send, from the job (no language of its own)
    cards = [m.text or "" for m in lee.bot_messages if "Taubheit" in (m.text or "")]
    assert len(cards) == 2, [m.text for m in lee.bot_messages]
    for card in cards:
        assert "Gemeldet: Taubheit, Kribbeln oder Schwäche im Bein oder Fuß." in card, card
        # Named once, by the alert's own line: not again among today's answers.
        assert card.count("Taubheit") == 1, card
        assert "Stufe: H1 · Erste Belastung" in card, card
        assert not [word for word in ENGLISH if word in card], card
        assert "entumecimiento" not in card and "Etapa" not in card, card
