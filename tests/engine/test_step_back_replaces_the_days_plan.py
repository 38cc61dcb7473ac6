"""A step back later in the day replaces the day's plan, as a stop does.

History that produced the wrong plan: at H5, a session at 100 % with pain 1/10 stepped the
athlete back to H4, but the day's plan (what /plan shows the athlete for the rest of the day)
was still H5's flying sprints and full accelerations at 95–100 %. After a step back the plan
is the lower stage's, with the rest after today's run (reference §4.4: "step back one stage";
P6: the rest interval after a max session).
"""

from __future__ import annotations

from engine.models import DayRecord
from engine.programme import RunEntry
from tests.engine.builders import day, morning, session
from tests.engine.test_programme import decide, ready, rules


def test_a_painful_max_session_steps_back_and_the_plan_follows() -> None:
    st = ready("H5", qualifying_sessions=0, run_log=(RunEntry(date=day(1), pct=100, stage="H5"),))
    out, st = decide(
        st, DayRecord(date=day(6), morning=morning(), session=session(100, reps=4, pain_max=1))
    )
    assert out.decision == "step_back" and out.stage_after == "H4" and st.stage == "H4"
    assert "stepback" in rules(out)
    plan = out.plan
    assert plan is not None and plan.stage == "H4"
    # Nothing at the speeds the athlete was moved back from, and the rest after today's
    # max run holds (H4's template reaches 90 %).
    top = max((d.pct_vmax[1] for d in plan.drills if d.pct_vmax), default=0.0)
    assert top <= 85, plan
    assert not any(n.startswith("First run back") for n in plan.notes)
