"""Red-flag triage (reference §5): which tier, what the clinician is told, what the athlete does.

The bot never diagnoses: the alert names the signs reported and the tier; the instruction
tells the athlete plainly what to do next (tier 1 includes the emergency numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine.models import Alert, Instruction, MorningCheckIn, SessionReport
from engine.schema import Protocol

TierNo = Literal[1, 2, 3]

FLAG_TEXT: dict[str, str] = {
    "swelling": "new swelling",
    "bruising": "new bruising",
    "numbness": "numbness, tingling or weakness in the leg or foot",
    "night_pain": "pain that woke them at night",
    "calf_warm_red": "a warm, red or swollen calf",
    "chest_breathless": "chest pain or breathlessness",
    "unwell": "fever or feeling unwell",
    "pop": "a pop or sudden sharp pain since yesterday",
}

TIER_TITLE: dict[int, str] = {
    1: "EMERGENCY",
    2: "same-day medical assessment needed",
    3: "stop and clinician review within 24 h",
}


class Triage(BaseModel):
    """The outcome of a red-flag screen: the highest tier and what to send."""

    model_config = ConfigDict(frozen=True)

    tier: TierNo
    signs: list[str]
    alert: Alert
    instruction: Instruction


def triage(protocol: Protocol, tier: TierNo, rule: str, signs: Sequence[str]) -> Triage:
    """Return the alert and athlete instruction for a tier, naming the signs that were reported."""
    spec = protocol.rules.red_flags.tiers[tier]
    what = "; ".join(signs)
    alert = Alert(
        severity=spec.severity,
        rule=rule,
        text=f"Red flag, tier {tier} ({TIER_TITLE[tier]}): athlete reported {what}.",
    )
    return Triage(
        tier=tier,
        signs=list(signs),
        alert=alert,
        instruction=Instruction(rule=rule, text=spec.instruction),
    )


def triage_morning(
    protocol: Protocol, morning: MorningCheckIn | None, *, pain_rest_stop: bool = True
) -> Triage | None:
    """Return the triage for a morning check-in's red flags (and pain at rest ≥ the stop
    threshold, tier 3), or None when nothing was flagged."""
    if morning is None:
        return None
    rules = protocol.rules.red_flags
    flags = list(dict.fromkeys(morning.red_flags or []))
    tiers: list[int] = [rules.codes[f] for f in flags]
    signs = [FLAG_TEXT[f] for f in flags]
    stop_at = protocol.rules.morning.stop_pain_rest_min.value
    if pain_rest_stop and morning.pain_rest is not None and morning.pain_rest >= stop_at:
        tiers.append(rules.pain_rest_tier)
        signs.append(f"pain at rest {morning.pain_rest}/10 (stop threshold {stop_at})")
    if not tiers:
        return None
    tier = _tier(min(tiers))
    return triage(protocol, tier, f"redflag.tier{tier}", signs)


def triage_session(protocol: Protocol, session: SessionReport | None) -> Triage | None:
    """Return the triage for a session's sharp pain / pop / grab (S6), or None."""
    if session is None or session.sharp_pain is not True:
        return None
    tier = protocol.rules.red_flags.sharp_pain_tier
    sign = "sharp, stabbing or sudden pain, a pop or a grab during the session"
    return triage(protocol, tier, "session.stop", [sign])


def _tier(n: int) -> TierNo:
    if n == 1:
        return 1
    if n == 2:
        return 2
    return 3
