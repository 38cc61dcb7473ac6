"""The protocol schema: a protocol YAML file, once loaded, is validated into a ``Protocol``.

Parsing is pure (the caller reads the file). Every problem is reported as
``<source>: <path>: <what is wrong and what is expected>``, with stage indexes replaced by
stage ids (``stages[H3].exit_criteria[2].threshold``), and never as a traceback.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from engine.items import ALL_ITEMS, ItemSpec
from engine.models import RED_FLAGS, InjuryType, Mechanism, Muscle

Evidence = Literal["V", "S", "U"]
Op = Literal["le", "lt", "ge", "gt", "eq"]
DrillKind = Literal["run", "accel", "cod", "strength", "plyo", "mobility", "walk", "bike", "sport"]
Signoff = Literal["required", "recommended", "none"]
TriggerAction = Literal["step_back", "hold", "escalate"]

OP_TEXT: dict[str, str] = {"le": "≤", "lt": "<", "ge": "≥", "gt": ">", "eq": "="}
# Validation context key: parse_protocol checks the safety floors itself, after the fields,
# so it can report them with their paths.
_FLOORS_LATER = "floors_later"


class ProtocolError(Exception):
    """A protocol file that does not validate; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Sourced(_Model):
    evidence: Evidence
    source: str = Field(min_length=1)
    note: str | None = None


class PainTh(_Sourced):
    """A pain / symptom threshold on the 0–10 scale."""

    value: Annotated[int, Field(ge=0, le=10)]


class DeltaTh(_Sourced):
    """A rise in points on a 0–10 scale against the athlete's baseline."""

    value: Annotated[int, Field(ge=1, le=10)]


def _not_fraction(value: float) -> float:
    """Refuse a share written as a fraction (0.95 for 95 %): percentages are 0–100."""
    if 0 < value <= 1:
        whole = round(value * 100, 4)
        raise ValueError(
            f"{value:g} looks like a fraction: write {whole:g} for {whole:g} %, not {value:g}"
        )
    return value


def _pct_of_vmax(value: float) -> float:
    """A % of Vmax: 0–100, never a fraction."""
    if not 0 <= value <= 100:
        raise ValueError(f"{value:g} is not a % of Vmax: expected 0–100")
    return _not_fraction(value)


def _share(value: float) -> float:
    """A share in % (completed reps, an offset, a fraction of a time): 0–100."""
    if not 0 <= value <= 100:
        raise ValueError(f"{value:g} is more than the whole: expected a percentage of 0–100")
    return _not_fraction(value)


def _rest_from(value: float) -> float:
    """Where a rest rule starts, in % of Vmax; 1 means any run, so only (0, 1) is a fraction."""
    if not 0 <= value <= 100:
        raise ValueError(f"{value:g} is not a % of Vmax: expected 0–100 (1 for any run)")
    if 0 < value < 1:
        whole = round(value * 100, 4)
        raise ValueError(
            f"{value:g} looks like a fraction: write {whole:g} for {whole:g} %, not {value:g} "
            "(1 means any run)"
        )
    return value


VmaxPct = Annotated[float, AfterValidator(_pct_of_vmax)]
SharePct = Annotated[float, AfterValidator(_share)]


class PctTh(_Sourced):
    """A percentage of Vmax (0–100; 95 for 95 %, never 0.95)."""

    value: VmaxPct


class ShareTh(_Sourced):
    """A share in % (0–100): completed reps, an offset in points of %, a fraction of a time."""

    value: SharePct


class PointsTh(_Sourced):
    """Points on a 0–10 scale (a week-on-week rise of a symptom's mean)."""

    value: Annotated[float, Field(ge=0, le=10)]


class HoursTh(_Sourced):
    """A duration in hours (rest intervals)."""

    value: Annotated[int, Field(ge=0, le=336)]


class DaysTh(_Sourced):
    """A duration in days."""

    value: Annotated[int, Field(ge=0, le=365)]


class CountTh(_Sourced):
    """A count (sessions, mornings, entries)."""

    value: Annotated[int, Field(ge=0, le=100)]


