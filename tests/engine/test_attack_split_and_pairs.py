"""Readings that passed criteria they do not measure (a review of the metrics path):

- hamstring H4 exit (b) asks for "10-m and 20-m times ≤ 105 %": a 40 m split alone passed it,
  and H5 exit (b) ("10/20/30/40-m times") passed on the one good split of four;
- calf C6 asks for hop and reactive-strength asymmetry ≤ 10 %: an LSI of 125 (20 % the other
  way, or the sides typed the wrong way round) passed;
- a heel-raise pair the engine itself finds implausible (33 vs 20: the sides swapped) still
  met "≥ 30 reps", and 200 typed for 20 became the stage best, so a true 28 next time read
  as an 86 % drop and stepped the athlete back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.services.protocol_files import parse_text
from bot.support.i18n import use_language
from bot.wording.reasons import describe_reason
from engine.models import DayRecord, Metrics
from engine.schema import ProtocolError
from tests.engine.builders import protocol
from tests.engine.test_reference_conformance import (
    _C6_CHECKS,
    CALF,
    H5_METRICS,
    HAM,
    _c6,
    _h5,
    d,
    day,
    rules,
    run,
    session,
)

ROOT = Path(__file__).resolve().parents[2]
H4_CHECKS: dict[str, Any] = {"aket_pain": 0, "aket_lsi_pct": 95, "slr_lsi_pct": 95}


def _h4(**splits: float) -> list[DayRecord]:
    mets = dict(hv_reps=4, strength_lsi_pct=95, **splits)
    return [
        day(0, set_stage="H4", s=session(91, metrics=mets, checks=H4_CHECKS)),
        day(1),
        day(2),
        day(3, s=session(91, metrics=mets, checks=H4_CHECKS)),
        day(4, clear=True),
        day(5, clear=True),
    ]


def test_h4_needs_its_10_m_and_20_m_times_not_a_40_m_split_alone() -> None:
    alone = run("hamstring", HAM, _h4(split_40m_s=5.25))
    assert alone[d(5)].stage_after == "H4"
    assert "H4.H4b" in rules(alone[d(5)])
    one_of_two = run("hamstring", HAM, _h4(split_10m_s=1.85))
    assert one_of_two[d(5)].stage_after == "H4"
    both = run("hamstring", HAM, _h4(split_10m_s=1.85, split_20m_s=3.08))
    assert both[d(5)].stage_after == "H5"


def test_h5_needs_every_split_its_baseline_holds() -> None:
    only_10 = {k: v for k, v in H5_METRICS.items() if k not in ("split_20m_s", "split_30m_s")}
    days = [
        x.model_copy(update={"session": session(96.5, metrics=only_10, checks={"cod_pain": 0})})
        if x.session is not None
        else x
        for x in _h5(96.5, 96.5)
    ]
    assert run("hamstring", HAM, days)[d(6)].stage_after == "H5"
    assert run("hamstring", HAM, _h5(96.5, 96.5))[d(6)].stage_after == "H6"


def _c6_with(**metrics: Any) -> list[DayRecord]:
    """The C6 history that reaches C7, with ``metrics`` changed in every session."""
    out = []
    for x in _c6((97, 88, 97)):
        if x.session is not None:
            changed = x.session.metrics.model_copy(update=metrics)
            x = x.model_copy(update={"session": x.session.model_copy(update={"metrics": changed})})
        out.append(x)
    return out


def test_c6_hop_and_reactive_asymmetry_count_both_ways() -> None:
    assert run("calf", CALF, _c6((97, 88, 97)))[d(9)].stage_after == "C7"
    hop = run("calf", CALF, _c6_with(hop_lsi_pct=125))
    assert hop[d(9)].stage_after == "C6" and "C6.C6h3" in rules(hop[d(9)])
    rsi = run("calf", CALF, _c6_with(rsi_lsi_pct=125))
    assert rsi[d(9)].stage_after == "C6" and "C6.C6h4" in rules(rsi[d(9)])


def test_an_implausible_heel_raise_pair_meets_nothing_and_sets_no_best() -> None:
    swapped = run("calf", CALF, _c6_with(heel_raise_reps_injured=33, heel_raise_reps_uninjured=20))
    assert swapped[d(9)].stage_after == "C6"  # "≥ 30 reps" is not met by a swapped pair
    days = [
        day(0, set_stage="C2"),
        day(
            1,
            s=session(
                None,
                metrics={"heel_raise_reps_injured": 200, "heel_raise_reps_uninjured": 30},
                checks=_C6_CHECKS,
            ),
        ),
        day(2),
        day(
            3,
            s=session(
                None,
                metrics={"heel_raise_reps_injured": 28, "heel_raise_reps_uninjured": 30},
                checks=_C6_CHECKS,
            ),
        ),
        day(4),
    ]
    by = run("calf", CALF, days)
    assert all(o.decision != "step_back" for o in by.values()), [
        (o.date, o.decision, rules(o)) for o in by.values()
    ]


def test_h4_times_floor_refuses_any_item_but_the_10_and_20_m_times() -> None:
    """All of the splits is no stricter when the baseline holds no 10 m or 20 m split (a
    baseline of Vmax and 40 m: the 40 m split alone passed again): refused, as dropping the
    times is. A version stored before is replaced at start-up by the packaged text
    (``refresh_packaged``), as for any floor this version adds."""
    text = (ROOT / "protocols" / "hamstring.yaml").read_text()
    new = "item: derived.worst_10_20m_split_pct_baseline"
    assert new in text
    for looser in ("derived.worst_split_pct_baseline", "derived.vmax_pct_baseline"):
        with pytest.raises(ProtocolError, match=r"H4.*10 m and 20 m times"):
            parse_text(text.replace(new, f"item: {looser}"), source="draft")


@pytest.mark.parametrize(
    ("criterion", "old", "new"),
    [
        ("{id: C6h, ", "threshold: 90,", "threshold: 50,"),
        ("{id: C6h2, ", "threshold: 90,", "threshold: 80,"),
        ("{id: C6h3, ", "threshold: 111.1,", "threshold: 129.9,"),
        ("{id: C6h4, ", "threshold: 111.1,", "threshold: 125,"),
        ("{id: C6d3, ", "threshold: 111.1,", "threshold: 120,"),
    ],
)
def test_c6_hop_reactive_and_calf_raise_asymmetry_cannot_be_loosened(
    criterion: str, old: str, new: str
) -> None:
    """Reference §3.3 C6: power / reactive tests and calf raises "asymmetry ≤ 10 %", both
    ways; an admin published hop LSI ≥ 50 %."""
    text = (ROOT / "protocols" / "calf.yaml").read_text()
    start = text.index(criterion)
    line = text[start : text.index("\n", start)]
    assert old in line
    with pytest.raises(ProtocolError, match=r"C6"):
        parse_text(text.replace(line, line.replace(old, new)), source="draft")
    with pytest.raises(ProtocolError, match=r"C6"):
        parse_text(text.replace(line + "\n", ""), source="draft")  # removed


def test_a_split_faster_than_the_top_speed_allows_is_unconfirmed_without_a_split_baseline() -> None:
    """Baseline Vmax 9.0 and no split baseline: a 30 m in 3.05 s (9.8 m/s on average from a
    standing start) became the stage best, so honest 4.25 s runs later read as a 39 % speed
    drop and stepped the athlete back."""
    vmax_only = Metrics(vmax_ms=9.0)
    days = [
        day(0, set_stage="H3"),
        day(1, s=session(70.5, metrics={"split_30m_s": 3.05})),
        day(2),
        day(3, s=session(69.5, metrics={"split_30m_s": 4.25})),
        day(4),
        day(5, s=session(69.5, metrics={"split_30m_s": 4.25})),
        day(6),
    ]
    by = run("hamstring", HAM, days, baseline=vmax_only)
    assert all(o.decision != "step_back" for o in by.values())
    [flag] = [r for r in by[d(1)].reasons if r.rule == "session.flag.unconfirmed"]
    assert flag.observed == "30m split 3.05 s, faster than your top speed"
    with use_language("en"):
        _, words = describe_reason(flag, protocol("hamstring"), "H3")
    assert "30m split 3.05 s, faster than your top speed allows" in words


def test_a_typo_on_the_other_side_does_not_silence_a_regression_trigger() -> None:
    """Calf C7 re-test: 20 calf raises fire "fewer than 30"; with 2 typed for the other side
    (for 32) the pair is implausible, and dropping it silenced the trigger. A trigger reads
    such a pair's lower count (the cautious reading); a criterion still reads nothing."""
    days = [
        day(0, set_stage="C7"),
        day(
            1,
            s=session(
                None,
                metrics={"heel_raise_reps_injured": 20, "heel_raise_reps_uninjured": 2},
                checks=_C6_CHECKS,
            ),
        ),
    ]
    fired = [r for r in rules(run("calf", CALF, days)[d(1)]) if r.startswith("C7r")]
    assert fired, "a calf-raise trigger must still fire"
