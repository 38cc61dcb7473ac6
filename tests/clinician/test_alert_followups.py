"""What follows a first alert: a new red flag later the same day, a second alert while one
clinician's card still waits for its retry, a decline typed after the stage moved, and a card
button pressed after it grew too old. End to end through the Bot API sandbox, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox
from bot.sandbox.state import TranscriptMessage
from bot.services.access import REFUSAL_TEXT
from bot.services.clinician.buttons import ACT_ACK
from bot.store.db import session_scope
from bot.store.models import ALERT_KIND, AlertRecord, Clearance, Outbox
from bot.store.repo.links import unlink_athlete
from tests.athlete.conftest import CLINICIAN_ID, Phone
from tests.athlete.conftest import World as AthleteWorld
from tests.clinician.conftest import World
from tests.clinician.test_clinician_flow import link, make_clinician, say
from tests.support.telegram import BotHarness

WorldFactory = Callable[[], Awaitable[World]]
AthleteWorldFactory = Callable[[], Awaitable[AthleteWorld]]
LEE, OLSEN, ANNA, BEN = 2001, 2002, 3001, 3002
STALE = (
    "The athlete's stage has changed since this message: nothing was done. "
    "Open /athlete for the current state."
)
TOO_OLD = "This button is too old: send /athlete for the current state."


@pytest.fixture
def athlete_world(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> AthleteWorldFactory:
    """Return ``await athlete_world()``: every handler module (the athlete's too) on this
    suite's store, SQLite then PostgreSQL."""

    async def start() -> AthleteWorld:
        await telegram.start(services=services)
        return AthleteWorld(telegram=telegram, sandbox=sandbox, services=services, clock=clock)

    return start


def alert_cards(messages: list[TranscriptMessage]) -> list[str]:
    """The texts of the alert cards among ``messages`` (a forwarded note has no buttons)."""
    return [m.text or "" for m in messages if "✅ Acknowledge" in m.button_labels]


async def popped_in_the_morning(w: AthleteWorld) -> tuple[Phone, int]:
    """Alex, linked to Dr Kim, reports a pop at the morning check-in; Kim gets its card."""
    code = w.clinician_invite("Dr Kim")
    kim = w.sandbox.user(CLINICIAN_ID, "Kim")  # Kim's chat exists before any card is sent
    alex = w.phone(1001, "Alex")
    await alex.onboard(code=code)
    person = w.person(1001)
    assert person is not None and person.id is not None
    await alex.say("/checkin")
    await alex.tap("▫️ Felt a pop or sudden sharp pain")
    await alex.tap("Done")
    await w.deliver()
    [card] = alert_cards(kim.bot_messages)
    assert "pop" in card and "warm, red or swollen" not in card, card
    return alex, person.id


async def problem_with_sign(alex: Phone, sign: str) -> None:
    """Later the same day, Alex ticks a warning sign through /problem."""
    await alex.say("/problem")
    await alex.say("something is wrong with my leg")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap(sign)
    replies = await alex.tap("Done")
    assert any("clinician has been messaged" in (m.text or "") for m in replies), [
        m.text for m in replies
    ]


def stored_alerts(w: AthleteWorld, athlete_id: int) -> list[AlertRecord]:
    """The athlete's alerts, oldest first."""
    with session_scope(w.engine, read_only=True) as session:
        return list(
            session.exec(
                select(AlertRecord)
                .where(AlertRecord.athlete_id == athlete_id)
                .order_by(col(AlertRecord.id))
            )
        )


async def test_a_new_red_flag_of_the_same_tier_later_that_day_reaches_the_clinician(
    athlete_world: AthleteWorldFactory,
) -> None:
    """Morning: a pop (tier 2). Afternoon, /problem: a warm, red, swollen calf (also tier 2,
    a possible DVT). The clinician gets a new card naming the calf at once."""
    w = await athlete_world()
    alex, athlete_id = await popped_in_the_morning(w)
    kim = w.sandbox.user(CLINICIAN_ID, "Kim")
    before = len(kim.bot_messages)
    w.clock.advance(dt.timedelta(hours=6))
    await problem_with_sign(alex, "▫️ Calf warm, red or swollen")
    await w.deliver()

    alerts = stored_alerts(w, athlete_id)
    assert [a.rule for a in alerts] == ["redflag.tier2", "redflag.tier2"]
    assert "warm, red or swollen calf" in alerts[1].text
    [card] = alert_cards(kim.bot_messages[before:])
    assert card.startswith("🔴 Same day · Alex"), card
    assert "a warm, red or swollen calf" in card, card


async def test_the_same_red_flag_reported_again_that_day_is_not_alerted_twice(
    athlete_world: AthleteWorldFactory,
) -> None:
    """The pop ticked again through /problem decides the day again with exactly the same
    signs: the clinician already has that card, so none follows."""
    w = await athlete_world()
    alex, athlete_id = await popped_in_the_morning(w)
    kim = w.sandbox.user(CLINICIAN_ID, "Kim")
    before = len(kim.bot_messages)
    w.clock.advance(dt.timedelta(hours=2))
    await problem_with_sign(alex, "▫️ Felt a pop or sudden sharp pain")
    await w.deliver()

    assert len(stored_alerts(w, athlete_id)) == 1
    assert alert_cards(kim.bot_messages[before:]) == []


async def test_a_second_alert_reaches_every_clinician_while_one_card_waits_for_its_retry(
    world: WorldFactory,
) -> None:
    """Two clinicians. The first card reaches Lee; Olsen's send fails (transient) and waits
    for its retry. A more severe alert 3 minutes later reaches Lee as a new card, and Olsen's
    waiting card is rewritten to cover both (its retry kept): each gets it once."""
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna")
    lee = await make_clinician(w, LEE, "Lee")
    olsen = await make_clinician(w, OLSEN, "Olsen")
    anna = w.sandbox.user(ANNA, "Anna")
    await link(w, lee, anna)
    await link(w, olsen, anna)
    w.raise_alert(anna_id, "within_24h", "red_flag.night_pain", "Night pain")
    with session_scope(w.engine) as session:
        assert w.notifier()(session, anna_id, w.clock.now()) == 2
    w.sandbox.fail_next("sendMessage", status=500, chat_id=OLSEN)
    await w.deliver()
    assert [t for t in alert_cards(lee.bot_messages) if "Night pain" in t]
    assert not alert_cards(olsen.bot_messages)
    lee_before = len(lee.bot_messages)

    w.clock.advance(dt.timedelta(minutes=3))
    w.raise_alert(anna_id, "emergency", "redflag.tier1", "Chest pain and breathlessness")
    with session_scope(w.engine) as session:
        assert w.notifier()(session, anna_id, w.clock.now()) == 2
    with session_scope(w.engine, read_only=True) as session:
        [waiting] = session.exec(
            select(Outbox).where(Outbox.chat_id == OLSEN, Outbox.kind == ALERT_KIND)
        ).all()
        assert waiting.status == "pending" and waiting.attempts == 1
        assert "Chest pain" in waiting.text and "Night pain" in waiting.text
    await w.deliver()
    await w.escalate()  # the escalation job's safety net finds nothing more to send

    lee_new = alert_cards(lee.bot_messages[lee_before:])
    assert len(lee_new) == 1 and lee_new[0].startswith("🚨 Emergency · Anna"), lee_new
    assert "Chest pain" in lee_new[0] and "Night pain" in lee_new[0]
    olsen_cards = alert_cards(olsen.bot_messages)
    assert len(olsen_cards) == 1, olsen_cards
    assert "Chest pain" in olsen_cards[0] and "Night pain" in olsen_cards[0]


async def sign_off_card(w: World, clinicians: list[int]) -> tuple[int, list[TranscriptMessage]]:
    """Ben at H0 with its criteria met and the sign-off alert sent to ``clinicians`` (each
    linked); return Ben's id and each clinician's card."""
    ben_id = w.add_athlete(BEN, "Ben", stage="H0")
    ben = w.sandbox.user(BEN, "Ben")
    names = {LEE: "Lee", OLSEN: "Olsen"}
    users = [await make_clinician(w, tid, names[tid]) for tid in clinicians]
    for user in users:
        await link(w, user, ben)
    w.meet_h0_criteria(ben_id)
    w.raise_alert(ben_id, "info", "gate.8", "Stage H0 criteria met: sign-off needed to move on.")
    await w.escalate()
    cards = [user.last_bot_message for user in users]
    assert all("✖️ Decline" in card.button_labels for card in cards)
    return ben_id, cards


def clearances(w: World, athlete_id: int) -> list[Clearance]:
    """The athlete's sign-offs and refusals."""
    with session_scope(w.engine, read_only=True) as session:
        return list(session.exec(select(Clearance).where(Clearance.athlete_id == athlete_id)))


async def test_a_decline_reason_typed_after_the_stage_moved_records_nothing(
    world: WorldFactory,
) -> None:
    """Lee presses Decline on Ben's H0 sign-off card; before the reason, Ben is moved to H1.
    The reason then records no refusal (none for H1, where no sign-off was asked) and Ben is
    told nothing; Lee reads that the card is stale."""
    w = await world()
    ben_id, [card] = await sign_off_card(w, [LEE])
    lee, ben = w.sandbox.user(LEE, "Lee"), w.sandbox.user(BEN, "Ben")
    await lee.press("✖️ Decline", card)
    assert "Write why you decline" in (await lee.wait_reply())[0].text  # type: ignore[operator]
    assert "moved to H1" in await say(lee, f"/stage {ben_id} H1 seen in clinic")

    assert await say(lee, "still tender on palpation") == STALE
    await w.deliver()
    assert clearances(w, ben_id) == []
    assert not [m for m in ben.bot_messages if "not given their OK" in (m.text or "")]
    assert w.audit("decline") == []


async def test_a_decline_reason_typed_after_another_clinician_signed_off_records_nothing(
    world: WorldFactory,
) -> None:
    """Lee presses Decline; Olsen signs off on his own card first. Lee's reason, typed next,
    finds no sign-off waiting: nothing is declined, only Olsen's sign-off stands."""
    w = await world()
    ben_id, [lee_card, olsen_card] = await sign_off_card(w, [LEE, OLSEN])
    lee, olsen = w.sandbox.user(LEE, "Lee"), w.sandbox.user(OLSEN, "Olsen")
    await lee.press("✖️ Decline", lee_card)
    await lee.wait_reply()
    await olsen.press("🟢 Sign off", olsen_card)
    assert any("Signed off" in (m.text or "") for m in await olsen.wait_reply())

    assert await say(lee, "still tender on palpation") == STALE
    assert [(c.stage, c.declined) for c in clearances(w, ben_id)] == [("H0", False)]


async def test_decline_pressed_on_a_card_whose_stage_moved_is_refused_at_once(
    world: WorldFactory,
) -> None:
    """Ben is moved from H0 to H5, whose sign-off waits too: Decline on the H0 card asks for
    no reason, the card is stale."""
    w = await world()
    ben_id, [card] = await sign_off_card(w, [LEE])
    lee = w.sandbox.user(LEE, "Lee")
    assert "skips" in await say(lee, f"/stage {ben_id} H5 seen in clinic")
    await lee.press("✅ Change the stage")
    assert any("moved to H5" in (m.text or "") for m in await lee.wait_reply())
    await lee.press("✖️ Decline", card)
    await lee.wait_until(lambda ms: lee.last_callback_answer is not None, timeout=5)
    answer = lee.last_callback_answer
    assert answer is not None and answer.text == STALE, answer
    assert clearances(w, ben_id) == []


async def old_card(w: World) -> tuple[int, TranscriptMessage]:
    """Anna's red-flag card reaches Lee; 31 days pass (buttons last 30)."""
    anna_id = w.add_athlete(ANNA, "Anna")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(ANNA, "Anna"))
    w.raise_alert(anna_id, "same_day", "red_flag.pop", "Felt a pop")
    await w.escalate()
    card = lee.last_bot_message
    assert "✅ Acknowledge" in card.button_labels
    w.clock.advance(dt.timedelta(days=31))
    return anna_id, card