class HooperItemTh(_Sourced):
    """One Hooper item, 1–7."""

    value: Annotated[int, Field(ge=1, le=7)]


class HooperIndexTh(_Sourced):
    """The Hooper Index, 4–28."""

    value: Annotated[int, Field(ge=4, le=28)]


class ZTh(_Sourced):
    """A z-score against the athlete's own history."""

    value: Annotated[float, Field(gt=0, le=5)]


class SleepTh(_Sourced):
    """Hours slept."""

    value: Annotated[float, Field(ge=0, le=16)]


class Criterion(_Model):
    """One named condition on a data-dictionary item, e.g. ``checks.walk_pain le 2``.

    ``count``: the last ``count`` observations of the item must all satisfy it (an observation
    that fails resets the count). ``at_pct_vmax`` / ``pain_max`` restrict session observations
    to sessions at least that fast / with at most that much pain.
    """

    id: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1)
    item: str
    op: Op
    threshold: float | bool
    count: Annotated[int, Field(ge=1, le=20)] = 1
    at_pct_vmax: VmaxPct | None = None
    pain_max: Annotated[int, Field(ge=0, le=10)] | None = None
    evidence: Evidence
    source: str = Field(min_length=1)
    note: str | None = None

    @field_validator("item")
    @classmethod
    def _known_item(cls, item: str) -> str:
        if item not in ALL_ITEMS:
            raise ValueError(
                f"unknown item {_quoted(item)}: expected a data-dictionary name such as "
                "'checks.walk_pain', 'morning.pain_test', 'metrics.vmax_ms' or a derived name "
                "(see docs/protocols.md)"
            )
        return item

    @field_validator("threshold")
    @classmethod
    def _threshold_in_range(cls, threshold: float | bool, info: ValidationInfo) -> float | bool:
        item = info.data.get("item")
        op = info.data.get("op")
        spec = ALL_ITEMS.get(item) if isinstance(item, str) else None
        if spec is not None and isinstance(op, str):
            _check_threshold(spec, str(item), op, threshold)
        return threshold

    def describe(self) -> str:
        """Return the condition as text, e.g. ``checks.walk_pain ≤ 2 (2×)``."""
        extra = f" on {self.count} observations" if self.count > 1 else ""
        return f"{self.item} {OP_TEXT[self.op]} {_fmt(self.threshold)}{extra}"


def _fmt(v: float | bool) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    return f"{v:g}"


def _check_threshold(spec: ItemSpec, item: str, op: str, threshold: float | bool) -> None:
    if spec.kind == "bool":
        if not isinstance(threshold, bool) or op != "eq":
            raise ValueError(f"{item} is yes/no: expected op 'eq' with threshold true or false")
        return
    if isinstance(threshold, bool):
        raise ValueError(f"{item} is a number: expected a numeric threshold, not {threshold}")
    if not spec.lo <= threshold <= spec.hi:
        raise ValueError(
            f"threshold {threshold:g} out of range for {item}: expected {spec.lo:g}–{spec.hi:g}"
        )


class Trigger(Criterion):
    """A regression trigger: when it fires, ``action`` applies (step back, hold, escalate)."""

    action: TriggerAction = "step_back"
    notify: Literal["same_day", "within_24h", "info"] | None = None


class Drill(_Model):
    """One block of a session template."""

    name: str = Field(min_length=1)
    kind: DrillKind
    sets: Annotated[int, Field(ge=1, le=20)] | None = None
    reps: tuple[int, int] | None = None
    distance_m: Annotated[float, Field(gt=0, le=400)] | None = None
    timed_m: Annotated[float, Field(gt=0, le=400)] | None = None
    pct_vmax: tuple[float, float] | None = None
    duration_min: tuple[int, int] | None = None
    recovery: str | None = None
    note: str | None = None

    @field_validator("pct_vmax")
    @classmethod
    def _pct_not_fraction(cls, pct: tuple[float, float] | None) -> tuple[float, float] | None:
        for value in pct or ():
            _not_fraction(value)  # the range itself is checked with the pair (_ranges)
        return pct

    @model_validator(mode="after")
    def _ranges(self) -> Drill:
        for name in ("reps", "pct_vmax", "duration_min"):
            rng = getattr(self, name)
            if rng is not None and not 0 <= rng[0] <= rng[1]:
                raise ValueError(f"{name} must be [low, high] with 0 ≤ low ≤ high")
        if self.pct_vmax is not None and self.pct_vmax[1] > 100:
            raise ValueError("pct_vmax out of range: expected values within 0–100 % of Vmax")
        if self.kind in ("run", "accel") and self.pct_vmax is None:
            raise ValueError(f"a '{self.kind}' drill needs pct_vmax: [low, high]")
        return self

    @property
    def is_running(self) -> bool:
        """Whether this drill is running (counts as a running exposure)."""
        return self.kind in ("run", "accel", "cod", "sport")


