"""Findings of the adversarial engine review (r01–r14): each test failed on the engine before
its fix. Histories are folded day by day with ``decide_day`` so the state after each day can be
inspected."""

from __future__ import annotations

from typing import Any

from engine.models import ClinicianAction, DayRecord, Injury, Metrics
from engine.programme import (
    RECENT_DAYS,
    DayOutcome,
    ProgrammeState,
    decide_day,
    initial_state,
)
from tests.engine.builders import BASELINE, HAM_INJURY, VMAX, day, morning, protocol, rec, session

HAM = protocol("hamstring")


def fold(
    days: list[DayRecord],
    injury: Injury = HAM_INJURY,
    baseline: Metrics | None = BASELINE,
) -> tuple[list[DayOutcome], list[ProgrammeState]]:
    """Decide every day in turn; return the outcomes and the state after each day."""
    p = protocol(injury.injury)
    st = initial_state(p, days[0].date)
    window: list[DayRecord] = []
    outs, after = [], []
    for record in days:
        out, st = decide_day(p, injury, baseline, st, record, window)
        outs.append(out)
        after.append(st)
        window = [*window, record][-RECENT_DAYS:]
    return outs, after


def set_stage(stage: str) -> dict[str, Any]:
    return {"clinician_actions": [ClinicianAction(kind="set_stage", stage=stage)]}


def rules(out: DayOutcome) -> list[str]:
    return [r.rule for r in out.reasons]


# r14 -------------------------------------------------------------------------------------


def test_a_session_stop_leaves_no_running_in_the_days_plan() -> None:
    """Sharp pain in a max-sprint session stops the day: the day's plan (shown again by /plan,
    e.g. before a second session) must not still prescribe the morning's sprints."""
    days = [rec(0, **set_stage("H5")), rec(1), rec(2), rec(3)]
    days.append(rec(4, s=session(96, sharp_pain=True, pain_max=3)))
    outs, after = fold(days)
    last = outs[-1]
    assert last.decision == "stop" and after[-1].suspended
    assert last.plan is not None and not last.plan.running


# r08 -------------------------------------------------------------------------------------


def test_a_clearance_for_another_stage_does_not_lift_a_stop() -> None:
    days = [rec(0, **set_stage("H5")), rec(1), rec(2, m=morning(red_flags=["pop"]))]
    days.append(rec(3, clinician_actions=[ClinicianAction(kind="clear", stage="H3")]))
    days.append(rec(4))
    outs, after = fold(days)
    assert outs[2].decision == "stop"
    assert after[3].suspended and after[4].suspended
    assert "clinician.clear.other_stage" in rules(outs[3])
    assert all(o.plan is not None and not o.plan.running for o in outs[3:])


def test_a_clearance_for_the_athletes_stage_still_lifts_a_stop() -> None:
    days = [rec(0, **set_stage("H5")), rec(1), rec(2, m=morning(red_flags=["pop"]))]
    days.append(rec(3, clinician_actions=[ClinicianAction(kind="clear", stage="H5")]))
    outs, after = fold(days)
    assert not after[3].suspended and "clinician.clear" in rules(outs[3])


# r04 -------------------------------------------------------------------------------------


def _r04(skip: bool) -> tuple[list[DayOutcome], list[ProgrammeState]]:
    up2 = morning(pain_test=2, tightness=3)  # +2 on both vs the pre-session 0 / 1
    up1 = morning(pain_test=1, tightness=2)
    days = [rec(0, **set_stage("H3")), rec(1), rec(2), rec(3, s=session(75))]
    days += [rec(4, m=None) if skip else rec(4, m=up2), rec(5, m=up2), rec(6, m=up1)]
    return fold(days)


def test_skipping_the_morning_after_a_session_keeps_the_48h_review() -> None:
    """Symptoms still up 48 h after the session: clinician review and no running, whether or
    not the athlete answered the morning after (reference §4.3)."""
    for skip in (False, True):
        outs, after = _r04(skip)
        assert "24h.elevated_48h" in [a.rule for a in outs[5].alerts], skip
        assert after[5].suspended and after[6].suspended, skip
        assert outs[6].plan is not None and not outs[6].plan.running, skip


