"""The whole product at once (every handler module): an admin invites a clinician, the clinician
invites two athletes who onboard through the real athlete flow, one reports a red flag and is
stepped back from the alert, the other's sign-off gate is cleared, and an unlinked clinician is
refused."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import select

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox, SimUser
from bot.services.access import REFUSAL_TEXT
from bot.store.db import session_scope
from bot.store.models import Decision, Programme
from tests.athlete.conftest import World as AthleteWorld
from tests.clinician.conftest import ADMIN, open_card
from tests.support.telegram import BotHarness

CLINICIAN, STRANGER, ANNA, BEN = 2001, 2002, 3001, 3002


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply())


async def test_whole_product_with_several_users(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    await telegram.start(services=services)
    w = AthleteWorld(telegram=telegram, sandbox=sandbox, services=services, clock=clock)
    admin = sandbox.user(ADMIN, "Ada")
    lee = sandbox.user(CLINICIAN, "Lee")
    invite = re.search(r"start=(clin_\S+)", await say(admin, "/invite_clinician"))
    assert invite
    assert "You are now a clinician" in await say(lee, f"/start {invite.group(1)}")
    assert {"athletes", "athlete", "invite", "stepback"} <= set(lee.commands)
    assert "/protocol" in await say(admin, "/start")
    assert {"invite_clinician", "protocols", "protocol"} <= set(admin.commands)
    assert "athletes" not in set(w.phone(4242, "Newcomer").user.commands)

    codes = []
    for _ in range(2):
        link = re.search(r"\?start=(\S+)", await say(lee, "/invite"))
        assert link
        codes.append(link.group(1))
    anna, ben = w.phone(ANNA, "Anna"), w.phone(BEN, "Ben")
    await anna.onboard(code=codes[0])
    await ben.onboard(code=codes[1])
    overview = await say(lee, "/athletes")
    assert "Anna" in overview and "Ben" in overview
    anna_id = w.person(ANNA).id  # type: ignore[union-attr]
    ben_id = w.person(BEN).id  # type: ignore[union-attr]

    assert "Anna set to H2" in await say(lee, f"/stage {anna_id} H2 scan reviewed")
    await anna.say("/checkin")
    await anna.tap("▫️ Felt a pop or sudden sharp pain")
    await anna.tap("Done")
    await w.deliver()
    alert = lee.last_bot_message
    assert "red_flags=pop" in (alert.text or "") and "Red flag (a pop" in (alert.text or "")
    assert "Anna" in (alert.text or "") and "stage H2" in (alert.text or ""), alert.text
    # The card raised by the check-in itself already knows the red-flag stop it caused.
    assert "Running is stopped until a clinician has reviewed" in (alert.text or ""), alert.text
    assert "🩺 Reviewed: may run again" in alert.button_labels
    await lee.press("↩️ Step back")
    await lee.wait_until(lambda ms: any("Anna stepped back H2 → H1" in (m.text or "") for m in ms))
    await w.deliver()
    notice, chart = anna.user.bot_messages[-2:]
    assert "moved you back from H2 to H1" in (notice.text or "")
    assert chart.file is not None and "Stage H2 → H1" in (chart.text or "")
    stopped = await open_card(lee, anna_id)
    assert "No running until the clinician has reviewed" in (stopped.text or "")
    await lee.press("🩺 Reviewed: may run again")
    await lee.wait_until(
        lambda ms: any(
            "Review recorded for Anna: they may run again from tomorrow" in (m.text or "")
            for m in ms
        )
    )
    await w.deliver()
    assert "has reviewed you: you may train again from tomorrow, at stage H1" in anna.last
    reviewed = await open_card(lee, anna_id)
    card = reviewed.text or ""
    assert "No running until" not in card and "Reviewed: running may resume from" in card
    assert "🩺 Reviewed: may run again" not in reviewed.button_labels

    card = (await open_card(lee, ben_id)).text or ""
    assert "Sign-off: waiting for a clinician" in card
    await lee.press("🟢 Clear gate")
    await lee.wait_until(lambda ms: any("Gate cleared for Ben" in (m.text or "") for m in ms))
    await w.deliver()
    assert "cleared you to leave H0" in ben.last
    await ben.morning()
    with session_scope(w.engine, read_only=True) as session:
        decisions = session.exec(select(Decision).where(Decision.athlete_id == ben_id)).all()
        reasons = [r["rule"] for d in decisions for r in d.decision["reasons"]]
        programme = session.exec(select(Programme).where(Programme.athlete_id == anna_id)).one()
    assert programme.current_stage == "H1"
    assert "clinician.clear" in reasons, reasons

    stranger = sandbox.user(STRANGER, "Sam")
    invite2 = re.search(r"start=(clin_\S+)", await say(admin, "/invite_clinician"))
    assert invite2
    await say(stranger, f"/start {invite2.group(1)}")
    assert await say(stranger, f"/athlete {anna_id}") == REFUSAL_TEXT
    assert await say(stranger, f"/athlete {ben_id}") == REFUSAL_TEXT

    # The next day the review has lifted the red-flag stop in the engine.
    clock.advance(dt.timedelta(days=1))
    await anna.morning()
    next_day = (await open_card(lee, anna_id)).text or ""
    assert "No running until" not in next_day and "Reviewed: running may resume" not in next_day
