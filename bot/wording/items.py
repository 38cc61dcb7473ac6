"""Plain names and value formats of every item a protocol criterion can name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Audience = Literal["athlete", "clinician"]

# How a value is shown: a 0–10 scale, a 1–7 wellness scale, a percentage, yes/no, a count, or a
# number with a unit.
Format = Literal["scale10", "scale7", "percent", "bool", "count", "number"]


@dataclass(frozen=True)
class ItemWording:
    """What one item is called for athletes and clinicians, and how its values read."""

    athlete: str
    clinician: str
    fmt: Format
    unit: str = ""  # for "number": " m/s", " s", " h", " cm", " N", " ms", " min"


def _w(athlete: str, clinician: str | None, fmt: Format, unit: str = "") -> ItemWording:
    return ItemWording(athlete, clinician or athlete, fmt, unit)


ITEM_WORDING: dict[str, ItemWording] = {
    # Morning check-in
    "morning.pain_rest": _w("pain at rest", None, "scale10"),
    "morning.pain_test": _w("pain in the daily test", "test pain", "scale10"),
    "morning.tightness": _w("morning tightness", None, "scale10"),
    "morning.confidence": _w("confidence in the leg", "confidence", "scale10"),
    "morning.sleep_quality": _w("sleep quality", None, "scale7"),
    "morning.fatigue": _w("tiredness", "fatigue", "scale7"),
    "morning.stress": _w("stress", None, "scale7"),
    "morning.soreness": _w("muscle soreness", "soreness", "scale7"),
    "morning.sleep_hours": _w("sleep", None, "number", " h"),
    # Post-session questionnaire
    "session.completed_pct": _w("share of the session done", "session completed", "percent"),
    "session.pain_max": _w("worst pain during the session", "session pain", "scale10"),
    "session.sharp_pain": _w("sharp or sudden pain", "sharp pain", "bool"),
    "session.tightness": _w("tightness during the session", "session tightness", "scale10"),
    "session.held_back": _w("held back because of pain or worry", "held back", "bool"),
    "session.confidence": _w(
        "confidence during the fastest runs", "confidence at top speed", "scale10"
    ),
    "session.rpe": _w("how hard the session felt", "sRPE", "scale10"),
    "session.minutes": _w("session length", "duration", "number", " min"),
    "session.pain_1h": _w("pain an hour after", "pain at 1 h", "scale10"),
    # Metrics
    "metrics.vmax_ms": _w("top speed", "Vmax", "number", " m/s"),
    "metrics.top_pct_vmax": _w("speed, as % of your pre-injury top speed", "% Vmax", "percent"),
    "metrics.split_10m_s": _w("10 m sprint time", "10 m split", "number", " s"),
    "metrics.split_20m_s": _w("20 m sprint time", "20 m split", "number", " s"),
    "metrics.split_30m_s": _w("30 m sprint time", "30 m split", "number", " s"),
    "metrics.split_40m_s": _w("40 m sprint time", "40 m split", "number", " s"),
    "metrics.hv_reps": _w("fast runs done", "HV reps", "count"),
    "metrics.ground_contact_ms": _w("ground contact time", None, "number", " ms"),
    "metrics.step_asymmetry_pct": _w(
        "difference between left and right steps", "step asymmetry", "percent"
    ),
    "metrics.cmj_cm": _w("jump height", "CMJ", "number", " cm"),
    "metrics.hop_lsi_pct": _w("hop distance compared with your other leg", "hop LSI", "percent"),
    "metrics.rsi_lsi_pct": _w(
        "springiness (reactive hops) compared with your other leg", "RSI LSI", "percent"
    ),
    "metrics.strength_lsi_pct": _w(
        "strength compared with your other leg", "strength LSI", "percent"
    ),
    "metrics.nordic_n": _w("Nordic force", "Nordic force", "number", " N"),
    "metrics.slhb_reps_injured": _w(
        "single-leg bridges, injured leg", "SLHB reps (injured)", "count"
    ),
    "metrics.slhb_reps_uninjured": _w(
        "single-leg bridges, other leg", "SLHB reps (uninjured)", "count"
    ),
    "metrics.heel_raise_reps_injured": _w(
        "single-leg heel raises, injured leg", "heel raises (injured)", "count"
    ),
    "metrics.heel_raise_reps_uninjured": _w(
        "single-leg heel raises, other leg", "heel raises (uninjured)", "count"
    ),
    # Functional checks
    "checks.walk_pain": _w("walking pain", None, "scale10"),
    "checks.limp": _w("limp when walking", "limp", "bool"),
    "checks.single_leg_squat_pain": _w(
        "pain in a single-leg squat", "single-leg squat pain", "scale10"
    ),
    "checks.bike_pain": _w("pain on the bike", "bike pain", "scale10"),
    "checks.knee_extension_full": _w("knee straightens fully", "full knee extension", "bool"),
    "checks.slr_lsi_pct": _w(
        "straight-leg raise compared with your other leg", "SLR LSI", "percent"
    ),
    "checks.aket_lsi_pct": _w(
        "knee-straightening stretch compared with your other leg", "AKET LSI", "percent"
    ),
    "checks.aket_pain": _w("pain in the knee-straightening stretch", "AKET pain", "scale10"),
    "checks.double_heel_raise_pain": _w(
        "pain in double-leg heel raises", "double heel raise pain", "scale10"
    ),
    "checks.jump_pain": _w("pain when jumping", "jump pain", "scale10"),
    "checks.hop_pain": _w("pain when hopping", "hop pain", "scale10"),
    "checks.dorsiflexion_asym_pct": _w(
        "ankle bend difference between legs", "dorsiflexion asymmetry", "percent"
    ),
    "checks.palpation_pain": _w("tenderness when pressed", "palpation pain", "scale10"),
    "checks.cod_pain": _w("pain when changing direction", "change-of-direction pain", "scale10"),
    "checks.full_training": _w("a full, unrestricted training session", "full training", "bool"),
    # Values the engine derives
    "derived.pct_vmax": _w("speed, as % of your pre-injury top speed", "% Vmax", "percent"),
    "derived.vmax_pct_baseline": _w(
        "top speed, as % of your pre-injury top speed", "Vmax % of baseline", "percent"
    ),
    "derived.worst_split_pct_baseline": _w(
        "slowest sprint time, as % of your pre-injury time",
        "slowest split % of baseline",
        "percent",
    ),
    "derived.speed_drop_vs_stage_best_pct": _w(
        "drop in speed from your best at this stage", "speed drop vs stage best", "percent"
    ),
    "derived.slhb_lsi_pct": _w(
        "single-leg bridges compared with your other leg", "SLHB LSI", "percent"
    ),
    "derived.heel_raise_lsi_pct": _w(
        "heel raises compared with your other leg", "heel-raise LSI", "percent"
    ),
    "derived.heel_raise_drop_vs_stage_best_pct": _w(
        "drop in heel raises from your best at this stage",
        "heel-raise drop vs stage best",
        "percent",
    ),
    "derived.pain_test_delta": _w(
        "daily-test pain above your usual", "test pain vs symptom baseline", "count"
    ),
    "derived.tightness_delta": _w(
        "tightness above your usual", "tightness vs symptom baseline", "count"
    ),
}


def item_wording(item: str) -> ItemWording:
    """Return the wording of ``item``; an unknown name gets a neutral label, never the key."""
    known = ITEM_WORDING.get(item)
    if known is not None:
        return known
    return ItemWording("a recorded value", "a recorded value", "number")


def item_label(item: str, audience: Audience = "athlete") -> str:
    """Return what ``item`` is called for ``audience`` ("walking pain", "Vmax")."""
    wording = item_wording(item)
    return wording.athlete if audience == "athlete" else wording.clinician


def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def format_value(item: str, value: float | bool | None) -> str:
    """Return ``value`` of ``item`` as people read it: "1/10", "8.2 m/s", "91 %", "yes"."""
    if value is None:
        return "not recorded"
    wording = item_wording(item)
    if wording.fmt == "bool" or isinstance(value, bool):
        return "yes" if value else "no"
    if wording.fmt == "scale10":
        return f"{_number(value)}/10"
    if wording.fmt == "scale7":
        return f"{_number(value)} (1 best – 7 worst)"
    if wording.fmt == "percent":
        return f"{value:.0f} %"
    return f"{_number(value)}{wording.unit}"
