"""The clinician's ``gap.final`` alert tells the whole plan after time away at the final stage.

After two weeks or more away at H7 / C7 (protocol note 21) the first run back is capped, an
easy day follows it (``engine.programme.final_gap_rest``) and only then do the usual sessions
return. The athlete's plan said all three; the clinician's alert told only the capped first
session, so a clinician reading it could expect a match the day after that run. The alert now
says the easy day and when the usual sessions return, with the protocol's own numbers, in the
words of the athlete's plan ("Your usual sessions return 72 hours after that run").
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.support.i18n import use_language
from bot.wording.alerts import alert_words
from bot.wording.engine_reasons import reason_words
from engine.models import DayRecord
from engine.programme import DayOutcome, replay
from engine.schema import Protocol
from tests.engine.builders import protocol
from tests.engine.test_reference_conformance import BASE, CALF, D0, HAM, day, session

FINAL = {"hamstring": ("H7", HAM), "calf": ("C7", CALF)}


def _back(p: Protocol, name: str) -> DayOutcome:
    """The final stage on day 0, a match on days 1 and 3, then 20 days without anything, back
    with a green morning on day 24."""
    stage, injury = FINAL[name]
    days: list[DayRecord] = [
        day(0, set_stage=stage),
        day(1, s=session(97, checks={"full_training": True})),
        day(2),
        day(3, s=session(97, checks={"full_training": True})),
        day(24),
    ]
    timeline = replay(p, injury, BASE, days, start=D0)
    return next(o for o in timeline.days if o.date == D0 + dt.timedelta(days=24))


def _clinician_reads(p: Protocol, out: DayOutcome) -> str:
    alert = next(a for a in out.alerts if a.rule == "gap.final")
    with use_language("en"):
        line = alert_words(alert.rule, alert.text, p)
    assert line is not None
    return line


def test_hamstring_the_clinician_reads_the_easy_day_and_when_usual_sessions_return() -> None:
    p = protocol("hamstring")
    assert _clinician_reads(p, _back(p, "hamstring")) == (
        "Back after 20 days away at the final stage, H7 · Return to play + maintenance. First "
        "session back ≤ 90\u00a0% Vmax, then an easy day with nothing ≥ 95\u00a0%; no full "
        "training or matches for 72 h after that run. Re-tests due: please review before "
        "matches."
    )


def test_calf_the_clinician_reads_that_the_easy_day_has_no_running() -> None:
    p = protocol("calf")
    assert _clinician_reads(p, _back(p, "calf")) == (
        "Back after 20 days away at the final stage, C7 · Return to play + maintenance. First "
        "session back ≤ 90\u00a0% Vmax, then an easy day without running; no full training or "
        "matches for 72 h after that run. Re-tests due: please review before matches."
    )


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_the_clinician_and_the_athlete_read_the_same_return_of_the_usual_sessions(
    name: str,
) -> None:
    p = protocol(name)
    out = _back(p, name)
    reason = next(r for r in out.reasons if r.rule == "gap.final")
    with use_language("en"):
        athlete = reason_words(reason, p)
    assert "Your usual sessions return 72 hours after that run." in str(athlete)
    assert "for 72 h after that run" in _clinician_reads(p, out)


def test_the_numbers_are_those_of_the_engines_sentence() -> None:
    """The hours and percentages are read from the engine's record (the protocol's numbers:
    a protocol whose easy day lasts 72 h from 92.5 % says so), never written in the wording."""
    p = protocol("hamstring")
    record = (
        "Back after 15 days without a check-in or session (or paused) at the final stage H7: "
        "the first session back is capped at 85 % Vmax, without full training or matches. An "
        "easy day follows it: nothing at or above 92.5 % Vmax and no full training or matches; "
        "the usual sessions return 72 h after that run. Its sprint and strength re-tests are "
        "due: please review whether a re-test or a move back a stage is needed before matches."
    )
    with use_language("en"):
        line = alert_words("gap.final", record, p)
    assert line is not None
    assert line == (
        "Back after 15 days away at the final stage, H7 · Return to play + maintenance. First "
        "session back ≤ 85\u00a0% Vmax, then an easy day with nothing ≥ 92.5\u00a0%; no full "
        "training or matches for 72 h after that run. Re-tests due: please review before "
        "matches."
    )


def test_an_alert_recorded_before_the_easy_day_was_told_keeps_its_words() -> None:
    """Alerts stored by the earlier engine still read in the clinician's words."""
    p = protocol("hamstring")
    record = (
        "Back after 20 days without a check-in or session (or paused) at the final stage H7: "
        "the first session back is capped at 90 % Vmax, without full training or matches. Its "
        "sprint and strength re-tests are due: please review whether a re-test or a move back "
        "a stage is needed before matches."
    )
    with use_language("en"):
        line = alert_words("gap.final", record, p)
    assert line is not None and "easy day" not in line
    assert line.startswith("Back after 20 days") and "H7 · Return to play" in line
