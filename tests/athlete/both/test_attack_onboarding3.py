"""/start sent twice before the welcome arrived (a double tap on START, two in the same
second): one welcome, one first question, one sign-up. On SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import func, select

from bot.sandbox import TranscriptMessage
from bot.store.models import Person, QuestionnaireProgress
from tests.athlete.conftest import Phone, World

WorldFactory = Callable[[], Awaitable[World]]
WELCOME = "Hi, I'm Sprintback"
CONSENT = "Do you agree that Sprintback stores this health data?"


def _count(messages: list[TranscriptMessage], words: str) -> int:
    return sum(words in (m.text or "") for m in messages)


async def _start_twice(sam: Phone, text: str = "/start") -> None:
    """Send ``text`` twice back to back, as a double tap does, and let the bot answer both."""
    await sam.user.send(text)
    await sam.user.send(text)
    await sam.user.wait_until(lambda _: True)  # both processed
    await sam.user.wait_until(lambda _: _count(sam.user.bot_messages, CONSENT) >= 1)


def _stored(w: World, telegram_id: int) -> tuple[int, int]:
    """How many people and onboarding questionnaires are stored for ``telegram_id``."""

    def read(session):  # type: ignore[no-untyped-def]
        people = session.exec(
            select(func.count()).select_from(Person).where(Person.telegram_user_id == telegram_id)
        ).one()
        person = session.exec(select(Person).where(Person.telegram_user_id == telegram_id)).first()
        forms = session.exec(
            select(func.count())
            .select_from(QuestionnaireProgress)
            .where(QuestionnaireProgress.athlete_id == (person.id if person else -1))
        ).one()
        return people, forms

    counts: tuple[int, int] = w.read(read)
    return counts


async def test_two_starts_back_to_back_welcome_once_and_sign_up_once(
    world: WorldFactory,
) -> None:
    """The second /start repeated the whole welcome and the consent question under the
    first: two of each on a phone screen. Now the first answers both; the sign-up is one
    and goes on from its first question."""
    w = await world()
    sam = w.phone(3301, "Sam")
    await _start_twice(sam)
    messages = sam.user.bot_messages
    assert _count(messages, WELCOME) == 1, sam.user.format_transcript()
    assert _count(messages, CONSENT) == 1, sam.user.format_transcript()
    assert _stored(w, 3301) == (1, 1)
    replies = await sam.tap("I agree")
    assert "Which muscle group is injured?" in (replies[-1].text or ""), sam.last


async def test_two_starts_with_a_clinicians_link_name_them_once(world: WorldFactory) -> None:
    """Through Dr Kim's link: the clinician is named once, and linked at the end."""
    w = await world()
    code = w.clinician_invite("Dr Kim")
    sam = w.phone(3302, "Sam")
    await _start_twice(sam, f"/start {code}")
    messages = sam.user.bot_messages
    assert _count(messages, WELCOME) == 1, sam.user.format_transcript()
    assert _count(messages, "Dr Kim's link") == 1, sam.user.format_transcript()
    assert _count(messages, CONSENT) == 1, sam.user.format_transcript()
    assert _stored(w, 3302) == (1, 1)


async def test_start_after_the_welcome_was_read_still_shows_where_we_are(
    world: WorldFactory,
) -> None:
    """Only a /start sent before the welcome arrived is a repeat: one sent once it is on
    screen is answered, with the open question."""
    w = await world()
    sam = w.phone(3303, "Sam")
    await sam.say("/start")
    replies = await sam.say("/start")
    assert CONSENT in (replies[-1].text or ""), sam.user.format_transcript()
    assert _stored(w, 3303) == (1, 1)
