"""Session prescription: target split times t = d / (p × Vmax) (reference §0.2, §0.3) and the
adjustments of a modify / rest / stop day (reference §4.1)."""

from __future__ import annotations

import pytest

from engine.models import Metrics
from engine.plan import prescribe, target_time
from tests.engine.builders import protocol

HAM = protocol("hamstring")
CALF = protocol("calf")


def test_reference_example_20_m_at_70_percent_of_9_ms_is_3_17_s() -> None:
    assert target_time(20, 70, 9.0) == 3.17


def test_go_plan_shows_target_times_for_the_timed_segment() -> None:
    plan = prescribe(HAM, "H3", Metrics(vmax_ms=9.0), "go")
    run = plan.drills[0]
    assert run.pct_vmax == (70, 80) and run.timed_m == 20
    assert run.target_s == (target_time(20, 80, 9.0), 3.17)
    assert "target 20 m in 3.17–2.78 s" in run.line()
    assert plan.lines()[0].startswith("H3")


def test_without_baseline_vmax_there_are_no_targets_and_a_warning() -> None:
    plan = prescribe(HAM, "H3", None, "go")
    assert all(d.target_s is None for d in plan.drills)
    assert any("No baseline Vmax" in n for n in plan.notes)


def test_modify_cuts_hv_reps_30_to_50_percent_and_forbids_max_reps() -> None:
    full = prescribe(HAM, "H5", Metrics(vmax_ms=9.0), "go").drills[0]
    mod = prescribe(HAM, "H5", Metrics(vmax_ms=9.0), "modify").drills[0]
    assert full.reps is not None and mod.reps is not None
    for a, b in zip(full.reps, mod.reps, strict=True):
        assert 0.5 * a <= b <= 0.7 * a + 0.5
    assert mod.pct_vmax is not None and mod.pct_vmax[1] < 95


def test_heavy_wellness_cap_keeps_running_at_or_below_70_percent() -> None:
    plan = prescribe(HAM, "H5", Metrics(vmax_ms=9.0), "modify", max_pct_vmax=70)
    assert all(d.pct_vmax is None or d.pct_vmax[1] <= 70 for d in plan.drills)


@pytest.mark.parametrize("readiness", ["rest"])
def test_rest_day_has_no_running(readiness: str) -> None:
    plan = prescribe(HAM, "H4", Metrics(vmax_ms=9.0), "rest")
    assert (not plan.running and plan.drills == []) or all(
        d.kind in ("mobility", "walk", "bike") for d in plan.drills
    )


def test_stop_day_has_nothing_and_says_so() -> None:
    plan = prescribe(CALF, "C5", None, "stop")
    assert plan.drills == [] and "No training today." in plan.text()


def test_no_running_option_for_rest_intervals() -> None:
    plan = prescribe(CALF, "C3", Metrics(vmax_ms=8.0), "go", no_running=True)
    assert not plan.running
