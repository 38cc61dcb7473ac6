"""Plain names and value formats of every item a protocol criterion can name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.support.formats import format_decimal
from bot.support.i18n import L_, Text, _, text

Audience = Literal["athlete", "clinician"]

# How a value is shown: a 0–10 scale, a 1–7 wellness scale, a percentage, yes/no, a count, or a
# number with a unit.
Format = Literal["scale10", "scale7", "percent", "bool", "count", "number"]


@dataclass(frozen=True)
class ItemWording:
    """What one item is called for athletes and clinicians, and how its values read."""

    athlete: Text
    clinician: Text
    fmt: Format
    unit: str = ""  # for "number": " m/s", " s", " h", " cm", " N", " ms", " min"


def _w(athlete: Text, clinician: Text | None, fmt: Format, unit: str = "") -> ItemWording:
    return ItemWording(athlete, clinician or athlete, fmt, unit)


ITEM_WORDING: dict[str, ItemWording] = {
    # Morning check-in
    "morning.pain_rest": _w(L_("pain at rest"), None, "scale10"),
    "morning.pain_test": _w(L_("pain in the daily test"), L_("test pain"), "scale10"),
    "morning.tightness": _w(L_("morning tightness"), None, "scale10"),
    "morning.confidence": _w(L_("confidence in the leg"), L_("confidence"), "scale10"),
    "morning.sleep_quality": _w(L_("sleep quality"), None, "scale7"),
    "morning.fatigue": _w(L_("tiredness"), L_("fatigue"), "scale7"),
    "morning.stress": _w(L_("stress"), None, "scale7"),
    "morning.soreness": _w(L_("muscle soreness"), L_("soreness"), "scale7"),
    "morning.sleep_hours": _w(L_("sleep"), None, "number", " h"),
    # Post-session questionnaire
    "session.completed_pct": _w(
        L_("share of the session done"), L_("session completed"), "percent"
    ),
    "session.pain_max": _w(L_("worst pain during the session"), L_("session pain"), "scale10"),
    "session.sharp_pain": _w(L_("sharp or sudden pain"), L_("sharp pain"), "bool"),
    "session.tightness": _w(L_("tightness during the session"), L_("session tightness"), "scale10"),
    "session.held_back": _w(L_("held back because of pain or worry"), L_("held back"), "bool"),
    "session.confidence": _w(
        L_("confidence during the fastest runs"), L_("confidence at top speed"), "scale10"
    ),
    "session.rpe": _w(L_("how hard the session felt"), L_("sRPE"), "scale10"),
    "session.minutes": _w(L_("session length"), L_("duration"), "number", " min"),
    "session.pain_1h": _w(L_("pain an hour after"), L_("pain at 1 h"), "scale10"),
    # Metrics
    "metrics.vmax_ms": _w(L_("top speed"), L_("Vmax"), "number", " m/s"),
    "metrics.top_pct_vmax": _w(
        L_("speed, as % of your pre-injury top speed"), L_("% Vmax"), "percent"
    ),
    "metrics.split_10m_s": _w(L_("10 m sprint time"), L_("10 m split"), "number", " s"),
    "metrics.split_20m_s": _w(L_("20 m sprint time"), L_("20 m split"), "number", " s"),
    "metrics.split_30m_s": _w(L_("30 m sprint time"), L_("30 m split"), "number", " s"),
    "metrics.split_40m_s": _w(L_("40 m sprint time"), L_("40 m split"), "number", " s"),
    "metrics.hv_reps": _w(L_("fast runs done"), L_("HV reps"), "count"),
    "metrics.ground_contact_ms": _w(L_("ground contact time"), None, "number", " ms"),
    "metrics.step_asymmetry_pct": _w(
        L_("difference between left and right steps"), L_("step asymmetry"), "percent"
    ),
    "metrics.cmj_cm": _w(L_("jump height"), L_("CMJ"), "number", " cm"),
    "metrics.hop_lsi_pct": _w(
        L_("hop distance compared with your other leg"), L_("hop LSI"), "percent"
    ),
    "metrics.rsi_lsi_pct": _w(
        L_("springiness (reactive hops) compared with your other leg"), L_("RSI LSI"), "percent"
    ),
    "metrics.strength_lsi_pct": _w(
        L_("strength compared with your other leg"), L_("strength LSI"), "percent"
    ),
    "metrics.nordic_n": _w(L_("Nordic force"), L_("Nordic force"), "number", " N"),
    "metrics.slhb_reps_injured": _w(
        L_("single-leg bridges, injured leg"), L_("SLHB reps (injured)"), "count"
    ),
    "metrics.slhb_reps_uninjured": _w(
        L_("single-leg bridges, other leg"), L_("SLHB reps (uninjured)"), "count"
    ),
    "metrics.heel_raise_reps_injured": _w(
        L_("single-leg heel raises, injured leg"), L_("heel raises (injured)"), "count"
    ),
    "metrics.heel_raise_reps_uninjured": _w(
        L_("single-leg heel raises, other leg"), L_("heel raises (uninjured)"), "count"
    ),
    # Functional checks
    "checks.walk_pain": _w(L_("walking pain"), None, "scale10"),
    "checks.limp": _w(L_("limp when walking"), L_("limp"), "bool"),
    "checks.single_leg_squat_pain": _w(
        L_("pain in a single-leg squat"), L_("single-leg squat pain"), "scale10"
    ),
    "checks.bike_pain": _w(L_("pain on the bike"), L_("bike pain"), "scale10"),
    "checks.knee_extension_full": _w(
        L_("knee straightens fully"), L_("full knee extension"), "bool"
    ),
    "checks.slr_lsi_pct": _w(
        L_("straight-leg raise compared with your other leg"), L_("SLR LSI"), "percent"
    ),
    "checks.aket_lsi_pct": _w(
        L_("knee-straightening stretch compared with your other leg"), L_("AKET LSI"), "percent"
    ),
    "checks.aket_pain": _w(
        L_("pain in the knee-straightening stretch"), L_("AKET pain"), "scale10"
    ),
    "checks.double_heel_raise_pain": _w(
        L_("pain in double-leg heel raises"), L_("double heel raise pain"), "scale10"
    ),
    "checks.jump_pain": _w(L_("pain when jumping"), L_("jump pain"), "scale10"),
    "checks.hop_pain": _w(L_("pain when hopping"), L_("hop pain"), "scale10"),
    "checks.dorsiflexion_asym_pct": _w(
        L_("ankle bend difference between legs"), L_("dorsiflexion asymmetry"), "percent"
    ),
    "checks.palpation_pain": _w(L_("tenderness when pressed"), L_("palpation pain"), "scale10"),
    "checks.cod_pain": _w(
        L_("pain when changing direction"), L_("change-of-direction pain"), "scale10"
    ),
    "checks.full_training": _w(
        L_("a full, unrestricted training session"), L_("full training"), "bool"
    ),
    # Values the engine derives
    "derived.pct_vmax": _w(L_("speed, as % of your pre-injury top speed"), L_("% Vmax"), "percent"),
    "derived.vmax_pct_baseline": _w(
        L_("top speed, as % of your pre-injury top speed"), L_("Vmax % of baseline"), "percent"
    ),
    "derived.worst_split_pct_baseline": _w(
        L_("slowest sprint time, as % of your pre-injury time"),
        L_("slowest split % of baseline"),
        "percent",
    ),
    "derived.worst_10_20m_split_pct_baseline": _w(
        L_("slower of your 10 m and 20 m times, as % of your pre-injury times"),
        L_("slower 10/20 m split % of baseline"),
        "percent",
    ),
    "derived.speed_drop_vs_stage_best_pct": _w(
        L_("drop in speed from your best at this stage"), L_("speed drop vs stage best"), "percent"
    ),
    "derived.slhb_lsi_pct": _w(
        L_("single-leg bridges compared with your other leg"), L_("SLHB LSI"), "percent"
    ),
    "derived.heel_raise_lsi_pct": _w(
        L_("heel raises compared with your other leg"), L_("heel-raise LSI"), "percent"
    ),
    "derived.heel_raise_drop_vs_stage_best_pct": _w(
        L_("drop in heel raises from your best at this stage"),
        L_("heel-raise drop vs stage best"),
        "percent",
    ),
    "derived.pain_test_delta": _w(
        L_("daily-test pain above your usual"), L_("test pain vs symptom baseline"), "count"
    ),
    "derived.tightness_delta": _w(
        L_("tightness above your usual"), L_("tightness vs symptom baseline"), "count"
    ),
}


def item_wording(item: str) -> ItemWording:
    """Return the wording of ``item``; an unknown name gets a neutral label, never the key."""
    known = ITEM_WORDING.get(item)
    if known is not None:
        return known
    return ItemWording(L_("a recorded value"), L_("a recorded value"), "number")


def item_label(item: str, audience: Audience = "athlete") -> str:
    """Return what ``item`` is called for ``audience`` ("walking pain", "Vmax")."""
    wording = item_wording(item)
    return text(wording.athlete if audience == "athlete" else wording.clinician)


def _number(value: float) -> str:
    """Up to two decimals, with the reader's decimal sign ("8,2" in German)."""
    return format_decimal(round(float(value), 2))


def format_value(item: str, value: float | bool | None) -> str:
    """Return ``value`` of ``item`` as people read it: "1/10", "8.2 m/s" ("8,2 m/s" in
    German), "91 %", "yes"."""
    if value is None:
        return _("not recorded")
    wording = item_wording(item)
    if wording.fmt == "bool" or isinstance(value, bool):
        return _("yes") if value else _("no")
    if wording.fmt == "scale10":
        return f"{_number(value)}/10"
    if wording.fmt == "scale7":
        return _("{value} (1 best – 7 worst)").format(value=_number(value))
    if wording.fmt == "percent":
        return f"{value:.0f} %"
    return f"{_number(value)}{wording.unit}"
