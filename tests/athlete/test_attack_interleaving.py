"""Attack on how the athlete's questionnaires interleave, through the real bot: a tired athlete
on a phone who taps another command half-way through a check-in or a session report (the
evening "last call", /done, /checkin, /problem, /settings, /timezone, /language, /pause,
/delete), finishes one after midnight, taps the last answer twice, or presses an old button.

What must hold: an answer given is never lost, the athlete always knows what became of what
they were doing (a questionnaire put aside is said to be on hold, with the command that
finishes it, and said again once the other one is finished), and a warning sign wins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.scheduling.registry import registry_of
from bot.scheduling.tick import Scheduler, run_tick
from bot.store.db import session_scope
from bot.store.models import (
    MorningCheckinRecord,
    Person,
    QuestionnaireProgress,
    SessionReportRecord,
)
from tests.athlete.conftest import Phone, World

Factory = Callable[[], Awaitable[World]]
BERLIN = ZoneInfo("Europe/Berlin")
CHECKIN_ON_HOLD = (
    "Your morning check-in is on hold, with the answers you gave so far. "
    "Send /checkin to finish it."
)
REPORT_ON_HOLD = (
    "Your session report is on hold, with the answers you gave so far. Send /done to finish it."
)
RESUMED = "I kept the answers you gave before you stopped"
EXPIRED = "This question has expired"
SWELLING = "▫️ New swelling at the injury"


def _latest(w: World, kind: str) -> QuestionnaireProgress:
    progress: QuestionnaireProgress = w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress)
            .where(QuestionnaireProgress.kind == kind)
            .order_by(col(QuestionnaireProgress.id).desc())
        ).first()
    )
    return progress


def _checkins(w: World) -> list[MorningCheckinRecord]:
    return list(w.read(lambda s: list(s.exec(select(MorningCheckinRecord)))))


def _reports(w: World) -> list[SessionReportRecord]:
    return list(w.read(lambda s: list(s.exec(select(SessionReportRecord)))))


def _said(replies: list[Any]) -> list[str]:
    return [m.text or "" for m in replies]


async def _half_checkin(alex: Phone) -> None:
    """Begin the check-in and answer its first three questions (pain at rest 2, test 3)."""
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.tap("2")
    await alex.tap("3")


HALF_CHECKIN = {"red_flags": [], "pain_rest": 2, "pain_test": 3}


async def _rest_of_checkin(alex: Phone) -> list[Any]:
    """Answer the check-in from its tightness question to the hours slept."""
    for label in ("1", "8", "2", "2", "2", "2"):
        await alex.tap(label)
    return await alex.tap("7.5")


async def _half_report(alex: Phone) -> None:
    """Begin the session report and answer its first four questions."""
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("1")
    await alex.tap("The injured spot")
    await alex.tap("No")  # no sharp pain


async def _rest_of_report(alex: Phone) -> list[Any]:
    """Answer the session report from its warning-sign question to saving it."""
    await alex.tap("None of these ✅")
    for label in ("1", "No", "8", "4", "45", "Skip"):
        await alex.tap(label)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    return await alex.tap("No numbers today")


# --- one questionnaire in the middle of another ----------------------------------------------


async def test_checkin_after_the_evening_last_call_keeps_the_session_report_on_hold(
    world: Factory,
) -> None:
    """The evening "last call… send /checkin" arrives half-way through the session report;
    the athlete taps /checkin: the report is said to be on hold (with /done), the check-in is
    asked, its verdict is followed by the report still waiting, and /done finishes the report
    with the answers given before."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    with session_scope(w.engine) as session:  # an evening check-in: the last call at 21:00
        person = session.exec(select(Person).where(Person.telegram_user_id == 1001)).one()
        person.checkin_time = "17:00"
        session.add(person)
    scheduler = Scheduler(
        engine=w.engine, clock=w.clock, senders=registry_of(w.running.application.bot_data)
    )
    await run_tick(scheduler)  # plans 3 March
    for hour, minute in ((17, 0), (17, 45), (18, 0)):  # check-in, reminder, post-session
        w.clock.set(dt.datetime(2026, 3, 3, hour, minute, 30, tzinfo=BERLIN))
        await run_tick(scheduler)
        await w.deliver()
    # No check-in; trained anyway, and reports at 20:50.
    w.clock.set(dt.datetime(2026, 3, 3, 20, 50, tzinfo=BERLIN))
    await _half_report(alex)
    answered = dict(_latest(w, "session").answers)
    assert answered, alex.user.format_transcript()
    w.clock.set(dt.datetime(2026, 3, 3, 21, 0, 30, tzinfo=BERLIN))
    await run_tick(scheduler)
    await w.deliver()
    assert "Last call" in alex.last, alex.user.format_transcript()
    replies = await alex.say("/checkin")
    said = _said(replies)
    assert any(REPORT_ON_HOLD in t for t in said), said
    assert replies[-1].buttons and "None of these ✅" in replies[-1].button_labels
    on_hold = _latest(w, "session")
    assert on_hold.status == "cancelled" and on_hold.answers == answered  # nothing lost
    await alex.tap("None of these ✅")
    await alex.tap("0")
    await alex.tap("1")
    replies = await _rest_of_checkin(alex)
    assert REPORT_ON_HOLD in (replies[-1].text or ""), _said(replies)  # said again at the end
    assert [c.local_date for c in _checkins(w)] == [dt.date(2026, 3, 3)]
    replies = await alex.say("/done")
    assert RESUMED in (replies[-1].text or ""), _said(replies)
    await _rest_of_report(alex)
    (report,) = _reports(w)
    assert report.local_date == dt.date(2026, 3, 3)
    assert {k: report.answers.get(k) for k in answered} == answered


