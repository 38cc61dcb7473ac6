"""A rollback asks first, like a draft's Publish, through the real bot (SQLite and PostgreSQL).

Before: ``/protocol rollback NAME VERSION`` published at once and only then said what it had
undone, although it changes what every athlete on the protocol is prescribed. Now it shows
what it would publish (the versions it undoes, who published each and when, who will be told,
what changes for athletes, the difference) and acts only on ✅ Confirm rollback; ✖️ Cancel
leaves everything as it is. The buttons work as a draft's do: signed for the admin who asked
(another admin's press is refused), a second press or a press on an offer no longer open does
nothing, and a protocol changed between the offer and the press is refused as stale.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from bot.sandbox import SimUser
from bot.sandbox.state import TranscriptMessage
from bot.services.access import REFUSAL_TEXT
from bot.services.protocol_files import PROTOCOL_DIR
from bot.settings import Settings
from bot.store.db import session_scope
from bot.store.models import ProtocolVersion
from tests.clinician.conftest import ADMIN, World
from tests.clinician.test_clinician_flow import press_raw

WorldFactory = Callable[[], Awaitable[World]]
OTHER_ADMIN = 9001
CONFIRM = "✅ Confirm rollback"
CANCEL = "✖️ Cancel"
CLOSED = "This rollback is no longer open: send /protocol rollback again."
SHIPPED = (PROTOCOL_DIR / "hamstring.yaml").read_text(encoding="utf-8")


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    """The tests' settings with a second admin."""
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'sprintback-test.sqlite3'}",
        admin_telegram_ids=[ADMIN, OTHER_ADMIN],
    )


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


async def offer(user: SimUser, text: str) -> TranscriptMessage:
    """Send a rollback command and return the offer (the message with the buttons)."""
    await user.send(text)
    found = await user.wait_until(
        lambda ms: any(m.find_button(CONFIRM) for m in ms), timeout=15, describe="offer"
    )
    return next(m for m in found if m.find_button(CONFIRM))


async def publish(admin: SimUser) -> None:
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("is published" in (m.text or "") for m in ms))


async def press_after(admin: SimUser, label: str, message: TranscriptMessage) -> str:
    """Press ``label`` on ``message`` and return what the bot then wrote."""
    await admin.press(label, message)

    def new(ms: list[TranscriptMessage]) -> list[TranscriptMessage]:
        return [m for m in ms if m.message_id != message.message_id]  # not its buttons' edit

    found = await admin.wait_until(lambda ms: bool(new(ms)), timeout=15, describe="answer")
    return "\n".join(m.text or "" for m in new(found))


async def press_closed(admin: SimUser, label: str, message: TranscriptMessage) -> str | None:
    """Press ``label`` on ``message`` (as the offer showed it: a tap that raced the removal
    of its buttons, or another device's copy); assert the bot wrote nothing; return its
    answer."""
    button = message.find_button(label)
    assert button is not None
    await admin.press_data(str(button["callback_data"]), message)
    await admin.expect_no_reply()
    answer = admin.last_callback_answer
    return answer.text if answer is not None else None


def versions(w: World) -> list[tuple[int, bool]]:
    with session_scope(w.engine, read_only=True) as session:
        rows = session.exec(select(ProtocolVersion).where(ProtocolVersion.name == "hamstring"))
        return sorted((r.version, r.active) for r in rows)


def with_h8(text: str) -> str:
    """The protocol with an extra stage H8 (a copy of H4) between H4 and H5."""
    data: dict[str, Any] = yaml.safe_load(text)
    h4 = next(s for s in data["stages"] if s["id"] == "H4")
    data["stages"].insert(5, {**copy.deepcopy(h4), "id": "H8", "name": "Extra HV block"})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


