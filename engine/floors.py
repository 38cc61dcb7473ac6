"""Safety floors: what a protocol may never loosen below the clinical reference.

``floor_problems`` returns one ``(path, problem)`` per value that is looser than the reference
(``engine.reference``): red-flag tiers, required sign-offs, stages without exit criteria, pain
thresholds, minimum days and sessions of running stages, symptom-free days, where a stop in
full training leads, the stages themselves and the early sign-off gate. A protocol may be
stricter everywhere.

Stages: every stage of the reference's table (``reference.FLOORS[injury].order``, H0–H7 or
C0–C7) must be in the protocol under its own id (a stage renamed or dropped would escape its
floors and gates), the reference's first stage first, and the reference's stages in the
reference's order (moved, a gate could be skipped). A protocol may add stages of its own
(ids outside the reference's, e.g. ``H8``) between reference stages or after the last one:
an extra stage only adds a step and its criteria; it may not come before the first stage
(the triage and eligibility sign-off comes first).

Early sign-off (reference §2.1; calf by analogy): ``early_signoff_stage`` must be set, may not
be the first stage (never progressed into, so never asked) nor come after the reference's
(H5 / C6); ``expected_rtp_days`` may not be shorter than the reference's for any grade (a
grade left out is stricter: the engine then always asks), ``expected_rtp_days_by_muscle``
must give at least the reference's days for each muscle it names, and ``default_muscle``
must count at least the reference's default (soleus for the calf).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from engine import reference
from engine.items import ALL_ITEMS

if TYPE_CHECKING:
    from engine.schema import Criterion, Drill, Protocol, Stage, Trigger

Problem = tuple[str, str]
_C = TypeVar("_C", bound="Criterion")
_STRICTER = "a protocol may be stricter, never looser"


def floor_problems(protocol: Protocol) -> list[Problem]:
    """Return every place where ``protocol`` is looser than the reference's floor."""
    problems = _rule_problems(protocol) + _red_flag_problems(protocol)
    problems += _reference_stage_problems(protocol)
    last = protocol.stages[-1].id
    for stage in protocol.stages:
        problems += _stage_problems(stage, is_last=stage.id == last)
    problems += _speed_problems(protocol)
    problems += _reference_criteria_problems(protocol)
    # One line per field: the reference's own value is named before the generic rule.
    out: dict[str, str] = {}
    for path, problem in problems:
        out.setdefault(path, problem)
    return list(out.items())


def _rule_problems(protocol: Protocol) -> list[Problem]:
    out: list[Problem] = []
    rules = protocol.rules
    for (section, key), (ref, direction, where) in reference.RULE_FLOORS.items():
        value = getattr(getattr(rules, section), key).value
        looser = value > ref if direction == "max" else value < ref
        if looser:
            bound = "≤" if direction == "max" else "≥"
            out.append(
                (
                    f"rules.{section}.{key}.value",
                    f"{value:g} is looser than the reference ({where}: {ref:g}): "
                    f"expected {bound} {ref:g} ({_STRICTER})",
                )
            )
    mode_max = reference.THRESHOLD_MODE_MAX.get(protocol.injury)
    mode = rules.pain.strength_max_threshold_mode.value
    if mode_max is not None and mode > mode_max:
        out.append(
            (
                "rules.pain.strength_max_threshold_mode.value",
                f"{mode} is looser than the reference (§2.2 / §3.2: {mode_max}): "
                f"expected ≤ {mode_max} ({_STRICTER})",
            )
        )
    return out


def _red_flag_problems(protocol: Protocol) -> list[Problem]:
    out: list[Problem] = []
    flags = protocol.rules.red_flags
    for code, most in reference.CODE_TIERS.items():
        tier = flags.codes.get(code)
        if tier is not None and tier > most:
            out.append(
                (
                    f"rules.red_flags.codes.{code}",
                    f"tier {tier} is below the reference's tier {most} for “{code}” (§5): "
                    f"expected tier {most} or more urgent ({_STRICTER})",
                )
            )
    for key, most in (
        ("sharp_pain_tier", reference.SHARP_PAIN_TIER),
        ("pain_rest_tier", reference.PAIN_REST_TIER),
    ):
        tier = getattr(flags, key)
        if tier > most:
            out.append(
                (
                    f"rules.red_flags.{key}",
                    f"tier {tier} is below the reference's tier {most} (§4.2 / §5): "
                    f"expected tier {most} or more urgent ({_STRICTER})",
                )
            )
    return out


