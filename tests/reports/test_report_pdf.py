"""The clinician PDF report, parsed back (pypdf) and rendered (PDFium), checked against the data
it came from: labels a clinician can file, one definition of each percentage, the complete
record, times in the reader's zone, the chart at full width and nothing smaller than 7 pt."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from matplotlib.image import imread

from bot.reports.chart import build_chart_spec, render_progress_png, render_spec_png
from bot.reports.data import AlertRow, RecordRow, ReportData
from bot.reports.report_pdf import DISCLAIMER, render_report_pdf
from bot.wording import speed_percent_definition
from engine.models import Injury
from tests.reports.factories import HAMSTRING, make_progress, make_report
from tests.reports.pdf_pages import flat, page_facts, pdf_text, render_pages

MIN_PRINTED_PT = 7.0


@pytest.fixture(scope="module")
def chart_png() -> bytes:
    data = make_progress(60, step_backs={30}, red_flags={29})
    return render_progress_png(data.model_copy(update={"audience": "clinician"}), for_print=True)


def _local(data: ReportData, instant: dt.datetime) -> str:
    local = instant.astimezone(ZoneInfo(data.timezone))
    return f"{local.day} {local:%b %Y %H:%M}"


def test_report_holds_identity_protocol_timeline_criteria_and_metrics(chart_png: bytes) -> None:
    data = make_report(60)
    pages = pdf_text(render_report_pdf(data, chart_png))
    text = flat(" ".join(pages))
    assert 2 <= len(pages) <= 3
    assert "Alex Example (@alex_runs)" in text
    assert "left hamstring (biceps femoris), grade not recorded, mechanism not recorded" in text
    assert "1 Mar 2026" in text and "Enrolled 3 Mar 2026" in text
    assert "hamstring, version 1.2.0" in text
    assert "Dr Maria Šimková" in text
    for entry in data.timeline:
        assert entry.at is not None
        assert f"{_local(data, entry.at)} {entry.stage_label} {entry.moved_by}" in text
        assert entry.reason in text
    assert f"Current stage {data.current_stage_label}, since" in text
    # Minimum days are a row of their own, so "met" is never counted without them.
    assert "2 of 4 met. Still needed: 3 more days in this stage; HV reps 3 or more." in text
    assert "Days in this stage 1 of 4" in text and "NOT MET" in text
    assert "HV reps 3 or more (in runs at 80 % of Vmax or faster)" in text
    # One definition for speed and splits: 1.80 s ÷ 1.90 s = 95 % (slower than before).
    assert "Vmax 9 m/s 7.6 m/s" in text and "84 %" in text
    assert "10 m split 1.8 s 1.9 s 95 %" in text
    assert "Strength LSI no baseline 88 % —" in text
    assert "time: >100 = slower" not in text and "unknown" not in text
    assert "go 9, lighter 3, rest 1, stop 0, missed 1" in text
    assert "last 7 days: 1.3/10 (previous 7 days 0.9, +0.4)" in text


def test_each_percentage_is_defined_once_per_page_in_the_same_words(chart_png: bytes) -> None:
    pages = pdf_text(render_report_pdf(make_report(60), chart_png))
    definition = speed_percent_definition("clinician")
    assert flat(pages[0]).count(definition) == 1
    # Page 2 holds the chart, whose footnote (an image) says the same; no second text copy.
    assert all(flat(page).count(definition) <= 1 for page in pages)


def test_muscle_not_recorded_is_said_in_words() -> None:
    for muscle in (None, "unknown"):
        injury = Injury.model_validate(HAMSTRING.model_dump() | {"muscle": muscle})
        data = make_report(10).model_copy(update={"injury": injury})
        text = flat(" ".join(pdf_text(render_report_pdf(data))))
        assert "left hamstring, muscle not recorded, grade not recorded" in text
        assert "unknown" not in text


def test_times_are_in_the_readers_zone_named_once(chart_png: bytes) -> None:
    data = make_report(60).model_copy(update={"timezone": "America/New_York"})
    text = flat(" ".join(pdf_text(render_report_pdf(data, chart_png))))
    assert text.count("America/New_York") == 1
    alert = data.alerts[0]
    assert _local(data, alert.at) in text
    london = alert.at.astimezone(ZoneInfo("Europe/London"))
    assert f"{london.day} {london:%b %Y %H:%M} " not in text


def test_alerts_and_the_clinicians_record_show_who_when_and_why(chart_png: bytes) -> None:
    data = make_report(60, alerts=3, clearances=2, notes=2)
    text = flat(" ".join(pdf_text(render_report_pdf(data, chart_png))))
    assert "3 alerts, 1 open." in text
    for alert in data.alerts:
        assert alert.text in text
        assert _local(data, alert.at) in text
    assert "OPEN (not acknowledged)" in text
    acknowledged = data.alerts[0]
    assert acknowledged.acknowledged_at is not None
    assert (
        f"Dr Maria Šimková, {_local(data, acknowledged.acknowledged_at)}: Reviewed: may run again"
        in text
    )
    positions = []
    for row in data.record:
        line = f"{_local(data, row.at)} {row.action} {row.by} {row.text}"
        assert line in text
        positions.append(text.index(line))
    assert positions == sorted(positions), "the record is in time order"


def test_every_page_carries_the_disclaimer_and_page_numbers(chart_png: bytes) -> None:
    pages = pdf_text(render_report_pdf(make_report(60), chart_png))
    for number, page in enumerate(pages, start=1):
        assert str(DISCLAIMER) in flat(page)
        assert f"page {number}/{len(pages)}" in page


def test_the_chart_opens_page_2_at_full_width_and_prints_no_text_under_7_pt(
    tmp_path: Path,
) -> None:
    progress = make_progress(60, step_backs={30}, red_flags={29}).model_copy(
        update={"audience": "clinician"}
    )
    spec = build_chart_spec(progress, for_print=True)
    pdf = render_report_pdf(make_report(60), render_spec_png(spec))
    facts = page_facts(pdf)
    assert [len(f.image_boxes_pt) for f in facts][:2] == [0, 1]
    left, _bottom, right, top = facts[1].image_boxes_pt[0]
    margin = 15 / 25.4 * 72
    assert left == pytest.approx(margin, abs=1)
    assert right == pytest.approx(facts[1].width_pt - margin, abs=1)  # full text width
    assert top > facts[1].height_pt * 0.6, "the chart sits at the top of page 2"
    printed_scale = (right - left) / 72 / spec.figsize_in[0]
    assert spec.smallest_font_pt * printed_scale >= MIN_PRINTED_PT
    for number, page in enumerate(facts, start=1):
        assert page.font_sizes_pt, f"page {number} has no text"
        assert min(page.font_sizes_pt) >= MIN_PRINTED_PT, f"page {number}"
    # Rendered as a reader sees it: A4 pages, not blank, the chart drawn in colour on page 2.
    pngs = render_pages(pdf, tmp_path, dpi=60)
    assert len(pngs) == len(facts)
    for path in pngs:
        pixels = imread(path)
        assert pixels.shape[0] / pixels.shape[1] == pytest.approx(297 / 210, abs=0.01)
        assert (pixels[..., :3] < 0.5).any(), f"{path.name} is blank"
    page2 = imread(pngs[1])[..., :3]
    sky_band = np.array([0xD6, 0xEC, 0xFA]) / 255
    assert (np.abs(page2 - sky_band).max(axis=-1) < 0.03).any(), "stage bands on page 2"


def test_page_1_is_filled_before_the_chart_page(chart_png: bytes) -> None:
    data = make_report(20, alerts=2, stage_changes=3, clearances=0, notes=1)
    pages = pdf_text(render_report_pdf(data, chart_png))
    # Short sections fit on page 1 below the summary; the chart opens page 2.
    assert "Alerts and how they were handled" in pages[0]
    assert "Clinician's record" in pages[0]
    assert "Progress chart" in pages[1] and "Progress chart" not in pages[0]
    assert len(pages) == 2


def test_chart_is_embedded_when_given_and_absent_otherwise(chart_png: bytes) -> None:
    data = make_report(60)
    with_chart = page_facts(render_report_pdf(data, chart_png))
    without_chart = page_facts(render_report_pdf(data, None))
    assert sum(len(p.image_boxes_pt) for p in with_chart) == 1
    assert sum(len(p.image_boxes_pt) for p in without_chart) == 0


def test_a_year_of_history_keeps_the_newest_rows_and_the_whole_record() -> None:
    data = make_report(365, alerts=40, stage_changes=30, clearances=10, notes=10)
    progress = make_progress(365).model_copy(update={"audience": "clinician"})
    pages = pdf_text(render_report_pdf(data, render_progress_png(progress, for_print=True)))
    text = flat(" ".join(pages))
    assert len(pages) <= 4
    newest_alert = max(data.alerts, key=lambda a: a.at)
    oldest_alert = min(data.alerts, key=lambda a: a.at)
    assert newest_alert.text in text
    assert f"{oldest_alert.text} " not in text + " "
    assert "older handled alerts not shown" in text
    assert "earlier stage changes not shown" in text
    assert "40 alerts, 1 open." in text
    last_entry = data.timeline[-1]
    assert last_entry.reason in text
    for row in data.record:  # never cut: every action with its author and reason
        assert f"{row.action} {row.by} {row.text}" in text


def test_minimal_record_says_what_is_missing_instead_of_failing() -> None:
    data = ReportData(
        athlete_name="Sam Ó Briain",
        injury=HAMSTRING,
        protocol_name="hamstring",
        protocol_version="1",
        generated_at=dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC),
    )
    pages = pdf_text(render_report_pdf(data))
    text = flat(" ".join(pages))
    assert len(pages) == 1
    for phrase in (
        "Sam Ó Briain",
        "No stage entered yet.",
        "No exit criteria recorded",
        "No metrics recorded.",
        "No alerts.",
        "No clinician action, sign-off or note recorded.",
        "none linked",
        str(DISCLAIMER),
    ):
        assert phrase in text


def test_control_characters_and_long_notes_do_not_break_the_layout() -> None:
    base = make_report(30, notes=0, clearances=0)
    data = base.model_copy(
        update={
            "record": [
                RecordRow(
                    at=base.generated_at,
                    action="Note",
                    by="Dr\tBell\x07",
                    text="Line one\x00 then " + "very long note " * 60,
                )
            ],
            "alerts": [
                AlertRow(at=base.generated_at, severity="emergency", text="chest pain\x1b[0m")
            ],
        }
    )
    text = flat(" ".join(pdf_text(render_report_pdf(data))))
    assert "\x07" not in text and "\x1b" not in text
    assert "Dr Bell" in text
    # printed whole: the clinical record is never cut
    assert "…" not in text
    assert text.count("very long note") == 60
    assert "EMERGENCY" in text


def test_chart_bytes_that_are_not_a_png_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="chart_png is not a PNG image"):
        render_report_pdf(make_report(10), b"GIF89a not a png")


def test_naive_generation_time_is_refused() -> None:
    with pytest.raises(ValueError, match="generated_at must be timezone-aware"):
        make_report(10).model_validate(
            make_report(10).model_dump() | {"generated_at": dt.datetime(2026, 3, 2, 8, 0)}
        )
