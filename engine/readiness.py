"""The morning verdict (reference §4.1): go / modify / rest / stop, first matching rule wins.

Priority: red flags (stop) → injury signals (rest, then modify) → Hooper wellness (z-score
against the athlete's own history once enough entries exist, absolute fallback before) →
confidence → go. A missing answer can never give "go".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.models import Alert, Instruction, MorningCheckIn, Readiness, Reason
from engine.red_flags import Triage, triage_morning
from engine.schema import Protocol

Level = Literal["stop", "rest", "heavy", "light", "go", "missing"]
MISSING_REASON = "missing"
# A hold that comes only from a change against the athlete's own baseline says who lifts it.
BASELINE_REVIEW = (
    ". If this is your new normal, ask your clinician to review it: their review re-sets "
    "your baseline"
)
DELTA_RULES = frozenset(
    {
        "morning.p3.pain_test_delta",
        "morning.p3.tightness_delta",
        "morning.p4.pain_test_delta",
        "morning.p4.tightness_delta",
    }
)


@dataclass(frozen=True, slots=True)
class SymptomBaseline:
    """Median of the last green mornings' provocation-test pain and tightness (§0.2).

    ``trusted``: formed from the full number of green mornings the protocol asks for
    (``baseline_green_mornings``, reference §0.2: 3). A baseline still forming (at the start,
    or after a clinician's review re-set it) is read for the change rules, which can only add
    caution, but the fixed limits of :func:`morning_verdict` apply as well: one or two
    mornings are not yet what is usual for the athlete (a first morning at tightness 5/10
    would otherwise make 6/10 "usual + 1")."""

    pain_test: float
    tightness: float
    trusted: bool = True


class MorningResult(BaseModel):
    """The verdict for one morning, with its reasons and what it implies for the day."""

    model_config = ConfigDict(frozen=True)

    readiness: Readiness | Literal["missing"]
    level: Level
    reasons: list[Reason] = Field(default_factory=list)
    triage: Triage | None = None
    step_back_candidate: bool = False
    psych_flag: bool = False
    max_pct_vmax: float | None = None
    # The red flag repeats one the clinician was already alerted to, for the same episode,
    # while the athlete is stopped awaiting them: the athlete is still told what to do, the
    # clinician gets no fresh alert.
    already_alerted: bool = False
    # The morning counts towards the symptom baseline (reference §0.2 "green mornings"): a go
    # morning, or one held only by the fixed limits that stand in while no baseline is
    # trusted (``no_baseline_limits``): without them an athlete whose usual tightness is 2/10 could
    # never form one, and a clinician's review could never accept a new usual level.
    symptom_sample: bool = False

    @property
    def alerts(self) -> list[Alert]:
        """Alerts raised by the morning (red-flag tier), none for a repeat already alerted."""
        return [self.triage.alert] if self.triage and not self.already_alerted else []

    @property
    def instructions(self) -> list[Instruction]:
        """Athlete instructions raised by the morning (red-flag tier)."""
        return [self.triage.instruction] if self.triage else []


def red_flag_stop(triage: Triage, rule: str, text: str, separator: str = ", ") -> MorningResult:
    """The morning stopped by a red flag: its triage, and one reason naming the signs."""
    return MorningResult(
        readiness="stop",
        level="stop",
        triage=triage,
        reasons=[
            Reason(
                rule=rule,
                observed=separator.join(triage.signs),
                threshold="no red flag",
                text=text,
            )
        ],
    )


def hooper_z(today: int, history: Sequence[int], min_entries: int) -> float | None:
    """Return today's Hooper z-score against ``history``, or None with too few entries.

    The SD is floored at 1 point: a perfectly steady history would otherwise make any change
    infinite.
    """
    if len(history) < min_entries:
        return None
    n = len(history)
    mean = sum(history) / n
    sd = (sum((h - mean) ** 2 for h in history) / (n - 1)) ** 0.5 if n > 1 else 0.0
    return (today - mean) / max(sd, 1.0)


INJURY_SITE_ITEMS = ("pain_rest", "pain_test", "tightness")
# Said with a fixed limit that stands in for the baseline (``no_baseline_limits``).
NO_BASELINE = "while no usual level is known yet"
NO_BASELINE_LIMIT = "until the usual level is known"
# Said with the same fixed rest limit at a stage with running, whatever the baseline.
WITH_RUNNING_LIMIT = "at a stage with running"


def no_baseline_limits(protocol: Protocol) -> tuple[int, int]:
    """The fixed tightness limits that stand in for the change-from-baseline rule while no
    symptom baseline is trusted (none yet, or fewer green mornings than
    ``baseline_green_mornings``): (tightness that modifies, tightness that rests).

    The reference has absolute limits for test pain (§4.1: M2 2–3 → MODIFY, M2 ≥ 4 → REST),
    which need no baseline and apply every day, but none for tightness (M3), so without a
    baseline tightness 9/10 read "go". Derived from the reference's own numbers: tightness
    2/10 modifies ("(M3 − baseline) = +2 → MODIFY" read from a symptom-free 0) and 4/10 or
    more rests, as test pain does from 4/10 ("M2 ≥ 4 → REST", the absolute limit of the other
    provoked symptom of the injured muscle, on the same 0–10 scale). Tightness 3/10 modifies
    rather than rests (+3 from 0 would rest): before the athlete's usual is known a rest
    morning would step back on the 2nd and stop running for a review on the 3rd, which at the
    start of a programme, where 3/10 is common, asks the clinician about what the reference
    does not treat as a warning; a modified day still holds the stage and keeps reps off max
    speed. Test pain 1/10 keeps "go" (the reference's absolute rules tolerate it; H1 exit (e):
    morning pain ≤ 1/10); a rise of +1 over a baseline still forming modifies.

    The rest limit applies with a trusted baseline too on a day whose stage has running
    (``morning_verdict``'s ``running``, a Sprintback rule beyond the reference): a baseline
    formed at 3/10 that crept up a point at a time, or a clinician's accepted usual of 4–5/10,
    never makes tightness of 4/10 or more a day with running."""
    r = protocol.rules.morning
    return r.modify_tightness_delta.value, r.rest_pain_test_min.value


_REST_DAY = Reason(
    rule="morning.p3",
    text="Rest day: no running; pain-free mobility, upper body, bike only if pain ≤ 1.",
)


def morning_verdict(
    protocol: Protocol,
    morning: MorningCheckIn | None,
    hooper_history: Sequence[int],
    baseline: SymptomBaseline | None,
    *,
    running: bool = False,
) -> MorningResult:
    """Decide the morning verdict from the check-in, the Hooper history (earlier entries in
    the rolling window) and the athlete's symptom baseline.

    The change-from-baseline rules (§4.1 p3/p4) read ``baseline`` whenever there is one; while
    it is missing or not yet trusted (fewer green mornings than the protocol's
    ``baseline_green_mornings``) fixed limits stand in as well (``no_baseline_limits``):
    tightness 4/10 or more is a rest morning, tightness 2–3/10 a modified one, so no tightness
    reads go unchecked (9/10 was "go" with no baseline); test pain has its absolute rules. A
    morning held only by those limits still counts towards forming the baseline
    (``symptom_sample``).

    ``running``: the day's stage has running (``Stage.running``). There, tightness at the fixed
    rest limit or more (4/10) is a rest morning whatever the baseline, trusted or not, and
    whoever set it (green mornings, a clinician's accepted usual): a baseline that crept up
    with the athlete's mornings, or a usual of 4–5/10, never makes such a morning go or modify
    (reference §4.1 P4 lingering tightness → pause or step back; H4 exit (a) no next-morning
    tightness; C6 symptoms 0/10)."""
    if morning is None:
        return MorningResult(
            readiness="missing",
            level="missing",
            reasons=[
                Reason(rule="missing.checkin", text="No morning check-in: no training today.")
            ],
        )
    r = protocol.rules.morning
    tri = triage_morning(protocol, morning)
    if tri is not None:
        return red_flag_stop(
            tri,
            f"morning.p1.{tri.alert.rule}",
            f"Red flag ({'; '.join(tri.signs)}): stop training, clinician alerted.",
        )
    if morning.red_flags is None:
        return MorningResult(
            readiness="rest",
            level="rest",
            reasons=[
                Reason(
                    rule="morning.p1.unanswered",
                    observed=None,
                    threshold="red-flag screen answered",
                    text="The red-flag questions were not answered: no training until they are.",
                )
            ],
        )
    pt_delta = tg_delta = None
    if baseline is not None:
        if morning.pain_test is not None:
            pt_delta = morning.pain_test - baseline.pain_test
        if morning.tightness is not None:
            tg_delta = morning.tightness - baseline.tightness
    # Without a trusted baseline the fixed limits stand in (``no_baseline_limits``); a
    # baseline still forming is read as well, for the caution its change rules add.
    trusted = baseline is not None and baseline.trusted
    tg_fixed, tg_fixed_rest = no_baseline_limits(protocol)

    rest: list[Reason] = []
    if morning.pain_rest is not None and morning.pain_rest >= r.rest_pain_rest_min.value:
        rest.append(
            _r(
                "morning.p3.pain_rest",
                morning.pain_rest,
                f"< {r.rest_pain_rest_min.value}",
                f"Pain at rest {morning.pain_rest}/10",
            )
        )
    if morning.pain_test is not None and morning.pain_test >= r.rest_pain_test_min.value:
        rest.append(
            _r(
                "morning.p3.pain_test",
                morning.pain_test,
                f"< {r.rest_pain_test_min.value}",
                f"Test pain {morning.pain_test}/10",
            )
        )
    if pt_delta is not None and pt_delta >= r.rest_pain_test_delta.value:
        rest.append(
            _r(
                "morning.p3.pain_test_delta",
                pt_delta,
                f"< +{r.rest_pain_test_delta.value}",
                f"Test pain +{pt_delta:g} vs baseline{BASELINE_REVIEW}",
            )
        )
    if tg_delta is not None and tg_delta >= r.rest_tightness_delta.value:
        rest.append(
            _r(
                "morning.p3.tightness_delta",
                tg_delta,
                f"< +{r.rest_tightness_delta.value}",
                f"Tightness +{tg_delta:g} vs baseline{BASELINE_REVIEW}",
            )
        )
    if not trusted and morning.tightness is not None and morning.tightness >= tg_fixed_rest:
        rest.append(
            _r(
                "morning.p3.tightness",
                morning.tightness,
                f"< {tg_fixed_rest} {NO_BASELINE_LIMIT}",
                f"Tightness {morning.tightness}/10 {NO_BASELINE}",
            )
        )
    if trusted and running and morning.tightness is not None and morning.tightness >= tg_fixed_rest:
        rest.append(
            _r(
                "morning.p3.tightness_running",
                morning.tightness,
                f"< {tg_fixed_rest} {WITH_RUNNING_LIMIT}",
                f"Tightness {morning.tightness}/10: no running with tightness of "
                f"{tg_fixed_rest}/10 or more",
            )
        )
    if rest:
        return MorningResult(
            readiness="rest",
            level="rest",
            step_back_candidate=True,
            reasons=[
                *rest,
                _REST_DAY,
            ],
        )

    reasons: list[Reason] = []
    level: Level = "go"
    cap: float | None = None
    missing = [
        k
        for k in ("pain_rest", "pain_test", "tightness", "confidence")
        if getattr(morning, k) is None
    ]
    unanswered = Reason(
        rule="missing.answer",
        observed=", ".join(missing),
        threshold="answered",
        text=f"Unanswered: {', '.join(missing)}. Counted as not met: no progression today.",
    )
    if any(k in missing for k in INJURY_SITE_ITEMS):
        # Pain at rest, test pain and tightness decide rest (and pain at rest ≥ 4 a stop):
        # unknown, they cannot rule either out, so the day is a rest day (no running), never
        # more lenient than a bad answer would be. Not a step-back candidate: nothing was seen.
        return MorningResult(
            readiness="rest",
            level="rest",
            reasons=[unanswered, _REST_DAY],
        )
    if missing:
        level = "light"
        reasons.append(unanswered)
    if morning.pain_test is not None and morning.pain_test >= r.modify_pain_test_min.value:
        level = _worse(level, "light")
        reasons.append(
            _r(
                "morning.p4.pain_test",
                morning.pain_test,
                f"< {r.modify_pain_test_min.value}",
                f"Test pain {morning.pain_test}/10: modified session, HV reps cut",
            )
        )
    tg_delta_fired = tg_delta is not None and tg_delta >= r.modify_tightness_delta.value
    if pt_delta is not None and pt_delta >= r.modify_pain_test_delta.value:
        level = _worse(level, "light")
        reasons.append(
            _r(
                "morning.p4.pain_test_delta",
                pt_delta,
                f"< +{r.modify_pain_test_delta.value}",
                f"Test pain +{pt_delta:g} vs baseline: modified session{BASELINE_REVIEW}",
            )
        )
    if tg_delta_fired and tg_delta is not None:
        level = _worse(level, "light")
        reasons.append(
            _r(
                "morning.p4.tightness_delta",
                tg_delta,
                f"< +{r.modify_tightness_delta.value}",
                f"Tightness +{tg_delta:g} vs baseline: modified session{BASELINE_REVIEW}",
            )
        )
    # The fixed limits standing in for the baseline: they hold the day (modified session),
    # but the morning still counts towards forming the baseline (``symptom_sample``).
    fixed: list[Reason] = []
    if (
        not trusted
        and not tg_delta_fired
        and morning.tightness is not None
        and tg_fixed <= morning.tightness < tg_fixed_rest
    ):
        fixed.append(
            _r(
                "morning.p4.tightness",
                morning.tightness,
                f"< {tg_fixed} {NO_BASELINE_LIMIT}",
                f"Tightness {morning.tightness}/10 {NO_BASELINE}: modified session",
            )
        )
    reasons += fixed
    if not trusted:
        n = r.baseline_green_mornings.value
        reasons.append(
            Reason(
                rule="morning.baseline",
                text=f"No usual level of test pain and tightness yet (it forms from {n} good "
                f"mornings, again after a clinician's review): until then tightness from "
                f"{tg_fixed}/10 means a lighter day, from {tg_fixed_rest}/10 a rest day.",
            )
        )

    wellness = _wellness(protocol, morning, hooper_history)
    for lvl, reason in wellness:
        level = _worse(level, lvl)
        reasons.append(reason)
    if level == "heavy":
        cap = 70.0

    psych = False
    if morning.confidence is not None and morning.confidence <= r.confidence_low_max.value:
        psych = True
        level = _worse(level, "light")
        reasons.append(
            _r(
                "morning.p7",
                morning.confidence,
                f"> {r.confidence_low_max.value}",
                f"Confidence {morning.confidence}/10: repeat the last successful "
                "session; a check-in with your clinician is offered",
            )
        )
    if level == "go" and not fixed:
        reasons.append(Reason(rule="morning.p8", text="Morning check is green: go."))
        return MorningResult(readiness="go", level="go", reasons=reasons, symptom_sample=True)
    return MorningResult(
        readiness="modify",
        level=_worse(level, "light"),
        reasons=reasons,
        psych_flag=psych,
        max_pct_vmax=cap,
        # Held only by the fixed limits standing in for the baseline: green otherwise.
        symptom_sample=level == "go",
    )


def _wellness(
    protocol: Protocol, morning: MorningCheckIn, history: Sequence[int]
) -> list[tuple[Level, Reason]]:
    r = protocol.rules.morning
    out: list[tuple[Level, Reason]] = []
    hi = morning.hooper_index()
    if hi is None:
        out.append(
            (
                "light",
                Reason(
                    rule="missing.hooper",
                    observed=None,
                    threshold="answered",
                    text="Wellness items missing: no progression today.",
                ),
            )
        )
    else:
        z = hooper_z(hi, history, r.hooper_min_entries.value)
        heavy_z = z is not None and z >= r.hooper_z_heavy.value
        if z is not None:
            zr = round(z, 2)
            if heavy_z:
                out.append(
                    (
                        "heavy",
                        _r(
                            "morning.p5.hooper_z",
                            zr,
                            f"< {r.hooper_z_heavy.value:g}",
                            f"Hooper index {hi} (z {zr:+}): no HV today, max 70 % Vmax",
                        ),
                    )
                )
            elif z >= r.hooper_z_light.value:
                out.append(
                    (
                        "light",
                        _r(
                            "morning.p6.hooper_z",
                            zr,
                            f"< {r.hooper_z_light.value:g}",
                            f"Hooper index {hi} (z {zr:+}): no progression, no max sprint",
                        ),
                    )
                )
        # The absolute floor holds every day: z-scores re-centre on a chronically poor
        # wellness, which must not become "normal" (reference §4.1).
        if hi >= r.hooper_fallback_heavy.value and not heavy_z:
            floor = "" if z is None else ", below the absolute floor"
            out.append(
                (
                    "heavy",
                    _r(
                        "morning.p5.hooper_abs",
                        hi,
                        f"< {r.hooper_fallback_heavy.value}",
                        f"Sleep, fatigue, stress and soreness add up to {hi} of 28{floor}: "
                        "no high-speed running today",
                    ),
                )
            )
        elif z is None and hi >= r.hooper_fallback_light.value:
            out.append(
                (
                    "light",
                    _r(
                        "morning.p6.hooper_abs",
                        hi,
                        f"< {r.hooper_fallback_light.value}",
                        f"Hooper index {hi} (absolute rule): no progression",
                    ),
                )
            )
        items = {
            "sleep_quality": morning.sleep_quality,
            "fatigue": morning.fatigue,
            "stress": morning.stress,
            "soreness": morning.soreness,
        }
        worst = max(items, key=lambda k: items[k] or 0)
        if (items[worst] or 0) >= r.hooper_item_heavy.value:
            out.append(
                (
                    "heavy",
                    _r(
                        "morning.p5.hooper_item",
                        items[worst],
                        f"< {r.hooper_item_heavy.value}",
                        f"{worst.replace('_', ' ')} {items[worst]}/7: no HV today",
                    ),
                )
            )
    if morning.sleep_hours is None:
        out.append(
            (
                "light",
                Reason(
                    rule="missing.sleep_hours",
                    threshold="answered",
                    text="Hours slept missing: no progression today.",
                ),
            )
        )
    elif morning.sleep_hours < r.sleep_heavy_below.value:
        out.append(
            (
                "heavy",
                _r(
                    "morning.p5.sleep",
                    morning.sleep_hours,
                    f"≥ {r.sleep_heavy_below.value:g}",
                    f"Slept {morning.sleep_hours:g} h: no HV today",
                ),
            )
        )
    elif morning.sleep_hours < r.sleep_light_below.value:
        out.append(
            (
                "light",
                _r(
                    "morning.p6.sleep",
                    morning.sleep_hours,
                    f"≥ {r.sleep_light_below.value:g}",
                    f"Slept {morning.sleep_hours:g} h: no progression, no max sprint",
                ),
            )
        )
    return out


_ORDER: dict[Level, int] = {"go": 0, "light": 1, "heavy": 2, "rest": 3, "stop": 4, "missing": 5}


def _worse(a: Level, b: Level) -> Level:
    return a if _ORDER[a] >= _ORDER[b] else b


def _r(rule: str, observed: float | int | None, threshold: str, text: str) -> Reason:
    if isinstance(observed, float) and math.isfinite(observed) and observed.is_integer():
        observed = int(observed)
    return Reason(rule=rule, observed=observed, threshold=threshold, text=text + ".")


def awaiting_review(result: MorningResult, since: str) -> MorningResult:
    """Return the verdict of a morning while running is stopped until a clinician review:
    never go or modify, but rest (no running), with the reason and who must act. ``since``
    says since when, in words (e.g. "14 April")."""
    if result.readiness not in ("go", "modify"):
        return result
    reason = Reason(
        rule="gate.1",
        observed="awaiting clinician review",
        threshold="clinician review",
        text=f"No running until your clinician has reviewed you (on hold since {since}). "
        "They have been told and are the one to act: rest, walk as comfortable and keep "
        "checking in.",
    )
    # Not "green: go"; what the morning saw is kept, without the session it prescribed.
    kept = [without_modified_session(r) for r in result.reasons if r.rule != "morning.p8"]
    return MorningResult(
        readiness="rest",
        level="rest",
        reasons=[*kept, reason],
        psych_flag=result.psych_flag,
    )


# What a modify morning's reasons say of the day's session (``morning_verdict``): true only
# beside a modified session.
_MODIFIED_SESSION = (": modified session, HV reps cut", ": modified session")
_REPEAT_SESSION = "repeat the last successful session; "
MODIFY_RULES = frozenset(
    {
        "morning.p4.pain_test",
        "morning.p4.pain_test_delta",
        "morning.p4.tightness_delta",
        "morning.p4.tightness",
        "morning.p7",
    }
)


def without_modified_session(reason: Reason) -> Reason:
    """A modify morning's reason (``MODIFY_RULES``) said without the session it prescribes
    ("modified session", "repeat the last successful session") on a day that has none (a stop
    awaiting a review, a rest plan, a pause): what was seen, its threshold and the rest of its
    sentence are kept. Any other reason is returned as it is."""
    if reason.rule not in MODIFY_RULES:
        return reason
    text = reason.text
    for said in (*_MODIFIED_SESSION, _REPEAT_SESSION):
        text = text.replace(said, "")
    return reason if text == reason.text else reason.model_copy(update={"text": text})
