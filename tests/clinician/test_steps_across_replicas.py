"""A clinician's or admin's step in two parts finishes on whichever replica gets the second
part: the step waits in the database, not in the memory of the process that asked.

Each test restarts the bot between the two parts: the new Application has none of the old
one's memory, as another replica behind the load balancer would not. Runs on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from bot.store.db import session_scope
from bot.store.models import Clearance, ClinicianActionRecord, PendingStep, ProtocolVersion
from bot.store.repo import pending_steps as steps
from tests.clinician.conftest import ADMIN, World, open_card
from tests.clinician.test_clinician_flow import link, make_clinician, say
from tests.support.telegram import BotHarness

LEE, BEN = 2001, 3002
REVIEWED = "🩺 Reviewed: may run again"


async def other_replica(w: World, telegram: BotHarness) -> None:
    """Hand the rest of the conversation to a process that never saw its start."""
    w.running = await telegram.restart()


def steps_left(w: World) -> list[str]:
    with session_scope(w.engine, read_only=True) as session:
        return sorted(row.kind for row in session.exec(select(PendingStep)))


async def test_a_review_note_and_its_confirmation_reach_other_replicas(
    world: object, telegram: BotHarness
) -> None:
    w: World = await world()  # type: ignore[operator]
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    w.report_red_flag(ben_id, "numbness")
    await w.escalate()
    await lee.press(REVIEWED, lee.last_bot_message)
    [prompt] = await lee.wait_reply()
    assert "Reviewing Ben after the red flag" in (prompt.text or "")

    await other_replica(w, telegram)
    confirm = await say(lee, "Phoned: sensation normal")
    assert "Confirm the review of Ben" in confirm and "Note: Phoned: sensation normal" in confirm

    await other_replica(w, telegram)
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("Reviewed: Ben" in (m.text or "") for m in ms))
    with session_scope(w.engine, read_only=True) as session:
        [review] = session.exec(
            select(ClinicianActionRecord).where(ClinicianActionRecord.kind == "review")
        ).all()
    assert review.note == "Phoned: sensation normal"
    assert steps_left(w) == []


async def test_a_message_and_a_decline_typed_on_another_replica_are_delivered(
    world: object, telegram: BotHarness
) -> None:
    w: World = await world()  # type: ignore[operator]
    ben_id = w.add_athlete(BEN, "Ben", stage="H0")
    lee = await make_clinician(w, LEE, "Lee")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)
    w.meet_h0_criteria(ben_id)
    await open_card(lee, "ben")
    await lee.press("💬 Message athlete")
    await lee.wait_reply()
    await other_replica(w, telegram)
    assert "Sent to Ben." in await say(lee, "Keep the walks easy today, please.")

    await lee.press("✖️ Decline")
    await lee.wait_reply()
    await other_replica(w, telegram)
    assert "Sign-off declined for Ben" in await say(lee, "Palpation still tender")
    with session_scope(w.engine, read_only=True) as session:
        [clearance] = session.exec(select(Clearance).where(Clearance.athlete_id == ben_id)).all()
    assert clearance.declined and clearance.note == "Palpation still tender"
    await w.deliver()
    assert any(
        "Message from Lee:\nKeep the walks easy today, please." in (m.text or "")
        for m in ben.bot_messages
    )


async def test_a_cancel_on_another_replica_cancels(world: object, telegram: BotHarness) -> None:
    w: World = await world()  # type: ignore[operator]
    w.add_athlete(BEN, "Ben", stage="H0")
    lee = await make_clinician(w, LEE, "Lee")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)
    await open_card(lee, "ben")
    await lee.press("💬 Message athlete")
    await lee.wait_reply()
    await other_replica(w, telegram)
    assert "Cancelled: nothing was changed." in await say(lee, "/cancel")
    hint = await say(lee, "Keep the walks easy")  # nothing waits: not sent to Ben
    assert "/help" in hint and "Sent to" not in hint
    await w.deliver()
    assert not any("Keep the walks easy" in (m.text or "") for m in ben.bot_messages)


async def test_text_typed_half_a_day_after_message_athlete_is_not_sent(
    world: object, telegram: BotHarness
) -> None:
    w: World = await world()  # type: ignore[operator]
    w.add_athlete(BEN, "Ben", stage="H0")
    lee = await make_clinician(w, LEE, "Lee")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)
    await open_card(lee, "ben")
    await lee.press("💬 Message athlete")
    await lee.wait_reply()
    w.clock.advance(dt.timedelta(hours=12, minutes=1))
    reply = await say(lee, "ok thanks")
    assert "more than 12 hours after you pressed the button, so nothing was sent" in reply
    await w.deliver()
    assert not any("ok thanks" in (m.text or "") for m in ben.bot_messages)
    assert steps_left(w) == []
    # Within the 12 hours the message goes through.
    await lee.press("💬 Message athlete", await open_card(lee, "ben"))
    await lee.wait_reply()
    w.clock.advance(dt.timedelta(hours=11))
    assert "Sent to Ben." in await say(lee, "See you on Monday")


async def test_an_admins_draft_is_published_from_another_replica(
    world: object, telegram: BotHarness
) -> None:
    w: World = await world()  # type: ignore[operator]
    admin = w.sandbox.user(ADMIN, "Ada")
    draft = await say(admin, "/protocol set hamstring H3 min_days.value 8")
    assert "+    value: 8" in draft
    await other_replica(w, telegram)
    dry_run = await say(admin, "/protocol dryrun hamstring")
    assert "There is no draft" not in dry_run
    await other_replica(w, telegram)
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("published" in (m.text or "") for m in ms))
    with session_scope(w.engine, read_only=True) as session:
        active = session.exec(
            select(ProtocolVersion).where(
                ProtocolVersion.name == "hamstring",
                ProtocolVersion.active == True,  # noqa: E712
            )
        ).one()
    assert active.version == 2 and active.note == "set H3 min_days.value = 8"
    assert steps_left(w) == []


async def test_an_older_confirmation_never_records_a_newer_note(
    world: object, telegram: BotHarness
) -> None:
    w: World = await world()  # type: ignore[operator]
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    w.report_red_flag(ben_id, "numbness")
    await w.escalate()
    card = lee.last_bot_message
    await lee.press(REVIEWED, card)
    await lee.wait_reply()
    await say(lee, "First note")
    first = lee.last_bot_message
    await lee.press(REVIEWED, card)
    await lee.wait_reply()
    await say(lee, "Second note, the right one")
    await other_replica(w, telegram)
    await lee.press("✅ Confirm review", first)
    await lee.wait_until(lambda ms: lee.last_callback_answer is not None, timeout=5)
    answer = lee.last_callback_answer
    assert answer is not None and "This confirmation has expired" in (answer.text or "")
    with session_scope(w.engine, read_only=True) as session:
        reviews = select(ClinicianActionRecord).where(ClinicianActionRecord.kind == "review")
        assert session.exec(reviews).all() == []
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("Reviewed: Ben" in (m.text or "") for m in ms))
    with session_scope(w.engine, read_only=True) as session:
        [review] = session.exec(reviews).all()
    assert review.note == "Second note, the right one"


async def test_a_second_card_button_names_its_athlete_and_what_it_drops(
    world: object, telegram: BotHarness
) -> None:
    w: World = await world()  # type: ignore[operator]
    w.add_athlete(BEN, "Ben", stage="H0")
    ann_id = w.add_athlete(3003, "Ann", stage="H0")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    await link(w, lee, w.sandbox.user(3003, "Ann"))
    w.meet_h0_criteria(ann_id)
    await lee.press("💬 Message athlete", await open_card(lee, "ben"))
    [prompt] = await lee.wait_reply()
    assert prompt.text == "Write your message to Ben (or /cancel)."
    await lee.press("✖️ Decline", await open_card(lee, "ann"))
    [prompt] = await lee.wait_reply()
    assert prompt.text == (
        "What you had started for Ben is dropped: nothing was sent or recorded.\n"
        "Write why you decline Ann's sign-off (or /cancel). Ann is sent what you write, word "
        "for word."
    )


async def test_an_old_cancel_button_leaves_a_newer_message_waiting(
    world: object, telegram: BotHarness
) -> None:
    w: World = await world()  # type: ignore[operator]
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)
    w.raise_alert(ben_id, "same_day", "red_flag.pop", "Felt a pop")
    asked = await say(lee, f"/stage {ben_id} H3 feels fine")
    assert "Change the stage" in lee.last_bot_message.button_labels[0]
    risky = lee.last_bot_message
    await lee.press("💬 Message athlete", await open_card(lee, "ben"))
    await lee.wait_reply()
    await lee.press("✖️ Cancel", risky)
    await lee.wait_until(lambda ms: any("Cancelled" in (m.text or "") for m in ms))
    assert "Sent to Ben." in await say(lee, "Ice and rest today.")
    assert asked


async def test_a_stage_confirmation_pressed_on_two_replicas_moves_the_stage_once(
    world: object, telegram: BotHarness
) -> None:
    w: World = await world()  # type: ignore[operator]
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    w.raise_alert(ben_id, "same_day", "red_flag.pop", "Felt a pop")
    await say(lee, f"/stage {ben_id} H3 feels fine")
    risky = lee.last_bot_message
    with session_scope(w.engine, read_only=True) as session:
        [waiting] = session.exec(select(PendingStep)).all()
    await lee.press("✅ Change the stage", risky)
    await lee.wait_until(lambda ms: any("H3" in (m.text or "") for m in ms))
    # A second replica read the same waiting step before the first dropped it.
    with session_scope(w.engine) as session:
        steps.put_step(
            session,
            telegram_user_id=LEE,
            kind=steps.CONFIRM,
            payload=waiting.payload,
            now=w.clock.now(),
            athlete_id=ben_id,
        )
    await other_replica(w, telegram)
    await lee.press("✅ Change the stage", risky)
    await lee.wait_until(lambda ms: lee.last_callback_answer is not None, timeout=5)
    answer = lee.last_callback_answer
    assert answer is not None and "Already done" in (answer.text or "")
    with session_scope(w.engine, read_only=True) as session:
        moves = session.exec(
            select(ClinicianActionRecord).where(
                ClinicianActionRecord.kind == "set_stage", ClinicianActionRecord.stage == "H3"
            )
        ).all()
    assert len(moves) == 1


async def test_a_second_draft_says_the_first_is_dropped(world: object) -> None:
    w: World = await world()  # type: ignore[operator]
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocol set hamstring H3 min_days.value 8")
    second = await say(admin, "/protocol set calf C2 min_days.value 9")
    assert second.startswith(
        "Your earlier draft of hamstring (set H3 min_days.value = 8) is dropped: one draft is "
        "kept at a time.\nDraft of calf"
    ), second
