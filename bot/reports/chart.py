"""The athlete progress chart: first what it will show (a ChartSpec), then the PNG of exactly that.

`build_chart_spec` is pure and decides every series, band, marker, label and range; tests
assert on it. `render_progress_png` only draws a spec with matplotlib's object API
(Figure + FigureCanvasAgg, never pyplot, whose global state is not thread-safe), so it can
run in a worker thread while the bot serves other users.

Reading the chart: x = days since injury, with the athlete's local date under each tick.
Top panel: Vmax and the best 10 m / 30 m split as % of the pre-injury baseline. Splits are
turned into speed (baseline time ÷ time × 100) so that higher is better on every line and the
next stage's target line reads the same way for all of them. Bottom panel: worst session pain
(S3) and the morning provocation-test pain (M2, 0–10); the morning value the day after a
session is that session's next-morning response. Stages are shaded bands; step-backs and red
flags are marked. A calendar day without any record breaks the lines (a gap, not a zero).

Why one module of ~670 lines: the spec and its drawing are two halves of one chart; a series,
band or marker added to the spec needs its drawing in the same change, and the drawing half
is only the matplotlib calls for what the spec decided.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from bot.reports.data import DayPoint, ProgressData

if TYPE_CHECKING:
    from matplotlib.axes import Axes

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
TITLE_WIDTH = 52
NO_DATA_MESSAGE = "No data yet"
SPLIT_FOOTNOTE = "Splits shown as speed: baseline time ÷ time × 100"

PAIN_MEAN_DAYS = 7
DENSE_POINTS = 90  # above this many days, markers shrink and morning pain becomes a 7-day mean

Point = tuple[int, float]


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

    @property
    def points(self) -> list[Point]:
        """All points of the series, in day order."""
        return [p for segment in self.segments for p in segment]


class HLine(_Spec):
    """A horizontal reference line (the next stage's target, the 100 % baseline)."""

    key: str
    y: float
    label: str
    colour: str
    linestyle: str


class StageBand(_Spec):
    """A shaded stretch of days spent in one stage; x edges sit half a day outside the days."""

    stage: str
    x_start: float
    x_end: float
    first_date: dt.date
    last_date: dt.date
    colour: str
    show_label: bool


class EventMarker(_Spec):
    """A step-back or red-flag day, drawn as a vertical line plus a marker on one panel."""

    kind: Literal["step_back", "red_flag"]
    x: int
    local_date: dt.date
    panel: Literal["performance", "pain"]
    y: float
    label: str
    colour: str
    marker: str


class Tick(_Spec):
    """An x tick: days since injury and the athlete's local date on a second line."""

    x: int
    label: str


class Panel(_Spec):
    """One of the two stacked plots."""

    key: Literal["performance", "pain"]
    y_label: str
    y_range: tuple[float, float]
    y_ticks: list[float]
    series: list[Series]
    hlines: list[HLine]
    note: str | None = None


class ChartSpec(_Spec):
    """Everything the PNG shows, decided before any drawing."""

    title: str
    subtitle: str
    empty: bool
    empty_message: str | None
    x_label: str
    x_range: tuple[float, float]
    x_ticks: list[Tick]
    panels: list[Panel]
    bands: list[StageBand]
    markers: list[EventMarker]
    footnote: str | None
    small: bool
    figsize_in: tuple[float, float]
    dpi: int
    font_pt: float
    marker_size: float
    line_width: float

    def panel(self, key: str) -> Panel:
        """Return the panel named ``key`` ('performance' or 'pain')."""
        for panel in self.panels:
            if panel.key == key:
                return panel
        raise KeyError(f"no panel {key!r}: expected 'performance' or 'pain'")

    def series(self, key: str) -> Series:
        """Return the series named ``key`` from whichever panel holds it."""
        for panel in self.panels:
            for series in panel.series:
                if series.key == key:
                    return series
        raise KeyError(f"no series {key!r}")


# ---------------------------------------------------------------------------------------------
# Building the spec (pure)
# ---------------------------------------------------------------------------------------------


def _day(data: ProgressData, date: dt.date) -> int:
    return (date - data.injury.injury_date).days


def _format_date(date: dt.date, *, year: bool = False) -> str:
    text = f"{date.day} {date:%b}"
    return f"{text} {date.year}" if year else text


def _segments(
    points: Sequence[DayPoint], data: ProgressData, value: Callable[[DayPoint], float | None]
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
            current.append((_day(data, point.local_date), round(y, 2)))
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


def _pct_of(
    baseline: float | None, *, speed_from_time: bool
) -> Callable[[float | None], float | None]:
    def convert(raw: float | None) -> float | None:
        if raw is None or baseline is None:
            return None
        return baseline / raw * 100 if speed_from_time else raw / baseline * 100

    return convert


def _tick_step(span_days: int, max_ticks: int) -> int:
    for step in (1, 2, 3, 7, 14, 28, 56, 91, 182):
        if span_days // step + 1 <= max_ticks:
            return step
    return 365


def _ticks(data: ProgressData, x_max_day: int, max_ticks: int) -> list[Tick]:
    step = _tick_step(x_max_day, max_ticks)
    ticks = []
    for day in range(0, x_max_day + 1, step):
        date = data.injury.injury_date + dt.timedelta(days=day)
        ticks.append(Tick(x=day, label=f"{day}\n{_format_date(date)}"))
    return ticks


def _bands(
    points: Sequence[DayPoint], data: ProgressData, x_end: float, span: float, small: bool
) -> list[StageBand]:
    """Group the days into stage bands: a band runs from a stage's first day to the next stage."""
    runs: list[tuple[str, list[DayPoint]]] = []
    for point in points:
        if runs and runs[-1][0] == point.stage:
            runs[-1][1].append(point)
        else:
            runs.append((point.stage, [point]))
    min_label_width = span * (0.07 if small else 0.045)
    bands: list[StageBand] = []
    for index, (stage, run) in enumerate(runs):
        start = _day(data, run[0].local_date) - 0.5
        end = _day(data, runs[index + 1][1][0].local_date) - 0.5 if index + 1 < len(runs) else x_end
        last_date = data.injury.injury_date + dt.timedelta(days=math.floor(end - 0.5))
        bands.append(
            StageBand(
                stage=stage,
                x_start=start,
                x_end=end,
                first_date=run[0].local_date,
                last_date=last_date,
                colour=BAND_COLOURS[index % 2],
                show_label=(end - start) >= min_label_width,
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
    muscle = (
        f" ({injury.muscle.replace('_', ' ')})"
        if injury.muscle and injury.muscle != "unknown"
        else ""
    )
    return f"{injury.side} {injury.injury}{muscle}"


def build_chart_spec(data: ProgressData, *, small: bool = False) -> ChartSpec:
    """Decide everything the progress chart shows for ``data``: series, bands, markers, labels.

    ``small`` is the compact picture sent after a stage change: fewer ticks and labels, same
    content. The result is what `render_progress_png` draws, nothing more.
    """
    points = data.points
    title = f"{data.athlete_name} · {_injury_text(data)}"
    font_pt = 13.0 if small else 15.0
    figsize = (7.0, 6.2) if small else (8.0, 9.0)
    if not points:
        figsize = (figsize[0], figsize[1] / 2)
    dpi = 110 if small else 140

    last_day = _day(data, points[-1].local_date) if points else 0
    today_day = _day(data, data.today) if data.today else last_day
    x_max_day = max(last_day, today_day, 1)
    x_range = (-0.5, x_max_day + 0.5)
    span = x_range[1] - x_range[0]

    subtitle_parts = [f"Injured {_format_date(data.injury.injury_date, year=True)}"]
    if points:
        subtitle_parts.append(f"day {last_day}")
        subtitle_parts.append(f"stage {data.current_stage or points[-1].stage}")
    if data.target is not None:
        subtitle_parts.append(f"next {data.target.stage} at {data.target.pct_of_baseline:g} %")
    subtitle = " · ".join(subtitle_parts)

    first_date = data.injury.injury_date
    last_date = first_date + dt.timedelta(days=x_max_day)
    years = (
        f"{first_date.year}"
        if first_date.year == last_date.year
        else (f"{first_date.year}–{last_date.year}")
    )
    x_label = f"Days since injury  (local dates, {data.timezone}, {years})"

    many = len(points) > DENSE_POINTS
    marker_size = (3.5 if many else 7.0) * (0.85 if small else 1.0)
    line_width = 1.8 if many else 2.4

    baseline = data.baseline
    vmax_pct = _pct_of(baseline.vmax_ms, speed_from_time=False)
    s10_pct = _pct_of(baseline.split_10m_s, speed_from_time=True)
    s30_pct = _pct_of(baseline.split_30m_s, speed_from_time=True)
    perf_series = [
        Series(
            key="vmax",
            label="Vmax",
            colour=OKABE_ITO["blue"],
            marker="o",
            linestyle="-",
            segments=_segments(points, data, lambda p: vmax_pct(p.vmax_ms)),
        ),
        Series(
            key="split_10m",
            label="10 m split",
            colour=OKABE_ITO["bluish_green"],
            marker="^",
            linestyle="--",
            segments=_segments(points, data, lambda p: s10_pct(p.split_10m_s)),
        ),
        Series(
            key="split_30m",
            label="30 m split",
            colour=OKABE_ITO["reddish_purple"],
            marker="D",
            linestyle=":",
            segments=_segments(points, data, lambda p: s30_pct(p.split_30m_s)),
        ),
    ]
    missing_baseline = [
        name
        for name, value in (
            ("Vmax", baseline.vmax_ms),
            ("10 m", baseline.split_10m_s),
            ("30 m", baseline.split_30m_s),
        )
        if value is None
    ]
    perf_note: str | None = None
    if missing_baseline:
        perf_note = "No baseline for " + ", ".join(missing_baseline) + ": not shown"
    elif points and not any(s.points for s in perf_series):
        perf_note = "No speed measured yet"

    target = data.target
    perf_hlines = [
        HLine(key="baseline", y=100.0, label="Baseline", colour="#777777", linestyle="-")
    ]
    if target is not None:
        perf_hlines.append(
            HLine(
                key="target",
                y=target.pct_of_baseline,
                label=target.label or f"{target.stage} target {target.pct_of_baseline:g} %",
                colour=OKABE_ITO["black"],
                linestyle="-.",
            )
        )
    y_low, y_high = _performance_range(perf_series, target.pct_of_baseline if target else None)
    perf_ticks = [
        float(v) for v in range(int(y_low + 5), int(y_high), 10 if y_high - y_low <= 80 else 20)
    ]
    performance = Panel(
        key="performance",
        y_label="% of baseline",
        y_range=(y_low, y_high),
        y_ticks=perf_ticks,
        series=perf_series,
        hlines=perf_hlines,
        note=perf_note,
    )

    has_pain = any(
        p.session_pain_max is not None or p.morning_test_pain is not None for p in points
    )
    pain = Panel(
        key="pain",
        y_label="Pain (0–10)",
        y_range=(-0.4, 11.6),
        y_ticks=[0.0, 2.0, 4.0, 6.0, 8.0, 10.0],
        series=[
            Series(
                key="session_pain",
                label="Worst session pain",
                colour=OKABE_ITO["orange"],
                marker="o",
                # a year of daily values joined by a line is unreadable; dots show the spikes
                linestyle="none" if many else "-",
                segments=_segments(points, data, lambda p: p.session_pain_max),
            ),
            Series(
                key="morning_test_pain",
                label=f"Morning test pain{' (7-day mean)' if many else ''}",
                colour=OKABE_ITO["black"],
                marker="" if many else "s",
                linestyle="--",
                segments=(
                    _rolling_mean(points, data, PAIN_MEAN_DAYS)
                    if many
                    else _segments(points, data, lambda p: p.morning_test_pain)
                ),
            ),
        ],
        hlines=[],
        note=None if not points or has_pain else "No pain answers yet",
    )

    markers: list[EventMarker] = []
    for point in points:
        x = _day(data, point.local_date)
        if point.step_back:
            markers.append(
                EventMarker(
                    kind="step_back",
                    x=x,
                    local_date=point.local_date,
                    panel="performance",
                    y=y_low + 4,
                    label="Step back",
                    colour=OKABE_ITO["black"],
                    marker="v",
                )
            )
        if point.red_flag:
            markers.append(
                EventMarker(
                    kind="red_flag",
                    x=x,
                    local_date=point.local_date,
                    panel="pain",
                    y=11.0,
                    label="Red flag",
                    colour=OKABE_ITO["vermillion"],
                    marker="X",
                )
            )

    x_end = x_range[1]
    return ChartSpec(
        title=title,
        subtitle=subtitle,
        empty=not points,
        empty_message=None if points else NO_DATA_MESSAGE,
        x_label=x_label,
        x_range=x_range,
        x_ticks=_ticks(data, x_max_day, 5 if small else 7),
        panels=[performance, pain],
        bands=_bands(points, data, x_end, span, small),
        markers=markers,
        footnote=SPLIT_FOOTNOTE if any(s.points for s in perf_series[1:]) else None,
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


def _draw_panel(ax: Axes, panel: Panel, spec: ChartSpec) -> None:
    font = spec.font_pt
    for band in spec.bands:
        ax.axvspan(band.x_start, band.x_end, color=band.colour, zorder=0, linewidth=0)
    for marker in spec.markers:
        ax.axvline(
            marker.x,
            color=marker.colour,
            linestyle="-" if marker.kind == "red_flag" else (0, (4, 3)),
            linewidth=1.6,
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
    for series in panel.series:
        if not series.segments:
            continue
        xs, ys = _joined(series)
        ax.plot(
            xs,
            ys,
            color=series.colour,
            marker=series.marker,
            linestyle=series.linestyle,
            linewidth=spec.line_width,
            markersize=spec.marker_size,
            label=series.label,
            zorder=3,
        )
    for kind in ("step_back", "red_flag"):
        chosen = [m for m in spec.markers if m.kind == kind and m.panel == panel.key]
        if chosen:
            ax.plot(
                [m.x for m in chosen],
                [m.y for m in chosen],
                linestyle="none",
                marker=chosen[0].marker,
                color=chosen[0].colour,
                markersize=spec.font_pt - 2,
                markeredgecolor="white",
                label=chosen[0].label,
                zorder=4,
            )
    ax.set_ylim(*panel.y_range)
    ax.set_yticks(panel.y_ticks)
    ax.set_ylabel(panel.y_label, fontsize=font)
    ax.tick_params(labelsize=font - 1)
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
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles,
            labels,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=3,
            fontsize=font - 3,
            frameon=False,
            handlelength=2.2,
            columnspacing=1.0,
            borderaxespad=0.2,
        )


def _draw_band_labels(ax: Axes, spec: ChartSpec) -> None:
    low, high = spec.panel("performance").y_range
    for band in spec.bands:
        if band.show_label:
            ax.text(
                (band.x_start + band.x_end) / 2,
                high - (high - low) * 0.04,
                band.stage,
                ha="center",
                va="top",
                fontsize=spec.font_pt - 1,
                fontweight="bold",
                color="#333333",
                zorder=5,
            )


def render_progress_png(data: ProgressData, *, small: bool = False) -> bytes:
    """Draw the progress chart for ``data`` and return it as PNG bytes.

    Thread-safe: uses its own Figure and Agg canvas, never pyplot.
    """
    return render_spec_png(build_chart_spec(data, small=small))


def render_spec_png(spec: ChartSpec) -> bytes:
    """Draw an already built ChartSpec as PNG bytes (deterministic for a given spec)."""
    # matplotlib takes about a second to import: loaded with the first chart, not at start-up.
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Every text is drawn as typed: a name or note holding "$...$" is not mathtext (which would
    # fail to parse, or draw something else). Set on every call, before any text is made,
    # since rcParams are process-wide and read when each text is created.
    matplotlib.rcParams["text.parse_math"] = False
    fig = Figure(figsize=spec.figsize_in, dpi=spec.dpi, layout="constrained")
    FigureCanvasAgg(fig)  # attach an Agg canvas: savefig then never touches pyplot
    title = "\n".join([*textwrap.wrap(spec.title, TITLE_WIDTH), spec.subtitle])
    fig.suptitle(title, fontsize=spec.font_pt + 1, fontweight="bold")
    if spec.empty:
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(
            0.5,
            0.55,
            spec.empty_message or NO_DATA_MESSAGE,
            ha="center",
            va="center",
            fontsize=spec.font_pt * 2,
            transform=ax.transAxes,
        )
        ax.text(
            0.5,
            0.4,
            "The chart fills in after the first check-in.",
            ha="center",
            va="center",
            fontsize=spec.font_pt,
            color="#444444",
            transform=ax.transAxes,
        )
    else:
        perf_ax, pain_ax = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
        _draw_panel(perf_ax, spec.panel("performance"), spec)
        _draw_panel(pain_ax, spec.panel("pain"), spec)
        _draw_band_labels(perf_ax, spec)
        pain_ax.set_xlim(*spec.x_range)
        pain_ax.set_xticks([t.x for t in spec.x_ticks], [t.label for t in spec.x_ticks])
        x_label = spec.x_label + (f"\n{spec.footnote}" if spec.footnote else "")
        pain_ax.set_xlabel(x_label, fontsize=spec.font_pt - 2)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
