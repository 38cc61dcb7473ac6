"""Re-entry after a step back counts green sessions at the lower stage's top intensity only.

History that produced the early re-entry: after 31 days away in C4 the athlete was stepped
back to C3, and its re-entry count ("2 consecutive green sessions with green 24-h responses")
took the capped first run back at 55 % as one of them, so one run at 70 % later the athlete
was back in C4. Reference §4.4: "2 consecutive green sessions with green 24-h responses at the
previous stage's top intensity". An easier green run neither counts nor breaks the count.
"""

from __future__ import annotations

from engine.models import DayRecord
from engine.programme import DayOutcome, ProgrammeState, RunEntry, decide_day
from tests.engine.builders import BASELINE, CALF_INJURY, day, protocol, rec, session

CALF = protocol("calf")


def _reentry(out: DayOutcome) -> object:
    """The observed count of the re-entry item, or None once it is met (not said)."""
    return next((r.observed for r in out.reasons if r.rule == "stepback.reentry"), None)


def _back_in_c3() -> tuple[DayOutcome, ProgrammeState]:
    st = ProgrammeState(
        stage="C4",
        stage_entered=day(0),
        start=day(0),
        last_progress=day(0),
        run_log=(RunEntry(date=day(2), pct=85, stage="C4"),),
    )
    for n in range(3, 34):
        _, st = decide_day(CALF, CALF_INJURY, BASELINE, st, DayRecord(date=day(n)), [])
    return decide_day(CALF, CALF_INJURY, BASELINE, st, rec(34, s=session(55, reps=8)), [])


def test_the_capped_first_run_back_is_not_a_re_entry_session() -> None:
    out, st = _back_in_c3()
    assert out.stage_after == "C3" and st.reentry_greens_needed == 2
    out, st = decide_day(CALF, CALF_INJURY, BASELINE, st, rec(35), [])
    assert _reentry(out) == 0  # green, back to baseline, but at 55 % of C3's 70 %
    _, st = decide_day(CALF, CALF_INJURY, BASELINE, st, rec(36, s=session(70, reps=8)), [])
    out, st = decide_day(CALF, CALF_INJURY, BASELINE, st, rec(37), [])
    assert _reentry(out) == 1 and out.stage_after == "C3"
    _, st = decide_day(CALF, CALF_INJURY, BASELINE, st, rec(38, s=session(70, reps=8)), [])
    out, st = decide_day(CALF, CALF_INJURY, BASELINE, st, rec(39), [])
    assert _reentry(out) is None and st.green_streak == 2


def test_an_easier_run_between_two_at_the_top_does_not_break_the_count() -> None:
    _, st = _back_in_c3()
    _, st = decide_day(CALF, CALF_INJURY, BASELINE, st, rec(35), [])
    plan = [(36, 70), (38, 60), (40, 70)]
    for n, pct in plan:
        _, st = decide_day(CALF, CALF_INJURY, BASELINE, st, rec(n, s=session(pct, reps=8)), [])
        out, st = decide_day(CALF, CALF_INJURY, BASELINE, st, rec(n + 1), [])
    assert st.green_streak == 2 and _reentry(out) is None
