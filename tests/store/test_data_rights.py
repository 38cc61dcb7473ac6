"""Export everything about an athlete, then delete it for good."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from bot.store import db, repo
from bot.store.models import PendingStep, metadata
from bot.store.repo.inbox import mark_done, store_updates
from tests.store.factories import T0, full_athlete, person

PER_ATHLETE_TABLES = {
    "person",
    "consent",
    "link",
    "invite",
    "injury",
    "baseline",
    "programme",
    "stage_change",
    "morning_checkin",
    "session_report",
    "checks_record",
    "questionnaire_progress",
    "decision",
    "alert",
    "clearance",
    "clinician_action",
    "note",
    "outbox",
    "scheduled_prompt",
    "audit_log",
}


def _all_rows(engine: Engine) -> dict[str, list[dict[str, object]]]:
    with engine.connect() as conn:
        return {
            t.name: [dict(r._mapping) for r in conn.execute(select(t))]
            for t in metadata.sorted_tables
        }


def test_export_holds_every_kind_of_data_in_json_and_csv(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        clinician = person(s, "clinician", name="Dr Who")
        alice = full_athlete(s, clinician, name="Alice Export")
        full_athlete(s, clinician, name="Bob Other")
    with db.session_scope(engine) as s:
        export = repo.export_athlete(s, athlete_id=alice.id, actor_id=clinician.id, now=T0)
    tables = export["tables"]
    assert {name for name, rows in tables.items() if rows} == PER_ATHLETE_TABLES
    assert tables["person"][0]["display_name"] == "Alice Export"
    assert tables["morning_checkin"][0]["answers"]["pain_test"] == 1
    assert tables["session_report"][0]["answers"]["metrics"]["vmax_ms"] == 7.9
    assert tables["morning_checkin"][0]["answered_at"] == "2026-03-02T06:30:00+00:00"
    # Nothing of Bob's leaks into Alice's export.
    assert "Bob Other" not in repo.export_json(export)
    assert json.loads(repo.export_json(export)) == export

    files = repo.export_csv(export)
    morning = list(csv.DictReader(io.StringIO(files["morning_checkin.csv"])))
    assert morning[0]["answers.pain_test"] == "1"
    assert morning[0]["answers.red_flags"] == "[]"
    session_rows = list(csv.DictReader(io.StringIO(files["session_report.csv"])))
    assert session_rows[0]["answers.metrics.vmax_ms"] == "7.9"
    assert set(files) == {f"{name}.csv" for name in PER_ATHLETE_TABLES}
    with db.session_scope(engine, read_only=True) as s:
        exports = repo.audit_entries(s, action="export")
    assert [(e.actor_id, e.athlete_id) for e in exports] == [(clinician.id, alice.id)]


def test_delete_leaves_no_row_of_the_athlete_outside_one_audit_entry(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        admin = person(s, "admin", name="Admin")
        clinician = person(s, "clinician", name="Dr Who")
        alice = full_athlete(s, clinician, name="Alice Gone")
        bob = full_athlete(s, clinician, name="Bob Stays")
    before = _all_rows(engine)
    with db.session_scope(engine) as s:
        repo.export_athlete(s, athlete_id=alice.id, actor_id=admin.id, now=T0)
        deleted = repo.delete_athlete(s, athlete_id=alice.id, actor_id=admin.id, now=T0)
    after = _all_rows(engine)
    assert deleted["person"] == 1 and deleted["morning_checkin"] == 1 and deleted["link"] == 1

    # No column that points at a person holds Alice's id; her chat gets nothing.
    person_fk_columns = [
        (t.name, fk.parent.name)
        for t in metadata.sorted_tables
        for fk in t.foreign_keys
        if fk.column.table.name == "person"
    ]
    for table, column in person_fk_columns:
        assert all(row[column] != alice.id for row in after[table]), (table, column)
    assert all(row["id"] != alice.id for row in after["person"])
    assert all(row["chat_id"] != alice.chat_id for row in after["outbox"])
    alice_programmes = {r["id"] for r in before["programme"] if r["athlete_id"] == alice.id}
    assert all(r["programme_id"] not in alice_programmes for r in after["stage_change"])
    dump = json.dumps(after, default=str)
    assert "Alice Gone" not in dump and str(alice.telegram_user_id) not in dump

    # Only the deletion entry mentions her, with no personal data in it.
    about_alice = [r for r in after["audit_log"] if alice.id in (r["athlete_id"], r["actor_id"])]
    assert [(r["action"], r["actor_id"]) for r in about_alice] == [("delete", admin.id)]
    assert "Alice" not in json.dumps(about_alice[0]["detail"])

    # Bob's data is untouched, table by table (the audit log gained the deletion entry).
    for table in PER_ATHLETE_TABLES - {"audit_log"}:
        bob_rows_before = [r for r in before[table] if bob.id in r.values()]
        bob_rows_after = [r for r in after[table] if bob.id in r.values()]
        assert bob_rows_after == bob_rows_before, table
    with db.session_scope(engine, read_only=True) as s:
        assert [a.display_name for a in repo.athletes_of(s, clinician_id=clinician.id)] == [
            "Bob Stays"
        ]


def test_delete_removes_the_raw_updates_from_the_athletes_chat(engine: Engine) -> None:
    """The inbox keeps each received update (with its raw JSON: names and typed text) until it
    is handled and for two days after: deleting an athlete removes those of their chat too (the
    lookup of their chat ran after their person row was gone, so none matched)."""
    with db.session_scope(engine) as s:
        clinician = person(s, "clinician", name="Dr Who")
        alice = full_athlete(s, clinician, name="Alice Gone")
        bob = full_athlete(s, clinician, name="Bob Stays")
        rows = [
            (901, alice.telegram_user_id, '{"text": "my knee"}'),
            (902, bob.telegram_user_id, None),
            (903, alice.telegram_user_id, '{"text": "/delete"}'),
        ]
        store_updates(s, rows, worker="w1", now=T0, lease=dt.timedelta(seconds=30))
        mark_done(s, update_ids=[901, 902], now=T0, worker="w1")
    with db.session_scope(engine) as s:
        deleted = repo.delete_athlete(s, athlete_id=alice.id, actor_id=clinician.id, now=T0)
    assert deleted.get("inbox_update") == 1
    left = {r["update_id"]: r["chat_id"] for r in _all_rows(engine)["inbox_update"]}
    # Bob's update stays; so does the one being handled (the /delete itself) until it is
    # done, so that a redelivery of it is still recognised.
    assert left == {902: bob.telegram_user_id, 903: alice.telegram_user_id}


def test_delete_refuses_a_clinician(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        clinician = person(s, "clinician")
    refused = pytest.raises(repo.StoreError, match="has role 'clinician', expected 'athlete'")
    with refused, db.session_scope(engine) as s:
        repo.delete_athlete(s, athlete_id=clinician.id, actor_id=None, now=T0)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM person")).scalar() == 1


def test_a_deleted_athletes_number_is_never_given_to_someone_new(engine: Engine) -> None:
    """The number of an athlete who deleted their data is never handed to the next person
    (SQLite reused the highest one): a clinician's message or an old card's button about
    the deleted athlete must never reach, or act on, someone else."""
    with db.session_scope(engine) as s:
        clinician = person(s, "clinician", name="Dr Who")
        anna = full_athlete(s, clinician, name="Anna Gone")
        assert anna.id is not None
        repo.delete_athlete(s, athlete_id=anna.id, actor_id=clinician.id, now=T0)
    with db.session_scope(engine) as s:
        ben = person(s, "athlete", name="Ben New")
        assert ben.id is not None and ben.id > anna.id


def test_delete_takes_a_long_name_out_of_a_digest_that_shows_it_cut_short(
    engine: Engine,
) -> None:
    """A digest shows a long name cut at 80 characters with an ellipsis; deleting the athlete
    takes that form out of a digest still waiting to be sent, as the whole name."""
    long_name = "Maximiliana Theodora Wilhelmina " * 3 + "von Hohenberg-Sigmaringen"
    cut = long_name[:79] + "…"
    with db.session_scope(engine) as s:
        clinician = person(s, "clinician", name="Dr Who")
        gone = full_athlete(s, clinician, name=long_name)
        assert clinician.chat_id is not None and gone.id is not None
        repo.enqueue_message(
            s,
            chat_id=clinician.chat_id,
            text=f"Weekly digest\n🔴 {cut}: 2 open alerts\n🟢 Bob: all well",
            kind="digest",
            now=T0,
            person_id=clinician.id,
        )
    with db.session_scope(engine) as s:
        repo.delete_athlete(s, athlete_id=gone.id, actor_id=clinician.id, now=T0)
    digests = [r["text"] for r in _all_rows(engine)["outbox"] if r["kind"] == "digest"]
    assert digests and all(long_name[:20] not in text for text in digests), digests
    assert f"athlete #{gone.id}: 2 open alerts" in digests[0]


def test_a_number_deleted_before_the_upgrade_is_not_given_out_after_it(tmp_path: Path) -> None:
    """SQLite: an athlete deleted (with the highest number) before migration 0008 keeps their
    number retired after it: the counter starts above every number the audit log names."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db.upgrade(url, "0007")
    engine = db.make_engine(url)
    # Today's delete_athlete also clears the tables later revisions added: lend it those for
    # the deletion, then take them away so that the upgrade creates them as it would.
    later = [PendingStep.__table__]  # type: ignore[attr-defined]
    metadata.create_all(engine, tables=later)
    with engine.begin() as conn:  # and the columns later revisions added (0011, 0012)
        conn.execute(text("ALTER TABLE questionnaire_progress ADD COLUMN layout VARCHAR(16)"))
        conn.execute(text("ALTER TABLE clinician_action ADD COLUMN value INTEGER"))
    try:
        with db.session_scope(engine) as s:
            clinician = person(s, "clinician", name="Dr Who")
            gone = full_athlete(s, clinician, name="Anna Gone")
            assert gone.id is not None
            repo.delete_athlete(s, athlete_id=gone.id, actor_id=clinician.id, now=T0)
        metadata.drop_all(engine, tables=later)
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE questionnaire_progress DROP COLUMN layout"))
            conn.execute(text("ALTER TABLE clinician_action DROP COLUMN value"))
    finally:
        engine.dispose()
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        with db.session_scope(engine) as s:
            newcomer = person(s, "athlete", name="Ben New")
            assert newcomer.id is not None and newcomer.id > gone.id
    finally:
        engine.dispose()
