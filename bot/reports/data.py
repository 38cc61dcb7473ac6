"""Input models of the progress chart, the clinician report and the weekly digest.

They are plain data built from stored records (no Telegram, no database, no clock): the
wiring loads what it needs, fills these models and hands them to the renderers. Dates in
them are the athlete's (or clinician's) local calendar dates; instants are aware UTC and
are converted to the named timezone only when shown.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.wording import Audience
from engine.models import DayRecord, DecisionKind, Injury, Metrics, Readiness, Severity

Score0to10 = Annotated[int, Field(ge=0, le=10)]
PositiveFloat = Annotated[float, Field(gt=0)]


class _Input(BaseModel):
    """Base for renderer inputs: unknown keys are an error, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA timezone, else raise a message naming what is expected."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {name!r}: expected an IANA name such as 'Europe/London'"
        ) from exc
    return name


def _check_aware(value: dt.datetime, what: str) -> dt.datetime:
    """Return ``value`` in UTC, refusing a naive datetime (we store UTC, never local)."""
    if value.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware (UTC), got a naive datetime {value}")
    return value.astimezone(dt.UTC)


# ---------------------------------------------------------------------------------------------
# Progress chart
# ---------------------------------------------------------------------------------------------


class DayPoint(_Input):
    """What the chart shows for one local calendar day with a check-in, a session or both.

    A calendar day with no record at all is simply absent: the chart shows it as a gap.
    ``stage`` is the stage at the start of the day; ``step_back`` marks a day whose decision
    was a step back; ``red_flag`` a day with a red flag (morning M0 or a stop in session).
    Metrics are raw values (m/s, s); the chart turns them into % of baseline.
    """

    local_date: dt.date
    stage: str = Field(min_length=1, max_length=12)
    vmax_ms: Annotated[float, Field(gt=0, le=12.5)] | None = None
    split_10m_s: Annotated[float, Field(ge=1.4, le=10)] | None = None
    split_30m_s: Annotated[float, Field(ge=3.0, le=20)] | None = None
    session_pain_max: Score0to10 | None = None
    morning_test_pain: Score0to10 | None = None
    red_flag: bool = False
    step_back: bool = False


def day_point_from_record(
    record: DayRecord, *, stage: str, decision: DecisionKind | None = None
) -> DayPoint:
    """Turn one stored day (and the stage it started in, and its decision) into a chart point.

    A red flag is a morning M0 flag or a ``stop`` decision (which a sharp pain or pop in
    session also leads to); a step-back is a ``step_back`` decision.
    """
    metrics = record.session.metrics if record.session else Metrics()
    morning = record.morning
    return DayPoint(
        local_date=record.date,
        stage=stage,
        vmax_ms=metrics.vmax_ms,
        split_10m_s=metrics.split_10m_s,
        split_30m_s=metrics.split_30m_s,
        session_pain_max=record.session.pain_max if record.session else None,
        morning_test_pain=morning.pain_test if morning else None,
        red_flag=bool(morning and morning.red_flags) or decision == "stop",
        step_back=decision == "step_back",
    )


class StageTarget(_Input):
    """The speed the current stage's exit criterion asks for, drawn as a horizontal line.

    ``pct_of_baseline`` is the criterion's own threshold (never a value converted from
    another criterion); ``label`` is the criterion in the words the PDF and ``/status`` use;
    ``met`` whether the engine counts it as met now (None: not known).
    """

    stage: str = Field(min_length=1, max_length=12, description="the stage this target opens")
    pct_of_baseline: Annotated[float, Field(gt=0, le=130)]
    label: str | None = Field(default=None, max_length=200)
    stage_label: str | None = Field(
        default=None, max_length=80, description="the stage it opens, in the reader's words"
    )
    met: bool | None = None


class StagePeriod(_Input):
    """A stretch of days in one stage, from the stage history: its first local day, and its
    name on the chart (``label`` when the band is wide, ``short`` when narrow)."""

    stage: str = Field(min_length=1, max_length=12)
    first_date: dt.date
    label: str = Field(min_length=1, max_length=40)
    short: str = Field(min_length=1, max_length=12)


