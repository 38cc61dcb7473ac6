"""The clinician report: an A4 PDF for the medical record, built with fpdf2.

Page 1 says who, which injury, where the athlete stands (the stage timeline with who moved
them and why, what the stage still needs, metrics, pain and readiness); page 2 opens with the
progress chart at the full width of the page, drawn at its printed size so that no text on it
is smaller than 8 pt on paper; the alerts and the clinician's record follow (on page 1 when
they fit there). The clinician's record is never cut: every action with its author and
reason. Longer lists (the timeline, alerts) keep their newest rows with a line saying how
many were left out. Text is set in DejaVu Sans (shipped with matplotlib), so names, dashes
and accents print as typed, and never smaller than 8 pt. Times are in the reader's zone,
named once in the header; dates of the athlete's days are their own local dates.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from bot.reports.data import (
    AlertRow,
    CriterionRow,
    MetricRow,
    RecordRow,
    ReportData,
    StageEntry,
)
from bot.wording import speed_pct, speed_percent_definition

DISCLAIMER = "Sprintback supports clinicians; it is not a medical device."
FONT = "DejaVu"
SEVERITY_TEXT = {
    "emergency": "EMERGENCY",
    "same_day": "Same day",
    "within_24h": "Within 24 h",
    "info": "Info",
}
# Where fpdf writes the page count. Not "{nb}" (fpdf's default), which a name or note could
# hold: it holds a control character, which _clean removes from every text we are given.
PAGES_ALIAS = "\x1bnb\x1b"
MAX_NOTE_CHARS = 400
SMALLEST_FONT_PT = 8.0  # tables, notes and the footer; nothing on the page is smaller


@dataclass(frozen=True)
class Limits:
    """How many rows of each list the report shows (the newest are kept)."""

    timeline: int
    criteria: int
    metrics: int
    alerts: int


# How many rows the summary sections keep (the newest); the clinician's record is never cut,
# so a long record takes a third page rather than losing an entry.
LIMITS = Limits(timeline=10, criteria=14, metrics=10, alerts=6)
HEADING = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))


@cache
def _font_dir() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _clean(text: str | None) -> str:
    """Printable text: control characters (a stray tab or bell from a chat message) removed."""
    if not text:
        return ""
    return "".join(
        ch if unicodedata.category(ch)[0] != "C" or ch == "\n" else " " for ch in text
    ).strip()


def _date(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


def _speed_pct(row: MetricRow) -> str:
    """The latest value as % of the pre-injury speed (one definition for speeds and times)."""
    if row.latest is None or not row.baseline or row.unit not in ("m/s", "s"):
        return "—"
    return f"{speed_pct(row.latest, row.baseline, is_time=not row.higher_is_better):.0f} %"


class _Report(FPDF):
    """FPDF with the Sprintback footer on every page."""

    generated_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.set_text_color(70, 70, 70)
        self.cell(0, 4, DISCLAIMER, align="C", new_x="LMARGIN", new_y="NEXT")
        self.cell(
            0,
            4,
            f"{self.generated_text} · page {self.page_no()}/{PAGES_ALIAS}",
            align="C",
        )
        self.set_text_color(0, 0, 0)


class _Writer:
    """Lays out one ReportData on a fresh PDF."""

    def __init__(self, data: ReportData, limits: Limits) -> None:
        self.data = data
        self.limits = limits
        self.zone = ZoneInfo(data.timezone)
        pdf = _Report(orientation="portrait", unit="mm", format="A4")
        pdf.alias_nb_pages(PAGES_ALIAS)
        pdf.set_margins(15, 14, 15)
        pdf.set_auto_page_break(auto=True, margin=18)
        pdf.add_font(FONT, "", str(_font_dir() / "DejaVuSans.ttf"))
        pdf.add_font(FONT, "B", str(_font_dir() / "DejaVuSans-Bold.ttf"))
        pdf.set_title(f"Sprintback report: {data.athlete_name}")
        pdf.set_creator("Sprintback")
        pdf.set_creation_date(data.generated_at)
        pdf.generated_text = f"Generated {self.when(data.generated_at)}"
        self.pdf: FPDF = pdf

    def when(self, instant: dt.datetime) -> str:
        local = instant.astimezone(self.zone)
        return f"{local.day} {local:%b %Y %H:%M}"

    # -- building blocks ---------------------------------------------------------------------

    # While ``measuring``, the building blocks add up their height instead of drawing, so a
    # section can be tried against the space left on a page (``fits_on_this_page``).
    measuring = False
    measured_mm = 0.0

    def _lines(self, text: str, width: float, size: float, bold: bool = False) -> int:
        self.pdf.set_font(FONT, "B" if bold else "", size)
        return sum(
            max(1, math.ceil(self.pdf.get_string_width(part) / max(width, 1.0)))
            for part in _clean(text).split("\n")
        )

    def heading(self, text: str) -> None:
        if self.measuring:
            self.measured_mm += 9.0
            return
        pdf = self.pdf
        if pdf.will_page_break(20):
            pdf.add_page()
        pdf.ln(2.5)
        pdf.set_font(FONT, "B", 11.5)
        pdf.cell(0, 6.5, _clean(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)

    def line(self, text: str, *, bold: bool = False, size: float = 9) -> None:
        if self.measuring:
            self.measured_mm += 4.6 * self._lines(text, self.pdf.epw, size, bold)
            return
        self.pdf.set_font(FONT, "B" if bold else "", size)
        self.pdf.multi_cell(0, 4.6, _clean(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font(FONT, "", 9)

    def table(
        self, widths: Sequence[float], header: Sequence[str] | None, rows: list[list[str]]
    ) -> None:
        pdf = self.pdf
        if self.measuring:
            # Word wrapping wastes some of each line: a tenth more than the text's width.
            every = [list(header)] if header is not None else []
            for values in [*every, *rows]:
                lines = max(
                    self._lines(value, width - 2.5, 8, bold=values is header) for value, width
                    in zip(values, widths, strict=True)
                )  # fmt: skip
                self.measured_mm += (lines * 4.0 + 2.0) * 1.1
            return
        pdf.set_font(FONT, "", 8)
        with pdf.table(
            col_widths=tuple(widths),
            headings_style=HEADING,
            line_height=4.0,
            padding=1,
            text_align="LEFT",
            first_row_as_headings=header is not None,
        ) as table:
            if header is not None:
                head = table.row()
                for title in header:
                    head.cell(title)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(_clean(value))
        pdf.set_font(FONT, "", 9)

    def omitted(self, total: int, shown: int, what: str) -> None:
        if total > shown:
            self.line(f"{total - shown} earlier {what} not shown (see the bot for the full list).")

    def fits_on_this_page(self, draw: Callable[[], None]) -> bool:
        """Tell whether ``draw`` would finish on the current page (its height estimated)."""
        self.measuring, self.measured_mm = True, 0.0
        try:
            draw()
        finally:
            self.measuring = False
        return not self.pdf.will_page_break(self.measured_mm)

    # -- sections ----------------------------------------------------------------------------

    def title(self) -> None:
        data, pdf = self.data, self.pdf
        pdf.set_font(FONT, "B", 16)
        pdf.cell(0, 8, "Return-to-sprint report", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "B", 13)
        ref = f"  ({data.athlete_ref})" if data.athlete_ref else ""
        pdf.cell(0, 7, _clean(data.athlete_name + ref), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)

    def identity(self) -> None:
        data = self.data
        injury = data.injury
        muscle = (
            injury.muscle.replace("_", " ")
            if injury.muscle and injury.muscle != "unknown"
            else "muscle not recorded"
        )
        grade = f"grade {injury.grade}" if injury.grade is not None else "grade not recorded"
        mechanism = (
            f"mechanism {injury.mechanism}" if injury.mechanism else "mechanism not recorded"
        )
        local_today = data.generated_at.astimezone(self.zone).date()
        days = (local_today - injury.injury_date).days
        stage = data.current_stage_label or data.current_stage or "not started"
        if data.timeline and data.current_stage:
            stage += f", since {_date(data.timeline[-1].entered)}"
        enrolled = _date(data.enrolled) if data.enrolled else "not enrolled"
        rows = [
            [
                "Injury",
                f"{injury.side} {injury.injury}, {muscle}, {grade}, {mechanism}",
                "Injury date",
                f"{_date(injury.injury_date)} (day {days})",
            ],
            [
                "Protocol",
                f"{data.protocol_name}, version {data.protocol_version}",
                "Enrolled",
                enrolled,
            ],
            ["Current stage", stage, "Clinician", data.clinician_name or "none linked"],
        ]
        self.heading("Athlete and injury")
        self.table((24, 86, 22, 48), None, rows)
        self.line(
            f"Times are in {data.timezone}; dates of the athlete's days are their own "
            "calendar dates.",
            size=8,
        )

    def timeline(self) -> None:
        entries: list[StageEntry] = self.data.timeline
        self.heading("Stage timeline: who moved the athlete, and why")
        if not entries:
            self.line("No stage entered yet.")
            return
        shown = entries[-self.limits.timeline :]
        self.omitted(len(entries), len(shown), "stage changes")
        rows = [
            [
                self.when(e.at) if e.at is not None else _date(e.entered),
                e.stage_label or e.stage,
                e.moved_by,
                e.reason or "—",
            ]
            for e in shown
        ]
        self.table((31, 46, 30, 73), ("When", "Stage", "Moved by", "Why"), rows)

    def criteria(self) -> None:
        data = self.data
        items: list[CriterionRow] = data.criteria
        stage = (
            data.criteria_stage_label
            or data.criteria_stage
            or data.current_stage_label
            or data.current_stage
            or "the current stage"
        )
        self.heading(f"What is needed to leave {stage}")
        if not items:
            self.line("No exit criteria recorded for this stage.")
            return
        met = sum(1 for c in items if c.met)
        left = data.still_needed or [c.name for c in items if not c.met]
        summary = f"{met} of {len(items)} met."
        if left:
            summary += " Still needed: " + "; ".join(left) + "."
        self.line(summary)
        shown = items[: self.limits.criteria]
        rows = [[c.name, c.observed, c.needed, "met" if c.met else "NOT MET"] for c in shown]
        self.table((62, 34, 64, 20), ("What", "Seen", "Needed", "Status"), rows)
        if len(items) > len(shown):
            self.line(f"{len(items) - len(shown)} more items not shown.")
        if data.criteria_note:
            self.line(data.criteria_note, size=8)

    def metrics(self) -> None:
        rows_in: list[MetricRow] = self.data.metrics
        self.heading("Metrics against the pre-injury baseline")
        if not rows_in:
            self.line("No metrics recorded.")
            return
        rows = []
        for m in rows_in[: self.limits.metrics]:
            unit = f" {m.unit}" if m.unit else ""
            baseline = f"{m.baseline:g}{unit}" if m.baseline is not None else "no baseline"
            latest = f"{m.latest:g}{unit}" if m.latest is not None else "not measured"
            if m.latest is not None and m.latest_date is not None:
                latest += f" ({_date(m.latest_date)})"
            rows.append([m.name, baseline, latest, _speed_pct(m)])
        self.table(
            (48, 34, 52, 46), ("Metric", "Baseline", "Latest", "% of pre-injury speed"), rows
        )
        self.line(speed_percent_definition("clinician") + ".", size=8)

    def trends(self) -> None:
        trend = self.data.trend
        self.heading("Pain and readiness")
        if trend is None:
            self.line("No pain or readiness answers summarised.")
            return
        counts = trend.readiness
        words = {"go": "go", "modify": "lighter", "rest": "rest", "stop": "stop"}
        parts = [f"{words[key]} {counts.get(key, 0)}" for key in words]  # type: ignore[call-overload]
        parts.append(f"missed {counts.get('missing', 0)}")
        if trend.since is not None and trend.days:
            since = _date(trend.since)
            counted = "day" if trend.days == 1 else "days"
            self.line(
                f"Morning check-ins, {trend.days} {counted} from {since} (counted from "
                "enrolment, paused days left out): " + ", ".join(parts) + "."
            )
        else:
            self.line("No morning check-in was due yet.")
        if trend.mean_test_pain_last7 is not None:
            text = f"Mean morning test pain, last 7 days: {trend.mean_test_pain_last7:.1f}/10"
            if trend.mean_test_pain_prev7 is not None:
                change = trend.mean_test_pain_last7 - trend.mean_test_pain_prev7
                text += f" (previous 7 days {trend.mean_test_pain_prev7:.1f}, {change:+.1f})"
            self.line(text + ".")
        if trend.max_session_pain_last7 is not None:
            self.line(f"Worst session pain, last 7 days: {trend.max_session_pain_last7}/10.")

    def chart(self, chart_png: bytes) -> None:
        pdf = self.pdf
        height = pdf.epw * _png_aspect(chart_png)
        if pdf.will_page_break(height + 22):
            pdf.add_page()
        self.heading("Progress chart")
        self.line(
            "Stages shaded (from the stage history); speed as % of the pre-injury speed with "
            "the current stage's speed criterion; pain 0–10; red flags and step backs on their "
            "own row.",
            size=8,
        )
        pdf.image(io.BytesIO(chart_png), x=pdf.l_margin, w=pdf.epw, alt_text="Progress chart")
        pdf.ln(1)

    def alerts(self) -> None:
        items: list[AlertRow] = self.data.alerts
        self.heading("Alerts and how they were handled")
        if not items:
            self.line("No alerts.")
            return
        ordered = sorted(items, key=lambda a: a.at)
        open_count = sum(1 for a in items if a.acknowledged_at is None and not a.acknowledged_by)
        self.line(f"{len(items)} alerts, {open_count} open.")
        shown = ordered[-self.limits.alerts :]
        self.omitted(len(items), len(shown), "alerts")
        rows = []
        for a in shown:
            if a.acknowledged_at is not None or a.acknowledged_by:
                handled = a.acknowledged_by or "a clinician"
                if a.acknowledged_at is not None:
                    handled += f", {self.when(a.acknowledged_at)}"
            else:
                handled = "OPEN (not acknowledged)"
            if a.action:
                handled += f": {a.action}"
            rows.append([self.when(a.at), SEVERITY_TEXT[a.severity], a.text, handled])
        self.table((31, 20, 68, 61), ("Time", "Severity", "Alert", "Acknowledged, action"), rows)

    def record(self) -> None:
        items: list[RecordRow] = sorted(self.data.record, key=lambda r: r.at)
        self.heading("Clinician's record: every action, its author and reason")
        if not items:
            self.line("No clinician action, sign-off or note recorded.")
            return
        rows = []
        for r in items:
            text = r.text or "no reason given"
            if len(text) > MAX_NOTE_CHARS:
                text = text[: MAX_NOTE_CHARS - 1].rsplit(" ", 1)[0].rstrip() + "…"
            rows.append([self.when(r.at), r.action, r.by, text])
        self.table((31, 50, 30, 69), ("Time", "Action", "By", "Reason or note"), rows)

    def build(self, chart_png: bytes | None) -> FPDF:
        self.pdf.add_page()
        self.title()
        self.identity()
        self.timeline()
        self.criteria()
        self.metrics()
        self.trends()
        rest: list[Callable[[], None]] = [self.alerts, self.record]
        if chart_png and self.pdf.page == 1:
            # Page 1 takes the alerts and the record while each fits whole; the chart opens
            # page 2 at the full width of the page.
            while rest and self.fits_on_this_page(rest[0]):
                rest.pop(0)()
            self.pdf.add_page()
        if chart_png:
            self.chart(chart_png)
        for section in rest:
            section()
        return self.pdf


def _png_aspect(png: bytes) -> float:
    """Height ÷ width of a PNG, read from its IHDR header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        raise ValueError("chart_png is not a PNG image: expected the bytes of render_progress_png")
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    return height / width


def render_report_pdf(data: ReportData, chart_png: bytes | None = None) -> bytes:
    """Return the clinician report for ``data`` as PDF bytes (A4, normally two pages).

    ``chart_png`` is the athlete's progress chart drawn for print
    (``render_progress_png(..., for_print=True)``), placed at the full width of page 2;
    without it the report is text only. The timeline and the alerts keep their newest rows;
    the clinician's record is never cut.
    """
    pdf = _Writer(data, LIMITS).build(chart_png)
    return bytes(pdf.output())
