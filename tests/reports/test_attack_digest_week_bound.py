"""The digest's week detail reads the week it reports, not the athlete's whole history.

It read every clinician action (step backs, stage changes, reviews) and every alert the
athlete ever had, then sorted out the week's in Python: slower every month, and a review
recorded after the digest's ``now`` (a digest rebuilt for a past week) counted the week's
red flag as reviewed when, as of that digest, nobody had looked at it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, event

from bot.reports.digest import render_digest
from bot.services.digest import prepare_digest_details, week_detail
from bot.services.protocol_admin import ensure_seeded
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import AlertRecord, ClinicianActionRecord
from engine.models import Alert, Injury, MorningCheckIn
from tests.store.conftest import db_url, engine, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "engine", "pg_databases", "pg_migrated", "sqlite_template"]

MONDAY = dt.date(2026, 3, 2)
SUNDAY = MONDAY + dt.timedelta(days=6)
THURSDAY = MONDAY + dt.timedelta(days=3)
NOW = dt.datetime(2026, 3, 9, 8, 0, tzinfo=dt.UTC)  # the next Monday, 08:00
OLD_DAYS = 120


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


def _swelling() -> Alert:
    return Alert(
        severity="within_24h",
        rule="morning.red_flag",
        text="Red flag, tier 3 (stop and clinician review within 24 h): athlete reported new "
        "swelling.",
    )


def _world(engine: Engine, *, history: bool) -> tuple[int, int]:
    """Sam (linked to Dr Lee) with a red flag on Thursday of the week, and, with ``history``,
    four months of older flags, reviews and step backs before it."""
    start = MONDAY - dt.timedelta(days=OLD_DAYS + 5)
    with session_scope(engine) as session:
        ensure_seeded(session, "hamstring", _at(start, 6))
        sam = repo.create_person(
            session,
            role="athlete",
            telegram_user_id=601,
            chat_id=601,
            display_name="Sam",
            timezone="UTC",
            now=_at(start, 7),
        )
        lee = repo.create_person(
            session,
            role="clinician",
            telegram_user_id=602,
            chat_id=602,
            display_name="Dr Lee",
            timezone="UTC",
            now=_at(start, 7),
        )
        assert sam.id is not None and lee.id is not None
        repo.link_athlete(session, athlete_id=sam.id, clinician_id=lee.id, now=_at(start, 8))
        injury = Injury(injury="hamstring", side="left", grade=1, injury_date=start)
        row = repo.add_injury(session, athlete_id=sam.id, injury=injury, now=_at(start, 8))
        repo.start_programme(
            session,
            athlete_id=sam.id,
            protocol_name="hamstring",
            protocol_version=1,
            first_stage="H0",
            start_date=start,
            now=_at(start, 9),
            injury_id=row.id,
        )
        if history:
            for offset in range(OLD_DAYS):
                day = start + dt.timedelta(days=offset + 1)
                repo.raise_alert(
                    session, athlete_id=sam.id, alert=_swelling(), now=_at(day, 7), local_date=day
                )
                for kind in ("review", "step_back"):
                    repo.record_clinician_action(
                        session,
                        athlete_id=sam.id,
                        clinician_id=lee.id,
                        local_date=day,
                        kind=kind,  # type: ignore[arg-type]
                        now=_at(day, 12),
                        stage="H0" if kind == "step_back" else None,
                    )
        repo.upsert_morning_checkin(
            session,
            athlete_id=sam.id,
            local_date=THURSDAY,
            answers=MorningCheckIn(red_flags=["swelling"], pain_rest=0, pain_test=3),
            answered_at=_at(THURSDAY, 7),
            utc_offset_minutes=0,
        )
        repo.raise_alert(
            session, athlete_id=sam.id, alert=_swelling(), now=_at(THURSDAY, 7), local_date=THURSDAY
        )
        return sam.id, lee.id


def test_a_review_recorded_after_the_digest_does_not_count_in_it(engine: Engine) -> None:
    sam, lee = _world(engine, history=False)
    with session_scope(engine) as session:
        repo.record_clinician_action(
            session,
            athlete_id=sam,
            clinician_id=lee,
            local_date=SUNDAY + dt.timedelta(days=1),
            kind="review",
            now=NOW + dt.timedelta(hours=2),
        )
    data, details = prepare_digest_details(engine, lee, (MONDAY, SUNDAY), NOW)
    text = render_digest(data, details)
    assert "1 red flag this week: new swelling (not reviewed yet)" in text, text
    later, later_details = prepare_digest_details(
        engine, lee, (MONDAY, SUNDAY), NOW + dt.timedelta(hours=3)
    )
    assert "new swelling (reviewed)" in render_digest(later, later_details)


def test_the_week_detail_reads_only_the_weeks_actions_and_alerts(engine: Engine) -> None:
    sam, _lee = _world(engine, history=True)
    loaded: list[object] = []

    def count(target: object, _context: object) -> None:
        loaded.append(target)

    event.listen(ClinicianActionRecord, "load", count)
    event.listen(AlertRecord, "load", count)
    try:
        with session_scope(engine, read_only=True) as session:
            detail = week_detail(session, sam, (MONDAY, SUNDAY))
    finally:
        event.remove(ClinicianActionRecord, "load", count)
        event.remove(AlertRecord, "load", count)
    # The week's one red flag, not reviewed (the old reviews were of older flags).
    assert [(f.signs, f.reviewed) for f in detail.red_flags] == [("new swelling", False)]
    assert len(loaded) <= 2, f"{len(loaded)} rows read for one week"
