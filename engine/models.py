"""Input and output models of the engine, named after `shared/reference/data-dictionary.md`.

Every answer, metric and decision that crosses a boundary (bot, storage, scenario files,
exports) is one of these models. Keys are snake_case with the unit in the name.
An answer that was not given is ``None``: the engine treats it as "criterion not met".
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

InjuryType = Literal["hamstring", "calf"]
Side = Literal["left", "right"]
Mechanism = Literal["sprint", "stretch", "other", "unknown"]
Muscle = Literal[
    "biceps_femoris",
    "semimembranosus",
    "semitendinosus",
    "soleus",
    "gastrocnemius",
    "unknown",
]

RedFlag = Literal[
    "swelling",
    "bruising",
    "numbness",
    "night_pain",
    "calf_warm_red",
    "chest_breathless",
    "unwell",
    "pop",
]
RED_FLAGS: tuple[RedFlag, ...] = (
    "swelling",
    "bruising",
    "numbness",
    "night_pain",
    "calf_warm_red",
    "chest_breathless",
    "unwell",
    "pop",
)

# Red flags asked after a session (data dictionary S6b): new since the session started.
SessionRedFlag = Literal["swelling", "bruising", "pop", "numbness"]
SESSION_RED_FLAGS: tuple[SessionRedFlag, ...] = ("swelling", "bruising", "pop", "numbness")

Completion = Literal["full", "partial", "stopped"]
StopReason = Literal["pain", "tightness", "fatigue", "fear", "weather_time", "other"]
PainLocation = Literal["injured_spot", "same_muscle", "other_leg", "back_buttock", "other"]

Readiness = Literal["go", "modify", "rest", "stop"]
DecisionKind = Literal["progress", "hold", "step_back", "stop"]
SessionClass = Literal["green", "amber", "red", "stop"]
Severity = Literal["emergency", "same_day", "within_24h", "info"]

Score0to10 = Annotated[int, Field(ge=0, le=10)]
Hooper = Annotated[int, Field(ge=1, le=7)]
Percent = Annotated[float, Field(ge=0, le=130)]


class _Strict(BaseModel):
    """Base for boundary models: unknown keys are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MorningCheckIn(_Strict):
    """The morning readiness check-in (M0–M9)."""

    red_flags: list[RedFlag] | None = None
    pain_rest: Score0to10 | None = None
    pain_test: Score0to10 | None = None
    tightness: Score0to10 | None = None
    confidence: Score0to10 | None = None
    sleep_quality: Hooper | None = None
    fatigue: Hooper | None = None
    stress: Hooper | None = None
    soreness: Hooper | None = None
    sleep_hours: Annotated[float, Field(ge=0, le=16)] | None = None

    def hooper_index(self) -> int | None:
        """Return the Hooper Index (sum of the four 1–7 items), or None if any is missing."""
        items = (self.sleep_quality, self.fatigue, self.stress, self.soreness)
        if any(i is None for i in items):
            return None
        return sum(i for i in items if i is not None)


class Metrics(_Strict):
    """Sprint and strength metrics of one session, or the pre-injury baseline.

    Plausibility bounds (data dictionary): a 10 m split under 1.4 s, a Vmax above
    12.5 m/s or a percentage above 130 is refused.
    """

    vmax_ms: Annotated[float, Field(gt=0, le=12.5)] | None = None
    top_pct_vmax: Percent | None = None
    split_10m_s: Annotated[float, Field(ge=1.4, le=10)] | None = None
    split_20m_s: Annotated[float, Field(ge=2.2, le=15)] | None = None
    split_30m_s: Annotated[float, Field(ge=3.0, le=20)] | None = None
    split_40m_s: Annotated[float, Field(ge=3.8, le=25)] | None = None
    hv_reps: Annotated[int, Field(ge=0, le=100)] | None = None
    ground_contact_ms: Annotated[float, Field(ge=50, le=500)] | None = None
    step_asymmetry_pct: Percent | None = None
    cmj_cm: Annotated[float, Field(gt=0, le=120)] | None = None
    hop_lsi_pct: Percent | None = None
    rsi_lsi_pct: Percent | None = None
    strength_lsi_pct: Percent | None = None
    nordic_n: Annotated[float, Field(gt=0, le=1500)] | None = None
    slhb_reps_injured: Annotated[int, Field(ge=0, le=200)] | None = None
    slhb_reps_uninjured: Annotated[int, Field(ge=0, le=200)] | None = None
    heel_raise_reps_injured: Annotated[int, Field(ge=0, le=200)] | None = None
    heel_raise_reps_uninjured: Annotated[int, Field(ge=0, le=200)] | None = None


