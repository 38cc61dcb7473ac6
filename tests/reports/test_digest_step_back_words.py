"""The digest says which of the week's step backs the clinician made: all of them, some of
them (how many), or none (the engine's alone, worded as before)."""

from __future__ import annotations

import datetime as dt

from bot.reports.data import DigestAthleteWeek, DigestData
from bot.reports.digest import WeekDetail, render_digest

MONDAY = dt.date(2026, 3, 2)
H1 = "H1 · Early loading"
H2 = "H2 · Return to running"
H3 = "H3 · Progressive speed"


def _text(step_backs: int, detail: WeekDetail) -> str:
    week = DigestAthleteWeek(
        athlete_id=7, athlete_name="Sam", stage_start="H3", stage_end="H1", step_backs=step_backs
    )
    data = DigestData(
        clinician_name="Dr Lee",
        week_start=MONDAY,
        week_end=MONDAY + dt.timedelta(days=6),
        athletes=[week],
    )
    return render_digest(data, {7: detail})


def test_a_step_back_the_clinician_made_says_so() -> None:
    text = _text(1, WeekDetail(step_backs=((H2, H1),), clinician_step_backs=1))
    assert f"🟠 REVIEW · Sam: 1 step back (by the clinician): from {H2} to {H1}\n" in text, text


def test_step_backs_of_both_say_how_many_the_clinician_made() -> None:
    detail = WeekDetail(step_backs=((H3, H2), (H2, H1)), clinician_step_backs=1)
    text = _text(2, detail)
    assert f"Sam: 2 step backs (1 by the clinician): from {H3} to {H2}; from {H2} to {H1}" in text


def test_the_engines_step_backs_are_worded_as_before() -> None:
    text = _text(1, WeekDetail(step_backs=((H2, H1),)))
    assert f"Sam: 1 step back: from {H2} to {H1}\n" in text, text
