"""Post-session classification (reference §4.2): green / amber / red / stop.

A session can only be green when every answer the rule needs was given: a missing pain,
tightness or sharp-pain answer makes it amber ("criterion not met").
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from engine.models import Alert, MorningCheckIn, Reason, SessionClass, SessionReport
from engine.red_flags import Triage, triage_session
from engine.schema import Protocol

# Why a session stopped that reads as a symptom (no reason given counts as one too).
SYMPTOM_STOPS = ("pain", "tightness", "fear")
_STOP_TEXT = {
    "session.stop": "Sharp or sudden pain, a pop or a sudden tight pull in the muscle: "
    "stop, clinician alerted.",
    "session.red_flag": "New swelling, bruising, a pop or numbness since the session started: "
    "stop training, your clinician has been alerted.",
    "session.severe_pain": "Strong pain in this session: stop training, your clinician has "
    "been alerted and should see you today.",
    "redflag.achilles": "Your heel raises on the injured side dropped to half or less, with "
    "pain: stop training, your clinician has been alerted and should see you today.",
    "session.pain_location": "Pain away from the injured spot: stop running until your "
    "clinician has checked it (they have been asked to, within 24 h).",
}

# The athlete's sentence for each session stop rule (also said on a morning that stops for
# one, e.g. the Achilles picture a day late).
STOP_TEXT = _STOP_TEXT


# Metrics of tests done without running (strength, bridges, heel raises, jumps and hops). A
# session report that logs some of these and nothing measured while running (a speed, a
# split, fast reps, ground contact, step asymmetry) and no full team or event training
# logged no run: it was a strength and test session (``tests_only``).
TEST_METRICS = frozenset(
    {
        "cmj_cm",
        "hop_lsi_pct",
        "rsi_lsi_pct",
        "strength_lsi_pct",
        "nordic_n",
        "slhb_reps_injured",
        "slhb_reps_uninjured",
        "heel_raise_reps_injured",
        "heel_raise_reps_uninjured",
    }
)


def tests_only(session: SessionReport) -> bool:
    """Whether the report logs tests (strength, hops, jumps) and no run: no running metric
    and no full training. A report without any metric is not one: it is taken to have
    followed the day's plan, run included (reference §0.3: no device, run by feel)."""
    logged = {k for k, v in session.metrics.model_dump().items() if v is not None}
    return bool(logged) and logged <= TEST_METRICS and session.checks.full_training is not True


class SessionResult(BaseModel):
    """How a session went, with what it implies."""

    model_config = ConfigDict(frozen=True)

    session_class: SessionClass
    reasons: list[Reason] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    triage: Triage | None = None
    incomplete: bool = False
    hv: bool = False
    low_confidence: bool = False