def _stage_problems(stage: Stage, *, is_last: bool) -> list[Problem]:
    out: list[Problem] = []
    where = f"stages[{stage.id}]"
    if not is_last and not stage.exit_criteria:
        out.append(
            (
                f"{where}.exit_criteria",
                "a stage without exit criteria would let athletes through on time alone "
                "(reference P1, §4.4 item 7): expected at least one criterion",
            )
        )
    if stage.running and not is_last:
        for key, value in (
            ("min_days", stage.min_days.value),
            ("min_sessions", stage.min_sessions.value),
        ):
            if value < 1:
                out.append(
                    (
                        f"{where}.{key}.value",
                        f"0 for a running stage: expected at least 1 (reference §2.2 / §3.3; "
                        f"{_STRICTER})",
                    )
                )
    for i, c in enumerate(stage.exit_criteria):
        path = f"{where}.exit_criteria[{i}]"
        out += _pain_criterion(path, c, trigger=False) + _exit_always_met(path, c)
    for i, t in enumerate(stage.regression_triggers):
        path = f"{where}.regression_triggers[{i}]"
        out += _pain_criterion(path, t, trigger=True) + _trigger_never_fires(path, t)
    for i, d in enumerate(stage.session):
        if d.pct_vmax is not None and d.pct_vmax[1] > stage.top_pct_vmax:
            out.append(_drill_over_top(where, stage, i, d))
    return out


def _pain_criterion(path: str, c: Criterion, *, trigger: bool) -> list[Problem]:
    out: list[Problem] = []
    if c.pain_max is not None and c.pain_max > reference.EXIT_PAIN_MAX:
        out.append(
            (
                f"{path}.pain_max",
                f"{c.pain_max} allows more pain than the reference's running limit "
                f"(§2.2: {reference.EXIT_PAIN_MAX}/10): expected ≤ {reference.EXIT_PAIN_MAX}",
            )
        )
    if c.item not in reference.PAIN_ITEMS or isinstance(c.threshold, bool):
        return out
    if not trigger and c.op in ("le", "lt", "eq") and c.threshold > reference.EXIT_PAIN_MAX:
        out.append(
            (
                f"{path}.threshold",
                f"{c.threshold:g} on {c.item} lets an athlete pass with more pain than the "
                f"reference allows (§2.2: ≤ {reference.EXIT_PAIN_MAX}/10): "
                f"expected ≤ {reference.EXIT_PAIN_MAX}",
            )
        )
    if trigger and c.op in ("ge", "gt") and c.threshold > reference.TRIGGER_PAIN_MIN_MAX:
        out.append(
            (
                f"{path}.threshold",
                f"{c.threshold:g} on {c.item} fires later than the reference "
                f"(§2.2 / §3.3: pain ≥ {reference.TRIGGER_PAIN_MIN_MAX}/10 steps back): "
                f"expected ≤ {reference.TRIGGER_PAIN_MIN_MAX}",
            )
        )
    return out


def _reference_stage_problems(protocol: Protocol) -> list[Problem]:
    floor = reference.FLOORS.get(protocol.injury)
    if floor is None:
        return []
    out = _order_problems(protocol, floor) + _early_signoff_problems(protocol, floor)
    ids = [s.id for s in protocol.stages]
    for sid, need in floor.stages.items():
        if sid not in ids:
            continue  # reported by _order_problems
        stage = protocol.stage(sid)
        where = f"stages[{sid}]"
        if need.signoff_required and stage.signoff != "required":
            out.append(
                (
                    f"{where}.signoff",
                    f"“{stage.signoff}” drops a sign-off the reference marks REQUIRED "
                    f"({need.source}): expected 'required'",
                )
            )
        for key, have, least in (
            ("min_days.value", stage.min_days.value, need.min_days),
            ("min_sessions.value", stage.min_sessions.value, need.min_sessions),
        ):
            if have < least:
                out.append(
                    (
                        f"{where}.{key}",
                        f"{have} is below the reference ({need.source}: {least}): "
                        f"expected ≥ {least} ({_STRICTER})",
                    )
                )
        days = stage.symptom_free_days
        if days is not None and days.value < need.symptom_free_days:
            out.append(
                (
                    f"{where}.symptom_free_days.value",
                    f"{days.value} is below the reference ({need.source}: symptoms 0/10 on "
                    f"{need.symptom_free_days} days): expected ≥ {need.symptom_free_days}",
                )
            )
    if protocol.reinjury_stage in ids and floor.reinjury_stage in ids:
        assert protocol.reinjury_stage is not None
        if protocol.index(protocol.reinjury_stage) > protocol.index(floor.reinjury_stage):
            out.append(
                (
                    "reinjury_stage",
                    f"“{protocol.reinjury_stage}”: a stop in full training must lead back at "
                    f"least to {floor.reinjury_stage} (a new max-sprint re-test): expected "
                    f"{floor.reinjury_stage} or an earlier stage",
                )
            )
    return out


