"""Return to play (H7 / C7) keeps the rest around max-speed exposures (protocol notes (25)).

History that produced the unsafe plan: an athlete in H7 (or C7) who played a match and ran a
speed exposure at 100 % Vmax on day 1 was prescribed the same the next day, and the day
after, with no rest interval in between: "Sport training and matches" and a 95–100 % speed
exposure every day, and max sprints on consecutive days passed as the plan. Reference P6
(hamstring: "≥ 72 h around max sessions"; calf, §3.3 C6: "≥ 72 h between max sessions"),
§2.2 H6 ("easy day after match-like sessions") and §3.2 item 5 ("no load spikes, especially
late-stage"), in the 8-week high-risk window of §2.2 H7. Now the final stage keeps the
interval around its max sessions: for 72 h after a max exposure (or a match, or a
high-speed run) the plan stays below high speed, without full training or matches, and a
max exposure inside it is against the plan.
"""

from __future__ import annotations

import datetime as dt

import pytest

from engine.models import DayRecord
from engine.programme import DayOutcome
from tests.engine.test_attack_final_rest import FINAL, _plan, _sport, _top
from tests.engine.test_reference_conformance import d, day, rules, run, session

MATCH = {"full_training": True}


def _final(name: str, *days: DayRecord) -> dict[dt.date, DayOutcome]:
    stage, injury = FINAL[name]
    return run(name, injury, [day(0, set_stage=stage), *days])


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_the_two_days_after_a_max_exposure_stay_below_max_speed_without_a_match(
    name: str,
) -> None:
    by = _final(name, day(1, s=session(100, checks=MATCH)), day(2), day(3), day(4))
    for easy in (2, 3):
        out = by[d(easy)]
        assert out.stage_after == FINAL[name][0]
        assert _top(out) < 95 and not _sport(out), _plan(out)
    # 72 h after it, the stage's full session: matches and the max-speed exposure.
    assert _top(by[d(4)]) == 100 and _sport(by[d(4)])


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_max_exposures_on_consecutive_days_are_against_the_plan(name: str) -> None:
    by = _final(name, day(1, s=session(100)), day(2, s=session(100)))
    second = by[d(2)]
    assert {"session.flag.rest", "session.flag.over_cap"} <= set(rules(second))
    assert "session.against_plan" in {a.rule for a in second.alerts}
    assert not {"session.flag.rest", "session.flag.over_cap"} & set(rules(by[d(1)]))


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_a_match_the_day_after_a_match_is_against_the_plan(name: str) -> None:
    by = _final(name, day(1, s=session(None, checks=MATCH)), day(2, s=session(None, checks=MATCH)))
    assert "session.flag.over_cap" in rules(by[d(2)])
    assert "session.against_plan" in {a.rule for a in by[d(2)].alerts}


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_a_slow_run_leaves_the_next_day_as_it_is(name: str) -> None:
    """Control: a run below high speed (70 %) is no max session and starts no interval."""
    by = _final(name, day(1, s=session(70)), day(2))
    assert _top(by[d(2)]) == 100 and _sport(by[d(2)])


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_max_exposures_three_days_apart_follow_the_plan(name: str) -> None:
    """Control: ≥ 1 exposure a week at ≥ 95 % (§2.2 H7) fits: 72 h apart is the plan."""
    by = _final(name, day(1, s=session(100)), day(4, s=session(100)))
    assert not {"session.flag.rest", "session.flag.over_cap"} & set(rules(by[d(4)]))
    assert "session.against_plan" not in {a.rule for a in by[d(4)].alerts}
