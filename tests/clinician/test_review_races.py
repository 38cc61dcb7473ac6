"""A clinician's review never lifts a warning sign the clinician could not have read about,
however the review and the athlete's answer interleave: a sign reported while the review's
confirmation waits, a sign whose replica read its clock a moment before the review's replica
stamped the review, and a sign still being written (uncommitted) when Confirm is pressed.
End to end on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

from sqlmodel import select

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox
from bot.store.db import LOCK_TIMEOUT_MS, session_scope
from bot.store.models import AuditLog, ClinicianActionRecord
from bot.store.repo.answers import get_morning_checkin, upsert_morning_checkin
from bot.store.repo.programme import lock_programme, record_clinician_action
from tests.athlete.both.test_pain_followup import report_session
from tests.athlete.conftest import Phone
from tests.athlete.conftest import World as AthleteWorld
from tests.clinician.test_overview_waiting_review import ANNA, LEE, lee_with, say
from tests.support.telegram import BotHarness

NEW_SIGN = "Not recorded: Anna has reported a new red flag since this review was put to you."


def reviews_of(services: Services, athlete_id: int) -> list[ClinicianActionRecord]:
    with session_scope(services.engine, read_only=True) as session:
        return list(
            session.exec(
                select(ClinicianActionRecord).where(
                    ClinicianActionRecord.athlete_id == athlete_id,
                    ClinicianActionRecord.kind == "review",
                )
            ).all()
        )


async def check_in_with_swelling(w: AthleteWorld, anna: Phone) -> None:
    """Anna's check-in reports new swelling: running stops until a review."""
    await anna.say("/checkin")
    await anna.tap("▫️ New swelling at the injury")
    await anna.tap("Done")
    await w.deliver()


async def tick_a_pop(anna: Phone) -> None:
    """Anna opens /problem and ticks a pop on the warning-sign check (Done still to press)."""
    await anna.say("/problem")
    await anna.say("felt something go in the back of my thigh")
    await anna.tap("🚩 Check for warning signs")
    await anna.tap("▫️ Felt a pop or sudden sharp pain")


