"""The athlete's export read by a person, and deletion of an athlete with a one-letter name,
on SQLite and PostgreSQL.

- The export is the athlete's own copy of their data: it held the engine's state as JSON
  text inside the JSON (one opaque string of escaped quotes, one unreadable CSV cell), every
  button of every message with its internal callback key ("q:1:0:0", "why:m:20260302"),
  and the delivery machinery's bookkeeping, naming the server that sent each message
  ("claimed_by": "host:pid").
- A pending digest named a deleted athlete whose name is one letter ("J", "李") after the
  deletion: the redaction skipped names shorter than two characters.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time

from sqlalchemy import Engine
from sqlmodel import select

from bot.store import db, repo
from bot.store.models import AlertRecord, Outbox, Person
from engine.models import Alert
from tests.store.factories import T0, full_athlete, person

# What the delivery machinery writes for itself: which process holds a row, and until when.
MACHINERY = {"claimed_by", "claimed_at", "processed_by", "lease_until"}


def _export(engine: Engine) -> tuple[dict, int]:  # type: ignore[type-arg]
    with db.session_scope(engine) as s:
        clinician = person(s, "clinician", name="Dr Who")
        alice = full_athlete(s, clinician, name="Alice Export")
        assert alice.chat_id is not None and alice.id is not None
        row = repo.enqueue_message(
            s,
            chat_id=alice.chat_id,
            text="Consent?",
            kind="reply",
            now=T0,
            person_id=alice.id,
            athlete_id=alice.id,
            reply_markup={
                "inline_keyboard": [
                    [
                        {"text": "I agree", "callback_data": "q:1:0:0"},
                        {"text": "Guide", "url": "https://example.org/guide"},
                    ]
                ]
            },
        )
        row.claimed_by, row.claimed_at, row.status = "web-7f3a:4121", T0, "sent"
        s.add(row)
        s.flush()
        alice_id = alice.id
    with db.session_scope(engine) as s:
        return repo.export_athlete(s, athlete_id=alice_id), alice_id


def test_the_export_holds_no_internal_keys_nor_server_names(engine: Engine) -> None:
    export, _alice = _export(engine)
    tables = export["tables"]
    [programme] = tables["programme"]
    # The engine's state is data in the export, not a string of JSON inside it.
    assert programme["state_json"] == {"stage": "S1"}
    [consent] = [m for m in tables["outbox"] if m["text"] == "Consent?"]
    # Buttons are what the athlete read on them (and a link where it led), no callback key.
    assert consent["reply_markup"] == [["I agree", "Guide (https://example.org/guide)"]]
    dumped = json.dumps(export)
    assert "q:1:0:0" not in dumped and "web-7f3a" not in dumped
    for name, rows in tables.items():
        for row in rows:
            assert not MACHINERY & set(row), (name, sorted(MACHINERY & set(row)))

    files = repo.export_csv(export)
    [programme_csv] = list(csv.DictReader(io.StringIO(files["programme.csv"])))
    assert programme_csv["state_json.stage"] == "S1"


def test_a_one_letter_name_leaves_the_pending_digest_with_the_deletion(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        clinician = person(s, "clinician", name="Dr Who")
        gone = full_athlete(s, clinician, name="李")
        full_athlete(s, clinician, name="Bob Stays")
        assert clinician.chat_id is not None and gone.id is not None
        repo.enqueue_message(
            s,
            chat_id=clinician.chat_id,
            text=(
                "Weekly digest for Dr Who\n\n🟠 REVIEW · 李: sign-off waiting\n"
                "  H2 → H3, 2 sessions, test pain 1.0\n\n"
                "✅ routine · Bob Stays: H2, 3 sessions, 李 Bob's note"
            ),
            kind="digest",
            now=T0,
            person_id=clinician.id,
        )
        gone_id = gone.id
    with db.session_scope(engine) as s:
        repo.delete_athlete(s, athlete_id=gone_id, actor_id=gone_id, now=T0)
    with db.session_scope(engine, read_only=True) as s:
        digest = s.exec(select(Outbox).where(Outbox.kind == "digest")).one().text
    assert f"🟠 REVIEW · athlete #{gone_id}: sign-off waiting" in digest, digest
    # Only where the digest names an athlete: the same letter elsewhere is not touched.
    assert "✅ routine · Bob Stays: H2, 3 sessions, 李 Bob's note" in digest


def test_what_she_was_refused_before_signing_up_is_in_her_export(engine: Engine) -> None:
    """A refusal before sign-up is audited by Telegram id only (no person yet): deletion
    takes it as hers, the export left it out."""
    with db.session_scope(engine) as s:
        clinician = person(s, "clinician", name="Dr Who")
        alice = full_athlete(s, clinician, name="Alice Export")
        bob = full_athlete(s, clinician, name="Bob Other")
        for who in (alice, bob):
            repo.audit(
                s,
                actor_id=None,
                action="refused",
                now=T0,
                detail={"telegram_id": who.telegram_user_id, "command": "/report", "reason": "x"},
            )
        alice_id = alice.id
    assert alice_id is not None
    with db.session_scope(engine) as s:
        export = repo.export_athlete(s, athlete_id=alice_id)
    refused = [e for e in export["tables"]["audit_log"] if e["action"] == "refused"]
    assert [e["detail"]["command"] for e in refused] == ["/report"]
    assert refused[0]["detail"]["telegram_id"] == export["tables"]["person"][0]["telegram_user_id"]


def test_a_deletion_waits_for_an_alert_being_written_on_another_replica(engine: Engine) -> None:
    """Alice confirms /delete while another replica is storing an alert about her (its
    transaction not yet committed). On PostgreSQL the deletion failed on the foreign key
    ("still referenced from table alert") and she was told something went wrong; now it waits
    for that transaction and deletes its alert too."""
    with db.session_scope(engine) as s:
        clinician = person(s, "clinician", name="Dr Who")
        alice = full_athlete(s, clinician, name="Alice")
        assert alice.id is not None
        alice_id = alice.id
    writing = threading.Event()

    def other_replica() -> None:
        with db.session_scope(engine) as s:
            alert = Alert(severity="same_day", rule="pain", text="Pain at rest 6/10")
            repo.raise_alert(s, athlete_id=alice_id, alert=alert, now=T0)
            writing.set()
            time.sleep(0.5)

    writer = threading.Thread(target=other_replica)
    writer.start()
    assert writing.wait(10)
    with db.session_scope(engine) as s:
        repo.delete_athlete(s, athlete_id=alice_id, actor_id=alice_id, now=T0)
    writer.join()
    with db.session_scope(engine) as s:
        assert s.exec(select(AlertRecord).where(AlertRecord.athlete_id == alice_id)).all() == []
        assert s.get(Person, alice_id) is None
