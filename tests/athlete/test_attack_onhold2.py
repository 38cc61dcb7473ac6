"""Attack on what is put on hold when the athlete taps another command, through the real bot:
a /problem note typed and not sent yet, the pain question asked an hour after a session, and
yesterday's unfinished session report; and what the bot says next to a check-in on hold
(never "check in tomorrow" while today's check-in waits).

What must hold: an answer the athlete gave is never lost nor sent without their tap, and the
athlete always knows what became of it and how to carry on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.scheduling.registry import registry_of
from bot.scheduling.tick import Scheduler, run_tick
from bot.store.models import (
    Outbox,
    QuestionnaireProgress,
    ScheduledPrompt,
    SessionReportRecord,
)
from tests.athlete.conftest import CLINICIAN_ID, Phone, World

Factory = Callable[[], Awaitable[World]]
BERLIN = ZoneInfo("Europe/Berlin")
CHECKIN_ON_HOLD = (
    "Your morning check-in is on hold, with the answers you gave so far. "
    "Send /checkin to finish it."
)
NOTE_ON_HOLD = (
    "What you wrote about what is wrong has not been sent to anyone. It is kept: "
    "send /problem to carry on with it."
)
FOLLOWUP_ON_HOLD = (
    "The question about your pain after the session is on hold. Send /done to answer it."
)
FOLLOWUP = "About an hour has passed since your session"
NOTE = "my calf feels tight since this morning"


def _said(replies: list[Any]) -> list[str]:
    return [m.text or "" for m in replies]


def _latest(w: World, kind: str) -> QuestionnaireProgress:
    progress: QuestionnaireProgress = w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress)
            .where(QuestionnaireProgress.kind == kind)
            .order_by(col(QuestionnaireProgress.id).desc())
        ).first()
    )
    return progress


def _notes_to_clinician(w: World) -> list[Outbox]:
    rows: list[Outbox] = w.read(
        lambda s: list(
            s.exec(
                select(Outbox).where(Outbox.chat_id == CLINICIAN_ID, Outbox.kind == "athlete_note")
            )
        )
    )
    return rows


async def _half_checkin(alex: Phone) -> None:
    """Begin the check-in and answer its first three questions."""
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.tap("2")
    await alex.tap("3")


async def _rest_of_checkin(alex: Phone) -> list[Any]:
    for label in ("1", "8", "2", "2", "2", "2"):
        await alex.tap(label)
    return await alex.tap("7.5")


async def _report(alex: Phone, *, until_pain_1h: bool = False) -> list[Any]:
    """Answer the session report by buttons, skipping the pain an hour after (or stop just
    before that question)."""
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("1")
    await alex.tap("The injured spot")
    await alex.tap("No")
    await alex.tap("None of these ✅")
    for label in ("1", "No", "8", "4", "45"):
        replies = await alex.tap(label)
    if until_pain_1h:
        return replies
    await alex.tap("Skip")
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    return await alex.tap("No numbers today")


# --- 1. a /problem note typed and not sent -----------------------------------------------------


async def test_a_problem_note_not_sent_yet_is_kept_on_hold_and_sent_only_on_a_tap(
    world: Factory,
) -> None:
    """/problem, the note typed, then /checkin before tapping "Tell my clinician": the note
    is said not to be sent and kept (with /problem), said again after the check-in, and
    /problem carries on with it; it reaches the clinician only once the athlete taps."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/problem")
    replies = await alex.say(NOTE)
    assert "💬 Tell my clinician" in replies[-1].button_labels
    replies = await alex.say("/checkin")
    said = _said(replies)
    assert any(NOTE_ON_HOLD in t for t in said), said
    assert "None of these ✅" in replies[-1].button_labels  # the check-in is asked
    assert _latest(w, "problem").answers.get("note") == NOTE  # kept
    assert _notes_to_clinician(w) == []  # and not sent without the athlete's tap
    await alex.tap("None of these ✅")
    await alex.tap("0")
    await alex.tap("1")
    replies = await _rest_of_checkin(alex)
    assert NOTE_ON_HOLD in (replies[-1].text or ""), _said(replies)  # said again at the end
    replies = await alex.say("/problem")
    assert "💬 Tell my clinician" in replies[-1].button_labels, _said(replies)
    assert "What is wrong?" not in (replies[-1].text or "")  # not asked to type it again
    replies = await alex.tap("💬 Tell my clinician")
    assert "Sent to Dr Kim" in (replies[-1].text or ""), _said(replies)
    kim = w.sandbox.user(CLINICIAN_ID, "Kim")
    await w.deliver()
    assert any(NOTE in (m.text or "") for m in kim.bot_messages), kim.format_transcript()
    # Sent: nothing is on hold any more.
    replies = await alex.say("/settings")
    assert not any("has not been sent" in t for t in _said(replies)), _said(replies)


