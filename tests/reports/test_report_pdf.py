"""The clinician PDF report, parsed back with pypdf and checked against the data it came from."""

from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from bot.reports.chart import render_progress_png
from bot.reports.data import AlertRow, NoteRow, ReportData
from bot.reports.report_pdf import DISCLAIMER, render_report_pdf
from tests.reports.factories import HAMSTRING, make_progress, make_report


@pytest.fixture(scope="module")
def chart_png() -> bytes:
    return render_progress_png(make_progress(60, step_backs={30}, red_flags={29}))


def _read(pdf: bytes) -> tuple[PdfReader, list[str]]:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [page.extract_text() for page in reader.pages]


def _flat(text: str) -> str:
    """Text with line breaks as spaces: table cells wrap wherever the column ends."""
    return " ".join(text.split())


def _local(data: ReportData, instant: dt.datetime) -> str:
    return f"{instant.astimezone(ZoneInfo(data.timezone)):%Y-%m-%d %H:%M}"


def test_report_holds_identity_protocol_timeline_criteria_and_metrics(chart_png: bytes) -> None:
    data = make_report(60)
    reader, pages = _read(render_report_pdf(data, chart_png))
    text = _flat(" ".join(pages))
    assert 1 <= len(reader.pages) <= 2
    assert "Alex Example (@alex_runs)" in text
    assert "left hamstring, biceps femoris" in text
    assert "1 Mar 2026" in text
    assert "hamstring, version 1.2.0" in text
    assert "Dr Maria Šimková" in text
    for entry in data.timeline:
        assert f"{entry.stage} {entry.entered.day} {entry.entered:%b %Y} {entry.moved_by}" in text
    assert f"Current stage {data.current_stage} since" in text
    assert "2 of 3 met. Left: ≥3 reps at 80 % Vmax, pain 0–1/10." in text
    assert "NOT MET" in text
    assert "Vmax 9 m/s 7.6 m/s" in text and "84 %" in text
    assert "106 % (time: >100 = slower)" in text
    assert "Strength LSI no baseline 88 %" in text
    assert "Morning readiness, last 14 days: go 9, modify 3, rest 1, stop 0, missing 1." in text
    assert "last 7 days: 1.3/10 (previous 7 days 0.9, +0.4)" in text


def test_alerts_clearances_and_notes_show_who_and_when_in_local_time(chart_png: bytes) -> None:
    data = make_report(60, alerts=3, clearances=2, notes=2)
    _, pages = _read(render_report_pdf(data, chart_png))
    text = _flat(" ".join(pages))
    assert "3 alerts, 1 open." in text
    for alert in data.alerts:
        assert alert.text in text
        assert _local(data, alert.at) in text
    assert "OPEN (not acknowledged)" in text
    acknowledged = data.alerts[0]
    assert acknowledged.acknowledged_at is not None
    assert f"Dr Maria Šimková, {_local(data, acknowledged.acknowledged_at)}: phoned" in text
    cleared, declined = data.clearances
    assert (
        f"{cleared.stage} Cleared Dr Maria Šimková {_local(data, cleared.at)} H-test negative"
        in text
    )
    assert f"{declined.stage} Declined Dr Maria Šimková" in text
    for note in data.notes:
        assert note.text in text
        assert f"{_local(data, note.at)}, Dr Maria Šimková:" in text


def test_every_page_carries_the_disclaimer_and_page_numbers(chart_png: bytes) -> None:
    _, pages = _read(render_report_pdf(make_report(60), chart_png))
    for number, page in enumerate(pages, start=1):
        assert DISCLAIMER in _flat(page)
        assert f"page {number}/{len(pages)}" in page


def test_chart_is_embedded_when_given_and_absent_otherwise(chart_png: bytes) -> None:
    data = make_report(60)
    with_chart, _ = _read(render_report_pdf(data, chart_png))
    without_chart, _ = _read(render_report_pdf(data, None))
    assert sum(len(p.images) for p in with_chart.pages) == 1
    assert sum(len(p.images) for p in without_chart.pages) == 0
    image = next(img for p in with_chart.pages for img in p.images)
    assert image.image is not None and image.image.size[0] > 500


def test_a_year_of_history_stays_within_two_pages_keeping_the_newest_rows(chart_png: bytes) -> None:
    data = make_report(365, alerts=40, stage_changes=30, clearances=10, notes=10)
    reader, pages = _read(render_report_pdf(data, render_progress_png(make_progress(365))))
    text = _flat(" ".join(pages))
    assert len(reader.pages) <= 2
    newest_alert = max(data.alerts, key=lambda a: a.at)
    oldest_alert = min(data.alerts, key=lambda a: a.at)
    assert newest_alert.text in text
    assert f"{oldest_alert.text} " not in text + " "
    assert "earlier alerts not shown" in text
    assert "earlier stage changes not shown" in text
    assert "40 alerts, 1 open." in text
    last_entry = data.timeline[-1]
    assert f"{last_entry.entered.day} {last_entry.entered:%b %Y}" in text
    assert data.notes[-1].text in text


def test_minimal_record_says_what_is_missing_instead_of_failing() -> None:
    data = ReportData(
        athlete_name="Sam Ó Briain",
        injury=HAMSTRING,
        protocol_name="hamstring",
        protocol_version="1",
        generated_at=dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC),
    )
    reader, pages = _read(render_report_pdf(data))
    text = _flat(" ".join(pages))
    assert len(reader.pages) == 1
    for phrase in (
        "Sam Ó Briain",
        "No stage entered yet.",
        "No exit criteria recorded",
        "No metrics recorded.",
        "No alerts.",
        "No clearance recorded.",
        "No notes.",
        "none linked",
        DISCLAIMER,
    ):
        assert phrase in text


def test_control_characters_and_long_notes_do_not_break_the_layout() -> None:
    base = make_report(30, notes=0)
    data = base.model_copy(
        update={
            "notes": [
                NoteRow(
                    at=base.generated_at,
                    author="Dr\tBell\x07",
                    text="Line one\x00 then " + "very long note " * 60,
                )
            ],
            "alerts": [
                AlertRow(at=base.generated_at, severity="emergency", text="chest pain\x1b[0m")
            ],
        }
    )
    _, pages = _read(render_report_pdf(data))
    text = _flat(" ".join(pages))
    assert "\x07" not in text and "\x1b" not in text
    assert "Dr Bell" in text
    # cut at a word boundary, with an ellipsis, and shorter than the note was
    assert re.search(r" (very|long|note)…", text)
    assert 0 < text.count("very long note") < 60
    assert "EMERGENCY" in text


def test_chart_bytes_that_are_not_a_png_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="chart_png is not a PNG image"):
        render_report_pdf(make_report(10), b"GIF89a not a png")


def test_naive_generation_time_is_refused() -> None:
    with pytest.raises(ValueError, match="generated_at must be timezone-aware"):
        make_report(10).model_validate(
            make_report(10).model_dump() | {"generated_at": dt.datetime(2026, 3, 2, 8, 0)}
        )
