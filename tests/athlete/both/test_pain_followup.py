"""The pain follow-up, end to end on SQLite and on PostgreSQL: a session report that skips
"pain about an hour after" gets that one question again about an hour later (a scheduled
prompt, claimed by the tick and sent through the outbox); the answer goes into the day's
report and the day is decided again, so pain >= 4 steps back and reaches the clinician."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import Session, col, select

from bot.sandbox import TranscriptMessage
from bot.scheduling.registry import registry_of
from bot.scheduling.tick import Scheduler, run_tick
from bot.store.db import session_scope
from bot.store.models import (
    AlertRecord,
    Decision,
    Person,
    Programme,
    QuestionnaireProgress,
    ScheduledPrompt,
    SessionReportRecord,
)
from bot.store.repo.data_rights import delete_athlete
from bot.store.repo.programme import move_stage, record_clinician_action
from tests.athlete.conftest import CLINICIAN_ID, Phone, World

FOLLOWUP = "About an hour has passed since your session"
SCALE = [str(n) for n in range(11)]
# Monday 2 March 2026 in Berlin (UTC+1): the athlete onboards at 08:00 local time.
MONDAY = dt.date(2026, 3, 2)


async def report_session(alex: Phone, *, pain: str = "1", pain_1h: str = "Skip") -> str:
    """Answer a whole post-session questionnaire by buttons; return the decision's text."""
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap(pain)
    if pain != "0":
        await alex.tap("The injured spot")
    await alex.tap("No")  # sharp pain
    await alex.tap("None of these ✅")  # no new swelling, bruising, pop or numbness
    await alex.tap("1")  # tightness
    await alex.tap("No")  # held back
    await alex.tap("8")  # confidence
    await alex.tap("4")  # how hard
    await alex.tap("45")  # minutes
    await alex.tap(pain_1h)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")  # the stage's functional checks
    replies = await alex.tap("No numbers today")
    return replies[-1].text or ""


def scheduler_of(w: World) -> Scheduler:
    return Scheduler(
        engine=w.engine, clock=w.clock, senders=registry_of(w.running.application.bot_data)
    )


async def tick_and_deliver(w: World, alex: Phone) -> list[TranscriptMessage]:
    """Run the scheduler's tick and the outbox sender; return what reached the athlete."""
    before = len(alex.user.bot_messages)
    await run_tick(scheduler_of(w))
    await w.deliver()
    return alex.user.bot_messages[before:]


def report_answers(w: World, day: dt.date = MONDAY) -> dict[str, object]:
    row = w.read(
        lambda s: s.exec(
            select(SessionReportRecord).where(SessionReportRecord.local_date == day)
        ).one()
    )
    return dict(row.answers)


def daily_decision(w: World, day: dt.date = MONDAY) -> Decision:
    decision: Decision = w.read(
        lambda s: s.exec(
            select(Decision).where(Decision.kind == "daily", Decision.local_date == day)
        ).one()
    )
    return decision


def followups(w: World) -> list[ScheduledPrompt]:
    rows: list[ScheduledPrompt] = w.read(
        lambda s: list(s.exec(select(ScheduledPrompt).where(ScheduledPrompt.kind == "followup")))
    )
    return rows


def set_stage(w: World, stage: str) -> None:
    """Put the athlete (1001) at ``stage`` on Monday, as the clinician's /stage would."""
    with session_scope(w.engine) as session:
        athlete = session.exec(select(Person).where(Person.telegram_user_id == 1001)).one()
        kim = session.exec(select(Person).where(Person.telegram_user_id == CLINICIAN_ID)).one()
        programme = session.exec(select(Programme)).one()
        assert athlete.id is not None and kim.id is not None and programme.id is not None
        now = w.clock.now()
        record_clinician_action(
            session,
            athlete_id=athlete.id,
            clinician_id=kim.id,
            local_date=MONDAY,
            kind="set_stage",
            now=now,
            stage=stage,
            note="set up for the test",
        )
        move_stage(session, programme_id=programme.id, to_stage=stage, now=now, reason="test")


async def skipped_then_asked(w: World, alex: Phone) -> TranscriptMessage:
    """Report a session skipping the pain an hour after; return the follow-up, asked once
    about an hour later."""
    result = await report_session(alex)
    # Said before what comes next (the check-in tomorrow), since it comes first.
    assert "I'll ask about the pain again in about an hour." in result
    assert result.index("I'll ask about the pain again") < result.index("Next: your check-in")
    w.clock.advance(dt.timedelta(minutes=55))
    assert [m for m in await tick_and_deliver(w, alex) if FOLLOWUP in (m.text or "")] == []
    w.clock.advance(dt.timedelta(minutes=6))
    sent = await tick_and_deliver(w, alex)
    assert len(sent) == 1, alex.user.format_transcript()
    question = sent[0]
    assert (question.text or "").startswith(FOLLOWUP)
    assert "injured spot" in (question.text or "")
    assert question.button_labels == SCALE  # one tap, 0–10, nothing else
    w.clock.advance(dt.timedelta(minutes=5))
    assert await tick_and_deliver(w, alex) == []  # asked once only
    return question


