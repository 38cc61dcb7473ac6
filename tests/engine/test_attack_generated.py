"""Attack (hypothesis): generated H4–H6 histories with max runs, step-backs and clearances
for random stages. Checked from the reference: nothing ≥ 80 % Vmax is prescribed within
72 h of a run ≥ 95 % (P6, hamstring), and H5 is never left without a clearance given for H5
(§4.4 item 8)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.models import ClinicianAction
from tests.engine.builders import day, morning, rec, session
from tests.engine.test_programme import decide, ready

DAY: Any = st.fixed_dictionaries(
    {
        "pct": st.sampled_from([None, 70, 85, 90, 96, 98]),
        "pain": st.sampled_from([0, 0, 0, 1, 5]),
        "test": st.sampled_from([0, 0, 0, 2, 4]),
        "action": st.sampled_from(
            [None, None, None, "step_back", "clear:H4", "clear:H5", "clear:H6", "clear"]
        ),
        "skip": st.booleans(),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["H4", "H5", "H6"]), st.lists(DAY, min_size=4, max_size=14))
def test_max_rest_and_h5_signoff_hold_for_generated_histories(
    start: str, days: list[dict[str, Any]]
) -> None:
    state = ready(start, clearance=False, run_log=())
    max_runs: list[tuple[int, str | None]] = []
    h5_cleared = False
    for i, d in enumerate(days):
        n = 6 + i
        if d["skip"]:
            continue
        actions = []
        if d["action"] == "step_back":
            actions = [ClinicianAction(kind="step_back")]
        elif d["action"]:
            _, _, stage = d["action"].partition(":")
            actions = [ClinicianAction(kind="clear", stage=stage or None)]
            if state.stage == "H5" and stage in ("", "H5"):
                h5_cleared = True
        s = session(d["pct"], reps=4, pain_max=d["pain"]) if d["pct"] else None
        before = state.stage
        out, state = decide(
            state, rec(n, m=morning(pain_test=d["test"]), s=s, clinician_actions=actions)
        )
        if before == "H5" and state.stage == "H6":
            assert h5_cleared, "H5 left without an H5 clearance"
        if state.stage != "H5":
            h5_cleared = False
        # 72 h around a max run (P6), 48 h around one in H6 (its normal microcycle).
        if out.plan is not None and any(
            n - m < (2 if where == "H6" else 3) for m, where in max_runs
        ):
            top = max((p.pct_vmax[1] for p in out.plan.drills if p.pct_vmax), default=0)
            assert top < 80, (day(n), top, max_runs)
        # Max runs in every stage up to H6: where max sprinting is prescribed, and unplanned
        # ones before it (the interval around max sessions holds around them too).
        logged = state.run_log[-1] if state.run_log else None
        if (
            d["pct"]
            and d["pct"] >= 95
            and logged is not None
            and logged.date == day(n)
            and logged.stage in ("H0", "H1", "H2", "H3", "H4", "H5", "H6")
        ):
            max_runs.append((n, logged.stage))
