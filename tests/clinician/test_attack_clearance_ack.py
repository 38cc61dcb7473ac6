"""A sign-off, its refusal or a review answers the alerts that asked for it, however given.

Only the card's buttons acknowledged the card's alerts (in the handler's path, after the
decision), so a decision given another way left them open: /clear, /decline and the reason
typed after ✖️ Decline marked the request's action, or not even that, and never acknowledged
it. The clinician who had decided the gate (and every other linked clinician) still read
"1 open alert" in /athletes and on /athlete, and the Monday digest listed the request among
the open alerts. A review given by /clear after a red flag left the red flag open: Lee was
sent it again half an hour after reviewing, and the admin was handed it after an hour. Now the
decision acknowledges every open request for that stage's sign-off (a review: the red flags
and urgent alerts it reviewed), by whoever gave it; a refused sign-off records nothing and
leaves the request open, and acknowledging a request is still no sign-off. End to end through
the Bot API sandbox, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.reports.from_store import report_data_for
from bot.sandbox import BotApiSandbox
from bot.services.digest import run_digest
from bot.store.db import session_scope
from bot.store.models import AlertRecord, Clearance, Person
from tests.clinician.conftest import ADMIN, World, open_card
from tests.clinician.test_alert_followups import (
    BEN,
    LEE,
    OLSEN,
    WorldFactory,
    sign_off_card,
)
from tests.clinician.test_clinician_flow import link, make_clinician, say
from tests.clinician.test_overview_waiting_review import ANNA, lee_with
from tests.support.telegram import BotHarness

VOIDED_NOTE = "Phoned: swelling small, settling"
GATE_TEXT = "Stage H0 criteria met: sign-off needed to move on."
# Monday 9 March 2026, 08:05 UTC: the digest of the week 2–8 March is due (the world starts
# on Monday 2 March).
DIGEST_TIME = dt.datetime(2026, 3, 9, 8, 5, tzinfo=dt.UTC)


def alerts_of(w: World, athlete_id: int) -> list[AlertRecord]:
    with session_scope(w.engine, read_only=True) as session:
        return list(
            session.exec(
                select(AlertRecord)
                .where(AlertRecord.athlete_id == athlete_id)
                .order_by(col(AlertRecord.id))
            )
        )


def clearances(w: World, athlete_id: int) -> list[tuple[str, bool]]:
    with session_scope(w.engine, read_only=True) as session:
        rows = session.exec(
            select(Clearance).where(Clearance.athlete_id == athlete_id).order_by(col(Clearance.id))
        )
        return [(c.stage, c.declined) for c in rows]


async def nothing_open_for(w: World, clinician: int, name: str, athlete_id: int) -> None:
    """What ``clinician`` reads shows no open alert on Ben: /athletes and /athlete."""
    user = w.sandbox.user(clinician, name)
    overview = await say(user, "/athletes")
    [line] = [row for row in overview.splitlines() if "Ben" in row]
    assert "open alert" not in line, overview
    card = (await open_card(user, athlete_id)).text or ""
    assert "No open alerts." in card, card


async def test_a_sign_off_by_clear_answers_the_request_for_every_linked_clinician(
    world: WorldFactory,
) -> None:
    w = await world()
    ben_id, _cards = await sign_off_card(w, [LEE, OLSEN])
    lee = w.sandbox.user(LEE, "Lee")
    assert (await say(lee, f"/clear {ben_id}")).startswith("Signed off: Ben may move on.")
    await w.deliver()
    await nothing_open_for(w, LEE, "Lee", ben_id)
    await nothing_open_for(w, OLSEN, "Olsen", ben_id)
    [gate] = alerts_of(w, ben_id)
    lee_id = w.person(LEE).id  # type: ignore[union-attr]
    assert gate.acknowledged_by == lee_id and gate.action_taken == "clear"
    # The Monday digest does not list the request as open either.
    w.clock.set(DIGEST_TIME)
    olsen = w.sandbox.user(OLSEN, "Olsen")
    before = len(olsen.bot_messages)
    await run_digest(w.running.application.bot, w.engine, w.clock)
    [digest] = [
        m.text or ""
        for m in olsen.bot_messages[before:]
        if (m.text or "").startswith("Weekly digest")
    ]
    assert "open alert" not in digest.lower(), digest
    assert "sign-off needed" not in digest, digest


async def test_a_decline_by_its_typed_reason_answers_the_request(world: WorldFactory) -> None:
    """Lee declines on his card (the reason typed next): the request is answered for both
    clinicians; the gate still waits, and Olsen's /clear over it is the sign-off."""
    w = await world()
    ben_id, [lee_card, _olsen_card] = await sign_off_card(w, [LEE, OLSEN])
    lee, olsen = w.sandbox.user(LEE, "Lee"), w.sandbox.user(OLSEN, "Olsen")
    await lee.press("✖️ Decline", lee_card)
    await lee.wait_reply()
    assert "Sign-off declined for Ben" in await say(lee, "still tender on palpation")
    await w.deliver()
    await nothing_open_for(w, OLSEN, "Olsen", ben_id)
    [gate] = alerts_of(w, ben_id)
    assert gate.acknowledged_at is not None and gate.action_taken == "decline"
    # Declined is not signed off: the gate still waits, and says so.
    overview = await say(olsen, "/athletes")
    assert "sign-off waiting" in overview, overview
    assert clearances(w, ben_id) == [("H0", True)]
    w.clock.advance(dt.timedelta(minutes=5))
    assert (await say(olsen, f"/clear {ben_id}")).startswith("Signed off: Ben may move on.")
    assert clearances(w, ben_id) == [("H0", True), ("H0", False)]
    [gate] = alerts_of(w, ben_id)
    assert gate.action_taken == "clear"


