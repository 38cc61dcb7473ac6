"""The clinician report: a one- or two-page A4 PDF for the medical record, built with fpdf2.

Text is set in DejaVu Sans (shipped with matplotlib), so names, dashes and accents print as
typed; fpdf2's core fonts would only take latin-1. Long lists are cut to their most recent
rows, with a line saying how many were left out, so the report stays within two pages.
Times are shown in the athlete's timezone, named in the header.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from bot.reports.data import (
    AlertRow,
    ClearanceRow,
    CriterionRow,
    MetricRow,
    NoteRow,
    ReportData,
    StageEntry,
)

DISCLAIMER = "Sprintback supports clinicians; it is not a medical device."
FONT = "DejaVu"
SEVERITY_TEXT = {
    "emergency": "EMERGENCY",
    "same_day": "Same day",
    "within_24h": "Within 24 h",
    "info": "Info",
}
MAX_PAGES = 2
# Where fpdf writes the page count. Not "{nb}" (fpdf's default), which a name or note could
# hold: it holds a control character, which _clean removes from every text we are given.
PAGES_ALIAS = "\x1bnb\x1b"
MAX_NOTE_CHARS = 400
CHART_WIDTH_MM = 84.0


@dataclass(frozen=True)
class Limits:
    """How many rows of each list the report shows (the newest are kept)."""

    timeline: int
    criteria: int
    metrics: int
    alerts: int
    clearances: int
    notes: int


# Tried in order until the report fits in MAX_PAGES pages.
LIMITS = (
    Limits(timeline=10, criteria=12, metrics=10, alerts=6, clearances=5, notes=3),
    Limits(timeline=8, criteria=10, metrics=8, alerts=5, clearances=4, notes=2),
    Limits(timeline=5, criteria=8, metrics=6, alerts=3, clearances=2, notes=1),
)
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
        pdf.generated_text = f"Generated {self.when(data.generated_at)} ({data.timezone})"
        self.pdf = pdf

    def when(self, instant: dt.datetime) -> str:
        return f"{instant.astimezone(self.zone):%Y-%m-%d %H:%M}"

    # -- building blocks ---------------------------------------------------------------------

    def heading(self, text: str) -> None:
        pdf = self.pdf
        if pdf.will_page_break(20):
            pdf.add_page()
        pdf.ln(2.5)
        pdf.set_font(FONT, "B", 11.5)
        pdf.cell(0, 6.5, _clean(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)

    def line(self, text: str, *, bold: bool = False, size: float = 9) -> None:
        self.pdf.set_font(FONT, "B" if bold else "", size)
        self.pdf.multi_cell(0, 4.6, _clean(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font(FONT, "", 9)

    def table(
        self, widths: Sequence[float], header: Sequence[str] | None, rows: list[list[str]]
    ) -> None:
        pdf = self.pdf
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
        muscle = injury.muscle.replace("_", " ") if injury.muscle else "not recorded"
        grade = f"grade {injury.grade}" if injury.grade is not None else "grade not recorded"
        mechanism = injury.mechanism or "not recorded"
        local_today = data.generated_at.astimezone(self.zone).date()
        days = (local_today - injury.injury_date).days
        stage = data.current_stage or "not started"
        if data.timeline and data.current_stage:
            stage += f" since {_date(data.timeline[-1].entered)}"
        rows = [
            [
                "Injury",
                f"{injury.side} {injury.injury}, {muscle}, {grade}, mechanism {mechanism}",
                "Injury date",
                f"{_date(injury.injury_date)} (day {days})",
            ],
            [
                "Protocol",
                f"{data.protocol_name}, version {data.protocol_version}",
                "Current stage",
                stage,
            ],
            ["Clinician", data.clinician_name or "none linked", "Times in", data.timezone],
        ]
        self.heading("Athlete and injury")
        self.table((22, 78, 24, 56), None, rows)

    def timeline(self) -> None:
        entries: list[StageEntry] = self.data.timeline
        self.heading("Stage timeline")
        if not entries:
            self.line("No stage entered yet.")
            return
        shown = entries[-self.limits.timeline :]
        self.omitted(len(entries), len(shown), "stage changes")
        rows = [[e.stage, _date(e.entered), e.moved_by, e.reason or "—"] for e in shown]
        self.table((18, 28, 38, 96), ("Stage", "Entered", "Moved by", "Reason"), rows)

    def criteria(self) -> None:
        items: list[CriterionRow] = self.data.criteria
        stage = self.data.criteria_stage or self.data.current_stage or "the current stage"
        self.heading(f"Criteria to leave {stage}")
        if not items:
            self.line("No exit criteria recorded for this stage.")
            return
        met = sum(1 for c in items if c.met)
        left = [c.name for c in items if not c.met]
        summary = f"{met} of {len(items)} met."
        if left:
            summary += " Left: " + "; ".join(left) + "."
        self.line(summary)
        shown = items[: self.limits.criteria]
        rows = [[c.name, c.observed, c.needed, "met" if c.met else "NOT MET"] for c in shown]
        self.table((88, 32, 36, 24), ("Criterion", "Observed", "Needed", "Status"), rows)
        if len(items) > len(shown):
            self.line(f"{len(items) - len(shown)} more criteria not shown.")

    def metrics(self) -> None:
        rows_in: list[MetricRow] = self.data.metrics
        self.heading("Metrics against baseline")
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
            pct = (
                f"{m.latest / m.baseline * 100:.0f} %"
                if m.latest is not None and m.baseline
                else "—"
            )
            if pct != "—" and not m.higher_is_better:
                pct += " (time: >100 = slower)"
            rows.append([m.name, baseline, latest, pct])
        self.table((48, 34, 52, 46), ("Metric", "Baseline", "Latest", "% of baseline"), rows)

    def trends(self, chart_png: bytes | None) -> None:
        trend = self.data.trend
        pdf = self.pdf
        lines: list[str] = []
        if trend is not None:
            counts = trend.readiness
            order = ("go", "modify", "rest", "stop", "missing")
            parts = [f"{key} {counts.get(key, 0)}" for key in order]  # type: ignore[call-overload]
            lines.append(f"Morning readiness, last {trend.days} days: " + ", ".join(parts) + ".")
            if trend.mean_test_pain_last7 is not None:
                text = f"Mean morning test pain, last 7 days: {trend.mean_test_pain_last7:.1f}/10"
                if trend.mean_test_pain_prev7 is not None:
                    change = trend.mean_test_pain_last7 - trend.mean_test_pain_prev7
                    text += f" (previous 7 days {trend.mean_test_pain_prev7:.1f}, {change:+.1f})"
                lines.append(text + ".")
            if trend.max_session_pain_last7 is not None:
                lines.append(f"Worst session pain, last 7 days: {trend.max_session_pain_last7}/10.")
        else:
            lines.append("No pain or readiness answers summarised.")
        chart_h = 0.0
        if chart_png:
            chart_h = CHART_WIDTH_MM * _png_aspect(chart_png)
        if pdf.will_page_break(chart_h + 14):
            pdf.add_page()
        self.heading("Pain and readiness")
        top = pdf.get_y()
        text_width = pdf.epw - (CHART_WIDTH_MM + 4 if chart_png else 0)
        for text in lines:
            pdf.multi_cell(text_width, 4.8, _clean(text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        if chart_png:
            pdf.set_font(FONT, "", 8)
            pdf.multi_cell(
                text_width,
                4.2,
                "Chart: days since injury; speed and splits as % of baseline with the next "
                "stage's target; pain 0–10; stages shaded; step-backs and red flags marked.",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            pdf.set_font(FONT, "", 9)
            pdf.image(
                io.BytesIO(chart_png),
                x=pdf.l_margin + pdf.epw - CHART_WIDTH_MM,
                y=top,
                w=CHART_WIDTH_MM,
                alt_text="Progress chart",
            )
            pdf.set_y(max(pdf.get_y(), top + chart_h + 2))

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
                handled = f"{a.acknowledged_by or 'unknown'}"
                if a.acknowledged_at is not None:
                    handled += f", {self.when(a.acknowledged_at)}"
            else:
                handled = "OPEN (not acknowledged)"
            if a.action:
                handled += f": {a.action}"
            rows.append([self.when(a.at), SEVERITY_TEXT[a.severity], a.text, handled])
        self.table((27, 20, 63, 70), ("Time", "Severity", "Alert", "Acknowledged by, action"), rows)

    def clearances(self) -> None:
        items: list[ClearanceRow] = self.data.clearances
        self.heading("Clearances")
        if not items:
            self.line("No clearance recorded.")
            return
        ordered = sorted(items, key=lambda c: c.at)
        shown = ordered[-self.limits.clearances :]
        self.omitted(len(items), len(shown), "clearances")
        rows = [
            [
                c.stage,
                "Declined" if c.declined else "Cleared",
                c.by,
                self.when(c.at),
                c.note or "—",
            ]
            for c in shown
        ]
        self.table((18, 22, 38, 32, 70), ("Stage", "Decision", "By", "Time", "Note"), rows)

    def notes(self) -> None:
        items: list[NoteRow] = self.data.notes
        self.heading("Notes")
        if not items:
            self.line("No notes.")
            return
        ordered = sorted(items, key=lambda n: n.at)
        shown = ordered[-self.limits.notes :]
        self.omitted(len(items), len(shown), "notes")
        for note in shown:
            text = note.text
            if len(text) > MAX_NOTE_CHARS:
                text = text[: MAX_NOTE_CHARS - 1].rsplit(" ", 1)[0].rstrip() + "…"
            self.line(f"{self.when(note.at)}, {note.author}:", bold=True)
            self.line(text)

    def build(self, chart_png: bytes | None) -> FPDF:
        self.pdf.add_page()
        self.title()
        self.identity()
        self.timeline()
        self.criteria()
        self.metrics()
        self.trends(chart_png)
        self.alerts()
        self.clearances()
        self.notes()
        return self.pdf


def _png_aspect(png: bytes) -> float:
    """Height ÷ width of a PNG, read from its IHDR header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        raise ValueError("chart_png is not a PNG image: expected the bytes of render_progress_png")
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    return height / width


def render_report_pdf(data: ReportData, chart_png: bytes | None = None) -> bytes:
    """Return the clinician report for ``data`` as PDF bytes (A4, normally one or two pages).

    ``chart_png`` is the athlete's progress chart (from `render_progress_png`), placed next to
    the pain and readiness summary; without it the report is text only. Long lists keep their
    newest rows, fewer of them when that is what it takes to stay within two pages.
    """
    for limits in LIMITS:
        pdf = _Writer(data, limits).build(chart_png)
        if pdf.page_no() <= MAX_PAGES:
            break
    return bytes(pdf.output())
