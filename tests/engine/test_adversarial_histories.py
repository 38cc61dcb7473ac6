"""Adversarial histories against the clinical reference (shared/reference/return-to-sprint.md):
full team training before its stage, rest mornings after a review, a stricter minimum-session
speed published mid-stage, and the stop/escalate path (a red flag on the day everything is met,
a pop after a morning progression, a session logged on a rest morning, readings too fast to
trust)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine.models import ClinicianAction, DayRecord, MorningCheckIn, SessionReport
from engine.programme import DayOutcome, carry_over, replay
from engine.schema import parse_protocol, protocol_to_data, set_value
from tests.engine.builders import protocol
from tests.engine.test_reference_conformance import (
    BASE,
    H5_METRICS,
    HAM,
    d,
    day,
    morning,
    rules,
    run,
    session,
)

H5_CHECKS = {"cod_pain": 0}


def _alerts(o: DayOutcome) -> list[tuple[str, str]]:
    return [(a.severity, a.rule) for a in o.alerts]


def _max_session(pct: float = 96.5, **kw: Any) -> SessionReport:
    checks = dict(H5_CHECKS, **kw.pop("checks", {}))
    return session(pct, metrics=dict(H5_METRICS), checks=checks, **kw)


# ---------------------------------------------------------------------------------------------
# Item 1: H5 full training before sign-off
# ---------------------------------------------------------------------------------------------
def _h5_with_full_training_on_day3(measured: bool = True) -> list[DayRecord]:
    ft = (
        _max_session(checks={"full_training": True})
        if measured
        else session(None, checks={"full_training": True, "cod_pain": 0})
    )
    return [
        day(0, set_stage="H5", s=_max_session()),
        day(1),
        day(2),
        day(3, s=ft),
        day(4),
        day(5),
        day(6),
    ]


def test_item1_h5_plan_never_prescribes_full_training() -> None:
    by = run("hamstring", HAM, _h5_with_full_training_on_day3())
    for o in by.values():
        if o.stage_after == "H5" and o.plan is not None:
            assert not any(x.kind == "sport" for x in o.plan.drills), o.date


def test_item1_h5_full_training_on_capped_day_is_flagged() -> None:
    """Control: the day after a max session (72 h interval) a full training is flagged."""
    days = [
        day(0, set_stage="H5", s=_max_session()),
        day(1, s=_max_session(checks={"full_training": True})),
    ]
    o = run("hamstring", HAM, days)[d(1)]
    assert "session.flag.rest" in rules(o) and "session.flag.over_cap" in rules(o)


def test_item1_full_training_in_h5_before_the_signoff_is_against_the_plan() -> None:
    """§2.2 H5: the sign-off is required to return to training. A full team training logged
    in H5 is saved, flagged, not counted as one of H5's max sessions, and the clinician told."""
    tl = replay(protocol("hamstring"), HAM, BASE, _h5_with_full_training_on_day3(), start=d(0))
    o = {x.date: x for x in tl.days}[d(3)]
    assert "session.flag.full_training" in rules(o)
    assert "session.against_plan" in [a.rule for a in o.alerts]
    assert tl.final_state.qualifying_sessions == 1
    assert tl.final_state.stage == "H5"


def test_item1_full_training_counts_in_a_stage_whose_plan_includes_it() -> None:
    days = [
        day(
            0, set_stage="H6", s=session(97, metrics={"hv_reps": 3}, checks={"full_training": True})
        )
    ]
    o = run("hamstring", HAM, days)[d(0)]
    assert "session.flag.full_training" not in rules(o)


# ---------------------------------------------------------------------------------------------
# Item 2: review not resetting the count of rest mornings
# ---------------------------------------------------------------------------------------------
def _rest(pt: int) -> MorningCheckIn:
    return morning(pain_test=pt)  # pain_test ≥ 4: §4.1 p3 rest


def _review(n: int, m: MorningCheckIn) -> DayRecord:
    return DayRecord(
        date=d(n), morning=m, clinician_actions=[ClinicianAction(kind="review", note="seen")]
    )


def _rest_run_over_review() -> dict[dt.date, DayOutcome]:
    days = [
        day(0, set_stage="H3"),
        day(1, m=_rest(4)),
        day(2, m=_rest(4)),
        day(3, m=_rest(4)),
        _review(4, _rest(4)),
        day(5, m=_rest(5)),
        day(6, m=_rest(6)),
        day(7, m=_rest(6)),
    ]
    days += [day(n, m=_rest(6)) for n in range(8, 15)]
    return run("hamstring", HAM, days)


def test_item2_first_run_steps_back_and_alerts() -> None:
    by = _rest_run_over_review()
    assert by[d(2)].decision == "step_back"
    assert ("within_24h", "escalate.rest_mornings") in _alerts(by[d(3)])
    assert "clinician.review" in rules(by[d(4)])


def test_item2_rest_mornings_after_review_alert_again() -> None:
    by = _rest_run_over_review()
    after = [by[d(n)] for n in range(5, 8)]
    assert any(o.decision == "step_back" for o in after)
    assert any(
        sev == "within_24h" and r in ("escalate.rest_mornings", "escalate.rest_worsening")
        for o in after
        for sev, r in _alerts(o)
    )


