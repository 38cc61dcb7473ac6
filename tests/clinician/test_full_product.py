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
from bot.store.models import AuditLog, Decision, Programme
from bot.store.repo.answers import upsert_checks
from engine.models import Checks
from tests.athlete.conftest import World as AthleteWorld
from tests.clinician.conftest import ADMIN, open_card
from tests.support.telegram import BotHarness

CLINICIAN, STRANGER, ANNA, BEN = 2001, 2002, 3001, 3002


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply())


def _reviews(w: AthleteWorld) -> int:
    with session_scope(w.engine, read_only=True) as session:
        return len(session.exec(select(AuditLog).where(AuditLog.action == "review")).all())


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

    asked = await say(lee, f"/stage {anna_id} H2 scan reviewed")
    assert "This skips 1 stage" in asked  # two stages at once: confirmed first
    await lee.press("✅ Change the stage")
    await lee.wait_until(
        lambda ms: any("Anna moved to H2 · Return to running" in (m.text or "") for m in ms)
    )
    await anna.say("/checkin")
    await anna.tap("▫️ Felt a pop or sudden sharp pain")
    await anna.tap("Done")
    await w.deliver()
    alert = lee.last_bot_message
    text = alert.text or ""
    assert text.startswith("🔴 Same day · Anna\n"), text  # name and severity first
    # The sign is named once, by the alert's line; never as the answer's key.
    assert "athlete reported a pop or sudden sharp pain" in text and "red_flags" not in text
    assert text.count("a pop or sudden sharp pain") == 1, text
    assert "Stage: H2 · " in text
    # The card raised by the check-in itself already knows the red-flag stop it caused.
    assert "⛔ Running is stopped until you review Anna." in text
    assert "🩺 Reviewed: may run again" in alert.button_labels
    assert "🟢 Sign off" not in alert.button_labels
    # A step back would lift the stop (the engine takes it as a review): not offered.
    assert "↩️ Step back" not in alert.button_labels
    stopped = await open_card(lee, anna_id)
    assert "↩️ Step back" not in stopped.button_labels
    assert "⛔ Running stopped after a red flag: waiting for your review." in (stopped.text or "")
    # The review asks a note, then a confirmation; nothing is recorded before.
    await lee.press("🩺 Reviewed: may run again", stopped)
    [prompt] = await lee.wait_reply()
    assert "Write one line for the record" in (prompt.text or "")
    confirm = await say(lee, "Seen in clinic: no nerve involvement")
    assert "Confirm the review of Anna: running may start again from tomorrow" in confirm
    assert _reviews(w) == 0
    await lee.press("✅ Confirm review")
    await lee.wait_until(
        lambda ms: any("Reviewed: Anna may run again from tomorrow" in (m.text or "") for m in ms)
    )
    assert _reviews(w) == 1
    await w.deliver()
    assert "may train again from tomorrow, at Stage 3 of 8" in anna.last
    assert "Seen in clinic: no nerve involvement" in anna.last
    reviewed = await open_card(lee, anna_id)
    card = reviewed.text or ""
    assert "Running stopped" not in card and "🩺 Reviewed: running may start again on" in card
    assert "🩺 Reviewed: may run again" not in reviewed.button_labels
    # Reviewed from tomorrow: a step back dated today would lift the stop a day early.
    assert await say(lee, f"/stepback {anna_id} ease back in after the pop") == (
        "Not changed: your review lets Anna run again from Tue 3 Mar; step back or change "
        "the stage from then."
    )

    with session_scope(w.engine) as session:
        upsert_checks(
            session,
            athlete_id=ben_id,
            local_date=clock.now().date(),
            answers=Checks(walk_pain=0),
            answered_at=clock.now(),
            utc_offset_minutes=0,
        )
    card = (await open_card(lee, ben_id)).text or ""
    assert "Sign-off: the criteria are met, your sign-off is needed." in card
    await lee.press("🟢 Sign off")
    await lee.wait_until(
        lambda ms: any("Signed off: Ben may move on" in (m.text or "") for m in ms)
    )
    await w.deliver()
    assert "Lee has given their OK to move on from Stage 1 of 8" in ben.last
    await ben.morning()
    with session_scope(w.engine, read_only=True) as session:
        decisions = session.exec(select(Decision).where(Decision.athlete_id == ben_id)).all()
        reasons = [r["rule"] for d in decisions for r in d.decision["reasons"]]
        programme = session.exec(select(Programme).where(Programme.athlete_id == anna_id)).one()
    assert programme.current_stage == "H2"
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
    assert "Running stopped" not in next_day and "Reviewed: running may start again" not in next_day
    # From the review's day, the step back is Lee's to make.
    assert (
        "Anna stepped back H2 · Return to running, jog → ~65 % Vmax → H1 · Early loading"
        in await say(lee, f"/stepback {anna_id} ease back in after the pop")
    )
    await w.deliver()
    notice, chart = anna.user.bot_messages[-2:]
    assert "moved you back to Stage 2 of 8" in (notice.text or "")
    assert chart.file is not None and "Now at Stage 2 of 8" in (chart.text or "")