class RestRule(_Sourced):
    """Hours of rest needed before the next session at or above ``applies_from_pct_vmax``."""

    value: Annotated[int, Field(ge=0, le=336)]
    applies_from_pct_vmax: Annotated[float, AfterValidator(_rest_from)]


class MinSessions(_Sourced):
    """Minimum sessions in a stage (only those at or above ``at_pct_vmax`` count, if set)."""

    value: Annotated[int, Field(ge=0, le=50)]
    at_pct_vmax: VmaxPct | None = None


class Stage(_Model):
    """One stage of a staged programme."""

    id: str = Field(pattern=r"^[A-Z][0-9]{1,2}$")
    name: str = Field(min_length=1)
    goal: str = Field(min_length=1)
    top_pct_vmax: VmaxPct = 0
    session: list[Drill]
    surface: str = "—"
    rest: RestRule | list[RestRule] | None = None
    min_days: DaysTh
    min_sessions: MinSessions
    symptom_free_days: DaysTh | None = None
    exit_criteria: list[Criterion] = Field(default_factory=list)
    regression_triggers: list[Trigger] = Field(default_factory=list)
    signoff: Signoff = "none"
    signoff_note: str | None = None
    step_back_to: str | None = None
    notes: str | None = None

    @property
    def running(self) -> bool:
        """Whether the stage's template includes running."""
        return any(d.is_running for d in self.session)

    @property
    def rest_rules(self) -> tuple[RestRule, ...]:
        """The stage's rest rules as written (one, several or none)."""
        if self.rest is None:
            return ()
        return tuple(self.rest) if isinstance(self.rest, list) else (self.rest,)


class PainRules(_Model):
    """Global pain rules (reference §2.2 / §3.2)."""

    running_below_hv_max: PainTh
    running_hv_max: PainTh
    strength_max: PainTh
    strength_max_threshold_mode: PainTh
    hv_pct_vmax: PctTh
    max_pct_vmax: PctTh
    perceived_effort_offset_pct: ShareTh


class MorningRules(_Model):
    """Morning verdict thresholds (reference §4.1)."""

    stop_pain_rest_min: PainTh
    rest_pain_rest_min: PainTh
    rest_pain_test_min: PainTh
    rest_pain_test_delta: DeltaTh
    rest_tightness_delta: DeltaTh
    modify_pain_test_min: PainTh
    modify_pain_test_delta: DeltaTh
    modify_tightness_delta: DeltaTh
    hooper_z_heavy: ZTh
    hooper_item_heavy: HooperItemTh
    sleep_heavy_below: SleepTh
    hooper_fallback_heavy: HooperIndexTh
    hooper_z_light: ZTh
    sleep_light_below: SleepTh
    hooper_fallback_light: HooperIndexTh
    confidence_low_max: PainTh
    hooper_min_entries: CountTh
    hooper_window_days: DaysTh
    baseline_green_mornings: CountTh
    # The highest tightness a clinician may accept as usual for an athlete (``/usual``: the
    # engine then reads it as the trusted tightness baseline, engine.programme.symptom_baseline).
    # The reference has no such rule. None: the protocol allows no accepted usual.
    usual_tightness_max: PainTh | None = None

    @model_validator(mode="after")
    def _usual_leaves_a_rest(self) -> MorningRules:
        usual = self.usual_tightness_max
        if usual is not None and usual.value + self.rest_tightness_delta.value > 10:
            raise ValueError(
                f"usual_tightness_max {usual.value} leaves no rest morning: a rise of "
                f"rest_tightness_delta ({self.rest_tightness_delta.value}) over it must stay "
                "within 10/10"
            )
        return self


