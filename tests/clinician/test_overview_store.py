"""The /athletes overview read from the store (SQLite and PostgreSQL): each athlete's line is
right (stage, today's verdict in the athlete's own day, last check-in, open alerts, waiting
sign-off, pause), and the number of queries does not grow with the number of athletes; the
escalation job's batched safety net finds exactly the alerts no message covers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event
from sqlmodel import Session

from bot.services import protocol_admin as pa
from bot.services.clinician.escalation import pending_notifications
from bot.services.clinician.overview import athlete_summaries, athletes_by_id
from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import ALERT_KIND
from engine.models import Alert, Injury, MorningCheckIn

# 20:00 UTC on Monday 2 March: already Tuesday 3 March in Tokyo.
NOW = dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


def athlete(
    session: Session,
    telegram_id: int,
    name: str,
    *,
    stage: str | None = "H0",
    timezone: str = "UTC",
) -> tuple[int, int | None]:
    """Store an athlete (with a hamstring programme at ``stage`` unless None); return the
    athlete's id and the programme's id."""
    person = repo.create_person(
        session,
        role="athlete",
        telegram_user_id=telegram_id,
        chat_id=telegram_id,
        display_name=name,
        timezone=timezone,
        now=NOW - dt.timedelta(days=20),
    )
    assert person.id is not None
    if stage is None:
        return person.id, None
    repo.add_injury(
        session,
        athlete_id=person.id,
        injury=Injury(injury="hamstring", side="left", grade=1, injury_date=TODAY),
        now=NOW,
    )
    version = pa.active_version(session, "hamstring", NOW)
    assert version is not None
    programme = repo.start_programme(
        session,
        athlete_id=person.id,
        protocol_name="hamstring",
        protocol_version=version.version,
        first_stage="H0",
        start_date=TODAY - dt.timedelta(days=10),
        now=NOW - dt.timedelta(days=10),
    )
    assert programme.id is not None
    if stage != "H0":
        repo.move_stage(
            session,
            programme_id=programme.id,
            to_stage=stage,
            now=NOW - dt.timedelta(days=5),
            reason="test",
        )
    return person.id, programme.id


def decide(session: Session, athlete_id: int, day: dt.date, kind: str, outcome: str) -> None:
    """Store one engine decision of ``kind`` for the athlete's ``day``."""
    repo.record_decision(
        session,
        athlete_id=athlete_id,
        local_date=day,
        kind=kind,  # type: ignore[arg-type]
        outcome=outcome,
        decision={"reasons": []},
        protocol_name="hamstring",
        protocol_version=1,
        now=NOW,
    )


def check_in(session: Session, athlete_id: int, day: dt.date) -> None:
    """Store a quiet morning check-in on ``day``."""
    repo.upsert_morning_checkin(
        session,
        athlete_id=athlete_id,
        local_date=day,
        answers=MorningCheckIn(red_flags=[], pain_rest=0, pain_test=0),
        answered_at=dt.datetime.combine(day, dt.time(7), dt.UTC),
        utc_offset_minutes=0,
    )


