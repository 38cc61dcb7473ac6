"""Two clinician texts read at a glance between patients.

A same-day alert was headed "🔴 Today", which reads as a date (the card's next lines are a
time and "Today: <answers>"): it now says how urgent it is, "🔴 Same day", beside
"🚨 Emergency" and "🟠 Within 24 h", on the alert card, on the /athlete card's open alerts and
under a note the athlete sends. A sign-off given over another clinician's decline said "Lee
had declined this sign-off on Mon 2 Mar, and is told of yours": it now says plainly that Lee
declined and has been told the sign-off was given (he is, while he follows the athlete; one no
longer linked is not, and the line does not say so). End to end through the Bot API sandbox,
on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from bot.store.db import session_scope
from bot.store.repo.links import unlink_athlete
from tests.athlete.conftest import CLINICIAN_ID
from tests.clinician.conftest import open_card
from tests.clinician.test_alert_followups import (
    LEE,
    OLSEN,
    AthleteWorldFactory,
    WorldFactory,
    alert_cards,
    athlete_world,
    popped_in_the_morning,
    sign_off_card,
)
from tests.clinician.test_clinician_flow import say

__all__ = ["athlete_world"]

NOTE = "the back of my thigh still feels odd when I walk"


async def test_a_same_day_alert_says_same_day_wherever_the_clinician_reads_it(
    athlete_world: AthleteWorldFactory,
) -> None:
    w = await athlete_world()
    alex, alex_id = await popped_in_the_morning(w)
    kim = w.sandbox.user(CLINICIAN_ID, "Kim")
    # The alert card's headline: how urgent, then who.
    [card] = alert_cards(kim.bot_messages)
    assert card.startswith("🔴 Same day · Alex\n"), card
    assert "🔴 Today" not in card, card
    # The /athlete card lists the open alert with the same words after its date and time.
    athlete_card = (await open_card(kim, alex_id)).text or ""
    [listed] = [line for line in athlete_card.splitlines() if "🔴" in line and "•" in line]
    assert " 🔴 Same day: " in listed, athlete_card
    assert "🔴 Today" not in athlete_card, athlete_card
    # A note Alex writes two hours later carries the open alert, said the same way.
    w.clock.advance(dt.timedelta(hours=2))
    await alex.say(NOTE)
    await alex.tap("💬 Tell my clinician")
    await w.deliver()
    [told] = [m.text or "" for m in kim.bot_messages if NOTE in (m.text or "")]
    assert "\n  • 🔴 Same day · 2 hours ago: " in told, told
    assert "🔴 Today" not in told, told


async def test_a_sign_off_over_a_linked_clinicians_decline_says_he_has_been_told(
    world: WorldFactory,
) -> None:
    w = await world()
    _ben_id, [lee_card, olsen_card] = await sign_off_card(w, [LEE, OLSEN])
    lee, olsen = w.sandbox.user(LEE, "Lee"), w.sandbox.user(OLSEN, "Olsen")
    await lee.press("✖️ Decline", lee_card)
    await lee.wait_reply()
    assert "Sign-off declined for Ben" in await say(lee, "still tender on palpation")
    await w.deliver()
    w.clock.advance(dt.timedelta(minutes=2))
    await olsen.press("🟢 Sign off", olsen_card)
    replies = await olsen.wait_until(lambda ms: any("Signed off" in (m.text or "") for m in ms))
    assert (
        "Signed off: Ben may move on. They have been told.\n"
        "Lee declined this sign-off on Mon 2 Mar and has been told you gave it.\n"
        "Reason: still tender on palpation"
    ) in [m.text for m in replies]
    # What the line says happens: Lee is told.
    await w.deliver()
    assert "Olsen signed off Ben at H0 · Triage & protection: they may move on." in [
        m.text for m in lee.bot_messages
    ]


async def test_a_sign_off_over_an_unlinked_clinicians_decline_names_the_decline_only(
    world: WorldFactory,
) -> None:
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