async def test_a_rollback_shows_what_it_would_undo_and_acts_only_on_confirm(
    world: WorldFactory,
) -> None:
    w = await world()
    w.add_athlete(3001, "Anna", stage="H3")
    ada = w.sandbox.user(ADMIN, "Ada")
    bo = w.sandbox.user(OTHER_ADMIN, "Bo")
    assert "Draft of" in await say(ada, "/protocol set hamstring H3 min_days.value 8")
    await publish(ada)  # v2, Ada's
    w.clock.advance(dt.timedelta(minutes=30))
    assert "Draft of" in await say(bo, "/protocol set hamstring H3 session[0].reps [6, 8]")
    await publish(bo)  # v3, Bo's: H3's first run 6-8 reps instead of 6-10
    w.clock.advance(dt.timedelta(minutes=2))
    told_before = len(bo.bot_messages)

    shown = await offer(ada, "/protocol rollback hamstring 1")
    text = shown.text or ""
    assert text.startswith(
        "Roll hamstring back to v1? Its text would be published again as v4 and put in "
        "force.\n"
        "1 athlete on hamstring moves to it at their next decision.\n"
        "This rollback undoes:\n"
        "• v3, published 2 minutes ago by Bo\n"
        "• v2, published 32 minutes ago by you\n"
        "Bo will be told.\n"
        "The rollback changes what 1 stage prescribes:\n"
        "• H3 · Progressive running 70–80 % Vmax: session changed\n"
        "Difference (v3, in force now, against v1):\n"
    ), text
    assert "-    value: 8" in text and "+    value: 4" in text, text
    assert text.endswith(
        "Nothing changes until you press Confirm; Cancel leaves everything as it is."
    ), text
    assert shown.button_labels == [CONFIRM, CANCEL]
    # Nothing done yet: v3 in force, Bo not told.
    assert versions(w) == [(1, False), (2, False), (3, True)]
    await w.deliver()
    assert len(bo.bot_messages) == told_before
    assert [r.detail["version"] for r in w.audit("protocol_rollback_offer")] == [1]

    kept = copy.deepcopy(shown)  # as offered, with its buttons
    done = await press_after(ada, CONFIRM, shown)
    assert done == (
        "hamstring: the text of v1 is published again as v4 (active). Athletes move to it at "
        "their next decision.\n"
        "Bo has been told."
    ), done
    assert ada.last_callback_answer is not None
    assert ada.last_callback_answer.text == "Rolled back"
    assert versions(w) == [(1, False), (2, False), (3, False), (4, True)]
    assert [r.detail["version"] for r in w.audit("publish_protocol")][-1] == 4
    await w.deliver()
    assert (bo.bot_messages[-1].text or "").startswith(
        "Ada rolled hamstring back to v1 (in force now as v4), which undoes your v3."
    )

    # A second press of the same Confirm does nothing.
    assert await press_closed(ada, CONFIRM, kept) == CLOSED
    assert versions(w) == [(1, False), (2, False), (3, False), (4, True)]


async def test_cancel_leaves_everything_as_it_is(world: WorldFactory) -> None:
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    assert "Draft of" in await say(ada, "/protocol set hamstring H3 min_days.value 8")
    await publish(ada)
    shown = await offer(ada, "/protocol rollback hamstring 1")
    kept = copy.deepcopy(shown)  # as offered, with its buttons

    reply = await press_after(ada, CANCEL, shown)
    assert reply == "Rollback of hamstring to v1 cancelled; nothing changed.", reply
    assert versions(w) == [(1, False), (2, True)]
    assert [r.detail["version"] for r in w.audit("protocol_rollback_cancelled")] == [1]
    # Its Confirm, pressed afterwards, does nothing either.
    assert await press_closed(ada, CONFIRM, kept) == CLOSED
    assert versions(w) == [(1, False), (2, True)]


async def test_a_version_published_between_the_offer_and_the_press_makes_it_stale(
    world: WorldFactory,
) -> None:
    """Ada is shown what rolling back to v1 undoes (her v2); Bo publishes v3 before she
    presses: confirming would also undo Bo's v3, which the offer never showed."""
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    bo = w.sandbox.user(OTHER_ADMIN, "Bo")
    assert "Draft of" in await say(ada, "/protocol set hamstring H3 min_days.value 8")
    await publish(ada)  # v2
    shown = await offer(ada, "/protocol rollback hamstring 1")
    assert "• v3" not in (shown.text or "")
    assert "Draft of" in await say(bo, "/protocol set hamstring H2 min_days.value 9")
    await publish(bo)  # v3

    reply = await press_after(ada, CONFIRM, shown)
    assert reply == (
        "Not rolled back: hamstring is now at v3, the rollback to v1 was offered at v2: "
        "another version was published meanwhile (/protocol history hamstring); send "
        "/protocol rollback hamstring 1 again to see what it would undo now."
    ), reply
    assert versions(w) == [(1, False), (2, False), (3, True)]
    [refused] = w.audit("protocol_edit_refused")
    assert refused.detail["what"] == "rollback hamstring v1 (offered at v2)"
    assert await press_closed(ada, CONFIRM, shown) == CLOSED

    # Asked again, the offer names Bo's v3 too, and confirming it rolls back.
    shown = await offer(ada, "/protocol rollback hamstring 1")
    assert "• v3, published just now by Bo" in (shown.text or ""), shown.text
    assert "published again as v4" in await press_after(ada, CONFIRM, shown)
    assert versions(w)[-1] == (4, True)


