"""A report read in another zone counts the athlete's own days since the injury."""

from __future__ import annotations

import datetime as dt
import io
import re

from pypdf import PdfReader

from bot.reports.report_pdf import render_report_pdf
from tests.reports.factories import INJURY_DATE, make_report


def _injury_line(pdf: bytes) -> str:
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    found = re.search(r"Injury date.{0,80}", text.replace("\n", " "))
    assert found is not None
    return found.group(0)


def test_day_n_since_the_injury_is_the_athletes_day_not_the_readers() -> None:
    # Monday 23 March 22:30 UTC: already Tuesday in Sydney (the reader), still Monday in New
    # York (the athlete).
    at = dt.datetime(2026, 3, 23, 22, 30, tzinfo=dt.UTC)
    athlete_today = dt.date(2026, 3, 23)
    report = make_report(20).model_copy(
        update={"generated_at": at, "timezone": "Australia/Sydney", "athlete_today": athlete_today}
    )
    line = _injury_line(render_report_pdf(report))
    assert f"(day {(athlete_today - INJURY_DATE).days})" in line, line