class ProgressData(_Input):
    """Everything the athlete progress chart is drawn from."""

    athlete_name: str = Field(min_length=1, max_length=80)
    # The athlete's number: the chart's title names them by it when its font can draw none
    # of the name (CJK ideographs, emoji).
    athlete_id: int | None = None
    injury: Injury
    timezone: str = "UTC"
    baseline: Metrics = Field(default_factory=Metrics)
    points: list[DayPoint] = Field(default_factory=list)
    target: StageTarget | None = None
    current_stage: str | None = Field(
        default=None, max_length=12, description="the stage now (after today's decision)"
    )
    today: dt.date | None = Field(
        default=None, description="athlete's local date; extends the x axis to show recent gaps"
    )
    audience: Audience = "athlete"
    stages: list[StagePeriod] = Field(
        default_factory=list,
        description="the stage history as periods, oldest first; empty: bands from the points",
    )
    current_stage_label: str | None = Field(default=None, max_length=80)
    still_needed: list[Annotated[str, Field(min_length=1, max_length=160)]] = Field(
        default_factory=list, description="what else the current stage needs, in words"
    )

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        return _check_timezone(value)

    @field_validator("stages")
    @classmethod
    def _stages_in_order(cls, stages: list[StagePeriod]) -> list[StagePeriod]:
        for before, after in itertools.pairwise(stages):
            if after.first_date <= before.first_date:
                raise ValueError(
                    f"stage periods out of order ({before.stage} from {before.first_date}, "
                    f"then {after.stage} from {after.first_date}): expected oldest first"
                )
        return stages

    @field_validator("points")
    @classmethod
    def _sorted_unique(cls, points: list[DayPoint]) -> list[DayPoint]:
        ordered = sorted(points, key=lambda p: p.local_date)
        for before, after in itertools.pairwise(ordered):
            if before.local_date == after.local_date:
                raise ValueError(
                    f"two chart points for {after.local_date}: expected one point per day"
                )
        return ordered

    @model_validator(mode="after")
    def _not_before_injury(self) -> ProgressData:
        if self.points and self.points[0].local_date < self.injury.injury_date:
            raise ValueError(
                f"a chart point on {self.points[0].local_date} is before the injury date "
                f"{self.injury.injury_date}: expected dates on or after the injury"
            )
        if self.today is not None and self.today < self.injury.injury_date:
            raise ValueError(
                f"today ({self.today}) is before the injury date {self.injury.injury_date}"
            )
        return self


# ---------------------------------------------------------------------------------------------
# Clinician report
# ---------------------------------------------------------------------------------------------


