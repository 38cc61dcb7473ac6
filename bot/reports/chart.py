"""The athlete progress chart: first what it will show (a ChartSpec), then the PNG of exactly that.

`build_chart_spec` is pure and decides every series, band, marker, label and range; tests
assert on it. `render_progress_png` only draws a spec with matplotlib's object API
(Figure + FigureCanvasAgg, never pyplot, whose global state is not thread-safe), so it can
run in a worker thread while the bot serves other users. Every text is drawn as plain text
(``usetex`` and mathtext off), so a name such as "$ally" prints as typed. The font
(DejaVu Sans) has no emoji or CJK glyphs: the title names the athlete with what it can draw
("Léa 🏃‍♀️" → "Léa"), by their number when that is nothing ("田中" → "Athlete 5"); a Hebrew or
Arabic name stays first in its line. The title and the y labels are measured and wrapped to
fit (a German or Spanish y label goes on two lines rather than past its plot).

Reading the chart: x = days since injury, with the athlete's local date under each tick.
Top panel: top speed (Vmax) and the best 10 m / 30 m split as % of the pre-injury speed, one
definition for all (``bot.wording.percentages``: 100 % = pre-injury speed, higher is faster;
a split is baseline time ÷ time × 100), and the current stage's speed criterion as a line at
exactly its threshold. Bottom panel: worst session pain and the morning test pain (0–10),
side by side within the day (morning a little left, session a little right) so that equal
values never hide each other. Red flags and step backs sit on their own "events" row, with
a vertical line through the panels: never as values on a scale. Stages are shaded bands
drawn from the stage history; each day sits in the band of the stage it was run in and the
title's stage is the last band. A calendar day without any record breaks the lines.

Why one module of ~750 lines: the spec and its drawing are two halves of one chart; a series,
band or marker added to the spec needs its drawing in the same change, and the drawing half
is only the matplotlib calls for what the spec decided.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from bot.reports.data import DayPoint, ProgressData, StagePeriod
from bot.reports.shown import STAGE_NOT_IN_PROTOCOL
from bot.reports.words import joined, printable_name, short_date
from bot.support.formats import format_percent
from bot.support.i18n import L_, _, ngettext
from bot.wording import (
    injury_words,
    item_label,
    speed_pct,
    speed_percent_definition,
    speed_series_label,
)
from bot.wording.stages import REMOVED_STAGE_BAND

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Okabe & Ito (2008) colour-blind-safe palette; every series also differs in marker and dash.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
BAND_COLOURS = ("#D6ECFA", "#FBF6C8")  # light sky blue / light yellow, alternating
TITLE_WIDTH = 60
_LRM = "\u200e"  # left-to-right mark
NO_DATA_MESSAGE = L_("No data yet")

PAIN_MEAN_DAYS = 7
DENSE_POINTS = 90  # above this many days, markers shrink and morning pain becomes a 7-day mean
PAIN_RANGE = (-0.6, 10.6)
# Within a day the morning test comes before the session: drawn a little left and right of
# the day so that equal values (both 0) never hide each other.
MORNING_OFFSET = -0.2
SESSION_OFFSET = 0.2
MAX_STILL_NEEDED = 3
# The chart in the PDF is drawn at its printed size (180 mm wide on A4), so its points are
# the printed points.
PRINT_WIDTH_IN = 180 / 25.4

Point = tuple[float, float]
Kind = Literal["step_back", "red_flag"]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True)


class Series(_Spec):
    """One line of the chart: its points split into runs that are drawn connected."""

    key: str
    label: str
    colour: str
    marker: str
    linestyle: str
    segments: list[list[Point]]
    marker_scale: float = 1.0
    hollow: bool = False

    @property
    def points(self) -> list[Point]:
        """All points of the series, in day order."""
        return [p for segment in self.segments for p in segment]


class HLine(_Spec):
    """A horizontal reference line (the stage's speed target, the 100 % pre-injury speed)."""

    key: str
    y: float
    label: str
    colour: str
    linestyle: str


class StageBand(_Spec):
    """A shaded stretch of days spent in one stage; x edges sit half a day outside the days."""

    stage: str
    label: str
    x_start: float
    x_end: float
    first_date: dt.date
    last_date: dt.date
    colour: str
    show_label: bool

    def holds(self, x: float) -> bool:
        """Tell whether ``x`` (days since injury) lies inside this band."""
        return self.x_start < x < self.x_end


class EventMarker(_Spec):
    """A step-back or red-flag day: a marker on the events row and a vertical line."""

    kind: Kind
    x: int
    local_date: dt.date
    row: int
    label: str
    colour: str
    marker: str


class Tick(_Spec):
    """An x tick: days since injury and the athlete's local date on a second line."""

    x: int
    label: str


class Panel(_Spec):
    """One of the stacked plots."""

    key: Literal["performance", "pain", "events"]
    y_label: str
    y_range: tuple[float, float]
    y_ticks: list[float]
    series: list[Series]
    hlines: list[HLine]
    note: str | None = None
    y_tick_labels: list[str] | None = None


class ChartSpec(_Spec):
    """Everything the PNG shows, decided before any drawing."""

    title: str
    subtitle: str
    stage: str | None
    empty: bool
    empty_message: str | None
    x_label: str
    x_range: tuple[float, float]
    x_ticks: list[Tick]
    panels: list[Panel]
    bands: list[StageBand]
    markers: list[EventMarker]
    info: list[str]
    footnote: str | None
    small: bool
    figsize_in: tuple[float, float]
    dpi: int
    font_pt: float
    marker_size: float
    line_width: float

    @property
    def smallest_font_pt(self) -> float:
        """The smallest font size drawn (legends, the x label and notes use it)."""
        return self.font_pt - 2

    def panel(self, key: str) -> Panel:
        """Return the panel named ``key`` ('performance', 'pain' or 'events')."""
        for panel in self.panels:
            if panel.key == key:
                return panel
        raise KeyError(f"no panel {key!r}: expected 'performance', 'pain' or 'events'")

    def series(self, key: str) -> Series:
        """Return the series named ``key`` from whichever panel holds it."""
        for panel in self.panels:
            for series in panel.series:
                if series.key == key:
                    return series
        raise KeyError(f"no series {key!r}")

    def band_at(self, x: float) -> StageBand | None:
        """Return the stage band that holds ``x``, if any."""
        return next((band for band in self.bands if band.holds(x)), None)


# ---------------------------------------------------------------------------------------------
# Building the spec (pure)
# ---------------------------------------------------------------------------------------------


def _day(data: ProgressData, date: dt.date) -> int:
    return (date - data.injury.injury_date).days


def _format_date(date: dt.date, *, year: bool = False) -> str:
    """A day and short month in the reader's language ("9 Mar", "9 mars", "1er mars"), with
    the year."""
    return short_date(date, year=year)


def _title_name(data: ProgressData) -> str | None:
    """The athlete's name as the chart's font can draw it (``bot.reports.words.printable_name``:
    "Léa 🏃‍♀️" → "Léa"); "Athlete 5" when it can draw none of it (a
    name in CJK ideographs or emoji would print as boxes); None without a number either."""
    from bot.reports.glyphs import drawn_by_every_face

    name = printable_name(data.athlete_name, drawn_by_every_face())
    # A label's number alone ("(#5)", from "田中 (#5)") is no name.
    if name and any(ch.isalpha() for ch in re.sub(r"\(?#\d+\)?", "", name)):
        return name
    if data.athlete_id is not None:
        return _("Athlete {number}").format(number=data.athlete_id)
    return None


def _seen(line: str) -> str:
    """One line of the chart's title as it is laid out: matplotlib sets Hebrew and Arabic
    right to left itself (and joins Arabic letters), taking the line's direction from its
    first letter, so a line holding a right-to-left name starts with a left-to-right mark:
    the name stays first, and the chart's own words read left to right after it."""
    from bot.reports.rtl import has_rtl

    return _LRM + line if has_rtl(line) else line


def _segments(
    points: Sequence[DayPoint],
    data: ProgressData,
    value: Callable[[DayPoint], float | None],
    offset: float = 0.0,
) -> list[list[Point]]:
    """Split a series into connected runs.

    A run breaks where a calendar day has no record at all; a recorded day that simply did
    not measure this value (a rest day between sessions) keeps the line joined.
    """
    segments: list[list[Point]] = []
    current: list[Point] = []
    previous_date: dt.date | None = None
    for point in points:
        if previous_date is not None and (point.local_date - previous_date).days > 1 and current:
            segments.append(current)
            current = []
        previous_date = point.local_date
        y = value(point)
        if y is not None:
            current.append((_day(data, point.local_date) + offset, round(y, 2)))
    if current:
        segments.append(current)
    return segments


def _rolling_mean(
    points: Sequence[DayPoint], data: ProgressData, window_days: int
) -> list[list[Point]]:
    """Morning test pain as the mean of the recorded values in the last ``window_days`` days.

    Used for long histories, where a daily line is too dense to read; runs still break at
    days without any record.
    """
    by_day = {
        _day(data, p.local_date): p.morning_test_pain
        for p in points
        if p.morning_test_pain is not None
    }

    def mean(point: DayPoint) -> float | None:
        if point.morning_test_pain is None:
            return None
        day = _day(data, point.local_date)
        values = [by_day[d] for d in range(day - window_days + 1, day + 1) if d in by_day]
        return sum(values) / len(values)

    return _segments(points, data, mean)


def _pct_of(baseline: float | None, *, is_time: bool) -> Callable[[float | None], float | None]:
    def convert(raw: float | None) -> float | None:
        if raw is None or baseline is None:
            return None
        return speed_pct(raw, baseline, is_time=is_time)

    return convert


def _tick_step(span_days: int, max_ticks: int) -> int:
    for step in (1, 2, 3, 7, 14, 28, 56, 91, 182):
        if span_days // step + 1 <= max_ticks:
            return step
    return 365


def _ticks(data: ProgressData, x_min_day: int, x_max_day: int, max_ticks: int) -> list[Tick]:
    step = _tick_step(x_max_day - x_min_day, max_ticks)
    ticks = []
    for day in range(x_min_day, x_max_day + 1, step):
        date = data.injury.injury_date + dt.timedelta(days=day)
        ticks.append(Tick(x=day, label=f"{day}\n{_format_date(date)}"))
    return ticks


def _periods(data: ProgressData) -> list[StagePeriod]:
    """The stage periods to shade: the stage history when given, else runs of the points'
    stages; the current stage is always the last period (from the day after the last one
    when it is not already)."""
    periods = list(data.stages)
    named = {period.stage: (period.label, period.short) for period in periods}

    def names(stage: str, label: str | None = None) -> tuple[str, str]:
        # A band's name as the history names it; else, for an athlete, never a stage id
        # (voice.md): "Stage" and a dot, as a stage the protocol does not know.
        if stage in named:
            return named[stage]
        if label == str(STAGE_NOT_IN_PROTOCOL):
            # The caller said in words that a newer version removed the stage: the band says
            # so too ("Stage" alone tells the reader nothing).
            return str(REMOVED_STAGE_BAND), "·"
        if data.audience == "athlete":
            return (label if label and len(label) <= 12 else _("Stage")), "·"
        # A clinician's band shows the code of a stage the caller named with it ("H2 ·
        # Return to running"); a stage named otherwise (no longer in the protocol, a protocol
        # that cannot be read) is never shown by its id alone.
        if label is not None and not label.startswith(f"{stage} · "):
            return (label if len(label) <= 12 else _("Stage")), "·"
        return (label if label and len(label) <= 12 else stage), stage

    if not periods:
        for point in data.points:
            if not periods or periods[-1].stage != point.stage:
                label, short = names(point.stage)
                periods.append(
                    StagePeriod(
                        stage=point.stage, first_date=point.local_date, label=label, short=short
                    )
                )
    current = data.current_stage
    if periods and current is not None and periods[-1].stage != current:
        last = max(
            [periods[-1].first_date, *(p.local_date for p in data.points[-1:])],
        )
        label, short = names(current, data.current_stage_label)
        periods.append(
            StagePeriod(
                stage=current, first_date=last + dt.timedelta(days=1), label=label, short=short
            )
        )
    return periods


def _bands(
    periods: Sequence[StagePeriod], data: ProgressData, x_end: float, span: float, small: bool
) -> list[StageBand]:
    """One band per stage period: from its first day to the next period's first day."""
    min_label_width = span * (0.07 if small else 0.045)
    bands: list[StageBand] = []
    for index, period in enumerate(periods):
        start = _day(data, period.first_date) - 0.5
        end = _day(data, periods[index + 1].first_date) - 0.5 if index + 1 < len(periods) else x_end
        if end <= start:
            continue
        last_date = data.injury.injury_date + dt.timedelta(days=math.floor(end - 0.5))
        width = end - start
        wide = width >= min_label_width * max(1.0, len(period.label) / 3)
        bands.append(
            StageBand(
                stage=period.stage,
                label=period.label if wide else period.short,
                x_start=start,
                x_end=end,
                first_date=period.first_date,
                last_date=last_date,
                colour=BAND_COLOURS[len(bands) % 2],
                show_label=width >= min_label_width,
            )
        )
    return bands


def _performance_range(series: Sequence[Series], target: float | None) -> tuple[float, float]:
    values = [y for s in series for _, y in s.points]
    if target is not None:
        values.append(target)
    low = min([50.0, *values])
    high = max([110.0, *values])
    return (math.floor(low / 10) * 10 - 5, math.ceil(high / 10) * 10 + 5)


def _injury_text(data: ProgressData) -> str:
    injury = data.injury
    return injury_words(injury.side, injury.injury, injury.muscle)


def _info_lines(data: ProgressData) -> list[str]:
    """What the current stage still needs, in words: the speed criterion (met or not) and,
    when speed alone is met, everything else that is missing."""
    athlete = data.audience == "athlete"
    lines: list[str] = []
    target = data.target
    needed = data.still_needed[:MAX_STILL_NEEDED]
    more = len(data.still_needed) - len(needed)
    if more > 0:
        # "; and 2 more" is one more item of the list, joined as the language joins them.
        and_more = ngettext("; and {n} more", "; and {n} more", more).format(n=more)
        needed = [*needed, and_more.lstrip("; ").strip()]
    rest = joined(needed)
    if target is not None and target.label:
        stage = target.stage_label
        if target.met:
            line = (
                _("Speed needed to move up to {stage}: {speed} ✓ met")
                if stage
                else _("Speed needed to move up: {speed} ✓ met")
            )
        else:
            line = _("To move up to {stage}: {speed}") if stage else _("To move up: {speed}")
        lines.append(line.format(stage=stage, speed=target.label))
        if rest:
            lines.append(
                (
                    _("Also still needed: {rest}") if not target.met else _("Still needed: {rest}")
                ).format(rest=rest)
            )
    elif rest:
        lines.append(
            (
                _("To move up, still needed: {rest}") if athlete else _("Still needed: {rest}")
            ).format(rest=rest)
        )
    return lines


def _places(value: float) -> int:
    """Decimals a percentage needs (82 → 0, 82.5 → 1)."""
    return 0 if float(value).is_integer() else 1


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _performance_series(data: ProgressData, points: Sequence[DayPoint]) -> list[Series]:
    baseline = data.baseline
    audience = data.audience
    vmax_pct = _pct_of(baseline.vmax_ms, is_time=False)
    s10_pct = _pct_of(baseline.split_10m_s, is_time=True)
    s30_pct = _pct_of(baseline.split_30m_s, is_time=True)
    # Drawn in this order, each marker smaller than the one before: equal values stay visible.
    return [
        Series(
            key="vmax",
            label=_capital(speed_series_label("vmax", audience)),
            colour=OKABE_ITO["blue"],
            marker="o",
            linestyle="-",
            segments=_segments(points, data, lambda p: vmax_pct(p.vmax_ms)),
            marker_scale=1.25,
            hollow=True,
        ),
        Series(
            key="split_10m",
            label=_capital(speed_series_label("split_10m", audience)),
            colour=OKABE_ITO["bluish_green"],
            marker="^",
            linestyle="--",
            segments=_segments(points, data, lambda p: s10_pct(p.split_10m_s)),
            marker_scale=0.95,
        ),
        Series(
            key="split_30m",
            label=_capital(speed_series_label("split_30m", audience)),
            colour=OKABE_ITO["reddish_purple"],
            marker="D",
            linestyle=":",
            segments=_segments(points, data, lambda p: s30_pct(p.split_30m_s)),
            marker_scale=0.6,
        ),
    ]


def _pain_series(data: ProgressData, points: Sequence[DayPoint], many: bool) -> list[Series]:
    audience = data.audience
    morning = item_label("morning.pain_test", audience)
    session = item_label("session.pain_max", audience)
    return [
        Series(
            key="morning_test_pain",
            label=(
                _("{item} (7-day mean)").format(item=_capital(morning))
                if many
                else _("{item} (morning)").format(item=_capital(morning))
                if audience == "athlete"
                else _capital(morning)
            ),
            colour=OKABE_ITO["black"],
            marker="" if many else "s",
            linestyle="--",
            segments=(
                _rolling_mean(points, data, PAIN_MEAN_DAYS)
                if many
                else _segments(points, data, lambda p: p.morning_test_pain, MORNING_OFFSET)
            ),
            marker_scale=0.9,
            hollow=True,
        ),
        Series(
            key="session_pain",
            label=_capital(session),
            colour=OKABE_ITO["orange"],
            marker="o",
            # a year of daily values joined by a line is unreadable; dots show the spikes
            linestyle="none" if many else "-",
            segments=_segments(
                points, data, lambda p: p.session_pain_max, 0.0 if many else SESSION_OFFSET
            ),
            marker_scale=0.8,
        ),
    ]


def _events(data: ProgressData, points: Sequence[DayPoint]) -> tuple[list[EventMarker], list[str]]:
    """Red flags and step backs on their own rows (only the rows that have an event)."""
    athlete = data.audience == "athlete"
    names: dict[Kind, str] = {
        "red_flag": _("Warning sign") if athlete else _("Red flag"),
        "step_back": _("Stepped back") if athlete else _("Step back"),
    }
    style: dict[Kind, tuple[str, str]] = {
        "red_flag": (OKABE_ITO["vermillion"], "X"),
        "step_back": (OKABE_ITO["black"], "v"),
    }
    kinds: list[Kind] = [
        kind
        for kind in ("red_flag", "step_back")
        if any(p.red_flag if kind == "red_flag" else p.step_back for p in points)
    ]
    markers = [
        EventMarker(
            kind=kind,
            x=_day(data, point.local_date),
            local_date=point.local_date,
            row=row,
            label=names[kind],
            colour=style[kind][0],
            marker=style[kind][1],
        )
        for row, kind in enumerate(kinds)
        for point in points
        if (point.red_flag if kind == "red_flag" else point.step_back)
    ]
    return markers, [names[kind] for kind in kinds]


def build_chart_spec(
    data: ProgressData, *, small: bool = False, for_print: bool = False
) -> ChartSpec:
    """Decide everything the progress chart shows for ``data``: series, bands, markers, labels.

    ``small`` is the compact picture sent after a stage change: fewer ticks and labels, same
    content. ``for_print`` draws it at its printed size in the PDF (180 mm wide), with fonts
    of at least 8 pt on paper. The result is what `render_progress_png` draws, nothing more.
    """
    points = data.points
    athlete = data.audience == "athlete"
    name = _title_name(data)
    title = f"{name} · {_injury_text(data)}" if name else _capital(_injury_text(data))
    if for_print:
        font_pt, figsize, dpi = 10.0, (PRINT_WIDTH_IN, 6.6), 170
    elif small:
        font_pt, figsize, dpi = 13.0, (7.0, 8.0), 110
    else:
        font_pt, figsize, dpi = 15.0, (8.0, 9.0), 140
    if not points:
        figsize = (figsize[0], figsize[1] / 2)

    periods = _periods(data)
    last_day = _day(data, points[-1].local_date) if points else 0
    today_day = _day(data, data.today) if data.today else last_day
    last_period_day = _day(data, periods[-1].first_date) if periods else 0
    # The axis starts with the programme (or the first record), not at the injury: days
    # before enrolment have nothing to show.
    starts = [_day(data, p.first_date) for p in periods[:1]] + [
        _day(data, p.local_date) for p in points[:1]
    ]
    x_min_day = max(0, min(starts)) if starts else 0
    x_max_day = max(last_day, today_day, last_period_day, x_min_day)
    x_range = (x_min_day - 0.5, x_max_day + 0.5)
    span = x_range[1] - x_range[0]
    bands = _bands(periods, data, x_range[1], span, small) if points else []
    stage = bands[-1].stage if bands else data.current_stage
    # The stage in the reader's words when the caller gave them ("Stage 3 of 8 · back to
    # running", "H2 · Return to running"), else its code.
    stage_text = (
        data.current_stage_label
        if data.current_stage_label and stage == data.current_stage
        else (_("stage {stage}").format(stage=stage) if stage and not athlete else None)
    )

    subtitle_parts = [
        _("Injured {date}").format(date=_format_date(data.injury.injury_date, year=True))
    ]
    if points:
        subtitle_parts.append(_("day {number}").format(number=today_day))
        if stage_text:
            subtitle_parts.append(stage_text)
    subtitle = " · ".join(subtitle_parts)

    first_date = data.injury.injury_date + dt.timedelta(days=x_min_day)
    last_date = data.injury.injury_date + dt.timedelta(days=x_max_day)
    years = (
        f"{first_date.year}"
        if first_date.year == last_date.year
        else (f"{first_date.year}–{last_date.year}")
    )
    x_label = (
        _("Days since your injury ({years})").format(years=years)
        if athlete
        else _("Days since injury (athlete's local dates, {years})").format(years=years)
    )

    many = len(points) > DENSE_POINTS
    marker_size = (3.5 if many else 7.0) * (0.85 if small or for_print else 1.0)
    line_width = (1.8 if many else 2.4) * (0.75 if for_print else 1.0)

    perf_series = _performance_series(data, points)
    baseline = data.baseline
    missing_baseline = [
        name
        for name, value in (
            (speed_series_label("vmax", data.audience), baseline.vmax_ms),
            ("10 m", baseline.split_10m_s),
            ("30 m", baseline.split_30m_s),
        )
        if value is None
    ]
    perf_note: str | None = None
    if missing_baseline:
        perf_note = _("No pre-injury value for {items}: not shown").format(
            items=", ".join(missing_baseline)
        )
    elif points and not any(s.points for s in perf_series):
        perf_note = _("No speed measured yet")

    target = data.target
    perf_hlines = [
        HLine(
            key="baseline",
            y=100.0,
            label=(
                _("Pre-injury speed ({percent})") if athlete else _("Baseline ({percent})")
            ).format(percent=format_percent(100)),
            colour="#777777",
            linestyle="-",
        )
    ]
    if target is not None:
        perf_hlines.append(
            HLine(
                key="target",
                y=target.pct_of_baseline,
                label=_("Needed to move up: {percent}").format(
                    percent=format_percent(target.pct_of_baseline, _places(target.pct_of_baseline))
                ),
                colour=OKABE_ITO["black"],
                linestyle="-.",
            )
        )
    y_low, y_high = _performance_range(perf_series, target.pct_of_baseline if target else None)
    perf_ticks = [
        float(v) for v in range(int(y_low + 5), int(y_high), 10 if y_high - y_low <= 80 else 20)
    ]
    panels = [
        Panel(
            key="performance",
            y_label=_("Speed (% pre-injury)") if athlete else _("Speed (% baseline)"),
            y_range=(y_low, y_high),
            y_ticks=perf_ticks,
            series=perf_series,
            hlines=perf_hlines,
            note=perf_note,
        )
    ]
    has_pain = any(
        p.session_pain_max is not None or p.morning_test_pain is not None for p in points
    )
    panels.append(
        Panel(
            key="pain",
            y_label=_("Pain (0–10)"),
            y_range=PAIN_RANGE,
            y_ticks=[0.0, 2.0, 4.0, 6.0, 8.0, 10.0],
            series=_pain_series(data, points, many),
            hlines=[],
            note=None if not points or has_pain else _("No pain answers yet"),
        )
    )
    markers, rows = _events(data, points)
    if rows:
        panels.append(
            Panel(
                key="events",
                y_label="",
                y_range=(-0.6, len(rows) - 0.4),
                y_ticks=[float(i) for i in range(len(rows))],
                y_tick_labels=rows,
                series=[],
                hlines=[],
            )
        )

    return ChartSpec(
        title=title,
        subtitle=subtitle,
        stage=stage,
        empty=not points,
        empty_message=None if points else str(NO_DATA_MESSAGE),
        x_label=x_label,
        x_range=x_range,
        x_ticks=_ticks(data, x_min_day, x_max_day, 5 if small else 7),
        panels=panels,
        bands=bands,
        markers=markers,
        info=_info_lines(data) if points else [],
        footnote=(
            speed_percent_definition(data.audience) if any(s.points for s in perf_series) else None
        ),
        small=small,
        figsize_in=figsize,
        dpi=dpi,
        font_pt=font_pt,
        marker_size=marker_size,
        line_width=line_width,
    )


# ---------------------------------------------------------------------------------------------
# Drawing the spec
# ---------------------------------------------------------------------------------------------


def _joined(series: Series) -> tuple[list[float], list[float]]:
    """x and y arrays with a NaN between segments, so one plot call leaves the gaps empty."""
    xs: list[float] = []
    ys: list[float] = []
    for segment in series.segments:
        if xs:
            xs.append(math.nan)
            ys.append(math.nan)
        xs.extend(x for x, _ in segment)
        ys.extend(y for _, y in segment)
    return xs, ys


def _legend_columns(labels: Sequence[str], spec: ChartSpec) -> int:
    """As many columns as fit the plot's width (about 0.8 of the figure)."""
    char_in = spec.smallest_font_pt * 0.6 / 72
    widest = max(len(label) for label in labels) * char_in + 0.6  # text + line sample
    return max(1, min(len(labels), int(spec.figsize_in[0] * 0.8 // widest)))


def _legend(ax: Axes, spec: ChartSpec) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles,
            labels,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=_legend_columns(labels, spec),
            fontsize=spec.smallest_font_pt,
            frameon=False,
            handlelength=2.2,
            columnspacing=1.0,
            borderaxespad=0.2,
        )


def _draw_panel(ax: Axes, panel: Panel, spec: ChartSpec) -> None:
    font = spec.font_pt
    for band in spec.bands:
        ax.axvspan(band.x_start, band.x_end, color=band.colour, zorder=0, linewidth=0)
    for marker in spec.markers:
        ax.axvline(
            marker.x,
            color=marker.colour,
            linestyle="-" if marker.kind == "red_flag" else (0, (4, 3)),
            linewidth=1.2 if spec.small else 1.6,
            alpha=0.8,
            zorder=1,
        )
    for line in panel.hlines:
        ax.axhline(
            line.y,
            color=line.colour,
            linestyle=line.linestyle,
            linewidth=2.2 if line.key == "target" else 1.2,
            label=line.label,
            zorder=2,
        )
    for order, series in enumerate(panel.series):
        if not series.segments:
            continue
        xs, ys = _joined(series)
        ax.plot(
            xs,
            ys,
            color=series.colour,
            marker=series.marker,
            markerfacecolor="white" if series.hollow else series.colour,
            markeredgewidth=1.6 if series.hollow else 1.0,
            linestyle=series.linestyle,
            linewidth=spec.line_width,
            markersize=spec.marker_size * series.marker_scale,
            label=series.label,
            zorder=3 + order,
        )
    if panel.key == "events":
        for kind in ("red_flag", "step_back"):
            chosen = [m for m in spec.markers if m.kind == kind]
            if chosen:
                ax.plot(
                    [m.x for m in chosen],
                    [m.row for m in chosen],
                    linestyle="none",
                    marker=chosen[0].marker,
                    color=chosen[0].colour,
                    markersize=spec.font_pt - 1,
                    markeredgecolor="white",
                    zorder=4,
                )
    ax.set_ylim(*panel.y_range)
    ax.set_yticks(panel.y_ticks, panel.y_tick_labels)
    if panel.y_label:
        ax.set_ylabel(panel.y_label, fontsize=font)
    ax.tick_params(labelsize=font - 1)
    if panel.key == "events":
        ax.tick_params(axis="y", labelsize=spec.smallest_font_pt, length=0)
        ax.grid(False)
    else:
        ax.grid(axis="y", color="#BBBBBB", linewidth=0.6, alpha=0.7)
    if panel.note:
        ax.text(
            0.5,
            0.5,
            panel.note,
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=font,
            color="#444444",
            bbox={"facecolor": "white", "edgecolor": "#999999", "boxstyle": "round"},
        )
    if panel.key != "events":
        _legend(ax, spec)


def _draw_band_labels(ax: Axes, spec: ChartSpec) -> None:
    low, high = spec.panel("performance").y_range
    for band in spec.bands:
        if band.show_label:
            ax.text(
                (band.x_start + band.x_end) / 2,
                high - (high - low) * 0.04,
                band.label,
                ha="center",
                va="top",
                fontsize=spec.font_pt - 1,
                fontweight="bold",
                color="#333333",
                zorder=5,
            )


def _wrap_to(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` as ``measure`` says (at spaces; a word
    wider than a whole line is broken inside it).

    Measuring is the costly part (about a millisecond a call), so the line is measured whole
    once for its characters' mean width, wrapped by count, and each line checked: a little
    narrower when one is still too wide."""
    whole = measure(text)
    if whole <= width or len(text) < 2:
        return [text]
    chars = max(1, int(len(text) * width / whole))
    while True:
        lines = textwrap.wrap(text, chars) or [text]
        if chars == 1 or all(measure(line) <= width for line in lines):
            return lines
        chars = max(1, chars - max(1, chars // 20))


def _bottom_text(spec: ChartSpec, width: float, measure: Callable[[str], float]) -> str:
    """The lines under the plots (the x axis, what the stage still needs, the footnote), each
    wrapped to ``width``: they start at the plots' left edge, so the picture's width less the
    space left of the plots is all they have."""
    lines: list[str] = []
    for line in [spec.x_label, *spec.info, *([spec.footnote] if spec.footnote else [])]:
        lines += _wrap_to(line, width, measure)
    return "\n".join(lines)


def render_progress_png(
    data: ProgressData, *, small: bool = False, for_print: bool = False
) -> bytes:
    """Draw the progress chart for ``data`` and return it as PNG bytes.

    Thread-safe: uses its own Figure and Agg canvas, never pyplot.
    """
    return render_spec_png(build_chart_spec(data, small=small, for_print=for_print))


def render_spec_png(spec: ChartSpec) -> bytes:
    """Draw an already built ChartSpec as PNG bytes (deterministic for a given spec)."""
    fig = draw_spec(spec)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def draw_spec(spec: ChartSpec) -> Figure:
    """Return a new matplotlib Figure (on its own Agg canvas, never pyplot) showing ``spec``:
    what `render_spec_png` saves as PNG, for a caller that measures what is drawn."""
    # matplotlib takes about a second to import: loaded with the first chart, not at start-up.
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Plain text only: a "$" in a name is a dollar sign, never mathtext. Set for the process
    # (always to the same values), not in a context that another render thread could undo.
    matplotlib.rcParams["text.parse_math"] = False
    matplotlib.rcParams["text.usetex"] = False
    fig = Figure(figsize=spec.figsize_in, dpi=spec.dpi, layout="constrained")
    FigureCanvasAgg(fig)  # attach an Agg canvas: savefig then never touches pyplot
    title = "\n".join(_seen(line) for line in _title_lines(fig, spec))
    fig.suptitle(title, fontsize=spec.font_pt + 1, fontweight="bold")
    if spec.empty:
        _draw_empty(fig, spec)
    else:
        _draw_panels(fig, spec)
    return fig


def _title_lines(fig: Figure, spec: ChartSpec) -> list[str]:
    """The title and subtitle broken into lines that fit the picture's width with a margin
    of one em a side, measured in the drawn bold font (a long name, or one in wide capitals,
    no longer runs off both edges)."""
    from matplotlib.font_manager import FontProperties

    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    font = FontProperties(size=spec.font_pt + 1, weight="bold")

    def measure(line: str) -> float:
        width: float = renderer.get_text_width_height_descent(line, font, ismath=False)[0]
        return width

    available = fig.bbox.width - 2 * (spec.font_pt + 1) * fig.dpi / 72
    lines: list[str] = []
    for text in (spec.title, spec.subtitle):
        for part in textwrap.wrap(text, TITLE_WIDTH) or [text]:
            lines += _wrap_to(part, available, measure)
    return lines


def _draw_empty(fig: Figure, spec: ChartSpec) -> None:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(
        0.5,
        0.55,
        spec.empty_message or str(NO_DATA_MESSAGE),
        ha="center",
        va="center",
        fontsize=spec.font_pt * 2,
        transform=ax.transAxes,
    )
    ax.text(
        0.5,
        0.4,
        _("The chart fills in after the first check-in."),
        ha="center",
        va="center",
        fontsize=spec.font_pt,
        color="#444444",
        transform=ax.transAxes,
    )


def _draw_panels(fig: Figure, spec: ChartSpec) -> None:
    events = any(p.key == "events" for p in spec.panels)
    ratios = [3.0, 2.0] + ([0.22 + 0.28 * len(spec.panel("events").y_ticks)] if events else [])
    axes = fig.subplots(len(ratios), 1, sharex=True, height_ratios=ratios)
    for ax, panel in zip(axes, spec.panels, strict=True):
        _draw_panel(ax, panel, spec)
    _draw_band_labels(axes[0], spec)
    bottom = axes[-1]
    bottom.set_xlim(*spec.x_range)
    bottom.set_xticks([t.x for t in spec.x_ticks], [t.label for t in spec.x_ticks])
    _set_bottom_text(fig, list(axes), spec)


def _two_lines(text: str, height: float, measure: Callable[[str], float]) -> str:
    """``text`` on two lines: before its bracket when each line then fits ``height``
    ("Tempo\n(% vor der Verletzung)"), else at the space that makes the longer line
    shortest."""
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if not spaces:
        return text
    bracket = text.find(" (")
    if bracket > 0 and max(measure(text[:bracket]), measure(text[bracket + 1 :])) <= height:
        return text[:bracket] + "\n" + text[bracket + 1 :]
    best = min(spaces, key=lambda i: max(measure(text[:i]), measure(text[i + 1 :])))
    return text[:best] + "\n" + text[best + 1 :]


def _fit_y_labels(fig: Figure, axes: Sequence[Axes], spec: ChartSpec) -> bool:
    """Set on two lines each y label longer than its plot is high (a long label in German or
    Spanish would run past its plot, over the legend or off the picture); return whether
    any was."""
    from matplotlib.font_manager import FontProperties

    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    font = FontProperties(size=spec.font_pt)

    def measure(line: str) -> float:
        width: float = renderer.get_text_width_height_descent(line, font, ismath=False)[0]
        return width

    changed = False
    for ax, panel in zip(axes, spec.panels, strict=True):
        if not panel.y_label:
            continue
        # The plots lose a little height once the lines under them are set: a tenth spare.
        height = ax.get_position().height * fig.bbox.height * 0.9
        if measure(panel.y_label) > height:
            label = _two_lines(panel.y_label, height, measure)
            longest = max(measure(line) for line in label.split("\n"))
            size = max(spec.smallest_font_pt, min(spec.font_pt, spec.font_pt * height / longest))
            ax.set_ylabel(label, fontsize=size)
            changed = True
    return changed


def _set_bottom_text(fig: Figure, axes: Sequence[Axes], spec: ChartSpec) -> None:
    """Write the lines under the plots from their left edge, wrapped to the width the laid out
    figure leaves right of it (measured with the renderer, in the drawn font)."""
    from matplotlib.font_manager import FontProperties

    bottom = axes[-1]
    bottom.set_xlabel(spec.x_label, fontsize=spec.smallest_font_pt, loc="left")
    layout = fig.get_layout_engine()
    if layout is not None:
        # Where the plots' left edge lies depends on the y labels, never on this text (the
        # layout takes no account of an x label's width), so one layout pass tells it (and
        # one more when a y label too long for its plot is set on two lines).
        layout.execute(fig)
        if _fit_y_labels(fig, axes, spec):
            layout.execute(fig)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    font = FontProperties(size=spec.smallest_font_pt)

    def measure(line: str) -> float:
        width: float = renderer.get_text_width_height_descent(line, font, ismath=False)[0]
        return width

    left = bottom.get_position().x0 * fig.bbox.width
    # A margin of one em at the right: the text never touches the picture's edge.
    available = fig.bbox.width - left - spec.smallest_font_pt * fig.dpi / 72
    bottom.set_xlabel(
        _bottom_text(spec, available, measure), fontsize=spec.smallest_font_pt, loc="left"
    )
