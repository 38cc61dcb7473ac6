"""Attack: a gap at the final stage (return to play and maintenance, H7 / C7).

History that produced the unsafe plan: an athlete in H7 (or C7) who played and sprinted at
97 % on days 1 and 3, then sent nothing for 20 days, was prescribed on the first day back the
stage's full session: "Sport training and matches" and max-speed exposures (95–100 % Vmax),
and the clinician heard nothing. The first session after three weeks without speed was a
match and a max sprint: the load spike reference §3.2 item 5 warns of ("no load spikes,
especially late-stage"), in the high-risk weeks after return to play (§2.2 H7, P10: 9 %
re-injury by 2 months). Protocol notes (21): the first run back at the final stage is capped
as at every other stage (nothing above 90 % Vmax, so no match or full training that day),
the stage stays (the reference's answer there is "clinician notified", not a move), and from
14 days away, when the stage's re-tests (every 2–4 weeks) have lapsed, the clinician is told.
"""

from __future__ import annotations

import datetime as dt

import pytest

from engine.programme import GAP_FINAL_ALERT_DAYS, GAP_RESTART_DAYS, DayOutcome
from tests.engine.test_reference_conformance import CALF, HAM, d, day, rules, run, session

FINAL = {"hamstring": ("H7", HAM), "calf": ("C7", CALF)}


def _away(name: str, away: int) -> dict[dt.date, DayOutcome]:
    """Moved to the final stage on day 0, a match and max sprints on days 1 and 3, then
    ``away`` days without anything, back with a green morning."""
    stage, injury = FINAL[name]
    back = 4 + away
    days = [
        day(0, set_stage=stage),
        day(1, s=session(97, checks={"full_training": True})),
        day(2),
        day(3, s=session(97, checks={"full_training": True})),
        day(back),
        day(back + 1, s=session(90)),
        day(back + 2),
        day(back + 3),
        day(back + 4),
    ]
    return run(name, injury, days)


def _top(out: DayOutcome) -> float:
    assert out.plan is not None
    return max((dr.pct_vmax[1] for dr in out.plan.drills if dr.pct_vmax), default=0.0)


def _sport(out: DayOutcome) -> bool:
    assert out.plan is not None
    return any(dr.kind == "sport" for dr in out.plan.drills)


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_three_weeks_away_at_the_final_stage_gives_no_match_or_max_sprint_first(
    name: str,
) -> None:
    stage, _ = FINAL[name]
    by = _away(name, 20)
    back = by[d(24)]
    assert back.stage_after == stage  # the final stage stays: nothing to earn, nowhere to go
    assert _top(back) <= 90 and not _sport(back), back.plan
    assert back.plan is not None and any(
        n.startswith("First run back") and "no full team or event training or match" in n
        for n in back.plan.notes
    )
    reason = next(r for r in back.reasons if r.rule == "gap.final")
    assert (reason.observed, reason.threshold) == (20, f"< {GAP_RESTART_DAYS} days")
    assert [(a.severity, a.rule) for a in back.alerts] == [("info", "gap.final")]
    assert "90 % Vmax" in back.alerts[0].text and stage in back.alerts[0].text
    # The first run back done at 90 % (its cap), easy days follow it until 72 h after it (the final
    # stage's interval around max sessions, test_attack_final_rest.py), then the stage's full
    # session (matches, max speed).
    assert "session.flag.over_cap" not in rules(by[d(25)])
    for easy in (26, 27):
        assert _top(by[d(easy)]) < 95 and not _sport(by[d(easy)])
    assert _top(by[d(28)]) == 100 and _sport(by[d(28)])


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_a_week_away_at_the_final_stage_caps_the_first_run_without_alerting(name: str) -> None:
    by = _away(name, 8)
    back = by[d(12)]
    assert _top(back) <= 90 and not _sport(back)
    assert "gap.final" in rules(back)
    assert GAP_FINAL_ALERT_DAYS > 8 and not back.alerts


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_six_days_away_at_the_final_stage_keeps_the_full_session(name: str) -> None:
    """Control: under a week, nothing changes (the maintenance microcycle goes on)."""
    by = _away(name, 6)
    back = by[d(10)]
    assert _top(back) == 100 and _sport(back)
    assert "gap.final" not in rules(back) and not back.alerts


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_a_match_on_the_first_day_back_does_not_pass_as_the_plan(name: str) -> None:
    """Played a match straight away after three weeks: saved, told as above today's limit,
    and the clinician hears of it."""
    stage, injury = FINAL[name]
    days = [
        day(0, set_stage=stage),
        day(1, s=session(97, checks={"full_training": True})),
        day(22, s=session(None, checks={"full_training": True})),
    ]
    back = run(name, injury, days)[d(22)]
    assert "session.flag.over_cap" in rules(back)
    assert {a.rule for a in back.alerts} >= {"gap.final", "session.against_plan"}