def test_without_pre_session_answers_the_48h_look_uses_the_symptom_baseline() -> None:
    up2 = morning(pain_test=2, tightness=3)
    days = [rec(0, **set_stage("H3")), rec(1), rec(2), rec(3, m=None, s=session(75))]
    days += [rec(4, m=up2), rec(5, m=up2)]
    outs, after = fold(days)
    assert "24h.missing" in rules(outs[4])
    assert "24h.elevated_48h" in [a.rule for a in outs[5].alerts]
    assert after[5].suspended


# r07 -------------------------------------------------------------------------------------


def test_unanswered_pain_items_prescribe_no_running() -> None:
    """Red-flag list answered empty, pain at rest / test pain / tightness left blank: pain at
    rest ≥ 4 would be a stop and test pain ≥ 4 a rest day, so unknown means no running."""
    blank = morning(pain_rest=None, pain_test=None, tightness=None)
    for stage in ("H4", "H5"):
        days = [rec(0, **set_stage(stage)), rec(1), rec(2), rec(3), rec(4, m=blank)]
        outs, _ = fold(days)
        last = outs[-1]
        assert last.readiness == "rest", stage
        assert last.plan is not None and not last.plan.running, stage
        assert "missing.answer" in rules(last), stage
    # One item blank is enough.
    days = [rec(0, **set_stage("H4")), rec(1), rec(2), rec(3), rec(4, m=morning(pain_rest=None))]
    outs, _ = fold(days)
    assert outs[-1].plan is not None and not outs[-1].plan.running


# r10 -------------------------------------------------------------------------------------


def test_values_just_short_of_a_threshold_do_not_meet_it() -> None:
    """Vmax 94.96 % of baseline does not meet ≥ 95 % (H5a), a 10 m split at 103.04 % does
    not meet ≤ 103 % (H5b), a run at 89.96 % is not a run 'at ≥ 90 %' (H4a)."""
    vmax = 0.9496 * VMAX
    split = 1.0304 * 1.78  # baseline 10 m split 1.78 s
    s = session(metrics={"vmax_ms": vmax, "split_10m_s": split, "hv_reps": 3})
    _, after = fold([rec(0, s=s, **set_stage("H5"))])
    assert after[0].streaks.get("H5a") == 0 and after[0].streaks.get("H5b") == 0
    s = session(metrics={"vmax_ms": 0.8996 * VMAX, "hv_reps": 3})
    _, after = fold([rec(0, s=s, **set_stage("H4"))])
    assert not after[0].streaks.get("H4a")


def test_values_on_the_threshold_still_meet_it_and_show_rounded() -> None:
    s = session(metrics={"vmax_ms": VMAX, "split_10m_s": 1.78, "hv_reps": 3})
    _, after = fold([rec(0, s=s, **set_stage("H5"))])
    assert after[0].streaks.get("H5a") == 1 and after[0].streaks.get("H5b") == 1
    s = session(metrics={"vmax_ms": 0.9496 * VMAX})
    _, after = fold([rec(0, s=s, **set_stage("H5"))])
    assert after[0].observed.get("H5a") == 95.0  # shown rounded, compared unrounded


# r02 -------------------------------------------------------------------------------------


def test_full_with_ten_percent_done_is_not_a_completed_session() -> None:
    """completion 'full' but completed_pct 10: the lower reading counts (not completed)."""
    checks = {"aket_lsi_pct": 80, "slr_lsi_pct": 80}
    days = [
        rec(
            0,
            s=session(66, completion="full", completed_pct=10, metrics={"strength_lsi_pct": 85}),
            **set_stage("H2"),
        ),
        rec(1),
        rec(2, s=session(66, completion="full", completed_pct=10, checks=checks)),
        rec(3),
        rec(4),
    ]
    outs, after = fold(days)
    assert "session.incomplete" in rules(outs[0]) and "session.incomplete" in rules(outs[2])
    assert all(a.stage == "H2" for a in after)
    assert all(a.qualifying_sessions == 0 for a in after)
    assert after[-1].last_session is not None
    assert not after[-1].last_session.counts_for_progress


# r01 -------------------------------------------------------------------------------------


