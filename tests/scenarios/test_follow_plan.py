"""The ideal grade-1 athletes still reach full training in a realistic time when they follow
the plan, rest days included (issue 12: hamstring 14–40 days, calf 14–45 days after the
injury), without a single session flagged against the plan; and an athlete who ignores the rest
days gets there no sooner."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.models import Injury, Metrics
from engine.programme import DayOutcome
from engine.schema import Protocol
from tests.engine.builders import protocol
from tests.scenarios.follow_plan import follow_plan

BASELINE = Metrics(
    vmax_ms=9.1, split_10m_s=1.78, split_20m_s=2.93, split_30m_s=4.05, split_40m_s=5.16
)
INJURED = dt.date(2026, 3, 1)
START = dt.date(2026, 3, 3)
CASES = {
    "hamstring": (
        Injury(
            injury="hamstring", muscle="biceps_femoris", side="left", grade=1, injury_date=INJURED
        ),
        (14, 40),
    ),
    "calf": (
        Injury(injury="calf", muscle="soleus", side="right", grade=1, injury_date=INJURED),
        (14, 45),
    ),
}
FLAGS = ("session.flag.", "session.against_plan", "stall")


def _full_training(p: Protocol, outcomes: list[DayOutcome]) -> dt.date | None:
    return next(
        (
            o.date
            for o in outcomes
            if o.stage_after == p.full_training_stage and o.stage != o.stage_after
        ),
        None,
    )


@pytest.mark.parametrize("name", list(CASES))
def test_an_athlete_who_follows_the_plan_reaches_full_training_in_time(name: str) -> None:
    p = protocol(name)
    injury, (lo, hi) = CASES[name]
    _, outcomes, _ = follow_plan(p, injury, BASELINE, START, 60)
    full = _full_training(p, outcomes)
    assert full is not None, f"{name}: full training not reached in 60 days"
    assert lo <= (full - INJURED).days <= hi, (full - INJURED).days
    flagged = [
        (o.date, r.rule)
        for o in outcomes
        for r in o.reasons
        if r.rule.startswith(FLAGS)
        # Reference §3.3 C6: ≥ 2 max sessions (≥ 95 %) ≥ 72 h apart, no consecutive running
        # days, plus the sign-off: C6 takes the ideal athlete 10 days, so the 7-day stall note
        # (info) is expected there.
        and not (r.rule == "stall" and o.stage == "C6")
    ]
    assert not flagged, flagged
    assert all(o.decision != "step_back" and o.decision != "stop" for o in outcomes)


@pytest.mark.parametrize("name", list(CASES))
def test_ignoring_the_rest_days_is_not_faster(name: str) -> None:
    p = protocol(name)
    injury, _ = CASES[name]
    _, compliant, _ = follow_plan(p, injury, BASELINE, START, 60)
    _, eager, _ = follow_plan(p, injury, BASELINE, START, 60, every_day=True)
    good = _full_training(p, compliant)
    fast = _full_training(p, eager)
    assert good is not None
    assert fast is None or fast >= good, (fast, good)
    assert any(r.rule == "session.flag.rest" for o in eager for r in o.reasons)