def classify_session(
    protocol: Protocol,
    session: SessionReport,
    exposure_pct: float,
    tightness_baseline: float | None,
    morning: MorningCheckIn | None = None,
    *,
    heel_raise_best_lsi: float | None = None,
    heel_raise_best: int | None = None,
    heel_raise_above_by_stage: bool = False,
    pain_day_before: bool = False,
) -> SessionResult:
    """Classify a session from its answers; ``exposure_pct`` is the intensity reached (measured
    or, when unmeasured, assumed), ``tightness_baseline`` the athlete's baseline tightness,
    ``morning`` the same day's check-in, ``heel_raise_best_lsi`` the best heel-raise symmetry
    so far, ``heel_raise_best`` the best count of the stage, ``heel_raise_above_by_stage``
    whether the stage was reached with heel raises above half and ``pain_day_before`` whether
    pain was reported the day before (all for the red-flag triage)."""
    rules = protocol.rules
    hv = exposure_pct >= rules.pain.hv_pct_vmax.value
    reasons: list[Reason] = []
    alerts: list[Alert] = []
    tri = triage_session(
        protocol,
        session,
        morning,
        heel_raise_best_lsi=heel_raise_best_lsi,
        heel_raise_best=heel_raise_best,
        heel_raise_above_by_stage=heel_raise_above_by_stage,
        pain_day_before=pain_day_before,
    )
    incomplete = _incomplete(session, rules.session.min_completed_pct.value, reasons)
    low_conf = hv and (
        (
            session.confidence is not None
            and session.confidence <= rules.session.low_confidence_max.value
        )
        or session.held_back is True
    )
    if tri is not None:
        reasons.append(
            Reason(
                rule=tri.alert.rule,
                observed="; ".join(tri.signs),
                threshold="no red flag",
                text=_STOP_TEXT.get(tri.alert.rule, _STOP_TEXT["session.stop"]),
            )
        )
        return SessionResult(
            session_class="stop",
            reasons=reasons,
            alerts=[*alerts, tri.alert],
            triage=tri,
            incomplete=incomplete,
            hv=hv,
            low_confidence=low_conf,
        )
    s = rules.session
    pain = session.pain_max
    red: list[Reason] = []
    if pain is not None and pain >= s.red_pain_min.value:
        red.append(
            Reason(
                rule="session.red",
                observed=pain,
                threshold=f"< {s.red_pain_min.value}",
                text=f"Session pain {pain}/10: red session, step back one stage.",
            )
        )
    if session.pain_1h is not None and session.pain_1h >= s.red_pain_1h_min.value:
        red.append(
            Reason(
                rule="session.red.pain_1h",
                observed=session.pain_1h,
                threshold=f"< {s.red_pain_1h_min.value}",
                text=f"Pain 1 h after {session.pain_1h}/10: red session, step back.",
            )
        )
    if red:
        return SessionResult(
            session_class="red",
            reasons=[*reasons, *red],
            alerts=alerts,
            incomplete=incomplete,
            hv=hv,
            low_confidence=low_conf,
        )
    amber: list[Reason] = []
    hv_max = rules.pain.running_hv_max.value
    if pain is None or session.sharp_pain is None:
        missing = [k for k in ("pain_max", "sharp_pain") if getattr(session, k) is None]
        amber.append(
            Reason(
                rule="missing.session",
                observed=", ".join(missing),
                threshold="answered",
                text=f"Unanswered: {', '.join(missing)}: the session cannot count as green.",
            )
        )
    elif pain >= s.amber_pain_min.value:
        amber.append(
            Reason(
                rule="session.amber",
                observed=pain,
                threshold=f"< {s.amber_pain_min.value}",
                text=f"Session pain {pain}/10: amber, repeat the session, don't progress.",
            )
        )
    elif hv and pain > hv_max:
        amber.append(
            Reason(
                rule="session.amber.hv",
                observed=pain,
                threshold=f"≤ {hv_max} at ≥ {rules.pain.hv_pct_vmax.value:g} % Vmax",
                text=f"Pain {pain}/10 at high speed: amber, drop to the previous intensity.",
            )
        )
    if session.tightness is None:
        amber.append(
            Reason(
                rule="missing.session",
                observed="tightness",
                threshold="answered",
                text="Tightness after the session not answered: cannot count as green.",
            )
        )
    elif tightness_baseline is None:
        amber.append(
            Reason(
                rule="session.green.tightness",
                observed=session.tightness,
                threshold="a tightness baseline",
                text="No tightness baseline to compare with: cannot count as green.",
            )
        )
    elif session.tightness > tightness_baseline + s.green_tightness_delta_max.value:
        limit = tightness_baseline + s.green_tightness_delta_max.value
        amber.append(
            Reason(
                rule="session.green.tightness",
                observed=session.tightness,
                threshold=f"≤ {limit:g}",
                text=f"Tightness {session.tightness}/10 above baseline + "
                f"{s.green_tightness_delta_max.value}: amber.",
            )
        )
    if amber:
        return SessionResult(
            session_class="amber",
            reasons=[*reasons, *amber],
            alerts=alerts,
            incomplete=incomplete,
            hv=hv,
            low_confidence=low_conf,
        )
    if not incomplete:
        reasons.append(
            Reason(
                rule="session.green",
                observed=pain,
                threshold=f"≤ {hv_max if hv else rules.pain.running_below_hv_max.value}",
                text="Session green: eligible for progression, pending the 24-hour rule.",
            )
        )
    return SessionResult(
        session_class="green",
        reasons=reasons,
        alerts=alerts,
        incomplete=incomplete,
        hv=hv,
        low_confidence=low_conf,
    )


def stopped_for_symptoms(session: SessionReport) -> bool:
    """Whether a session stopped, or cut short, for pain, tightness or fear, or for no reason
    given (the worse reading)."""
    return session.stop_reason is None or session.stop_reason in SYMPTOM_STOPS


def _incomplete(session: SessionReport, min_pct: float, reasons: list[Reason]) -> bool:
    """Whether less than ``min_pct`` % of the prescribed session was done (reference §4.2 S1).

    Such a session is not the prescribed dose, whatever the cause: it is not completed and does
    not count (minimum sessions, exit criteria, the gate's "last session completed"). Only a
    stop for symptoms or fear (or for an unknown reason) is also read as a symptom ("repeat it,
    no progression", ``session.incomplete``); a stop for the weather, time, tiredness or another
    reason is told as a session still needed (``gate.3``). Contradictory or missing answers
    count at the lower reading: "full" with a share below 100 % is that share, "partial" or
    "stopped" without a share is not completed (a session is never completed on the more
    lenient of two answers, nor on a missing one)."""
    if session.completion is None:
        reasons.append(
            Reason(
                rule="missing.session",
                observed="completion",
                threshold="answered",
                text="Completion not answered: counted as not completed.",
            )
        )
        return True
    pct = session.completed_pct
    symptoms = stopped_for_symptoms(session)
    if session.completion == "stopped":
        # Stopped because of symptoms or fear (or unsaid): repeat it, whatever share was done.
        done = not symptoms and pct is not None and pct >= min_pct
    else:
        done = pct >= min_pct if pct is not None else session.completion == "full"
    if done:
        return False
    observed = pct if pct is not None else session.completion
    if symptoms:
        reasons.append(
            Reason(
                rule="session.incomplete",
                observed=observed,
                threshold=f"≥ {min_pct:g} %",
                text="Session not completed because of symptoms or fear: repeat it, "
                "no progression.",
            )
        )
    else:
        reasons.append(
            Reason(
                rule="gate.3",
                observed=observed,
                threshold=f"≥ {min_pct:g} %",
                text=f"Not yet: a completed session (at least {min_pct:g} % of it): this one "
                "was cut short, so it does not count; repeat it.",
            )
        )
    return True
