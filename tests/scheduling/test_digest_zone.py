"""The weekly digest is read in the clinician's zone, about athletes in their own: a day that
has not ended for the athlete is not counted as a missed check-in."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from bot.reports.digest import digest_week
from bot.reports.from_store import digest_data_for
from bot.services.digest import due_week
from bot.store.db import session_scope
from bot.store.repo.answers import upsert_morning_checkin
from engine.models import MorningCheckIn
from tests.scheduling.helpers import add_person


def test_an_athletes_sunday_still_under_way_is_not_a_missed_check_in(engine: Engine) -> None:
    doc = add_person(engine, 901, role="clinician", tz="Australia/Sydney")
    athlete = add_person(
        engine, 902, tz="America/Los_Angeles", checkin="18:00", programme=True, clinician_id=doc
    )
    with session_scope(engine) as session:
        for day in range(9, 15):  # Monday 9 to Saturday 14 March, all answered
            upsert_morning_checkin(
                session,
                athlete_id=athlete,
                local_date=dt.date(2026, 3, day),
                answers=MorningCheckIn(pain_rest=0),
                answered_at=dt.datetime(2026, 3, day + 1, 1, tzinfo=dt.UTC),
                utc_offset_minutes=-420,
            )
    # Monday 16 March 08:00 in Sydney = Sunday 15 March 14:00 in Los Angeles: Sunday's 18:00
    # check-in has not been asked yet.
    now = dt.datetime(2026, 3, 15, 21, 0, tzinfo=dt.UTC)
    assert due_week(now, "Australia/Sydney") is not None
    week = digest_week(now, "Australia/Sydney")
    with session_scope(engine, read_only=True) as session:
        data = digest_data_for(session, clinician_id=doc, week=week, now=now)
        later = digest_data_for(
            session, clinician_id=doc, week=week, now=now + dt.timedelta(days=1)
        )
    assert data.athletes[0].missed_checkins == 0
    assert later.athletes[0].missed_checkins == 1  # once Sunday has ended, it was missed
