"""Attack: a session that reports both ``top_pct_vmax`` and ``vmax_ms``. The data dictionary
says top_pct_vmax is "derived from vmax_ms ÷ baseline vmax_ms when both exist"; the bot only
derives it when the athlete did not type it, so the two can disagree."""

from __future__ import annotations

from engine.programme import RunEntry
from tests.engine.builders import VMAX, rec, session
from tests.engine.test_programme import decide, ready


def _top(out_plan: object) -> float:
    bands = [d.pct_vmax[1] for d in out_plan.drills if d.pct_vmax]  # type: ignore[attr-defined]
    return max(bands, default=0.0)


def test_a_max_run_typed_as_60_percent_still_starts_the_72_hour_interval() -> None:
    """98 % of baseline by the speed reading, 60 % as typed: the next day (24 h later) must
    not prescribe high-speed running (reference P6: ≥ 72 h around max sessions)."""
    st0 = ready("H5", clearance=False, run_log=())
    reported = session(metrics={"top_pct_vmax": 60, "vmax_ms": round(VMAX * 0.98, 3)})
    _, st = decide(st0, rec(6, s=reported))
    assert max(r.pct for r in st.run_log) >= 95
    out, _ = decide(st, rec(7))
    assert out.plan is not None and _top(out.plan) < 80


def test_a_70_percent_run_typed_as_96_percent_is_not_a_max_session() -> None:
    """70 % of baseline by the speed reading, 96 % as typed: it must not count as a
    max-velocity session nor as pain-free max reps (H5c), i.e. no progress on a criterion
    the measurement says was not met."""
    st0 = ready("H5", clearance=False, run_log=(), qualifying_sessions=0, streaks={})
    reported = session(metrics={"top_pct_vmax": 96, "vmax_ms": round(VMAX * 0.70, 3)})
    _, st = decide(st0, rec(6, s=reported))
    assert st.qualifying_sessions == 0
    assert st.streaks.get("H5c", 0) == 0


def test_consistent_readings_are_unchanged() -> None:
    st0 = ready("H5", clearance=False, run_log=(RunEntry(date=rec(0).date, pct=97),))
    _, st = decide(st0, rec(6, s=session(98, reps=4)))
    assert st.run_log[-1].pct == 98.0
