"""Hostile and foreign names and long labels on the progress chart.

The chart is drawn in DejaVu Sans (matplotlib's own font, nothing downloaded), which has no
glyph for emoji or CJK ideographs: a title naming "Léa 🏃‍♀️" or "田中" printed boxes where the
name should be. A German or Spanish y label longer than its plot ran past it, over the legend.
French wrote the first of a month "1 mars" (French writes "1er mars")."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from bot.reports.chart import build_chart_spec, draw_spec, render_progress_png
from bot.reports.data import ProgressData
from bot.support.i18n import use_language
from tests.reports.factories import INJURY_DATE, make_points, make_progress

LANGUAGES = ("en", "es", "pt", "fr", "de")


def _named(name: str, **update: object) -> ProgressData:
    return make_progress(30, red_flags=[8], step_backs=[15]).model_copy(
        update={"athlete_name": name, **update}
    )


def _missing_glyphs(data: ProgressData, **kwargs: bool) -> list[str]:
    """The warnings matplotlib gives for characters its font cannot draw."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_progress_png(data, **kwargs)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Léa 🏃‍♀️", "Léa"),  # an emoji joined with a sign the font has (♀): all of it goes
        ("👍🏽 Ana (🇫🇷)", "Ana"),
        ("Jo\u200bhn\nSmith\u2066", "John Smith"),  # zero-width space, newline, bidi control
        ("**Sam** <b>Lee</b> $x$", "**Sam** <b>Lee</b> $x$"),  # printed as typed
    ],
)
def test_the_title_names_the_athlete_with_what_the_font_can_draw(name: str, shown: str) -> None:
    data = _named(name, athlete_id=5)
    spec = build_chart_spec(data)
    assert spec.title.startswith(f"{shown} · left hamstring"), spec.title
    assert _missing_glyphs(data) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_name_the_font_cannot_draw_at_all_reads_as_the_athletes_number(lang: str) -> None:
    with use_language(lang):
        for name in ("田中", "🏃‍♀️🏃‍♀️", "田中 (#5)"):
            data = _named(name, athlete_id=5)
            spec = build_chart_spec(data)
            assert spec.title.split(" · ")[0] in {
                "Athlete 5", "Atleta 5", "Athlète 5", "Athlet 5"
            }, spec.title  # fmt: skip
            assert _missing_glyphs(data, small=True) == []


def test_without_a_number_the_title_is_the_injury() -> None:
    spec = build_chart_spec(_named("田中"))
    assert spec.title == "Left hamstring (biceps femoris)", spec.title


@pytest.mark.parametrize("name", ["דנה כהן", "محمد علي"])
def test_a_right_to_left_name_stays_first_in_a_left_to_right_title(name: str) -> None:
    """matplotlib lays a line out right to left when its first letter is Hebrew or Arabic:
    the chart's words then came first and the name last. A left-to-right mark opens it."""
    data = _named(name)
    spec = build_chart_spec(data)
    assert spec.title.startswith(name), spec.title
    figure = draw_spec(spec)
    title = figure.get_suptitle()
    assert title.startswith("\u200e" + name), title
    assert _missing_glyphs(data) == []


def test_a_very_long_name_wraps_inside_the_picture() -> None:
    data = _named("Maximiliane-Alexandrina " * 3 + "X" * 60)
    figure = draw_spec(build_chart_spec(data, small=True))
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    box = figure._suptitle.get_window_extent(canvas.get_renderer())  # type: ignore[union-attr]
    assert box.x0 >= 0 and box.x1 <= figure.bbox.width, box


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("audience", ["athlete", "clinician"])
@pytest.mark.parametrize("size", ["small", "full", "print"])
def test_every_y_label_fits_beside_its_plot(lang: str, audience: str, size: str) -> None:
    with use_language(lang):
        data = make_progress(40, red_flags=[10], step_backs=[20]).model_copy(
            update={"audience": audience}
        )
        spec = build_chart_spec(data, small=size == "small", for_print=size == "print")
        figure = draw_spec(spec)
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        renderer = canvas.get_renderer()
        for ax in figure.axes:
            label = ax.yaxis.label
            if not label.get_text():
                continue
            box = label.get_window_extent(renderer)
            plot = ax.get_window_extent(renderer)
            assert box.y0 >= plot.y0 - 1 and box.y1 <= plot.y1 + 1, (label.get_text(), box, plot)
            assert box.x0 >= 0, (label.get_text(), box)


def test_french_dates_write_the_first_of_the_month_as_an_ordinal() -> None:
    with use_language("fr"):
        spec = build_chart_spec(make_progress(40))
        assert "Blessure le 1er mars 2026" in spec.subtitle, spec.subtitle
        day_one = (dt.date(2026, 4, 1) - INJURY_DATE).days
        ticks = [t.label for t in spec.x_ticks]
        april = build_chart_spec(
            make_progress(40).model_copy(update={"points": make_points(40, first_day=day_one)})
        )
        assert f"{day_one}\n1er avr." in [t.label for t in april.x_ticks], ticks
    with use_language("de"):
        assert "Verletzt am 1. März 2026" in build_chart_spec(make_progress(5)).subtitle


def test_french_lists_set_a_space_before_each_semicolon() -> None:
    needed = ["3 jours de plus", "répétitions HV 3 ou plus", "LSI ≥ 90 %", "saut", "x"]
    with use_language("fr"):
        spec = build_chart_spec(make_progress(20).model_copy(update={"still_needed": needed}))
    line = spec.info[-1]
    assert "3 jours de plus\u202f; répétitions HV 3 ou plus\u202f; LSI ≥ 90 %" in line, line
    assert "\u202f; et 2 autres" in line, line
    with use_language("en"):
        spec = build_chart_spec(make_progress(20).model_copy(update={"still_needed": needed}))
    assert "3 jours de plus; répétitions" in spec.info[-1]
    assert spec.info[-1].endswith("; and 2 more"), spec.info


@pytest.mark.parametrize("days", [0, 1, 400])
def test_no_data_one_day_and_more_than_a_year_draw(days: int) -> None:
    with use_language("de"):
        data = make_progress(days, red_flags=[5] if days > 5 else [])
        spec = build_chart_spec(data, for_print=True)
        assert spec.empty == (days == 0)
        assert len(spec.x_ticks) <= 7
        assert _missing_glyphs(data, for_print=True) == []


def test_an_athletes_chart_never_shows_a_stage_id() -> None:
    """The stage the athlete moved to today, not yet in the stage history, was named by its
    id ("H3") on the athlete's band and subtitle when its name was longer than a band's."""
    from bot.reports.data import DayPoint, StagePeriod

    day = INJURY_DATE + dt.timedelta(days=10)
    data = make_progress(0).model_copy(
        update={
            "points": [DayPoint(local_date=day, stage="H2")],
            "stages": [StagePeriod(stage="H2", first_date=day, label="Stage 3", short="3")],
            "current_stage": "H3",
            "current_stage_label": None,
        }
    )
    spec = build_chart_spec(data)
    shown = [spec.title, spec.subtitle, *(b.label for b in spec.bands)]
    assert not any("H3" in text or "H2" in text for text in shown), shown
    clinician = build_chart_spec(data.model_copy(update={"audience": "clinician"}))
    assert [b.label for b in clinician.bands][-1] == "H3"
