"""Property test over the message, card, alert, digest, chart and PDF builders (issue 14):
arbitrary Unicode names, notes, alert texts and messages never make a builder raise, and what
leaves for Telegram always fits its limits (4,096 UTF-16 units of text, 1,024 of caption, 64
bytes of button data), once through the bot every message leaves by (``fit_call``)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import select

from bot.delivery.within_limits import fit_call
from bot.reports.chart import render_progress_png
from bot.reports.digest import render_digest
from bot.reports.from_store import digest_data_for
from bot.reports.report_pdf import render_report_pdf
from bot.services.access import make_caller
from bot.services.callback_auth import CallbackSigner, derive_secret
from bot.services.clinician.actions import message_athlete
from bot.services.clinician.card import open_athlete_card
from bot.services.clinician.escalation import run_escalations
from bot.services.protocol_admin import active_version
from bot.store.db import create_all_for_tests, make_engine, session_scope
from bot.store.models import Outbox, Person
from bot.store.repo.alerts import raise_alert
from bot.store.repo.links import link_athlete
from bot.store.repo.people import create_person
from bot.store.repo.programme import add_injury, add_note, start_programme
from bot.support.limits import (
    BIDI_CONTROLS,
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    TEXT_LIMIT,
    split_text,
    utf16_len,
)
from engine.models import Alert, Injury
from tests.reports.factories import make_progress, make_report

# matplotlib warns (with the character) about glyphs its font lacks; the product silences it.
pytestmark = pytest.mark.filterwarnings("ignore:Glyph .* missing from")
NOW = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)
SIGNER = CallbackSigner(derive_secret("123456:TEST-TOKEN"))
_ids = itertools.count(10_000)

# Text as people type it, and as attackers craft it: any code point but lone surrogates
# (Telegram delivers UTF-8), with the characters that broke things before mixed in.
TRICKY = ["$\\nope$", "{nb}", "<b>&", "\u202e", "\u2066", "\x00", "\n\n", "🔴", "山田", "e\u0301"]
text = st.lists(
    st.one_of(
        st.text(st.characters(exclude_categories=["Cs"]), max_size=60), st.sampled_from(TRICKY)
    ),
    max_size=12,
).map("".join)
long_text = st.lists(st.one_of(text, st.just("word " * 400)), min_size=1, max_size=20).map("".join)


def _check_call(method: str, params: dict[str, Any]) -> None:
    """Assert that what the bot would send for ``method(params)`` fits every limit."""
    for call in fit_call(method, params):
        if "text" in call:
            assert 0 < utf16_len(call["text"]) <= TEXT_LIMIT
            assert not BIDI_CONTROLS & set(call["text"])
        if "caption" in call:
            assert utf16_len(call["caption"]) <= CAPTION_LIMIT
        markup = call.get("reply_markup")
        rows = getattr(markup, "inline_keyboard", None) or (markup or {}).get("inline_keyboard", [])
        for row in rows:
            for button in row:
                data = getattr(button, "callback_data", None) or button.get("callback_data")
                assert data is None or len(data.encode()) <= CALLBACK_DATA_LIMIT


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("property") / "store.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    create_all_for_tests(engine)
    yield engine
    engine.dispose()


def _athlete_with_history(
    engine: Engine, name: str, clinician_name: str, notes: list[str], alert_text: str
) -> tuple[int, int, int]:
    """Store a clinician and a linked athlete with notes and an open alert; return their ids
    and the clinician's Telegram id."""
    with session_scope(engine) as session:
        doctor_tid = next(_ids)
        doctor = create_person(
            session,
            role="clinician",
            telegram_user_id=doctor_tid,
            chat_id=doctor_tid,
            display_name=clinician_name,
            now=NOW,
        )
        athlete_tid = next(_ids)
        athlete = create_person(
            session,
            role="athlete",
            telegram_user_id=athlete_tid,
            chat_id=athlete_tid,
            display_name=name,
            now=NOW,
        )
        assert athlete.id is not None and doctor.id is not None
        link_athlete(session, athlete_id=athlete.id, clinician_id=doctor.id, now=NOW)
        injury = Injury(
            injury="hamstring", side="left", grade=1, injury_date=NOW.date() - dt.timedelta(9)
        )
        add_injury(session, athlete_id=athlete.id, injury=injury, now=NOW)
        version = active_version(session, "hamstring", NOW)
        assert version is not None
        start_programme(
            session,
            athlete_id=athlete.id,
            protocol_name="hamstring",
            protocol_version=version.version,
            first_stage="H0",
            start_date=NOW.date(),
            now=NOW,
        )
        for note in notes:
            add_note(session, athlete_id=athlete.id, author_id=doctor.id, text=note, now=NOW)
        raise_alert(
            session,
            athlete_id=athlete.id,
            alert=Alert(severity="same_day", rule="red_flag.pop", text=alert_text or "-"),
            now=NOW,
            local_date=NOW.date(),
        )
        return athlete.id, doctor.id, doctor_tid


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=text,
    clinician_name=text,
    notes=st.lists(long_text.filter(str.strip), max_size=3),
    alert_text=text,
    message=long_text.filter(str.strip),
)
def test_cards_alerts_digests_and_messages_fit_telegram(
    store: Engine, name: str, clinician_name: str, notes: list[str], alert_text: str, message: str
) -> None:
    athlete_id, doctor_id, doctor_tid = _athlete_with_history(
        store, name, clinician_name, notes, alert_text
    )
    with session_scope(store) as session:
        athlete = session.get(Person, athlete_id)
        doctor = session.get(Person, doctor_id)
        assert athlete is not None and doctor is not None
        caller = make_caller(doctor_tid, doctor_id, "clinician", [], [athlete_id])
        card = open_athlete_card(session, caller, athlete, dt.UTC, SIGNER, NOW)
        assert utf16_len(card.text) <= TEXT_LIMIT  # the card itself fits, notes shortened
        _check_call("sendMessage", {"chat_id": 1, "text": card.text, "reply_markup": card.keyboard})

        run_escalations(session, NOW, SIGNER, [])
        first = message_athlete(session, doctor, athlete, message, NOW)
        queued = session.exec(select(Outbox).where(Outbox.id >= (first.id or 0) - 50)).all()
        for row in queued:
            if row.chat_id in (doctor_tid, athlete.chat_id):
                assert utf16_len(row.text) <= TEXT_LIMIT, row.kind
                _check_call("sendMessage", {"text": row.text, "reply_markup": row.reply_markup})

        digest = render_digest(
            digest_data_for(session, clinician_id=doctor_id, week=(NOW.date(), NOW.date()))
        )
        assert utf16_len(digest) <= TEXT_LIMIT
        _check_call("sendMessage", {"text": digest})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=text, notes=st.lists(long_text, max_size=3), clinician=text)
