"""A clinician's note typed with hundreds of line breaks made its table row taller than a
page; fpdf cannot split a row, so the whole report failed ("The row ... is too high") and the
clinician got no PDF at all. A note keeps its first lines; the rest run on, and a long note
continues on the rows under it: it is printed whole. Names with a line
break print on one heading; reports of no data, one day and more than a year print in every
language."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.reports.chart import render_progress_png
from bot.reports.data import RecordRow
from bot.reports.report_pdf import render_report_pdf
from bot.support.i18n import use_language
from tests.reports.factories import make_progress, make_report
from tests.reports.pdf_pages import flat, pdf_text

LANGUAGES = ("en", "es", "pt", "fr", "de")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_note_of_many_lines_prints_whole(lang: str) -> None:
    base = make_report(30)
    note = "\n".join(f"w{i}" for i in range(199)) + "\n\n\n"
    data = base.model_copy(
        update={
            "record": [
                *base.record,
                RecordRow(at=base.generated_at, action="Note", by="Dr Lee", text=note),
            ]
        }
    )
    with use_language(lang):
        pdf = render_report_pdf(data, render_progress_png(make_progress(30), for_print=True))
    text = flat(" ".join(pdf_text(pdf)))
    # Every line of it, in order (its lines beyond a row's first few run on): a clinical
    # record is never cut.
    assert " ".join(f"w{i}" for i in range(199)) in text
    assert "…" not in text
    assert len(pdf_text(pdf)) <= 3


def test_a_cell_keeps_its_first_lines_and_runs_the_rest_on() -> None:
    from bot.reports.report_pdf import MAX_CELL_LINES, _few_lines

    assert _few_lines("a\n\n b \nc", MAX_CELL_LINES) == "a\nb\nc"
    many = "\n".join(str(i) for i in range(20))
    assert _few_lines(many, 8).split("\n")[-1] == " ".join(str(i) for i in range(7, 20))


def test_a_name_with_a_line_break_is_one_heading() -> None:
    data = make_report(10).model_copy(update={"athlete_name": "Ann\nMarie", "athlete_ref": None})
    first = pdf_text(render_report_pdf(data))[0]
    assert "Ann Marie" in first, first[:200]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("days", [0, 1, 400])
def test_no_data_one_day_and_more_than_a_year_print(lang: str, days: int) -> None:
    empty = days == 0
    data = make_report(
        days,
        alerts=0 if empty else 3,
        stage_changes=0 if empty else min(30, days + 1),
        clearances=0 if empty else 2,
        notes=0 if empty else 2,
    )
    with use_language(lang):
        chart = render_progress_png(make_progress(days), for_print=True)
        pages = pdf_text(render_report_pdf(data, chart))
    assert 1 <= len(pages) <= 3, len(pages)
    assert data.generated_at > dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
