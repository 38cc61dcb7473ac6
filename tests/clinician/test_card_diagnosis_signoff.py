"""The first stage's sign-off confirms a diagnosis that no clinician has entered anywhere: the
sign-off card (the alert and /athlete) shows what the athlete reported at sign-up (side and
muscle, grade or "not known", date, mechanism, sport) and says it is the athlete's own
account, so the clinician confirms something they can read. Through the sandbox (the real
Application over HTTP), on SQLite and PostgreSQL, asserting what the clinician reads."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox
from bot.store.db import session_scope
from bot.store.repo.answers import upsert_checks
from engine.models import Checks
from tests.athlete.conftest import CLINICIAN_ID, Phone
from tests.athlete.conftest import World as AthleteWorld
from tests.clinician.conftest import open_card
from tests.support.telegram import BotHarness

SAM = 3101
ACCOUNT_HEAD = (
    "📋 No clinician has entered a diagnosis. What the athlete reported at sign-up "
    "(their own account):"
)
# The sign-off request above quotes the protocol's note (a diagnosis, red flags excluded):
# the account closes with what the note does not say (test_signoff_card_no_repeat).
CONFIRMS = (
    "Your sign-off confirms this account as the diagnosis: sign off once you have assessed the "
    "athlete."
)


async def _onboard(sam: Phone, code: str) -> None:
    """Sign-up as an athlete who knows the muscle but not the grade."""
    await sam.say(f"/start {code}")
    await sam.tap("I agree")
    await sam.tap("I agree")
    await sam.tap("Hamstring")
    await sam.tap("Biceps femoris (outer)")
    await sam.tap("Right")
    await sam.tap("Not graded / don't know")
    await sam.tap("Yesterday")
    await sam.tap("Sprinting / running fast")
    await sam.tap("Football (soccer)")
    await sam.tap("Skip")
    await sam.tap("Europe")
    await sam.tap("Berlin")
    await sam.tap("07:30")
    replies = await sam.tap("✅ Confirm")
    assert any("All set" in (m.text or "") for m in replies), sam.user.format_transcript()


async def test_the_diagnosis_sign_off_shows_the_athletes_own_account(
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
    injured = today - dt.timedelta(days=1)

    # Walking pain 1/10 on the first day: the next morning the first stage's criteria are
    # met and the engine asks Lee for the sign-off.
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
    [alert] = [m for m in lee.bot_messages if (m.text or "").startswith("🟢 Sign-off needed")]
    text = alert.text or ""
    assert "🟢 Sign off" in alert.button_labels
    # What the sign-off confirms is on the card, said to be the athlete's own account.
    account = [
        ACCOUNT_HEAD,
        "  • Injury: right hamstring (biceps femoris)",
        "  • Grade: not known",
        f"  • Injured on: {injured.day} March 2026 (2 days ago)",
        "  • How: Sprinting / running fast",
        "  • Sport: Football (soccer)",
        CONFIRMS,
    ]
    assert "\n".join(account) in text, text
    # Read in five seconds: the decision's line comes first, the stage last.
    assert text.index("sign-off needed to move on") < text.index(ACCOUNT_HEAD)
    assert text.rstrip().endswith("Stage: H0 · Triage & protection"), text

    card = await open_card(lee, sam_id)
    shown = card.text or ""
    assert "Sign-off: the criteria are met, your sign-off is needed." in shown
    assert "\n".join(account) in shown, shown
    assert "🟢 Sign off" in card.button_labels

    # Signed off, the next stage's cards no longer show it (its sign-off is not about it).
    await lee.press("🟢 Sign off", card)
    await lee.wait_until(
        lambda ms: any("Signed off: Sam may move on" in (m.text or "") for m in ms)
    )
    clock.advance(dt.timedelta(days=1))
    await sam.morning()
    moved = (await open_card(lee, sam_id)).text or ""
    assert "Stage: H1 · " in moved and ACCOUNT_HEAD not in moved, moved


async def test_a_calf_athlete_who_knows_little_reads_not_known(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """The calf protocol's first stage (C0) confirms the diagnosis too; what the athlete did
    not know reads "not known", never blank or an internal value."""
    await telegram.start(services=services)
    w = AthleteWorld(telegram=telegram, sandbox=sandbox, services=services, clock=clock)
    lee = sandbox.user(CLINICIAN_ID, "Lee")
    sam = w.phone(SAM, "Sam")
    await sam.onboard(code=w.clinician_invite("Dr Lee"), injury="Calf", baseline="")
    sam_id = w.person(SAM).id  # type: ignore[union-attr]
    shown = (await open_card(lee, sam_id)).text or ""
    assert "Sign-off: you will be asked once the criteria are met." in shown, shown
    assert ACCOUNT_HEAD in shown, shown
    assert "  • Injury: left calf, muscle not known" in shown
    assert "  • Grade: 1" in shown
    assert "  • How: Sprinting / running fast" in shown and "  • Sport: Rugby" in shown
    assert "unknown" not in shown and "None" not in shown