def _order_problems(protocol: Protocol, floor: reference.InjuryFloor) -> list[Problem]:
    """Every reference stage, the first one first, the others in the reference's order."""
    out: list[Problem] = []
    ids = [s.id for s in protocol.stages]
    order = floor.order
    listed = ", ".join(order)
    missing = [sid for sid in order if sid not in ids]
    if missing:
        gates = [sid for sid in missing if (n := floor.stages.get(sid)) and n.signoff_required]
        gate_text = (
            f" ({', '.join(gates)} carr{'ies' if len(gates) == 1 else 'y'} a REQUIRED sign-off)"
            if gates
            else ""
        )
        out.append(
            (
                "stages",
                f"no stage {', '.join(missing)}{gate_text}: every stage of the reference "
                f"({listed}) must be in the protocol, a stage cannot be dropped or renamed "
                f"away: expected stages {listed} in this order",
            )
        )
    if ids and order[0] in ids and ids[0] != order[0]:
        out.append(
            (
                f"stages[{ids[0]}]",
                f"the programme would start at {ids[0]}, before {order[0]} (triage, "
                f"eligibility sign-off): expected {order[0]} as the first stage",
            )
        )
    present = [sid for sid in ids if sid in order]
    for before, after in itertools.pairwise(present):
        if order.index(after) < order.index(before):
            out.append(
                (
                    f"stages[{after}]",
                    f"{after} comes after {before}, against the reference's order ({listed}): "
                    f"a stage and its gates cannot be skipped by moving them: expected {after} "
                    f"before {before}",
                )
            )
    return out


def _early_signoff_problems(protocol: Protocol, floor: reference.InjuryFloor) -> list[Problem]:
    """The early sign-off gate (§2.1) and the expected times it is measured against."""
    out: list[Problem] = []
    ref = floor.early_signoff
    ids = [s.id for s in protocol.stages]
    stage = protocol.early_signoff_stage
    expected = f"expected {ref.stage} or an earlier stage after the first"
    if stage is None:
        out.append(
            (
                "early_signoff_stage",
                f"missing: the reference's early sign-off gate (§2.1: reaching {ref.stage} "
                f"before {_fraction()} % of the expected time needs a clinician's confirmation) "
                f"cannot be switched off: {expected}",
            )
        )
    elif stage in ids:  # a stage that does not exist is reported by the schema
        if protocol.index(stage) == 0:
            out.append(
                (
                    "early_signoff_stage",
                    f"“{stage}” is the first stage, which no athlete progresses into, so the "
                    f"early sign-off (§2.1) would never be asked: {expected}",
                )
            )
        elif ref.stage in ids and protocol.index(stage) > protocol.index(ref.stage):
            out.append(
                (
                    "early_signoff_stage",
                    f"“{stage}” comes after {ref.stage}: the early sign-off (§2.1) would let "
                    f"an athlete reach {ref.stage} early unasked: {expected}",
                )
            )
    for grade, least in ref.rtp_days.items():
        # A grade left out is stricter: without an expected time the engine always asks.
        have = protocol.expected_rtp_days.get(grade)
        if have is not None and have < least:
            out.append(
                (
                    f"expected_rtp_days.{grade}",
                    f"{_days(have)} for grade {grade} is shorter than the reference ({ref.source}: "
                    f"{least} days), so the early sign-off would be asked less: "
                    f"expected ≥ {least} ({_STRICTER})",
                )
            )
    by_muscle = protocol.expected_rtp_days_by_muscle
    for muscle, least in ref.rtp_days_by_muscle.items():
        have = by_muscle.get(muscle)
        if have is None or have < least:
            shown = "missing" if have is None else _days(have)
            out.append(
                (
                    f"expected_rtp_days_by_muscle.{muscle}",
                    f"{shown} for {muscle}: the reference's time ({ref.muscle_source}: {least} "
                    f"days) counts for the early sign-off: expected ≥ {least} ({_STRICTER})",
                )
            )
    # The reference's own default muscle is checked with the muscles above.
    if ref.default_muscle is not None and protocol.default_muscle != ref.default_muscle:
        least = ref.rtp_days_by_muscle[ref.default_muscle]
        default = protocol.default_muscle
        have = by_muscle.get(default, 0) if default is not None else 0
        if have < least:
            out.append(
                (
                    "default_muscle",
                    f"{'missing' if default is None else repr(default)}: when the muscle is "
                    f"unknown the reference counts {ref.default_muscle} ({ref.muscle_source}: "
                    f"{least} days): expected {ref.default_muscle} or a muscle with at least "
                    f"{least} expected days",
                )
            )
    return out


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _fraction() -> str:
    return f"{reference.RULE_FLOORS[('escalation', 'early_signoff_fraction')][0]:g}"


