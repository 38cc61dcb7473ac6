"""Findings 3 and 4: long texts a clinician types are never lost and never lock a card.

- "Message athlete" with 4,096 characters reaches the athlete whole, in parts that each fit
  Telegram's limit; a message that finally fails tells its author.
- Two long /note entries leave the /athlete card working, notes shortened on it, and
  /note <number> shows them whole.
"""

from __future__ import annotations

from sqlmodel import col, select

from bot.sandbox import SimUser
from bot.store.db import session_scope
from bot.store.models import Outbox, Person
from bot.support.limits import TEXT_LIMIT, utf16_len
from tests.clinician.conftest import World, open_card
from tests.clinician.test_clinician_flow import link, make_clinician
from tests.hardening.conftest import WorldFactory, audited, say

CLINICIAN, ANNA = 2001, 3001


def _paragraphs(total: int) -> str:
    """A long message a clinician might paste: numbered paragraphs, ``total`` characters."""
    parts, n = [], 1
    while sum(len(p) + 2 for p in parts) < total:
        parts.append(f"Point {n}: keep the warm-up gentle, stop if the back of the thigh grabs.")
        n += 1
    return "\n\n".join(parts)[:total]


async def _linked(w: World) -> tuple[SimUser, SimUser, int]:
    anna_id = w.add_athlete(ANNA, "Anna")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    anna = w.sandbox.user(ANNA, "Anna")
    await link(w, lee, anna)
    return lee, anna, anna_id


async def test_a_long_message_arrives_whole_and_a_failed_one_tells_its_author(
    world: WorldFactory,
) -> None:
    w = await world()
    lee, anna, anna_id = await _linked(w)
    text = _paragraphs(4096)

    await open_card(lee, anna_id)
    await lee.press("💬 Message athlete")
    await lee.wait_reply()
    assert await say(lee, text) == "Sent to Anna."
    await w.deliver()
    received = [m.text or "" for m in anna.bot_messages if "Point" in (m.text or "")]
    assert len(received) >= 2
    assert all(utf16_len(part) <= TEXT_LIMIT for part in received)
    assert " ".join(" ".join(received).split()) == " ".join(f"Message from Lee:\n{text}".split())
    with session_scope(w.engine, read_only=True) as session:
        lee_id = session.exec(select(Person.id).where(Person.telegram_user_id == CLINICIAN)).one()
        rows = session.exec(
            select(Outbox).where(Outbox.chat_id == ANNA, col(Outbox.author_id) == lee_id)
        ).all()
    assert len(rows) == len(received) and {r.status for r in rows} == {"sent"}
    assert [e.athlete_id for e in audited(w, "message_athlete")] == [anna_id]

    # Telegram refuses the next one for good: Lee is told it did not arrive.
    await lee.press("💬 Message athlete")
    await lee.wait_reply()
    assert await say(lee, "See you Thursday.") == "Sent to Anna."
    w.sandbox.fail_next(
        "sendMessage", status=400, description="Bad Request: chat not found", chat_id=ANNA
    )
    await w.deliver()
    await w.deliver()
    assert "Your message to Anna could not be delivered" in (lee.last_bot_message.text or "")


async def test_long_notes_keep_the_card_working_and_can_be_read_whole(
    world: WorldFactory,
) -> None:
    w = await world()
    lee, _anna, anna_id = await _linked(w)
    notes = [_paragraphs(2100).replace("\n\n", " ") + f" End of note {n}." for n in (1, 2)]
    for note in notes:
        assert "Note added" in await say(lee, f"/note {anna_id} {note}")

    card = await open_card(lee, anna_id)
    assert utf16_len(card.text or "") <= TEXT_LIMIT
    assert f"/note {anna_id} shows the notes whole" in (card.text or "")
    assert "End of note" not in (card.text or "")  # shortened on the card

    await lee.send(f"/note {anna_id}")
    shown = " ".join(m.text or "" for m in await lee.wait_reply())
    assert "End of note 1." in shown and "End of note 2." in shown
    assert [e.detail.get("what") for e in audited(w, "view") if e.athlete_id == anna_id][-1] == (
        "notes"
    )
