"""An onboarding stopped with /cancel resumes on a later day with every answer and the
invitation it was started with; an invitation that lapsed meanwhile is said plainly. On SQLite
and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.store.db import session_scope
from bot.store.models import Consent, Invite, QuestionnaireProgress
from bot.store.repo import clinicians_of, latest_injury
from tests.athlete.conftest import Phone, World

WorldFactory = Callable[[], Awaitable[World]]


def _text(replies: list) -> str:  # type: ignore[type-arg]
    return "\n".join(m.text or "" for m in replies)


async def _invited_and_stopped(w: World, code: str) -> Phone:
    """Sam opens Dr Kim's link, agrees to both consents, answers three questions and stops."""
    sam = w.phone(1002, "Sam")
    replies = await sam.say(f"/start {code}")
    assert "Dr Kim" in _text(replies)
    await sam.tap("I agree")
    await sam.tap("I agree")  # to share with Dr Kim
    for label in ("Calf", "Don't know", "Right"):
        await sam.tap(label)
    replies = await sam.say("/cancel")
    assert "I kept the answers you gave" in _text(replies)
    return sam


async def _finish(sam: Phone) -> str:
    """Answer the rest of onboarding from the grade question; return what the end says."""
    for label in ("2", "Yesterday", "Sprinting / running fast", "Rugby", "Skip"):
        await sam.tap(label)
    for label in ("Europe", "Berlin", "07:30"):
        await sam.tap(label)
    return _text(await sam.tap("✅ Confirm"))


def _athlete_id(w: World, telegram_id: int) -> int:
    person = w.person(telegram_id)
    assert person is not None and person.id is not None
    return person.id


def _linked(w: World, telegram_id: int) -> list[str | None]:
    athlete_id = _athlete_id(w, telegram_id)
    names: list[str | None] = w.read(
        lambda s: [c.display_name for c in clinicians_of(s, athlete_id=athlete_id)]
    )
    return names


def _consents(w: World, telegram_id: int) -> list[str]:
    athlete_id = _athlete_id(w, telegram_id)
    kinds: list[str] = w.read(
        lambda s: sorted(
            c.kind for c in s.exec(select(Consent).where(Consent.person_id == athlete_id))
        )
    )
    return kinds


async def test_an_onboarding_stopped_yesterday_resumes_with_its_answers_and_invitation(
    world: WorldFactory,
) -> None:
    """Sam stopped onboarding; the next day /start began again at the consent, every answer
    gone, and finishing left Sam unlinked from Dr Kim who invited them."""
    w = await world()
    code = w.clinician_invite("Dr Kim")
    sam = await _invited_and_stopped(w, code)
    w.clock.advance(dt.timedelta(days=1))
    replies = await sam.say("/start")
    said = _text(replies)
    assert "First, your consent" not in said, sam.user.format_transcript()
    assert "Which grade" in (replies[-1].text or ""), sam.user.format_transcript()
    done = await _finish(sam)
    assert "linked with Dr Kim" in done, sam.user.format_transcript()
    assert _linked(w, 1002) == ["Dr Kim"]
    athlete_id = _athlete_id(w, 1002)
    injury = w.read(lambda s: latest_injury(s, athlete_id=athlete_id))
    assert (injury.injury, injury.side, injury.grade) == ("calf", "right", 2)


async def test_an_onboarding_closed_before_this_fix_is_carried_on(world: WorldFactory) -> None:
    """One cancelled by the old rule (answers and invitation in a cancelled row) is reopened
    by /start, said so, rather than begun again without the invitation."""
    w = await world()
    code = w.clinician_invite("Dr Kim")
    sam = await _invited_and_stopped(w, code)
    with session_scope(w.engine) as session:
        progress = session.exec(select(QuestionnaireProgress)).one()
        progress.status = "cancelled"
        session.add(progress)
    w.clock.advance(dt.timedelta(days=1))
    replies = await sam.say("/start")
    assert "I kept the answers you gave before you stopped" in _text(replies)
    assert "Which grade" in (replies[-1].text or ""), sam.user.format_transcript()
    await _finish(sam)
    assert _linked(w, 1002) == ["Dr Kim"]


async def test_an_invitation_that_expired_during_onboarding_is_said_plainly(
    world: WorldFactory,
) -> None:
    """The invitation lapsed before Sam finished: Sam was told nothing, read "Ask them for a
    Sprintback invitation link", and a consent to share was recorded with nobody linked."""
    w = await world()
    code = w.clinician_invite("Dr Kim")
    sam = await _invited_and_stopped(w, code)
    w.clock.advance(dt.timedelta(days=8))  # the invitation lived 7 days
    await sam.say("/start")
    done = await _finish(sam)
    assert "invitation from Dr Kim has expired" in done, done
    assert "/link" in done and "Ask them for a Sprintback invitation link" not in done, done
    assert _linked(w, 1002) == []
    assert _consents(w, 1002) == ["store_health_data"]


async def test_an_invitation_used_by_someone_else_during_onboarding_is_said_plainly(
    world: WorldFactory,
) -> None:
    w = await world()
    code = w.clinician_invite("Dr Kim")
    sam = await _invited_and_stopped(w, code)
    with session_scope(w.engine) as session:
        invite = session.exec(select(Invite).where(Invite.code == code)).one()
        invite.used_at = w.clock.now()
        session.add(invite)
    await sam.say("/start")
    done = await _finish(sam)
    assert "invitation from Dr Kim was already used" in done, done
    assert _linked(w, 1002) == []
    assert _consents(w, 1002) == ["store_health_data"]


async def test_a_kept_invitation_links_and_records_the_share_consent(
    world: WorldFactory,
) -> None:
    w = await world()
    code = w.clinician_invite("Dr Kim")
    sam = await _invited_and_stopped(w, code)
    await sam.say("/start")
    await _finish(sam)
    assert _linked(w, 1002) == ["Dr Kim"]
    assert _consents(w, 1002) == ["share_with_clinician", "store_health_data"]
