"""A rich history, played through the real bot: an admin, a clinician (Lee) and two athletes
(Anna, whose data rights are under test, and Ben, whose data must never show in hers).

Every free text typed carries a marker (``PRIVATE-...``) so a test can look for it anywhere."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select

from bot.sandbox import SimUser
from bot.scheduling.registry import registry_of
from bot.scheduling.tick import Scheduler, run_tick
from bot.store.db import session_scope
from bot.store.models import metadata
from tests.athlete.conftest import Phone, World
from tests.clinician.conftest import ADMIN, open_card

LEE, ANNA, BEN = 2001, 3001, 3002
FIRST, LAST, USERNAME = "Annabel", "Quist", "annabel_q"
PROBLEM_NOTE = "PRIVATE-PROBLEM hamstring twinges on the stairs"
REVIEW_NOTE = "PRIVATE-REVIEW seen in clinic, no nerve involvement"
LEE_MESSAGE = "PRIVATE-MESSAGE how is the leg today"
LEE_NOTE_ANNA = "PRIVATE-NOTE-ANNA keen, tends to push through pain"
LEE_NOTE_BEN = "PRIVATE-NOTE-BEN worried about his knee too"
BEN_PROBLEM = "PRIVATE-BEN calf feels tight"
UNSENT_NOTE = "PRIVATE-UNSENT it swelled up again after lunch"
# What identifies or describes Anna (her Telegram id is checked as a number apart).
ANNA_WORDS = (FIRST, LAST, USERNAME, "PRIVATE-PROBLEM", "PRIVATE-REVIEW", "PRIVATE-MESSAGE")
ANNA_WORDS += ("PRIVATE-NOTE-ANNA", "PRIVATE-UNSENT")


async def say(user: SimUser, text: str) -> str:
    """Send ``text`` and return the bot's reply (all messages joined)."""
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply())


@dataclass
class Story:
    """The people of the story."""

    lee: SimUser
    admin: SimUser
    anna: Phone
    ben: Phone
    anna_id: int
    ben_id: int
    lee_id: int


async def _session_report(phone: Phone) -> None:
    """A post-session report with a top speed typed, pain an hour after skipped (so it is
    asked again later: a follow-up prompt)."""
    await phone.say("/done")
    await phone.tap("All of it")
    await phone.tap("1")
    await phone.tap("The injured spot")
    await phone.tap("No")  # sharp pain
    await phone.tap("None of these ✅")
    await phone.tap("1")  # tightness
    await phone.tap("No")  # held back
    await phone.tap("8")  # confidence
    await phone.tap("4")  # how hard
    await phone.tap("45")  # minutes
    await phone.tap("Skip")  # pain an hour after: asked again later
    while "Any numbers from today" not in phone.last:
        await phone.tap("Not done")
    await phone.tap("Step by step")
    await phone.say("8.7")
    await phone.tap("That's all")
    await phone.tap("Yes, save")


async def _invite(lee: SimUser) -> str:
    found = re.search(r"\?start=(\S+)", await say(lee, "/invite"))
    assert found
    return found.group(1)


async def play(w: World) -> Story:
    """Play the whole story up to the moment Anna would exercise her rights; leave an alert
    card about her queued for Lee, unsent, and Lee's "Message athlete" step half done."""
    admin = w.sandbox.user(ADMIN, "Ada")
    lee = w.sandbox.user(LEE, "Lee")
    invite = re.search(r"start=(clin_\S+)", await say(admin, "/invite_clinician"))
    assert invite
    assert "You are now a clinician" in await say(lee, f"/start {invite.group(1)}")
    anna = Phone(w.sandbox.user(ANNA, FIRST, last_name=LAST, username=USERNAME), w)
    ben = w.phone(BEN, "Ben")
    await anna.onboard(code=await _invite(lee))
    await ben.onboard(code=await _invite(lee))
    anna_id = w.person(ANNA).id  # type: ignore[union-attr]
    ben_id = w.person(BEN).id  # type: ignore[union-attr]
    lee_id = w.person(LEE).id  # type: ignore[union-attr]

    await anna.morning()
    await _session_report(anna)
    await anna.say("/problem")
    await anna.say(PROBLEM_NOTE)
    await anna.tap("💬 Tell my clinician")
    await ben.say("/problem")
    await ben.say(BEN_PROBLEM)
    await ben.tap("💬 Tell my clinician")
    await w.deliver()

    # The next morning: a red flag stops running and raises an alert card for Lee.
    w.clock.advance(dt.timedelta(days=1))
    await w.deliver()
    await anna.say("/checkin")
    await anna.tap("▫️ Felt a pop or sudden sharp pain")
    await anna.tap("Done")
    await w.deliver()
    assert any(FIRST in (m.text or "") and "pop" in (m.text or "") for m in lee.bot_messages)

    card = await open_card(lee, anna_id)
    await lee.press("🩺 Reviewed: may run again", card)
    await lee.wait_reply()
    assert "Confirm the review" in await say(lee, REVIEW_NOTE)
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("may run again" in (m.text or "") for m in ms))
    card = await open_card(lee, anna_id)
    await lee.press("💬 Message athlete", card)
    await lee.wait_reply()
    await say(lee, LEE_MESSAGE)
    await say(lee, f"/note {anna_id} {LEE_NOTE_ANNA}")
    await say(lee, f"/note {ben_id} {LEE_NOTE_BEN}")
    await lee.send(f"/report {anna_id}")
    await lee.wait_until(lambda ms: any(m.kind == "document" for m in ms), timeout=30)
    await w.deliver()
    assert any(LEE_MESSAGE in (m.text or "") for m in anna.user.bot_messages)

    # The follow-up prompt and the next morning's check-in prompt are due: the tick sends
    # them, the sender too.
    scheduler = Scheduler(
        engine=w.engine, clock=w.clock, senders=registry_of(w.running.application.bot_data)
    )
    await run_tick(scheduler)
    await w.deliver()

    # Left half done or unsent at the moment of the deletion: Lee's next message to Anna
    # (a pending step), and the alert card of a new warning sign (queued, not delivered).
    card = await open_card(lee, anna_id)
    await lee.press("💬 Message athlete", card)
    await lee.wait_reply()
    await anna.say("/problem")
    await anna.say(UNSENT_NOTE)
    await anna.tap("🚩 Check for warning signs")
    await anna.tap("▫️ New swelling at the injury")
    await anna.tap("Done")
    return Story(lee, admin, anna, ben, anna_id, ben_id, lee_id)


def all_rows(w: World) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table of the schema (``metadata``: a table added later included)."""
    with session_scope(w.engine, read_only=True) as session:
        connection = session.connection()
        return {
            table.name: [dict(r._mapping) for r in connection.execute(sa_select(table))]
            for table in metadata.sorted_tables
        }


def mentions(row: dict[str, Any], words: tuple[str, ...], numbers: tuple[int, ...]) -> list[str]:
    """What of ``words`` (case-insensitive) and ``numbers`` (a whole number in any column, or
    in any text or JSON value) ``row`` holds."""
    found = []
    dump = json.dumps(row, default=str, ensure_ascii=False)
    for word in words:
        if word.lower() in dump.lower():
            found.append(word)
    for number in numbers:
        if re.search(rf"(?<![\d.]){number}(?![\d.])", dump):
            found.append(str(number))
    return found