def acknowledged(w: World, athlete_id: int) -> list[AlertRecord]:
    """The athlete's acknowledged alerts."""
    with session_scope(w.engine, read_only=True) as session:
        return list(
            session.exec(
                select(AlertRecord).where(
                    AlertRecord.athlete_id == athlete_id,
                    col(AlertRecord.acknowledged_at).is_not(None),
                )
            )
        )


async def test_an_old_card_button_tells_its_linked_clinician_it_is_too_old(
    world: WorldFactory,
) -> None:
    """Lee (linked) presses Acknowledge on a 31-day-old card: a pop-up says the button is
    too old (open /athlete), not that Lee has no access; nothing is acknowledged."""
    w = await world()
    anna_id, card = await old_card(w)
    lee = w.sandbox.user(LEE, "Lee")
    await lee.press("✅ Acknowledge", card)
    await lee.expect_no_reply()
    answer = lee.last_callback_answer
    assert answer is not None and answer.text == TOO_OLD and answer.show_alert
    assert acknowledged(w, anna_id) == []
    assert not [r for r in w.audit("refused") if r.actor_id is not None]


async def test_an_old_card_button_still_refuses_without_access_or_when_forged(
    world: WorldFactory,
) -> None:
    """The same old button, pressed by Olsen (not linked; the data is made for Lee), and by
    Lee after Anna stopped sharing with him: the neutral refusal, as for any stranger."""
    w = await world()
    anna_id, card = await old_card(w)
    lee = w.sandbox.user(LEE, "Lee")
    olsen = await make_clinician(w, OLSEN, "Olsen")
    [data] = [d for d in card.callback_data if d.startswith(f"{ACT_ACK}:")]
    await olsen.press_data(data, olsen.last_bot_message)
    await olsen.expect_no_reply()
    assert olsen.last_callback_answer is not None
    assert olsen.last_callback_answer.text == REFUSAL_TEXT

    lee_person = w.person(LEE)
    assert lee_person is not None and lee_person.id is not None
    with session_scope(w.engine) as session:
        assert unlink_athlete(session, athlete_id=anna_id, clinician_id=lee_person.id)
    await lee.press("✅ Acknowledge", card)
    await lee.expect_no_reply()
    assert lee.last_callback_answer is not None
    assert lee.last_callback_answer.text == REFUSAL_TEXT
    assert [r.detail["reason"] for r in w.audit("refused")][-2:] == [
        "callback: signature does not match the presser",
        "callback: button has expired",
    ]
    assert acknowledged(w, anna_id) == []
