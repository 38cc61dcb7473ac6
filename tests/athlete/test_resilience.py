"""Restarts, stale buttons, bad input of every kind and redelivered updates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import select
from telegram import Update

from bot.store.models import MorningCheckinRecord, QuestionnaireProgress
from tests.athlete.conftest import World


def _morning_progress(w: World) -> QuestionnaireProgress:
    return w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.kind == "morning")
        ).one()
    )


async def test_buttons_of_an_old_message_expire_and_change_nothing(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    scale = alex.user.last_bot_message
    await alex.say("3")  # answered by typing: the buttons above are now out of date
    before = _morning_progress(w).answers
    await alex.user.press("7", scale)
    await alex.user.wait_until(lambda _: alex.user.last_callback_answer is not None)
    answer = alex.user.last_callback_answer
    # Answered by typing: the typed answer stands, and the tap is told which it was.
    assert (
        answer is not None and answer.text == "You already answered this (3): your answer is kept."
    )
    assert _morning_progress(w).answers == before == {"red_flags": [], "pain_rest": 3}
    await alex.say("/cancel")
    await alex.say("/checkin")
    for value in ("1", "1", "8", "2", "2", "2", "2"):
        await alex.tap(value)
    await alex.say("8")
    stored = w.read(lambda s: s.exec(select(MorningCheckinRecord)).one()).answers
    await alex.user.press("0", scale)  # a finished questionnaire's buttons change nothing
    await alex.user.wait_until(lambda _: alex.user.last_callback_answer is not None)
    said = alex.user.last_callback_answer
    assert said is not None and said.text == "You already answered this (3): your answer is kept."
    assert w.read(lambda s: s.exec(select(MorningCheckinRecord)).one()).answers == stored


async def test_every_kind_of_bad_input_gets_a_correction_and_the_same_question(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    question = alex.last.split("\n\n", 1)[1]  # without the echo of the previous answer
    cases = [
        ("11", "between 0 and 10"),  # out of range
        ("it hurts a bit", "0 to 10"),  # free text where a button is expected
        ("/dance", "don't know that command"),
    ]
    for text, expected in cases:
        replies = await alex.say(text)
        assert expected in (replies[0].text or ""), text
        assert replies[-1].text == question and replies[-1].buttons, text
    for send in (alex.user.send_sticker, alex.user.send_photo):
        await send()
        replies = await alex.user.wait_reply()
        assert "only read text and buttons" in (replies[0].text or "")
        assert replies[-1].text == question
    await alex.user.send_location(52.5, 13.4)  # not a time-zone question
    replies = await alex.user.wait_reply()
    assert replies[-1].text == question
    assert _morning_progress(w).answers == {"red_flags": []}
    replies = await alex.say("/cancel")
    replies = await alex.say("hello?")
    # Issue 15: a message outside a questionnaire is never brushed off.
    offer = replies[0].text or ""
    assert "check your leg for warning signs" in offer and "🚩 Check for warning signs" in (
        replies[0].button_labels
    )


async def test_a_redelivered_update_is_handled_once(world: Callable[[], Awaitable[World]]) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    sent = await alex.user.send("3")
    await alex.user.wait_reply()
    app = w.running.application
    raw = {"update_id": alex.user._last_update_id, "message": dict(sent.raw)}
    await app.process_update(Update.de_json(raw, app.bot))
    assert _morning_progress(w).answers == {"red_flags": [], "pain_rest": 3}
    assert len([m for m in alex.user.bot_messages if "(3/10)" in (m.text or "")]) == 1
