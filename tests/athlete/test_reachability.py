"""An athlete who blocks the bot is reported to their clinician; one who comes back is too.

Everything goes through the real Application on the Bot API sandbox: the athlete blocks and
unblocks the bot from their phone, the outbox sender meets Telegram's 403, and the clinician
reads their chat and /athletes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.sandbox import SimUser
from bot.services.clinician.view import UNREACHABLE_MARK
from bot.store.db import session_scope
from bot.store.repo.messaging import enqueue_message
from bot.store.repo.people import update_person
from tests.athlete.conftest import CLINICIAN_ID, Phone, World

JO = 4101


async def _linked_athlete(world: Callable[[], Awaitable[World]]) -> tuple[World, Phone, SimUser]:
    w = await world()
    doctor = w.sandbox.user(CLINICIAN_ID, "Kim")
    jo = w.phone(JO, "Jo")
    await jo.onboard(code=w.clinician_invite())
    await w.deliver()
    return w, jo, doctor


def _send_to(w: World, telegram_id: int, text: str) -> None:
    """Queue a message to the athlete, as a scheduled prompt would."""
    person = w.person(telegram_id)
    assert person is not None and person.id is not None
    with session_scope(w.engine) as session:
        enqueue_message(
            session,
            chat_id=telegram_id,
            text=text,
            kind="prompt_morning",
            now=w.clock.now(),
            person_id=person.id,
            athlete_id=person.id,
        )


def _unreachable(w: World, telegram_id: int) -> bool:
    person = w.person(telegram_id)
    assert person is not None
    return person.unreachable


async def _overview(doctor: SimUser) -> str:
    await doctor.send("/athletes")
    return "\n".join(m.text or "" for m in await doctor.wait_reply())


def _told(doctor: SimUser, words: str) -> int:
    return sum(words in (m.text or "") for m in doctor.bot_messages)


async def test_blocking_unblocking_and_blocking_again_each_reach_the_clinician(
    world: Callable[[], Awaitable[World]],
) -> None:
    w, jo, doctor = await _linked_athlete(world)
    assert UNREACHABLE_MARK not in await _overview(doctor)

    await jo.user.block_bot()
    await jo.user.expect_no_reply()
    _send_to(w, JO, "Good morning! Time for your check-in.")
    await w.deliver()
    assert _unreachable(w, JO)
    assert _told(doctor, "Jo can no longer be reached on Telegram") == 1
    assert UNREACHABLE_MARK in await _overview(doctor)

    await jo.user.unblock_bot()
    await jo.user.expect_no_reply()
    await w.deliver()
    assert not _unreachable(w, JO)
    assert _told(doctor, "Jo can be reached on Telegram again") == 1
    assert UNREACHABLE_MARK not in await _overview(doctor)

    # A second block is news again: the clinician is told a second time.
    await jo.user.block_bot()
    await jo.user.expect_no_reply()
    _send_to(w, JO, "Reminder: your check-in is still open.")
    await w.deliver()
    assert _told(doctor, "Jo can no longer be reached on Telegram") == 2


async def test_an_athlete_marked_unreachable_who_writes_is_reachable_again(
    world: Callable[[], Awaitable[World]],
) -> None:
    w, jo, doctor = await _linked_athlete(world)
    person = w.person(JO)
    assert person is not None and person.id is not None
    with session_scope(w.engine) as session:  # the unblock update never arrived
        update_person(session, person_id=person.id, unreachable=True)

    assert "Stage" in "\n".join(m.text or "" for m in await jo.say("/status"))
    await w.deliver()
    assert not _unreachable(w, JO)
    assert _told(doctor, "Jo can be reached on Telegram again") == 1
    # An athlete who was never marked does not trigger the note.
    await jo.say("/status")
    await w.deliver()
    assert _told(doctor, "Jo can be reached on Telegram again") == 1
