"""The clinician report: an A4 PDF for the medical record, built with fpdf2.

Page 1 says who, which injury, where the athlete stands (the stage timeline with who moved
them and why, what the stage still needs, metrics, pain and readiness); page 2 opens with the
progress chart at the full width of the page, drawn at its printed size so that no text on it
is smaller than 8 pt on paper; the alerts and the clinician's record follow (on page 1 when
they fit there). The clinician's record is never cut: every action with its author and
reason. Longer lists keep their newest rows with a line saying how many were left out: the
timeline its newest moves, the alerts every open one and the newest handled ones. Text is
set in DejaVu Sans (shipped with matplotlib), so names, dashes and accents print as typed,
and never smaller than 8 pt; Hebrew and Arabic read right to left, Arabic letters joined
(``bot.reports.rtl``), and invisible characters leave no gap. A change of the pre-injury
baseline after it was first recorded is printed under the metrics, old and new values.
Times are in the reader's zone, named once in the header; dates of the athlete's days are
their own local dates. Headings, the athlete's name, stage labels, protocol titles and
people's names wrap onto further lines, so none runs off the page or is cut short.

An athlete's own /report is the same report in their words (``ReportData.audience``
"athlete"): stages as "Stage 3 of 8 · back to running", "top speed", "a warning sign", "your
clinician's OK"; no stage code, rule id, severity or clinician's alert line. Clinicians' notes
and reasons are printed as typed for both: the athlete's /export holds them already.
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
from fpdf.enums import MethodReturnValue
from fpdf.fonts import FontFace

from bot.reports.data import (
    AlertRow,
    CriterionRow,
    MetricRow,
    RecordRow,
    ReportData,
    StageEntry,
)
from bot.reports.rtl import has_rtl, rtl_paragraph, shape, visual
from bot.reports.words import joined, short_date
from bot.support.formats import format_decimal, format_locale, format_percent
from bot.support.i18n import L_, LazyText, _, labelled, ngettext
from bot.wording import injury_words, speed_pct, speed_percent_definition

DISCLAIMER = L_("Sprintback supports clinicians; it is not a medical device.")
FONT = "DejaVu"
SEVERITY_TEXT: dict[str, LazyText] = {
    "emergency": L_("EMERGENCY"),
    "same_day": L_("Same day"),
    "within_24h": L_("Within 24 h"),
    "info": L_("Info"),
}
# The readiness words of the trend line (the engine's verdicts, in the clinician's words).
READINESS_WORDS: dict[str, LazyText] = {
    "go": L_("go"),
    "modify": L_("lighter"),
    "rest": L_("rest"),
    "stop": L_("stop"),
}
# Where fpdf writes the page count. Not "{nb}" (fpdf's default), which a name or note could
# hold: it holds a control character, which _clean removes from every text we are given.
PAGES_ALIAS = "\x1bnb\x1b"
# A note longer than this continues on the rows under it (each row fits on a page: fpdf
# cannot split a row); it is never cut.
NOTE_PART_CHARS = 900
MAX_CELL_LINES = 8  # line breaks kept in a table cell (a note's); the rest run on
MAX_BASELINE_CHANGES = 5  # the newest changes of the baseline printed under the metrics
EASIER_SPEED = L_("A lower Vmax or slower splits make the speed criteria easier to meet.")
BASELINE_NOW = L_("Percentages are of the baseline as it is now.")
SMALLEST_FONT_PT = 8.0  # tables, notes and the footer; nothing on the page is smaller

# The athlete's own report (``ReportData.audience`` "athlete"): the same sections in their
# words (voice.md: "top speed", "pre-injury best", "a warning sign", "your clinician's OK";
# no stage code, rule id or clinician's term). The clinician's words stay where they are.
ATHLETE_HEADINGS: dict[str, LazyText] = {
    "identity": L_("You and your injury"),
    "timeline": L_("Your stages: who moved you, and why"),
    "criteria": L_("What's needed to move up from {stage}"),
    "criteria_current": L_("What's needed to move up from your stage"),
    "metrics": L_("Your results against your pre-injury bests"),
    "trends": L_("Pain and morning check-ins"),
    "alerts": L_("Warning signs and what your clinician was told"),
    "record": L_("What your clinician did, and why"),
}
ATHLETE_TIMES = L_("Times are in {zone}.")
ATHLETE_NO_CRITERIA = L_("This stage lists nothing more to move up.")
ATHLETE_SO_FAR = L_("So far")
ATHLETE_DONE = L_("done")
ATHLETE_PRE_INJURY_BEST = L_("Pre-injury best")
ATHLETE_NO_BEST = L_("no pre-injury best")
ATHLETE_SPEED_COLUMN = L_("% of your pre-injury speed")
ATHLETE_BEST_CHANGED = L_("Your pre-injury bests changed {when}: {changes}.")
ATHLETE_EASIER = L_(
    "A lower top speed or slower sprint times make the speed targets easier to reach."
)
ATHLETE_BEST_NOW = L_("Percentages are of your pre-injury bests as they are now.")
ATHLETE_TEST_PAIN = L_("Average pain in the daily test, last 7 days: {mean}/10")
ATHLETE_SESSION_PAIN = L_("Worst pain during a session, last 7 days: {pain}/10.")
ATHLETE_CHART_NOTE = L_(
    "Stages shaded; speed as a percentage of your pre-injury speed, with the speed needed to "
    "move up; pain 0–10; warning signs and steps back on their own row."
)
ATHLETE_SEEN_BY = L_("Seen by your clinician")
ATHLETE_NOT_SEEN = L_("not seen yet")
ATHLETE_NO_RECORD = L_("Your clinician has not recorded anything yet.")
ATHLETE_HOW = L_("how it happened: {mechanism}")
# The identity table's words for the athlete: the words of their onboarding ("Grade: not
# known"), their plan by its name (a version number means nothing to them), when it started.
ATHLETE_GRADE_UNKNOWN = L_("grade not known")
ATHLETE_PLAN = L_("Your plan")
ATHLETE_STARTED = L_("Started")
ATHLETE_NOT_STARTED = L_("not started yet")


@dataclass(frozen=True)
class Limits:
    """How many rows of each list the report shows (the newest are kept; every open alert is
    shown even beyond ``alerts``)."""

    timeline: int
    criteria: int
    metrics: int
    alerts: int


# How many rows the summary sections keep (the newest); the clinician's record is never cut,
# so a long record takes a third page rather than losing an entry.
LIMITS = Limits(timeline=10, criteria=14, metrics=10, alerts=6)
HEADING = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))
# Column widths (mm, 180 in all: the page's width inside its margins) of the tables whose
# labels and fixed words are widest in some language: every word of them fits its column
# whole in each language ("Verletzungsdatum", bold "Schweregrad", "EMERGÊNCIA"), so none is
# broken mid-word.
IDENTITY_WIDTHS = (24, 78, 30, 48)  # label, value, label, value
ALERT_WIDTHS = (31, 25, 65, 59)  # time, severity, alert, acknowledged and action


@cache
def _font_dir() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _clean_char(ch: str) -> str:
    """What ``ch`` prints as: itself, a space for a control character (a stray tab or bell
    from a chat message), nothing for an invisible format character (a zero-width space or
    joiner, a soft hyphen, a bidirectional control), which would otherwise open a gap inside
    a word or turn the text around."""
    category = unicodedata.category(ch)
    if ch == "\n" or category[0] != "C":
        return ch
    return "" if category == "Cf" else " "


def _clean(text: str | None) -> str:
    """Printable text: Arabic letters joined (:func:`bot.reports.rtl.shape`, which reads the
    zero-width joiners before they go), control characters spaced out, invisible ones
    removed."""
    if not text:
        return ""
    return "".join(_clean_char(ch) for ch in shape(text)).strip()


def _few_lines(text: str, limit: int) -> str:
    """``text`` with at most ``limit`` lines: blank lines dropped, the lines beyond the limit
    run on after the last one. A note typed with hundreds of line breaks made a table row
    taller than a page, which fpdf cannot print: the whole report failed."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) <= limit:
        return "\n".join(lines)
    return "\n".join([*lines[: limit - 1], " ".join(lines[limit - 1 :])])


