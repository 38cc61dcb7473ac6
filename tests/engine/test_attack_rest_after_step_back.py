"""Attack: a max session (≥ 95 % Vmax) in H5, then a step back to H4. Reference P6 / §2.2:
≥ 72 h around max sessions (a high-speed run and a max run need 72 h between them, in
either order). The interval belongs to the max session, not to the stage the athlete is in
two days later."""

from __future__ import annotations

from engine.models import ClinicianAction
from engine.plan import SessionPlan
from tests.engine.builders import rec, session
from tests.engine.test_programme import decide, ready


def _top(plan: SessionPlan | None) -> float:
    assert plan is not None
    return max((d.pct_vmax[1] for d in plan.drills if d.pct_vmax), default=0.0)


def test_clinician_step_back_after_a_max_session_keeps_72_hours_around_it() -> None:
    _, st = decide(ready("H5", clearance=False, run_log=()), rec(6, s=session(98, reps=4)))
    _, st = decide(st, rec(7, clinician_actions=[ClinicianAction(kind="step_back")]))
    assert st.stage == "H4"
    out, _ = decide(st, rec(8))  # 48 h after the max session
    assert _top(out.plan) < 80


def test_red_max_session_step_back_keeps_72_hours_around_it() -> None:
    out, st = decide(
        ready("H5", clearance=False, run_log=()), rec(6, s=session(98, reps=4, pain_max=5))
    )
    assert out.decision == "step_back" and st.stage == "H4"
    out, _ = decide(st, rec(8))
    assert _top(out.plan) < 80


def test_an_h4_run_48_hours_after_a_max_session_does_not_count() -> None:
    _, st = decide(ready("H5", clearance=False, run_log=()), rec(6, s=session(98, reps=4)))
    _, st = decide(st, rec(7, clinician_actions=[ClinicianAction(kind="step_back")]))
    out, st = decide(st, rec(8, s=session(90, reps=4)))
    assert "session.flag.rest" in [r.rule for r in out.reasons]


def test_an_unplanned_max_run_in_h4_keeps_72_hours_around_it() -> None:
    """Found by test_attack_generated: a 96 % run in H4 (over the day's cap, flagged) is a max
    session all the same; 48 h later the H4 plan prescribes 85-90 % again (P6: ≥ 72 h around
    max sessions; H4's own rule is 48 h between HV sessions). Not fixed."""
    _, st = decide(ready("H4", run_log=(), streaks={}), rec(7, s=session(96, reps=4)))
    _, st = decide(st, rec(8))
    out, st = decide(st, rec(9))
    assert st.stage == "H4"
    assert _top(out.plan) < 80
