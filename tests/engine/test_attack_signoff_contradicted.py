"""Attack: a sign-off that outlives a test failed after it (reference §4.4 item 8, P7).

History that produced the unsafe decision: H5, every exit criterion met; the clinician signs
off return to training on day 6 while the 72 h after the last max session still run; on day
7 the athlete logs change of direction at speed with pain 3/10 (H5g "painless change of
direction" fails), on day 8 pain 0 again; on day 9 the athlete moved to H6 (full training)
on the day-6 sign-off, which the failed test never reached. Now the sign-off lapses with the
failed result and the clinician is asked again once the criteria are met.
"""

from __future__ import annotations

from engine.models import Checks, ClinicianAction
from engine.programme import LastSession, ProgrammeState, RunEntry
from tests.engine.builders import day, morning, rec
from tests.engine.test_programme import decide, ready

GREEN = morning(tightness=0)


def _cleared_in_h5() -> ProgrammeState:
    last = LastSession(
        date=day(5),
        stage="H5",
        session_class="green",
        counts_for_progress=True,
        pre_pain_test=0,
        pre_tightness=0,
        qualifies=True,
    )
    st = ready(
        "H5",
        clearance=False,
        run_log=(RunEntry(date=day(5), pct=97, stage="H5"),),
        stage_entered=day(-10),
        last_session=last,
        symptom_samples=((0, 0),) * 3,
    )
    out, st = decide(st, rec(6, m=GREEN, clinician_actions=[ClinicianAction(kind="clear")]))
    assert out.decision == "hold" and st.clearance  # the rest interval still runs
    return st


def test_a_failed_test_after_the_signoff_needs_a_new_one() -> None:
    st = _cleared_in_h5()
    lapsed, st = decide(st, rec(7, m=GREEN, checks=Checks(cod_pain=3)))
    assert not st.clearance
    # Said on the day: the athlete reads why, the clinician which result undid the OK.
    [reason] = [r for r in lapsed.reasons if r.rule == "gate.8.lapsed"]
    assert "change of direction" in str(reason.observed).lower()
    [alert] = [a for a in lapsed.alerts if a.rule == "gate.8.lapsed"]
    assert alert.text.startswith("Sign-off for H5 no longer holds")
    _, st = decide(st, rec(8, m=GREEN, checks=Checks(cod_pain=0)))
    out, st = decide(st, rec(9, m=GREEN))
    assert out.decision == "hold" and st.stage == "H5"
    assert "gate.8" in [r.rule for r in out.reasons]
    assert any(a.rule == "gate.8" for a in out.alerts)  # the clinician is asked again


def test_a_missed_check_in_or_a_passed_test_keeps_the_signoff() -> None:
    st = _cleared_in_h5()
    _, st = decide(st, rec(7, m=None))
    _, st = decide(st, rec(8, m=GREEN, checks=Checks(cod_pain=0)))
    assert st.clearance
    out, st = decide(st, rec(9, m=GREEN))
    assert out.decision == "progress" and st.stage == "H6"