async def test_a_skipped_pain_is_asked_again_and_a_zero_changes_nothing_else(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.morning()
    await skipped_then_asked(w, alex)
    before = daily_decision(w)
    answers = report_answers(w)
    assert "pain_1h" not in answers
    replies = await alex.tap("0")
    assert replies[0].edited and "✓ 0" in (replies[0].text or "")
    assert replies[-1].text == "Thanks, saved. No change to your plan."
    assert report_answers(w) == {**answers, "pain_1h": 0}  # every other answer kept
    after = daily_decision(w)
    assert (after.outcome, after.decision["stage_after"]) == (
        before.outcome,
        before.decision["stage_after"],
    )
    assert w.read(lambda s: s.exec(select(AlertRecord)).all()) == []
    assert [p.status for p in followups(w)] == ["sent"]


async def test_pain_of_five_an_hour_after_steps_back_and_reaches_the_clinician(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    code = w.clinician_invite("Dr Kim")
    alex = w.phone(1001)
    await alex.onboard(code=code)
    clinician = w.sandbox.user(CLINICIAN_ID, "Kim")
    set_stage(w, "H3")
    # Monday: a red session (pain 5 during it), the first one: one stage back, no alert yet.
    await alex.morning()
    monday = await report_session(alex, pain="5", pain_1h="2")
    assert monday.startswith("↩️") and daily_decision(w).outcome == "step_back"
    assert followups(w) == []  # the pain an hour after was answered
    # Tuesday: a good session, the pain an hour after skipped, then asked about an hour later.
    tuesday = MONDAY + dt.timedelta(days=1)
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=dt.UTC))  # 09:00 in Berlin
    await alex.morning()
    await skipped_then_asked(w, alex)
    before = daily_decision(w, tuesday)
    assert before.outcome != "step_back"
    assert "pain_1h" not in report_answers(w, tuesday)
    alerts_before = len(w.read(lambda s: s.exec(select(AlertRecord)).all()))
    heard_before = len(clinician.bot_messages)
    replies = await alex.tap("5")
    told = replies[-1].text or ""
    assert report_answers(w, tuesday)["pain_1h"] == 5
    after = daily_decision(w, tuesday)
    assert after.outcome == "step_back"
    assert after.decision["stage_after"] != before.decision["stage_after"]
    # The athlete reads the step back in plain words: no keys, rule or stage ids.
    assert told.startswith("↩️") and "We go back one stage" in told
    assert "Pain 1 h after the session: 5/10" in told
    for internal in ("pain_1h", "session.red", "H1", "H2", "step_back", "None"):
        assert internal not in told, told
    # Two red sessions (and two step-backs) in a few days: the engine alerts the clinician.
    alerts = w.read(lambda s: s.exec(select(AlertRecord).order_by(col(AlertRecord.id))).all())
    assert len(alerts) > alerts_before
    assert {a.rule for a in alerts[alerts_before:]} & {"escalate.red_repeat", "escalate.step_backs"}
    await w.deliver()
    assert len(clinician.bot_messages) > heard_before, clinician.format_transcript()


