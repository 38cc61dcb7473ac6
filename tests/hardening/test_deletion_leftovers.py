"""An athlete's data goes where it may, and nowhere once they leave: a clinician they unlinked
gets no digest listing them, and after /delete nothing in the database names them or holds
their Telegram id (the unlink notice, a former clinician's digest, an alert card forwarded to
the admin, refusals from before they signed up). SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import select

from bot.sandbox import SimUser
from bot.services import texts
from bot.services.digest import run_digest
from bot.store.db import session_scope
from bot.store.models import Outbox, metadata
from bot.store.repo.messaging import enqueue_message
from tests.clinician.conftest import World
from tests.clinician.test_clinician_flow import link, make_clinician
from tests.hardening.conftest import WorldFactory, say

LEE, ANNA, BEN = 2001, 3001, 3002
NAME = "Annabel Quist"


def rows_naming(w: World, needle: str) -> list[tuple[str, dict[str, Any]]]:
    """Every row of every table whose values, as JSON, contain ``needle``."""
    hits = []
    with session_scope(w.engine, read_only=True) as session:
        connection = session.connection()
        for table in metadata.sorted_tables:
            for row in connection.execute(sa_select(table)):
                values = dict(row._mapping)
                if needle in json.dumps(values, default=str, ensure_ascii=False):
                    hits.append((table.name, values))
    return hits


async def delete_me(user: SimUser) -> None:
    await say(user, "/delete")
    await user.press(str(texts.DELETE_YES_1))
    await user.wait_reply()
    await user.press(str(texts.DELETE_YES_2))
    await user.wait_reply()


async def unlink_me(w: World, user: SimUser) -> None:
    assert "Stop sharing" in await say(user, "/unlink")
    await user.press("Stop sharing")
    await user.wait_reply()
    await w.deliver()


async def test_a_digest_waiting_for_a_retry_is_withdrawn_when_the_athlete_unlinks(
    world: WorldFactory,
) -> None:
    w = await world()
    w.add_athlete(ANNA, NAME)
    w.add_athlete(BEN, "Ben Other")
    lee = await make_clinician(w, LEE, "Lee")
    anna = w.sandbox.user(ANNA, "Annabel")
    await link(w, lee, anna)
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    w.clock.set(dt.datetime(2026, 3, 2, 8, 5, tzinfo=dt.UTC))  # Monday morning: digest due
    w.sandbox.fail_next("sendMessage", status=500, chat_id=LEE, times=1)
    await run_digest(w.running.application.bot, w.engine, w.clock, worker="a")
    with session_scope(w.engine, read_only=True) as session:
        [waiting] = session.exec(select(Outbox).where(Outbox.kind == "digest")).all()
    assert waiting.status == "pending" and NAME in waiting.text
    await unlink_me(w, anna)
    w.clock.advance(dt.timedelta(minutes=5))
    await w.deliver()
    await run_digest(w.running.application.bot, w.engine, w.clock, worker="a")
    seen = [m.text or "" for m in lee.bot_messages]
    assert not [t for t in seen if NAME in t and "stopped sharing" not in t]
    assert any("Ben Other" in t for t in seen)  # made again without her while still due


async def test_after_unlink_then_delete_the_unlink_notice_no_longer_names_her(
    world: WorldFactory,
) -> None:
    w = await world()
    w.add_athlete(ANNA, NAME)
    lee = await make_clinician(w, LEE, "Lee")
    anna = w.sandbox.user(ANNA, "Annabel")
    await link(w, lee, anna)
    await unlink_me(w, anna)
    assert any(
        NAME in (m.text or "") and "stopped sharing" in (m.text or "") for m in lee.bot_messages
    )
    await delete_me(anna)
    assert rows_naming(w, NAME) == [] and rows_naming(w, "Annabel") == []


async def test_a_former_clinicians_digest_no_longer_names_her_after_delete(
    world: WorldFactory,
) -> None:
    w = await world()
    w.add_athlete(ANNA, NAME)
    lee = await make_clinician(w, LEE, "Lee")
    anna = w.sandbox.user(ANNA, "Annabel")
    await link(w, lee, anna)
    lee_person = w.person(LEE)
    assert lee_person is not None
    with session_scope(w.engine) as session:
        enqueue_message(
            session,
            chat_id=LEE,
            text=f"Weekly digest\n• {NAME}: 3 check-ins\n• Ben: 5 check-ins",
            kind="digest",
            now=w.clock.now(),
            person_id=lee_person.id,
        )
    await w.deliver()
    await unlink_me(w, anna)
    await delete_me(anna)
    assert rows_naming(w, NAME) == []


async def test_an_alert_card_forwarded_to_the_admin_goes_with_her_data(
    world: WorldFactory,
) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, NAME)
    lee = await make_clinician(w, LEE, "Lee")
    anna = w.sandbox.user(ANNA, "Annabel")
    await link(w, lee, anna)
    await lee.block_bot()
    w.report_red_flag(anna_id, "numbness")
    await w.escalate()
    await w.deliver()
    admin = w.sandbox.user(9000, "Ada")
    assert any(NAME in (m.text or "") for m in admin.bot_messages)  # forwarded whole
    await delete_me(anna)
    assert rows_naming(w, NAME) == []


async def test_refusals_from_before_she_signed_up_go_with_her_telegram_id(
    world: WorldFactory,
) -> None:
    w = await world()
    lee = await make_clinician(w, LEE, "Lee")
    stranger = w.sandbox.user(ANNA, "Annabel")
    for command in ("/start clin_notacode", "/report 1", "/link nothing", "/progress 1"):
        await say(stranger, command)
    w.add_athlete(ANNA, NAME)
    await link(w, lee, stranger)
    await delete_me(stranger)
    with session_scope(w.engine, read_only=True) as session:
        table = metadata.tables["audit_log"]
        entries = session.connection().execute(sa_select(table.c.action, table.c.detail)).all()
    assert [a for a, detail in entries if (detail or {}).get("telegram_id") == ANNA] == []