# --- Speed: what a stage may prescribe -------------------------------------------------------


def _drill_over_top(where: str, stage: Stage, i: int, d: Drill) -> Problem:
    assert d.pct_vmax is not None
    lo, hi = d.pct_vmax
    return (
        f"{where}.session[{i}].pct_vmax",
        f"[{lo:g}, {hi:g}] goes above the stage's top_pct_vmax ({stage.top_pct_vmax:g}): "
        f"faster running belongs to a later stage: expected an upper value ≤ "
        f"{stage.top_pct_vmax:g}",
    )


def _speed_problems(protocol: Protocol) -> list[Problem]:
    """Each stage's speeds within the reference's ceiling (§2.2 / §3.3 "Speed / volume").

    A stage a protocol adds gets the ceiling of the reference stage before it: its running
    may not reach a later reference stage's speeds before that stage's gates.
    """
    ceilings = reference.TOP_PCT_VMAX.get(protocol.injury)
    if ceilings is None:
        return []
    out: list[Problem] = []
    ceiling, source = ceilings[reference.FLOORS[protocol.injury].order[0]]
    for stage in protocol.stages:
        own = ceilings.get(stage.id)
        if own is not None:
            ceiling, source = own
        where = f"stages[{stage.id}]"
        if ceiling <= 0:
            out += _no_running_problems(where, stage, source)
            continue
        if stage.top_pct_vmax > ceiling:
            out.append(
                (
                    f"{where}.top_pct_vmax",
                    f"{stage.top_pct_vmax:g} % Vmax is faster than the reference allows in "
                    f"{stage.id} ({source}: at most {ceiling:g} %): expected ≤ {ceiling:g}, "
                    "faster running belongs to a later stage",
                )
            )
        for i, d in enumerate(stage.session):
            if d.kind == "sport" and ceiling < 100:
                out.append(
                    (
                        f"{where}.session[{i}].kind",
                        f"'sport' (full training, maximal efforts included) in {stage.id}, "
                        f"which the reference caps at {ceiling:g} % Vmax ({source}): expected "
                        "run, accel or cod drills with pct_vmax",
                    )
                )
            elif d.kind == "cod" and d.pct_vmax is None and ceiling < 100:
                out.append(
                    (
                        f"{where}.session[{i}].pct_vmax",
                        f"missing on a 'cod' drill in {stage.id}, which the reference caps at "
                        f"{ceiling:g} % Vmax ({source}): expected pct_vmax [low, high] within "
                        "the stage's top_pct_vmax",
                    )
                )
    out += _min_sessions_speed_problems(protocol)
    return out


def _no_running_problems(where: str, stage: Stage, source: str) -> list[Problem]:
    out: list[Problem] = []
    if stage.top_pct_vmax > 0:
        out.append(
            (
                f"{where}.top_pct_vmax",
                f"{stage.top_pct_vmax:g} % Vmax in {stage.id}, which has no running in the "
                f"reference ({source}): expected 0",
            )
        )
    for i, d in enumerate(stage.session):
        if d.is_running or d.pct_vmax is not None:
            out.append(
                (
                    f"{where}.session[{i}].kind",
                    f"a '{d.kind}' drill in {stage.id}, which has no running in the reference "
                    f"({source}): expected walk, bike, mobility, strength or plyo drills only",
                )
            )
    return out


def _min_sessions_speed_problems(protocol: Protocol) -> list[Problem]:
    out: list[Problem] = []
    ids = {s.id for s in protocol.stages}
    for sid, (least, source) in reference.MIN_SESSIONS_AT_PCT.get(protocol.injury, {}).items():
        if sid not in ids:
            continue  # reported by _order_problems
        have = protocol.stage(sid).min_sessions.at_pct_vmax
        if have is None or have < least:
            shown = "missing" if have is None else f"{have:g}"
            out.append(
                (
                    f"stages[{sid}].min_sessions.at_pct_vmax",
                    f"{shown}: only sessions at the stage's speed count in {sid} ({source}): "
                    f"expected ≥ {least:g} ({_STRICTER})",
                )
            )
    return out


