"""Attack: a pause (illness, holiday) counted as time at the stage. H2 entered on 3 March,
paused on the 6th, resumed on the 12th: 6 of the 9 days were paused. Paused days do not count
towards the stall (7 days without moving on) and no-progress (14 days) clocks, so the first
day back neither tells the athlete they have been stuck nor alerts the clinician; the clocks
run on once the athlete is back. The minimum days of a stage stay calendar days (healing time
passes during a pause)."""

from __future__ import annotations

from engine.models import ClinicianAction, DayRecord
from engine.programme import DayOutcome, ProgrammeState, Timeline, gate_items, replay
from tests.engine.builders import BASELINE, D0, HAM_INJURY, day, protocol, rec, session

HAM = protocol("hamstring")
H2 = ProgrammeState(stage="H2", stage_entered=D0, start=D0, last_progress=D0)


def paused_days(first: int, back: int, until: int) -> list[DayRecord]:
    """Green check-ins from day 0, paused from day ``first`` (the athlete's /pause) to the day
    before ``back`` (their /resume and check-in), then green check-ins to day ``until``."""
    days = []
    for n in range(until + 1):
        if n == first:
            days.append(rec(n, m=None, paused=True, clinician_actions=[_act("pause")]))
        elif first < n < back:
            days.append(rec(n, m=None, paused=True))
        elif n == back:
            days.append(rec(n, clinician_actions=[_act("resume")]))
        else:
            days.append(rec(n))
    return days


def _act(kind: str) -> ClinicianAction:
    return ClinicianAction.model_validate({"kind": kind, "note": "Ill"})


def run(days: list[DayRecord]) -> Timeline:
    return replay(HAM, HAM_INJURY, BASELINE, days, start=D0, state=H2)


def on(timeline: Timeline, n: int) -> DayOutcome:
    return next(d for d in timeline.days if d.date == day(n))


def stall(outcome: DayOutcome) -> list[str]:
    return [r.text for r in outcome.reasons if r.rule == "stall"] + [
        a.text for a in outcome.alerts if a.rule == "stall"
    ]


def test_the_first_day_back_after_a_pause_names_no_stall() -> None:
    days = paused_days(3, 9, 9)  # 3 March → paused 6 March → back 12 March
    # An easy run on day 2 (below what H2 needs): without it, the 3 days before the pause and
    # its 6 are 9 days without a run at H2's speed, and the day back restarts the stage
    # (protocol notes (21); test_paused_days_count_without_a_run.py).
    days[2] = rec(2, s=session(55, reps=6))
    timeline = run(days)
    assert on(timeline, 9).decision == "hold"
    assert stall(on(timeline, 9)) == []
    # The minimum days at the stage stay calendar days: all 9 count.
    items = gate_items(HAM, HAM_INJURY, timeline.final_state, day(9), "go")
    minimum = next(i for i in items if i.rule == "gate.5.days")
    assert minimum.observed == 9 and minimum.met


def test_the_stall_comes_after_seven_days_not_paused() -> None:
    timeline = run(paused_days(3, 9, 14))
    fired = [n for n in range(15) if stall(on(timeline, n))]
    assert fired == [13]  # 3 days before the pause + 4 after it
    athlete = next(r.text for r in on(timeline, 13).reasons if r.rule == "stall")
    assert "for 7 days" in athlete
    clinician = next(a.text for a in on(timeline, 13).alerts if a.rule == "stall")
    assert clinician.startswith("No progress in H2 for 7 days.")


def test_a_stall_named_before_a_pause_is_not_repeated_on_the_first_day_back() -> None:
    timeline = run(paused_days(8, 18, 20))
    assert [n for n in range(21) if stall(on(timeline, n))] == [7]


def test_a_long_pause_does_not_fire_no_progress_on_the_first_day_back() -> None:
    timeline = run(paused_days(1, 16, 29))  # 15 days paused
    fired = [
        n
        for n in range(30)
        if any(a.rule == "escalate.no_progress" for a in on(timeline, n).alerts)
    ]
    assert fired == [29]  # 14 days without progress, not paused: 1 before, 13 after
