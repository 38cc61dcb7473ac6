"""Attack: the final stage (return to play, H7 / C7) has no rest rule, so the day after the
capped first run back from a gap could be a match.

History that produced the unsafe plan: an athlete in H7 (or C7) away for 20 days; the first
day back is capped (nothing above 90 % Vmax, no full training or match: ``gap.final``) and they
run at 88 % on it. The very next day the plan was the stage's full session again: "Sport
training and matches" and max-speed exposures (95–100 % Vmax), a match and a max sprint the
day after the first run in three weeks, and a match logged on that day passed as the plan.

Protocol notes (21), derived from the reference's "normal microcycle, with an easy day after
match-like sessions" (§2.2 H6) and P6 (hamstring ≥ 48 h between high-speed sessions; calf no
consecutive running days): after the first run back at the final stage, nothing at or above
the stage-before-final's rest threshold until its interval has passed since that run. For the
hamstring (H6: 48 h from 95 % Vmax) the next day keeps below 95 % and without full training or
matches; for the calf (C6: 48 h from any running) it has no running. The final stage's own
interval around max sessions (notes (25): 72 h, P6) holds after that run too, whatever its
speed: the usual sessions (matches, max speed) return 72 h after it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from engine.models import DayRecord
from engine.plan import SessionPlan
from engine.programme import DayOutcome
from tests.engine.builders import protocol
from tests.engine.test_reference_conformance import CALF, HAM, d, day, rules, run, session

FINAL = {"hamstring": ("H7", HAM), "calf": ("C7", CALF)}


def _plan(out: DayOutcome) -> SessionPlan:
    assert out.plan is not None
    return out.plan


def _top(out: DayOutcome) -> float:
    return max((dr.pct_vmax[1] for dr in _plan(out).drills if dr.pct_vmax), default=0.0)


def _sport(out: DayOutcome) -> bool:
    return any(dr.kind == "sport" for dr in _plan(out).drills)


def _history(name: str, *after: DayRecord, first: float | None = 90) -> dict[dt.date, DayOutcome]:
    """Moved to the final stage on day 0, a match and a max sprint on day 1, then nothing
    until day 22; back on day 22, the first run back on day 23 (``first`` % Vmax, at the cap
    by default: a slower run does not lift it; None: unmeasured), then ``after``."""
    stage, injury = FINAL[name]
    days = [
        day(0, set_stage=stage),
        day(1, s=session(97, checks={"full_training": True})),
        day(22),
        day(23, s=session(first)),
        *after,
    ]
    return run(name, injury, days)


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_the_day_after_the_first_run_back_has_no_match_or_max_sprint(name: str) -> None:
    by = _history(name, day(24), day(25), day(26))
    easy = by[d(24)]
    assert easy.stage_after == FINAL[name][0]  # the final stage stays
    assert not _sport(easy) and _top(easy) < 95, _plan(easy)
    if name == "calf":
        # "Never consecutive running days": no running at all the next day.
        assert not _plan(easy).running
    notes = [n for n in _plan(easy).notes if n.startswith("Easy day after your first run back")]
    assert len(notes) == 1 and "72 h after that run" in notes[0], _plan(easy).notes
    assert "match" in notes[0]
    # The day after it is easy as well (the final stage's 72 h around max sessions).
    assert not _sport(by[d(25)]) and _top(by[d(25)]) < 95, _plan(by[d(25)])
    # 72 h after the first run back, the stage's full session (matches, max speed) follows.
    full = by[d(26)]
    assert _top(full) == 100 and _sport(full)
    assert not any(n.startswith("Easy day") for n in _plan(full).notes)


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_a_match_the_day_after_the_first_run_back_is_against_the_plan(name: str) -> None:
    by = _history(name, day(24, s=session(None, checks={"full_training": True})))
    played = by[d(24)]
    flag = "session.flag.over_cap" if name == "hamstring" else "session.flag.no_running"
    assert flag in rules(played)
    assert "session.against_plan" in {a.rule for a in played.alerts}


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_a_slow_or_unmeasured_first_run_back_is_followed_by_the_easy_day_too(name: str) -> None:
    """Whatever the first run back's speed: the next day would otherwise be a match."""
    for first in (60.0, None):
        easy = _history(name, day(24), first=first)[d(24)]
        assert not _sport(easy) and _top(easy) < 95, (first, _plan(easy))


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_the_gap_reason_says_when_the_usual_sessions_return(name: str) -> None:
    back = _history(name)[d(22)]
    reason = next(r for r in back.reasons if r.rule == "gap.final")
    assert "Your usual sessions return 72 h after that run." in reason.text
    assert "follow once you have run" not in reason.text


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_without_a_gap_the_final_stage_keeps_its_microcycle(name: str) -> None:
    """Control: without a gap the final stage keeps its own interval around max sessions
    (notes (25): 72 h) and no easy day of a first run back: a run at 88 % is followed by
    easier days for 72 h, said as the rest between fast sessions, then the full session."""
    stage, injury = FINAL[name]
    by = run(name, injury, [day(0, set_stage=stage), day(1, s=session(88)), day(3), day(4)])
    assert _top(by[d(3)]) < 95 and not _sport(by[d(3)])
    assert not any(n.startswith("Easy day after your first run") for n in _plan(by[d(3)]).notes)
    assert _top(by[d(4)]) == 100 and _sport(by[d(4)])


def test_the_easy_day_is_the_interval_of_the_stage_before_the_final_one() -> None:
    """H6's 48 h from 95 % Vmax ("easy day after match-like sessions"); C6's 48 h from any
    running ("never consecutive running days"), not its 72 h around max sessions; and the
    final stage's own 72 h around max sessions (notes (25))."""
    from engine.programme import final_gap_rest

    ham = [(r.hours, r.from_pct) for r in final_gap_rest(protocol("hamstring"))]
    calf = [(r.hours, r.from_pct) for r in final_gap_rest(protocol("calf"))]
    assert ham == [(48, 95), (72, 95)] and calf == [(48, 1), (72, 95)]


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_the_athlete_reads_why_in_plain_words(name: str) -> None:
    from bot.support import i18n
    from bot.wording.plan import plan_lines

    easy = _history(name, day(24))[d(24)]
    with i18n.use_language("en"):
        text = "\n".join(plan_lines(_plan(easy), protocol(name)))
    assert "⚠ Easy day after your first run back: no" in text
    assert "Your usual sessions return 72 hours after that run." in text
    assert "Vmax" not in text and " h after" not in text


def test_a_run_on_a_capped_day_is_no_speed_re_test() -> None:
    """H7 "Vmax < 95 % on a re-test" asks the clinician within 24 h. The first run back
    (capped at 90 %) and a run on the easy day after it (capped at 75 %: the final stage's
    72 h around max sessions) follow the plan: they are no re-test and ask nothing; a run
    below 95 % on a full day (72 h after the first run back) still is one."""
    by = _history("hamstring", day(24, s=session(75)), day(26, s=session(88)))
    assert not [a.rule for n in (23, 24) for a in by[d(n)].alerts if a.rule == "H7r2"]
    assert ("within_24h", "H7r2") in {(a.severity, a.rule) for a in by[d(26)].alerts}
