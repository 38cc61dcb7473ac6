"""A review voided by a later warning sign, end to end on SQLite and PostgreSQL: Lee reviews
Anna's swelling from the alert card (she may run again from tomorrow, with a note), then Anna
feels a pop the same day. The review is voided: its row is deleted and only an audit entry
(``void_review``, with Lee's note) keeps it.

The report used to show nothing of it: the record had no review at all, while the alert row
still read "Reviewed: may run again" (running was stopped again). Anna's /export kept the
entry with no detail, so Lee's note about her was gone from it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.reports.build import build_report_pdf
from bot.reports.from_store import report_data_for
from bot.sandbox import BotApiSandbox
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import Person
from engine.models import Alert
from tests.clinician.conftest import db, services
from tests.clinician.test_overview_waiting_review import ANNA, LEE, lee_with, say
from tests.reports.pdf_pages import flat, pdf_text
from tests.reports.test_attack_baseline_change import NOW, _athlete
from tests.store.conftest import db_url, engine, pg_databases, pg_migrated, sqlite_template
from tests.support.telegram import BotHarness

__all__ = ["db", "db_url", "engine", "pg_databases", "pg_migrated", "services", "sqlite_template"]

NOTE = "Phoned: swelling small, settling"


async def _voided_review(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> tuple[int, int]:
    """Anna's review by Lee, voided by the pop she reports three hours later; return (Anna's
    id, Lee's id)."""
    w, lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    person = w.person(ANNA)
    assert person is not None and person.id is not None
    await anna.say("/checkin")
    await anna.tap("▫️ New swelling at the injury")
    await anna.tap("Done")
    await w.deliver()
    card = lee.last_bot_message
    clock.advance(dt.timedelta(hours=1))
    await lee.press("🩺 Reviewed: may run again", card)
    await lee.wait_reply()
    await say(lee, NOTE)
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("from tomorrow" in (m.text or "") for m in ms))
    clock.advance(dt.timedelta(hours=3))
    await anna.say("/problem")
    await anna.say("felt something go in the back of my thigh")
    await anna.tap("🚩 Check for warning signs")
    await anna.tap("▫️ Felt a pop or sudden sharp pain")
    await anna.tap("Done")
    await w.deliver()
    with session_scope(w.engine, read_only=True) as session:
        [void] = repo.audit_entries(session, action="void_review")
        assert void.detail["note"] == NOTE
    clinician = w.person(LEE)
    assert clinician is not None and clinician.id is not None
    return person.id, clinician.id


async def test_the_report_shows_the_voided_review_and_its_alert_is_no_longer_reviewed(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    anna_id, lee_id = await _voided_review(telegram, sandbox, services, clock)
    now = clock.now()
    with session_scope(services.engine, read_only=True) as session:
        lee = session.get(Person, lee_id)
        data = report_data_for(session, athlete_id=anna_id, now=now, viewer=lee)
    actions = [(r.action, r.by, r.text) for r in data.record]
    # Lee's review, at its own time, said to be voided, with the note he gave.
    reviewed = [a for a in actions if a[0].startswith("Reviewed: may run again")]
    assert reviewed == [("Reviewed: may run again (voided later)", "Lee", NOTE)], actions
    # And the voiding itself, by the rules, saying what it means.
    [voided] = [a for a in actions if a[0].startswith("Review voided")]
    assert voided[0] == "Review voided: a red flag was reported after it"
    assert voided[1] == "Sprintback rules"
    assert voided[2] == "Lee's review no longer counts: running needs a new review."
    # The alert Lee reviewed from the card does not read as reviewed any more.
    handled = [a.action for a in data.alerts if a.action]
    assert handled and all("voided" in (action or "") for action in handled), handled

    pdf, _name, _label = build_report_pdf(services.engine, anna_id, now, lee_id)
    text = flat(" ".join(pdf_text(pdf)))
    assert "Reviewed: may run again (voided later)" in text
    assert "Review voided: a red flag was reported after it" in text
    assert NOTE in text


async def test_the_export_keeps_the_voided_reviews_note_but_not_who_else_saw_it(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    anna_id, lee_id = await _voided_review(telegram, sandbox, services, clock)
    with session_scope(services.engine) as session:
        export = repo.export_athlete(session, athlete_id=anna_id)
    [void] = [e for e in export["tables"]["audit_log"] if e["action"] == "void_review"]
    assert void["detail"]["note"] == NOTE
    assert void["detail"]["reason"] == "a warning sign reported after the review"
    assert "review_for" in void["detail"]
    # Still no more than what was done about her: no actor, no other person's number.
    assert "review_by" not in void["detail"] and "actor_id" not in void
    assert str(lee_id) not in {str(v) for v in void["detail"].values()}


def test_a_voided_review_reads_the_same_with_a_skewed_clock_or_no_review_entry_left(
    engine: Engine,
) -> None:
    """The review's own entry may carry a time a moment after its voiding (another replica's
    clock), or be missing (stored before reviews were audited): the record still shows the
    review, at its time or else at the voiding's, with its note and its voiding."""
    anna, lee = _athlete(engine, change=False)
    voided_at = dt.datetime(2026, 3, 9, 11, tzinfo=dt.UTC)
    with session_scope(engine) as s:
        alert = repo.raise_alert(
            s,
            athlete_id=anna,
            alert=Alert(severity="within_24h", rule="redflag.tier3", text="swelling"),
            now=voided_at - dt.timedelta(hours=3),
            local_date=voided_at.date(),
        )
        alert.acknowledged_at, alert.acknowledged_by = voided_at, lee
        alert.action_taken = "review"
        s.add(alert)
        repo.audit(
            s,
            actor_id=lee,
            action="review",
            athlete_id=anna,
            now=voided_at + dt.timedelta(seconds=20),
            detail={"note": "skewed", "effective": "2026-03-10", "alert_ids": [alert.id] * 2},
        )
        for note in ("skewed", "no entry"):
            repo.audit(
                s,
                actor_id=None,
                action="void_review",
                athlete_id=anna,
                now=voided_at,
                detail={"review_by": lee, "review_for": "2026-03-10", "note": note},
            )
    with session_scope(engine, read_only=True) as s:
        data = report_data_for(s, athlete_id=anna, now=NOW, viewer=s.get(Person, lee))
    reviews = [(r.at, r.text) for r in data.record if r.action.endswith("(voided later)")]
    assert sorted(reviews) == [
        (voided_at, "no entry"),
        (voided_at + dt.timedelta(seconds=20), "skewed"),
    ]
    assert sum(r.action.startswith("Review voided") for r in data.record) == 2
    [row] = data.alerts
    assert row.action == "Reviewed: may run again (voided later)"
