"""Attack: the first run back after a week or more away (protocol notes (21)).

History that produced the unsafe plan: an athlete in H4 (85–90 % Vmax) who ran on day 4, then
sent nothing for 10 days, was prescribed the stage's full session on the first day back
(high-speed runs and accelerations at 85–90 %); one in H6 away for 8 days was stepped back to
H5 and prescribed flying sprints at 95–100 %, the max sprint after a week without speed that
note (21) steps back to avoid. Reference §3.2 item 5 ("no load spikes, especially late-stage"),
§2.2 H3 ("raise ≤ +5 % Vmax per session, only after a green 24-h response"): the first run back
is the stage's lowest-intensity session, below max speed; the full session follows it.
"""

from __future__ import annotations

from engine.models import DayRecord
from engine.programme import DayOutcome, ProgrammeState, RunEntry
from tests.engine.builders import day, rec, session
from tests.engine.test_programme import decide, ready, rules


def _top(out: DayOutcome) -> float:
    assert out.plan is not None
    return max((d.pct_vmax[1] for d in out.plan.drills if d.pct_vmax), default=0.0)


def _away(stage: str, last_pct: float, days: int) -> tuple[DayOutcome, ProgrammeState]:
    st = ready(stage, run_log=(RunEntry(date=day(4), pct=last_pct, stage=stage),))
    for n in range(5, 5 + days):
        _, st = decide(st, DayRecord(date=day(n)))
    return decide(st, rec(5 + days))


def test_first_run_back_after_ten_days_in_h4_is_the_stages_easiest() -> None:
    out, st = _away("H4", 88, 10)
    assert "gap.restart" in rules(out) and out.stage_after == "H4"
    assert _top(out) <= 85, out.plan
    assert out.plan is not None and any("First run back" in n for n in out.plan.notes)
    # The first run back done (at the capped speed), the stage's full session follows.
    out, st = decide(st, rec(16, s=session(85, reps=4)))
    assert not st.easy_first_run
    out, st = decide(st, rec(18))
    assert _top(out) == 90


def test_a_week_away_in_full_training_gives_no_max_sprint_on_the_first_day_back() -> None:
    out, _ = _away("H6", 97, 8)
    assert "gap.step_back" in rules(out) and out.stage_after == "H5"
    assert _top(out) < 95, out.plan
    assert out.plan is not None and not any(d.kind == "sport" for d in out.plan.drills)


def test_running_above_the_first_day_back_cap_does_not_count() -> None:
    st = ready("H3", run_log=(RunEntry(date=day(4), pct=80, stage="H3"),))
    for n in range(5, 14):
        _, st = decide(st, DayRecord(date=day(n)))
    out, st = decide(st, rec(14, s=session(80, reps=6)))
    assert "session.flag.over_cap" in rules(out)
    assert st.qualifying_sessions == 0


def test_a_short_absence_keeps_the_full_session() -> None:
    out, st = _away("H4", 88, 4)
    assert not st.easy_first_run and _top(out) == 90