class SessionRules(_Model):
    """Post-session classification thresholds (reference §4.2)."""

    red_pain_min: PainTh
    red_pain_1h_min: PainTh
    amber_pain_min: PainTh
    green_tightness_delta_max: PainTh
    min_completed_pct: ShareTh
    low_confidence_max: PainTh
    low_confidence_sessions: CountTh


class NextMorningRules(_Model):
    """The 24-hour rule (reference §4.3)."""

    hold_delta: DeltaTh
    step_back_delta: DeltaTh
    step_back_pain_test_min: PainTh
    week_rise_points: PointsTh


class EscalationRules(_Model):
    """When the clinician is asked to review (reference §4.1, §4.4, §5 tier 3)."""

    rest_mornings_step_back: CountTh
    rest_mornings_clinician: CountTh
    step_backs_count: CountTh
    step_backs_window_days: DaysTh
    no_progress_days: DaysTh
    red_repeat_days: DaysTh
    low_confidence_days: CountTh
    missed_days_alert: CountTh
    reentry_green_sessions: CountTh
    early_signoff_fraction: ShareTh


class Tier(_Model):
    """What a red-flag tier means: alert severity and what the athlete is told."""

    severity: Literal["emergency", "same_day", "within_24h"]
    instruction: str = Field(min_length=1)
    # What the athlete is told when the morning check-in raises the tier, before any session
    # (the instruction may speak of "this session"); the instruction when not given.
    morning_instruction: str | None = Field(default=None, min_length=1)
    evidence: Evidence
    source: str = Field(min_length=1)


class RedFlagRules(_Model):
    """Red-flag codes mapped to tiers 1–3 (reference §5)."""

    codes: dict[str, Literal[1, 2, 3]]
    sharp_pain_tier: Literal[1, 2, 3]
    pain_rest_tier: Literal[1, 2, 3]
    # Severe pain is at least a same-day red flag (tier 2), whatever the other tiers say.
    severe_pain_rest_min: PainTh = PainTh(
        value=8, evidence="U", source="Reference §5: severe pain at rest, same-day assessment"
    )
    severe_session_pain_min: PainTh = PainTh(
        value=7, evidence="U", source="Reference §5: severe pain in a session, same-day assessment"
    )
    tiers: dict[Annotated[int, Field(ge=1, le=3)], Tier]

    @model_validator(mode="after")
    def _codes_known(self) -> RedFlagRules:
        unknown = sorted(set(self.codes) - set(RED_FLAGS))
        if unknown:
            raise ValueError(
                f"unknown red-flag code(s) {unknown}: expected codes from {list(RED_FLAGS)}"
            )
        missing = sorted(set(RED_FLAGS) - set(self.codes))
        if missing:
            raise ValueError(f"red-flag code(s) {missing} have no tier: every code needs one")
        if set(self.tiers) != {1, 2, 3}:
            raise ValueError("tiers must define 1, 2 and 3")
        # Safety floor: a protocol may be stricter, never laxer, than the reference's tiers.
        if self.tiers[1].severity != "emergency":
            raise ValueError("tier 1 must have severity 'emergency' (reference §5)")
        if self.tiers[2].severity == "within_24h":
            raise ValueError("tier 2 must be 'same_day' or 'emergency' (reference §5)")
        for text in (self.tiers[1].instruction, self.tiers[1].morning_instruction):
            if text is not None and "112 / 911 / 999 / 000" not in " ".join(text.split()):
                raise ValueError(
                    "the tier 1 instruction (and morning_instruction) must tell the athlete to "
                    "call their local emergency number: include '112 / 911 / 999 / 000'"
                )
        return self


class GlobalRules(_Model):
    """Rules that apply in every stage."""

    pain: PainRules
    morning: MorningRules
    session: SessionRules
    next_morning: NextMorningRules
    escalation: EscalationRules
    red_flags: RedFlagRules