# --- Criteria that always pass, triggers that never fire -------------------------------------


def _exit_always_met(path: str, c: Criterion) -> list[Problem]:
    """An exit criterion every value of its item meets, or one that asks for symptoms."""
    spec = ALL_ITEMS.get(c.item)
    if spec is None or isinstance(c.threshold, bool):
        return []
    symptom = c.item in reference.PAIN_ITEMS or c.item in reference.DELTA_ITEMS
    if symptom and c.op in ("ge", "gt"):
        return [
            (
                f"{path}.op",
                f"'{c.op}' on {c.item} would let an athlete pass on a symptom being high enough "
                "(or on any value): an exit criterion bounds a symptom from above: expected "
                "'le' or 'lt'",
            )
        ]
    low = c.op in ("ge", "gt") and c.threshold <= spec.lo
    high = c.op in ("le", "lt") and c.threshold >= spec.hi
    if not (low or high):
        return []
    edge = f"never below {spec.lo:g}" if low else f"never above {spec.hi:g}"
    better = f"above {spec.lo:g}" if low else f"below {spec.hi:g}"
    return [
        (
            f"{path}.threshold",
            f"{c.describe()} is met by every value ({c.item} is {edge}), so nobody could fail "
            f"it: expected a threshold {better}",
        )
    ]


def _trigger_never_fires(path: str, t: Trigger) -> list[Problem]:
    spec = ALL_ITEMS.get(t.item)
    if spec is None or isinstance(t.threshold, bool):
        return []
    above = t.op == "gt" and t.threshold >= spec.hi
    below = t.op == "lt" and t.threshold <= spec.lo
    if not (above or below):
        return []
    edge = f"never above {spec.hi:g}" if above else f"never below {spec.lo:g}"
    better = f"below {spec.hi:g}" if above else f"above {spec.lo:g}"
    return [
        (
            f"{path}.threshold",
            f"{t.describe()} can never fire ({t.item} is {edge}): expected a threshold {better}",
        )
    ]


# --- The reference's own criteria and triggers -----------------------------------------------

# As engine.schema.OP_TEXT (schema imports this module, so it is not imported back).
_OP_TEXT = {"le": "≤", "lt": "<", "ge": "≥", "gt": ">", "eq": "="}
_UP = ("ge", "gt")
_DOWN = ("le", "lt")
_NOTIFY_RANK = {None: 0, "info": 1, "within_24h": 2, "same_day": 3}


