"""The names a protocol criterion may refer to, taken from the data dictionary.

A criterion's ``item`` is ``<group>.<key>``: ``morning.*`` (check-in items), ``session.*``
(post-session answers), ``metrics.*`` (sprint and strength metrics), ``checks.*`` (functional
checks) or ``derived.*`` (values the engine computes from dictionary items, listed in
``DERIVED``). Each name carries its type and plausible range so thresholds can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ItemKind = Literal["int", "float", "bool"]
Group = Literal["morning", "session", "metrics", "checks", "derived"]


@dataclass(frozen=True)
class ItemSpec:
    """Type and plausible range of one named item."""

    kind: ItemKind
    lo: float = 0.0
    hi: float = 1.0
    # When the item is observed: every morning, per session, or whenever a check is recorded.
    observed: Literal["morning", "session", "check"] = "session"


_PAIN = ItemSpec("int", 0, 10)
_PAIN_M = ItemSpec("int", 0, 10, "morning")
_PCT = ItemSpec("float", 0, 130)
_BOOL = ItemSpec("bool")
_COUNT = ItemSpec("int", 0, 200)

ITEMS: dict[str, ItemSpec] = {
    "morning.pain_rest": _PAIN_M,
    "morning.pain_test": _PAIN_M,
    "morning.tightness": _PAIN_M,
    "morning.confidence": _PAIN_M,
    "morning.sleep_quality": ItemSpec("int", 1, 7, "morning"),
    "morning.fatigue": ItemSpec("int", 1, 7, "morning"),
    "morning.stress": ItemSpec("int", 1, 7, "morning"),
    "morning.soreness": ItemSpec("int", 1, 7, "morning"),
    "morning.sleep_hours": ItemSpec("float", 0, 16, "morning"),
    "session.completed_pct": ItemSpec("int", 0, 100),
    "session.pain_max": _PAIN,
    "session.sharp_pain": _BOOL,
    "session.tightness": _PAIN,
    "session.held_back": _BOOL,
    "session.confidence": _PAIN,
    "session.rpe": _PAIN,
    "session.minutes": ItemSpec("int", 1, 300),
    "session.pain_1h": _PAIN,
    "metrics.vmax_ms": ItemSpec("float", 0, 12.5),
    "metrics.top_pct_vmax": _PCT,
    "metrics.split_10m_s": ItemSpec("float", 1.4, 10),
    "metrics.split_20m_s": ItemSpec("float", 2.2, 15),
    "metrics.split_30m_s": ItemSpec("float", 3.0, 20),
    "metrics.split_40m_s": ItemSpec("float", 3.8, 25),
    "metrics.hv_reps": ItemSpec("int", 0, 100),
    "metrics.ground_contact_ms": ItemSpec("float", 50, 500),
    "metrics.step_asymmetry_pct": _PCT,
    "metrics.cmj_cm": ItemSpec("float", 0, 120),
    "metrics.hop_lsi_pct": _PCT,
    "metrics.rsi_lsi_pct": _PCT,
    "metrics.strength_lsi_pct": _PCT,
    "metrics.nordic_n": ItemSpec("float", 0, 1500),
    "metrics.slhb_reps_injured": _COUNT,
    "metrics.slhb_reps_uninjured": _COUNT,
    "metrics.heel_raise_reps_injured": _COUNT,
    "metrics.heel_raise_reps_uninjured": _COUNT,
    "checks.walk_pain": ItemSpec("int", 0, 10, "check"),
    "checks.limp": ItemSpec("bool", observed="check"),
    "checks.single_leg_squat_pain": ItemSpec("int", 0, 10, "check"),
    "checks.bike_pain": ItemSpec("int", 0, 10, "check"),
    "checks.knee_extension_full": ItemSpec("bool", observed="check"),
    "checks.slr_lsi_pct": ItemSpec("float", 0, 130, "check"),
    "checks.aket_lsi_pct": ItemSpec("float", 0, 130, "check"),
    "checks.aket_pain": ItemSpec("int", 0, 10, "check"),
    "checks.double_heel_raise_pain": ItemSpec("int", 0, 10, "check"),
    "checks.jump_pain": ItemSpec("int", 0, 10, "check"),
    "checks.hop_pain": ItemSpec("int", 0, 10, "check"),
    "checks.dorsiflexion_asym_pct": ItemSpec("float", 0, 130, "check"),
    "checks.palpation_pain": ItemSpec("int", 0, 10, "check"),
    "checks.cod_pain": ItemSpec("int", 0, 10, "check"),
    "checks.full_training": ItemSpec("bool", observed="check"),
}

# Values computed from dictionary items (documented in docs/protocols.md).
DERIVED: dict[str, tuple[ItemSpec, str]] = {
    "derived.pct_vmax": (
        _PCT,
        "session intensity: metrics.top_pct_vmax, else vmax_ms ÷ baseline vmax_ms × 100",
    ),
    "derived.vmax_pct_baseline": (_PCT, "session vmax_ms ÷ baseline vmax_ms × 100"),
    "derived.worst_split_pct_baseline": (
        ItemSpec("float", 0, 200),
        "slowest of the 10/20/30/40 m splits as % of the same baseline split; the baseline must "
        "hold all four and all four must be logged in the session, else not measured",
    ),
    "derived.worst_10_20m_split_pct_baseline": (
        ItemSpec("float", 0, 200),
        "slower of the 10 m and 20 m splits as % of the same baseline split; the baseline must "
        "hold both and both must be logged in the session, else not measured",
    ),
    "derived.speed_drop_vs_stage_best_pct": (
        ItemSpec("float", 0, 100),
        "drop of vmax (or rise of a split time) vs the best of the current stage, in %; "
        "observed on full (go) sessions only",
    ),
    "derived.slhb_lsi_pct": (_PCT, "slhb_reps_injured ÷ slhb_reps_uninjured × 100"),
    "derived.heel_raise_lsi_pct": (
        _PCT,
        "heel_raise_reps_injured ÷ heel_raise_reps_uninjured × 100",
    ),
    "derived.heel_raise_drop_vs_stage_best_pct": (
        ItemSpec("float", 0, 100),
        "fall of heel_raise_reps_injured vs the best of the current stage, in %",
    ),
    "derived.pain_test_delta": (
        ItemSpec("int", -10, 10, "morning"),
        "morning pain_test minus the athlete's symptom baseline (median of the last 3 go mornings)",
    ),
    "derived.tightness_delta": (
        ItemSpec("int", -10, 10, "morning"),
        "morning tightness minus the athlete's symptom baseline",
    ),
}

ALL_ITEMS: dict[str, ItemSpec] = {**ITEMS, **{k: v[0] for k, v in DERIVED.items()}}


def item_names() -> list[str]:
    """Return every name a criterion may use, sorted."""
    return sorted(ALL_ITEMS)


_SPEED = "a speed measurement (GPS, timing gates or a phone timing app)"
_SPLIT = "split times (timing gates or a phone timing app)"
# What an item is, in words an athlete understands (used when a stage stalls on it).
ITEM_LABELS: dict[str, str] = {
    "derived.pct_vmax": _SPEED,
    "derived.vmax_pct_baseline": _SPEED,
    "derived.speed_drop_vs_stage_best_pct": _SPEED,
    "metrics.vmax_ms": _SPEED,
    "metrics.top_pct_vmax": _SPEED,
    "metrics.hv_reps": "a count of fast reps with a speed measurement",
    "derived.worst_split_pct_baseline": _SPLIT,
    "derived.worst_10_20m_split_pct_baseline": _SPLIT,
    "metrics.split_10m_s": _SPLIT,
    "metrics.split_20m_s": _SPLIT,
    "metrics.split_30m_s": _SPLIT,
    "metrics.split_40m_s": _SPLIT,
    "metrics.strength_lsi_pct": "a strength test of both legs",
    "metrics.nordic_n": "a Nordic strength test",
    "derived.slhb_lsi_pct": "single-leg bridge counts for both legs",
    "derived.heel_raise_lsi_pct": "single-leg heel-raise counts for both legs",
    "derived.heel_raise_drop_vs_stage_best_pct": "a single-leg heel-raise count",
    "metrics.heel_raise_reps_injured": "a single-leg heel-raise count",
    "metrics.hop_lsi_pct": "a single-leg hop test of both legs",
    "metrics.rsi_lsi_pct": "a reactive hop test of both legs",
    "session.confidence": "your confidence rating after a session",
    "session.pain_max": "a session report",
    "checks.walk_pain": "the brisk-walk check",
    "checks.limp": "the walking (limp) check",
    "checks.single_leg_squat_pain": "the single-leg squat check",
    "checks.bike_pain": "the bike check",
    "checks.knee_extension_full": "the knee-straightening check",
    "checks.slr_lsi_pct": "the straight-leg raise check",
    "checks.aket_lsi_pct": "the knee-extension range check",
    "checks.aket_pain": "the knee-extension range check",
    "checks.double_heel_raise_pain": "the double-leg heel-raise check",
    "checks.jump_pain": "the jumping check",
    "checks.hop_pain": "the hopping check",
    "checks.dorsiflexion_asym_pct": "the knee-to-wall ankle check",
    "checks.palpation_pain": "the clinician's press test (palpation)",
    "checks.cod_pain": "the change-of-direction check",
    "checks.full_training": "a full training session",
}


def item_label(item: str) -> str | None:
    """Return what ``item`` is in plain words, or None for items named by their criterion."""
    if item.startswith("morning."):
        return "your morning check-in"
    return ITEM_LABELS.get(item)
