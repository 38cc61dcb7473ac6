"""Finding 12: /export holds only the athlete's own data (no other person's Telegram id, no
chat id of an alert sent to a clinician); after /delete no row anywhere holds their name, not
even a message still queued in the outbox."""

from __future__ import annotations

import json

from sqlalchemy import select as sa_select
from sqlmodel import select

from bot.services import texts
from bot.store.db import session_scope
from bot.store.models import Outbox, Person, metadata
from bot.store.repo.messaging import enqueue_message
from tests.clinician.test_clinician_flow import link, make_clinician
from tests.hardening.conftest import WorldFactory, audited, say

LEE, OLSEN, ANNA = 2001, 2002, 3001
NAME = "Annabel Quist"


async def test_export_is_the_athletes_own_and_delete_leaves_no_name(world: WorldFactory) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, NAME)
    lee = await make_clinician(w, LEE, "Lee")
    olsen = await make_clinician(w, OLSEN, "Olsen")
    anna = w.sandbox.user(ANNA, "Annabel")
    await link(w, lee, anna)
    assert "access" in await say(olsen, f"/athlete {anna_id}")  # refused, audited
    w.raise_alert(anna_id, "same_day", "red_flag.pop", "Felt a pop at the back of the thigh")
    await w.escalate()  # an alert card in Lee's chat, about Anna
    assert any(NAME in (m.text or "") for m in lee.bot_messages)

    await anna.send("/export")
    messages = await anna.wait_until(lambda ms: sum(m.kind == "document" for m in ms) >= 2)
    [exported] = [m.file.data for m in messages if m.file and m.file.filename.endswith(".json")]
    export = json.loads(exported)
    tables = export["tables"]
    assert {row["chat_id"] for row in tables["outbox"]} <= {ANNA}
    assert str(OLSEN) not in exported.decode()
    # Olsen's refused look names nobody: his name is not Anna's to read.
    assert "Olsen" not in exported.decode()
    named = {"actor_id", "actor_name", "actor_role"}
    for entry in tables["audit_log"]:
        if entry.get("actor_id") != anna_id:
            assert set(entry) - named == {"id", "action", "athlete_id", "at"}, entry
            assert entry.get("actor_name") in (None, "Lee"), entry
            if entry["action"] == "refused":
                assert not set(entry) & named, entry
    assert "used_button" not in tables

    # A digest still queued for Lee names Anna among others.
    with session_scope(w.engine) as session:
        enqueue_message(
            session,
            chat_id=LEE,
            text=f"Weekly digest\n• {NAME}: 3 check-ins\n• Ben: 5 check-ins",
            kind="digest",
            now=w.clock.now(),
        )

    await say(anna, "/delete")
    await anna.press(str(texts.DELETE_YES_1))
    await anna.wait_reply()
    await anna.press(str(texts.DELETE_YES_2))
    replies = await anna.wait_reply()
    assert str(texts.DELETED) in [m.text for m in replies]

    with session_scope(w.engine, read_only=True) as session:
        assert session.exec(select(Person).where(Person.id == anna_id)).first() is None
        connection = session.connection()
        everything = {
            table.name: [dict(r._mapping) for r in connection.execute(sa_select(table))]
            for table in metadata.sorted_tables
        }
        notices = session.exec(select(Outbox).where(Outbox.kind == "athlete_deleted")).all()
    dump = json.dumps(everything, default=str)
    assert NAME not in dump and "Annabel" not in dump
    assert [n.text for n in notices] == [texts.CLINICIAN_ATHLETE_DELETED.format(id=anna_id)]
    digest = [r for r in everything["outbox"] if r["kind"] == "digest"]
    assert [d["text"] for d in digest] == [
        f"Weekly digest\n• athlete #{anna_id}: 3 check-ins\n• Ben: 5 check-ins"
    ]
    [deletion] = audited(w, "delete")
    assert deletion.athlete_id == anna_id and deletion.detail["redacted_messages"] >= 1
