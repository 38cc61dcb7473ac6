"""Finding 1: admin rights come from the current ADMIN_TELEGRAM_IDS setting only.

Restarting with another admin list removes every admin right of a person no longer in it (the
stored role "admin" grants nothing); they are told once, and the change is audited."""

from __future__ import annotations

from bot.services.access import REFUSAL_TEXT
from bot.services.callers import ADMIN_REVOKED_TEXT
from bot.store.db import session_scope
from bot.store.models import Person, ProtocolVersion
from tests.hardening.conftest import ADMIN, WorldFactory, audited, refusals, say

NEW_ADMIN = 9001


async def test_a_removed_admin_loses_every_admin_right_and_is_told_once(
    world: WorldFactory,
) -> None:
    w = await world()
    anna_id = w.add_athlete(3001, "Anna")
    old_admin = w.sandbox.user(ADMIN, "Ada")
    assert "Clinician invite" in await say(old_admin, "/invite_clinician")
    assert "🟢 Anna · H2" in await say(old_admin, "/athletes")

    moved = w.services.settings.model_copy(update={"admin_telegram_ids": [NEW_ADMIN]})
    services = type(w.services)(settings=moved, clock=w.clock, engine=w.engine)
    await w.running.stop()
    w = await world(services=services)
    await w.deliver()
    assert [m.text for m in old_admin.bot_messages[-1:]] == [ADMIN_REVOKED_TEXT]
    [revoked] = audited(w, "admin_revoked")
    with session_scope(w.engine, read_only=True) as session:
        stored = session.get(Person, revoked.detail["person_id"])
        assert stored is not None and stored.telegram_user_id == ADMIN
        versions_before = len(session.exec(ProtocolVersion.__table__.select()).all())  # type: ignore[attr-defined]

    for command in (
        "/invite_clinician",
        "/athletes",
        f"/athlete {anna_id}",
        f"/report {anna_id}",
        "/protocol show hamstring",
        "/protocol rollback hamstring 1",
    ):
        assert await say(old_admin, command) == REFUSAL_TEXT, command
    await old_admin.send_document("hamstring.yaml", b"name: hamstring\n")
    [reply] = await old_admin.wait_reply()
    assert reply.text == REFUSAL_TEXT
    for command in ("/invite_clinician", "/athletes", "/athlete", "/report", "/protocol"):
        assert refusals(w, command), f"{command} refused without an audit entry"
    assert refusals(w, "upload")
    with session_scope(w.engine, read_only=True) as session:
        versions_after = len(session.exec(ProtocolVersion.__table__.select()).all())  # type: ignore[attr-defined]
    assert versions_after == versions_before  # nothing published by the former admin

    # The new admin has the rights, audited as granted; another restart tells nobody again.
    new_admin = w.sandbox.user(NEW_ADMIN, "Noor")
    assert "Clinician invite" in await say(new_admin, "/invite_clinician")
    assert [e.detail["telegram_id"] for e in audited(w, "admin_granted")] == [ADMIN, NEW_ADMIN]
    told = len(old_admin.bot_messages)
    await w.running.stop()
    w = await world(services=services)
    await w.deliver()
    assert len(old_admin.bot_messages) == told
    assert len(audited(w, "admin_revoked")) == 1
