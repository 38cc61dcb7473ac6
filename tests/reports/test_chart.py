"""The progress chart: what it shows (ChartSpec) for generated histories, and that the PNG is it."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from matplotlib.image import imread
from pydantic import ValidationError

from bot.reports.chart import (
    NO_DATA_MESSAGE,
    OKABE_ITO,
    ChartSpec,
    build_chart_spec,
    render_progress_png,
    render_spec_png,
)
from bot.reports.data import DayPoint, ProgressData, StageTarget, day_point_from_record
from engine.models import DayRecord, Metrics, MorningCheckIn, SessionReport
from tests.reports.factories import BASELINE, HAMSTRING, INJURY_DATE, make_points, make_progress


def _png_pixels(png: bytes) -> np.ndarray:
    return imread(io.BytesIO(png), format="png")


def _has_colour(pixels: np.ndarray, hex_colour: str, tolerance: float = 0.02) -> bool:
    rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return bool((np.abs(pixels[..., :3] - rgb).max(axis=-1) < tolerance).any())


def _day(date: dt.date) -> int:
    return (date - INJURY_DATE).days


def _data(points: list[DayPoint], **kwargs: object) -> ProgressData:
    return ProgressData(
        athlete_name="Alex Example",
        injury=HAMSTRING,
        baseline=BASELINE,
        timezone="Europe/London",
        points=points,
        **kwargs,  # type: ignore[arg-type]
    )


def test_empty_history_says_no_data_yet_and_still_renders() -> None:
    data = _data([])
    spec = build_chart_spec(data)
    assert spec.empty and spec.empty_message == str(NO_DATA_MESSAGE)
    assert spec.bands == [] and spec.markers == []
    assert all(not s.points for p in spec.panels for s in p.series)
    assert spec.title.startswith("Alex Example · left hamstring (biceps femoris)")
    pixels = _png_pixels(render_progress_png(data))
    width, height = spec.figsize_in
    assert pixels.shape[:2] == (round(height * spec.dpi), round(width * spec.dpi))


def test_one_day_shows_its_values_as_percent_of_baseline() -> None:
    day = INJURY_DATE + dt.timedelta(days=9)
    point = DayPoint(
        local_date=day,
        stage="H2",
        vmax_ms=6.3,
        split_10m_s=2.0,
        split_30m_s=5.0,
        session_pain_max=2,
        morning_test_pain=1,
    )
    spec = build_chart_spec(_data([point]))
    assert not spec.empty
    assert spec.series("vmax").points == [(9, pytest.approx(70.0))]
    # splits are shown as speed: baseline time ÷ time, so slower than baseline is below 100
    assert spec.series("split_10m").points == [(9, pytest.approx(90.0))]
    assert spec.series("split_30m").points == [(9, pytest.approx(80.0))]
    # the morning test a little left of the day, the session a little right: both visible
    assert spec.series("session_pain").points == [(9.2, 2)]
    assert spec.series("morning_test_pain").points == [(8.8, 1)]
    assert [(b.stage, b.x_start, b.x_end) for b in spec.bands] == [("H2", 8.5, 9.5)]
    # the axis starts with the first day in the programme, not at the injury
    assert spec.x_range == (8.5, 9.5)
    assert spec.x_ticks[0].label == "9\n10 Mar"
    # no stage id on the athlete's chart (voice.md): without its name, no stage is named
    assert "day 9" in spec.subtitle and "H2" not in spec.subtitle
    assert "stage H2" in build_chart_spec(_data([point], audience="clinician")).subtitle
    # the athlete's words: no formula, one definition of the percentage
    assert spec.footnote == "100 % = your pre-injury speed; higher is faster"
    png = render_progress_png(_data([point]))
    assert _has_colour(_png_pixels(png), OKABE_ITO["blue"])


def test_year_of_history_keeps_every_measurement_and_labels_stages() -> None:
    data = make_progress(365)
    spec = build_chart_spec(data)
    measured = [p for p in data.points if p.vmax_ms is not None]
    vmax = spec.series("vmax").points
    assert len(vmax) == len(measured) > 100
    assert spec.series("session_pain").points[0][0] == int(spec.series("session_pain").points[0][0])
    for (x, y), point in zip(vmax, measured, strict=True):
        assert x == _day(point.local_date)
        assert y == pytest.approx(point.vmax_ms / 9.0 * 100, abs=0.01)  # type: ignore[operator]
    # stages in the order they were lived, bands touching each other and covering every day
    stages_lived = [
        p.stage for i, p in enumerate(data.points) if i == 0 or p.stage != data.points[i - 1].stage
    ]
    assert [b.stage for b in spec.bands] == stages_lived
    for before, after in zip(spec.bands, spec.bands[1:], strict=False):
        assert before.x_end == after.x_start
    assert spec.bands[0].x_start == _day(data.points[0].local_date) - 0.5
    assert spec.bands[-1].x_end == _day(data.points[-1].local_date) + 0.5
    assert all(b.show_label for b in spec.bands)
    # a year of daily morning pain is drawn as a 7-day mean
    pain = spec.series("morning_test_pain")
    assert "7-day mean" in pain.label
    day = _day(data.points[100].local_date)
    window = [p.morning_test_pain for p in data.points if day - 6 <= _day(p.local_date) <= day]
    assert dict(pain.points)[day] == pytest.approx(sum(window) / len(window), abs=0.01)  # type: ignore[arg-type]
    assert len(spec.x_ticks) <= 7
    assert "2026–2027" in spec.x_label


def test_gaps_break_the_lines_instead_of_joining_across_missing_days() -> None:
    gaps = set(range(20, 24))
    data = make_progress(40, gaps=gaps)
    spec = build_chart_spec(data)
    for series in (spec.series("vmax"), spec.series("morning_test_pain")):
        assert len(series.segments) == 2
        first, second = series.segments
        assert first[-1][0] < 20 and second[0][0] > 23
        for segment in series.segments:
            xs = [x for x, _ in segment]
            assert not any(lo < g < hi for lo, hi in itertools.pairwise(xs) for g in gaps)
    assert all(x not in gaps for x, _ in spec.series("morning_test_pain").points)


def test_rest_days_between_sessions_keep_the_speed_line_joined() -> None:
    spec = build_chart_spec(make_progress(40))
    vmax = spec.series("vmax")
    assert len(vmax.segments) == 1
    xs = [x for x, _ in vmax.points]
    assert all(b - a == 2 for a, b in itertools.pairwise(xs))


def test_step_backs_and_red_flags_sit_on_their_own_row_never_on_the_pain_scale() -> None:
    data = make_progress(60, step_backs={30}, red_flags={29, 45})
    spec = build_chart_spec(data)
    marks = {(m.kind, m.x) for m in spec.markers}
    assert marks == {("step_back", 30), ("red_flag", 29), ("red_flag", 45)}
    events = spec.panel("events")
    assert events.y_tick_labels == ["Warning sign", "Stepped back"]
    for marker in spec.markers:
        assert events.y_range[0] < marker.row < events.y_range[1]
        assert events.y_tick_labels[marker.row] == marker.label
    red = [m for m in spec.markers if m.kind == "red_flag"]
    assert all(m.colour == OKABE_ITO["vermillion"] for m in red)
    assert all(m.local_date == INJURY_DATE + dt.timedelta(days=m.x) for m in spec.markers)
    # the pain axis is 0–10 and nothing on it is a made-up value
    assert spec.panel("pain").y_range == (-0.6, 10.6)
    assert all(0 <= y <= 10 for s in spec.panel("pain").series for _, y in s.points)
    # after the step-back the next band is the previous stage
    index = next(i for i, b in enumerate(spec.bands) if b.x_start == 30.5)
    before, after = spec.bands[index - 1], spec.bands[index]
    assert int(after.stage[1:]) == int(before.stage[1:]) - 1
    pixels = _png_pixels(render_progress_png(data))
    assert _has_colour(pixels, OKABE_ITO["vermillion"])
    clean_spec = build_chart_spec(make_progress(60))
    assert [p.key for p in clean_spec.panels] == ["performance", "pain"]
    assert not _has_colour(_png_pixels(render_spec_png(clean_spec)), OKABE_ITO["vermillion"])


def test_clinicians_read_red_flag_and_step_back() -> None:
    data = make_progress(60, step_backs={30}, red_flags={29}).model_copy(
        update={"audience": "clinician"}
    )
    spec = build_chart_spec(data)
    assert spec.panel("events").y_tick_labels == ["Red flag", "Step back"]
    assert spec.series("vmax").label == "Vmax"
    assert spec.panel("performance").y_label == "Speed (% baseline)"
    assert spec.footnote is not None and "baseline time ÷ time" in spec.footnote


def test_an_all_zero_pain_line_stays_visible_beside_the_other() -> None:
    points = [
        DayPoint(
            local_date=INJURY_DATE + dt.timedelta(days=d),
            stage="H2",
            session_pain_max=0,
            morning_test_pain=0,
        )
        for d in range(5, 12)
    ]
    spec = build_chart_spec(_data(points))
    session = spec.series("session_pain").points
    morning = spec.series("morning_test_pain").points
    assert {y for _, y in session} == {y for _, y in morning} == {0}
    assert not set(session) & set(morning), "no point of one series hides under the other"
    png = _png_pixels(render_spec_png(spec))
    assert _has_colour(png, OKABE_ITO["orange"]) and _has_colour(png, OKABE_ITO["black"])


def test_target_line_is_the_criterions_threshold_and_says_what_else_is_missing() -> None:
    target = StageTarget(
        stage="H4",
        pct_of_baseline=80,
        label="fast runs done 3 or more (in runs at 80 % of top speed or faster)",
        stage_label="Stage 5 of 8 · high-speed running",
        met=True,
    )
    data = make_progress(30, target=target).model_copy(
        update={"still_needed": ["2 more days at this stage", "your clinician's OK"]}
    )
    spec = build_chart_spec(data)
    lines = {h.key: h for h in spec.panel("performance").hlines}
    assert lines["target"].y == 80 and "80\u00a0%" in lines["target"].label
    assert lines["baseline"].y == 100
    low, high = spec.panel("performance").y_range
    assert low < 80 < high and high > 100
    assert spec.info[0].startswith("Speed needed to move up to Stage 5 of 8")
    assert "✓ met" in spec.info[0]
    assert spec.info[1] == "Still needed: 2 more days at this stage; your clinician's OK"
    unmet = build_chart_spec(
        data.model_copy(update={"target": target.model_copy(update={"met": False})})
    )
    assert unmet.info[0].startswith("To move up to Stage 5 of 8") and "✓" not in unmet.info[0]
    assert unmet.info[1].startswith("Also still needed: ")
    assert "target" not in {
        h.key for h in build_chart_spec(make_progress(30)).panel("performance").hlines
    }


def test_missing_baseline_says_so_instead_of_inventing_percentages() -> None:
    points = make_points(20)
    data = ProgressData(
        athlete_name="Sam",
        injury=HAMSTRING,
        baseline=Metrics(split_10m_s=1.8),
        points=points,
    )
    spec = build_chart_spec(data)
    assert spec.series("vmax").points == []
    assert spec.series("split_30m").points == []
    assert spec.series("split_10m").points
    note = spec.panel("performance").note
    assert note is not None and "top speed" in note and "30 m" in note


def test_today_extends_the_axis_and_the_current_stage_band() -> None:
    data = make_progress(20, today=INJURY_DATE + dt.timedelta(days=40))
    spec = build_chart_spec(data)
    assert spec.x_range[1] == 40.5
    assert spec.bands[-1].x_end == 40.5
    assert spec.bands[-1].last_date == INJURY_DATE + dt.timedelta(days=40)


def test_small_chart_is_smaller_with_fewer_ticks_but_same_data() -> None:
    data = make_progress(120, step_backs={50}, red_flags={49})
    big, small = build_chart_spec(data), build_chart_spec(data, small=True)
    assert small.series("vmax").points == big.series("vmax").points
    assert small.markers == big.markers
    assert len(small.x_ticks) <= 5
    big_px = _png_pixels(render_spec_png(big)).shape
    small_px = _png_pixels(render_spec_png(small)).shape
    assert small_px[0] * small_px[1] < big_px[0] * big_px[1] / 2


def test_rendering_is_deterministic_and_safe_from_several_threads() -> None:
    data = make_progress(
        120, step_backs={50}, red_flags={49}, target=StageTarget(stage="H5", pct_of_baseline=90)
    )
    serial = render_progress_png(data)
    assert serial == render_progress_png(data)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: render_progress_png(data), range(4)))
    assert all(r == serial for r in results)


def test_chart_spec_round_trips_for_other_consumers() -> None:
    spec = build_chart_spec(make_progress(10))
    assert ChartSpec.model_validate_json(spec.model_dump_json()) == spec


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown timezone 'Mars/Olympus'"),
        (
            {"points": [DayPoint(local_date=dt.date(2026, 2, 1), stage="H0")]},
            "before the injury date",
        ),
        (
            {
                "points": [
                    DayPoint(local_date=dt.date(2026, 3, 5), stage="H0"),
                    DayPoint(local_date=dt.date(2026, 3, 5), stage="H1"),
                ]
            },
            "two chart points for 2026-03-05",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_it(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        ProgressData(athlete_name="Sam", injury=HAMSTRING, **kwargs)  # type: ignore[arg-type]


def test_points_out_of_order_are_drawn_in_date_order() -> None:
    points = make_points(10)
    spec = build_chart_spec(_data(list(reversed(points))))
    xs = [x for x, _ in spec.series("morning_test_pain").points]
    assert xs == sorted(xs)


def test_a_stored_day_becomes_the_chart_point_it_stands_for() -> None:
    record = DayRecord(
        date=dt.date(2026, 3, 12),
        morning=MorningCheckIn(red_flags=["swelling"], pain_test=3),
        session=SessionReport(pain_max=4, metrics=Metrics(vmax_ms=7.2, split_10m_s=1.9)),
    )
    point = day_point_from_record(record, stage="H3", decision="step_back")
    assert point == DayPoint(
        local_date=dt.date(2026, 3, 12),
        stage="H3",
        vmax_ms=7.2,
        split_10m_s=1.9,
        session_pain_max=4,
        morning_test_pain=3,
        red_flag=True,
        step_back=True,
    )
    quiet = day_point_from_record(DayRecord(date=dt.date(2026, 3, 13)), stage="H2", decision="hold")
    assert not quiet.red_flag and not quiet.step_back and quiet.morning_test_pain is None
    stopped = day_point_from_record(
        DayRecord(date=dt.date(2026, 3, 14), session=SessionReport(sharp_pain=True)),
        stage="H2",
        decision="stop",
    )
    assert stopped.red_flag


def test_subtitle_names_the_stage_reached_today_and_it_is_the_last_band() -> None:
    # The last day was run in H1 and ended with a progression to H2: the athlete is in H2 now,
    # the day stays in its H1 band and the H2 band starts tomorrow.
    point = DayPoint(local_date=INJURY_DATE + dt.timedelta(days=10), stage="H1")
    spec = build_chart_spec(_data([point], current_stage="H2", audience="clinician"))
    assert "stage H2" in spec.subtitle
    assert "stage H1" not in spec.subtitle
    assert [b.stage for b in spec.bands] == ["H1", "H2"]
    assert spec.stage == spec.bands[-1].stage == "H2"
    band = spec.band_at(10)
    assert band is not None and band.stage == "H1"
    assert spec.x_range[1] == 11.5


def test_every_value_lies_inside_its_axis_and_every_day_in_its_stage_band() -> None:
    for days in (12, 60, 365):
        data = make_progress(days, step_backs={days // 2}, red_flags={days // 3})
        spec = build_chart_spec(data)
        for panel in spec.panels:
            low, high = panel.y_range
            for series in panel.series:
                for x, y in series.points:
                    assert low <= y <= high, f"{series.key} {y} outside {panel.y_range}"
                    assert spec.x_range[0] <= x <= spec.x_range[1]
            for line in panel.hlines:
                assert low <= line.y <= high
        for point in data.points:
            band = spec.band_at(_day(point.local_date))
            assert band is not None and band.stage == point.stage
        assert spec.stage == spec.bands[-1].stage


def test_names_with_dollar_signs_print_as_typed() -> None:
    # As mathtext this name is an error ("Unknown symbol"); as plain text it just prints.
    name = "$\\notacommand{x}$ Ally $5"
    data = make_progress(10).model_copy(update={"athlete_name": name})
    assert build_chart_spec(data).title.startswith(name)
    for small in (False, True):
        assert render_progress_png(data, small=small).startswith(b"\x89PNG")
