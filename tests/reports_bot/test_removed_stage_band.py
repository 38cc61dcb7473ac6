"""A chart band for a stage that a newer version of the protocol removed.

Version 2 of the club's protocol drops its stage H8 while Anna is on it. The chart's band for
H8 read the bare word "Stage", which told the clinician nothing; it now reads "Removed
stage" (in the reader's language), as /athlete and the PDF say "a stage no longer in the
protocol", and never the id "H8" alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from bot.reports.chart import _periods, build_chart_spec
from bot.reports.data import DayPoint, ProgressData
from bot.reports.shown import STAGE_NOT_IN_PROTOCOL
from bot.reports.stage_history import band_names
from bot.store import standing
from bot.store.standing import parse_text
from bot.support.i18n import use_language
from tests.reports.factories import BASELINE, HAMSTRING, INJURY_DATE
from tests.reports_bot.conftest import WorldFactory
from tests.reports_bot.test_hostile_protocols import (
    chart_texts,
    club_athlete,
    club_text,
    publish,
    raise_alerts,
)


@pytest.fixture(autouse=True)
def _fresh_protocol_cache() -> Iterator[None]:
    """Each test's database has its own "club_hamstring v2" (see test_hostile_protocols)."""
    standing._PROTOCOLS.clear()
    yield
    standing._PROTOCOLS.clear()


async def test_the_band_of_a_removed_stage_says_it_was_removed(world: WorldFactory) -> None:
    w = await world()
    publish(w, club_text())
    version = publish(w, club_text(h8=False))
    anna, _lee = club_athlete(w, version=version)
    raise_alerts(w, anna)
    charts = chart_texts(w, anna)
    for audience, texts in charts.items():
        assert "band Removed stage / ·" in texts, (audience, texts)
        assert "band Stage / ·" not in texts and "band Stage" not in texts, (audience, texts)
        assert not any(t in ("band H8", "band H8 / H8") for t in texts), (audience, texts)


@pytest.mark.parametrize(
    ("lang", "label"),
    [
        ("de", "Entfernte Stufe"),
        ("fr", "Étape retirée"),
        ("es", "Etapa retirada"),
        ("pt", "Etapa removida"),
    ],
)
def test_the_band_of_a_removed_stage_is_in_the_readers_language(lang: str, label: str) -> None:
    """Needs the lead's compile of the catalogues (new msgid "Removed stage")."""
    club = parse_text(club_text(h8=False), "club.yaml")
    with use_language(lang):
        for audience in ("clinician", "athlete"):
            assert band_names(club, "H8", audience) == (label, "·")


def test_a_current_stage_named_removed_by_the_caller_has_a_removed_band() -> None:
    """Without a stage history the chart names the current stage's band from the words the
    caller gave ("a stage no longer in the protocol"): it said "Stage"."""
    point = DayPoint(local_date=INJURY_DATE + dt.timedelta(days=10), stage="H1")
    for audience in ("clinician", "athlete"):
        with use_language("en"):
            data = ProgressData(
                athlete_name="Alex Example",
                injury=HAMSTRING,
                baseline=BASELINE,
                timezone="Europe/London",
                points=[point],
                current_stage="H9",
                current_stage_label=str(STAGE_NOT_IN_PROTOCOL),
                audience=audience,
            )
            spec = build_chart_spec(data)
            last = _periods(data)[-1]
        assert (last.stage, last.label, last.short) == ("H9", "Removed stage", "·"), last
        band = spec.bands[-1]
        assert band.stage == "H9" and band.label in ("Removed stage", "·"), band
