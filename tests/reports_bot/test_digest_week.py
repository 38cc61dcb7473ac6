"""The Monday digest tells the week as it ended: a stage change the engine decided at
Sunday's morning check-in (whose daily decision is only written when the next check-in folds
the day) is in it, with the stage the athlete is in at the end of Sunday."""

from __future__ import annotations

import datetime as dt

from bot.services.digest import run_digest
from bot.store import repo
from bot.store.db import session_scope
from engine.models import MorningCheckIn, Reason
from engine.programme import DayOutcome
from tests.reports_bot.conftest import WorldFactory, write_athlete

ANNA, LEE = 3001, 2001
SUNDAY = dt.date(2026, 3, 1)


def digests(texts: list[str | None]) -> list[str]:
    """The digest messages among a chat's bot messages."""
    return [t for t in texts if t and t.startswith("Weekly digest")]


async def test_a_step_back_decided_on_sunday_morning_is_in_mondays_digest(
    world_both: WorldFactory,
) -> None:
    w = await world_both()
    sunday_morning = dt.datetime.combine(SUNDAY, dt.time(7, 30), dt.UTC)
    # Three weeks of history up to Saturday: H2, then H3 from the second Saturday on.
    anna = write_athlete(w.engine, sunday_morning, ANNA, "Anna Moreau", days=21)
    lee = w.add_clinician(LEE, "Dr Lee")
    w.link(anna, lee)
    # Sunday morning: test pain is up, the engine steps Anna back to H2. The bot records the
    # morning verdict (its outcome is the readiness word; the payload is the engine's day
    # outcome) and moves the stage at once; the daily row waits for the next check-in.
    outcome = DayOutcome(
        date=SUNDAY,
        stage="H3",
        readiness="rest",
        decision="step_back",
        stage_after="H2",
        reasons=[Reason(rule="stepback.pain", text="Test pain up: back one stage.")],
    )
    with session_scope(w.engine) as session:
        repo.upsert_morning_checkin(
            session,
            athlete_id=anna,
            local_date=SUNDAY,
            answers=MorningCheckIn(red_flags=[], pain_rest=1, pain_test=4),
            answered_at=sunday_morning,
            utc_offset_minutes=0,
        )
        repo.record_decision(
            session,
            athlete_id=anna,
            local_date=SUNDAY,
            kind="morning",
            outcome=str(outcome.readiness),
            decision=outcome.model_dump(mode="json"),
            protocol_name="hamstring",
            protocol_version=1,
            now=sunday_morning,
        )
        programme = repo.get_active_programme(session, athlete_id=anna)
        assert programme is not None and programme.id is not None
        repo.move_stage(
            session,
            programme_id=programme.id,
            to_stage="H2",
            now=sunday_morning,
            reason=f"engine: step_back on {SUNDAY.isoformat()}",
        )
    w.user(LEE, "Lee")
    w.clock.set(dt.datetime(2026, 3, 2, 8, 5, tzinfo=dt.UTC))  # Monday 08:05 in London
    sent = await run_digest(w.running.application.bot, w.engine, w.clock)
    assert sent.sent == [lee]
    [digest] = digests([m.text for m in w.sandbox.transcript(LEE) if m.sender == "bot"])
    assert "1 step back" in digest, digest
    assert "→ H2 · Return to running" in digest, digest


async def test_a_stage_the_clinician_set_on_sunday_evening_ends_the_week(
    world_both: WorldFactory,
) -> None:
    w = await world_both()
    anna = write_athlete(w.engine, w.clock.now(), ANNA, "Anna Moreau", days=21)  # H3 by Sunday
    lee = w.add_clinician(LEE, "Dr Lee")
    w.link(anna, lee)
    with session_scope(w.engine) as session:
        programme = repo.get_active_programme(session, athlete_id=anna)
        assert programme is not None and programme.id is not None
        repo.move_stage(
            session,
            programme_id=programme.id,
            to_stage="H4",
            now=dt.datetime.combine(SUNDAY, dt.time(20), dt.UTC),
            reason="clinician: set_stage",
            by_person_id=lee,
        )
    w.user(LEE, "Lee")
    w.clock.set(dt.datetime(2026, 3, 2, 8, 5, tzinfo=dt.UTC))
    assert (await run_digest(w.running.application.bot, w.engine, w.clock)).sent == [lee]
    [digest] = digests([m.text for m in w.sandbox.transcript(LEE) if m.sender == "bot"])
    assert "→ H4 · " in digest, digest