async def test_a_note_put_aside_and_an_old_button_says_where_it_is(world: Factory) -> None:
    """An old button of the note's offer, tapped once the note is on hold, says so (with
    /problem) instead of "expired", and sends nothing."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/problem")
    offer = (await alex.say(NOTE))[-1]
    await alex.say("/settings")
    await alex.user.press("💬 Tell my clinician", offer)
    await alex.user.wait_until(lambda _: alex.user.last_callback_answer is not None)
    answer = alex.user.last_callback_answer
    assert answer is not None and answer.text == NOTE_ON_HOLD, answer
    assert _notes_to_clinician(w) == []


# --- 2. "no warning signs" next to a check-in on hold --------------------------------------------


async def test_no_warning_signs_says_no_tomorrow_while_todays_check_in_is_on_hold(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    await alex.say("/problem")
    await alex.say("a bit tight after warming up")
    await alex.tap("🚩 Check for warning signs")
    replies = await alex.tap("None of these ✅")
    said = _said(replies)
    assert any("No warning signs" in t for t in said), said
    assert CHECKIN_ON_HOLD in said[-1], said
    assert not any("tomorrow" in t for t in said), said  # today's check-in waits
    # Without a check-in on hold the advice is unchanged.
    await alex.say("/checkin")
    await _rest_of_checkin(alex)
    await alex.say("/problem")
    await alex.say("a bit tight after warming up")
    await alex.tap("🚩 Check for warning signs")
    replies = await alex.tap("None of these ✅")
    assert "check in tomorrow morning" in (replies[-1].text or ""), _said(replies)


# --- 3. /done once the check-in is already on hold ----------------------------------------------


async def test_done_after_the_check_in_was_put_on_hold_says_so_and_no_tomorrow(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    await alex.say("/settings")  # puts the check-in on hold
    await alex.say("/cancel")
    replies = await alex.say("/done")
    said = _said(replies)
    assert not any("tomorrow" in t for t in said), said
    assert any(CHECKIN_ON_HOLD in t for t in said), said
    assert "All of it" in replies[-1].button_labels


# --- 4. the pain question an hour after a session -----------------------------------------------


async def _followup_asked(w: World, alex: Phone) -> Any:
    scheduler = Scheduler(
        engine=w.engine, clock=w.clock, senders=registry_of(w.running.application.bot_data)
    )
    w.clock.set(dt.datetime(2026, 3, 3, 17, 0, tzinfo=BERLIN))
    result = await _report(alex)
    assert "ask about the pain again" in (result[-1].text or ""), _said(result)
    w.clock.advance(dt.timedelta(minutes=61))
    before = len(alex.user.bot_messages)
    await run_tick(scheduler)
    await w.deliver()
    sent = alex.user.bot_messages[before:]
    asked = [m for m in sent if (m.text or "").startswith(FOLLOWUP)]
    assert asked, alex.user.format_transcript()
    return asked[-1]


def _report_of(w: World, day: dt.date) -> dict[str, Any]:
    row = w.read(
        lambda s: s.exec(
            select(SessionReportRecord).where(SessionReportRecord.local_date == day)
        ).one()
    )
    return dict(row.answers)


async def test_the_pain_question_interrupted_by_a_command_is_on_hold_and_done_asks_it(
    world: Factory,
) -> None:
    """The pain question an hour after the session, interrupted by /problem: said to be on
    hold (with /done), again after the /problem screen, its old buttons say so, and /done
    asks it again; the answer goes into the day's report."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    question = await _followup_asked(w, alex)
    replies = await alex.say("/problem")
    assert any(FOLLOWUP_ON_HOLD in t for t in _said(replies)), _said(replies)
    await alex.say("just a little sore")
    replies = await alex.tap("All fine, thanks")
    assert FOLLOWUP_ON_HOLD in (replies[-1].text or ""), _said(replies)
    await alex.user.press("5", question)
    await alex.user.wait_until(lambda _: alex.user.last_callback_answer is not None)
    answer = alex.user.last_callback_answer
    assert answer is not None and answer.text == FOLLOWUP_ON_HOLD, answer
    assert "pain_1h" not in _report_of(w, dt.date(2026, 3, 3))
    replies = await alex.say("/done")
    said = _said(replies)
    assert not any("already reported" in t for t in said), said
    assert (replies[-1].text or "").startswith(FOLLOWUP), said
    await alex.tap("3")
    assert _report_of(w, dt.date(2026, 3, 3))["pain_1h"] == 3
    prompts = w.read(
        lambda s: list(s.exec(select(ScheduledPrompt).where(ScheduledPrompt.kind == "followup")))
    )
    assert len(prompts) == 1  # asked again by /done, not planned twice
    replies = await alex.say("/done")
    assert "already reported" in (replies[-1].text or ""), _said(replies)


