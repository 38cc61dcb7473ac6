"""The metric line `10m 1,82 30m 4,11 vmax 8,7` is understood in the comma locales, through
the bot (issue 17: numbers by locale). The athlete's Telegram app is in that language; the
buttons are pressed by their labels in it (read from the catalogues, as the demo does), so the
test keeps working as translations arrive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.store.repo import latest_baseline
from tests.athlete.conftest import World, db, services, world
from tests.i18n.onboarding import onboard_in

__all__ = ["db", "services", "world"]
WorldFactory = Callable[[], Awaitable[World]]
LINE = "10m 1,82 30m 4,11 vmax 8,7"


@pytest.mark.parametrize("lang", ["es", "pt", "fr", "de"])
async def test_the_metric_line_with_decimal_commas_is_read_in_comma_locales(
    world: WorldFactory, lang: str
) -> None:
    w = await world()
    w.sandbox.user(1001, "Ana", language_code=lang)
    await onboard_in(w.phone(1001, "Ana"), lang, baseline=LINE)
    person = w.person(1001)
    assert person is not None and person.language == lang
    baseline = w.read(lambda s: latest_baseline(s, athlete_id=person.id))
    assert (baseline.split_10m_s, baseline.split_30m_s, baseline.vmax_ms) == (1.82, 4.11, 8.7)


async def test_the_same_line_with_points_reads_the_same_in_english(world: WorldFactory) -> None:
    w = await world()
    w.sandbox.user(1001, "Ana", language_code="en")
    ana = w.phone(1001, "Ana")
    await ana.onboard(baseline=LINE.replace(",", "."))
    person = w.person(1001)
    assert person is not None
    baseline = w.read(lambda s: latest_baseline(s, athlete_id=person.id))
    assert (baseline.split_10m_s, baseline.split_30m_s, baseline.vmax_ms) == (1.82, 4.11, 8.7)


@pytest.mark.parametrize("lang", ["es", "pt", "fr", "de"])
async def test_a_metric_without_its_number_is_shown_an_example_with_a_decimal_comma(
    world: WorldFactory, lang: str
) -> None:
    """The example of what to type is written as the athlete writes numbers ("vmax 8,7"): an
    example with a decimal point would contradict the questions' own "7,5"."""
    w = await world()
    w.sandbox.user(1001, "Ana", language_code=lang)
    ana = w.phone(1001, "Ana")
    await onboard_in(ana, lang, up_to_baseline=True)
    said = "\n".join(m.text or "" for m in await ana.say("10m 1,82 vmax"))
    assert "vmax 8,7" in said, said
    assert "8.7" not in said
