"""The "📄 Report (PDF)" button on alert cards, admin hand-overs and the /athlete card (it
delivers the PDF to the person it was made for and to nobody else), the progress chart after
the /athlete card, and /progress and /report in the staff menus and help."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Awaitable, Callable

from pypdf import PdfReader

from bot.sandbox import SimUser
from bot.sandbox.state import TranscriptMessage
from bot.services.access import REFUSAL_TEXT
from tests.clinician.conftest import ADMIN, CHART_WAIT, World, open_card
from tests.clinician.test_clinician_flow import link, make_clinician, say

WorldFactory = Callable[[], Awaitable[World]]
LEE, OLSEN, ANNA = 2001, 2002, 3001
REPORT = "📄 Report (PDF)"
PNG = b"\x89PNG\r\n\x1a\n"


def pdf_text(data: bytes) -> str:
    """Return the text of every page of a PDF."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def has_document(messages: list[TranscriptMessage]) -> bool:
    """A wait_until predicate: a document has arrived."""
    return any(m.kind == "document" for m in messages)


async def refused_press(user: SimUser, data: str, chat_message_id: int) -> None:
    """``user`` presses button data made for someone else: neutral refusal, no document."""
    before = len(user.documents)
    await user.press_data(data, chat_message_id)
    await user.expect_no_reply()
    answer = user.last_callback_answer
    assert answer is not None and answer.text == REFUSAL_TEXT
    assert len(user.documents) == before


async def test_alert_card_report_button_sends_the_pdf_to_its_clinician_only(
    world: WorldFactory,
) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna Moreau")
    lee = await make_clinician(w, LEE, "Lee")
    olsen = await make_clinician(w, OLSEN, "Olsen")
    await link(w, lee, w.sandbox.user(ANNA, "Anna"))
    admin = w.sandbox.user(ADMIN, "Ada")

    w.raise_alert(anna_id, "same_day", "red_flag.pop", "Felt a pop at the back of the thigh")
    await w.escalate()
    alert = lee.last_bot_message
    assert "Felt a pop" in (alert.text or "") and alert.button_labels[-1] == REPORT
    await lee.press(REPORT, alert)
    await lee.wait_until(has_document, timeout=CHART_WAIT)
    [document] = lee.documents
    assert document.filename is not None and document.filename.endswith(".pdf")
    assert "Anna Moreau" in pdf_text(document.data)

    # Lee's button copied into other chats: an unlinked clinician, and even the admin (who
    # may read the record with their own button), are refused: it was signed for Lee.
    button = alert.find_button(REPORT)
    assert button is not None
    for other in (olsen, admin):
        copied = await w.running.application.bot.send_message(other.chat_id, "forwarded card")
        await refused_press(other, str(button["callback_data"]), copied.message_id)
    assert {r.detail["telegram_id"] for r in w.audit("refused")} >= {OLSEN, ADMIN}

    # Unacknowledged: re-sent to Lee, then handed over to the admin, each with its own button.
    w.clock.advance(dt.timedelta(minutes=30))
    await w.escalate()
    assert lee.last_bot_message.button_labels[-1] == REPORT
    w.clock.advance(dt.timedelta(minutes=30))
    await w.escalate()
    handed = admin.last_bot_message
    assert "No clinician has acknowledged" in (handed.text or "")
    assert handed.button_labels == ["✅ Acknowledge", REPORT]
    await admin.press(REPORT, handed)
    await admin.wait_until(has_document, timeout=CHART_WAIT)
    assert "Anna Moreau" in pdf_text(admin.documents[-1].data)
    exports = [a for a in w.audit("export") if a.detail.get("via") == "button"]
    assert [a.detail["telegram_id"] for a in exports] == [LEE, ADMIN]


async def test_athlete_card_has_the_report_button_and_is_followed_by_the_chart(
    world: WorldFactory,
) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna Moreau")
    lee = await make_clinician(w, LEE, "Lee")
    olsen = await make_clinician(w, OLSEN, "Olsen")
    await link(w, lee, w.sandbox.user(ANNA, "Anna"))

    card = await open_card(lee, anna_id)
    assert "Anna Moreau" in (card.text or "") and card.button_labels[-1] == REPORT
    [chart] = lee.photos
    assert chart.data.startswith(PNG) and "Anna Moreau" in (chart.caption or "")
    await lee.press(REPORT, card)
    await lee.wait_until(has_document, timeout=CHART_WAIT)
    assert "Anna Moreau" in pdf_text(lee.documents[-1].data)

    # The admin sees the card with the report button only (no clinical decisions), and the chart.
    admin = w.sandbox.user(ADMIN, "Ada")
    admin_card = await open_card(admin, anna_id)
    assert admin_card.button_labels == [REPORT]
    assert len(admin.photos) == 1

    # An unlinked clinician gets neither card nor chart, and Lee's button does nothing for them.
    assert await say(olsen, f"/athlete {anna_id}") == REFUSAL_TEXT
    button = card.find_button(REPORT)
    assert button is not None
    copied = await w.running.application.bot.send_message(OLSEN, "forwarded card")
    await refused_press(olsen, str(button["callback_data"]), copied.message_id)
    assert olsen.photos == [] and olsen.documents == []


async def test_progress_and_report_are_in_the_staff_menus_and_help(world: WorldFactory) -> None:
    w = await world()
    lee = await make_clinician(w, LEE, "Lee")
    staff = {"progress", "report", "timezone"}
    assert staff <= {c["command"] for c in w.sandbox.commands_for_chat(LEE)}
    help_text = await say(lee, "/help")
    assert "/progress" in help_text and "/report" in help_text and "/timezone" in help_text

    admin = w.sandbox.user(ADMIN, "Ada")
    admin_help = await say(admin, "/help")
    assert "/progress" in admin_help and "/report" in admin_help
    admin_menu = {c["command"] for c in w.sandbox.commands_for_chat(ADMIN)}
    assert staff | {"protocols", "athletes"} <= admin_menu
    assert "invite" not in admin_menu  # an admin who is not a clinician invites no athletes
