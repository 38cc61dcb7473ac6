"""Paused days count as days without a run at the stage's speed (protocol notes (21)).

History that produced the unsafe plan: a paused day neither counted nor ended the days without
a run, so an athlete at H4 who paused for 6 days (too short to be a gap of days away) and then
checked in for 6 days without running had 12 days without speed and nothing acted: the next
plan was H4's full session at 85–90 % Vmax, and at H5 a max sprint. The muscle meets no speed
during a pause either (reference §3.2 item 5, no load spikes). Now the pause's days count, and
the usual steps apply on the first day with an answer once they are due (7 days: the stage
restarts with a capped first run; 14, or 7 at a stage of max sprints: a step back; the final
stage: the capped first run). Nothing acts while paused. A pause of 7 days or more is also a
gap of days away: on the day back one action is taken, with one reason ("welcome back" when the
time away alone calls for that step).
"""

from __future__ import annotations

from engine.models import DayRecord
from engine.programme import DayOutcome
from tests.engine.builders import day, rec
from tests.engine.test_gap_counts_days_without_a_run import _at, _days, _top
from tests.engine.test_programme import rules


def _paused(first: int, until: int) -> list[DayRecord]:
    """Days ``first`` to ``until`` paused (no check-in)."""
    return [DayRecord(date=day(n), paused=True) for n in range(first, until + 1)]


def _checkins(first: int, until: int) -> list[DayRecord]:
    """Green check-ins without a session, days ``first`` to ``until``."""
    return [rec(n) for n in range(first, until + 1)]


def _gaps(out: DayOutcome) -> tuple[list[str], list[str]]:
    """The gap rule's reasons and alerts of a day."""
    said = [r.text for r in out.reasons if r.rule.startswith("gap.")]
    told = [a.text for a in out.alerts if a.rule.startswith("gap.")]
    return said, told


def test_six_days_paused_then_six_check_ins_without_a_run_restart_the_stage() -> None:
    # H4, last run on day 4; paused days 5–10, back on 11, checking in without running.
    outs, _ = _days(_at("H4", 90), [*_paused(5, 10), *_checkins(11, 16)])
    # Nothing while paused, nor on the first day back (6 days: not yet a gap).
    assert all(_gaps(o) == ([], []) for o in outs[:7])
    assert all(o.stage_after == "H4" for o in outs)
    restart = outs[7]  # day 12: 6 paused days and 1 check-in without a run
    said, told = _gaps(restart)
    assert said == [next(r.text for r in restart.reasons if r.rule == "gap.restart")]
    assert said[0].startswith("No run at this stage's speed for 7 days")
    assert len(told) == 1 and told[0].startswith("No run at H4's speed for 7 days")
    assert _top(restart) <= 85, restart.plan  # the capped first run back, not 85–90 %
    # One restart for the run of days; 12 days are not yet 14 (no step back).
    assert sum(bool(_gaps(o)[0]) for o in outs) == 1


def test_at_max_sprints_nothing_acts_during_the_pause_and_the_day_back_steps_back() -> None:
    # H5, last max run on day 4 (days 5–6 its rest, counted); 7–8 check-ins without a run,
    # paused 9–14: the 7th day without a run falls in the pause. No step back while paused; on
    # the day back, the step back (not H5's max sprints).
    outs, st = _days(_at("H5", 100), [*_checkins(5, 8), *_paused(9, 14), *_checkins(15, 16)])
    during = outs[4:10]
    assert all(o.stage_after == "H5" and o.plan is None for o in during)
    assert all(_gaps(o) == ([], []) for o in outs[:10])
    back = outs[10]
    assert back.date == day(15) and back.decision == "step_back" and back.stage_after == "H4"
    said, told = _gaps(back)
    assert len(said) == 1 and said[0].startswith("No run at this stage's speed for 10 days")
    assert len(told) == 1 and told[0].startswith("No run at H5's speed for 10 days")
    assert _top(back) <= 85, back.plan
    assert st.stage == "H4" and sum(bool(_gaps(o)[0]) for o in outs) == 1


def test_return_to_play_caps_the_session_after_a_pause_and_check_ins_without_a_run() -> None:
    outs, _ = _days(_at("H7", 100), [*_paused(5, 10), *_checkins(11, 14)])
    capped = next(o for o in outs if "gap.final" in rules(o))
    assert capped.date == day(12) and capped.stage_after == "H7"
    assert capped.plan is not None and _top(capped) <= 90
    assert not any(d.kind == "sport" for d in capped.plan.drills)
    said, _ = _gaps(capped)
    assert len(said) == 1 and said[0].startswith("No run at this stage's speed for 7 days")


def test_a_weeks_pause_is_one_welcome_back_and_its_days_count_towards_the_step_back() -> None:
    # H4, paused days 5–11 (7 days: a gap of days away and 7 days without a run, both due on
    # day 12). One restart with one reason, the days away, then check-ins without running:
    # 14 days without a run (the pause's 7 and 7 check-ins) step back on day 19.
    outs, st = _days(_at("H4", 90), [*_paused(5, 11), *_checkins(12, 20)])
    assert all(_gaps(o) == ([], []) for o in outs[:7])
    back = outs[7]
    said, told = _gaps(back)
    assert len(said) == 1 and said[0].startswith("Welcome back: after 7 days")
    assert [r.observed for r in back.reasons if r.rule.startswith("gap.")] == [7]
    assert len(told) == 1 and told[0].startswith("Back after 7 days")
    assert back.decision == "hold" and back.stage_after == "H4"
    assert all(_gaps(o) == ([], []) for o in outs[8:14])
    step = outs[14]
    assert step.date == day(19) and step.stage_after == "H3"
    said, told = _gaps(step)
    assert len(said) == 1 and said[0].startswith("No run at this stage's speed for 14 days")
    assert len(told) == 1 and told[0].startswith("No run at H4's speed for 14 days")
    assert st.stage == "H3" and sum(bool(_gaps(o)[0]) for o in outs) == 2


def test_a_pause_that_ends_two_weeks_without_a_run_steps_back_once_with_its_count() -> None:
    # H4: check-ins without running on days 5–11 (7 counted), then paused 12–19 (8 days
    # away). On day 20 both gaps are due: 8 days away would restart the stage, 15 days
    # without a run step it back. One action, the step back, with the one reason whose count
    # says why: 15 days without a run.
    outs, st = _days(_at("H4", 90), [*_checkins(5, 11), *_paused(12, 19), *_checkins(20, 22)])
    assert all(_gaps(o) == ([], []) and o.stage_after == "H4" for o in outs[:15])
    back = outs[15]
    assert back.date == day(20) and back.decision == "step_back" and back.stage_after == "H3"
    said, told = _gaps(back)
    assert len(said) == 1 and said[0].startswith("No run at this stage's speed for 15 days")
    assert [r.observed for r in back.reasons if r.rule.startswith("gap.")] == [15]
    assert len(told) == 1 and told[0].startswith("No run at H4's speed for 15 days")
    assert all(_gaps(o) == ([], []) for o in outs[16:])
    assert st.stage == "H3"