async def test_a_sign_reported_while_the_confirmation_waits_is_not_reviewed_by_it(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """Lee asks to review Anna's swelling and is shown the confirmation; before Lee presses
    Confirm, Anna feels a pop. The Confirm would have recorded a review counting from tomorrow
    that lifts the pop's stop too: it is refused, and says why."""
    w, lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    anna_id = w.person(ANNA).id  # type: ignore[union-attr]
    await check_in_with_swelling(w, anna)
    clock.advance(dt.timedelta(hours=1))
    confirm = await say(lee, f"/clear {anna_id} Phoned: swelling small, settling")
    assert "Confirm the review of Anna" in confirm
    assert "Anna will read this note." in confirm  # the note goes to her word for word

    clock.advance(dt.timedelta(minutes=10))
    await tick_a_pop(anna)
    await anna.tap("Done")
    await w.deliver()

    clock.advance(dt.timedelta(minutes=1))
    await lee.press("✅ Confirm review")
    replies = await lee.wait_until(lambda ms: any(NEW_SIGN in (m.text or "") for m in ms))
    assert not any("Reviewed: Anna" in (m.text or "") for m in replies)
    assert reviews_of(services, anna_id) == []

    clock.advance(dt.timedelta(days=1))
    morning = "\n".join(m.text or "" for m in await anna.morning())
    assert "Train as planned" not in morning, morning
    assert "until your clinician has reviewed you" in morning, morning


async def test_a_review_stamped_after_a_sign_still_being_decided_is_voided(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """Two replicas: Anna's /problem is read at 11:04 on one, Lee's review is stamped 11:05 on
    the other and commits first; the /problem, decided after it, finds a review "later" than
    its pop. Lee could not have read about the pop: the review is voided and Anna stays stopped
    (the review's clock is not what tells whether Lee saw the sign)."""
    w, lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    anna_id = w.person(ANNA).id  # type: ignore[union-attr]
    await check_in_with_swelling(w, anna)
    clock.advance(dt.timedelta(hours=1))
    await tick_a_pop(anna)

    await say(lee, f"/clear {anna_id} Phoned: swelling small, settling")
    clock.advance(dt.timedelta(minutes=5))
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("from tomorrow" in (m.text or "") for m in ms))
    assert len(reviews_of(services, anna_id)) == 1

    clock.advance(dt.timedelta(minutes=-1))  # Anna's replica read its clock first
    await anna.tap("Done")
    await w.deliver()
    assert reviews_of(services, anna_id) == []
    with session_scope(services.engine, read_only=True) as session:
        voided = session.exec(select(AuditLog).where(AuditLog.action == "void_review")).all()
    assert [row.detail["note"] for row in voided] == ["Phoned: swelling small, settling"]

    clock.advance(dt.timedelta(days=1))
    morning = "\n".join(m.text or "" for m in await anna.morning())
    assert "Train as planned" not in morning, morning
    assert "until your clinician has reviewed you" in morning, morning


async def test_confirm_waits_for_a_sign_being_written_and_then_refuses(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """Anna's pop is being stored (another replica's transaction holds her programme) when Lee
    presses Confirm. Without waiting, the review would read the day before the pop and be
    recorded; it waits for the athlete's transaction, then sees the pop and refuses."""
    w, lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    anna_id = w.person(ANNA).id  # type: ignore[union-attr]
    await check_in_with_swelling(w, anna)
    clock.advance(dt.timedelta(hours=1))
    await say(lee, f"/clear {anna_id} Phoned: swelling small, settling")
    clock.advance(dt.timedelta(minutes=5))
    day = clock.now().date()

    locked, release, done = threading.Event(), threading.Event(), threading.Event()

    def athlete_replica() -> None:
        with session_scope(services.engine) as session:
            lock_programme(session, athlete_id=anna_id)
            morning = get_morning_checkin(session, athlete_id=anna_id, local_date=day)
            assert morning is not None
            flags = [*morning.red_flags, "pop"]
            upsert_morning_checkin(
                session,
                athlete_id=anna_id,
                local_date=day,
                answers=morning.model_copy(update={"red_flags": flags}),
                answered_at=clock.now(),
                utc_offset_minutes=60,  # Berlin in March
            )
            locked.set()
            release.wait(timeout=10)
        done.set()

    writer = threading.Thread(target=athlete_replica)
    writer.start()
    try:
        assert await asyncio.to_thread(locked.wait, 10)
        before = len(lee.bot_messages)
        await lee.press("✅ Confirm review")
        await asyncio.sleep(0.8)
        assert not any("Reviewed: Anna" in (m.text or "") for m in lee.bot_messages[before:])
    finally:
        release.set()
        await asyncio.to_thread(writer.join, 10)
    assert done.is_set()
    await lee.wait_until(lambda ms: any(NEW_SIGN in (m.text or "") for m in ms))
    assert reviews_of(services, anna_id) == []


async def test_a_sign_decided_while_a_review_is_being_written_voids_it(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """The other way round: Lee's review is being written on another replica (its transaction
    holds Anna's programme) when Anna's pop is decided. Without waiting, the decision would
    look for reviews to void before the review exists, and the review, committed a moment
    later, would lift the pop's stop the next morning. The decision waits, then voids it."""
    w, _lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    anna_id = w.person(ANNA).id  # type: ignore[union-attr]
    lee_id = w.person(LEE).id  # type: ignore[union-attr]
    await check_in_with_swelling(w, anna)
    clock.advance(dt.timedelta(hours=1))
    await tick_a_pop(anna)
    tomorrow = clock.now().date() + dt.timedelta(days=1)

    locked, release = threading.Event(), threading.Event()

    def clinician_replica() -> None:
        with session_scope(services.engine) as session:
            lock_programme(session, athlete_id=anna_id)
            record_clinician_action(
                session,
                athlete_id=anna_id,
                clinician_id=lee_id,
                local_date=tomorrow,
                kind="review",
                now=clock.now() - dt.timedelta(minutes=1),
                note="Phoned: swelling small, settling",
            )
            locked.set()
            release.wait(timeout=10)

    writer = threading.Thread(target=clinician_replica)
    writer.start()
    try:
        assert await asyncio.to_thread(locked.wait, 10)
        await anna.user.press("Done")
        await asyncio.sleep(0.8)
    finally:
        release.set()
        await asyncio.to_thread(writer.join, 10)
    await anna.user.wait_reply()
    await w.deliver()
    assert reviews_of(services, anna_id) == []

    clock.advance(dt.timedelta(days=1))
    morning = "\n".join(m.text or "" for m in await anna.morning())
    assert "Train as planned" not in morning, morning
    assert "until your clinician has reviewed you" in morning, morning


async def test_a_sign_late_in_the_evening_is_not_reviewed_by_a_confirm_after_midnight(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """Lee's prompt comes at 23:45 in Berlin, Anna's pop at 23:55, Lee's Confirm at 00:05:
    the Confirm, on the next day, still knows the pop came after its prompt."""
    w, lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    anna_id = w.person(ANNA).id  # type: ignore[union-attr]
    await check_in_with_swelling(w, anna)
    day = clock.now().date()
    clock.set(dt.datetime.combine(day, dt.time(22, 45), tzinfo=dt.UTC))  # 23:45 in Berlin
    confirm = await say(lee, f"/clear {anna_id} Phoned: swelling small, settling")
    assert "Confirm the review of Anna" in confirm
    clock.advance(dt.timedelta(minutes=10))
    await tick_a_pop(anna)
    await anna.tap("Done")
    await w.deliver()
    clock.advance(dt.timedelta(minutes=10))  # 00:05 in Berlin, the next day
    await lee.press("✅ Confirm review")
    replies = await lee.wait_until(lambda ms: any(NEW_SIGN in (m.text or "") for m in ms))
    assert not any("Reviewed: Anna" in (m.text or "") for m in replies)
    assert reviews_of(services, anna_id) == []


async def test_a_harmless_session_after_a_review_keeps_it(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """Anna's morning pain at rest is 8/10 (a stop); Lee reviews an hour later; in the evening
    Anna reports a harmless session. The morning's pain read again with the session made the
    session look like a new warning sign: the review was voided and Lee got an alert naming
    no sign ("athlete reported ."). The review stands; no such alert."""
    w, lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    anna_id = w.person(ANNA).id  # type: ignore[union-attr]
    await anna.say("/checkin")
    await anna.tap("None of these ✅")
    replies = await anna.tap("8")
    while not any("⛔" in (m.text or "") for m in replies):
        replies = await anna.tap(anna.user.last_bot_message.button_labels[0])
    await w.deliver()
    clock.advance(dt.timedelta(hours=1))
    await say(lee, f"/clear {anna_id} Phoned: pain settling, no other signs")
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("from tomorrow" in (m.text or "") for m in ms))
    before = len(lee.bot_messages)

    clock.advance(dt.timedelta(hours=8))
    await report_session(anna, pain="1")
    await w.deliver()
    assert len(reviews_of(services, anna_id)) == 1
    later = [m.text or "" for m in lee.bot_messages[before:]]
    assert not any("reported ." in t for t in later), later
    assert not any("Running is stopped until you review" in t for t in later), later


async def test_a_check_in_waiting_on_a_clinician_too_long_is_retried_not_failed(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """Another replica holds Anna's programme longer than the lock timeout while her check-in
    completes: the update is rolled back and processed again, and Anna gets her verdict. It
    was reported as "I could not work out today's plan just now", with an engine-failure
    alert to Lee, and no decision recorded."""
    w, lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    anna_id = w.person(ANNA).id  # type: ignore[union-attr]
    await anna.say("/checkin")
    await anna.tap("None of these ✅")
    for answer in ("0", "1", "1", "8", "2", "2", "2", "2"):
        await anna.tap(answer)

    locked, release = threading.Event(), threading.Event()

    def clinician_replica() -> None:
        with session_scope(services.engine) as session:
            lock_programme(session, athlete_id=anna_id)
            locked.set()
            release.wait(timeout=10)

    holder = threading.Thread(target=clinician_replica)
    holder.start()
    try:
        assert await asyncio.to_thread(locked.wait, 10)
        await anna.user.send("7.5")  # hours slept: the check-in's last answer
        await asyncio.sleep(LOCK_TIMEOUT_MS / 1000 + 1.5)
    finally:
        release.set()
        await asyncio.to_thread(holder.join, 10)
    replies = await anna.user.wait_until(
        lambda ms: any("Train as planned" in (m.text or "") for m in ms), timeout=30
    )
    said = "\n".join(m.text or "" for m in replies)
    assert "could not work out today's plan" not in said, said
    await w.deliver()
    assert not any("review them" in (m.text or "") for m in lee.bot_messages)