def note_parts(text: str, size: int = NOTE_PART_CHARS) -> list[str]:
    """Return a note cut into parts of at most ``size`` characters, at spaces (a word longer
    than that, a link, is broken inside): each part is one table row, short enough to fit on
    a page (its lines beyond :data:`MAX_CELL_LINES` run on). Nothing is left out: the parts
    are the note's words in order, its lines kept (blank lines dropped)."""
    parts: list[str] = []
    current = ""
    for paragraph in (line.strip() for line in text.split("\n")):
        if not paragraph:
            continue
        sep = "\n" if current else ""
        for word in paragraph.split():
            while len(word) > size:
                if current:
                    parts.append(current)
                    current = ""
                parts.append(word[:size])
                word = word[size:]
            if not word:
                continue
            candidate = f"{current}{sep}{word}" if current else word
            if len(candidate) > size:
                parts.append(current)
                current = word
            else:
                current = candidate
            sep = " "
    if current:
        parts.append(current)
    return parts or [text.strip()]


def _date(value: dt.date) -> str:
    """A date with a short month and the year, in the reader's language ("9 Mar 2026",
    "1er mars 2026")."""
    return short_date(value, year=True)


def _number(value: float) -> str:
    """A measured value as the reader writes it ("1,82" in German)."""
    return format_decimal(value)


