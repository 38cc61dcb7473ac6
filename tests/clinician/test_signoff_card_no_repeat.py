"""The first stage's sign-off card does not say twice what the protocol's note says.

The sign-off request's line quotes the protocol's note ("… sign-off needed to move on
(Clinician-entered diagnosis, grade, mechanism and muscle; red flags excluded
(eligibility))"); the athlete's own account closed with "Your sign-off confirms this
diagnosis and that red flags are excluded", the note's words again. Where the note is on the
card (the alert, and /athlete while the request is open) the account now closes with only
what the note does not say: that the account is what the sign-off confirms. Where the note
is not on the card (/athlete once the request is acknowledged) the full line stays. Through
the sandbox (the real Application over HTTP), asserting what the clinician reads.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox
from bot.store.db import session_scope
from bot.store.repo.answers import upsert_checks
from engine.models import Checks
from tests.athlete.conftest import CLINICIAN_ID
from tests.athlete.conftest import World as AthleteWorld
from tests.clinician.conftest import open_card
from tests.clinician.test_card_diagnosis_signoff import ACCOUNT_HEAD, SAM, _onboard
from tests.support.telegram import BotHarness

NOTE = "Clinician-entered diagnosis, grade, mechanism and muscle; red flags excluded"
SHORT = (
    "Your sign-off confirms this account as the diagnosis: sign off once you have assessed the "
    "athlete."
)
FULL = (
    "Your sign-off confirms this diagnosis and that red flags are excluded: sign off once you "
    "have assessed the athlete."
)


def red_flags(text: str) -> int:
    return text.lower().count("red flags")


async def test_the_diagnosis_sign_off_says_the_protocols_note_once(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    await telegram.start(services=services)
    w = AthleteWorld(telegram=telegram, sandbox=sandbox, services=services, clock=clock)
    lee = sandbox.user(CLINICIAN_ID, "Lee")
    sam = w.phone(SAM, "Sam")
    await _onboard(sam, w.clinician_invite("Dr Lee"))
    sam_id = w.person(SAM).id  # type: ignore[union-attr]
    assert sam_id is not None
    today = clock.now().astimezone(ZoneInfo("Europe/Berlin")).date()
    with session_scope(w.engine) as session:
        upsert_checks(
            session,
            athlete_id=sam_id,
            local_date=today,
            answers=Checks(walk_pain=1),
            answered_at=clock.now(),
            utc_offset_minutes=60,
        )
    clock.advance(dt.timedelta(days=1))
    await sam.morning()
    await w.deliver()

    # The request: the note once, then the account, closing without the note's words.
    [alert] = [m for m in lee.bot_messages if (m.text or "").startswith("🟢 Sign-off needed")]
    text = alert.text or ""
    assert NOTE in text and ACCOUNT_HEAD in text, text
    assert text.index(NOTE) < text.index(ACCOUNT_HEAD), text
    assert SHORT in text and FULL not in text, text
    assert red_flags(text) == 1, text

    # /athlete while the request is open: the open alert quotes the note.
    shown = (await open_card(lee, sam_id)).text or ""
    assert NOTE in shown and ACCOUNT_HEAD in shown, shown
    assert SHORT in shown and FULL not in shown, shown
    assert red_flags(shown) == 1, shown

    # Acknowledged, the request is no longer on /athlete: the account says it all.
    await lee.press("✅ Acknowledge", alert)
    await lee.wait_until(lambda ms: any("Acknowledged" in (m.text or "") for m in ms))
    later = (await open_card(lee, sam_id)).text or ""
    assert NOTE not in later and ACCOUNT_HEAD in later, later
    assert FULL in later and SHORT not in later, later
