"""/progress sends a photo and /report a PDF, only to the athlete or a linked clinician (or
an admin); everyone else gets the neutral refusal and an audit row; a big report is drawn off
the event loop, so other users are answered meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

import bot.reports.report_pdf as report_pdf
from bot.handlers.charts import schedule_progress_chart
from bot.handlers.context import signer_for
from bot.handlers.reports import NO_INJURY
from bot.reports.data import ReportData
from bot.reports.report_pdf import render_report_pdf
from bot.sandbox import SimUser
from bot.sandbox.state import TranscriptMessage
from bot.services import texts
from bot.services.access import REFUSAL_TEXT
from bot.services.clinician.buttons import report_keyboard
from bot.store import repo
from bot.store.db import session_scope
from tests.reports_bot.conftest import ADMIN, WorldFactory, pdf_text

ANNA, BEN, LEE, MAX = 3001, 3002, 2001, 2002
PNG = b"\x89PNG\r\n\x1a\n"


def has(kind: str) -> Callable[[list[TranscriptMessage]], bool]:
    """A wait_until predicate: a message of ``kind`` (photo, document) has arrived."""
    return lambda messages: any(m.kind == kind for m in messages)


async def refused(user: SimUser, text: str) -> None:
    """``text`` gets the neutral refusal and nothing else."""
    await user.send(text)
    replies = await user.wait_reply()
    assert [m.text for m in replies] == [REFUSAL_TEXT]


async def test_chart_and_report_reach_only_the_athlete_and_linked_clinician(
    world: WorldFactory,
) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna Moreau", days=30, alert="same_day")
    w.add_athlete(BEN, "Ben Okafor", days=10)
    lee_id = w.add_clinician(LEE, "Dr Lee")
    w.add_clinician(MAX, "Dr Max")
    w.link(anna_id, lee_id)
    anna, ben, lee, mx = (
        w.user(i, n) for i, n in ((ANNA, "Anna"), (BEN, "Ben"), (LEE, "Lee"), (MAX, "Max"))
    )

    await anna.send("/progress")
    [photo] = await anna.wait_until(has("photo"))
    assert "Anna Moreau" in (photo.raw.get("caption") or "")
    assert anna.photos[-1].data.startswith(PNG)

    await lee.send("/report Anna")
    await lee.wait_until(has("document"))
    [document] = lee.documents
    assert document.filename is not None and document.filename.endswith(".pdf")
    text = pdf_text(document.data)
    assert "Anna Moreau" in text and "hamstring" in text and "Dr Lee" in text
    assert "What is needed to leave H3" in text and "sharp pain" in text  # criteria, open alert

    await lee.send(f"/progress {anna_id}")
    await lee.wait_until(has("photo"))
    assert lee.photos[-1].data.startswith(PNG)

    admin = w.user(ADMIN, "Ada")
    await admin.send(f"/report {anna_id}")
    await admin.wait_until(has("document"))
    assert "Anna Moreau" in pdf_text(admin.documents[-1].data)

    await refused(mx, "/report Anna")
    await refused(mx, f"/report {anna_id}")
    await refused(ben, f"/report {anna_id}")
    await refused(ben, f"/progress {anna_id}")
    assert mx.documents == [] and ben.documents == [] and ben.photos == []

    views = [(a.athlete_id, a.detail["what"]) for a in w.audit("view")]
    assert (anna_id, "progress_chart") in views
    exports = [a.athlete_id for a in w.audit("export") if a.detail["what"] == "report_pdf"]
    assert exports.count(anna_id) == 2
    refusals = [
        a for a in w.audit("refused") if a.detail.get("command") in ("/report", "/progress")
    ]
    assert len(refusals) == 4


async def test_report_button_works_only_for_the_clinician_it_was_made_for(
    world: WorldFactory,
) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna Moreau", days=12)
    lee_id = w.add_clinician(LEE, "Dr Lee")
    w.add_clinician(MAX, "Dr Max")
    w.link(anna_id, lee_id)
    lee, mx = w.user(LEE, "Lee"), w.user(MAX, "Max")
    bot = w.running.application.bot
    signer = signer_for(w.services, bot.token)
    keyboard = report_keyboard(signer, athlete_id=anna_id, for_telegram_id=LEE, now=w.clock.now())
    await bot.send_message(LEE, "Alert about Anna", reply_markup=keyboard)

    await lee.press("📄 Report (PDF)")
    await lee.wait_until(has("document"))
    assert "Anna Moreau" in pdf_text(lee.documents[-1].data)

    # Max replays Lee's button data from his own chat: signed for Lee, so refused.
    shown = await bot.send_message(MAX, "copied")
    data = keyboard.inline_keyboard[0][0].callback_data
    assert isinstance(data, str)
    await mx.press_data(data, shown.message_id)
    await mx.expect_no_reply()
    answer = mx.last_callback_answer
    assert answer is not None and answer.text == REFUSAL_TEXT
    assert mx.documents == []


async def test_a_large_report_renders_while_other_users_are_answered(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna Moreau", days=365, alert="within_24h")
    w.add_athlete(BEN, "Ben Okafor", days=20)
    lee_id = w.add_clinician(LEE, "Dr Lee")
    w.link(anna_id, lee_id)
    lee, ben = w.user(LEE, "Lee"), w.user(BEN, "Ben")

    release = threading.Event()
    render_threads: list[str] = []
    real_render = render_report_pdf

    def held_render(data: ReportData, chart_png: bytes | None = None) -> bytes:
        render_threads.append(threading.current_thread().name)
        assert release.wait(20), "the test never released the report"
        return real_render(data, chart_png)

    monkeypatch.setattr(report_pdf, "render_report_pdf", held_render)
    await lee.send(f"/report {anna_id}")
    [ack] = await lee.wait_reply()
    assert ack.text == "Preparing the report…"

    # While Anna's year-long report is still being drawn, Ben asks for his chart: answered.
    await ben.send("/progress")
    await ben.wait_until(has("photo"), timeout=15)
    assert lee.documents == []
    release.set()
    await lee.wait_until(has("document"), timeout=20)
    assert "Anna Moreau" in pdf_text(lee.documents[-1].data)
    assert render_threads and render_threads[0].startswith("sprintback-render")


async def test_progress_before_onboarding_says_why_there_is_no_chart(world: WorldFactory) -> None:
    w = await world()
    with session_scope(w.engine) as session:
        repo.create_person(
            session, role="athlete", telegram_user_id=ANNA, chat_id=ANNA, now=w.clock.now()
        )
    anna, stranger = w.user(ANNA, "Anna"), w.user(4444, "Sam")
    await anna.send("/progress")
    [reply] = await anna.wait_until(lambda messages: bool(messages))
    assert reply.text == f"Nothing to show yet: {NO_INJURY}."
    assert anna.photos == []
    await stranger.send("/progress")
    [reply] = await stranger.wait_reply()
    assert reply.text == str(texts.NOT_ONBOARDED)


async def test_stage_change_hook_sends_a_small_chart_without_waiting(world: WorldFactory) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna Moreau", days=20)
    anna = w.user(ANNA, "Anna")
    application = w.running.application
    schedule_progress_chart(
        application, ANNA, athlete_id=anna_id, now=w.clock.now(), caption="You moved to H3"
    )
    schedule_progress_chart(application, ANNA, athlete_id=anna_id, now=w.clock.now(), small=False)
    await anna.wait_until(lambda messages: sum(m.kind == "photo" for m in messages) == 2)
    small, full = sorted(anna.photos, key=lambda p: len(p.data))
    assert small.caption == "You moved to H3"
    assert len(small.data) < len(full.data)