class Protocol(_Model):
    """A staged return-to-sprint protocol."""

    name: str = Field(min_length=1)
    injury: InjuryType
    version: int = 1
    title: str = ""
    disclaimer: str = ""
    full_training_stage: str
    expected_rtp_days: dict[int, int] = Field(default_factory=dict)
    # Expected days by muscle (calf, reference §3.1: soleus 25, gastrocnemius 19); an unknown
    # muscle counts as ``default_muscle``. The longer of the grade's and the muscle's time is
    # used for the early sign-off rule (the more cautious reading).
    expected_rtp_days_by_muscle: dict[Muscle, int] = Field(default_factory=dict)
    default_muscle: Muscle | None = None
    max_default_grade: Annotated[int, Field(ge=0, le=4)] | None = None
    # Mechanisms the default protocol is not meant for (reference §2.1: stretching-type
    # hamstring injuries): the clinician is alerted at the start, as for a grade above the max.
    not_default_mechanisms: list[Mechanism] = Field(default_factory=list)
    early_signoff_stage: str | None = None
    # A stop in a later stage moves the athlete back to this one (default: the reference's).
    reinjury_stage: str | None = None
    stages: list[Stage] = Field(min_length=1)
    rules: GlobalRules
    notes: str | None = None

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Protocol:
        problems = reference_problems(protocol_to_data(self))
        if not (isinstance(info.context, dict) and info.context.get(_FLOORS_LATER)):
            problems += floor_problems(self)
        if problems:
            raise ValueError("; ".join(f"{path}: {msg}" for path, msg in problems))
        return self

    def stage(self, stage_id: str) -> Stage:
        """Return the stage with this id (KeyError if absent)."""
        return self.stages[_stage_index(self)[stage_id]]

    def index(self, stage_id: str) -> int:
        """Return the position of a stage in the programme (KeyError if absent)."""
        return _stage_index(self)[stage_id]

    def next_stage(self, stage_id: str) -> str | None:
        """Return the id of the stage after this one, or None for the last stage."""
        i = self.index(stage_id)
        return self.stages[i + 1].id if i + 1 < len(self.stages) else None

    def previous_stage(self, stage_id: str) -> str:
        """Return the stage a step back leads to (``step_back_to`` or the one before)."""
        s = self.stage(stage_id)
        if s.step_back_to is not None:
            return s.step_back_to
        i = self.index(stage_id)
        return self.stages[max(i - 1, 0)].id


_INDEX: dict[int, tuple[Protocol, dict[str, int]]] = {}


def _stage_index(protocol: Protocol) -> dict[str, int]:
    """Stage id → position, memoised per (immutable) protocol object."""
    hit = _INDEX.get(id(protocol))
    if hit is not None and hit[0] is protocol:
        return hit[1]
    index = {s.id: i for i, s in enumerate(protocol.stages)}
    if len(_INDEX) > 256:
        _INDEX.clear()
    _INDEX[id(protocol)] = (protocol, index)
    return index