def test_a_failed_re_test_in_a_discounted_session_still_resets_the_criterion() -> None:
    """The re-test was logged in a session run on a no-running day (left out of the criteria):
    its passing results would be ignored, but failing ones are evidence of not meeting them."""
    good = {"aket_lsi_pct": 80, "slr_lsi_pct": 80}
    bad = {"aket_lsi_pct": 40, "slr_lsi_pct": 40}
    days = [
        rec(0, s=session(66, metrics={"strength_lsi_pct": 85}, checks=good), **set_stage("H2")),
        rec(1),
        rec(2, s=session(66)),
        rec(3, s=session(55, metrics={"strength_lsi_pct": 50}, checks=bad)),  # rest day
        rec(4),
        rec(5, s=session(66)),
        rec(6),
        rec(7),
    ]
    outs, after = fold(days)
    assert "session.flag.no_running" in rules(outs[3]) or "session.flag.rest" in rules(outs[3])
    assert after[3].streaks["H2c"] == 0 and after[3].streaks["H2d"] == 0
    assert all(a.stage == "H2" for a in after)


def test_a_passing_re_test_in_a_discounted_session_still_does_not_count() -> None:
    good = {"aket_lsi_pct": 80, "slr_lsi_pct": 80}
    retest = session(55, metrics={"strength_lsi_pct": 90}, checks=good)
    outs, after = fold([rec(0, s=session(66), **set_stage("H2")), rec(1, s=retest)])
    assert "session.flag.rest" in rules(outs[1]) or "session.flag.no_running" in rules(outs[1])
    assert not after[1].streaks.get("H2c") and not after[1].streaks.get("H2d")


# r05 -------------------------------------------------------------------------------------


def test_without_a_baseline_the_plan_keeps_the_logged_runs_outside_rest_intervals() -> None:
    """Running by feel is logged 20 points faster than prescribed (reference §0.3): the rest
    cap of the plan allows for it, so following the plan never runs inside a rest interval."""
    from engine import rest

    for stage in ("H3", "H4"):
        days = [rec(0, s=session(), **set_stage(stage))]
        days += [rec(n, s=session()) for n in range(1, 6)]
        outs, after = fold(days, baseline=None)
        assert not any(r.startswith("session.flag") for o in outs for r in rules(o)), stage
        runs = [(r.date, r.pct) for r in after[-1].run_log]
        hv_rules = rest.rules_for(HAM, [stage])
        for i, (d, pct) in enumerate(runs):
            assert not rest.violations(HAM, hv_rules, runs[:i], d, pct), (stage, d, pct)
    # H3: the day after a session is a rest day (every other day, reference §2.2).
    outs, _ = fold([rec(0, s=session(), **set_stage("H3")), rec(1)], baseline=None)
    assert outs[1].plan is not None and not outs[1].plan.running


# r06 -------------------------------------------------------------------------------------


def test_pain_in_functional_checks_breaks_the_symptom_free_days_before_return_to_play() -> None:
    ft = {"full_training": True, "palpation_pain": 0}
    days = [rec(0, s=session(100, checks=ft), **set_stage("H6"))]
    for n in range(1, 8):
        days.append(rec(n, s=session(100, checks=ft)) if n % 2 == 0 else rec(n))
    pains = {"walk_pain": 6, "cod_pain": 6, "jump_pain": 6, "hop_pain": 6, "aket_pain": 6}
    days.append(rec(8, checks=pains))
    days.append(rec(9, clearance=True))
    outs, after = fold(days)
    assert after[8].symptom_free_streak == 0
    assert outs[9].decision != "progress" and after[9].stage == "H6"
    assert "gate.symptoms" in rules(outs[9])


def test_pain_in_a_sessions_checks_or_a_limp_is_not_symptom_free() -> None:
    from engine.models import Checks
    from engine.programme import symptom_free_checks, symptom_free_session

    assert not symptom_free_session(session(checks={"hop_pain": 2}, tightness=0))
    assert not symptom_free_checks(Checks(limp=True))
    assert symptom_free_checks(Checks(walk_pain=0, aket_lsi_pct=80))
    assert symptom_free_checks(None)


# r03 -------------------------------------------------------------------------------------

CALF_INJURY_G1 = Injury(
    injury="calf", muscle="soleus", side="right", grade=1, injury_date=HAM_INJURY.injury_date
)


def test_an_implausible_derived_lsi_is_missing_not_met() -> None:
    """Bridge reps 50 vs 1 (LSI 5000 %): a typed LSI above 130 is refused, so is this one."""
    s = session(60, metrics={"slhb_reps_injured": 50, "slhb_reps_uninjured": 1})
    _, after = fold([rec(0, s=s, **set_stage("H3"))])
    assert not after[0].streaks.get("H3d") and after[0].observed.get("H3d") is None


