"""The digest line says what happened in the week: the highest stage reached and each step
back with its stages, the worst morning test pain beside the mean, pain with its unit, and
each red flag named by its signs, with whether a clinician reviewed it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from bot.reports.data import DigestAthleteWeek, DigestData
from bot.reports.digest import RedFlagSeen, WeekDetail, render_digest
from bot.services.digest import prepare_digest_details
from bot.services.protocol_admin import ensure_seeded
from bot.store import repo
from bot.store.db import session_scope
from engine.models import Alert, Injury, MorningCheckIn
from tests.store.conftest import db_url, engine, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "engine", "pg_databases", "pg_migrated", "sqlite_template"]

MONDAY = dt.date(2026, 3, 2)
SUNDAY = MONDAY + dt.timedelta(days=6)
H0 = "H0 · Triage & protection"
H1 = "H1 · Early loading"
H2 = "H2 · Return to running"


def _sam() -> DigestAthleteWeek:
    return DigestAthleteWeek(
        athlete_id=7,
        athlete_name="Sam",
        stage_start="H0",
        stage_end="H1",
        stage_start_label=H0,
        stage_end_label=H1,
        step_backs=1,
        red_flags=1,
        sessions_done=4,
        mean_test_pain=0.6,
        max_session_pain=0,
    )


def _digest(week: DigestAthleteWeek) -> DigestData:
    return DigestData(clinician_name="Dr Lee", week_start=MONDAY, week_end=SUNDAY, athletes=[week])


def test_session_pain_has_its_unit() -> None:
    text = render_digest(_digest(_sam()))
    assert "worst session pain 0/10" in text, text


def test_the_line_names_the_peak_the_step_back_the_flare_up_and_the_red_flag() -> None:
    detail = WeekDetail(
        max_test_pain=3,
        peak_stage=H2,
        step_backs=((H2, H1),),
        red_flags=(RedFlagSeen(signs="new swelling", reviewed=True),),
    )
    text = render_digest(_digest(_sam()), {7: detail})
    assert (
        "🟠 REVIEW · Sam: 1 red flag this week: new swelling (reviewed); "
        f"1 step back: from {H2} to {H1}\n"
    ) in text, text
    assert (
        f"  stage {H0} → {H1} (highest reached: {H2}), 4 sessions, "
        "test pain 0.6/10 (worst 3/10), worst session pain 0/10"
    ) in text, text


def test_a_red_flag_not_reviewed_says_so() -> None:
    detail = WeekDetail(red_flags=(RedFlagSeen(signs="pain that woke them at night"),))
    text = render_digest(_digest(_sam()), {7: detail})
    assert "1 red flag this week: pain that woke them at night (not reviewed yet)" in text, text


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


def test_the_week_detail_is_read_from_the_store(engine: Engine) -> None:
    """Sam climbs H0 → H1 → H2, flares up to 3/10 with new swelling, is reviewed and
    stepped back to H1: the digest says all of it."""
    now = _at(MONDAY + dt.timedelta(days=7), 8)
    with session_scope(engine) as session:
        ensure_seeded(session, "hamstring", now)
        sam = repo.create_person(
            session,
            role="athlete",
            telegram_user_id=501,
            chat_id=501,
            display_name="Sam",
            timezone="UTC",
            now=_at(MONDAY - dt.timedelta(days=3), 8),
        )
        lee = repo.create_person(
            session,
            role="clinician",
            telegram_user_id=502,
            chat_id=502,
            display_name="Dr Lee",
            timezone="UTC",
            now=_at(MONDAY - dt.timedelta(days=3), 8),
        )
        assert sam.id is not None and lee.id is not None
        repo.link_athlete(session, athlete_id=sam.id, clinician_id=lee.id, now=now)
        injury = Injury(
            injury="hamstring", side="left", grade=1, injury_date=MONDAY - dt.timedelta(days=2)
        )
        injury_row = repo.add_injury(session, athlete_id=sam.id, injury=injury, now=now)
        programme = repo.start_programme(
            session,
            athlete_id=sam.id,
            protocol_name="hamstring",
            protocol_version=1,
            first_stage="H0",
            start_date=MONDAY - dt.timedelta(days=1),
            now=_at(MONDAY - dt.timedelta(days=1), 9),
            injury_id=injury_row.id,
        )
        assert programme.id is not None
        repo.record_decision(
            session,
            athlete_id=sam.id,
            local_date=MONDAY,
            kind="daily",
            outcome="hold",
            decision={"stage": "H0", "stage_after": "H0", "reasons": []},
            protocol_name="hamstring",
            protocol_version=1,
            now=_at(MONDAY, 18),
        )
        for offset, pain in enumerate([0, 0, 0, 3, 0, 0, 0]):
            day = MONDAY + dt.timedelta(days=offset)
            repo.upsert_morning_checkin(
                session,
                athlete_id=sam.id,
                local_date=day,
                answers=MorningCheckIn(
                    red_flags=["swelling"] if pain else [], pain_rest=0, pain_test=pain
                ),
                answered_at=_at(day, 7),
                utc_offset_minutes=0,
            )
        for offset, stage in ((1, "H1"), (2, "H2"), (4, "H1")):
            repo.move_stage(
                session,
                programme_id=programme.id,
                to_stage=stage,
                now=_at(MONDAY + dt.timedelta(days=offset), 18),
                reason="engine: test",
            )
        friday = MONDAY + dt.timedelta(days=4)
        repo.record_decision(
            session,
            athlete_id=sam.id,
            local_date=friday,
            kind="daily",
            outcome="step_back",
            decision={"stage": "H2", "stage_after": "H1", "reasons": []},
            protocol_name="hamstring",
            protocol_version=1,
            now=_at(friday, 18),
        )
        thursday = MONDAY + dt.timedelta(days=3)
        repo.raise_alert(
            session,
            athlete_id=sam.id,
            alert=Alert(
                severity="within_24h",
                rule="morning.red_flag",
                text="Red flag, tier 3 (stop and clinician review within 24 h): athlete "
                "reported new swelling.",
            ),
            now=_at(thursday, 7),
            local_date=thursday,
        )
        repo.record_clinician_action(
            session,
            athlete_id=sam.id,
            clinician_id=lee.id,
            local_date=thursday,
            kind="review",
            now=_at(thursday, 12),
        )
        lee_id = lee.id
    data, details = prepare_digest_details(engine, lee_id, (MONDAY, SUNDAY), now)
    text = render_digest(data, details)
    assert "1 red flag this week: new swelling (reviewed)" in text, text
    assert "(highest reached: H2 · Return to running" in text, text
    assert "1 step back: from H2 · Return to running" in text, text
    assert " to H1 · Early loading" in text, text
    assert "(worst 3/10)" in text, text