class StageEntry(_Input):
    """One stage change: which stage, when it started, who moved the athlete and why (words)."""

    stage: str = Field(min_length=1, max_length=12)
    stage_label: str | None = Field(default=None, max_length=80)
    entered: dt.date
    at: dt.datetime | None = Field(default=None, description="when the move was recorded")
    moved_by: str = Field(min_length=1, max_length=60, description="the clinician's name or rules")
    reason: str = Field(default="", max_length=300)

    @field_validator("at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        return None if value is None else _check_aware(value, "a stage move time")


class CriterionRow(_Input):
    """One item of what the current stage needs: what was seen against what is needed."""

    name: str = Field(min_length=1, max_length=160)
    observed: str = Field(default="—", max_length=80)
    needed: str = Field(default="", max_length=200)
    met: bool


class MetricRow(_Input):
    """One metric against the pre-injury baseline."""

    name: str = Field(min_length=1, max_length=60)
    unit: str = Field(default="", max_length=12)
    baseline: float | None = None
    latest: float | None = None
    latest_date: dt.date | None = None
    higher_is_better: bool = True


class AlertRow(_Input):
    """An alert raised to the clinician and what became of it."""

    at: dt.datetime
    severity: Severity
    text: str = Field(min_length=1, max_length=400)
    acknowledged_by: str | None = Field(default=None, max_length=60)
    acknowledged_at: dt.datetime | None = None
    action: str | None = Field(default=None, max_length=300)

    @field_validator("at", "acknowledged_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        return None if value is None else _check_aware(value, "an alert time")


class RecordRow(_Input):
    """One thing a clinician recorded: when, what (in words), who, and the reason or note."""

    at: dt.datetime
    action: str = Field(min_length=1, max_length=120)
    by: str = Field(min_length=1, max_length=60)
    # The reason or note whole, however long: the record is never cut (the PDF continues a
    # long note on further rows).
    text: str | None = None

    @field_validator("at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return _check_aware(value, "a record time")


class BaselineChange(_Input):
    """A change of the pre-injury baseline after it was first recorded (the athlete's
    /baseline): when, each value changed in words ("Vmax: 9 m/s → 8.5 m/s"), and whether it
    made the speed criteria easier to meet (a lower Vmax, a slower split)."""

    at: dt.datetime
    changes: list[Annotated[str, Field(min_length=1, max_length=120)]] = Field(min_length=1)
    easier: bool = False

    @field_validator("at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return _check_aware(value, "a baseline change time")


class TrendSummary(_Input):
    """Pain and readiness over the recent days, in words next to the chart."""

    days: Annotated[int, Field(ge=0, le=366)] = 14
    since: dt.date | None = Field(
        default=None, description="first day counted (never before enrolment)"
    )
    readiness: dict[Readiness | Literal["missing"], Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict
    )
    mean_test_pain_last7: Annotated[float, Field(ge=0, le=10)] | None = None
    mean_test_pain_prev7: Annotated[float, Field(ge=0, le=10)] | None = None
    max_session_pain_last7: Score0to10 | None = None


class ReportData(_Input):
    """Everything the clinician PDF report is built from."""

    # As long as a stored name may be (a Telegram first and last name fit whole).
    athlete_name: str = Field(min_length=1, max_length=200)
    athlete_ref: str | None = Field(default=None, max_length=60, description="e.g. @handle")
    clinician_name: str | None = Field(default=None, max_length=60)
    injury: Injury
    timezone: str = Field(default="UTC", description="the reader's zone: times are shown in it")
    protocol_name: str = Field(min_length=1, max_length=160)
    protocol_version: str = Field(min_length=1, max_length=30)
    current_stage: str | None = Field(default=None, max_length=12)
    current_stage_label: str | None = Field(default=None, max_length=80)
    enrolled: dt.date | None = None
    timeline: list[StageEntry] = Field(default_factory=list)
    criteria_stage: str | None = Field(default=None, max_length=12)
    criteria_stage_label: str | None = Field(default=None, max_length=80)
    criteria: list[CriterionRow] = Field(default_factory=list)
    criteria_note: str | None = Field(default=None, max_length=300)
    # Why no exit criteria can be shown, in words (the athlete's stage is not in the protocol
    # version the programme runs on, or that version cannot be read): said in place of the
    # criteria of another stage. None: the criteria are shown.
    criteria_unavailable: str | None = Field(default=None, max_length=300)
    still_needed: list[Annotated[str, Field(min_length=1, max_length=160)]] = Field(
        default_factory=list, description="what the stage still needs, in words"
    )
    metrics: list[MetricRow] = Field(default_factory=list)
    # Every change of the baseline after it was first recorded, oldest first: the metrics
    # are read against the newest one.
    baseline_changes: list[BaselineChange] = Field(default_factory=list)
    trend: TrendSummary | None = None
    alerts: list[AlertRow] = Field(default_factory=list)
    # How many alerts the athlete has in all, when ``alerts`` holds only some of them (every
    # open one and the newest handled ones); None: ``alerts`` is all of them.
    alerts_total: Annotated[int, Field(ge=0)] | None = None
    record: list[RecordRow] = Field(default_factory=list)
    generated_at: dt.datetime
    # The athlete's own date when the report was made: "day N" since the injury counts to it,
    # whatever the reader's zone (None: the reader's date).
    athlete_today: dt.date | None = None
    # Who reads it: a clinician (or an admin), or the athlete their own report, whose every
    # text is in the athlete's words (no stage code, rule id or clinician's term).
    audience: Audience = "clinician"

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        return _check_timezone(value)

    @field_validator("generated_at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return _check_aware(value, "generated_at")


# ---------------------------------------------------------------------------------------------
# Weekly digest
# ---------------------------------------------------------------------------------------------


class OpenAlert(_Input):
    """An alert not yet acknowledged, as listed in the digest."""

    severity: Severity
    text: str = Field(min_length=1, max_length=400)
    raised_at: dt.datetime
    # The rule that raised it: the digest words the alert from it in the reader's language.
    rule: str = ""
    # The record's local date (the day the alert is about), when it has one.
    local_date: dt.date | None = None

    @field_validator("raised_at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return _check_aware(value, "an alert time")


class DigestAthleteWeek(_Input):
    """One linked athlete's past week as the clinician's Monday digest shows it."""

    athlete_id: int
    athlete_name: str = Field(min_length=1, max_length=80)
    stage_start: str | None = Field(default=None, max_length=12)
    stage_end: str | None = Field(default=None, max_length=12)
    # The same stages as a clinician reads them ("H2 · Return to running"), when known.
    stage_start_label: str | None = Field(default=None, max_length=120)
    stage_end_label: str | None = Field(default=None, max_length=120)
    step_backs: Annotated[int, Field(ge=0)] = 0
    red_flags: Annotated[int, Field(ge=0)] = 0
    sessions_done: Annotated[int, Field(ge=0, le=50)] = 0
    sessions_planned: Annotated[int, Field(ge=0, le=50)] | None = None
    mean_test_pain: Annotated[float, Field(ge=0, le=10)] | None = None
    mean_test_pain_prev: Annotated[float, Field(ge=0, le=10)] | None = None
    max_session_pain: Score0to10 | None = None
    open_alerts: list[OpenAlert] = Field(default_factory=list)
    # The athlete's protocol, to word the alerts (stage names, sign-off notes, criteria) in the
    # reader's language; None: stage ids are shown as they are. Not part of the data's dump.
    protocol: Any = Field(default=None, exclude=True, repr=False)
    missed_checkins: Annotated[int, Field(ge=0, le=7)] = 0
    signoff_pending: bool = False
    paused: bool = False


class DigestData(_Input):
    """The clinician's weekly digest: who it is for, which week, and every linked athlete."""

    clinician_name: str = Field(min_length=1, max_length=60)
    timezone: str = "UTC"
    week_start: dt.date
    week_end: dt.date
    athletes: list[DigestAthleteWeek] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        return _check_timezone(value)

    @model_validator(mode="after")
    def _week_order(self) -> DigestData:
        if self.week_end < self.week_start:
            raise ValueError(
                f"week_end {self.week_end} is before week_start {self.week_start}: "
                "expected the first and last local date of the week"
            )
        return self
