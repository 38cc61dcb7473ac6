"""/unlink: an athlete stops sharing their data with a clinician (consent withdrawn), through
the sandbox: what the athlete and the clinician read, the link gone, and no alert reaching
that clinician afterwards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import Session, select

from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import AuditLog, Outbox
from tests.athlete.conftest import CLINICIAN_ID, Phone, World

Factory = Callable[[], Awaitable[World]]
NUMBNESS = "▫️ Numbness, tingling or weakness in leg/foot"


async def _linked(w: World) -> Phone:
    w.sandbox.user(CLINICIAN_ID, "Kim")
    alex = w.phone(1001, "Alex")
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    return alex


def _linked_to(w: World, telegram_id: int) -> list[str]:
    def names(session: Session) -> list[str]:
        athlete = w.person(telegram_id)
        assert athlete is not None and athlete.id is not None
        return [c.display_name or "" for c in repo.clinicians_of(session, athlete_id=athlete.id)]

    return w.read(names)


def _to(w: World, chat_id: int) -> list[str]:
    rows = w.read(lambda s: s.exec(select(Outbox).where(Outbox.chat_id == chat_id)).all())
    return [r.text for r in rows]


async def test_unlink_stops_sharing_and_tells_both(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    before = len(_to(w, CLINICIAN_ID))
    asked = await alex.say("/unlink")
    assert "Stop sharing your data with Dr Kim?" in (asked[-1].text or "")
    replies = await alex.tap("Stop sharing")
    said = "\n".join(m.text or "" for m in replies)
    assert "Dr Kim no longer sees your data" in said
    assert "No clinician sees your data now" in said  # warning signs reach no one else
    assert _linked_to(w, 1001) == []
    assert w.read(lambda s: [a.action for a in s.exec(select(AuditLog)).all()]).count("unlink")
    notices = _to(w, CLINICIAN_ID)[before:]
    assert len(notices) == 1 and "Alex stopped sharing their data with you" in notices[0]
    # A warning sign afterwards stops training but reaches no card to the former clinician.
    await alex.say("/checkin")
    await alex.tap(NUMBNESS)
    stopped = await alex.tap("Done")
    assert "⛔" in (stopped[-1].text or "")  # training stops all the same
    assert _to(w, CLINICIAN_ID)[before:] == notices


async def test_a_card_held_back_by_telegram_never_reaches_a_clinician_unlinked_meanwhile(
    world: Factory,
) -> None:
    """An alert card Telegram refused for a while (flood control) waits in the outbox; if the
    athlete stops sharing with that clinician before it goes out, it never does."""
    w = await world()
    alex = await _linked(w)
    before = len(_to(w, CLINICIAN_ID))
    w.sandbox.fail_next("sendMessage", status=429, retry_after=60, chat_id=CLINICIAN_ID)
    await alex.say("/checkin")
    await alex.tap(NUMBNESS)
    await alex.tap("Done")
    await w.deliver()  # the card meets the 429 and waits for its retry
    kim = w.sandbox.user(CLINICIAN_ID, "Kim")
    assert not any("Alex" in (m.text or "") for m in kim.bot_messages)
    await alex.say("/unlink")
    await alex.tap("Stop sharing")
    w.clock.advance(dt.timedelta(minutes=5))
    await w.deliver()
    seen = [m.text or "" for m in kim.bot_messages]
    assert any("Alex stopped sharing their data with you" in t for t in seen)
    assert not any("numb" in t.lower() or "running stopped" in t.lower() for t in seen), seen
    assert len(_to(w, CLINICIAN_ID)[before:]) == 1  # the card was withdrawn, the notice kept


async def test_keep_sharing_changes_nothing(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    await alex.say("/unlink")
    replies = await alex.tap("Keep sharing")
    assert "Nothing changed" in (replies[-1].text or "")
    assert _linked_to(w, 1001) == ["Dr Kim"]


async def test_unlink_with_nobody_linked_says_so(world: Factory) -> None:
    w = await world()
    alex = w.phone(1002, "Sam")
    await alex.onboard()
    replies = await alex.say("/unlink")
    assert "No clinician sees your data" in (replies[-1].text or "")


async def test_with_two_clinicians_only_the_chosen_one_goes(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    with session_scope(w.engine) as session:
        lee = repo.create_person(
            session, role="clinician", telegram_user_id=5002, chat_id=5002,
            display_name="Dr Lee", now=w.clock.now(),
        )  # fmt: skip
        athlete = repo.get_person_by_telegram_id(session, telegram_user_id=1001)
        assert athlete is not None and athlete.id is not None and lee.id is not None
        repo.link_athlete(session, athlete_id=athlete.id, clinician_id=lee.id, now=w.clock.now())
    asked = await alex.say("/unlink")
    assert "Which clinician" in (asked[-1].text or "")
    await alex.tap("Dr Lee")
    replies = await alex.tap("Stop sharing")
    said = "\n".join(m.text or "" for m in replies)
    assert "Dr Lee no longer sees your data" in said
    assert "No clinician sees your data now" not in said
    assert _linked_to(w, 1001) == ["Dr Kim"]