def reference_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (path, problem) for duplicate ids and references to stages that do not exist.

    Only well-typed values are checked here; a wrong type is reported by the schema itself.
    """
    stages = data.get("stages")
    if not isinstance(stages, list):
        return []
    dicts = [s for s in stages if isinstance(s, dict)]
    ids = [s["id"] for s in dicts if isinstance(s.get("id"), str)]
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for sid in ids:
        if sid in seen:
            problems.append(
                (f"stages[{sid}].id", f"duplicate stage id {_quoted(sid)}: ids must be unique")
            )
        seen.add(sid)
    for ref_name in ("full_training_stage", "early_signoff_stage", "reinjury_stage"):
        ref = data.get(ref_name)
        if isinstance(ref, str) and ref not in seen:
            problems.append(
                (
                    ref_name,
                    f"{_quoted(ref)} is not a stage of this protocol: {_one_of(ids, 'stage')}",
                )
            )
    for s in dicts:
        sid = str(s.get("id"))
        ref = s.get("step_back_to")
        if isinstance(ref, str):
            if ref not in seen:
                problems.append(
                    (
                        f"stages[{sid}].step_back_to",
                        f"{_quoted(ref)} is not a stage: {_one_of(ids, 'stage')}",
                    )
                )
            elif sid in seen and ids.index(ref) >= ids.index(sid):
                problems.append(
                    (
                        f"stages[{sid}].step_back_to",
                        f"{_quoted(ref)} must be an earlier stage than {sid}",
                    )
                )
        crit: list[str] = []
        for key in ("exit_criteria", "regression_triggers"):
            items = s.get(key)
            for j, c in enumerate(items if isinstance(items, list) else []):
                cid = c.get("id") if isinstance(c, dict) else None
                if not isinstance(cid, str):
                    continue
                if cid in crit:
                    problems.append(
                        (
                            f"stages[{sid}].{key}[{j}].id",
                            f"duplicate criterion id {_quoted(cid)} in stage {sid}",
                        )
                    )
                crit.append(cid)
    return problems


def floor_problems(protocol: Protocol) -> list[tuple[str, str]]:
    """Return (path, problem) for every value looser than the reference (``engine.floors``)."""
    from engine.floors import floor_problems as problems  # floors reads the typed protocol

    return problems(protocol)


def _path(loc: tuple[int | str, ...], data: object) -> str:
    """Render a pydantic error location, replacing stage indexes with stage ids."""
    out = ""
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            label: str = str(part)
            if isinstance(node, list) and 0 <= part < len(node):
                item = node[part]
                if out.endswith("stages") and isinstance(item, dict) and "id" in item:
                    label = str(item["id"])
                node = item
            else:
                node = None
            out += f"[{label}]"
        else:
            if part in ("function-after", "tagged-union") or part.startswith("function-"):
                continue
            if part == "[key]" or (
                not (isinstance(node, dict) and part in node) and _UNION_LABEL.fullmatch(part)
            ):
                continue  # which member of a union failed, or a dict key: not a field
            out += ("." if out else "") + part
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"


# Pydantic names the member of a union in an error's location ("RestRule", "list[RestRule]",
# "float", "bool"); fields are snake_case, so these never name one.
_UNION_LABEL = re.compile(r"[A-Z]\w*|\w+\[.*\]|float|bool|int|str|none")


def _message(err: dict[str, Any], path: str = "") -> str:
    """Say what was wrong with a value and what is expected, in words (no Python types)."""
    kind = str(err.get("type", ""))
    msg = str(err.get("msg", ""))
    ctx: dict[str, Any] = err.get("ctx") or {}
    value = err.get("input")
    loc = tuple(err.get("loc", ()))
    key = f"the key {_quoted(loc[-2])}: " if len(loc) > 1 and loc[-1] == "[key]" else ""
    got = _shown(value)
    if kind == "extra_forbidden":
        return "unknown key: not part of the protocol schema (check the spelling)"
    if kind == "missing":
        return "missing: this field is required"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        model = globals().get(str(ctx.get("class_name", "")))
        fields = _fields(model) if isinstance(model, type) else []
        if not fields:
            return f"{key}expected a group of keys and values, not {got}"
        hint = ""
        if "value" in fields and not isinstance(value, (dict, list)) and path:
            field = path.rsplit(".", 1)[-1]
            hint = f": to change the number alone, set {_quoted(field + '.value')}"
        return f"expected a group of fields ({_listed(fields)}), not {got}{hint}"
    if kind == "list_type":
        return f"expected a list ([...]), not {got}"
    if kind == "tuple_type":
        return f"expected a pair [low, high], not {got}"
    if kind in ("string_type", "str_type"):
        return _text_expected(value)
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{key}expected a whole number, not {got}"
    if kind in ("float_type", "float_parsing"):
        return f"{key}expected a number, not {got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected yes or no (true / false), not {got}"
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length" if kind == "too_short" else "max_length")
        actual = ctx.get("actual_length")
        most = "at least" if kind == "too_short" else "at most"
        items = "item" if bound == 1 else "items"
        return f"expected {most} {bound} {items}, found {actual or 'none'}"
    if kind == "string_too_short":
        return "expected a text, found an empty one"
    if kind == "literal_error":
        return f"{key}expected {ctx.get('expected', 'one of the allowed values')}, not {got}"
    if kind in _BOUNDS:
        words, bound = _BOUNDS[kind]
        return f"{key}expected {words} {_shown(ctx.get(bound))}, not {got}"
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        length = len(value) if isinstance(value, str) else "more"
        return f"{key}expected a text of at most {limit} characters, found {length}"
    if kind == "string_pattern_mismatch":
        form = _PATTERNS.get(str(ctx.get("pattern", "")), "a text of the allowed form")
        return f"{key}expected {form}, not {got}"
    if kind == "multiple_of":
        return f"{key}expected a multiple of {_shown(ctx.get('multiple_of'))}, not {got}"
    if kind == "finite_number":
        return f"{key}expected a number, not {got}"
    raw = msg.removeprefix("Value error, ")
    if raw.startswith("Input should be "):
        # Any other type pydantic names in its own words: as the messages above say it.
        return f"{key}expected {raw.removeprefix('Input should be ')}, not {got}"
    return key + raw


# Pydantic's bound errors: the words for the bound, and where its context holds the number.
_BOUNDS: dict[str, tuple[str, str]] = {
    "greater_than": ("more than", "gt"),
    "greater_than_equal": ("at least", "ge"),
    "less_than": ("less than", "lt"),
    "less_than_equal": ("at most", "le"),
}
# The schema's text patterns, in words (a regular expression is no answer to an admin).
_PATTERNS: dict[str, str] = {
    r"^[A-Z][0-9]{1,2}$": "a stage id: a capital letter and 1 or 2 digits, e.g. H3",
}


def _fields(model: type) -> list[str]:
    """A model's field names for a message: ``value`` first, then required, then optional."""
    fields = getattr(model, "model_fields", {})
    order = sorted(
        enumerate(fields.items()),
        key=lambda f: (f[1][0] != "value", not f[1][1].is_required(), f[0]),
    )
    return [name for _i, (name, _info) in order]


