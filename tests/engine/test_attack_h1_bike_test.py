"""Attack: the H1 plan never prescribed the stage's bike test.

Reference §2.2 H1: exit (b) is a "painless bike 5 min at 150 W" (Aspetar [V]), and the
evening asks about it ("to count towards moving up it needs 5 min at 150 W or more"); the plan
said only "Bike or elliptical: 10–20 min", so an athlete following the plan to the letter
never rode the test and H1b could stay unmet for good. The plan's bike line now names it.
"""

from __future__ import annotations

from engine.plan import prescribe
from tests.engine.builders import BASELINE, protocol

HAM = protocol("hamstring")


def test_the_h1_bike_line_prescribes_the_five_minutes_at_150_w_its_exit_needs() -> None:
    criterion = next(c for c in HAM.stage("H1").exit_criteria if c.item == "checks.bike_pain")
    assert "5 min at 150 W" in criterion.text
    for readiness in ("go", "modify"):
        plan = prescribe(HAM, "H1", BASELINE, readiness)
        bike = next(d for d in plan.drills if d.kind == "bike")
        assert bike.duration_min is not None and bike.duration_min[0] >= 5
        assert "5 min at 150 W, pain-free" in bike.line(), bike.line()


def test_a_rest_morning_keeps_the_easy_ride_without_the_test() -> None:
    """Rest (§4.1 p3: "bike only if pain ≤ 1"): the ride stays, the 150 W test waits."""
    for plan in (
        prescribe(HAM, "H1", BASELINE, "rest"),
        prescribe(HAM, "H1", BASELINE, "go", no_running=True),
    ):
        bike = next(d for d in plan.drills if d.kind == "bike")
        assert "150 W" not in bike.line(), bike.line()
