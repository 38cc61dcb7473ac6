"""Finding 2: a name that looks like mathtext ($...$) or fpdf's page alias ({nb}) is drawn as
typed in the progress chart and the PDF report; /progress, /report and the chart after
/athlete keep working for everyone."""

from __future__ import annotations

import io

from pypdf import PdfReader

from bot.handlers.errors import USER_MESSAGE
from tests.clinician.conftest import CHART_WAIT
from tests.hardening.conftest import ADMIN, WorldFactory, audited

NAME = r"Ann $\nope$ {nb}"


async def test_a_name_with_dollars_breaks_neither_charts_nor_reports(world: WorldFactory) -> None:
    w = await world()
    ann_id = w.add_athlete(3001, NAME)
    ann = w.sandbox.user(3001, "Ann")
    admin = w.sandbox.user(ADMIN, "Ada")

    await ann.send("/progress")
    await ann.wait_until(lambda ms: any(m.kind == "photo" for m in ms), timeout=CHART_WAIT)
    await admin.send(f"/athlete {ann_id}")
    await admin.wait_until(lambda ms: any(m.kind == "photo" for m in ms), timeout=CHART_WAIT)
    await admin.send(f"/report {ann_id}")
    await admin.wait_until(lambda ms: any(m.kind == "document" for m in ms), timeout=CHART_WAIT)

    for user in (ann, admin):
        assert all(m.text != USER_MESSAGE for m in user.bot_messages), user.format_transcript()
    [report] = admin.documents
    pages = PdfReader(io.BytesIO(report.data)).pages
    text = " ".join(page.extract_text() for page in pages)
    assert NAME in text  # as typed: neither mathtext nor the page count
    assert f"/{len(pages)}" in text  # the footer's page count still works
    assert ann.photos and admin.photos
    seen = {(e.detail.get("what"), e.athlete_id) for e in audited(w, "view")}
    assert ("progress_chart", ann_id) in seen and ("athlete_card", ann_id) in seen
    assert [e.athlete_id for e in audited(w, "export")] == [ann_id]