async def test_an_athlete_stranded_after_the_offer_refuses_the_confirm(
    world: WorldFactory,
) -> None:
    """The checks the offer made are made again at the press: an athlete moved since into a
    stage the old version lacks keeps the rollback from happening."""
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    await say(ada, "/protocols")  # seeds v1
    await ada.send_document("hamstring.yaml", with_h8(SHIPPED).encode())
    await ada.wait_until(lambda ms: any("Draft of" in (m.text or "") for m in ms), timeout=15)
    await publish(ada)  # v2 has H8
    shown = await offer(ada, "/protocol rollback hamstring 1")
    w.add_athlete(3001, "Anna", stage="H8")

    reply = await press_after(ada, CONFIRM, shown)
    assert reply == (
        "Not rolled back: hamstring: 1 athlete is in H8, which v1 does not have: have the "
        "athlete's clinician move them with /stage first, or roll back to a version that has "
        "H8 (/protocol history hamstring)."
    ), reply
    assert versions(w) == [(1, False), (2, True)]


async def test_an_offer_warns_of_athletes_past_a_stage_the_old_version_adds(
    world: WorldFactory,
) -> None:
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    await say(ada, "/protocols")
    await ada.send_document("hamstring.yaml", with_h8(SHIPPED).encode())
    await ada.wait_until(lambda ms: any("Draft of" in (m.text or "") for m in ms), timeout=15)
    await publish(ada)  # v2 has H8, between H4 and H5
    assert "published again as v3" in await press_after(
        ada, CONFIRM, await offer(ada, "/protocol rollback hamstring 1")
    )
    w.add_athlete(3001, "Anna", stage="H5")  # on v3 (no H8), already past where H8 goes

    shown = await offer(ada, "/protocol rollback hamstring 2")
    assert (
        "⚠️ hamstring: 1 athlete is already past where v2 adds H8, so will not go through "
        "what is added unless their clinician moves them back"
    ) in (shown.text or ""), shown.text
    assert versions(w) == [(1, False), (2, False), (3, True)]


async def test_another_admins_press_and_a_stale_button_change_nothing(
    world: WorldFactory,
) -> None:
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    bo = w.sandbox.user(OTHER_ADMIN, "Bo")
    assert "Draft of" in await say(ada, "/protocol set hamstring H3 min_days.value 8")
    await publish(ada)
    shown = await offer(ada, "/protocol rollback hamstring 1")
    button = shown.find_button(CONFIRM)
    assert button is not None

    # Bo presses Ada's button (a copied callback): refused, audited.
    assert await press_raw(w, bo, shown, button["callback_data"]) == REFUSAL_TEXT
    assert any("signature" in r.detail["reason"] for r in w.audit("refused"))
    assert versions(w) == [(1, False), (2, True)]

    # A newer offer replaces the older one: the older one's Confirm does nothing.
    newer = await offer(ada, "/protocol rollback hamstring 1")
    w.clock.advance(dt.timedelta(minutes=1))
    assert "Draft of" in await say(ada, "/protocol set hamstring H2 min_days.value 9")
    await publish(ada)  # v3
    older = await offer(ada, "/protocol rollback hamstring 2")
    assert await press_closed(ada, CONFIRM, newer) == CLOSED
    assert versions(w) == [(1, False), (2, False), (3, True)]

    # An offer left for more than 12 hours is no longer open.
    w.clock.advance(dt.timedelta(hours=13))
    assert await press_closed(ada, CONFIRM, older) == CLOSED
    # Nor is one whose button is older than a button may be (30 days).
    w.clock.advance(dt.timedelta(days=31))
    assert await press_closed(ada, CANCEL, older) == CLOSED
    assert versions(w) == [(1, False), (2, False), (3, True)]


async def test_a_difference_too_long_for_the_offer_follows_whole_as_a_file(
    world: WorldFactory,
) -> None:
    """Nobody confirms a rollback whose difference they could only read the start of."""
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    await say(ada, "/protocols")
    data: dict[str, Any] = yaml.safe_load(SHIPPED)
    lines = [f"Edit {n}: a note on the change made to the protocol today." for n in range(120)]
    data["notes"] = data["notes"] + "\n" + "\n".join(lines) + "\nLAST EDIT OF V2."
    await ada.send_document("hamstring.yaml", yaml.safe_dump(data, allow_unicode=True).encode())
    await ada.wait_until(lambda ms: any("Draft of" in (m.text or "") for m in ms), timeout=15)
    await publish(ada)

    shown = await offer(ada, "/protocol rollback hamstring 1")
    text = shown.text or ""
    assert len(text) <= 4096 and "… (truncated)" in text, len(text)
    assert "The whole difference follows as a file." in text, text
    wanted = "hamstring-v2-to-v1.diff"
    await ada.wait_until(lambda ms: any(f.filename == wanted for f in ada.documents), timeout=15)
    [whole] = [f for f in ada.documents if f.filename == wanted]
    assert "LAST EDIT OF V2." in whole.data.decode() and "Edit 119" in whole.data.decode()
    assert versions(w) == [(1, False), (2, True)]
