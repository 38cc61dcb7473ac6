"""What the athlete sees when Telegram refuses part of the reply to a button press."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.store.models import QuestionnaireProgress
from tests.athlete.conftest import World


async def test_a_press_whose_answer_telegram_refuses_still_moves_to_the_next_question(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    question = alex.user.last_bot_message
    asked = question.text
    w.sandbox.fail_next(
        "answerCallbackQuery",
        status=400,
        description="Bad Request: query is too old and response timeout expired",
    )
    await alex.tap("None of these ✅", question)
    edited = alex.user.last_bot_message
    assert edited.message_id == question.message_id  # the pressed message shows the next step
    assert asked is not None and asked.startswith("(1/10)")
    # The echo is the answer in words: the button's own tick is not repeated after "✓".
    assert (edited.text or "").startswith("✓ Warning signs: None of these\n")
    assert "(2/10) Pain in the injured spot" in (edited.text or "")
    progress = w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.kind == "morning")
        ).one()
    )
    assert progress.answers == {"red_flags": []}


async def test_a_press_on_a_message_too_old_to_edit_sends_the_next_question_instead(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    question = alex.user.last_bot_message
    w.sandbox.fail_next(
        "editMessageText", status=400, description="Bad Request: message can't be edited"
    )
    replies = await alex.tap("None of these ✅", question)
    assert [m.message_id for m in replies] != [question.message_id]
    assert any("(2/10) Pain in the injured spot" in (m.text or "") for m in replies)
    assert alex.user.last_callback_answer is not None  # the press itself was answered
