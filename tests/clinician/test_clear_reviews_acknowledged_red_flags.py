"""A red flag a clinician first acknowledged (✅ Acknowledge: "seen") and then reviewed with
/clear <number> <note> reads "Reviewed: may run again" afterwards, as one reviewed from its
card's 🩺 button does: on the alert's row of the clinician's PDF and of the athlete's own
report. /clear answered only the red flags still open, so an acknowledged one kept reading
as merely acknowledged although the clinician had reviewed it. The review still answers
nothing raised after its confirmation was shown, acknowledged or not. End to end through the
Bot API sandbox, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from bot.reports.from_store import report_data_for
from bot.sandbox import SimUser
from bot.store.db import session_scope
from bot.store.models import Person
from tests.clinician.conftest import CHART_WAIT, World, open_card
from tests.clinician.test_attack_clearance_ack import alerts_of
from tests.clinician.test_clinician_flow import link, make_clinician, say
from tests.clinician.test_report_button_and_menus import WorldFactory, has_document, pdf_text

LEE, BEN = 2001, 3002
NOTE = "Phoned: sensation normal, no nerve signs"


def flat(text: str) -> str:
    """The PDF's text with its table cells' line breaks as spaces."""
    return " ".join(text.split())


async def flag_acknowledged(w: World) -> tuple[int, SimUser, SimUser]:
    """Ben (H2) reports numbness, a same-day red flag: running stops. Lee presses
    ✅ Acknowledge on the alert card (seen), and reviews nothing yet."""
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)
    w.report_red_flag(ben_id, "numbness")
    await w.escalate()
    card = lee.last_bot_message
    assert "Same day" in (card.text or "")
    await lee.press("✅ Acknowledge", card)
    await lee.wait_until(lambda ms: any("Acknowledged 1 alert" in (m.text or "") for m in ms))
    w.clock.advance(dt.timedelta(minutes=20))
    return ben_id, lee, ben


async def review_by_clear(w: World, lee: SimUser, ben_id: int) -> None:
    """Lee types /clear with a note and confirms the review."""
    assert "Confirm the review of Ben" in await say(lee, f"/clear {ben_id} {NOTE}")
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("Reviewed: Ben" in (m.text or "") for m in ms))


async def clinician_pdf(lee: SimUser, ben_id: int) -> str:
    """Lee's PDF of Ben, from the /athlete card's button, as flat text."""
    card = await open_card(lee, ben_id)
    await lee.press("📄 Report (PDF)", card)
    await lee.wait_until(has_document, timeout=CHART_WAIT)
    return flat(pdf_text(lee.documents[-1].data))


async def test_an_acknowledged_red_flag_reviewed_by_clear_reads_reviewed(
    world: WorldFactory,
) -> None:
    w = await world()
    ben_id, lee, ben = await flag_acknowledged(w)
    await review_by_clear(w, lee, ben_id)

    # Lee's PDF: the red flag's row says it was reviewed, not only seen ("Lee, <time>"),
    # besides the review's own row in the clinician's record.
    report = await clinician_pdf(lee, ben_id)
    alerts = report[report.index("Acknowledged, action") :]
    alerts = alerts[: alerts.index("Clinician's record")]
    assert "numbness" in alerts, alerts
    assert "Reviewed: may run again" in alerts, alerts

    # Ben's own report says his clinician let him run again after the warning sign.
    await ben.send("/report")
    await ben.wait_until(has_document, timeout=CHART_WAIT)
    own = flat(pdf_text(ben.documents[-1].data))
    assert "You reported a warning sign" in own, own
    assert "you may run again" in own, own

    [flag] = alerts_of(w, ben_id)
    assert flag.action_taken == "review"
    # Acknowledged by Lee when it was seen: that time stays.
    assert flag.acknowledged_by == w.person(LEE).id  # type: ignore[union-attr]


async def test_clear_leaves_alone_what_came_after_its_confirmation_acknowledged_or_not(
    world: WorldFactory,
) -> None:
    """After the confirmation is shown, two urgent alerts come in (a same-day and an
    emergency); Lee acknowledges the first from its card before confirming. The review
    answers the acknowledged red flag Lee had read about, and neither of the later ones: the
    acknowledged one reads as merely seen, the other stays open."""
    w = await world()
    ben_id, lee, _ben = await flag_acknowledged(w)
    assert "Confirm the review of Ben" in await say(lee, f"/clear {ben_id} {NOTE}")
    prompt = lee.last_bot_message
    w.clock.advance(dt.timedelta(minutes=10))
    later_seen = w.raise_alert(ben_id, "same_day", "session.pain", "Session pain 6/10.")
    await w.escalate()
    await lee.press("✅ Acknowledge", lee.last_bot_message)
    await lee.wait_until(lambda ms: any("Acknowledged 1 alert" in (m.text or "") for m in ms))
    w.clock.advance(dt.timedelta(minutes=6))
    later_open = w.raise_alert(ben_id, "emergency", "session.pain", "Session pain 9/10.")
    await lee.press("✅ Confirm review", prompt)
    await lee.wait_until(lambda ms: any("Reviewed: Ben" in (m.text or "") for m in ms))

    # What Lee's PDF lists: the red flag reviewed, the later alerts seen or open.
    with session_scope(w.engine, read_only=True) as session:
        reader = session.get(Person, w.person(LEE).id)  # type: ignore[union-attr]
        data = report_data_for(session, athlete_id=ben_id, now=w.clock.now(), viewer=reader)
    assert [(a.text, a.acknowledged_by, a.action) for a in data.alerts] == [
        (data.alerts[0].text, "Lee", "Reviewed: may run again"),
        (data.alerts[1].text, "Lee", None),
        (data.alerts[2].text, None, None),
    ]
    assert "numbness" in data.alerts[0].text
    by_id = {a.id: a for a in alerts_of(w, ben_id)}
    [flag] = [a for i, a in by_id.items() if i not in (later_seen, later_open)]
    assert flag.action_taken == "review"
    assert by_id[later_seen].acknowledged_at is not None
    assert by_id[later_seen].action_taken is None
    assert by_id[later_open].acknowledged_at is None
    assert by_id[later_open].action_taken is None