# ---------------------------------------------------------------------------------------------
# Item 5: qualifying_sessions after an at_pct_vmax change
# ---------------------------------------------------------------------------------------------
def _h5_hist() -> list[DayRecord]:
    return [
        day(0, set_stage="H5", s=_max_session(96.5)),
        day(1),
        day(2),
        day(3, s=_max_session(96.5)),
    ]


def _stricter(path: str) -> Any:
    data = set_value(protocol_to_data(protocol("hamstring")), "H5", path, "98")
    return parse_protocol(data, source="probe")


def test_item5_exit_criterion_at_pct_change_resets_its_streak() -> None:
    old = protocol("hamstring")
    st = replay(old, HAM, BASE, _h5_hist(), start=d(0)).final_state
    assert st.streaks["H5c"] == 2
    assert "H5c" not in carry_over(st, old, _stricter("exit_criteria[H5c].at_pct_vmax")).streaks


def test_item5_control_fresh_history_under_new_threshold_holds() -> None:
    new = _stricter("min_sessions.at_pct_vmax")
    later = [day(n, clear=True) for n in (4, 5, 6)]
    by = {o.date: o for o in replay(new, HAM, BASE, _h5_hist() + later, start=d(0)).days}
    assert by[d(6)].stage_after == "H5" and "gate.5.sessions" in rules(by[d(6)])


def test_item5_min_sessions_at_pct_change_recounts_sessions() -> None:
    old, new = protocol("hamstring"), _stricter("min_sessions.at_pct_vmax")
    st = carry_over(replay(old, HAM, BASE, _h5_hist(), start=d(0)).final_state, old, new)
    later = [day(n, clear=True) for n in (4, 5, 6)]
    by = {o.date: o for o in replay(new, HAM, BASE, _h5_hist() + later, start=d(4), state=st).days}
    assert by[d(6)].stage_after == "H5", rules(by[d(6)])


# ---------------------------------------------------------------------------------------------
# Own adversarial histories on the stop / escalate path
# ---------------------------------------------------------------------------------------------
def _h5_ready() -> list[DayRecord]:
    return [
        day(0, set_stage="H5", s=_max_session()),
        day(1),
        day(2),
        day(3, s=_max_session()),
        day(4, clear=True),
        day(5, clear=True),
    ]


def test_adv_red_flag_morning_on_the_day_all_criteria_and_clearance_are_met() -> None:
    days = [
        *_h5_ready(),
        DayRecord(date=d(6), morning=morning(red_flags=["swelling"]), clearance=True),
    ]
    o = run("hamstring", HAM, days)[d(6)]
    assert o.decision == "stop" and o.stage_after == "H5"
    assert any(a.rule.startswith("redflag") for a in o.alerts)
    assert o.plan is not None and not o.plan.running


def test_adv_pop_in_session_after_morning_progression_is_undone() -> None:
    days = [
        *_h5_ready(),
        day(6, clear=True, s=session(None, red_flags=["pop"], pain_max=2)),
        day(7, clear=True),
    ]
    by = run("hamstring", HAM, days)
    assert "progress" in rules(by[d(6)]) and by[d(6)].decision == "stop"
    assert by[d(6)].stage_after == "H5"
    assert ("same_day", "session.red_flag") in _alerts(by[d(6)])
    # The next day's 'clear' only lifts the stop: no H6 without criteria earned again.
    assert by[d(7)].stage_after == "H5"


def test_adv_rest_morning_then_session_logged_anyway_does_not_count() -> None:
    h3 = dict(hv_reps=6, strength_lsi_pct=90, slhb_reps_injured=25, slhb_reps_uninjured=26)
    days = [
        day(0, set_stage="H3", s=session(80, metrics=h3)),
        day(1),
        day(2, s=session(80, metrics=h3)),
        day(3),
        day(4, m=morning(pain_test=4), s=session(81, metrics=h3)),
        day(5),
        day(6),
    ]
    tl = replay(protocol("hamstring"), HAM, BASE, days, start=d(0))
    by = {o.date: o for o in tl.days}
    assert "session.flag.no_running" in rules(by[d(4)])
    assert any(a.rule == "session.against_plan" for a in by[d(4)].alerts)
    assert all(by[d(n)].stage_after == "H3" for n in (4, 5, 6))
    assert "gate.3" in rules(by[d(6)])


@pytest.mark.parametrize("glitch", [{"vmax_ms": 11.9}, {"top_pct_vmax": 125}])
def test_adv_metrics_far_above_baseline_do_not_progress(glitch: dict[str, Any]) -> None:
    bad = session(None, metrics=dict(H5_METRICS, **glitch), checks=H5_CHECKS)
    days = [
        day(0, set_stage="H5", s=_max_session()),
        day(1),
        day(2),
        day(3, s=bad),
        day(4, clear=True),
        day(5, clear=True),
        day(6, clear=True),
    ]
    by = run("hamstring", HAM, days)
    assert "session.flag.unconfirmed" in rules(by[d(3)])
    assert by[d(6)].stage_after == "H5" and "gate.5.sessions" in rules(by[d(6)])
