"""A publish or a rollback that takes away a clinician sign-off an athlete is waiting for,
attacked through the real bot (SQLite and PostgreSQL).

An admin added a sign-off to leave H3 (v2); Anna is in H3 and her clinician has not signed her
off. A draft without that sign-off, or a rollback to v1 (which never had it), would let her
next decision move her on without any clearance: the engine reads the gate from the version
in force. The dry-run says so before publishing, and the publish and the rollback are refused
until her clinician has signed her off (or moved her), naming the stage and what to do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.sandbox import SimUser
from bot.store.db import session_scope
from bot.store.models import ProtocolVersion
from bot.store.repo.people import create_person
from bot.store.repo.programme import record_clearance
from tests.clinician.conftest import ADMIN, World

WorldFactory = Callable[[], Awaitable[World]]
GATE_DROPPED = (
    "hamstring: the new text no longer asks for a clinician's sign-off to leave H3, but 1 "
    "athlete in H3 has not been signed off yet: keep the sign-off until their clinician has "
    "signed them off or moved them"
)
# The same refusal for a rollback, whose text cannot be kept as it is: the way out is to wait
# for the sign-off, or to roll back to a version that asks for it.
GATE_DROPPED_BY_ROLLBACK = (
    "hamstring: v1 does not ask for a clinician's sign-off to leave H3, but 1 athlete in H3 is "
    "waiting for one: roll back once their clinician has signed them off or moved them, or to "
    "a version that asks for it (/protocol history hamstring)"
)


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


async def press_publish(admin: SimUser) -> str:
    await admin.press("✅ Publish")
    found = await admin.wait_until(
        lambda ms: any("ublished" in (m.text or "") for m in ms), timeout=15
    )
    return "\n".join(m.text or "" for m in found)


def versions(w: World) -> list[tuple[int, bool]]:
    with session_scope(w.engine, read_only=True) as session:
        rows = session.exec(select(ProtocolVersion).where(ProtocolVersion.name == "hamstring"))
        return sorted((r.version, r.active) for r in rows)


async def test_a_sign_off_an_athlete_waits_for_is_not_taken_away(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    assert "Draft of" in await say(admin, "/protocol set hamstring H3 signoff required")
    assert "v2 is published" in await press_publish(admin)
    anna = w.add_athlete(3001, "Anna", stage="H3")  # on v2: H3 needs a sign-off
    w.add_athlete(3002, "Ben", stage="H2")  # not at the gate: no concern

    # A draft without the sign-off: the dry-run warns first, then Publish is refused.
    assert "Draft of" in await say(admin, "/protocol set hamstring H3 signoff none")
    dry = await say(admin, "/protocol dryrun hamstring")
    assert "⚠️ " + GATE_DROPPED in dry, dry
    reply = await press_publish(admin)
    assert "Not published: " + GATE_DROPPED in reply, reply
    assert versions(w) == [(1, False), (2, True)]

    # Rolling back to v1, which never had the sign-off, would do the same.
    reply = await say(admin, "/protocol rollback hamstring 1")
    assert reply == "Not accepted; the active version is unchanged.\n" + GATE_DROPPED_BY_ROLLBACK
    assert versions(w) == [(1, False), (2, True)]

    # Once her clinician has signed her off, the sign-off may go.
    w.clock.advance(dt.timedelta(minutes=5))
    now = w.clock.now()
    with session_scope(w.engine) as session:
        clinician = create_person(
            session,
            role="clinician",
            telegram_user_id=5001,
            chat_id=5001,
            display_name="Dr Lee",
            now=now,
        )
        assert clinician.id is not None
        record_clearance(
            session,
            athlete_id=anna,
            stage="H3",
            clinician_id=clinician.id,
            local_date=now.date(),
            now=now,
        )
    assert "Roll hamstring back to v1?" in await say(admin, "/protocol rollback hamstring 1")
    await admin.press("✅ Confirm rollback")
    found = await admin.wait_until(
        lambda ms: any("is published again" in (m.text or "") for m in ms)
    )
    reply = "\n".join(m.text or "" for m in found)
    assert "published again as v3" in reply, reply
    assert versions(w) == [(1, False), (2, False), (3, True)]


async def test_an_early_sign_off_an_athlete_waits_for_is_not_taken_away(
    world: WorldFactory,
) -> None:
    """The early sign-off (sprinting before half the expected time): Anna, grade 1, injured 10
    days ago, is in H4. Under v1 (17 days expected for grade 1) H5 needs no confirmation on day
    10; v2 expects 30 days, so her clinician must confirm H5 until day 15. Going back to 17
    days (a set, or a rollback to v1) would let her sprint on day 10 unconfirmed."""
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    reply = await say(
        admin, "/protocol set hamstring - expected_rtp_days {0: 8, 1: 30, 2: 22, 3: 73}"
    )
    assert "Draft of" in reply, reply
    assert "v2 is published" in await press_publish(admin)
    w.add_athlete(3001, "Anna", stage="H4")
    w.add_athlete(3002, "Ben", stage="H3")  # not before H5: no concern
    early = GATE_DROPPED.replace("H3", "H4")

    reply = await say(
        admin, "/protocol set hamstring - expected_rtp_days {0: 8, 1: 17, 2: 22, 3: 73}"
    )
    assert "Draft of" in reply, reply
    assert "⚠️ " + early in await say(admin, "/protocol dryrun hamstring")
    assert "Not published: " + early in await press_publish(admin)
    reply = await say(admin, "/protocol rollback hamstring 1")
    assert reply == "Not accepted; the active version is unchanged.\n" + (
        GATE_DROPPED_BY_ROLLBACK.replace("H3", "H4")
    ), reply
    assert versions(w) == [(1, False), (2, True)]

    # A stricter change (35 days) keeps the confirmation: published.
    reply = await say(
        admin, "/protocol set hamstring - expected_rtp_days {0: 8, 1: 35, 2: 22, 3: 73}"
    )
    assert "v3 is published" in await press_publish(admin), reply
