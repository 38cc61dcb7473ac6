"""Findings 8 and 16: crafted input gets a clear, audited refusal, never an unhandled error, and
every button press is answered (the client's spinner stops).

(The crafted YAML upload and the crafted protocol name are in test_protocol_uploads.py.)
"""

from __future__ import annotations

from bot.handlers.dispatch import UNKNOWN_BUTTON
from bot.handlers.errors import USER_MESSAGE
from bot.services import texts
from bot.services.access import REFUSAL_TEXT
from tests.clinician.test_clinician_flow import link, make_clinician
from tests.hardening.conftest import ADMIN, WorldFactory, audited, press_data, refusals, say

CLINICIAN, ANNA = 2001, 3001
HUGE = "99999999999999999999"


async def test_crafted_numbers_get_a_clear_audited_refusal(world: WorldFactory) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    anna = w.sandbox.user(ANNA, "Anna")
    await link(w, lee, anna)
    admin = w.sandbox.user(ADMIN, "Ada")

    for command in (f"/athlete {HUGE}", "/athlete ²", f"/report {HUGE}", "/progress ²"):
        assert await say(lee, command) == REFUSAL_TEXT, command
    reasons = [r["reason"] for r in refusals(w, "/athlete") + refusals(w, "/report")]
    assert len(reasons) == 3 and all("²" not in r and HUGE not in r for r in reasons)
    assert len(refusals(w, "/progress")) == 1
    assert (await say(lee, f"/athlete {anna_id}")).startswith("🟢 Anna\n")  # still fine

    reply = await say(admin, f"/protocol rollback hamstring {HUGE}")
    assert f"hamstring has no version {HUGE}" in reply
    assert "Send /protocol rollback NAME VERSION" in await say(admin, "/protocol rollback x ²")

    # A crafted questionnaire button: a progress id no row can have.
    assert await say(anna, "/help")
    answer = await press_data(w, anna, anna.last_bot_message, "q:9999999999999999999:0:0")
    assert answer == str(texts.EXPIRED)
    crafted = [e for e in audited(w, "refused") if e.detail.get("command") == "button"]
    assert [e.detail["reason"] for e in crafted] == ["malformed questionnaire button"]
    for user in (lee, anna, admin):
        assert all(m.text != USER_MESSAGE for m in user.bot_messages), user.format_transcript()


async def test_every_button_press_is_answered_and_audited(world: WorldFactory) -> None:
    w = await world()
    w.add_athlete(ANNA, "Anna")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    stranger = w.sandbox.user(4242, "Mallory")
    await say(stranger, "hello")
    await say(lee, "/athletes")

    crafted = [
        "al_ack:\x00\x00:0:0",  # an alert prefix with NUL bytes
        "lone \ud800 surrogate",
        "x" * 70_000,
        "q:1:0:0",  # an athlete's questionnaire button, pressed by a clinician
        "",
    ]
    answers = [await press_data(w, lee, lee.last_bot_message, data) for data in crafted]
    assert answers[0] == REFUSAL_TEXT  # the alert handler took it: a bad signature
    assert answers[1:] == [str(UNKNOWN_BUTTON)] * 4
    answer = await press_data(w, stranger, stranger.last_bot_message, "pv_pub:x:y:z")
    assert answer is not None
    assert all(m.text != USER_MESSAGE for m in lee.bot_messages + stranger.bot_messages)

    buttons = [e.detail for e in audited(w, "refused") if e.detail.get("command") == "button"]
    assert {b["data_length"] for b in buttons} >= {70_000, len("q:1:0:0")}
    signed = [e.detail for e in audited(w, "refused") if e.detail.get("command") != "button"]
    assert any(d["reason"].startswith("callback:") for d in signed)  # the NUL "alert" press
    assert all("\x00" not in str(d) and "\ud800" not in str(d) for d in buttons + signed)