async def test_the_pain_question_is_not_on_hold_the_next_day(world: Factory) -> None:
    """Closed by the next morning's check-in it has expired, as before: the check-in
    measures how the leg took the session."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    await _followup_asked(w, alex)
    w.clock.set(dt.datetime(2026, 3, 4, 7, 35, tzinfo=BERLIN))
    replies = await alex.say("/checkin")
    assert not any(FOLLOWUP_ON_HOLD in t for t in _said(replies)), _said(replies)


# --- 5. yesterday's unfinished session report ----------------------------------------------------


async def test_yesterdays_unfinished_harmless_report_is_said_closed_and_kept(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 3, 19, 0, tzinfo=BERLIN))
    await _report(alex, until_pain_1h=True)
    answered = dict(_latest(w, "session").answers)
    assert answered.get("minutes") == 45
    w.clock.set(dt.datetime(2026, 3, 4, 8, 0, tzinfo=BERLIN))
    replies = await alex.say("/checkin")
    said = _said(replies)
    closed = next((t for t in said if "was not finished" in t), "")
    assert "session report of Tuesday 3 March was not finished, so it did not count" in closed
    assert "Your answers are saved" in closed, said
    assert "None of these ✅" in replies[-1].button_labels
    kept = _latest(w, "session")
    assert kept.status == "cancelled"
    kept_answers = {k: v for k, v in kept.answers.items() if k != "_closed_said"}
    assert kept_answers == answered  # nothing lost (marked as said, once)
    assert w.read(lambda s: list(s.exec(select(SessionReportRecord)))) == []


async def test_words_typed_while_a_note_is_on_hold_join_it(world: Factory) -> None:
    """New words typed outside any question while a note waits: one note carries both (the
    earlier first), and the clinician gets both only on the athlete's tap."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/problem")
    await alex.say(NOTE)
    await alex.say("/settings")
    await alex.say("/cancel")
    replies = await alex.say("and now it is a bit swollen too")
    assert "💬 Tell my clinician" in replies[-1].button_labels, _said(replies)
    assert _notes_to_clinician(w) == []
    await alex.tap("💬 Tell my clinician")
    kim = w.sandbox.user(CLINICIAN_ID, "Kim")
    await w.deliver()
    (note,) = [m.text or "" for m in kim.bot_messages if NOTE in (m.text or "")]
    assert note.index(NOTE) < note.index("and now it is a bit swollen too"), note


async def test_more_words_typed_at_the_notes_buttons_join_the_note(world: Factory) -> None:
    """/problem, the note, then more words typed instead of a tap: they join the note (no
    "use the buttons", no "send /problem now" while in /problem), the buttons come again,
    and the clinician gets both parts on the tap."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/problem")
    await alex.say(NOTE)
    replies = await alex.say("and it hurts going down stairs")
    said = _said(replies)
    assert "I added that to what you wrote." in said, said
    assert not any("buttons below" in t or "send /problem now" in t for t in said), said
    assert "💬 Tell my clinician" in replies[-1].button_labels
    assert _latest(w, "problem").answers.get("note") == (
        f"{NOTE}\n\nand it hurts going down stairs"
    )
    await alex.tap("💬 Tell my clinician")
    kim = w.sandbox.user(CLINICIAN_ID, "Kim")
    await w.deliver()
    sent = [m.text or "" for m in kim.bot_messages if NOTE in (m.text or "")]
    assert sent and "going down stairs" in sent[-1], kim.format_transcript()
