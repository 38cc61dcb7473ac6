"""A former admin's /delete keeps its promise ("your name, settings and the link to your
Telegram account are removed"): afterwards no row of any table (listed from the schema, so a
table added later is covered; every column, JSON and text included) holds their Telegram id,
their chat or their name. Messages to them go, sent, failed or still waiting (a waiting one is
never sent), with the updates they sent and the steps they left open; the audit keeps what
they did, were granted and were refused, under their person number, without their Telegram
id. What others' records need stays and reads: the protocol version they published, the alert
they acknowledged, the athlete it was about.

The real Application with every handler module, webhook mode (every update stored in the
inbox first, as in production), on the Bot API sandbox, SQLite then PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlmodel import select

from bot.handlers.context import Services
from bot.services import texts
from bot.store.db import session_scope
from bot.store.models import (
    AlertRecord,
    AuditLog,
    Invite,
    Note,
    Outbox,
    Person,
    ProtocolVersion,
    metadata,
)
from bot.store.repo.messaging import enqueue_message
from tests.clinician.conftest import ADMIN, World
from tests.clinician.test_clinician_flow import link, make_clinician
from tests.privacy.story import mentions
from tests.privacy.test_access_after_unlink import WorldFactory, full, say

__all__ = ["full"]

ANNA, NEW_ADMIN, LEE = 3001, 9001, 2001
LEE_NAME = "Leontyne Marrowby"  # the clinician's Telegram name, in no other text
ADA = "Adaeze Quillfeather"  # the former admin's Telegram name, in no other text
PENDING = "PRIVATE-PENDING for the former admin"
FAILED = "PRIVATE-FAILED for the former admin"


def rows_naming(w: World, numbers: tuple[int, ...], words: tuple[str, ...]) -> list[Any]:
    """Every row of every table holding one of ``numbers`` (a whole number in any column or
    inside any text or JSON value) or ``words``."""
    with session_scope(w.engine, read_only=True) as session:
        connection = session.connection()
        tables = {
            t.name: [dict(r._mapping) for r in connection.execute(t.select())]
            for t in metadata.sorted_tables
        }
    return [
        (table, found, row)
        for table, rows in tables.items()
        for row in rows
        if (found := mentions(row, words, numbers))
    ]


async def removed_from_admins(w: World, full: WorldFactory) -> World:
    """Restart with another admin in ADMIN_TELEGRAM_IDS: the one before is a former admin,
    told once (the notice is delivered)."""
    moved = w.services.settings.model_copy(update={"admin_telegram_ids": [NEW_ADMIN]})
    services = Services(settings=moved, clock=w.clock, engine=w.engine)
    await w.running.stop()
    w = await full(services=services, mode="webhook")
    await w.deliver()
    return w


async def test_a_former_admins_delete_leaves_no_row_with_their_telegram_id_or_name(
    full: WorldFactory,
) -> None:
    w = await full(mode="webhook")
    anna_id = w.add_athlete(ANNA, "Anna")
    ada = w.sandbox.user(ADMIN, ADA)

    # As an admin: a protocol published, an invitation made (never used), views, a refusal,
    # and an alert about an athlete with no clinician, handed to her and acknowledged.
    await say(ada, "/protocol set hamstring H3 min_days.value 8")
    await ada.press("✅ Publish")
    await ada.wait_until(lambda ms: any("published" in (m.text or "") for m in ms))
    assert "Clinician invite" in await say(ada, "/invite_clinician")
    assert "Anna" in await say(ada, "/athletes")
    await say(ada, f"/hold {anna_id}")  # no clinical decision for an admin: refused
    alert_id = w.report_red_flag(anna_id)
    await w.escalate()
    await ada.press("✅ Acknowledge")
    await ada.wait_until(lambda ms: any("Acknowledged" in (m.text or "") for m in ms))

    w = await removed_from_admins(w, full)
    with session_scope(w.engine) as session:
        row = session.exec(select(Person).where(Person.telegram_user_id == ADMIN)).one()
        assert row.id is not None
        ada_id = row.id
        # A message still waiting for her, and one that finally failed.
        enqueue_message(
            session,
            chat_id=ADMIN,
            text=PENDING,
            kind="notice",
            now=w.clock.now(),
            person_id=ada_id,
            not_before=w.clock.now() + dt.timedelta(minutes=5),
        )
        failed = enqueue_message(
            session, chat_id=ADMIN, text=FAILED, kind="notice", now=w.clock.now()
        )
        session.execute(
            update(Outbox).where(Outbox.id == failed.id).values(status="failed")  # type: ignore[arg-type]
        )
    before = rows_naming(w, (ADMIN,), (ADA,))
    tables = {table for table, _found, _row in before}
    # She left her Telegram id in each of these before her /delete.
    assert tables >= {"person", "outbox", "inbox_update", "audit_log"}, tables

    assert await say(ada, "/delete") == str(texts.FORMER_ADMIN_DELETED)
    w.clock.advance(dt.timedelta(hours=1))
    await w.deliver()

    assert rows_naming(w, (ADMIN,), (ADA,)) == []
    assert not any(PENDING in (m.text or "") for m in ada.bot_messages)  # never sent
    with session_scope(w.engine, read_only=True) as session:
        kept = session.get(Person, ada_id)
        assert kept is not None and (kept.role, kept.display_name) == ("admin", "")
        # What others' records need still says an admin, by number, did it.
        [published] = session.exec(
            select(ProtocolVersion).where(ProtocolVersion.author_id == ada_id)
        ).all()
        assert published.version == 2 and published.active
        alert = session.get(AlertRecord, alert_id)
        assert alert is not None and alert.acknowledged_by == ada_id
        assert alert.athlete_id == anna_id and session.get(Person, anna_id) is not None
        granted = session.exec(
            select(AuditLog).where(AuditLog.action.in_(("admin_granted", "admin_revoked")))  # type: ignore[attr-defined]
        ).all()
        assert {e.action for e in granted if e.detail.get("person_id") == ada_id} == {
            "admin_granted",
            "admin_revoked",
        }
        # Her invitation, never used, no longer works.
        [invite] = session.exec(select(Invite).where(Invite.created_by == ada_id)).all()
        assert invite.expires_at <= w.clock.now()
    # Anna still reads her alert's history and status (her record is whole).
    anna = w.sandbox.user(ANNA, "Anna")
    assert "Stage" in await say(anna, "/status")


async def test_a_clinicians_record_forgotten_leaves_no_row_with_their_telegram_id(
    full: WorldFactory,
) -> None:
    """A clinician's own /delete (confirmed) after she used the bot and her athlete unlinked
    her: no athlete left, so the shorter offer. Her note and the link's history stay on the
    athlete's record, under her number; so do the messages Anna was sent naming her."""
    from tests.privacy.test_clinician_delete import DELETE, asked_to_delete

    w = await full(mode="webhook")
    lee = await make_clinician(w, LEE, LEE_NAME)
    anna_id = w.add_athlete(ANNA, "Anna")
    anna = w.sandbox.user(ANNA, "Anna")
    await link(w, lee, anna)
    assert "Anna" in await say(lee, "/athletes")
    await say(lee, f"/note {anna_id} PRIVATE-NOTE keen")
    await say(lee, "/invite")  # never used
    await say(lee, "/protocol show hamstring")  # refused: not an admin
    w.report_red_flag(anna_id)
    await w.escalate()
    await say(anna, "/unlink")
    await w.deliver()
    with session_scope(w.engine) as session:
        row = session.exec(select(Person).where(Person.telegram_user_id == LEE)).one()
        assert row.id is not None
        lee_id = row.id
        assert {t for t, _f, _r in rows_naming(w, (LEE,), (LEE_NAME,))} >= {
            "person",
            "outbox",
            "inbox_update",
            "audit_log",
        }
    offer = await asked_to_delete(lee)
    await lee.press(DELETE, offer)
    await lee.wait_until(lambda _ms: "account is deleted" in (lee.last_bot_message.text or ""))
    await w.deliver()

    assert rows_naming(w, (LEE,), ()) == []
    # Her name stays only in Anna's record (what Anna was told and answered: whom she agreed
    # to share with, whom she unlinked), which goes with Anna's data.
    named = rows_naming(w, (), (LEE_NAME,))
    assert named and all(r.get("athlete_id") == anna_id for _t, _f, r in named), named
    with session_scope(w.engine, read_only=True) as session:
        [note] = session.exec(select(Note).where(Note.athlete_id == anna_id)).all()
        assert note.author_id == lee_id and "PRIVATE-NOTE" in note.text