async def test_done_in_the_middle_of_the_check_in_keeps_it_on_hold(world: Factory) -> None:
    """/done half-way through the morning check-in: the check-in is on hold (said with
    /checkin, not "check in tomorrow"), said again after the report, and /checkin finishes it
    with its answers."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    replies = await alex.say("/done")
    said = _said(replies)
    assert any(CHECKIN_ON_HOLD in t for t in said), said
    assert not any("tomorrow" in t for t in said), said
    assert "All of it" in replies[-1].button_labels
    assert _latest(w, "morning").answers == HALF_CHECKIN
    await alex.tap("All of it")
    await alex.tap("1")
    await alex.tap("The injured spot")
    await alex.tap("No")
    replies = await _rest_of_report(alex)
    assert CHECKIN_ON_HOLD in (replies[-1].text or ""), _said(replies)
    replies = await alex.say("/checkin")
    assert RESUMED in (replies[-1].text or "") and "(4/10)" in (replies[-1].text or "")
    await _rest_of_checkin(alex)
    (checkin,) = _checkins(w)
    assert {k: checkin.answers[k] for k in HALF_CHECKIN} == HALF_CHECKIN
    assert [r.local_date for r in _reports(w)] == [dt.date(2026, 3, 3)]


async def test_a_warning_sign_in_the_middle_of_the_check_in_wins_and_keeps_its_answers(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    await alex.say("/problem")
    await alex.say("my hamstring is swollen")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap(SWELLING)
    replies = await alex.tap("Done")
    said = _said(replies)
    assert said[0].startswith("⛔") or any(t.startswith("⛔") for t in said), said
    assert not any("on hold" in t for t in said), said  # the check-in is recorded, not waiting
    (checkin,) = _checkins(w)
    assert checkin.answers["red_flags"] == ["swelling"]
    assert checkin.answers["pain_rest"] == 2 and checkin.answers["pain_test"] == 3
    replies = await alex.say("/checkin")
    assert "already checked in" in (replies[0].text or "")


async def test_a_warning_sign_in_the_middle_of_a_session_report_wins_and_the_report_waits(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 3, 18, 30, tzinfo=BERLIN))
    await _half_report(alex)
    answered = dict(_latest(w, "session").answers)
    replies = await alex.say("/problem")
    assert any(REPORT_ON_HOLD in t for t in _said(replies)), _said(replies)
    await alex.say("it swelled up after training")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap(SWELLING)
    replies = await alex.tap("Done")
    said = _said(replies)
    stop = next(i for i, t in enumerate(said) if "⛔" in t)
    hold = next(i for i, t in enumerate(said) if REPORT_ON_HOLD in t)
    assert stop < hold, said  # the warning sign first, then what waits
    assert _latest(w, "session").answers == answered
    replies = await alex.say("/done")
    assert RESUMED in (replies[-1].text or ""), _said(replies)
    await _rest_of_report(alex)
    (report,) = _reports(w)
    assert {k: report.answers.get(k) for k in answered} == answered


async def test_problem_all_fine_in_the_middle_of_the_check_in_says_the_check_in_waits(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    replies = await alex.say("/problem")
    assert any(CHECKIN_ON_HOLD in t for t in _said(replies)), _said(replies)
    await alex.say("a bit tight")
    replies = await alex.tap("All fine, thanks")
    assert CHECKIN_ON_HOLD in (replies[-1].text or ""), _said(replies)
    replies = await alex.say("/checkin")
    assert RESUMED in (replies[-1].text or "") and "(4/10)" in (replies[-1].text or "")
    await _rest_of_checkin(alex)
    (checkin,) = _checkins(w)
    assert {k: checkin.answers[k] for k in HALF_CHECKIN} == HALF_CHECKIN


async def test_settings_timezone_language_and_pause_in_the_middle_of_the_check_in(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    for command in ("/settings", "/timezone", "/language"):
        replies = await alex.say(command)
        assert any(CHECKIN_ON_HOLD in t for t in _said(replies)), (command, _said(replies))
        assert _latest(w, "morning").answers == HALF_CHECKIN, command
        replies = await alex.say("/checkin")  # back to it: nothing lost
        assert RESUMED in (replies[-1].text or "") and "(4/10)" in (replies[-1].text or "")
    await alex.say("/language")
    replies = await alex.tap("English")
    # Finished: the confirmation says again that the check-in waits, once.
    said = "\n".join(_said(replies))
    assert "Your check-in is on hold: send /checkin to finish it." in said, said
    assert CHECKIN_ON_HOLD not in said, said
    replies = await alex.say("/pause")
    assert not any(CHECKIN_ON_HOLD in t for t in _said(replies))  # nothing answered since
    await alex.say("/checkin")
    replies = await alex.say("/pause")
    assert any(CHECKIN_ON_HOLD in t for t in _said(replies)), _said(replies)
    replies = await alex.tap("Travelling")
    assert "Paused" in (replies[-1].text or "")  # paused: no check-in is asked for
    assert _latest(w, "morning").answers == HALF_CHECKIN
    await alex.say("/resume")
    replies = await alex.say("/checkin")
    assert RESUMED in (replies[-1].text or "") and "(4/10)" in (replies[-1].text or "")
    await _rest_of_checkin(alex)
    (checkin,) = _checkins(w)
    assert {k: checkin.answers[k] for k in HALF_CHECKIN} == HALF_CHECKIN


async def test_delete_started_and_cancelled_in_the_middle_of_the_check_in(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    replies = await alex.say("/delete")
    assert any(CHECKIN_ON_HOLD in t for t in _said(replies)), _said(replies)
    replies = await alex.tap("No, keep my data")
    said = _said(replies)
    assert "Nothing was deleted" in " ".join(said) and CHECKIN_ON_HOLD in said[-1], said
    replies = await alex.say("/checkin")
    assert RESUMED in (replies[-1].text or "") and "(4/10)" in (replies[-1].text or "")
    await _rest_of_checkin(alex)
    (checkin,) = _checkins(w)
    assert {k: checkin.answers[k] for k in HALF_CHECKIN} == HALF_CHECKIN


# --- across midnight ---------------------------------------------------------------------------


async def test_a_check_in_begun_before_midnight_and_finished_after_counts_for_its_day(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 23, 50, tzinfo=BERLIN))
    await _half_checkin(alex)
    w.clock.set(dt.datetime(2026, 3, 4, 0, 10, tzinfo=BERLIN))
    replies = await _rest_of_checkin(alex)
    said = _said(replies)
    assert not any("Something went wrong" in t or EXPIRED in t for t in said), said
    assert "counts for 3 March 2026, which has just ended" in said[-1], said
    (checkin,) = _checkins(w)
    assert checkin.local_date == dt.date(2026, 3, 3)
    assert {k: checkin.answers[k] for k in HALF_CHECKIN} == HALF_CHECKIN
    # 4 March's own check-in is still asked that morning.
    w.clock.set(dt.datetime(2026, 3, 4, 8, 0, tzinfo=BERLIN))
    replies = await alex.say("/checkin")
    assert "None of these ✅" in replies[-1].button_labels, _said(replies)


async def test_a_session_report_begun_one_day_and_finished_the_next_counts_for_its_day(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 3, 23, 45, tzinfo=BERLIN))
    await _half_report(alex)
    w.clock.set(dt.datetime(2026, 3, 4, 0, 20, tzinfo=BERLIN))
    replies = await _rest_of_report(alex)
    said = _said(replies)
    assert not any("Something went wrong" in t for t in said), said
    assert [r.local_date for r in _reports(w)] == [dt.date(2026, 3, 3)]


# --- double answers and old buttons ------------------------------------------------------------


async def test_the_last_answer_tapped_twice_is_saved_once_and_the_second_tap_says_so(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    for label in ("1", "8", "2", "2", "2", "2"):
        await alex.tap(label)
    question = alex.user.last_bot_message
    data = question.find_button("7.5")
    assert data is not None
    await alex.user.press_data(str(data["callback_data"]), question)
    await alex.user.press_data(str(data["callback_data"]), question)
    await alex.user.wait_reply()
    answer = alex.user.last_callback_answer
    assert answer is not None and answer.text is not None
    assert "already answered" in answer.text and "7.5" in answer.text, answer.text
    verdicts = [m for m in alex.user.bot_messages if "Train" in (m.text or "")]
    assert len(verdicts) == 1, alex.user.format_transcript()
    (checkin,) = _checkins(w)
    assert checkin.answers["sleep_hours"] == 7.5


async def test_the_last_answer_typed_and_tapped_at_once_is_saved_once(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    for label in ("1", "8", "2", "2", "2", "2"):
        await alex.tap(label)
    question = alex.user.last_bot_message
    await alex.user.send("8")
    await alex.user.press("7.5", question)
    await alex.user.wait_reply()
    transcript = alex.user.format_transcript()
    (checkin,) = _checkins(w)
    assert checkin.answers["sleep_hours"] in (7.5, 8.0), transcript
    answer = alex.user.last_callback_answer
    assert answer is not None and "already answered" in (answer.text or ""), transcript
    assert "Something went wrong" not in transcript


async def test_an_old_button_after_a_typed_answer_says_the_answer_is_kept(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await alex.say("/checkin")
    replies = await alex.tap("None of these ✅")
    question = replies[-1]
    assert "(2/10)" in (question.text or "")
    await alex.say("2")  # typed instead of tapped
    await alex.user.press("5", question)  # then the old button, still on screen
    await alex.user.wait_until(lambda _: alex.user.last_callback_answer is not None)
    answer = alex.user.last_callback_answer
    assert answer is not None and answer.text is not None
    assert "already answered" in answer.text and "2" in answer.text, answer.text
    assert EXPIRED not in answer.text
    assert _latest(w, "morning").answers == {"red_flags": [], "pain_rest": 2}


async def test_the_last_answer_tapped_then_typed_at_once_is_not_read_as_a_problem(
    world: Factory,
) -> None:
    """The tap saves the check-in; the same answer typed a moment before the verdict arrived
    is told it changed nothing (not asked "what is wrong?"); words sent that moment still
    reach the warning-sign check."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    for label in ("1", "8", "2", "2", "2", "2"):
        await alex.tap(label)
    question = alex.user.last_bot_message
    await alex.user.press("7.5", question)
    await alex.user.send("7.5")
    replies = await alex.user.wait_until(
        lambda messages: any("nothing changed" in (m.text or "") for m in messages)
    )
    said = _said(replies)
    assert said[-1] == (
        "That came in after your morning check-in was saved (Hours slept: 7.5), so nothing changed."
    ), said
    assert not any("warning signs" in t for t in said), said
    (checkin,) = _checkins(w)
    assert checkin.answers["sleep_hours"] == 7.5
    assert (
        w.read(
            lambda s: s.exec(
                select(QuestionnaireProgress).where(QuestionnaireProgress.kind == "problem")
            ).all()
        )
        == []
    )
    # Words sent at that moment are no answer to the hours slept: they are heard as ever.
    w.clock.set(dt.datetime(2026, 3, 4, 8, 0, tzinfo=BERLIN))
    await _half_checkin(alex)
    for label in ("1", "8", "2", "2", "2", "2"):
        await alex.tap(label)
    question = alex.user.last_bot_message
    await alex.user.press("7.5", question)
    await alex.user.send("my leg feels weird")
    replies = await alex.user.wait_until(
        lambda messages: any("warning signs" in (m.text or "") for m in messages)
    )
    assert "🚩 Check for warning signs" in replies[-1].button_labels, _said(replies)
