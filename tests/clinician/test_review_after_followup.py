"""A clinician's review stands when the answers that showed the warning sign it reviewed are
saved again later without a new sign: the sign is dated by when the answers first showed it,
not by their last save. End to end on SQLite and PostgreSQL.

The pain follow-up cannot save a warning sign again: a session report showing one stops the
day, and a stopped day gets no follow-up (the second test). The path that does is a /problem
screen left open with a sign ticked when the check-in is opened: the sign is recorded (and
stops running) as the check-in starts, and finishing the check-in saves that day's answers
again, the same sign among them (the first test)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox
from bot.store.db import session_scope
from bot.store.models import AuditLog, MorningCheckinRecord
from tests.athlete.both.test_pain_followup import (
    FOLLOWUP,
    followups,
    report_session,
    tick_and_deliver,
)
from tests.athlete.conftest import Phone
from tests.clinician.test_overview_waiting_review import ANNA, lee_with, say
from tests.clinician.test_review_races import reviews_of
from tests.support.telegram import BotHarness

AWAITED = "until your clinician has reviewed you"
LEE_ASKED_AGAIN = "Running is stopped until you review Anna"


def voided(services: Services) -> list[AuditLog]:
    with session_scope(services.engine, read_only=True) as session:
        return list(session.exec(select(AuditLog).where(AuditLog.action == "void_review")))


def morning_row(services: Services, athlete_id: int) -> MorningCheckinRecord:
    with session_scope(services.engine, read_only=True) as session:
        return session.exec(
            select(MorningCheckinRecord).where(MorningCheckinRecord.athlete_id == athlete_id)
        ).one()


async def finish_checkin(anna: Phone) -> str:
    """Answer the open check-in from its first question: no new warning sign, low pain (the
    pop reported before it comes pre-ticked: Anna says it has gone)."""
    await anna.tap("☑️ Felt a pop or sudden sharp pain")
    await anna.tap("None of these ✅")
    await anna.tap("Yes, all gone")
    for value in ("0", "1", "1", "8", "2", "2", "2", "2"):
        await anna.tap(value)
    return "\n".join(m.text or "" for m in await anna.say("7.5"))


async def test_a_check_in_finished_after_the_review_keeps_it(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """Anna ticks "felt a pop" on /problem and, without pressing Done, opens her check-in:
    the pop is recorded (running stops) and the check-in starts. Lee reviews her half an hour
    later ("may run again from tomorrow"). Ten minutes after that Anna finishes the check-in,
    reporting nothing new: her answers are saved again with the pop among them. The pop was
    dated by that last save, after the review, so the review was voided and Anna stayed
    stopped the next morning. The review stands."""
    w, lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    person = w.person(ANNA)
    assert person is not None and person.id is not None
    anna_id = person.id
    await anna.say("/problem")
    await anna.say("felt something go in the back of my thigh")
    await anna.tap("🚩 Check for warning signs")
    await anna.tap("▫️ Felt a pop or sudden sharp pain")
    clock.advance(dt.timedelta(minutes=5))
    popped_at = clock.now()
    opened = "\n".join(m.text or "" for m in await anna.say("/checkin"))
    assert "Since yesterday, have you had any of these?" in opened, opened
    await w.deliver()
    stored = morning_row(services, anna_id)
    assert (stored.answers, stored.answered_at) == ({"red_flags": ["pop"]}, popped_at)

    clock.advance(dt.timedelta(minutes=30))
    await say(lee, f"/clear {anna_id} Phoned: pop was small, walking fine")
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("from tomorrow" in (m.text or "") for m in ms))
    [review] = reviews_of(services, anna_id)
    before = len(lee.bot_messages)

    clock.advance(dt.timedelta(minutes=10))
    await finish_checkin(anna)
    await w.deliver()
    stored = morning_row(services, anna_id)
    # The scenario's point: the same sign saved again, after the review.
    assert stored.answers["red_flags"] == ["pop"] and stored.answers["pain_rest"] == 0
    assert stored.answered_at > review.at
    assert [r.id for r in reviews_of(services, anna_id)] == [review.id]
    assert voided(services) == []
    later = [m.text or "" for m in lee.bot_messages[before:]]
    assert not any(LEE_ASKED_AGAIN in t for t in later), later

    clock.advance(dt.timedelta(days=1))
    morning = "\n".join(m.text or "" for m in await anna.morning())
    assert AWAITED not in morning, morning
    assert "Train as planned" in morning, morning


async def test_a_severe_session_reviewed_gets_no_followup_and_the_review_stands(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """Anna's session pain is 8/10 (a warning sign: running stops) and she skips the pain an
    hour after. No follow-up is planned on a stopped day, so nothing saves the report again:
    Lee's review, given after the stop, stands through the hour and lifts the stop the next
    morning."""
    w, lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    person = w.person(ANNA)
    assert person is not None and person.id is not None
    anna_id = person.id
    await anna.morning()
    said = await report_session(anna, pain="8", pain_1h="Skip")
    assert said.startswith("⛔"), said
    assert "ask about the pain again" not in said, said
    await w.deliver()
    assert followups(w) == []

    clock.advance(dt.timedelta(minutes=20))
    await say(lee, f"/clear {anna_id} Phoned: pain settling, no other signs")
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("from tomorrow" in (m.text or "") for m in ms))

    clock.advance(dt.timedelta(minutes=45))  # about an hour after the session
    sent = await tick_and_deliver(w, anna)
    assert not any(FOLLOWUP in (m.text or "") for m in sent), [m.text for m in sent]
    assert len(reviews_of(services, anna_id)) == 1
    assert voided(services) == []

    clock.advance(dt.timedelta(days=1))
    morning = "\n".join(m.text or "" for m in await anna.morning())
    assert AWAITED not in morning, morning
