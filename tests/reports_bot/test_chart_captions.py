"""The lines under the progress chart (the x axis, what the stage still needs, what % of
speed means) stay inside the picture in every language, at every size it is drawn: the
full chart of /progress, the small one sent after a stage change, and the one printed in the
PDF. They start at the plots' left edge, so they wrap to the width left from there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from matplotlib.figure import Figure
from sqlalchemy import Engine

from bot.reports.chart import build_chart_spec, draw_spec
from bot.reports.from_store import progress_data_for
from bot.store.db import make_engine, session_scope
from bot.support.i18n import LANGUAGES, use_language
from bot.wording import Audience
from tests.reports_bot.conftest import write_athlete

NOW = dt.datetime(2026, 3, 24, 9, 0, tzinfo=dt.UTC)
SIZES = {"full": {}, "small": {"small": True}, "print": {"for_print": True}}


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    """A store holding one athlete's 40 days (stage moves, a step back, sessions, pain)."""
    eng = make_engine(sqlite_url)
    yield eng
    eng.dispose()


def _x_label_inside(fig: Figure) -> tuple[float, float, float]:
    """The x label's left and right edges and the figure's width, in pixels, as drawn."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    label = fig.axes[-1].xaxis.label
    box = label.get_window_extent(renderer)
    return box.x0, box.x1, fig.bbox.width


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("audience", ["athlete", "clinician"])
def test_the_lines_under_the_chart_lie_inside_the_picture(
    engine: Engine, lang: str, audience: Audience
) -> None:
    athlete = write_athlete(engine, NOW, 1, "Anna-Sophie Moreau-Fernández", days=40)
    with session_scope(engine, read_only=True) as session, use_language(lang):
        data = progress_data_for(session, athlete_id=athlete, today=NOW.date(), audience=audience)
        assert data.still_needed  # the caption says what the stage still needs
        for size, options in SIZES.items():
            spec = build_chart_spec(data, **options)
            left, right, width = _x_label_inside(draw_spec(spec))
            assert left >= 0 and right <= width, (lang, audience, size, left, right, width)
