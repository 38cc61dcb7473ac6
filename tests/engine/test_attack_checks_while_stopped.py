"""Attack: functional checks logged on the day of a red-flag stop, or while running is
suspended until the clinician's review, counted towards the stage's exit criteria. A stop
makes every criterion of the stage be earned again after the review (stop.reset, protocol
note 10); a "painless change of direction at speed" (H5g) tested while stopped is not that."""

from __future__ import annotations

from engine.models import Checks, ClinicianAction
from tests.engine.builders import morning, rec
from tests.engine.test_programme import decide, ready


def test_checks_on_a_red_flag_day_and_while_suspended_do_not_meet_exit_criteria() -> None:
    st = ready("H5", clearance=False, streaks={})
    out, st = decide(
        st, rec(6, m=morning(red_flags=["numbness"]), checks=Checks(cod_pain=0, palpation_pain=0))
    )
    assert out.decision == "stop" and st.suspended
    assert st.streaks.get("H5g", 0) == 0
    out, st = decide(st, rec(7, checks=Checks(cod_pain=0)))
    assert st.suspended and st.streaks.get("H5g", 0) == 0
    _, st = decide(st, rec(8, clinician_actions=[ClinicianAction(kind="review")]))
    assert not st.suspended and st.streaks.get("H5g", 0) == 0


def test_checks_after_the_review_count_again() -> None:
    st = ready("H5", clearance=False, streaks={})
    _, st = decide(st, rec(6, m=morning(red_flags=["numbness"])))
    _, st = decide(st, rec(7, clinician_actions=[ClinicianAction(kind="review")]))
    _, st = decide(st, rec(8, checks=Checks(cod_pain=0)))
    assert st.streaks.get("H5g", 0) == 1
