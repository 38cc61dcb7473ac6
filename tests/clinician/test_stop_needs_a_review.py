"""A red-flag stop is lifted only by a review (a note the clinician confirmed), an old card
never acts on a later stay at the same stage, and an alert with nobody to reach is an error.

The engine takes a step back, a stage change, or a resume of a programme that is not paused
as the clinician's review of a stop. One tap on "↩️ Step back" on the red-flag card, /stepback,
/stage or /resume would therefore lift the stop with no review recorded: the athlete, who felt
a pop that morning, was told "Train as planned" the next day. End to end through the Bot API
sandbox, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlmodel import col, select

from bot.handlers.context import signer_for
from bot.services.clinician.escalation import run_escalations
from bot.store.db import session_scope
from bot.store.models import Clearance, Programme
from bot.store.repo.links import unlink_athlete
from tests.clinician.conftest import World, open_card
from tests.clinician.test_alert_followups import STALE, sign_off_card
from tests.clinician.test_clinician_flow import link, make_clinician, say
from tests.hardening.conftest import WorldFactory

LEE, OLSEN, BEN = 2001, 2002, 3002
REVIEWED = "🩺 Reviewed: may run again"


def stage_of(w: World, athlete_id: int) -> str:
    with session_scope(w.engine, read_only=True) as session:
        programme = session.exec(select(Programme).where(Programme.athlete_id == athlete_id)).one()
        return programme.current_stage


def stopped_first(number: int) -> str:
    return (
        "Not changed: running is stopped after a red flag. Review Ben first (🩺 Reviewed: may "
        f"run again, or /clear {number} <note>); then step back or change the stage."
    )


async def test_no_step_back_stage_change_or_resume_lifts_a_stop_without_a_review(
    world: WorldFactory,
) -> None:
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H3")
    lee = await make_clinician(w, LEE, "Lee")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)
    w.raise_alert(ben_id, "within_24h", "H3r1", "Pain 3/10 at 80 % Vmax")
    await w.escalate()
    earlier = lee.last_bot_message  # a card from before the stop, with its Step back
    w.clock.advance(dt.timedelta(days=1))
    w.report_red_flag(ben_id, "numbness")
    await w.escalate()
    card = lee.last_bot_message
    assert "⛔ Running is stopped until you review Ben." in (card.text or "")
    assert "↩️ Step back" not in card.button_labels  # not offered while stopped

    await lee.press("↩️ Step back", earlier)
    replies = await lee.wait_until(lambda ms: any("Not changed" in (m.text or "") for m in ms))
    assert stopped_first(ben_id) in [m.text for m in replies]
    assert stopped_first(ben_id) == await say(lee, f"/stepback {ben_id} pop this morning")
    assert stopped_first(ben_id) == await say(lee, f"/stage {ben_id} H1 pop this morning")
    assert await say(lee, f"/resume {ben_id} ok") == (
        "Ben's programme is not paused: there is nothing to resume."
    )
    await w.deliver()
    assert stage_of(w, ben_id) == "H3"
    assert w.audit("clinician_step_back") == [] and w.audit("set_stage") == []
    assert not any("moved you" in (m.text or "") for m in ben.bot_messages)

    # Reviewed (a note, confirmed), from tomorrow: Ben checked in today, under the stop. A
    # step back dated today would be applied before today's answers and lift the stop a day
    # early, so it waits for the review's day; then it is Lee's to make.
    await lee.press(REVIEWED, card)
    await lee.wait_reply()
    await say(lee, "Phoned: no nerve signs")
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("from tomorrow" in (m.text or "") for m in ms))
    assert await say(lee, f"/stepback {ben_id} ease back in") == (
        "Not changed: your review lets Ben run again from Wed 4 Mar; step back or change the "
        "stage from then."
    )
    assert "↩️ Step back" not in (await open_card(lee, ben_id)).button_labels
    w.clock.advance(dt.timedelta(days=1))
    assert "stepped back H3" in await say(lee, f"/stepback {ben_id} ease back in")
    assert stage_of(w, ben_id) == "H2"


async def test_a_sign_off_after_a_review_dated_tomorrow_says_when_it_can_be_given(
    world: WorldFactory,
) -> None:
    """Ben checked in with numbness today, so Lee's review lets him run from tomorrow: /clear
    says so, instead of asking for the review just recorded."""
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H0")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    w.meet_h0_criteria(ben_id)
    w.report_red_flag(ben_id, "numbness")
    await say(lee, f"/clear {ben_id} Phoned: no nerve signs")
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("from tomorrow" in (m.text or "") for m in ms))

    reply = await say(lee, f"/clear {ben_id}")
    assert reply == (
        "Not recorded yet: your review lets Ben run again from Tue 3 Mar; the sign-off can be "
        "given from then."
    )
    with session_scope(w.engine, read_only=True) as session:
        assert session.exec(select(Clearance).where(Clearance.declined == False)).all() == []  # noqa: E712


async def test_a_sign_off_card_from_an_earlier_stay_at_the_stage_is_stale(
    world: WorldFactory,
) -> None:
    """Lee signs Ben's H0 gate off with /clear (the card's button unused); Ben moves to H1,
    is stepped back after a flare-up, and meets H0's criteria again. The first card's
    "🟢 Sign off", pressed days later, spoke of the earlier stay: it records nothing."""
    w = await world()
    ben_id, [card] = await sign_off_card(w, [LEE])
    lee = w.sandbox.user(LEE, "Lee")
    assert "Signed off" in await say(lee, f"/clear {ben_id}")
    w.clock.advance(dt.timedelta(days=1))
    assert "moved to H1" in await say(lee, f"/stage {ben_id} H1 seen in clinic")
    w.clock.advance(dt.timedelta(days=1))
    assert "stepped back H1" in await say(lee, f"/stepback {ben_id} flare-up, limping")
    w.clock.advance(dt.timedelta(days=2))
    w.meet_h0_criteria(ben_id)

    await lee.press("🟢 Sign off", card)
    await lee.wait_until(lambda ms: lee.last_callback_answer is not None, timeout=5)
    answer = lee.last_callback_answer
    assert answer is not None and answer.text == STALE, answer
    with session_scope(w.engine, read_only=True) as session:
        signed = session.exec(select(Clearance).order_by(col(Clearance.id))).all()
    assert [(c.stage, c.declined) for c in signed] == [("H0", False)]  # the /clear alone


async def test_an_alert_that_can_reach_nobody_is_logged_as_an_error(
    world: WorldFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """With no clinician linked and ADMIN_TELEGRAM_IDS empty (the default), an emergency has
    nobody to go to: the operator reads it in the log as an error, never in silence."""
    w = await world()
    anna_id = w.add_athlete(3001, "Anna")
    w.raise_alert(anna_id, "emergency", "red_flag.chest_pain", "Chest pain or breathlessness")
    signer = signer_for(w.services, w.running.application.bot.token)
    with caplog.at_level(logging.ERROR), session_scope(w.engine) as session:
        run_escalations(session, w.clock.now(), signer, [])
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [
        f"an alert about athlete #{anna_id} reached nobody: no clinician is linked and "
        "ADMIN_TELEGRAM_IDS is empty"
    ]


async def test_a_second_sign_off_names_who_gave_the_first(world: WorldFactory) -> None:
    """Lee signs Ben off; Olsen, linked too, presses his own card's Sign off: he reads who
    signed off and when, not that no sign-off was ever waiting."""
    w = await world()
    ben_id, [_lee_card, olsen_card] = await sign_off_card(w, [LEE, OLSEN])
    lee, olsen = w.sandbox.user(LEE, "Lee"), w.sandbox.user(OLSEN, "Olsen")
    assert "Signed off" in await say(lee, f"/clear {ben_id}")
    await olsen.press("🟢 Sign off", olsen_card)
    replies = await olsen.wait_until(lambda ms: any("Already" in (m.text or "") for m in ms))
    assert "Already signed off by Lee on Mon 2 Mar: nothing changed." in [m.text for m in replies]
    assert await say(olsen, f"/clear {ben_id}") == (
        "Already signed off by Lee on Mon 2 Mar: nothing changed."
    )
    with session_scope(w.engine, read_only=True) as session:
        assert len(session.exec(select(Clearance)).all()) == 1


async def test_a_sign_off_over_another_clinicians_decline_is_told_to_both(
    world: WorldFactory,
) -> None:
    """Lee declines Ben's sign-off with a reason; Olsen, on his own older card, signs off two
    minutes later: he reads that Lee declined and why, and Lee is told of the sign-off."""
    w = await world()
    _ben_id, [lee_card, olsen_card] = await sign_off_card(w, [LEE, OLSEN])
    lee, olsen = w.sandbox.user(LEE, "Lee"), w.sandbox.user(OLSEN, "Olsen")
    await lee.press("✖️ Decline", lee_card)
    await lee.wait_reply()
    assert "Sign-off declined for Ben" in await say(lee, "still tender on palpation")
    await w.deliver()
    assert (
        "Lee declined Ben's sign-off at H0 · Triage & protection.\nReason: still tender on "
        "palpation" in [m.text for m in olsen.bot_messages]
    )
    w.clock.advance(dt.timedelta(minutes=2))
    await olsen.press("🟢 Sign off", olsen_card)
    replies = await olsen.wait_until(lambda ms: any("Signed off" in (m.text or "") for m in ms))
    assert (
        "Signed off: Ben may move on. They have been told.\n"
        "Lee declined this sign-off on Mon 2 Mar and has been told you gave it.\n"
        "Reason: still tender on palpation"
    ) in [m.text for m in replies]
    await w.deliver()
    assert "Olsen signed off Ben at H0 · Triage & protection: they may move on." in [
        m.text for m in lee.bot_messages
    ]


async def test_a_decliner_no_longer_linked_is_not_said_to_be_told(world: WorldFactory) -> None:
    """Olsen declined, then was unlinked: Lee's sign-off names the decline, and does not say
    Olsen is told of it (he no longer follows Ben, so he is not)."""
    w = await world()
    ben_id, [_lee_card, olsen_card] = await sign_off_card(w, [LEE, OLSEN])
    lee, olsen = w.sandbox.user(LEE, "Lee"), w.sandbox.user(OLSEN, "Olsen")
    await olsen.press("✖️ Decline", olsen_card)
    await olsen.wait_reply()
    await say(olsen, "still tender")
    olsen_id = w.person(OLSEN).id  # type: ignore[union-attr]
    with session_scope(w.engine) as session:
        unlink_athlete(session, athlete_id=ben_id, clinician_id=olsen_id)
    await w.deliver()
    before = len(olsen.bot_messages)
    assert await say(lee, f"/clear {ben_id}") == (
        "Signed off: Ben may move on. They have been told.\n"
        "Olsen declined this sign-off on Mon 2 Mar.\n"
        "Reason: still tender"
    )
    await w.deliver()
    assert olsen.bot_messages[before:] == []
