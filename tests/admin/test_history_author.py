"""/protocol history names who published each version, never a row number.

An admin named in ADMIN_TELEGRAM_IDS is stored at start-up before they ever wrote to the bot,
so without a name; the history said "by #1" (their row id). Their first command now gives
the stored admin their Telegram name, and the history reads "by Ada Lovelace".
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bot.sandbox import SimUser
from tests.clinician.conftest import ADMIN, World

WorldFactory = Callable[[], Awaitable[World]]


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply())


async def test_the_history_names_the_admin_who_published_a_version(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada Lovelace")
    await say(admin, "/protocol set hamstring H3 min_days.value 8")
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("published" in (m.text or "") for m in ms))

    history = await say(admin, "/protocol history hamstring")

    v2 = next(line for line in history.splitlines() if line.startswith("• v2"))
    assert "by Ada Lovelace" in v2, history
    assert not re.search(r"#\d", history), history  # no row number on screen
    v1 = next(line for line in history.splitlines() if line.startswith("• v1"))
    assert "by the system" in v1, history
