"""Attack on the athlete's chat, through the real bot: a tired athlete on a phone who edits a
typed answer, forwards a message, pastes a paragraph, or checks /status in the middle of the
check-in. Each gets a clear answer naming what was wrong, and no answer is lost or misplaced."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import select

from bot.handlers.dispatch import ALLOWED_UPDATES
from bot.store.models import MorningCheckinRecord, QuestionnaireProgress
from tests.athlete.conftest import Phone, World

EDIT_NOTE = "I don't read edited messages, so that change was not saved"


def _morning(w: World) -> dict[str, Any]:
    answers: dict[str, Any] = w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.kind == "morning")
        ).one()
    ).answers
    return answers


async def _pushed(alex: Phone, kind: str, payload: dict[str, Any]) -> list[Any]:
    """Push a raw update (an edit or a forward, which the sandbox's user cannot send) and
    return the bot's answer."""
    alex.user._begin(f"sent an {kind}")  # the transcript starts a new action here
    alex.user._last_update_id = alex.world.sandbox.push_update(kind, payload)
    return await alex.user.wait_reply()


async def test_an_edited_answer_is_refused_out_loud_and_the_first_answer_stands(
    world: Callable[[], Awaitable[World]],
) -> None:
    assert "edited_message" in ALLOWED_UPDATES  # else Telegram never tells the bot
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    sent = await alex.user.send("3")
    await alex.user.wait_reply()
    question = alex.last
    edit = dict(sent.raw) | {"text": "5", "edit_date": sent.raw["date"] + 5}
    replies = await _pushed(alex, "edited_message", edit)
    assert EDIT_NOTE in (replies[0].text or "") and "◀ Back" in (replies[0].text or "")
    assert replies[-1].text == question and replies[-1].buttons  # the open question again
    assert _morning(w) == {"red_flags": [], "pain_rest": 3}
    # An edited command runs nothing again (command handlers take edits too).
    command = await alex.user.send("/history")
    await alex.user.wait_reply()
    edit = dict(command.raw) | {"text": "/checkin", "edit_date": command.raw["date"] + 5}
    replies = await _pushed(alex, "edited_message", edit)
    assert EDIT_NOTE in (replies[0].text or "")
    assert _morning(w) == {"red_flags": [], "pain_rest": 3}
    # The answer goes on where it was.
    await alex.tap("1")
    assert _morning(w) == {"red_flags": [], "pain_rest": 3, "pain_test": 1}


async def test_a_forwarded_message_is_no_answer(world: Callable[[], Awaitable[World]]) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    question = alex.last.split("\n\n", 1)[1]
    sent = await alex.user.send("/history")
    await alex.user.wait_reply()
    forward = {
        "message_id": sent.message_id + 1,
        "date": sent.raw["date"] + 1,
        "chat": sent.raw["chat"],
        "from": sent.raw["from"],
        "text": "0",
        "forward_origin": {"type": "hidden_user", "sender_user_name": "Coach", "date": 1},
    }
    replies = await _pushed(alex, "message", forward)
    assert "forwarded message" in (replies[0].text or ""), replies[0].text
    assert replies[-1].text == question and replies[-1].buttons
    assert _morning(w) == {"red_flags": []}


async def test_a_pasted_paragraph_on_a_scale_is_told_what_the_question_expects(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    replies = await alex.say("my leg " * 60)
    said = replies[0].text or ""
    assert "number from 0 to 10" in said and "characters" not in said, said
    assert _morning(w) == {"red_flags": []}


async def test_status_in_the_middle_of_the_check_in_asks_the_open_question_again(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    for command in ("/status", "/plan", "/help", "/start"):
        replies = await alex.say(command)
        assert replies[-1].buttons and "(2/10)" in (replies[-1].text or ""), command
    await alex.tap("2")  # on the question asked again, at the bottom of the screen
    assert _morning(w) == {"red_flags": [], "pain_rest": 2}


async def test_the_athlete_reads_top_speed_never_vmax(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.say("/start")
    await alex.tap("I agree")
    for label in ("Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await alex.tap(label)
    await alex.tap("Sprinting / running fast")
    await alex.tap("Rugby")
    assert "top speed" in alex.last and "vmax" not in alex.last.lower(), alex.last
    await alex.say("speed 9.1 10m 1.78")  # the example's own words are understood
    onboarding = w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.kind == "onboarding")
        ).one()
    )
    assert onboarding.answers["baseline"] == {"vmax_ms": 9.1, "split_10m_s": 1.78}
    await alex.tap("Europe")
    await alex.tap("Berlin")
    await alex.tap("07:30")
    await alex.tap("✅ Confirm")
    replies = await alex.say("/baseline")
    assert "e.g. 'speed 9.1" in (replies[-1].text or ""), replies[-1].text


async def test_odd_numbers_at_the_hours_slept(world: Callable[[], Awaitable[World]]) -> None:
    """Junk, units that do not fit and numbers that are no amount at a typed number: each is
    refused naming what is expected, and nothing is stored; then a decimal comma reads."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    for _ in range(8):
        await alex.tap("2")
    assert "How many hours" in alex.last
    for bad in ("nan", "1e309", "9.1m/s", "32 km/h", "8 min", "x" * 400):
        replies = await alex.say(bad)
        said = replies[0].text or ""
        assert "hours" in said.lower() or "unit" in said or "between" in said, (bad, said)
        assert replies[-1].text and "How many hours" in replies[-1].text, bad
        assert "sleep_hours" not in _morning(w), bad
    replies = await alex.say("７,５ h")
    assert "Train" in (replies[0].text or "") or "Rest" in (replies[0].text or "")
    record = w.read(lambda s: s.exec(select(MorningCheckinRecord)).one())
    assert record.answers["sleep_hours"] == 7.5