def _within(op_a: str, a: float | bool, op_b: str, b: float | bool) -> bool:
    """Whether every value with ``x op_a a`` also has ``x op_b b``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return op_a == op_b == "eq" and a == b
    if op_a == "eq":
        return {"ge": a >= b, "gt": a > b, "le": a <= b, "lt": a < b, "eq": a == b}[op_b]
    if op_a in _UP and op_b in _UP:
        return a > b if (op_a, op_b) == ("ge", "gt") else a >= b
    if op_a in _DOWN and op_b in _DOWN:
        return a < b if (op_a, op_b) == ("le", "lt") else a <= b
    return False


def _floor_text(f: reference.CriterionFloor, *, trigger: bool) -> str:
    value = (
        ("yes" if f.threshold else "no") if isinstance(f.threshold, bool) else f"{f.threshold:g}"
    )
    text = f"{f.item} {_OP_TEXT[f.op]} {value}"
    if f.at_pct_vmax is not None:
        text += f" at ≥ {f.at_pct_vmax:g} % Vmax"
    if f.pain_max is not None:
        text += f" with pain ≤ {f.pain_max}"
    if f.count > 1:
        text += f" on {f.count} observations"
    if trigger:
        text += f", action {f.action}"
        if f.notify is not None:
            text += f", clinician notified ({f.notify})"
    return text


def _exit_gap(c: Criterion, *, f: reference.CriterionFloor) -> tuple[str, str] | None:
    """The first field of exit criterion ``c`` looser than ``f``: (field, expected), or None."""
    if not _within(c.op, c.threshold, f.op, f.threshold):
        field = "threshold" if (c.op in _UP) == (f.op in _UP) and c.op != "eq" else "op"
        return field, f"{f.item} {_op_words(f.op)} {_shown(f.threshold)} or stricter"
    if f.at_pct_vmax is not None and (c.at_pct_vmax is None or c.at_pct_vmax < f.at_pct_vmax):
        return "at_pct_vmax", f"at_pct_vmax ≥ {f.at_pct_vmax:g}"
    if f.pain_max is not None and (c.pain_max is None or c.pain_max > f.pain_max):
        return "pain_max", f"pain_max ≤ {f.pain_max}"
    if c.count < f.count:
        return "count", f"count ≥ {f.count}"
    return None


def _trigger_gap(t: Trigger, *, f: reference.CriterionFloor) -> tuple[str, str] | None:
    """The first field of trigger ``t`` that fires later than ``f``: (field, expected)."""
    if not _within(f.op, f.threshold, t.op, t.threshold):
        field = "threshold" if (t.op in _UP) == (f.op in _UP) and t.op != "eq" else "op"
        return field, f"{f.item} {_op_words(f.op)} {_shown(f.threshold)} or firing earlier"
    if t.at_pct_vmax is not None and (f.at_pct_vmax is None or t.at_pct_vmax > f.at_pct_vmax):
        most = f"at_pct_vmax ≤ {f.at_pct_vmax:g}" if f.at_pct_vmax is not None else "no at_pct_vmax"
        return "at_pct_vmax", most
    if t.pain_max is not None and t.pain_max < 10:
        return "pain_max", "no pain_max (a trigger watches every session)"
    if t.count > f.count:
        return "count", f"count ≤ {f.count}"
    if t.action != f.action:
        return "action", f"action '{f.action}'"
    notify = t.notify or ("within_24h" if t.action == "escalate" else None)
    if _NOTIFY_RANK[notify] < _NOTIFY_RANK[f.notify]:
        return "notify", f"notify '{f.notify}' or 'same_day'"
    return None


def _op_words(op: str) -> str:
    return _OP_TEXT[op]


def _shown(v: float | bool) -> str:
    return ("yes" if v else "no") if isinstance(v, bool) else f"{v:g}"


def _reference_criteria_problems(protocol: Protocol) -> list[Problem]:
    """Every exit criterion and regression trigger the reference names, kept at least as strict."""
    out: list[Problem] = []
    ids = {s.id for s in protocol.stages}
    exits = reference.EXIT_FLOORS.get(protocol.injury, {})
    triggers = reference.TRIGGER_FLOORS.get(protocol.injury, {})
    for sid in sorted((set(exits) | set(triggers)) & ids, key=protocol.index):
        stage = protocol.stage(sid)
        for f in exits.get(sid, ()):
            gap = functools.partial(_exit_gap, f=f)
            out += _one_floor(f"stages[{sid}].exit_criteria", stage.exit_criteria, f, gap)
        for f in triggers.get(sid, ()):
            gap = functools.partial(_trigger_gap, f=f)
            out += _one_floor(
                f"stages[{sid}].regression_triggers", stage.regression_triggers, f, gap
            )
    return out


def _one_floor(
    where: str,
    listed: Sequence[_C],
    f: reference.CriterionFloor,
    gap: Callable[[_C], tuple[str, str] | None],
) -> list[Problem]:
    """The problem when no criterion of ``listed`` keeps floor ``f``, at the loosened one."""
    trigger = where.endswith("regression_triggers")
    same = [(i, c) for i, c in enumerate(listed) if c.item == f.item]
    if any(gap(c) is None for _i, c in same):
        return []
    what = "regression trigger" if trigger else "exit criterion"
    need = _floor_text(f, trigger=trigger)
    if not same:
        return [
            (
                where,
                f"no {what} “{need}” ({f.source}): a protocol may be stricter, never looser: "
                f"expected {'a' if trigger else 'an'} {what} on {f.item} "
                + ("that fires at least as early" if trigger else "at least as strict"),
            )
        ]
    # The one in the reference's direction is the one that was loosened.
    aligned = [(i, c) for i, c in same if (c.op in _UP) == (f.op in _UP)] or same
    i, c = aligned[0]
    found = gap(c)
    assert found is not None
    field, expected = found
    have = getattr(c, field)
    shown = "none" if have is None else _shown(have) if not isinstance(have, str) else have
    verb = "is weaker than" if trigger else "is looser than"
    return [
        (
            f"{where}[{i}].{field}",
            f"{shown}: “{c.describe()}” {verb} the reference ({f.source}: {need}): expected "
            f"{expected} ({_STRICTER})",
        )
    ]
