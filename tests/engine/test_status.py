"""Stage status for /status and the clinician's view: every exit criterion met or not."""

from __future__ import annotations

from engine.programme import replay
from engine.status import stage_status
from tests.engine.builders import BASELINE, HAM_INJURY, day, protocol, rec, session

HAM = protocol("hamstring")


def test_status_lists_every_exit_criterion_with_observed_and_needed() -> None:
    checks = {
        "single_leg_squat_pain": 0,
        "bike_pain": 1,
        "knee_extension_full": True,
        "walk_pain": 0,
    }
    days = [rec(0, clearance=True, checks={"walk_pain": 0}), rec(1, s=session(checks=checks))]
    tl = replay(HAM, HAM_INJURY, BASELINE, days, start=day(0))
    status = stage_status(HAM, HAM_INJURY, BASELINE, tl.final_state, days)
    assert status.stage == "H1" and status.next_stage == "H2"
    by_rule = {c.rule: c for c in status.criteria}
    assert list(by_rule) == [c.id for c in HAM.stage("H1").exit_criteria]
    assert by_rule["H1a"].met and not by_rule["H1b"].met and by_rule["H1b"].observed == 1
    assert not by_rule["H1e"].met and "1/2" in str(by_rule["H1e"].observed)
    text = "\n".join(status.lines())
    assert "✅ Painless single-leg squat" in text and "⬜ Painless bike" in text
    assert not status.signoff_pending


def test_status_shows_a_pending_signoff() -> None:
    days = [rec(0, checks={"walk_pain": 0})]
    tl = replay(HAM, HAM_INJURY, BASELINE, days, start=day(0))
    status = stage_status(HAM, HAM_INJURY, BASELINE, tl.final_state, days, on=day(1))
    assert status.signoff_pending
    assert "Waiting for the clinician's sign-off" in "\n".join(status.lines())
