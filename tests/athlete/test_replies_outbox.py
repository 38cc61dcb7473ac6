"""Replies go through the outbox: a reply Telegram refuses for a moment is sent again, never
followed by "please try again", and an answer typed before its question was seen is never
stored against that question (issue 13)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.sandbox import TranscriptMessage
from bot.services import texts
from bot.services.athlete.keyboards import unpack
from bot.services.questionnaires.morning import MORNING
from bot.store.db import session_scope
from bot.store.models import InboxUpdate, Outbox, QuestionnaireProgress
from bot.store.repo.inbox import store_update
from tests.athlete.conftest import World
from tests.support.telegram import RunningBot

SOMETHING_WENT_WRONG = "Something went wrong"


async def _open_checkin(w: World) -> None:
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")


def _answers(w: World) -> dict[str, object]:
    def read(s: object) -> dict[str, object]:
        progress = s.exec(  # type: ignore[attr-defined]
            select(QuestionnaireProgress).where(QuestionnaireProgress.kind == "morning")
        ).one()
        return dict(progress.answers)

    answers: dict[str, object] = w.read(read)
    return answers


async def test_a_reply_refused_by_telegram_is_sent_again_and_the_answer_kept(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    await _open_checkin(w)
    alex = w.phone(1001)
    # Pain at rest 0: stored, but the next question's message meets a 502.
    w.sandbox.fail_next("sendMessage", status=502, chat_id=1001)
    await alex.user.send("0")
    await alex.user.expect_no_reply()
    await _idle(w.running)
    assert _answers(w)["pain_rest"] == 0
    assert all(SOMETHING_WENT_WRONG not in (m.text or "") for m in alex.user.transcript)

    # The athlete, seeing nothing, types 0 again: it answered the earlier question, so it
    # is not stored as the test pain.
    await alex.user.send("0")
    await alex.user.expect_no_reply()  # its note waits behind the question, in order
    await _idle(w.running)
    assert "pain_test" not in _answers(w)

    # The outbox sender's retry delivers the question, then the note about the early answer.
    w.clock.advance(dt.timedelta(seconds=5))
    assert await w.deliver() == 2
    question, note = [m for m in alex.user.transcript if m.sender == "bot"][-2:]
    assert _step_of(question) == MORNING.index_of("pain_test")  # the test pain question
    assert note.text == str(texts.TYPED_BEFORE_QUESTION_COMING)
    await alex.say("1")
    answers = _answers(w)
    assert answers["pain_rest"] == 0 and answers["pain_test"] == 1
    assert all(SOMETHING_WENT_WRONG not in (m.text or "") for m in alex.user.transcript)


async def test_two_answers_typed_back_to_back_are_never_swapped(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    await _open_checkin(w)
    alex = w.phone(1001)
    await alex.user.send("0")
    await alex.user.send("1")  # before the next question could be seen
    await alex.user.wait_until(
        lambda ms: any(m.text == str(texts.TYPED_BEFORE_QUESTION_ABOVE) for m in ms)
    )
    answers = _answers(w)
    assert answers["pain_rest"] == 0 and "pain_test" not in answers
    await alex.say("1")  # now typed after seeing the question
    answers = _answers(w)
    assert answers["pain_rest"] == 0 and answers["pain_test"] == 1


async def test_every_reply_is_recorded_with_the_message_it_became(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    await _open_checkin(w)
    await w.phone(1001).say("0")
    await _idle(w.running)

    def rows(s: object) -> list[tuple[str, str, int | None]]:
        outbox = s.exec(select(Outbox).where(Outbox.chat_id == 1001))  # type: ignore[attr-defined]
        return [(o.status, o.method, o.telegram_message_id) for o in outbox]

    recorded = w.read(rows)
    assert recorded and all(status == "sent" and mid for status, _, mid in recorded)
    shown = w.sandbox.transcript(1001)[-1].message_id
    progress = w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.status == "open")
        ).one()
    )
    assert (progress.shown_step, progress.message_id) == (MORNING.index_of("pain_test"), shown)
    updates = w.read(lambda s: s.exec(select(InboxUpdate.status)).all())
    assert set(updates) == {"done"}


async def test_an_update_stored_by_a_process_that_died_is_handled_after_a_restart(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    await _open_checkin(w)
    alex = w.phone(1001)
    # A process stored the athlete's answer (acknowledging it to Telegram), then died.
    dead = w.clock.now() - dt.timedelta(minutes=1)
    message = {
        "message_id": 999,
        "date": int(w.clock.now().timestamp()),
        "chat": {"id": 1001, "type": "private", "first_name": "Alex"},
        "from": {"id": 1001, "is_bot": False, "first_name": "Alex"},
        "text": "0",
    }
    with session_scope(w.engine) as s:
        store_update(
            s,
            update_id=5_000_000,
            chat_id=1001,
            payload=json.dumps({"update_id": 5_000_000, "message": message}),
            worker="dead-process",
            now=dead,
            lease=dt.timedelta(seconds=10),
        )
    inbox = w.running.application.bot_data["sprintback.inbox"]
    assert await inbox.maintain() == 1  # its lease has run out: this process takes it over
    await alex.user.wait_until(lambda ms: len(ms) >= 1, timeout=10)
    await _idle(w.running)  # its replies recorded, and it marked done with them
    assert _answers(w)["pain_rest"] == 0
    state = w.read(
        lambda s: s.exec(select(InboxUpdate.status).where(InboxUpdate.update_id == 5_000_000)).one()
    )
    assert state == "done"


async def _idle(bot: RunningBot) -> None:
    await bot.application.update_processor.idle()  # type: ignore[attr-defined]


def _step_of(message: TranscriptMessage) -> int | None:
    for row in message.inline_keyboard:
        for button in row:
            pressed = unpack(button.get("callback_data"))
            if pressed is not None:
                return pressed.step
    return None
