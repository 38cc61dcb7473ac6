"""/delete keeps the promise made at onboarding ("delete it for good"): after an athlete with a
rich history (see ``tests.privacy.story``) deletes their data, no row of any table (listed
from the schema, so a table added later is covered) holds their Telegram id, their name or
username, their answers or any text they or their clinician wrote; only an anonymous audit
line "athlete #N deleted their data" stays. What was queued about them is not sent, their
clinician is told by number, a card about them pressed afterwards says plainly that they
deleted their data, and they are gone from the lists and the digest. A deletion that fails
half-way leaves everything as it was. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import bot.store.repo.data_rights as data_rights
from bot.scheduling.registry import registry_of
from bot.scheduling.tick import Scheduler, run_tick
from bot.services import texts
from bot.services.clinician.decisions import DELETED_TEXT
from bot.services.digest import run_digest
from bot.store.models import metadata
from tests.athlete.conftest import World
from tests.privacy.story import (
    ANNA,
    ANNA_WORDS,
    FIRST,
    LEE,
    LEE_NOTE_BEN,
    UNSENT_NOTE,
    Story,
    all_rows,
    mentions,
    play,
    say,
)

Factory = Callable[[], Awaitable[World]]
# The deletion's own audit entry: who (by number), when, how many rows; no personal data.
DELETION_DETAIL = {"deleted_rows", "redacted_messages"}
# The tables the story writes about her (by her number) before she deletes her data.
STORY_TABLES = {
    "person", "consent", "link", "invite", "injury", "baseline", "programme", "morning_checkin",
    "session_report", "questionnaire_progress", "decision", "alert", "used_button", "note",
    "pending_step", "outbox", "scheduled_prompt", "audit_log",
}  # fmt: skip


async def delete_her(w: World, story: Story) -> None:
    """Anna sends /delete and confirms twice; what was queued is then delivered."""
    await story.anna.say("/delete")
    await story.anna.tap(str(texts.DELETE_YES_1))
    replies = await story.anna.tap(str(texts.DELETE_YES_2))
    assert str(texts.DELETED) in [m.text for m in replies]
    await w.deliver()


def references_to(rows: dict[str, list[dict[str, Any]]], person_id: int) -> list[dict[str, Any]]:
    """Every row pointing at ``person_id``: by a foreign key to the person table, or as the
    actor or athlete of an audit entry (which carry no foreign key)."""
    found = []
    for table in metadata.sorted_tables:
        columns = [fk.parent.name for fk in table.foreign_keys if fk.column.table.name == "person"]
        if table.name == "person":
            columns.append("id")
        if table.name == "audit_log":
            columns += ["actor_id", "athlete_id"]
        found += [
            {"table": table.name, **row}
            for row in rows[table.name]
            if any(row.get(column) == person_id for column in columns)
        ]
    return found


async def test_delete_leaves_no_row_that_identifies_or_describes_her(world: Factory) -> None:
    """Webhook mode (every update stored in the inbox first, as in production). The update
    that deleted her kept her Telegram id in the inbox for two days, and the farewell ("your
    data has been deleted") kept it in the outbox for good: both are gone now."""
    w = await world()
    await w.telegram.restart(mode="webhook")
    story = await play(w)
    holding = {row["table"] for row in references_to(all_rows(w), story.anna_id)}
    assert holding >= STORY_TABLES, STORY_TABLES - holding  # the story reached every corner

    await delete_her(w, story)
    scheduler = Scheduler(
        engine=w.engine, clock=w.clock, senders=registry_of(w.running.application.bot_data)
    )
    w.clock.advance(dt.timedelta(hours=2))
    await run_tick(scheduler)
    await w.deliver()

    after = all_rows(w)
    left = [
        (table, found, row)
        for table, rows in after.items()
        for row in rows
        if (found := mentions(row, ANNA_WORDS, (ANNA,)))
    ]
    assert left == []
    [deletion] = references_to(after, story.anna_id)
    assert (deletion["table"], deletion["action"]) == ("audit_log", "delete")
    assert set(deletion["detail"]) == DELETION_DETAIL
    # Nobody else's data went with hers.
    assert references_to(after, story.ben_id)
    assert [n["text"] for n in after["note"]] == [LEE_NOTE_BEN]


async def test_what_was_queued_about_her_is_not_sent_and_her_clinician_is_told(
    world: Factory,
) -> None:
    """The alert card of her last warning sign (quoting her note) still waited for Lee: it
    is withdrawn with her data, and Lee reads only that athlete #N deleted their account."""
    w = await world()
    story = await play(w)
    waiting = [r for r in all_rows(w)["outbox"] if r["chat_id"] == LEE and r["status"] == "pending"]
    assert any(UNSENT_NOTE in r["text"] for r in waiting)
    assert any(r["kind"] == "clinician_alert" and FIRST in r["text"] for r in waiting)
    seen = len(story.lee.bot_messages)
    await delete_her(w, story)
    new = [m.text or "" for m in story.lee.bot_messages[seen:]]
    assert new == [texts.CLINICIAN_ATHLETE_DELETED.format(id=story.anna_id)]
    assert not any(UNSENT_NOTE in (m.text or "") for m in story.lee.bot_messages)


async def test_a_card_about_her_pressed_afterwards_says_she_deleted_her_data(
    world: Factory,
) -> None:
    """Every button of her red-flag card, pressed after she deleted her data: "You don't
    have access to that." (as if Lee had never followed her) is now the plain reason; nothing
    of hers is shown and nothing is done."""
    w = await world()
    story = await play(w)
    lee = story.lee
    card = next(m for m in lee.bot_messages if "pop" in (m.text or "") and m.button_labels)
    await delete_her(w, story)
    for label in card.button_labels:
        await lee.press(label, card)
        await w.sandbox.wait_for(lambda: lee.last_callback_answer is not None, timeout=10)
        await asyncio.sleep(0.2)  # a message may follow the answer
        assert lee.last_callback_answer is not None
        assert lee.last_callback_answer.text == DELETED_TEXT, label
        assert lee.messages_since_action() == [], label
    assert not references_to(all_rows(w), story.anna_id)[1:]  # nothing recorded about her


async def test_she_is_gone_from_the_lists_the_digest_and_the_admins_view(
    world: Factory,
) -> None:
    w = await world()
    story = await play(w)
    await delete_her(w, story)
    for user in (story.lee, story.admin):
        overview = await say(user, "/athletes")
        assert "Ben" in overview and FIRST not in overview and "#" not in overview, overview
    w.clock.set(dt.datetime(2026, 3, 9, 8, 5, tzinfo=dt.UTC))  # Monday: Lee's digest is due
    seen = len(story.lee.bot_messages)
    run = await run_digest(w.running.application.bot, w.engine, w.clock, worker="a")
    assert run.sent == [story.lee_id]
    [digest] = [m.text or "" for m in story.lee.bot_messages[seen:] if m.kind == "text"]
    assert "Ben" in digest and FIRST not in digest and f"#{story.anna_id}" not in digest


async def test_a_deletion_that_fails_half_way_leaves_everything(
    world: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after most rows were deleted (the last step of the deletion raises, as a
    process killed there would never commit) leaves every row as it was; her next /delete
    then removes everything."""
    w = await world()
    story = await play(w)
    await w.deliver()

    def killed(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("killed half-way")

    monkeypatch.setattr(data_rights, "_redact_name", killed)
    await story.anna.say("/delete")
    await story.anna.tap(str(texts.DELETE_YES_1))
    await w.deliver()  # the question shown is recorded: nothing moves but the deletion
    kept = ("inbox_update", "outbox", "audit_log", "send_budget")  # the failure's own traces
    before = {t: rows for t, rows in all_rows(w).items() if t not in kept}
    replies = await story.anna.tap(str(texts.DELETE_YES_2))
    assert str(texts.DELETED) not in [m.text for m in replies]
    assert {t: rows for t, rows in all_rows(w).items() if t not in kept} == before
    assert any("Stage" in (m.text or "") for m in await story.anna.say("/status"))

    monkeypatch.undo()
    replies = await story.anna.tap(str(texts.DELETE_YES_2))  # the last question, still open
    assert str(texts.DELETED) in [m.text for m in replies]
    await w.deliver()
    rows = all_rows(w)
    assert not [r for t in rows.values() for r in t if mentions(r, ANNA_WORDS, (ANNA,))]
