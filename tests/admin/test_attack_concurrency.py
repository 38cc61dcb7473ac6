"""Two admins, in two chats, editing the same protocol at the same moment, through the real bot
(updates of different chats are processed concurrently; SQLite and PostgreSQL).

Both make a draft from v1 and press Publish together: exactly one version 2 is stored, whole,
and the other admin is told their draft is stale in words that say what to do next (before,
only "the draft was made from v1": the edit was dropped and nothing said how to get it back).
Both then confirm a rollback to v1 together: one v3, and the other is told their offer is
stale.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlmodel import select

from bot.sandbox import SimUser
from bot.settings import Settings
from bot.store.db import session_scope
from bot.store.models import ProtocolVersion
from bot.store.standing import parse_text
from tests.clinician.conftest import ADMIN, World

WorldFactory = Callable[[], Awaitable[World]]
OTHER_ADMIN = 9001


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


def answered(user: SimUser, *marks: str) -> Callable[[list[object]], bool]:
    return lambda ms: any(mark in (getattr(m, "text", "") or "") for m in ms for mark in marks)


def stored(w: World) -> list[tuple[int, bool, int, int]]:
    """(version, active, H2 min days, H3 min days) of every stored version."""
    with session_scope(w.engine, read_only=True) as session:
        rows = session.exec(select(ProtocolVersion).where(ProtocolVersion.name == "hamstring"))
        out = []
        for row in rows:
            protocol = parse_text(row.text, "hamstring")
            days = [protocol.stage(s).min_days.value for s in ("H2", "H3")]
            out.append((row.version, row.active, *days))
        return sorted(out)


async def test_two_admins_publishing_at_once(world: WorldFactory) -> None:
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    bo = w.sandbox.user(OTHER_ADMIN, "Bo")
    await say(ada, "/protocols")  # seeds v1
    await asyncio.gather(
        ada.send("/protocol set hamstring H3 min_days.value 8"),
        bo.send("/protocol set hamstring H2 min_days.value 9"),
    )
    await asyncio.gather(
        ada.wait_until(answered(ada, "Draft of"), timeout=15),
        bo.wait_until(answered(bo, "Draft of"), timeout=15),
    )
    await asyncio.gather(ada.press("✅ Publish"), bo.press("✅ Publish"))
    await asyncio.gather(
        ada.wait_until(answered(ada, "is published", "Not published:"), timeout=20),
        bo.wait_until(answered(bo, "is published", "Not published:"), timeout=20),
    )
    texts = {
        who: "\n".join(m.text or "" for m in user.bot_messages)
        for who, user in (("ada", ada), ("bo", bo))
    }
    winner = "ada" if "v2 is published" in texts["ada"] else "bo"
    loser = "bo" if winner == "ada" else "ada"
    assert "v2 is published" in texts[winner] and "Not published" not in texts[winner], texts
    assert (
        "Not published: hamstring is now at v2, the draft was made from v1: another version "
        "was published meanwhile (/protocol diff hamstring 1 shows what it changed); make your "
        "change again on v2."
    ) in texts[loser], texts
    # One v2, whole: the winner's one change on v1 (v1: H2 3 days, H3 4 days).
    expected = (2, True, 3, 8) if winner == "ada" else (2, True, 9, 4)
    assert stored(w) == [(1, False, 3, 4), expected], stored(w)

    # Both are offered a rollback to v1 and confirm it at once: one v3, the other is told
    # another version was published since their offer.
    await asyncio.gather(
        ada.send("/protocol rollback hamstring 1"), bo.send("/protocol rollback hamstring 1")
    )
    await asyncio.gather(
        ada.wait_until(answered(ada, "Roll hamstring back"), timeout=20),
        bo.wait_until(answered(bo, "Roll hamstring back"), timeout=20),
    )
    await asyncio.gather(ada.press("✅ Confirm rollback"), bo.press("✅ Confirm rollback"))
    await asyncio.gather(
        ada.wait_until(answered(ada, "published again", "Not rolled back"), timeout=20),
        bo.wait_until(answered(bo, "published again", "Not rolled back"), timeout=20),
    )
    last = [ada.last_bot_message.text or "", bo.last_bot_message.text or ""]
    assert sum("published again as v3" in t for t in last) == 1, last
    assert sum(t.startswith("Not rolled back: hamstring is now at v3") for t in last) == 1, last
    assert stored(w) == [(1, False, 3, 4), (*expected[:1], False, *expected[2:]), (3, True, 3, 4)]


async def test_a_dry_run_of_a_stale_draft_says_publish_will_be_refused(
    world: WorldFactory,
) -> None:
    """Ada dry-runs her draft after Bo published: the dry-run compares with Bo's v2, and used
    to say nothing of her draft being made from v1, so she pressed Publish on a clean report
    and was refused."""
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    bo = w.sandbox.user(OTHER_ADMIN, "Bo")
    assert "Draft of" in await say(ada, "/protocol set hamstring H3 min_days.value 8")
    assert "Draft of" in await say(bo, "/protocol set hamstring H2 min_days.value 9")
    await bo.press("✅ Publish")
    await bo.wait_until(answered(bo, "v2 is published"), timeout=15)
    dry = await say(ada, "/protocol dryrun hamstring")
    assert dry.splitlines()[1] == (
        "⚠️ hamstring is now at v2, the draft was made from v1: another version was published "
        "meanwhile (/protocol diff hamstring 1 shows what it changed); make your change again "
        "on v2"
    ), dry
    dry = await say(bo, "/protocol set hamstring H3 min_days.value 7")
    assert "⚠️" not in await say(bo, "/protocol dryrun hamstring")