def _speed_pct(row: MetricRow) -> str:
    """The latest value as % of the pre-injury speed (one definition for speeds and times)."""
    if row.latest is None or not row.baseline or row.unit not in ("m/s", "s"):
        return "—"
    return format_percent(speed_pct(row.latest, row.baseline, is_time=not row.higher_is_better))


class _Report(FPDF):
    """FPDF with the Sprintback footer on every page."""

    generated_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.set_text_color(70, 70, 70)
        self.cell(0, 4, str(DISCLAIMER), align="C", new_x="LMARGIN", new_y="NEXT")
        self.cell(
            0,
            4,
            _("{generated} · page {page}/{pages}").format(
                generated=self.generated_text, page=self.page_no(), pages=PAGES_ALIAS
            ),
            align="C",
        )
        self.set_text_color(0, 0, 0)


class _Writer:
    """Lays out one ReportData on a fresh PDF."""

    def __init__(self, data: ReportData, limits: Limits) -> None:
        self.data = data
        self.limits = limits
        # The athlete's own report: their words in every section.
        self.athlete = data.audience == "athlete"
        self.zone = ZoneInfo(data.timezone)
        pdf = _Report(orientation="portrait", unit="mm", format="A4")
        pdf.alias_nb_pages(PAGES_ALIAS)
        pdf.set_margins(15, 14, 15)
        pdf.set_auto_page_break(auto=True, margin=18)
        pdf.add_font(FONT, "", str(_font_dir() / "DejaVuSans.ttf"))
        pdf.add_font(FONT, "B", str(_font_dir() / "DejaVuSans-Bold.ttf"))
        pdf.set_title(_("Sprintback report: {name}").format(name=data.athlete_name))
        pdf.set_creator("Sprintback")
        pdf.set_creation_date(data.generated_at)
        pdf.generated_text = _("Generated {when}").format(when=self.when(data.generated_at))
        self.pdf: FPDF = pdf

    def when(self, instant: dt.datetime) -> str:
        local = instant.astimezone(self.zone)
        from babel import dates as babel_dates

        time = babel_dates.format_time(local.time(), "short", locale=format_locale())
        return f"{_date(local.date())} {time}"

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

    def wrapped(
        self, text: str, height: float, size: float, *, bold: bool = False, align: str = "L"
    ) -> None:
        """Draw ``text`` across the text width, wrapped onto as many lines as it needs: a
        heading or name that names a stage, a protocol or a person is never cut at the page
        edge (a word wider than the line is broken inside it). Headings and names are set
        flush left, as on one line; running text is justified."""
        self.pdf.set_font(FONT, "B" if bold else "", size)
        cleaned, align = self._visual(_clean(text), self.pdf.epw, align)
        self.pdf.multi_cell(0, height, cleaned, align=align, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font(FONT, "", 9)

    def _visual(self, text: str, width: float, align: str) -> tuple[str, str]:
        """Return ``text`` (cleaned) as it is drawn within ``width`` in the current font, and
        its alignment: text holding right-to-left letters broken into its lines here and each
        line put in the order it is seen (:func:`bot.reports.rtl.visual`; fpdf draws
        characters in the order given), set flush right when it reads right to left; any
        other text as it is."""
        if not has_rtl(text):
            return text, align
        lines = self.pdf.multi_cell(width, 1, text, dry_run=True, output=MethodReturnValue.LINES)
        broken = lines if isinstance(lines, list) else [text]
        rtl = rtl_paragraph(text)
        shown = "\n".join(visual(str(line), rtl=rtl) for line in broken)
        return shown, "R" if rtl else ("L" if align == "J" else align)

    def _wrapped_lines(self, text: str, size: float, *, bold: bool = False) -> int:
        """How many lines ``wrapped`` draws ``text`` on (fpdf's own line breaking)."""
        self.pdf.set_font(FONT, "B" if bold else "", size)
        lines = self.pdf.multi_cell(
            0, 1, _clean(text), dry_run=True, output=MethodReturnValue.LINES
        )
        self.pdf.set_font(FONT, "", 9)
        return max(1, len(lines) if isinstance(lines, list) else 1)

    def heading(self, text: str) -> None:
        lines = self._wrapped_lines(text, 11.5, bold=True)
        if self.measuring:
            self.measured_mm += 2.5 + 6.5 * lines
            return
        pdf = self.pdf
        # The heading and the first lines under it start on the same page.
        if pdf.will_page_break(13.5 + 6.5 * lines):
            pdf.add_page()
        pdf.ln(2.5)
        self.wrapped(text, 6.5, 11.5, bold=True)

    def line(self, text: str, *, bold: bool = False, size: float = 9) -> None:
        if self.measuring:
            self.measured_mm += 4.6 * self._lines(text, self.pdf.epw, size, bold)
            return
        self.wrapped(text, 4.6, size, bold=bold, align="J")

    def table(
        self, widths: Sequence[float], header: Sequence[str] | None, rows: list[list[str]]
    ) -> None:
        pdf = self.pdf
        if self.measuring:
            # Word wrapping wastes some of each line: a tenth more than the text's width.
            every = [list(header)] if header is not None else []
            for values in [*every, *rows]:
                lines = max(
                    self._lines(_few_lines(_clean(value), MAX_CELL_LINES), width - 2.5, 8,
                                bold=values is header)
                    for value, width in zip(values, widths, strict=True)
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
                for value, width in zip(values, widths, strict=True):
                    # A cell's text wraps inside its padding (1 mm a side): right-to-left
                    # text is broken a little inside that, so fpdf breaks it no further.
                    cell = _few_lines(_clean(value), MAX_CELL_LINES)
                    shown, align = self._visual(cell, width - 2.5, "L")
                    row.cell(shown, align=align)
        pdf.set_font(FONT, "", 9)

    def omitted(self, total: int, shown: int, what: str) -> None:
        if total > shown:
            self.line(what.format(n=total - shown))

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
        data = self.data
        self.wrapped(_("Return-to-sprint report"), 8, 16, bold=True)
        # The name whole, on as many lines as it takes (Telegram allows 64 + 64 characters).
        ref = f"  ({data.athlete_ref})" if data.athlete_ref else ""
        # A line break in a name is a space: the name is one heading.
        self.wrapped(" ".join(data.athlete_name.split()) + ref, 7, 13, bold=True)

    def identity(self) -> None:
        data = self.data
        injury = data.injury
        known_muscle = injury.muscle and injury.muscle != "unknown"
        described = injury_words(injury.side, injury.injury, injury.muscle)
        # The athlete is not told what their clinician's record lacks (the muscle).
        muscle = "" if known_muscle or self.athlete else ", " + _("muscle not recorded")
        unknown_grade = str(ATHLETE_GRADE_UNKNOWN) if self.athlete else _("grade not recorded")
        grade = (
            _("grade {grade}").format(grade=injury.grade)
            if injury.grade is not None
            else unknown_grade
        )
        mechanism = (
            (ATHLETE_HOW if self.athlete else L_("mechanism {mechanism}")).format(
                mechanism=_mechanism(injury.mechanism)
            )
            if injury.mechanism
            else ("" if self.athlete else _("mechanism not recorded"))
        )
        local_today = data.athlete_today or data.generated_at.astimezone(self.zone).date()
        days = (local_today - injury.injury_date).days
        stage = data.current_stage_label or data.current_stage or _("not started")
        if data.timeline and data.current_stage:
            stage = _("{stage}, since {date}").format(
                stage=stage, date=_date(data.timeline[-1].entered)
            )
        not_enrolled = str(ATHLETE_NOT_STARTED) if self.athlete else _("not enrolled")
        enrolled = _date(data.enrolled) if data.enrolled else not_enrolled
        if self.athlete:
            protocol = [str(ATHLETE_PLAN), data.protocol_name, str(ATHLETE_STARTED), enrolled]
        else:
            protocol = [
                _("Protocol"),
                _("{name}, version {version}").format(
                    name=data.protocol_name, version=data.protocol_version
                ),
                _("Enrolled"),
                enrolled,
            ]
        rows = [
            [
                _("Injury"),
                ", ".join(part for part in (f"{described}{muscle}", grade, mechanism) if part),
                _("Injury date"),
                _("{date} (day {number})").format(date=_date(injury.injury_date), number=days),
            ],
            protocol,
            [
                _("Current stage"),
                stage,
                _("Clinician"),
                data.clinician_name or _("none linked"),
            ],
        ]
        if self.athlete:
            self.heading(str(ATHLETE_HEADINGS["identity"]))
            self.table(IDENTITY_WIDTHS, None, rows)
            self.line(str(ATHLETE_TIMES).format(zone=data.timezone), size=8)
            return
        self.heading(_("Athlete and injury"))
        self.table(IDENTITY_WIDTHS, None, rows)
        self.line(
            _(
                "Times are in {zone}; dates of the athlete's days are their own calendar dates."
            ).format(zone=data.timezone),
            size=8,
        )

    def timeline(self) -> None:
        entries: list[StageEntry] = self.data.timeline
        self.heading(
            str(ATHLETE_HEADINGS["timeline"])
            if self.athlete
            else _("Stage timeline: who moved the athlete, and why")
        )
        if not entries:
            self.line(_("No stage entered yet."))
            return
        shown = entries[-self.limits.timeline :]
        self.omitted(
            len(entries),
            len(shown),
            ngettext(
                "{n} earlier stage change not shown (see the bot for the full list).",
                "{n} earlier stage changes not shown (see the bot for the full list).",
                len(entries) - len(shown),
            ),
        )
        rows = [
            [
                self.when(e.at) if e.at is not None else _date(e.entered),
                e.stage_label or e.stage,
                e.moved_by,
                e.reason or "—",
            ]
            for e in shown
        ]
        self.table((31, 46, 30, 73), (_("When"), _("Stage"), _("Moved by"), _("Why")), rows)

    def criteria(self) -> None:
        data = self.data
        items: list[CriterionRow] = data.criteria
        if data.criteria_unavailable:
            # No stage of the protocol to name, and no criteria that are not the athlete's.
            self.heading(
                str(ATHLETE_HEADINGS["criteria_current"])
                if self.athlete
                else _("What is needed to leave the current stage")
            )
            self.line(data.criteria_unavailable)
            return
        stage = (
            data.criteria_stage_label
            or data.criteria_stage
            or data.current_stage_label
            or data.current_stage
        )
        if self.athlete:
            self.heading(
                str(ATHLETE_HEADINGS["criteria"]).format(stage=stage)
                if stage
                else str(ATHLETE_HEADINGS["criteria_current"])
            )
        elif stage:
            self.heading(_("What is needed to leave {stage}").format(stage=stage))
        else:
            # Whole: "leave {stage}" with "the current stage" in it read "salir de la etapa
            # la etapa actual" where a catalogue puts "stage" before {stage}.
            self.heading(_("What is needed to leave the current stage"))
        if not items:
            self.line(
                str(ATHLETE_NO_CRITERIA)
                if self.athlete
                else _("No exit criteria recorded for this stage.")
            )
            return
        met = sum(1 for c in items if c.met)
        left = data.still_needed or [c.name for c in items if not c.met]
        summary = ngettext("{met} of {n} met.", "{met} of {n} met.", len(items)).format(
            met=met, n=len(items)
        )
        if left:
            summary += " " + _("Still needed: {items}.").format(items=joined(left))
        self.line(summary)
        shown = items[: self.limits.criteria]
        if self.athlete:
            done, undone = str(ATHLETE_DONE), _("not yet")
            header = (_("What"), str(ATHLETE_SO_FAR), _("Needed"), _("Status"))
        else:
            done, undone = _("met"), _("NOT MET")
            header = (_("What"), _("Seen"), _("Needed"), _("Status"))
        rows = [[c.name, c.observed, c.needed, done if c.met else undone] for c in shown]
        self.table((62, 34, 64, 20), header, rows)
        if len(items) > len(shown):
            hidden = len(items) - len(shown)
            self.line(
                ngettext("{n} more item not shown.", "{n} more items not shown.", hidden).format(
                    n=hidden
                )
            )
        if data.criteria_note:
            self.line(data.criteria_note, size=8)

    def metrics(self) -> None:
        rows_in: list[MetricRow] = self.data.metrics
        athlete = self.athlete
        self.heading(
            str(ATHLETE_HEADINGS["metrics"])
            if athlete
            else _("Metrics against the pre-injury baseline")
        )
        if not rows_in:
            self.line(_("No metrics recorded."))
            return
        rows = []
        for m in rows_in[: self.limits.metrics]:
            unit = f" {m.unit}" if m.unit else ""
            baseline = (
                f"{_number(m.baseline)}{unit}"
                if m.baseline is not None
                else (str(ATHLETE_NO_BEST) if athlete else _("no baseline"))
            )
            latest = f"{_number(m.latest)}{unit}" if m.latest is not None else _("not measured")
            if m.latest is not None and m.latest_date is not None:
                latest += f" ({_date(m.latest_date)})"
            rows.append([m.name, baseline, latest, _speed_pct(m)])
        header = (
            (_("What"), str(ATHLETE_PRE_INJURY_BEST), _("Latest"), str(ATHLETE_SPEED_COLUMN))
            if athlete
            else (_("Metric"), _("Baseline"), _("Latest"), _("Speed (% pre-injury)"))
        )
        self.table((48, 34, 52, 46), header, rows)
        self.line(speed_percent_definition(self.data.audience) + ".", size=8)
        self.baseline_changes()

    def baseline_changes(self) -> None:
        """Each change of the baseline after it was first recorded, with its old and new
        values: the table reads the newest, so a lowered top speed would otherwise raise every
        percentage, and ease the speed criteria, without a word."""
        changes = self.data.baseline_changes
        if not changes:
            return
        shown = changes[-MAX_BASELINE_CHANGES:]
        self.omitted(
            len(changes),
            len(shown),
            ngettext(
                "{n} earlier baseline change not shown.",
                "{n} earlier baseline changes not shown.",
                len(changes) - len(shown),
            ),
        )
        changed = (
            ATHLETE_BEST_CHANGED
            if self.athlete
            else L_("Pre-injury baseline changed {when}: {changes}.")
        )
        for change in shown:
            self.line(
                str(changed).format(when=self.when(change.at), changes=joined(change.changes)),
                size=8,
            )
        if any(change.easier for change in changes):
            self.line(str(ATHLETE_EASIER if self.athlete else EASIER_SPEED), bold=True, size=8)
        self.line(str(ATHLETE_BEST_NOW if self.athlete else BASELINE_NOW), size=8)

    def trends(self) -> None:
        trend = self.data.trend
        self.heading(str(ATHLETE_HEADINGS["trends"]) if self.athlete else _("Pain and readiness"))
        if trend is None:
            self.line(_("No pain or readiness answers summarised."))
            return
        counts = trend.readiness
        parts = [
            f"{word} {counts.get(key, 0)}"  # type: ignore[call-overload]
            for key, word in READINESS_WORDS.items()
        ]
        parts.append(_("missed {n}").format(n=counts.get("missing", 0)))
        if trend.since is not None and trend.days:
            self.line(
                ngettext(
                    "Morning check-ins, {n} day from {since} (counted from enrolment, paused "
                    "days left out): {counts}.",
                    "Morning check-ins, {n} days from {since} (counted from enrolment, paused "
                    "days left out): {counts}.",
                    trend.days,
                ).format(n=trend.days, since=_date(trend.since), counts=", ".join(parts))
            )
        else:
            self.line(_("No morning check-in was due yet."))
        if trend.mean_test_pain_last7 is not None:
            mean_pain = (
                ATHLETE_TEST_PAIN
                if self.athlete
                else L_("Mean morning test pain, last 7 days: {mean}/10")
            )
            text = str(mean_pain).format(mean=format_decimal(trend.mean_test_pain_last7, 1))
            if trend.mean_test_pain_prev7 is not None:
                change = trend.mean_test_pain_last7 - trend.mean_test_pain_prev7
                sign = "+" if change >= 0 else "−"
                text += " " + _("(previous 7 days {mean}, {change})").format(
                    mean=format_decimal(trend.mean_test_pain_prev7, 1),
                    change=sign + format_decimal(abs(change), 1),
                )
            self.line(text + ".")
        if trend.max_session_pain_last7 is not None:
            worst = (
                ATHLETE_SESSION_PAIN
                if self.athlete
                else L_("Worst session pain, last 7 days: {pain}/10.")
            )
            self.line(str(worst).format(pain=trend.max_session_pain_last7))

    def chart(self, chart_png: bytes) -> None:
        pdf = self.pdf
        height = pdf.epw * _png_aspect(chart_png)
        if pdf.will_page_break(height + 22):
            pdf.add_page()
        self.heading(_("Progress chart"))
        self.line(
            str(ATHLETE_CHART_NOTE)
            if self.athlete
            else _(
                "Stages shaded (from the stage history); speed as a percentage of the "
                "pre-injury speed with the current stage's speed criterion; pain 0–10; red "
                "flags and step backs on their own row."
            ),
            size=8,
        )
        pdf.image(io.BytesIO(chart_png), x=pdf.l_margin, w=pdf.epw, alt_text=_("Progress chart"))
        pdf.ln(1)

    def alerts(self) -> None:
        if self.athlete:
            self.athlete_alerts()
            return
        items: list[AlertRow] = self.data.alerts
        self.heading(_("Alerts and how they were handled"))
        if not items:
            self.line(_("No alerts."))
            return
        total = max(len(items), self.data.alerts_total or 0)
        open_count = sum(1 for a in items if _is_open(a))
        self.line(
            ngettext("{n} alert, {open} open.", "{n} alerts, {open} open.", total).format(
                n=total, open=open_count
            )
        )
        shown = shown_alerts(items, self.limits.alerts)
        # Every open alert is shown: whatever is left out has been handled.
        self.omitted(
            total,
            len(shown),
            ngettext(
                "{n} older handled alert not shown (see the bot for the full list).",
                "{n} older handled alerts not shown (see the bot for the full list).",
                total - len(shown),
            ),
        )
        rows = []
        for a in shown:
            if not _is_open(a):
                handled = a.acknowledged_by or _("a clinician")
                if a.acknowledged_at is not None:
                    handled += f", {self.when(a.acknowledged_at)}"
            else:
                handled = _("OPEN (not acknowledged)")
            if a.action:
                handled = labelled(handled, a.action)
            rows.append([self.when(a.at), str(SEVERITY_TEXT[a.severity]), a.text, handled])
        self.table(
            ALERT_WIDTHS,
            (_("Time"), _("Severity"), _("Alert"), _("Acknowledged, action")),
            rows,
        )

    def athlete_alerts(self) -> None:
        """The alerts in the athlete's own report: when, what it was about and whether (and
        when) their clinician saw it, in their words; no severity (the clinician's urgency)
        and no alert line (written to the clinician)."""
        items: list[AlertRow] = self.data.alerts
        self.heading(str(ATHLETE_HEADINGS["alerts"]))
        if not items:
            self.line(_("No alerts."))
            return
        total = max(len(items), self.data.alerts_total or 0)
        shown = shown_alerts(items, self.limits.alerts)
        self.omitted(
            total,
            len(shown),
            ngettext(
                "{n} older handled alert not shown (see the bot for the full list).",
                "{n} older handled alerts not shown (see the bot for the full list).",
                total - len(shown),
            ),
        )
        rows = []
        for a in shown:
            if _is_open(a):
                # What their clinician did about it says they saw it.
                seen = a.action or str(ATHLETE_NOT_SEEN)
            else:
                seen = a.acknowledged_by or _("a clinician")
                if a.acknowledged_at is not None:
                    seen += f", {self.when(a.acknowledged_at)}"
            if a.action and not _is_open(a):
                seen = labelled(seen, a.action)
            rows.append([self.when(a.at), a.text, seen])
        self.table((31, 85, 64), (_("Time"), _("What"), str(ATHLETE_SEEN_BY)), rows)

    def record(self) -> None:
        items: list[RecordRow] = sorted(self.data.record, key=lambda r: r.at)
        self.heading(
            str(ATHLETE_HEADINGS["record"])
            if self.athlete
            else _("Clinician's record: every action, its author and reason")
        )
        if not items:
            self.line(
                str(ATHLETE_NO_RECORD)
                if self.athlete
                else _("No clinician action, sign-off or note recorded.")
            )
            return
        rows = []
        for r in items:
            first, *rest = note_parts(r.text or _("no reason given"))
            rows.append([self.when(r.at), r.action, r.by, first])
            # The rest of a long note on the rows under it, whole.
            rows.extend(["", "", "", part] for part in rest)
        action = _("What") if self.athlete else _("Action")
        self.table((31, 50, 30, 69), (_("Time"), action, _("By"), _("Reason or note")), rows)

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


_MECHANISMS: dict[str, LazyText] = {
    "sprint": L_("sprinting"),
    "stretch": L_("stretching"),
    "other": L_("other"),
    "unknown": L_("unknown"),
}


def _mechanism(value: str) -> str:
    """How the injury happened, in words (the stored id when it is not a known one)."""
    found = _MECHANISMS.get(value)
    return str(found) if found is not None else value


def _is_open(alert: AlertRow) -> bool:
    """Whether nobody has acknowledged the alert yet."""
    return alert.acknowledged_at is None and not alert.acknowledged_by


def shown_alerts(items: Sequence[AlertRow], limit: int) -> list[AlertRow]:
    """Return the alert rows the report prints, oldest first: every open alert, however old
    or many (an unacknowledged red flag is never left out), and as many of the newest handled
    ones as fill the rest of ``limit`` rows."""
    ordered = sorted(items, key=lambda a: a.at)
    handled = [i for i, a in enumerate(ordered) if not _is_open(a)]
    room = max(0, limit - (len(ordered) - len(handled)))
    dropped = set(handled[: max(0, len(handled) - room)])
    return [a for i, a in enumerate(ordered) if i not in dropped]


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
    without it the report is text only. The timeline keeps its newest rows, the alerts every
    open one and the newest handled ones; the clinician's record is never cut.
    """
    pdf = _Writer(data, LIMITS).build(chart_png)
    return bytes(pdf.output())
