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

import itertools
from typing import TYPE_CHECKING

from engine import reference

if TYPE_CHECKING:
    from engine.schema import Criterion, Protocol, Stage

Problem = tuple[str, str]
_STRICTER = "a protocol may be stricter, never looser"


def floor_problems(protocol: Protocol) -> list[Problem]:
    """Return every place where ``protocol`` is looser than the reference's floor."""
    problems = _rule_problems(protocol) + _red_flag_problems(protocol)
    problems += _reference_stage_problems(protocol)
    last = protocol.stages[-1].id
    for stage in protocol.stages:
        problems += _stage_problems(stage, is_last=stage.id == last)
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
        out += _pain_criterion(f"{where}.exit_criteria[{i}]", c, trigger=False)
    for i, t in enumerate(stage.regression_triggers):
        out += _pain_criterion(f"{where}.regression_triggers[{i}]", t, trigger=True)
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
    if not trigger and c.op in ("le", "lt") and c.threshold > reference.EXIT_PAIN_MAX:
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
