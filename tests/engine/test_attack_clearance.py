"""Attack: a clearance recorded for another stage must not open this stage's sign-off gate
(reference §4.4 item 8, P7). The bot stores every clearance with the stage it was given for
(``Clearance.stage``) and hands it to the engine as ``ClinicianAction(kind="clear", stage=...)``
plus ``DayRecord.clearance=True``; a replay after a late or back-dated answer can put the
athlete in another stage on that day."""

from __future__ import annotations

from engine.models import ClinicianAction
from tests.engine.builders import morning, rec
from tests.engine.test_programme import decide, ready, rules


def test_a_clearance_for_h4_does_not_pass_the_h5_sign_off_gate() -> None:
    clear_h4 = ClinicianAction(kind="clear", stage="H4")
    out, st = decide(ready("H5", clearance=False), rec(6, clinician_actions=[clear_h4]))
    assert out.decision == "hold" and st.stage == "H5"
    assert "gate.8" in rules(out) and not st.clearance


def test_the_bot_shape_of_a_clearance_for_another_stage_does_not_pass_either() -> None:
    """What ``day_records_from_rows`` builds: the day flag and the staged action."""
    clear_h4 = ClinicianAction(kind="clear", stage="H4")
    out, st = decide(
        ready("H5", clearance=False), rec(6, clearance=True, clinician_actions=[clear_h4])
    )
    assert out.decision == "hold" and st.stage == "H5" and not st.clearance


def test_a_clearance_for_this_stage_still_passes() -> None:
    clear_h5 = ClinicianAction(kind="clear", stage="H5")
    free = morning(tightness=0)  # leaving H5 needs symptom-free days, today's included
    out, st = decide(
        ready("H5", clearance=False),
        rec(6, m=free, clearance=True, clinician_actions=[clear_h5]),
    )
    assert out.decision == "progress" and st.stage == "H6"
    out, st = decide(
        ready("H5", clearance=False),
        rec(6, m=free, clinician_actions=[ClinicianAction(kind="clear")]),
    )
    assert out.decision == "progress" and st.stage == "H6"