def _shown(value: object) -> str:
    """A value as an admin wrote it (as the YAML reading understood it)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "an empty value"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a group of keys and values"
    return _quoted(value)


def _text_expected(value: object) -> str:
    if isinstance(value, bool):
        read = f"{_shown(value)} was read as a yes/no value"
    elif isinstance(value, dt.date):
        read = f"{value.isoformat()} was read as a date"
    elif isinstance(value, (int, float)):
        read = f"{value:g} was read as a number"
    else:
        return f"expected a text, not {_shown(value)}"
    return f'expected a text, but {read}: put it in quotes, e.g. "{_plain(value)}"'


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def parse_protocol(data: object, *, source: str) -> Protocol:
    """Validate already-loaded protocol data; raise ``ProtocolError`` listing every problem."""
    if not isinstance(data, dict):
        raise ProtocolError([f"{source}: (top level): expected a mapping of protocol fields"])
    try:
        protocol = Protocol.model_validate(data, context={_FLOORS_LATER: True})
    except ValidationError as exc:
        # One line per path: the members of a union (e.g. a number or yes/no) are joined.
        by_path: dict[str, list[str]] = {}
        for err in exc.errors():
            loc = tuple(err["loc"])
            if not loc:
                continue  # model-level reference problems: reported with paths below
            path = _path(loc, data)
            said = by_path.setdefault(path, [])
            message = _message(dict(err), path)
            if message not in said:
                said.append(message)
        problems = [f"{source}: {path}: {'; or '.join(msgs)}" for path, msgs in by_path.items()]
        problems += [f"{source}: {path}: {msg}" for path, msg in reference_problems(data)]
        raise ProtocolError(problems) from None
    floors = floor_problems(protocol)
    if floors:
        raise ProtocolError([f"{source}: {path}: {msg}" for path, msg in floors])
    return protocol


def protocol_to_data(protocol: Protocol) -> dict[str, Any]:
    """Return plain data (YAML/JSON-ready) that parses back to the same protocol."""
    data: dict[str, Any] = protocol.model_dump(mode="json", exclude_none=True)
    return data


def set_value(data: dict[str, Any], stage_id: str, field_path: str, value: str) -> dict[str, Any]:
    """Return a copy of protocol ``data`` with one value replaced.

    ``stage_id`` names a stage (or ``rules`` / ``-`` for the top level); ``field_path`` is
    dotted, with ``[i]`` or ``[criterion-id]`` for list items, e.g.
    ``exit_criteria[H3a].threshold`` or ``min_days.value``. ``value`` is parsed as YAML
    (so ``3``, ``2.5``, ``true`` and ``[6, 10]`` become the right types). Raises
    ``ProtocolError`` if the path does not exist. Validate the result with ``parse_protocol``.
    """
    out = copy.deepcopy(data)
    where = f"stages[{stage_id}].{field_path}"
    if stage_id in ("-", "", "protocol"):
        node: Any = out
        where = field_path
    elif stage_id == "rules":
        node = out.get("rules")
        where = f"rules.{field_path}"
    else:
        stages = out.get("stages")
        matches = [s for s in stages or [] if isinstance(s, dict) and s.get("id") == stage_id]
        if not matches:
            ids = [s.get("id") for s in stages or [] if isinstance(s, dict)]
            raise ProtocolError([f"{_quoted(stage_id)}: no such stage: {_one_of(ids, 'stage')}"])
        node = matches[0]
    parts = _split_path(field_path)
    if not parts:
        raise ProtocolError([f"{where}: empty field path"])
    try:
        parsed: Any = yaml.safe_load(value)
    except yaml.YAMLError:
        parsed = value
    for part in parts[:-1]:
        node = _step(node, part, where)
    last = parts[-1]
    if isinstance(node, dict):
        key = _key(node, last)
        if key is None:
            raise ProtocolError(
                [f"{where}: no field {_quoted(last)} here: {_one_of(node, 'field')}"]
            )
        node[key] = parsed
    elif isinstance(node, list):
        idx = _list_index(node, last, where)
        node[idx] = parsed
    else:
        raise ProtocolError([f"{where}: holds a single value, so nothing can be set inside it"])
    return out


def _quoted(value: object) -> str:
    """``value`` in quotes for a message, with invisible characters shown (a zero-width space
    typed after a stage id would otherwise make "H3" look right and still not match)."""
    shown = "".join(c if c.isprintable() else f"<U+{ord(c):04X}>" for c in str(value))
    return f"'{shown}'"


def _listed(values: Any) -> str:
    """``values`` as a comma-separated list for a message (never a Python list)."""
    return ", ".join(str(v) for v in values)


def _one_of(values: Any, what: str) -> str:
    """ "expected one of ..." for a message, or that there is nothing to choose from."""
    shown = _listed(values)
    return f"expected one of {shown}" if shown else f"there is no {what} to choose from here"


def _key(node: dict[Any, Any], part: str) -> Any:
    """The key of ``node`` that path part ``part`` names, or None: a number in a path also
    names an integer key (red-flag tiers 1, 2, 3)."""
    if part in node:
        return part
    if re.fullmatch(r"-?[0-9]+", part) and int(part) in node:
        return int(part)
    return None


def _split_path(path: str) -> list[str]:
    return [p for p in re.split(r"[.\[\]]", path) if p]


def _list_index(node: list[Any], key: str, where: str) -> int:
    if key.isdigit() and int(key) < len(node):
        return int(key)
    for i, item in enumerate(node):
        if isinstance(item, dict) and item.get("id") == key:
            return i
    raise ProtocolError([f"{where}: no list item {_quoted(key)}: expected an index or an item id"])


def _step(node: Any, part: str, where: str) -> Any:
    if isinstance(node, dict):
        key = _key(node, part)
        if key is None:
            raise ProtocolError([f"{where}: no field {_quoted(part)}: {_one_of(node, 'field')}"])
        return node[key]
    if isinstance(node, list):
        return node[_list_index(node, part, where)]
    raise ProtocolError([f"{where}: {_quoted(part)} does not exist"])