def test_charts_and_reports_draw_any_name_and_note(
    name: str, notes: list[str], clinician: str
) -> None:
    shown = name.strip()[:80] or "Athlete 1"
    progress = make_progress(20).model_copy(update={"athlete_name": shown})
    png = render_progress_png(progress, small=True)
    assert png.startswith(b"\x89PNG")
    report = make_report(20)
    report = report.model_copy(
        update={
            "athlete_name": shown,
            "clinician_name": clinician.strip()[:60] or None,
            "record": [
                row.model_copy(update={"text": note or "-"})
                for row, note in zip(report.record, notes, strict=False)
            ],
        }
    )
    pdf = render_report_pdf(report, png)
    assert pdf.startswith(b"%PDF-")
    _check_call("sendPhoto", {"caption": f"{shown}: progress up to 2 Mar 2026"})
    _check_call("sendDocument", {"caption": f"Report of {shown} " * 40})


@given(message=long_text)
def test_a_long_text_is_split_without_losing_a_character(message: str) -> None:
    parts = split_text(message)
    assert all(utf16_len(part) <= TEXT_LIMIT for part in parts)
    assert "".join("".join(parts).split()) == "".join(message.split())
    calls = fit_call("sendMessage", {"chat_id": 1, "text": message, "reply_markup": "keys"})
    assert calls[-1]["reply_markup"] == "keys"  # the buttons go with the last part
    assert all("reply_markup" not in c for c in calls[:-1])


def test_formatted_text_is_never_cut_inside_a_tag() -> None:
    """An HTML text whose visible part fits is sent whole (escapes make it look long); one
    that does not fit is sent as plain visible text, in parts."""
    shown = "<pre>" + "&lt;" * 3000 + "</pre>"  # 3,000 visible characters
    [whole] = fit_call("sendMessage", {"text": shown, "parse_mode": "HTML"})
    assert whole == {"text": shown, "parse_mode": "HTML"}
    calls = fit_call("sendMessage", {"text": "<b>" + "x" * 5000 + "</b>", "parse_mode": "HTML"})
    assert [len(c["text"]) for c in calls] == [4096, 904]
    assert all("parse_mode" not in c and "<b>" not in c["text"] for c in calls)