def test_calf_raise_asymmetry_counts_in_either_direction() -> None:
    """C6 'calf-raise asymmetry ≤ 10 %': 30 vs 20 reps (injured side stronger, 33 %) is not
    met; 20 vs 21 (5 %) is."""
    calf = protocol("calf")
    ids = {c.id for c in calf.stage("C6").exit_criteria if c.item == "derived.heel_raise_lsi_pct"}
    for inj, other, met in ((30, 20, False), (24, 20, False), (21, 20, True), (20, 21, True)):
        m = {"heel_raise_reps_injured": inj, "heel_raise_reps_uninjured": other}
        _, after = fold([rec(0, s=session(60, metrics=m), **set_stage("C6"))], CALF_INJURY_G1)
        got = all(after[0].streaks.get(i, 0) >= 1 for i in ids)
        assert got is met, (inj, other)


# r12 -------------------------------------------------------------------------------------


def test_worsening_over_three_rest_mornings_stops_running_until_reviewed() -> None:
    days = [rec(0, **set_stage("H4")), rec(1), rec(2), rec(3, m=morning(pain_test=1))]
    days += [
        rec(4, m=morning(pain_test=2, tightness=1)),
        rec(5, m=morning(pain_test=3, tightness=2)),
        rec(6, m=morning(pain_test=4, tightness=3)),
        rec(7, m=morning(pain_test=2, tightness=1)),
        rec(8, m=morning(pain_test=1, tightness=1)),
    ]
    outs, after = fold(days)
    assert "escalate.rest_mornings" in [a.rule for a in outs[6].alerts]
    # The athlete is told that day that running waits for the clinician.
    assert "morning.p3.review" in [r.rule for r in outs[6].reasons]
    assert after[6].suspended and after[8].suspended
    assert all(o.plan is not None and not o.plan.running for o in outs[6:])
    days.append(
        rec(
            9,
            m=morning(pain_test=1, tightness=1),
            clinician_actions=[ClinicianAction(kind="review")],
        )
    )
    _, after = fold(days)
    assert not after[9].suspended


# r09 -------------------------------------------------------------------------------------


def test_re_entry_after_a_step_back_needs_sessions_at_the_lower_stages_top_intensity() -> None:
    """H4 → H3: re-entering H4 needs 2 green sessions with green responses at H3's top
    intensity (H3 counts sessions at ≥ 78 %): an 80 % and a 71 % session are not enough."""
    tests = {"hv_reps": 4, "strength_lsi_pct": 92, "slhb_reps_injured": 28}
    tests["slhb_reps_uninjured"] = 29
    days = [
        rec(0, **set_stage("H4")),
        rec(1, s=session(85)),
        rec(2, m=morning(pain_test=2, tightness=3)),  # 24-h rule: +2 → step back to H3
        rec(3),
        rec(4, s=session(80, metrics=tests)),
        rec(5),
        rec(6, s=session(71)),
        rec(7),
        rec(8),
        rec(9),
    ]
    _, after = fold(days)
    assert after[2].stage == "H3"
    assert all(a.stage == "H3" for a in after[2:])


# r11 -------------------------------------------------------------------------------------

_FT = {"full_training": True, "palpation_pain": 0}


def test_a_full_training_logged_on_its_own_does_not_count() -> None:
    """'Full training completed' needs the session questionnaire (pain, sharp pain, red flags)
    and a session checked against the plan: a stand-alone check counts for nothing."""
    days = [
        rec(0, s=session(100, checks={"palpation_pain": 0}), **set_stage("H6")),
        rec(1, checks=_FT),  # the day after a max session: the plan has no full training
        rec(2, checks=_FT),
        rec(3, s=session(100)),
    ]
    _, after = fold(days)
    assert not any(a.streaks.get("H6a") for a in after)


def test_a_stand_alone_no_still_counts_against_full_training() -> None:
    days = [
        rec(0, s=session(checks=_FT), **set_stage("H6")),
        rec(1, checks={"full_training": False}),
    ]
    _, after = fold(days)
    assert after[0].streaks["H6a"] == 1 and after[1].streaks["H6a"] == 0