class Checks(_Strict):
    """Functional checks done in or after a session, or on their own on any day."""

    walk_pain: Score0to10 | None = None
    limp: bool | None = None
    single_leg_squat_pain: Score0to10 | None = None
    bike_pain: Score0to10 | None = None
    knee_extension_full: bool | None = None
    slr_lsi_pct: Percent | None = None
    aket_lsi_pct: Percent | None = None
    aket_pain: Score0to10 | None = None
    double_heel_raise_pain: Score0to10 | None = None
    jump_pain: Score0to10 | None = None
    hop_pain: Score0to10 | None = None
    dorsiflexion_asym_pct: Percent | None = None
    palpation_pain: Score0to10 | None = None
    cod_pain: Score0to10 | None = None
    full_training: bool | None = None


class SessionReport(_Strict):
    """The post-session questionnaire (S1–S12) with the metrics logged."""

    completion: Completion | None = None
    completed_pct: Annotated[int, Field(ge=0, le=100)] | None = None
    stop_reason: StopReason | None = None
    pain_max: Score0to10 | None = None
    pain_location: PainLocation | None = None
    sharp_pain: bool | None = None
    red_flags: list[SessionRedFlag] | None = None
    tightness: Score0to10 | None = None
    held_back: bool | None = None
    confidence: Score0to10 | None = None
    rpe: Score0to10 | None = None
    minutes: Annotated[int, Field(ge=1, le=300)] | None = None
    pain_1h: Score0to10 | None = None
    metrics: Metrics = Field(default_factory=Metrics)
    checks: Checks = Field(default_factory=Checks)


class Injury(_Strict):
    """The injury the programme is for, as entered at onboarding."""

    injury: InjuryType
    muscle: Muscle | None = None
    side: Side
    grade: Annotated[int, Field(ge=0, le=4)] | None = None
    injury_date: dt.date
    mechanism: Mechanism | None = None


ClinicianActionKind = Literal[
    "clear",
    "decline",
    "review",
    "hold",
    "step_back",
    "set_stage",
    "pause",
    "resume",
    "usual_tightness",
]


class ClinicianAction(_Strict):
    """Something a clinician recorded on a day that the engine must honour.

    ``usual_tightness``: the clinician, having examined the athlete, accepts tightness
    ``value``/10 as usual for them; the engine reads it as the trusted tightness baseline
    (``engine.programme.symptom_baseline``) whenever green mornings have not formed one."""

    kind: ClinicianActionKind
    stage: str | None = None
    note: str | None = None
    value: Score0to10 | None = None

    @model_validator(mode="after")
    def _stage_for_set_stage(self) -> ClinicianAction:
        if self.kind == "set_stage" and not self.stage:
            raise ValueError("a 'set_stage' action needs the stage to set")
        if self.kind == "usual_tightness" and self.value is None:
            raise ValueError("a 'usual_tightness' action needs the tightness (0-10) accepted")
        if self.kind != "usual_tightness" and self.value is not None:
            raise ValueError("only a 'usual_tightness' action carries a value")
        return self


class LaterRun(_Strict):
    """A session report booked to a later local date than the day it is attached to, but
    answered before that day's answers (the athlete moved west across time zones, so their
    local date went back): a run that really came first."""

    date: dt.date
    at: dt.datetime
    session: SessionReport


class DayRecord(_Strict):
    """Everything recorded for one calendar day of an athlete's programme.

    ``morning_at`` and ``session_at`` are the instants (aware, UTC) the check-in and the
    session report were first answered, when known (stored answers; scenario files may leave
    them out): a session answered before the day's check-in is judged as one on a day without
    a check-in, and rest intervals hold in real elapsed time as well as in calendar days.
    Without them only the calendar counts, as before they existed.
    """

    date: dt.date
    morning: MorningCheckIn | None = None
    session: SessionReport | None = None
    checks: Checks | None = None
    clearance: bool = False
    paused: bool = False
    clinician_actions: list[ClinicianAction] = Field(default_factory=list)
    morning_at: dt.datetime | None = None
    session_at: dt.datetime | None = None
    later_runs: list[LaterRun] = Field(default_factory=list)

    @model_validator(mode="after")
    def _aware_instants(self) -> DayRecord:
        for name in ("morning_at", "session_at"):
            at = getattr(self, name)
            if at is not None and at.utcoffset() is None:
                raise ValueError(f"{name} must carry its time zone (an instant, e.g. UTC)")
        if any(r.at.utcoffset() is None for r in self.later_runs):
            raise ValueError("later_runs[].at must carry its time zone (an instant, e.g. UTC)")
        return self

    def session_before_checkin(self) -> bool:
        """Whether the day's session was answered before the day's check-in (both known)."""
        return (
            self.session is not None
            and self.morning is not None
            and self.session_at is not None
            and self.morning_at is not None
            and self.session_at < self.morning_at
        )


class Reason(_Strict):
    """Why a verdict or decision came out as it did: which rule, what was seen, what was needed."""

    rule: str
    observed: str | float | int | bool | None = None
    threshold: str | float | int | bool | None = None
    text: str


class Alert(_Strict):
    """A message for the linked clinician, raised by a rule."""

    severity: Severity
    rule: str
    text: str


class Instruction(_Strict):
    """What the athlete is told to do (e.g. for a red-flag tier)."""

    rule: str
    text: str
