"""The report's alert table never hides an open alert: an unacknowledged red flag stays on
the PDF however many newer alerts were handled since, and the line about the rows left out
says they were handled."""

from __future__ import annotations

import datetime as dt

from bot.sandbox.state import TranscriptMessage
from bot.services.protocol_files import load_protocol
from bot.store import repo
from bot.store.db import session_scope
from engine.models import Alert, MorningCheckIn
from engine.red_flags import triage_morning
from tests.reports_bot.conftest import WorldFactory, pdf_text

ANNA, LEE = 3001, 2001
HANDLED = 6


def has_document(messages: list[TranscriptMessage]) -> bool:
    """A wait_until predicate: a document has arrived."""
    return any(m.kind == "document" for m in messages)


async def test_an_open_red_flag_stays_on_the_pdf_behind_newer_handled_alerts(
    world_both: WorldFactory,
) -> None:
    w = await world_both()
    anna_id = w.add_athlete(ANNA, "Anna Moreau", days=20)
    lee_id = w.add_clinician(LEE, "Dr Lee")
    w.link(anna_id, lee_id)
    now = w.clock.now()
    triage = triage_morning(load_protocol("hamstring"), MorningCheckIn(red_flags=["pop"]))
    assert triage is not None and triage.alert.severity == "same_day"
    with session_scope(w.engine) as session:
        # Nine days ago the athlete felt a pop; nobody has acknowledged it.
        repo.raise_alert(
            session,
            athlete_id=anna_id,
            alert=triage.alert,
            now=now - dt.timedelta(days=9),
            local_date=(now - dt.timedelta(days=9)).date(),
        )
        # Since then, missed check-ins the clinician has each seen and handled.
        for back in range(HANDLED, 0, -1):
            at = now - dt.timedelta(days=back)
            row = repo.raise_alert(
                session,
                athlete_id=anna_id,
                alert=Alert(
                    severity="info",
                    rule="escalate.missed",
                    text="No check-in for 3 days: the stage is held.",
                ),
                now=at,
                local_date=at.date(),
            )
            assert row.id is not None
            repo.acknowledge_alert(
                session, alert_id=row.id, by_person_id=lee_id, now=at + dt.timedelta(hours=1)
            )
    lee = w.user(LEE, "Lee")
    await lee.send("/report Anna")
    await lee.wait_until(has_document)
    text = " ".join(pdf_text(lee.documents[-1].data).split())
    assert "7 alerts, 1 open." in text, text
    assert "OPEN (not acknowledged)" in text, text
    assert "athlete reported a pop or sudden sharp pain" in text, text
    # Six rows: the open red flag and the five newest handled alerts; the oldest handled one
    # is left out, and the line says so.
    assert text.count("No check-in for 3 days") == 5, text
    assert "1 older handled alert not shown" in text, text


async def test_an_open_alert_older_than_the_newest_sixty_is_still_reported(
    world_both: WorldFactory,
) -> None:
    w = await world_both()
    anna_id = w.add_athlete(ANNA, "Anna Moreau", days=20)
    lee_id = w.add_clinician(LEE, "Dr Lee")
    w.link(anna_id, lee_id)
    now = w.clock.now()
    triage = triage_morning(load_protocol("hamstring"), MorningCheckIn(red_flags=["pop"]))
    assert triage is not None
    with session_scope(w.engine) as session:
        start = now - dt.timedelta(days=19)
        repo.raise_alert(
            session, athlete_id=anna_id, alert=triage.alert, now=start, local_date=start.date()
        )
        for n in range(1, 71):
            at = start + dt.timedelta(hours=6 * n)
            row = repo.raise_alert(
                session,
                athlete_id=anna_id,
                alert=Alert(severity="info", rule="test.alert", text=f"handled {n}"),
                now=at,
                local_date=at.date(),
            )
            assert row.id is not None
            repo.acknowledge_alert(session, alert_id=row.id, by_person_id=lee_id, now=at)
    lee = w.user(LEE, "Lee")
    await lee.send("/report Anna")
    await lee.wait_until(has_document)
    text = " ".join(pdf_text(lee.documents[-1].data).split())
    assert "71 alerts, 1 open." in text, text
    assert "athlete reported a pop or sudden sharp pain" in text, text
    assert "65 older handled alerts not shown" in text, text
