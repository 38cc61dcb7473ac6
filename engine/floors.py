"""Safety floors: what a protocol may never loosen below the clinical reference.

``floor_problems`` returns one ``(path, problem)`` per value that is looser than the reference
(``engine.reference``): red-flag tiers, required sign-offs, stages without exit criteria, pain
thresholds, minimum days and sessions of running stages, symptom-free days and where a stop
in full training leads. A protocol may be stricter everywhere.
"""

from __future__ import annotations

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
                    f"tier {tier} is below the reference's tier {most} for {code!r} (§5): "
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
    out: list[Problem] = []
    ids = [s.id for s in protocol.stages]
    for sid, need in floor.stages.items():
        if sid not in ids:
            if need.signoff_required:
                out.append(
                    (
                        "stages",
                        f"no stage {sid}: the reference's REQUIRED sign-off gate "
                        f"({need.source}) cannot be dropped: expected a stage {sid}",
                    )
                )
            continue
        stage = protocol.stage(sid)
        where = f"stages[{sid}]"
        if need.signoff_required and stage.signoff != "required":
            out.append(
                (
                    f"{where}.signoff",
                    f"{stage.signoff!r} drops a sign-off the reference marks REQUIRED "
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
                    f"{protocol.reinjury_stage!r}: a stop in full training must lead back at "
                    f"least to {floor.reinjury_stage} (a new max-sprint re-test): expected "
                    f"{floor.reinjury_stage} or an earlier stage",
                )
            )
    return out