async def test_a_decline_by_command_answers_the_request(world: WorldFactory) -> None:
    w = await world()
    ben_id, _cards = await sign_off_card(w, [LEE])
    lee = w.sandbox.user(LEE, "Lee")
    assert "Sign-off declined for Ben" in await say(lee, f"/decline {ben_id} still tender")
    await w.deliver()
    await nothing_open_for(w, LEE, "Lee", ben_id)
    [gate] = alerts_of(w, ben_id)
    assert gate.acknowledged_at is not None and gate.action_taken == "decline"


async def test_a_sign_off_answers_only_the_request_of_the_stage_it_is_given_for(
    world: WorldFactory,
) -> None:
    """A request left open about another stage, and an alert of another kind, stay open: a
    /clear names no card, so it answers only what asked for this sign-off."""
    w = await world()
    ben_id, _cards = await sign_off_card(w, [LEE])
    w.raise_alert(ben_id, "info", "gate.8", "Stage H5 criteria met: sign-off needed to move on.")
    w.raise_alert(ben_id, "within_24h", "H3r1", "Pain 3/10 at 80 % Vmax")
    lee = w.sandbox.user(LEE, "Lee")
    assert (await say(lee, f"/clear {ben_id}")).startswith("Signed off: Ben may move on.")
    card = (await open_card(lee, ben_id)).text or ""
    assert "2 open alerts:" in card, card
    assert "Pain 3/10" in card or "pain" in card.lower(), card
    gate, other_stage, pain = alerts_of(w, ben_id)
    assert gate.acknowledged_at is not None and gate.action_taken == "clear"
    assert other_stage.acknowledged_at is None and other_stage.action_taken is None
    assert pain.acknowledged_at is None and pain.action_taken is None


async def test_a_refused_sign_off_leaves_the_request_open_and_acknowledging_is_no_sign_off(
    world: WorldFactory,
) -> None:
    """Before H0's criteria are met a /clear records nothing and the request stays open;
    pressing ✅ Acknowledge answers it, and the gate still waits for a sign-off."""
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H0")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    w.raise_alert(ben_id, "info", "gate.8", GATE_TEXT)
    await w.escalate()
    card = lee.last_bot_message
    assert (await say(lee, f"/clear {ben_id}")).startswith("Not recorded:")
    [gate] = alerts_of(w, ben_id)
    assert gate.acknowledged_at is None and gate.action_taken is None
    assert clearances(w, ben_id) == []
    await lee.press("✅ Acknowledge", card)
    await lee.wait_until(lambda ms: any("Acknowledged" in (m.text or "") for m in ms))
    assert clearances(w, ben_id) == []
    w.meet_h0_criteria(ben_id)
    assert "sign-off waiting" in await say(lee, "/athletes")