async def test_an_answered_pain_an_hour_after_gets_no_followup(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex, bea = w.phone(1001), w.phone(1002, "Bea")
    for athlete in (alex, bea):
        await athlete.onboard()
        await athlete.morning()
    result = await report_session(alex, pain_1h="2")
    assert "ask about the pain again" not in result
    await report_session(bea)  # the same day, skipped: Bea is asked, Alex is not
    w.clock.advance(dt.timedelta(minutes=61))
    sent = await tick_and_deliver(w, alex)
    assert [m for m in sent if FOLLOWUP in (m.text or "")] == []
    alex_id, bea_id = (w.person(n).id for n in (1001, 1002))  # type: ignore[union-attr]
    alex_report = w.read(
        lambda s: s.exec(
            select(SessionReportRecord).where(SessionReportRecord.athlete_id == alex_id)
        ).one()
    )
    assert alex_report.answers["pain_1h"] == 2
    assert [(p.athlete_id, p.status) for p in followups(w)] == [(bea_id, "sent")]
    assert (bea.user.last_bot_message.text or "").startswith(FOLLOWUP)


async def test_a_second_press_is_stale_and_stores_nothing_twice(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.morning()
    question = await skipped_then_asked(w, alex)
    again = question.find_button("6")  # a second tap, racing the first one's edit
    assert again is not None
    await alex.tap("3", question)
    stored = report_answers(w)
    decided = daily_decision(w).decision
    await alex.user.press_data(str(again["callback_data"]), question)
    await alex.user.wait_until(lambda _: alex.user.last_callback_answer is not None)
    answer = alex.user.last_callback_answer
    # The first answer stands, and the second tap is told which one it was.
    assert (
        answer is not None and answer.text == "You already answered this (3): your answer is kept."
    )
    assert report_answers(w) == stored and stored["pain_1h"] == 3
    assert daily_decision(w).decision == decided


async def test_a_followup_answered_after_midnight_still_counts(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.morning()
    question = await skipped_then_asked(w, alex)
    w.clock.set(dt.datetime(2026, 3, 2, 23, 5, tzinfo=dt.UTC))  # 00:05 on Tuesday in Berlin
    replies = await alex.tap("5", question)
    assert report_answers(w)["pain_1h"] == 5  # a pain tapped at 00:05 is not thrown away
    assert "expired" not in " ".join(m.text or "" for m in replies)
    assert "pain_1h" in str(daily_decision(w).decision)  # the day was decided again with it


async def test_a_followup_is_stale_once_the_next_check_in_has_opened(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.morning()
    question = await skipped_then_asked(w, alex)
    stored = report_answers(w)
    decided = daily_decision(w).decision
    w.clock.set(dt.datetime(2026, 3, 3, 6, 35, tzinfo=dt.UTC))  # 07:35 on Tuesday in Berlin
    await alex.say("/checkin")  # the next day's check-in closes the follow-up
    await alex.user.press("5", question)
    await alex.user.wait_until(lambda _: alex.user.last_callback_answer is not None)
    answer = alex.user.last_callback_answer
    assert answer is not None and answer.text == "This question has expired"
    assert report_answers(w) == stored and "pain_1h" not in stored
    assert daily_decision(w).decision == decided
    progress = w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.kind == "followup")
        ).one()
    )
    assert progress.answers == {}


async def test_another_questionnaire_open_puts_the_followup_back_until_it_is_closed(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.morning()
    await report_session(alex)
    w.clock.advance(dt.timedelta(minutes=58))
    await alex.say("/problem")  # open when the follow-up falls due: not interrupted
    w.clock.advance(dt.timedelta(minutes=3))
    assert await tick_and_deliver(w, alex) == []
    assert [p.status for p in followups(w)] == ["pending"]
    await alex.say("/cancel")
    w.clock.advance(dt.timedelta(minutes=10))
    sent = await tick_and_deliver(w, alex)
    assert len(sent) == 1 and (sent[0].text or "").startswith(FOLLOWUP), [m.text for m in sent]


async def test_no_followup_in_the_quiet_hours_or_after_a_deletion(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC))  # 21:00 in Berlin
    result = await report_session(alex)
    assert "ask about the pain again" not in result  # it would come after 22:00
    assert followups(w) == []
    bea = w.phone(1002, "Bea")
    w.clock.set(dt.datetime(2026, 3, 3, 8, 0, tzinfo=dt.UTC))
    await bea.onboard()
    await bea.morning()
    await report_session(bea)
    assert [p.status for p in followups(w)] == ["pending"]

    def delete(session: Session) -> None:
        person = session.exec(select(Person).where(Person.telegram_user_id == 1002)).one()
        assert person.id is not None
        delete_athlete(session, athlete_id=person.id, actor_id=person.id, now=w.clock.now())

    with session_scope(w.engine) as session:
        delete(session)
    assert followups(w) == []  # deleted with the rest of their data: never sent
    w.clock.advance(dt.timedelta(minutes=61))
    before = len(bea.user.bot_messages)
    await run_tick(scheduler_of(w))
    await w.deliver()
    assert len(bea.user.bot_messages) == before


async def test_a_first_red_session_found_by_the_followup_is_told_as_a_step_back(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    code = w.clinician_invite("Dr Kim")
    alex = w.phone(1001)
    await alex.onboard(code=code)
    set_stage(w, "H3")
    await alex.morning()
    await skipped_then_asked(w, alex)
    assert daily_decision(w).outcome != "step_back"
    replies = await alex.tap("5")
    told = replies[-1].text or ""
    assert daily_decision(w).outcome == "step_back"
    assert told.startswith("↩️") and "We go back one stage" in told, told
    assert "No change to your plan" not in told


async def test_a_problem_screen_left_open_does_not_swallow_the_followup(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.morning()
    await report_session(alex)
    await alex.say("ok thanks")  # opens the /problem screen, which the athlete leaves open
    w.clock.advance(dt.timedelta(minutes=61))
    sent = await tick_and_deliver(w, alex)
    assert len(sent) == 1 and (sent[0].text or "").startswith(FOLLOWUP), [m.text for m in sent]
    await alex.tap("2")
    assert report_answers(w)["pain_1h"] == 2