def test_a_full_training_on_a_day_whose_plan_had_none_is_against_the_plan() -> None:
    """Full training includes maximal efforts: on the easy day after a max session, or on a
    modified morning, it is flagged, does not count and starts a rest interval."""
    days = [
        rec(0, s=session(100, checks={"palpation_pain": 0}), **set_stage("H6")),
        rec(1, s=session(checks=_FT)),  # 24 h after a max session
        rec(2),
        rec(3),
        rec(4, m=morning(sleep_hours=4.5), s=session(checks=_FT)),  # modify: cap below max
    ]
    outs, after = fold(days)
    for i in (1, 4):
        assert outs[i].plan is not None
        assert not any(d.kind == "sport" for d in outs[i].plan.drills)
        assert any(r.startswith("session.flag") for r in rules(outs[i])), rules(outs[i])
        assert any(r.date == day(i) and r.pct >= 95 for r in after[i].run_log)
    assert not any(a.streaks.get("H6a") for a in after)
    assert after[-1].qualifying_sessions == 1


# r02 (weather) ---------------------------------------------------------------------------


def test_a_session_cut_short_for_the_weather_is_not_completed() -> None:
    """Stopped at 10 % for the weather: not the prescribed dose (no session counted, no
    progression), but not a symptom either (no 'symptoms or fear' reason)."""
    cut = {"completion": "stopped", "completed_pct": 10, "stop_reason": "weather_time"}
    checks = {"aket_lsi_pct": 80, "slr_lsi_pct": 80}
    days = [
        rec(
            0,
            s=session(66, metrics={"strength_lsi_pct": 85}, checks=checks, **cut),
            **set_stage("H2"),
        ),
        rec(1),
        rec(2, s=session(66, **cut)),
        rec(3),
        rec(4),
    ]
    outs, after = fold(days)
    for i in (0, 2):
        assert "gate.3" in rules(outs[i]) and "session.incomplete" not in rules(outs[i])
        assert "session.green" not in rules(outs[i])
    assert all(a.stage == "H2" for a in after)
    assert all(a.qualifying_sessions == 0 for a in after)
    assert after[-1].last_session is not None and not after[-1].last_session.counts_for_progress


def test_a_full_training_cut_short_is_not_a_full_training_completed() -> None:
    cut = {"completion": "stopped", "completed_pct": 30, "stop_reason": "weather_time"}
    days = [
        rec(0, s=session(checks=_FT), **set_stage("H6")),
        rec(2, s=session(checks=_FT, **cut)),
    ]
    _, after = fold(days)
    assert after[0].streaks["H6a"] == 1 and after[1].streaks["H6a"] == 1


def test_a_session_stopped_for_pain_is_not_symptom_free() -> None:
    from engine.programme import symptom_free_session

    s = session(tightness=0, pain_1h=0, completion="stopped", completed_pct=90, stop_reason="pain")
    assert not symptom_free_session(s)
    assert symptom_free_session(session(tightness=0, pain_1h=0, stop_reason="weather_time"))


# n05 (re-attack): a morning that cannot rule symptoms out between rest mornings ---------


def test_an_unanswered_morning_between_rest_mornings_does_not_disarm_the_review() -> None:
    """Symptoms on mornings 3, 4 and 6 with pain items unanswered on 5 (or no check-in):
    persisting symptoms, so running waits for the clinician's review (reference §5 tier 3)."""
    from engine.programme import replay

    sym = morning(pain_test=4, tightness=3)
    well = morning(pain_test=0, tightness=1)
    for gap in (rec(5, m=morning(pain_test=None, tightness=None)), None):
        days = [rec(0, **set_stage("H4")), rec(1), rec(2), rec(3, m=sym), rec(4, m=sym)]
        days += [gap] if gap is not None else []
        days += [rec(6, m=sym), rec(7, m=well), rec(8, m=well)]
        tl = replay(HAM, HAM_INJURY, BASELINE, days, start=day(0))
        assert "morning.p3.review" in rules(tl.days[6])
        assert all(d.plan is not None and not d.plan.running for d in tl.days[6:])
        assert any(a.rule == "escalate.rest_mornings" for a in tl.days[6].alerts)


def test_a_session_stopped_without_a_reason_is_not_symptom_free() -> None:
    """A stop with no reason given counts at the worse reading (as a symptom stop), also for
    the symptom-free days before return to play."""
    from engine.models import SessionReport
    from engine.programme import symptom_free_session

    stopped = SessionReport(
        completion="stopped", pain_max=0, pain_1h=0, tightness=0, sharp_pain=False
    )
    assert not symptom_free_session(stopped)
    weather = stopped.model_copy(update={"stop_reason": "weather"})
    assert symptom_free_session(weather)
