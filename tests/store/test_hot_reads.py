"""The bot's most frequent reads: one round trip each, same data as the piecewise reads."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlmodel import Session

from bot.store import db, repo
from engine.models import Alert, Checks
from tests.store.factories import DAY0, MORNING, SESSION, T0, full_athlete, person

TODAY = DAY0 + dt.timedelta(days=20)
SINCE = TODAY - dt.timedelta(days=13)


def _day(n: int) -> dt.date:
    return SINCE + dt.timedelta(days=n)


def _busy_athlete(s: Session, clinician_id: int) -> int:
    """An athlete with data inside, before and after a 14-day window, of every kind."""
    athlete = person(s, name="Busy")
    assert athlete.id is not None
    aid = athlete.id
    repo.link_athlete(s, athlete_id=aid, clinician_id=clinician_id, now=T0)
    repo.start_programme(
        s,
        athlete_id=aid,
        protocol_name="hamstring",
        protocol_version=1,
        first_stage="S3",
        start_date=DAY0,
        now=T0,
    )
    for n in (-1, 0, 3, 13, 14):  # the day before the window, both edges, a day after
        when = dt.datetime.combine(_day(n), dt.time(6), tzinfo=dt.UTC)
        repo.upsert_morning_checkin(
            s, athlete_id=aid, local_date=_day(n), answers=MORNING, answered_at=when,
            utc_offset_minutes=60,
        )  # fmt: skip
    repo.upsert_session_report(
        s, athlete_id=aid, local_date=_day(3), answers=SESSION, answered_at=T0,
        utc_offset_minutes=60,
    )  # fmt: skip
    repo.upsert_checks(
        s, athlete_id=aid, local_date=_day(5), answers=Checks(walk_pain=1), answered_at=T0,
        utc_offset_minutes=60,
    )  # fmt: skip
    # Paused before the window, resumed inside it: the first days are paused.
    repo.record_clinician_action(
        s, athlete_id=aid, clinician_id=clinician_id, local_date=_day(-4), kind="pause", now=T0
    )
    repo.record_clinician_action(
        s, athlete_id=aid, clinician_id=clinician_id, local_date=_day(2), kind="resume",
        now=T0 + dt.timedelta(hours=2), note="back",
    )  # fmt: skip
    repo.record_clinician_action(
        s, athlete_id=aid, clinician_id=clinician_id, local_date=_day(2), kind="hold",
        now=T0 + dt.timedelta(hours=1),
    )  # fmt: skip
    repo.record_clearance(
        s, athlete_id=aid, stage="S3", clinician_id=clinician_id, local_date=_day(6), now=T0
    )
    repo.record_clearance(
        s, athlete_id=aid, stage="S4", clinician_id=clinician_id, local_date=_day(7), now=T0,
        declined=True, note="not yet",
    )  # fmt: skip
    for n, outcome in ((-1, "hold"), (1, "progress"), (2, "hold"), (13, "step_back"), (14, "hold")):
        repo.record_decision(
            s, athlete_id=aid, local_date=_day(n), kind="daily", outcome=outcome,
            decision={"decision": outcome, "reasons": []}, protocol_name="hamstring",
            protocol_version=1, now=T0,
        )  # fmt: skip
    late = repo.raise_alert(
        s, athlete_id=aid, alert=Alert(severity="same_day", rule="late", text="later"),
        now=T0 + dt.timedelta(hours=5),
    )  # fmt: skip
    early = repo.raise_alert(
        s, athlete_id=aid, alert=Alert(severity="info", rule="early", text="earlier"), now=T0
    )
    done = repo.raise_alert(
        s, athlete_id=aid, alert=Alert(severity="info", rule="done", text="seen"), now=T0
    )
    assert late.id is not None and early.id is not None and done.id is not None
    repo.acknowledge_alert(s, alert_id=done.id, by_person_id=clinician_id, now=T0)
    return aid


def test_athlete_status_is_what_the_piecewise_reads_return(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        clinician = person(s, "clinician")
        assert clinician.id is not None
        full_athlete(s, clinician, name="Other")  # another athlete's rows must not leak in
        aid = _busy_athlete(s, clinician.id)
    with db.session_scope(engine, read_only=True) as s:
        status = repo.athlete_status(s, athlete_id=aid, today=TODAY, days=14)
        days = repo.load_day_records(s, athlete_id=aid, since=SINCE, until=TODAY)
        decisions = repo.decisions_between(s, athlete_id=aid, since=SINCE, until=TODAY)
        alerts = repo.open_alerts(s, athlete_id=aid)
    assert status.person.id == aid and status.person.display_name == "Busy"
    assert status.programme is not None and status.programme.current_stage == "S3"
    assert status.recent_days == days
    assert [(d.id, d.outcome, d.decision) for d in status.recent_decisions] == [
        (d.id, d.outcome, d.decision) for d in decisions
    ]
    assert [d.outcome for d in status.recent_decisions] == ["progress", "hold", "step_back"]
    assert [(a.id, a.rule, a.created_at) for a in status.open_alerts] == [
        (a.id, a.rule, a.created_at) for a in alerts
    ]
    assert [a.rule for a in status.open_alerts] == ["early", "late"]
    assert all(a.created_at.tzinfo is not None for a in status.open_alerts)
    by_date = {d.date: d for d in status.recent_days}
    assert [d.date for d in status.recent_days] == [_day(n) for n in (0, 1, 2, 3, 5, 6, 7, 13)]
    assert [by_date[_day(n)].paused for n in (0, 1, 2, 3)] == [True, True, False, False]
    assert [a.kind for a in by_date[_day(2)].clinician_actions] == ["hold", "resume"]
    assert by_date[_day(3)].session == SESSION and by_date[_day(3)].morning == MORNING
    assert by_date[_day(5)].checks == Checks(walk_pain=1)
    assert by_date[_day(6)].clearance and not by_date[_day(7)].clearance
    assert [a.note for a in by_date[_day(7)].clinician_actions] == ["not yet"]


def test_athlete_status_of_a_new_athlete_and_of_no_one(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        fresh = person(s, name="Fresh")
        clinician = person(s, "clinician")
    assert fresh.id is not None and clinician.id is not None
    with db.session_scope(engine, read_only=True) as s:
        status = repo.athlete_status(s, athlete_id=fresh.id, today=TODAY)
        assert status.person.display_name == "Fresh" and status.programme is None
        assert status.recent_days == [] and status.recent_decisions == []
        assert status.open_alerts == []
        with pytest.raises(repo.NotFoundError, match="no person with id 987654"):
            repo.athlete_status(s, athlete_id=987654, today=TODAY)
        with pytest.raises(repo.StoreError, match="expected 'athlete'"):
            repo.athlete_status(s, athlete_id=clinician.id, today=TODAY)


def _count_statements(engine: Engine) -> list[str]:
    sent: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement)

    return sent


def test_athlete_status_and_day_records_take_one_statement_each(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        clinician = person(s, "clinician")
        assert clinician.id is not None
        aid = _busy_athlete(s, clinician.id)
    sent = _count_statements(engine)
    with db.session_scope(engine, read_only=True) as s:
        repo.athlete_status(s, athlete_id=aid, today=TODAY)
        status_queries = _selects(sent)
        repo.load_day_records(s, athlete_id=aid, since=SINCE, until=TODAY)
    assert (status_queries, _selects(sent) - status_queries) == (1, 1)


def _selects(sent: list[str]) -> int:
    return sum(1 for q in sent if q.lstrip().upper().startswith("SELECT"))


def _backend_pid(engine: Engine) -> int:
    with db.session_scope(engine, read_only=True) as s:
        return int(s.connection().execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_pooled_connection_is_pinged_only_after_idling(
    engine: Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgresql":
        return  # SQLite has no server connection to lose
    pings: list[object] = []
    real_ping = engine.dialect.do_ping

    def counted_ping(dbapi_connection: DBAPIConnection) -> bool:
        pings.append(dbapi_connection)
        return bool(real_ping(dbapi_connection))

    monkeypatch.setattr(engine.dialect, "do_ping", counted_ping)
    first = _backend_pid(engine)
    assert _backend_pid(engine) == first and pings == []  # used moments ago: no ping
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    assert _backend_pid(engine) == first and len(pings) == 1  # idle: pinged, alive, kept


def test_a_connection_that_died_while_idle_is_replaced(
    engine: Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgresql":
        return  # SQLite has no server connection to lose
    first = _backend_pid(engine)
    other = db.make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with other.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    finally:
        other.dispose()
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    # The dead connection fails its ping; the caller gets a fresh one, not an error.
    assert _backend_pid(engine) != first


def test_due_prompts_are_the_earliest_pending_ones_up_to_the_limit(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        ids = []
        for minutes in (30, 10, 20, 50):
            athlete = person(s)
            assert athlete.id is not None
            prompt = repo.schedule_prompt(
                s, athlete_id=athlete.id, kind="morning", local_date=DAY0,
                due_at=T0 + dt.timedelta(minutes=minutes),
            )  # fmt: skip
            ids.append(prompt.id)
    at_40 = (T0 + dt.timedelta(minutes=40)).astimezone(ZoneInfo("America/New_York"))
    with db.session_scope(engine, read_only=True) as s:
        assert [p.id for p in repo.due_prompts(s, now=at_40)] == [ids[1], ids[2], ids[0]]
        assert [p.id for p in repo.due_prompts(s, now=at_40, limit=2)] == [ids[1], ids[2]]
        with pytest.raises(repo.StoreError, match="now must be a timezone-aware"):
            repo.due_prompts(s, now=at_40.replace(tzinfo=None))
