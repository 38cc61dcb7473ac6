"""Attack: a gap made noise for the clinician that says nothing about the stage.

Histories that produced it:
- an athlete in H2, checking in for 10 days and then silent for 3 weeks, was named "No
  progress in H2 for 14 days" (stall, info) on three silent days and reviewed "No progression
  for 14 days (stage H2): clinician review" (within 24 h) on two of them, while not there; the
  missed check-ins already told the clinician the athlete was away, and on the day back the
  gap rule steps back and tells them again;
- an athlete in H5, away for 8 days (a stage of max sprints steps back after a week away:
  protocol notes (21)), then a red session three days later: "2 step-backs within 14 days:
  clinician review" (within 24 h), although only one of them said anything about the leg.

Decided as a clinician would: a day without any answer is time away, and nothing about the
stage's progress is named on it (a stall or review due is named on the next day with an
answer); the silent days of a gap are left out of the no-progress clock on the day back, as
they already are of the stall clock; a step back for time away is not one of §4.4's "two
step-backs within 14 days" (the step-backs before it still count towards the next one).
"""

from __future__ import annotations

from engine.models import DayRecord
from engine.programme import DayOutcome, Timeline, replay
from tests.engine.builders import BASELINE, D0, HAM_INJURY, protocol, rec, session
from tests.engine.test_attack_pause_clock import H2, on

HAM = protocol("hamstring")


def _run(days: list[DayRecord], stage: str = "H2") -> Timeline:
    return replay(
        HAM, HAM_INJURY, BASELINE, days, start=D0, state=H2.model_copy(update={"stage": stage})
    )


def _fired(timeline: Timeline, rule: str, until: int) -> list[int]:
    return [n for n in range(until + 1) if any(a.rule == rule for a in on(timeline, n).alerts)]


def _alerts(out: DayOutcome) -> set[tuple[str, str]]:
    return {(a.severity, a.rule) for a in out.alerts}


def test_nothing_about_progress_is_raised_on_the_silent_days_of_a_gap() -> None:
    days = [rec(n) for n in range(10)] + [rec(n) for n in range(31, 50)]
    timeline = _run(days)
    silent = range(10, 31)
    for rule in ("stall", "escalate.no_progress"):
        assert not [n for n in _fired(timeline, rule, 49) if n in silent], rule
    assert not any(r.rule == "stall" for n in silent for r in on(timeline, n).reasons)
    # The athlete's absence still reaches the clinician, and the day back says why.
    assert "escalate.missed" in {a.rule for n in silent for a in on(timeline, n).alerts}
    assert ("info", "gap.step_back") in _alerts(on(timeline, 31))
    assert not any(a.rule == "escalate.no_progress" for a in on(timeline, 31).alerts)


def test_the_no_progress_clock_runs_on_without_the_gaps_silent_days() -> None:
    """10 days counted before the gap (days 0–9), 21 silent, back on day 31: the 14th day
    without progress that is not time away is day 35 (as the stall clock counts)."""
    days = [rec(n) for n in range(10)] + [rec(n) for n in range(31, 50)]
    assert _fired(_run(days), "escalate.no_progress", 49)[:1] == [35]


def test_a_stall_due_on_a_silent_day_of_a_short_absence_is_named_on_the_day_back() -> None:
    """Three days without an answer are not a gap (the stage does not restart and the days
    count): the stall that fell due on day 7, a silent day, is named on day 9, not lost."""
    days = [rec(n) for n in range(7)] + [rec(n) for n in range(9, 12)]
    timeline = _run(days)
    assert _fired(timeline, "stall", 11) == [9]
    text = next(r.text for r in on(timeline, 9).reasons if r.rule == "stall")
    assert "for 9 days" in text


def test_a_step_back_for_time_away_is_not_a_repeated_step_back() -> None:
    """H5, 8 days away (a stage of max sprints: back to H4), then a red session in H4 three
    days later (back to H3): one step back for the leg, not two."""
    days = [rec(0), rec(1)] + [rec(n) for n in range(10, 12)]
    days += [rec(12, s=session(82, pain_max=5)), rec(13)]
    timeline = _run(days, stage="H5")
    back = on(timeline, 10)
    assert back.decision == "step_back" and back.stage_after == "H4"
    assert ("info", "gap.step_back") in _alerts(back)
    red = on(timeline, 12)
    assert red.decision == "step_back" and red.stage_after == "H3"
    assert _fired(timeline, "escalate.step_backs", 13) == []


def test_two_step_backs_for_the_leg_still_ask_for_a_review_across_a_gap() -> None:
    """Control: a red session in H5 (back to H4), a week away in H4 (a restart, no step
    back), then a red session in H4 (back to H3) 12 days after the first: two step-backs for
    the leg within 14 days still ask for a review, the gap between them notwithstanding."""
    days = [rec(0, s=session(96, pain_max=5))]  # red in H5: back to H4 (counted)
    days += [rec(1), rec(2)]
    days += [rec(n) for n in range(10, 12)]  # 7 days away in H4: a restart, no step back
    days += [rec(12, s=session(84, pain_max=5)), rec(13)]  # red in H4: back to H3 (counted)
    timeline = _run(days, stage="H5")
    assert on(timeline, 0).stage_after == "H4" and on(timeline, 12).stage_after == "H3"
    assert _fired(timeline, "escalate.step_backs", 13) == [12]