async def test_a_review_given_by_clear_is_never_re_sent_or_handed_to_the_admin(
    world: WorldFactory,
) -> None:
    """Ben reports numbness (a same-day red flag: running stops). Lee reviews him with
    /clear and a note, confirmed, within minutes: nobody is reminded about it afterwards,
    neither Lee (the re-send after 30 minutes) nor the admin (the hand-over after 60)."""
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    admin = w.sandbox.user(ADMIN, "Ada")
    w.report_red_flag(ben_id, "numbness")
    await w.escalate()
    assert "Same day" in (lee.last_bot_message.text or "")
    w.clock.advance(dt.timedelta(minutes=5))
    assert "Confirm the review of Ben" in await say(lee, f"/clear {ben_id} Phoned: all normal")
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("Reviewed: Ben" in (m.text or "") for m in ms))
    lee_before, admin_before = len(lee.bot_messages), len(admin.bot_messages)
    for _ in range(3):
        w.clock.advance(dt.timedelta(minutes=31))
        await w.run_job()
    assert not any("Re-sent" in (m.text or "") for m in lee.bot_messages[lee_before:])
    assert admin.bot_messages[admin_before:] == []
    await nothing_open_for(w, LEE, "Lee", ben_id)
    [flag] = alerts_of(w, ben_id)
    assert flag.acknowledged_by == w.person(LEE).id  # type: ignore[union-attr]
    assert flag.action_taken == "review"


async def test_a_card_pressed_on_another_replica_after_a_clear_finds_nothing_open(
    world: WorldFactory, telegram: BotHarness
) -> None:
    """Lee signs off with /clear; Olsen, on another replica, presses 🟢 Sign off on his card:
    he is told Lee signed off, nothing is recorded twice, and the request is answered."""
    w = await world()
    ben_id, [_lee_card, olsen_card] = await sign_off_card(w, [LEE, OLSEN])
    lee, olsen = w.sandbox.user(LEE, "Lee"), w.sandbox.user(OLSEN, "Olsen")
    assert (await say(lee, f"/clear {ben_id}")).startswith("Signed off: Ben may move on.")
    await w.deliver()
    w.running = await telegram.restart()
    await olsen.press("🟢 Sign off", olsen_card)
    replies = await olsen.wait_until(
        lambda ms: any("Already signed off" in (m.text or "") for m in ms)
    )
    assert "Already signed off by Lee on Mon 2 Mar: nothing changed." in [m.text for m in replies]
    await nothing_open_for(w, OLSEN, "Olsen", ben_id)
    assert clearances(w, ben_id) == [("H0", False)]


async def test_a_review_given_by_clear_reads_as_voided_when_a_later_red_flag_voids_it(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """Anna reports new swelling; Lee reviews her with /clear and a note (she may run from
    tomorrow), then she feels a pop the same day. The swelling's alert reads as reviewed in
    her report, and then as voided, as a review given from the card does."""
    w, lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    anna_id = w.person(ANNA).id  # type: ignore[union-attr]
    await anna.say("/checkin")
    await anna.tap("▫️ New swelling at the injury")
    await anna.tap("Done")
    await w.deliver()
    clock.advance(dt.timedelta(hours=1))
    assert "Confirm the review of Anna" in await say(lee, f"/clear {anna_id} {VOIDED_NOTE}")
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("from tomorrow" in (m.text or "") for m in ms))
    lee_id = w.person(LEE).id  # type: ignore[union-attr]
    with session_scope(services.engine, read_only=True) as session:
        reader = session.get(Person, lee_id)
        data = report_data_for(session, athlete_id=anna_id, now=clock.now(), viewer=reader)
    assert [a.action for a in data.alerts if a.action] == ["Reviewed: may run again"]
    clock.advance(dt.timedelta(hours=3))
    await anna.say("/problem")
    await anna.say("felt something go in the back of my thigh")
    await anna.tap("🚩 Check for warning signs")
    await anna.tap("▫️ Felt a pop or sudden sharp pain")
    await anna.tap("Done")
    await w.deliver()
    with session_scope(services.engine, read_only=True) as session:
        reader = session.get(Person, lee_id)
        data = report_data_for(session, athlete_id=anna_id, now=clock.now(), viewer=reader)
    handled = [a.action for a in data.alerts if a.action]
    assert handled and all("voided" in (action or "") for action in handled), handled
