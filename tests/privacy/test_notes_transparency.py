"""A clinician learns, as they write it, that the athlete reads what they wrote about them.

A note (/note) is never sent to the athlete but is part of their record: the athlete reads it
in their data export (the README promises "everything stored about them"), so the note's
confirmation says so, once, and the export holds it. A reason the athlete is sent word for word
with the notice (a declined sign-off's, a hold's) says so where it is asked for or confirmed.
The athlete card says none of it (not repeated on every card). The real Application on the Bot
API sandbox, SQLite then PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable

from bot.sandbox import SimUser
from bot.store.db import session_scope
from bot.store.repo.answers import upsert_checks
from engine.models import Checks
from tests.athlete.conftest import Phone, World
from tests.clinician.conftest import ADMIN, open_card
from tests.privacy.story import say

Factory = Callable[[], Awaitable[World]]
LEE, ANNA = 2001, 3001
NOTE = "PRIVATE-NOTE tends to push through pain"
IN_EXPORT = "Anna can read it in their data export."
READS_IT = "Anna is sent what you write, word for word."


async def lee_and_anna(w: World) -> tuple[SimUser, Phone, int]:
    """Lee, made a clinician by the admin, and Anna, onboarded with Lee's invitation."""
    admin = w.sandbox.user(ADMIN, "Ada")
    lee = w.sandbox.user(LEE, "Lee")
    invite = re.search(r"start=(clin_\S+)", await say(admin, "/invite_clinician"))
    assert invite
    assert "You are now a clinician" in await say(lee, f"/start {invite.group(1)}")
    code = re.search(r"\?start=(\S+)", await say(lee, "/invite"))
    assert code
    anna = Phone(w.sandbox.user(ANNA, "Anna"), w)
    await anna.onboard(code=code.group(1))
    person = w.person(ANNA)
    assert person is not None and person.id is not None
    return lee, anna, person.id


async def test_a_notes_confirmation_says_the_athlete_reads_it_in_their_export(
    world: Factory,
) -> None:
    w = await world()
    lee, anna, anna_id = await lee_and_anna(w)
    reply = await say(lee, f"/note {anna_id} {NOTE}")
    assert reply.startswith("Note added to Anna's record.")
    assert reply.count(IN_EXPORT) == 1, reply
    # What the confirmation says is true: the note is not sent to her, her export holds it.
    await w.deliver()
    assert not any(NOTE in (m.text or "") for m in anna.user.bot_messages)
    await anna.user.send("/export")
    messages = await anna.user.wait_until(
        lambda ms: any(m.file and m.file.filename.endswith(".json") for m in ms), timeout=20
    )
    [data] = [
        json.loads(m.file.data) for m in messages if m.file and m.file.filename.endswith("json")
    ]
    assert [row["text"] for row in data["tables"]["note"]] == [NOTE]
    # Said where the note is written, not on every card nor when the notes are listed.
    card = await open_card(lee, anna_id)
    assert "data export" not in (card.text or "")
    assert "data export" not in await say(lee, f"/note {anna_id}")


async def test_a_reason_the_athlete_is_sent_is_announced_where_it_is_written(
    world: Factory,
) -> None:
    w = await world()
    lee, anna, anna_id = await lee_and_anna(w)
    # The next day, walking pain 0/10: H0's criteria are met, only the sign-off waits.
    w.clock.advance(dt.timedelta(days=1))
    await anna.morning()
    with session_scope(w.engine) as session:
        upsert_checks(
            session,
            athlete_id=anna_id,
            local_date=w.clock.now().date(),
            answers=Checks(walk_pain=0),
            answered_at=w.clock.now(),
            utc_offset_minutes=60,
        )
    await w.deliver()
    card = await open_card(lee, anna_id)
    await lee.press("✖️ Decline", card)
    [prompt] = await lee.wait_reply()
    assert prompt.text == ("Write why you decline Anna's sign-off (or /cancel). " + READS_IT)
    reason = "PRIVATE-DECLINE not ready, recheck the hamstring on Friday"
    reply = await say(lee, reason)
    assert reply == "Sign-off declined for Anna. They have been told."  # said once, before
    await w.deliver()
    assert any(reason in (m.text or "") for m in anna.user.bot_messages)
    # A reason typed with the command: said in the confirmation.
    hold = "PRIVATE-HOLD let the soreness settle first"
    reply = await say(lee, f"/hold {anna_id} {hold}")
    assert reply.count(READS_IT) == 1 and reply.startswith("Hold recorded for Anna"), reply
    await w.deliver()
    assert any(hold in (m.text or "") for m in anna.user.bot_messages)
    # Without a reason nothing is sent but the notice: nothing is said.
    reply = await say(lee, f"/hold {anna_id}")
    assert READS_IT not in reply
