"""Hostile and unusual text in the PDF report: right-to-left names and notes, zero-width
characters, markup, emoji, newlines and very long notes, an athlete with a single day.

fpdf2 lays text out left to right, one character after another, unless text shaping (the
uharfbuzz package, not installed) is on: a Hebrew name printed with its letters in reverse
order ("דנה כהן" read as "ןהכ הנד"), Arabic backwards and unjoined, and a zero-width space or
joiner became a visible space inside a word."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from bot.reports.build import build_progress_png, build_report_pdf
from bot.reports.data import RecordRow
from bot.reports.report_pdf import render_report_pdf
from bot.reports.rtl import shape, visual
from bot.services.protocol_admin import ensure_seeded
from bot.store import db, repo
from engine.models import Injury, Metrics, MorningCheckIn
from tests.reports.factories import make_report
from tests.reports.pdf_pages import PrintedChar, flat, pdf_text, printed_chars, text_outside
from tests.store.conftest import db_url, engine, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "engine", "pg_databases", "pg_migrated", "sqlite_template"]

MARGIN_PT = 15 / 25.4 * 72  # the report's side margins, 15 mm


def _line_of(chars: list[PrintedChar], wanted: str) -> list[PrintedChar]:
    """The printed characters of the first line (top of the page first) holding every letter
    of ``wanted``, left to right (a line's letters share their middle height, give or take a
    descender)."""
    lines: list[list[PrintedChar]] = []
    for c in sorted(chars, key=lambda c: -(c.bottom + c.top)):
        middle = (c.bottom + c.top) / 2
        if lines and abs((lines[-1][0].bottom + lines[-1][0].top) / 2 - middle) < 9:
            lines[-1].append(c)
        else:
            lines.append([c])
    for line in lines:
        if set(wanted) <= {c.char for c in line}:
            return sorted(line, key=lambda c: c.left)
    raise AssertionError(f"no line holds {wanted!r}")


def _reading_order(line: list[PrintedChar], letters: str) -> str:
    """The letters of ``letters`` as a right-to-left reader reads them on ``line``."""
    return "".join(c.char for c in reversed(line) if c.char in letters)


def test_a_hebrew_name_and_note_read_right_to_left() -> None:
    base = make_report(10, notes=0, clearances=0)
    note = "המטופלת חזרה לריצה קלה"
    data = base.model_copy(
        update={
            "athlete_name": "דנה כהן",
            "record": [RecordRow(at=base.generated_at, action="Note", by="Lee", text=note)],
        }
    )
    pdf = render_report_pdf(data)
    pages = printed_chars(pdf)
    title = _line_of(pages[0][1], "דנהכ")
    # Read from the right: "דנה" first, then "כהן" (it printed "ןהכ הנד").
    assert _reading_order(title, "דנהכן") == "דנהכהן", [c.char for c in title]
    chars = [c for _width, page in pages for c in page]
    row = _line_of(chars, "המטופלת"[:4])
    assert _reading_order(row, "המטופלת")[:7] == "המטופלת"


def test_arabic_is_joined_and_read_right_to_left() -> None:
    assert shape("مريم") == "\ufee3\ufeae\ufef3\ufee2"  # initial, final, initial, final
    assert shape("لا") == "\ufefb"  # lam-alef, one ligature
    # The visual line: the first letter at the right end, brackets mirrored at RTL levels.
    assert visual(shape("مريم")) == "\ufee2\ufef3\ufeae\ufee3"
    assert visual("Anna (דנה)") == "Anna (הנד)"
    base = make_report(10, notes=0, clearances=0)
    pdf = render_report_pdf(base.model_copy(update={"athlete_name": "مريم"}))
    # (PDFium reads the joined forms back as the letters they are.)
    title = _line_of(printed_chars(pdf)[0][1], "مري")
    assert _reading_order(title, "مري") == "مريم"
    # The name reads right to left inside the line; the @handle after it stays after it,
    # in its own order (PDFium reads brackets next to Arabic back mirrored: not compared).
    arabic = [c.right for c in title if c.char in "مري"]
    handle = [c for c in title if c.char in "alex_runs"]
    assert "".join(c.char for c in handle) == "alex_runs"
    assert min(c.left for c in handle) > max(arabic)


def test_zero_width_characters_leave_no_gap_inside_a_word() -> None:
    base = make_report(10, notes=0, clearances=0)
    note = "zero\u200bwidth non\u2060breaking soft\u00adhyphen"
    data = base.model_copy(
        update={"record": [RecordRow(at=base.generated_at, action="Note", by="Lee", text=note)]}
    )
    text = flat(" ".join(pdf_text(render_report_pdf(data))))
    assert "zerowidth nonbreaking softhyphen" in text, text


def _one_day_athlete(engine: Engine, name: str, note: str) -> tuple[int, int, dt.datetime]:
    now = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    with db.session_scope(engine) as s:
        ensure_seeded(s, "hamstring", now)
        lee = repo.create_person(
            s, role="clinician", telegram_user_id=1, chat_id=1, display_name="ד״ר לי", now=now
        )
        anna = repo.create_person(
            s, role="athlete", telegram_user_id=2, chat_id=2, display_name=name, now=now
        )
        assert anna.id is not None and lee.id is not None
        repo.link_athlete(s, athlete_id=anna.id, clinician_id=lee.id, now=now)
        injury = Injury(injury="hamstring", side="left", injury_date=dt.date(2026, 3, 9))
        repo.add_injury(s, athlete_id=anna.id, injury=injury, now=now)
        repo.set_baseline(s, athlete_id=anna.id, metrics=Metrics(vmax_ms=9.0), now=now)
        repo.start_programme(
            s,
            athlete_id=anna.id,
            protocol_name="hamstring",
            protocol_version=1,
            first_stage="H0",
            start_date=dt.date(2026, 3, 10),
            now=now,
        )
        repo.upsert_morning_checkin(
            s,
            athlete_id=anna.id,
            local_date=dt.date(2026, 3, 10),
            answers=MorningCheckIn(red_flags=[], pain_rest=0, pain_test=1),
            answered_at=now,
            utc_offset_minutes=0,
        )
        repo.add_note(s, athlete_id=anna.id, author_id=lee.id, text=note, now=now)
        return anna.id, lee.id, now + dt.timedelta(hours=1)


def test_a_one_day_athlete_with_a_hostile_name_and_note_gets_a_readable_report(
    engine: Engine,
) -> None:
    name = "<b>Anna</b> *bold* _x_ 👍🏽 A\u200bB \u202eevil\u202c\nsecond line " + "x" * 4000
    note = ("<b>bold</b> **md** [link](http://x) 👩\u200d⚕️ שלום مرحبا\n" * 100)[:4000]
    anna, lee, now = _one_day_athlete(engine, name, note)
    pdf, _filename, label = build_report_pdf(engine, anna, now, lee)
    png, caption = build_progress_png(engine, anna, now)
    assert png.startswith(b"\x89PNG") and caption
    text = flat(" ".join(pdf_text(pdf)))
    # Markup prints as typed, never as formatting; the name's controls are gone.
    assert "<b>Anna</b> *bold* _x_" in text and "<b>bold</b> **md** [link](http://x)" in text
    assert "\u202e" not in text and "\u200b" not in text
    # The 4,000-character note prints whole (a clinical record is never cut), on as many rows
    # as it takes, and nothing runs off the page.
    assert text.count("**md**") == note.count("**md**") and "…" not in text
    assert text_outside(pdf, MARGIN_PT) == []
    assert "(#" in label or label.startswith("<b>Anna</b>")


def test_a_clinician_whose_name_the_font_cannot_draw_is_still_named(engine: Engine) -> None:
    """A clinician called "🦄" (the report's font has no emoji) was printed as nothing: the
    identity table read "Clinician" with a blank beside it and the record had an empty "By"
    column, so nobody could tell who acted."""
    anna, lee, now = _one_day_athlete(engine, "Anna", "seen in clinic")
    with db.session_scope(engine) as s:
        repo.update_person(s, person_id=lee, display_name="🦄")
    text = flat(" ".join(pdf_text(build_report_pdf(engine, anna, now, lee)[0])))
    assert f"Clinician #{lee}" in text, text
    assert f"Note #{lee} seen in clinic" in text, text
