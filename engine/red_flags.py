"""Red-flag triage (reference §5): which tier, what the clinician is told, what the athlete does.

The bot never diagnoses: the alert names the signs reported and the tier (for the clinician,
also the picture the combination matches); the instruction tells the athlete plainly what to
do next (tier 1 includes the emergency numbers).

Beyond one tier per code, three rules can only raise the tier:
* pain at rest at the protocol's severe threshold (8/10) or session pain at 7/10 is at least
  tier 2 (same day);
* combination pictures of the reference's tier 1 are tier 1: a swollen limb (new swelling, or a
  warm, red, swollen calf) with severe pain at rest, or with numbness and pain at rest at the
  stop threshold (compartment syndrome: pain out of proportion, tense swelling, numbness);
  chest pain or breathlessness is tier 1 on its own (pulmonary embolism);
* heel raises collapsing to half of the other side or less, after having been above it, with
  pain that day, the day before or the next morning, is a possible Achilles rupture: tier 2
  (same day). The pair is read both ways (the lower count ÷ the higher: counts typed the
  wrong way round are no way out), and a count logged without the other side's (or with 0
  for it) is read against the best count of the stage. "Above it" is an earlier pair above
  half, or the stage itself: a stage reached only through a heel-raise symmetry criterion
  above half (calf: from C3, after C2's > 90 %) reads its pair against the other side even
  when no earlier pair was logged (the first pair ever, e.g. an athlete placed at C4). Before
  such a stage a first pair at half or less is no collapse: early on (C1 asks for 10
  single-leg raises, not for symmetry) the injured side doing half of the other is expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
SESSION_FLAG_TEXT: dict[str, str] = {
    "swelling": "new swelling since the session started",
    "bruising": "new bruising since the session started",
    "pop": "a pop during the session",
    "numbness": "numbness, tingling or weakness in the leg or foot since the session started",
}

# Pain somewhere other than the injured spot during a session, by its ``pain_location``:
# reference §5 tier 3 ("pain in a different location than the original injury": stop this
# session and stage, clinician within 24 h; a referred or neural source is to be ruled out).
ELSEWHERE_TEXT: dict[str, str] = {
    "other_leg": "pain in the other leg during the session",
    "back_buttock": "pain in the low back or buttock during the session",
    "other": "pain away from the injured spot during the session",
}
ELSEWHERE_TIER = 3

TIER_TITLE: dict[int, str] = {
    1: "EMERGENCY",
    2: "same-day medical assessment needed",
    3: "stop and clinician review within 24 h",
}
ACHILLES_LSI_MAX = 50.0  # heel raises on the injured side at half of the other side or less
_COLLAPSE = "single-leg heel raises collapsed to "  # how every collapse sign begins
_SWOLLEN = frozenset({"swelling", "calf_warm_red"})


class Triage(BaseModel):
    """The outcome of a red-flag screen: the highest tier and what to send."""

    model_config = ConfigDict(frozen=True)

    tier: TierNo
    signs: list[str]
    alert: Alert
    instruction: Instruction


@dataclass(frozen=True, slots=True)
class _Signs:
    """Everything reported on a day that a tier can come from."""

    flags: tuple[str, ...] = ()
    pain_rest: int | None = None
    session_pain: int | None = None
    pain_after: int | None = None  # an hour after the session


def triage(
    protocol: Protocol,
    tier: TierNo,
    rule: str,
    signs: Sequence[str],
    picture: str = "",
    *,
    morning: bool = False,
) -> Triage:
    """Return the alert and athlete instruction for a tier, naming the signs that were reported
    (and, for the clinician, the picture a combination of signs matches). ``morning``: raised by
    the morning check-in, before any session (the tier's morning instruction, if it has one)."""
    spec = protocol.rules.red_flags.tiers[tier]
    told = spec.morning_instruction if morning and spec.morning_instruction else spec.instruction
    what = "; ".join(signs)
    seen = f" Picture compatible with {picture} (reference §5)." if picture else ""
    alert = Alert(
        severity=spec.severity,
        rule=rule,
        text=f"Red flag, tier {tier} ({TIER_TITLE[tier]}): athlete reported {what}.{seen}",
    )
    return Triage(
        tier=tier,
        signs=list(signs),
        alert=alert,
        instruction=Instruction(rule=rule, text=told),
    )


def _combination(protocol: Protocol, s: _Signs) -> tuple[int, str] | None:
    """Return (tier, picture) for a combination the reference puts in a higher tier."""
    rf = protocol.rules.red_flags
    flags = set(s.flags)
    # Pain still this high an hour after a session is pain at rest: with a swollen limb it is
    # the compartment-syndrome picture as much as in the morning.
    severe_rest = any(
        p is not None and p >= rf.severe_pain_rest_min.value for p in (s.pain_rest, s.pain_after)
    )
    severe_session = (
        s.session_pain is not None and s.session_pain >= rf.severe_session_pain_min.value
    )
    painful = (
        s.pain_rest is not None and s.pain_rest >= protocol.rules.morning.stop_pain_rest_min.value
    )
    if flags & _SWOLLEN and (severe_rest or ("numbness" in flags and painful)):
        return 1, "acute compartment syndrome (swollen limb, severe pain at rest or numbness)"
    if "chest_breathless" in flags and flags & _SWOLLEN:
        return 1, "pulmonary embolism from a deep-vein thrombosis"
    if severe_rest or severe_session:
        return 2, ""
    return None


def _tier_of(
    protocol: Protocol, s: _Signs, codes: Sequence[str], extra: Sequence[int]
) -> tuple[int, str]:
    tiers = [protocol.rules.red_flags.codes[c] for c in codes] + list(extra)
    picture = ""
    combo = _combination(protocol, s)
    if combo is not None:
        tiers.append(combo[0])
        picture = combo[1]
    return (min(tiers), picture) if tiers else (0, "")


def triage_morning(
    protocol: Protocol, morning: MorningCheckIn | None, *, pain_rest_stop: bool = True
) -> Triage | None:
    """Return the triage for a morning check-in's red flags (and pain at rest ≥ the stop
    threshold, tier 3; ≥ the severe threshold, tier 2), or None when nothing was flagged."""
    if morning is None:
        return None
    rules = protocol.rules.red_flags
    flags = list(dict.fromkeys(morning.red_flags or []))
    signs = [FLAG_TEXT[f] for f in flags]
    extra: list[int] = []
    stop_at = protocol.rules.morning.stop_pain_rest_min.value
    if pain_rest_stop and morning.pain_rest is not None and morning.pain_rest >= stop_at:
        extra.append(rules.pain_rest_tier)
        signs.append(f"pain at rest {morning.pain_rest}/10 (stop threshold {stop_at})")
    pain_rest = morning.pain_rest if pain_rest_stop else None
    tier, picture = _tier_of(protocol, _Signs(tuple(flags), pain_rest), flags, extra)
    if not tier:
        return None
    return triage(protocol, _tier(tier), f"redflag.tier{tier}", signs, picture, morning=True)


def triage_session(
    protocol: Protocol,
    session: SessionReport | None,
    morning: MorningCheckIn | None = None,
    *,
    heel_raise_best_lsi: float | None = None,
    heel_raise_best: int | None = None,
    heel_raise_above_by_stage: bool = False,
    pain_day_before: bool = False,
) -> Triage | None:
    """Return the triage for a session report, or None: sharp pain, a pop or a grab (S6);
    new swelling, bruising, a pop or numbness since the session started (S6b, handled like the
    morning's, and at least same day, reference §4.2); severe session pain; the Achilles
    picture (heel raises collapsing with pain, ``heel_raise_best_lsi`` and ``heel_raise_best``
    the best symmetry so far and the best count of the stage, ``heel_raise_above_by_stage``
    whether the stage was reached with them above half; ``pain_day_before``: pain was
    reported the day before, when the counts may have been tested); pain away from the injured
    spot (tier 3). ``morning`` (the same day's check-in) joins its red flags and pain at rest
    to the combination pictures."""
    if session is None:
        return None
    rules = protocol.rules.red_flags
    codes = list(dict.fromkeys(session.red_flags or []))
    signs = [SESSION_FLAG_TEXT[c] for c in codes]
    extra: list[int] = [min(rules.codes[c], 2) for c in codes]  # §4.2: same day after a session
    rule = "session.red_flag" if codes else "session.stop"
    if session.sharp_pain is True:
        extra.append(rules.sharp_pain_tier)
        signs.insert(0, "sharp, stabbing or sudden pain, a pop or a grab during the session")
        rule = "session.stop"
    severe = rules.severe_session_pain_min.value
    during, after = session.pain_max, session.pain_1h
    pain = max((p for p in (during, after) if p is not None), default=None)
    if pain is not None and pain >= severe:
        # Named as what it is: the clinician reads when the pain was that high.
        if during is not None and during >= severe:
            signs.append(f"session pain {during}/10")
        else:
            signs.append(f"pain an hour after the session {after}/10")
        rule = rule if codes or session.sharp_pain else "session.severe_pain"
    achilles = _achilles(
        session,
        morning,
        heel_raise_best_lsi,
        heel_raise_best,
        pain_before=pain_day_before,
        above_by_stage=heel_raise_above_by_stage,
    )
    if achilles is not None:
        extra.append(2)
        signs.append(achilles)
        rule = rule if codes or session.sharp_pain else "redflag.achilles"
    elsewhere = ELSEWHERE_TEXT.get(session.pain_location or "")
    if elsewhere is not None and (session.pain_max or 0) >= 1:
        extra.append(ELSEWHERE_TIER)
        signs.append(elsewhere)
        if len(signs) == 1:
            rule = "session.pain_location"
    morning_flags = list((morning.red_flags or []) if morning is not None else [])
    day_flags = tuple(dict.fromkeys([*morning_flags, *codes]))
    pain_rest = morning.pain_rest if morning is not None else None
    s = _Signs(day_flags, pain_rest, pain, after)
    if not signs:
        # Nothing in the session itself: a tier from the morning's answers alone is the
        # morning's triage (an alert "athlete reported ." would name no sign).
        return None
    tier, picture = _tier_of(protocol, s, [], extra)
    if not tier:
        return None
    if achilles is not None and not picture:
        picture = "an Achilles tendon rupture (heel raises collapsing, with pain)"
    return triage(protocol, _tier(tier), rule, signs, picture)


def heel_raises_above_half_by_stage(protocol: Protocol, stage_id: str) -> bool:
    """Whether reaching ``stage_id`` took single-leg heel raises above half of the other side:
    an earlier stage's exit criteria hold the heel-raise symmetry above half (calf: C2's
    "LSI > 90 %", so C3 onwards). There, a pair at half or less has fallen from what the
    stage was entered with, even if it is the first pair ever logged."""
    item = "derived.heel_raise_lsi_pct"
    for stage in protocol.stages[: protocol.index(stage_id)]:
        for c in stage.exit_criteria:
            if c.item != item or isinstance(c.threshold, bool):
                continue
            t = float(c.threshold)
            if (c.op == "gt" and t >= ACHILLES_LSI_MAX) or (c.op == "ge" and t > ACHILLES_LSI_MAX):
                return True
    return False


def heel_raise_collapse(
    session: SessionReport | None,
    best_lsi: float | None,
    best_count: int | None,
    *,
    above_by_stage: bool = False,
) -> str | None:
    """Describe single-leg heel raises that collapsed to half of the other side or less, after
    having been above it, or return None. The pair is read both ways (the lower count ÷ the
    higher): a collapse typed the wrong way round still reads as one. "Above it": an earlier
    pair above half (``best_lsi``, the best symmetry so far) or, with ``above_by_stage``
    (``heel_raises_above_half_by_stage``), the stage the session was done in, so that a
    first pair is read against the other side too. A count without the other side's (or
    with 0 for it) is read against ``best_count``, the best of the stage (nothing to compare
    a first count with)."""
    if session is None:
        return None
    m = session.metrics
    inj, other = m.heel_raise_reps_injured, m.heel_raise_reps_uninjured
    if inj is not None and other:
        low, high = sorted((inj, other))
        lsi = low / high * 100
        if lsi > ACHILLES_LSI_MAX:
            return None
        if best_lsi is not None and best_lsi > ACHILLES_LSI_MAX:
            return (
                f"single-leg heel raises collapsed to {low} of {high} on the other side "
                f"({lsi:.0f} %, earlier {best_lsi:.0f} %)"
            )
        if not above_by_stage:
            return None
        return (
            f"single-leg heel raises collapsed to {low} of {high} on the other side "
            f"({lsi:.0f} %, the first pair logged)"
        )
    if inj is None or not best_count or inj * 100 > best_count * ACHILLES_LSI_MAX:
        return None
    return (
        f"single-leg heel raises collapsed to {inj} "
        f"(other side not logged, {best_count} earlier in this stage)"
    )


def names_achilles(tri: Triage) -> bool:
    """Whether a triage names heel raises that collapsed (the possible Achilles rupture)."""
    return any(s.startswith(_COLLAPSE) for s in tri.signs)


def reports_pain(*answers: MorningCheckIn | SessionReport | None) -> bool:
    """Whether any of these answers reports pain (≥ 1/10: at rest, on the test, in or after a
    session)."""
    pains: list[int | None] = []
    for a in answers:
        if isinstance(a, MorningCheckIn):
            pains += [a.pain_rest, a.pain_test]
        elif isinstance(a, SessionReport):
            pains += [a.pain_max, a.pain_1h]
    return any(p is not None and p >= 1 for p in pains)


def _achilles(
    session: SessionReport,
    morning: MorningCheckIn | None,
    best_lsi: float | None,
    best_count: int | None = None,
    *,
    pain_before: bool = False,
    above_by_stage: bool = False,
) -> str | None:
    """Describe heel raises that collapsed (``heel_raise_collapse``) with pain that day or the
    day before, or return None."""
    collapse = heel_raise_collapse(session, best_lsi, best_count, above_by_stage=above_by_stage)
    if collapse is None or not (pain_before or reports_pain(session, morning)):
        return None
    return f"{collapse} with pain"


def triage_achilles_next_morning(
    protocol: Protocol,
    collapse: str | None,
    morning: MorningCheckIn | None,
) -> Triage | None:
    """Return the triage of a morning with pain after a session whose heel raises collapsed
    without any pain that day (``collapse``, from ``heel_raise_collapse``): the possible
    Achilles rupture of the session, a day late (tier 2, or the morning's own higher tier
    with it), or None."""
    if collapse is None or morning is None or not reports_pain(morning):
        return None
    flags = list(dict.fromkeys(morning.red_flags or []))
    signs = [FLAG_TEXT[f] for f in flags]
    signs.append(f"{collapse} with pain")
    tier, picture = _tier_of(protocol, _Signs(tuple(flags), morning.pain_rest), flags, [2])
    picture = picture or "an Achilles tendon rupture (heel raises collapsing, with pain)"
    return triage(protocol, _tier(tier), f"redflag.tier{tier}", signs, picture, morning=True)


def _tier(n: int) -> TierNo:
    if n == 1:
        return 1
    if n == 2:
        return 2
    return 3
