"""Engine settings, transactions and time handling on both databases."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from sqlmodel import col, select

from bot.store import db, repo
from bot.store.models import Decision, Outbox, Person
from tests.store.factories import DAY0, MORNING, T0, person

BERLIN = ZoneInfo("Europe/Berlin")


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(
    engine: Engine, backend: str
) -> None:
    if backend != "sqlite":
        assert engine.dialect.driver == "psycopg"
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"), db.session_scope(engine) as s:
        s.add(
            Decision(
                athlete_id=999_999,
                local_date=DAY0,
                kind="daily",
                outcome="hold",
                decision={"reasons": []},
                protocol_name="hamstring",
                protocol_version=1,
                created_at=T0,
            )
        )
        s.flush()


def test_datetimes_round_trip_aware_utc_across_a_dst_change(engine: Engine) -> None:
    # Europe/Berlin springs forward on 2026-03-29 at 02:00 local (01:00 UTC).
    local_instants = [
        dt.datetime(2026, 3, 28, 7, 30, tzinfo=BERLIN),  # CET, +60
        dt.datetime(2026, 3, 29, 1, 59, tzinfo=BERLIN),  # last minute of CET
        dt.datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN),  # first hour of CEST
        dt.datetime(2026, 3, 30, 7, 30, tzinfo=BERLIN),  # CEST, +120
    ]
    with db.session_scope(engine) as s:
        athlete = person(s)
        for i, when in enumerate(local_instants):
            repo.upsert_morning_checkin(
                s,
                athlete_id=athlete.id,
                local_date=when.date() + dt.timedelta(days=10 * i),
                answers=MORNING,
                answered_at=when,
                utc_offset_minutes=repo.utc_offset_minutes(when, "Europe/Berlin"),
            )
    with db.session_scope(engine, read_only=True) as s:
        from bot.store.models import MorningCheckinRecord

        rows = s.exec(select(MorningCheckinRecord).order_by(MorningCheckinRecord.local_date)).all()
    assert [r.answered_at for r in rows] == [w.astimezone(dt.UTC) for w in local_instants]
    assert all(r.answered_at.tzinfo is dt.UTC for r in rows)
    assert [r.utc_offset_minutes for r in rows] == [60, 60, 120, 120]
    # The athlete's wall-clock time comes back from the UTC instant plus the stored offset.
    wall = [
        (r.answered_at + dt.timedelta(minutes=r.utc_offset_minutes)).strftime("%H:%M") for r in rows
    ]
    assert wall == ["07:30", "01:59", "03:00", "07:30"]


def test_comparisons_with_aware_datetimes_in_other_zones(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        repo.enqueue_message(s, chat_id=1, text="x", kind="k", now=T0)
    # The same instant written in New York time must compare equal to the stored UTC value.
    same_instant = T0.astimezone(ZoneInfo("America/New_York"))
    with db.session_scope(engine) as s:
        found = s.exec(select(Outbox).where(Outbox.not_before == same_instant)).all()
        later = s.exec(select(Outbox).where(Outbox.not_before > same_instant)).all()
    assert len(found) == 1 and later == []


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive"), db.session_scope(engine) as s:
        repo.enqueue_message(s, chat_id=1, text="x", kind="k", now=dt.datetime(2026, 3, 2, 7, 0))


def test_session_scope_commits_on_success_and_rolls_back_on_error(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        kept = person(s, name="kept")
    with pytest.raises(RuntimeError), db.session_scope(engine) as s:
        person(s, name="lost")
        raise RuntimeError("boom")
    with db.session_scope(engine, read_only=True) as s:
        names = [p.display_name for p in s.exec(select(Person))]
    assert names == ["kept"]
    # expire_on_commit=False: the object is still readable after its session closed.
    assert kept.display_name == "kept"


def test_schema_check_passes_at_head(engine: Engine) -> None:
    assert db.check_schema_current(engine) is None
    db.require_schema_current(engine)


def test_unsupported_url_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="unsupported database URL 'mysql://u@h/db'"):
        db.make_engine("mysql://u@h/db")


def test_database_url_prefers_explicit_then_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert db.database_url() == db.DEFAULT_DATABASE_URL
    monkeypatch.setenv("DATABASE_URL", "sqlite:///env.db")
    assert db.database_url() == "sqlite:///env.db"
    assert db.database_url("sqlite:///cli.db") == "sqlite:///cli.db"


def test_sqlite_read_transactions_do_not_take_the_write_lock(engine: Engine, backend: str) -> None:
    if backend != "sqlite":
        return
    with db.session_scope(engine) as writer:
        person(writer)  # holds the write lock until the block ends
        with db.session_scope(engine, read_only=True) as reader:
            assert reader.exec(select(Person)).all() == []  # not blocked, sees the last commit
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM person")).scalar() == 1


def test_a_read_only_scope_refuses_writes(engine: Engine) -> None:
    with pytest.raises(db.ReadOnlyError), db.session_scope(engine, read_only=True) as s:
        person(s)
    with pytest.raises(db.ReadOnlyError), db.session_scope(engine, read_only=True) as s:
        repo.mark_update_processed(s, update_id=1, now=T0)
    with db.session_scope(engine, read_only=True) as s:
        assert s.exec(select(Person)).all() == []


def test_a_write_scope_after_a_read_only_one_is_still_one_transaction(engine: Engine) -> None:
    # Read-only scopes run in autocommit on PostgreSQL; that must not leak to the pool.
    for _ in range(3):
        with db.session_scope(engine, read_only=True) as s:
            s.exec(select(Person)).all()
    with pytest.raises(RuntimeError), db.session_scope(engine) as s:
        person(s, name="half-written")
        s.flush()
        raise RuntimeError("crash after the first write")
    with db.session_scope(engine, read_only=True) as s:
        assert s.exec(select(Person)).all() == []


def test_a_long_text_ending_in_a_bidi_control_is_queued_without_an_empty_part(
    engine: Engine,
) -> None:
    # Pasted from a right-to-left app: the control alone would have been the last part, sent
    # as an empty message (bidi controls are never sent) and refused by Telegram.
    text = "word " * 819 + "\n\n\u2066"
    with db.session_scope(engine) as s:
        repo.enqueue_message(s, chat_id=1, text=text, kind="k", now=T0)
    with db.session_scope(engine, read_only=True) as s:
        parts = [row.text for row in s.exec(select(Outbox).order_by(col(Outbox.id)))]
    assert parts and all(part.strip() for part in parts), parts
    assert not any("\u2066" in part for part in parts)
