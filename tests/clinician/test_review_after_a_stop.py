"""Issue 15, point 10: a red-flag card has no "Sign off". The review ("Reviewed: may run
again") asks a one-line note and a confirmation, never passes a sign-off gate, and afterwards
the card, /athlete, the athlete's message and the PDF all say the same. A /stage within 72 h of
a red flag asks for confirmation with the risk stated."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from bot.store.db import session_scope
from bot.store.models import Clearance, ClinicianActionRecord, Programme
from tests.clinician.conftest import open_card
from tests.clinician.test_clinician_flow import link, make_clinician, say
from tests.clinician.test_report_button_and_menus import CHART_WAIT, has_document, pdf_text
from tests.hardening.conftest import WorldFactory

LEE, BEN = 2001, 3002
REVIEWED = "🩺 Reviewed: may run again"


async def test_a_numbness_alert_at_a_sign_off_stage_is_reviewed_not_cleared(
    world: WorldFactory,
) -> None:
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H0")
    lee = await make_clinician(w, LEE, "Lee")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)
    # H0's criterion is met and its sign-off waits when Ben reports numbness.
    w.meet_h0_criteria(ben_id)
    w.report_red_flag(ben_id, "numbness")
    await w.escalate()
    card = lee.last_bot_message
    text = card.text or ""
    assert text.startswith("🔴 Same day · Ben\n"), text
    assert "red flags: numbness, tingling or weakness" in text
    assert "pain at rest 3/10" in text
    assert "⛔ Running is stopped until you review Ben." in text
    assert REVIEWED in card.button_labels
    assert "🟢 Sign off" not in card.button_labels and "✖️ Decline" not in card.button_labels

    # One tap records nothing: a note is asked, then a confirmation.
    await lee.press(REVIEWED, card)
    [prompt] = await lee.wait_reply()
    assert "Reviewing Ben after the red flag" in (prompt.text or "")
    confirm = await say(lee, "Phoned: no nerve signs, sensation normal")
    assert "Confirm the review of Ben" in confirm and "from tomorrow" in confirm
    assert "Note: Phoned: no nerve signs, sensation normal" in confirm
    assert w.audit("review") == [] and w.audit("clear") == []
    # Cancel leaves everything as it was; a fresh confirmation records the review.
    await lee.press("✖️ Cancel")
    await lee.wait_until(lambda ms: any("Cancelled" in (m.text or "") for m in ms))
    assert w.audit("review") == []
    await lee.press(REVIEWED, card)
    await lee.wait_reply()
    await say(lee, "Phoned: no nerve signs, sensation normal")
    before = len(lee.bot_messages)
    await lee.press("✅ Confirm review")
    replies = await lee.wait_until(
        lambda ms: any("Reviewed: Ben may run again from tomorrow" in (m.text or "") for m in ms)
    )
    reply = next(m.text or "" for m in replies if "Reviewed: Ben" in (m.text or ""))
    assert "The stage's sign-off still waits: it is a separate decision." in reply
    # Confirmed once: one message, no pop-up repeating it.
    assert sum("Reviewed: Ben" in (m.text or "") for m in lee.bot_messages[before:]) == 1
    answer = lee.last_callback_answer
    assert answer is not None and not answer.text

    # The review is its own record: no sign-off was given, the alert is acknowledged.
    with session_scope(w.engine, read_only=True) as session:
        assert session.exec(select(Clearance).where(Clearance.athlete_id == ben_id)).all() == []
        [review] = session.exec(
            select(ClinicianActionRecord).where(ClinicianActionRecord.kind == "review")
        ).all()
        assert review.note == "Phoned: no nerve signs, sensation normal"
    assert len(w.audit("review")) == 1 and w.audit("clear") == []

    # The same state everywhere: the athlete's message, /athlete, the PDF.
    await w.deliver()
    told = ben.last_bot_message.text or ""
    assert "Lee has reviewed you: you may train again from tomorrow" in told
    assert "Stage 1 of 8" in told and "H0" not in told and "cleared" not in told
    athlete_card = await open_card(lee, ben_id)
    shown = athlete_card.text or ""
    assert "🩺 Reviewed: running may start again on" in shown
    assert "Running stopped" not in shown
    assert "Sign-off: waiting, after the review." in shown
    assert "🟢 Sign off" not in athlete_card.button_labels
    assert REVIEWED not in athlete_card.button_labels
    await lee.press("📄 Report (PDF)", athlete_card)
    await lee.wait_until(has_document, timeout=CHART_WAIT)
    report = pdf_text(lee.documents[-1].data)
    assert "Reviewed: may run again" in report and "no nerve signs" in report
    assert "Signed off" not in report
    assert f"#{ben_id}" not in report  # the number only when two athletes share a name

    # The next day the stop is lifted, and the sign-off is the clinician's separate decision.
    w.clock.advance(dt.timedelta(days=1))
    w.meet_h0_criteria(ben_id)
    next_day = await open_card(lee, ben_id)
    assert "Sign-off: the criteria are met, your sign-off is needed." in (next_day.text or "")
    assert "🟢 Sign off" in next_day.button_labels
    with session_scope(w.engine, read_only=True) as session:
        programme = session.exec(select(Programme).where(Programme.athlete_id == ben_id)).one()
        assert programme.current_stage == "H0"


async def test_clear_on_a_stopped_athlete_is_a_review_with_a_note(world: WorldFactory) -> None:
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    w.report_red_flag(ben_id, "pop")
    asked = await say(lee, f"/clear {ben_id}")
    assert "Write one line for the record" in asked
    confirm = await say(lee, "Seen in clinic")
    assert "Confirm the review of Ben" in confirm
    assert w.audit("review") == []
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("Reviewed: Ben" in (m.text or "") for m in ms))
    assert len(w.audit("review")) == 1 and w.audit("clear") == []


async def test_a_stage_change_within_72_hours_of_a_red_flag_asks_first(
    world: WorldFactory,
) -> None:
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    w.raise_alert(ben_id, "same_day", "red_flag.pop", "Felt a pop")
    w.clock.advance(dt.timedelta(hours=71))
    asked = await say(lee, f"/stage {ben_id} H3 feels fine")
    assert "Move Ben from H2 · " in asked and "to H3 · " in asked
    assert "A red flag was reported in the last 72 hours" in asked
    assert w.audit("set_stage") == []
    await lee.press("✖️ Cancel")
    await lee.wait_until(lambda ms: any("Cancelled" in (m.text or "") for m in ms))
    assert w.audit("set_stage") == []
    # After 72 h, one stage up needs no confirmation.
    w.clock.advance(dt.timedelta(hours=2))
    assert (
        "Ben moved to H3 · Progressive running 70–80 % Vmax (was H2 · Return to running"
        in await say(lee, f"/stage {ben_id} H3 feels fine")
    )
    assert len(w.audit("set_stage")) == 1