def alert(session: Session, athlete_id: int, severity: str) -> int:
    """Store an open alert; return its id."""
    row = repo.raise_alert(
        session,
        athlete_id=athlete_id,
        alert=Alert(severity=severity, rule="test", text=severity),  # type: ignore[arg-type]
        now=NOW - dt.timedelta(hours=1),
        local_date=TODAY,
    )
    assert row.id is not None
    return row.id


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL statements run on ``engine`` inside the block."""
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_each_line_reads_the_athletes_own_state(db: Engine) -> None:
    with session_scope(db) as session:
        pa.ensure_seeded(session, "hamstring", NOW)
        clinician = repo.create_person(
            session, role="clinician", telegram_user_id=1, display_name="Lee", now=NOW
        )
        assert clinician.id is not None
        gated, _ = athlete(session, 11, "Gated")  # H0 needs a sign-off: none given
        check_in(session, gated, TODAY)
        decide(session, gated, TODAY, "morning", "go")
        decide(session, gated, TODAY, "daily", "hold")
        decide(session, gated, TODAY - dt.timedelta(days=1), "morning", "stop")
        alert(session, gated, "info")
        alert(session, gated, "emergency")
        cleared, cleared_programme = athlete(session, 12, "Cleared")
        repo.record_clearance(
            session,
            athlete_id=cleared,
            stage="H0",
            clinician_id=clinician.id,
            local_date=TODAY,
            now=NOW,
        )
        assert cleared_programme is not None
        repo.set_programme_status(session, programme_id=cleared_programme, status="paused", now=NOW)
        check_in(session, cleared, TODAY - dt.timedelta(days=4))
        check_in(session, cleared, TODAY - dt.timedelta(days=6))
        acknowledged = alert(session, cleared, "same_day")
        repo.acknowledge_alert(session, alert_id=acknowledged, by_person_id=clinician.id, now=NOW)
        new, _ = athlete(session, 13, "Newcomer", stage=None)
        tokyo, _ = athlete(session, 14, "Tokyo", stage="H2", timezone="Asia/Tokyo")
        decide(session, tokyo, TODAY, "morning", "stop")  # Monday: yesterday in Tokyo
        decide(session, tokyo, TODAY + dt.timedelta(days=1), "morning", "rest")

    with session_scope(db, read_only=True) as session:
        people = athletes_by_id(session, [tokyo, new, cleared, gated, clinician.id, 999])
        lines = {s.name: s for s in athlete_summaries(session, people, NOW)}
    assert [p.display_name for p in people] == ["Gated", "Cleared", "Newcomer", "Tokyo"]

    g = lines["Gated"]
    assert (g.stage, g.verdict_today, g.decision_today) == ("H0", "go", "hold")
    assert g.last_checkin == TODAY and g.open_alert_severities == ("info", "emergency")
    assert g.gate_pending and not g.paused
    c = lines["Cleared"]
    assert not c.gate_pending and c.paused and c.open_alert_severities == ()
    assert c.last_checkin == TODAY - dt.timedelta(days=4) and c.verdict_today is None
    n = lines["Newcomer"]
    assert (n.stage, n.last_checkin, n.gate_pending) == (None, None, False)
    t = lines["Tokyo"]
    assert t.today == TODAY + dt.timedelta(days=1) and t.verdict_today == "rest"
    assert t.stage == "H2" and not t.gate_pending  # H2 needs no sign-off


def test_the_number_of_queries_does_not_grow_with_the_athletes(db: Engine) -> None:
    with session_scope(db) as session:
        pa.ensure_seeded(session, "hamstring", NOW)
        ids = []
        for i in range(24):
            athlete_id, _ = athlete(session, 100 + i, f"A{i:02d}", stage=("H0", "H2")[i % 2])
            check_in(session, athlete_id, TODAY)
            alert(session, athlete_id, "info")
            ids.append(athlete_id)

    def queries(count: int) -> int:
        with session_scope(db, read_only=True) as session:
            people = athletes_by_id(session, ids[:count])
            with counted(db) as statements:
                summaries = athlete_summaries(session, people, NOW)
            assert len(summaries) == count
            return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    assert queries(2) == queries(24)


def test_the_escalation_safety_net_finds_exactly_the_alerts_no_message_covers(
    db: Engine,
) -> None:
    def message_about(session: Session, athlete_id: int, at: dt.datetime) -> None:
        repo.enqueue_message(
            session,
            chat_id=1,
            text="alert card",
            kind=ALERT_KIND,
            now=at,
            athlete_id=athlete_id,
        )

    with session_scope(db) as session:
        pa.ensure_seeded(session, "hamstring", NOW)
        clinician = repo.create_person(
            session, role="clinician", telegram_user_id=1, display_name="Lee", now=NOW
        )
        assert clinician.id is not None
        never_told, _ = athlete(session, 21, "Never told", stage=None)
        told, _ = athlete(session, 22, "Told", stage=None)
        newer, _ = athlete(session, 23, "Newer alert", stage=None)
        acked, _ = athlete(session, 24, "Acknowledged", stage=None)
        alert(session, never_told, "emergency")
        alert(session, told, "emergency")
        message_about(session, told, NOW)
        alert(session, newer, "same_day")
        message_about(session, newer, NOW - dt.timedelta(hours=2))
        repo.acknowledge_alert(
            session, alert_id=alert(session, acked, "info"), by_person_id=clinician.id, now=NOW
        )
    with session_scope(db, read_only=True) as session:
        assert sorted(pending_notifications(session, NOW - dt.timedelta(days=1))) == sorted(
            [never_told, newer]
        )
        assert pending_notifications(session, NOW) == []  # raised before ``since``: not looked at
