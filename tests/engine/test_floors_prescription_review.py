"""Review fixes: a published protocol cannot prescribe a later stage's speeds, make an exit
criterion impossible to fail, drop or neuter the reference's regression triggers, or take a
fraction (0.95) or a share over 100 for a percentage; the plan never prescribes above the
stage's top."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.services.protocol_files import PROTOCOL_DIR, load_text, read_data
from engine.plan import prescribe
from engine.schema import Protocol, ProtocolError, parse_protocol, set_value
from tests.engine.builders import BASELINE


def _raw(name: str) -> dict[str, Any]:
    data = read_data(PROTOCOL_DIR / f"{name}.yaml")
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def _set(name: str, stage: str, path: str, value: str) -> dict[str, Any]:
    """``set_value``, or for a key the criterion does not spell out (``count``, ``action``),
    the key added to the criterion as an upload would."""
    data = _raw(name)
    head, _dot, key = path.rpartition(".")
    if "[" in head and key in ("count", "action", "notify", "pain_max", "at_pct_vmax"):
        listed, cid = head.rstrip("]").split("[")
        items = next(s for s in data["stages"] if s["id"] == stage)[listed]
        target = next(c for c in items if c["id"] == cid)
        target[key] = load_text(value, source="value")
        return data
    return set_value(data, stage, path, value)


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ProtocolError) as exc:
        parse_protocol(data, source="x.yaml")
    return exc.value.problems


def _refused(name: str, stage: str, path: str, value: str, where: str, *words: str) -> None:
    problems = _problems(_set(name, stage, path, value))
    line = next((p for p in problems if p.startswith(f"x.yaml: {where}: ")), None)
    assert line is not None, problems
    for word in words:
        assert word in line, line


def _accepted(name: str, stage: str, path: str, value: str) -> Protocol:
    return parse_protocol(_set(name, stage, path, value), source="x.yaml")


# --- 1. what a stage may prescribe -----------------------------------------------------------


def test_h2_cannot_prescribe_maximal_sprints() -> None:
    _refused(
        "hamstring",
        "H2",
        "session[0].pct_vmax",
        "[95, 100]",
        "stages[H2].session[0].pct_vmax",
        "[95, 100] goes above the stage's top_pct_vmax (65)",
        "expected an upper value ≤ 65",
    )


@pytest.mark.parametrize(
    ("name", "stage", "top", "ceiling"),
    [
        ("hamstring", "H2", 95, 70),
        ("hamstring", "H3", 90, 80),
        ("hamstring", "H4", 95, 90),
        ("calf", "C3", 80, 70),
        ("calf", "C4", 90, 85),
        ("calf", "C5", 100, 95),
    ],
)
def test_a_stage_top_above_the_reference_is_refused(
    name: str, stage: str, top: int, ceiling: int
) -> None:
    _refused(
        name,
        stage,
        "top_pct_vmax",
        str(top),
        f"stages[{stage}].top_pct_vmax",
        f"{top} % Vmax is faster than the reference allows in {stage}",
        f"expected ≤ {ceiling}",
    )


def test_a_stage_without_running_keeps_none() -> None:
    run = "{name: Strides, kind: run, reps: [3, 4], distance_m: 60, pct_vmax: [50, 60]}"
    data = _raw("hamstring")
    h1 = next(s for s in data["stages"] if s["id"] == "H1")
    h1["session"].append(load_text(run, source="drill"))
    h1["top_pct_vmax"] = 60
    problems = _problems(data)
    assert any(
        "stages[H1].top_pct_vmax: 60 % Vmax in H1, which has no running" in p for p in problems
    )
    assert any("stages[H1].session[5].kind: a 'run' drill in H1" in p for p in problems)


def test_an_added_stage_cannot_sprint_before_h5() -> None:
    data = _raw("hamstring")
    h5 = next(s for s in data["stages"] if s["id"] == "H5")
    data["stages"].insert(5, {**copy.deepcopy(h5), "id": "H8", "signoff": "none"})  # H4, H8, H5
    problems = _problems(data)
    assert any("stages[H8].top_pct_vmax: 100 % Vmax" in p and "≤ 90" in p for p in problems)


def test_a_stricter_stage_is_accepted() -> None:
    p = _accepted("hamstring", "H3", "top_pct_vmax", "80")
    p = parse_protocol(
        set_value(
            _set("hamstring", "H2", "top_pct_vmax", "60"), "H2", "session[0].pct_vmax", "[45, 60]"
        ),
        source="x.yaml",
    )
    assert p.stage("H2").top_pct_vmax == 60


def test_the_plan_never_prescribes_above_the_stage_top() -> None:
    """Defence in depth: a stage that got through with a faster drill is capped at its top."""
    data = _set("hamstring", "H2", "session[0].pct_vmax", "[95, 100]")
    unchecked = Protocol.model_validate(data, context={"floors_later": True})
    plan = prescribe(unchecked, "H2", BASELINE, "go")
    run = next(d for d in plan.drills if d.kind == "run")
    assert run.pct_vmax is not None and run.pct_vmax[1] == 65
    assert "65 % Vmax" in run.line() and "100" not in run.line()


# --- 2. exit criteria that cannot be failed --------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "path", "value", "where", "words"),
    [
        (
            "H2",
            "exit_criteria[H2c].threshold",
            "0",
            "stages[H2].exit_criteria[1].threshold",
            ("checks.aket_lsi_pct ≥ 0 is met by every value", "expected a threshold above 0"),
        ),
        (
            "H3",
            "exit_criteria[H3a].op",
            "le",
            "stages[H3].exit_criteria[0].op",
            ("“metrics.hv_reps ≤ 3” is looser than the reference", "metrics.hv_reps ≥ 3"),
        ),
        (
            "H5",
            "exit_criteria[H5c].op",
            "ge",
            "stages[H5].exit_criteria[2].op",
            ("'ge' on session.pain_max", "expected 'le' or 'lt'"),
        ),
        (
            "H1",
            "exit_criteria[H1d].op",
            "ge",
            "stages[H1].exit_criteria[3].op",
            ("'ge' on checks.walk_pain",),
        ),
        (
            "H5",
            "exit_criteria[H5a].threshold",
            "0",
            "stages[H5].exit_criteria[0].threshold",
            ("derived.vmax_pct_baseline ≥ 0 is met by every value",),
        ),
        (
            "H5",
            "exit_criteria[H5a].threshold",
            "90",
            "stages[H5].exit_criteria[0].threshold",
            (
                "90:",
                "looser than the reference (§2.2 H5 exit (a)",
                "expected derived.vmax_pct_baseline ≥ 95",
            ),
        ),
        (
            "H5",
            "exit_criteria[H5b].threshold",
            "200",
            "stages[H5].exit_criteria[1].threshold",
            ("is met by every value",),
        ),
        (
            "H4",
            "exit_criteria[H4a].at_pct_vmax",
            "70",
            "stages[H4].exit_criteria[0].at_pct_vmax",
            ("expected at_pct_vmax ≥ 90",),
        ),
        (
            "H3",
            "exit_criteria[H3a].pain_max",
            "3",
            "stages[H3].exit_criteria[0].pain_max",
            ("allows more pain",),
        ),
    ],
)
def test_an_exit_criterion_that_lets_everyone_through_is_refused(
    stage: str, path: str, value: str, where: str, words: tuple[str, ...]
) -> None:
    _refused("hamstring", stage, path, value, where, *words)


def test_a_removed_reference_criterion_is_refused() -> None:
    data = _raw("calf")
    c5 = next(s for s in data["stages"] if s["id"] == "C5")
    c5["exit_criteria"] = [c for c in c5["exit_criteria"] if c["id"] != "C5a"]
    problems = _problems(data)
    assert any(
        "stages[C5].exit_criteria: no exit criterion “derived.pct_vmax ≥ 95 with pain ≤ 0”" in p
        for p in problems
    ), problems


def test_stricter_exit_criteria_are_accepted() -> None:
    assert _accepted("hamstring", "H5", "exit_criteria[H5a].threshold", "98")
    assert _accepted("hamstring", "H3", "exit_criteria[H3a].at_pct_vmax", "82")
    assert _accepted("calf", "C6", "exit_criteria[C6i].count", "3")


# --- 3. regression triggers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "path", "value", "where", "words"),
    [
        (
            "H6",
            "regression_triggers",
            "[]",
            "stages[H6].regression_triggers",
            ("no regression trigger “session.pain_max ≥ 1",),
        ),
        (
            "H6",
            "regression_triggers[H6r1].count",
            "20",
            "stages[H6].regression_triggers[0].count",
            ("is weaker than the reference", "expected count ≤ 1"),
        ),
        (
            "H6",
            "regression_triggers[H6r1].op",
            "eq",
            "stages[H6].regression_triggers[0].op",
            ("session.pain_max = 1",),
        ),
        (
            "H6",
            "regression_triggers[H6r1].action",
            "hold",
            "stages[H6].regression_triggers[0].action",
            ("expected action 'step_back'",),
        ),
        (
            "H6",
            "regression_triggers[H6r1].notify",
            "info",
            "stages[H6].regression_triggers[0].notify",
            ("expected notify 'within_24h'",),
        ),
        (
            "H3",
            "regression_triggers[H3r1].at_pct_vmax",
            "100",
            "stages[H3].regression_triggers[0].at_pct_vmax",
            ("expected at_pct_vmax ≤ 80",),
        ),
        (
            "H3",
            "regression_triggers[H3r2].threshold",
            "100",
            "stages[H3].regression_triggers[1].threshold",
            ("can never fire",),
        ),
        (
            "H7",
            "regression_triggers[H7r2].action",
            "hold",
            "stages[H7].regression_triggers[1].action",
            ("expected action 'escalate'",),
        ),
    ],
)
def test_a_neutered_trigger_is_refused(
    stage: str, path: str, value: str, where: str, words: tuple[str, ...]
) -> None:
    _refused("hamstring", stage, path, value, where, *words)


def test_calf_c6_keeps_its_symptom_trigger() -> None:
    _refused(
        "calf",
        "C6",
        "regression_triggers",
        "[]",
        "stages[C6].regression_triggers",
        "no regression trigger “session.pain_max ≥ 1, action step_back, clinician notified",
    )


def test_stricter_triggers_are_accepted() -> None:
    assert _accepted("hamstring", "H2", "regression_triggers[H2r1].threshold", "2")
    assert _accepted("hamstring", "H6", "regression_triggers[H6r1].notify", "same_day")
    assert _accepted("hamstring", "H5", "regression_triggers[H5r1].at_pct_vmax", "90")


# --- 4. units --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "path", "value", "where", "words"),
    [
        (
            "H3",
            "exit_criteria[H3a].at_pct_vmax",
            "0.95",
            "stages[H3].exit_criteria[0].at_pct_vmax",
            ("0.95 looks like a fraction: write 95 for 95 %, not 0.95",),
        ),
        ("H5", "top_pct_vmax", "0.95", "stages[H5].top_pct_vmax", ("write 95 for 95 %",)),
        (
            "H2",
            "session[0].pct_vmax",
            "[0.5, 0.65]",
            "stages[H2].session[0].pct_vmax",
            ("write 50 for 50 %, not 0.5",),
        ),
        (
            "H5",
            "min_sessions.at_pct_vmax",
            "0.95",
            "stages[H5].min_sessions.at_pct_vmax",
            ("write 95 for 95 %",),
        ),
        (
            "H3",
            "rest.applies_from_pct_vmax",
            "0.7",
            "stages[H3].rest.applies_from_pct_vmax",
            ("write 70 for 70 %",),
        ),
        (
            "rules",
            "session.min_completed_pct.value",
            "130",
            "rules.session.min_completed_pct.value",
            ("130 is more than the whole", "0–100"),
        ),
        (
            "rules",
            "pain.perceived_effort_offset_pct.value",
            "130",
            "rules.pain.perceived_effort_offset_pct.value",
            ("130 is more than the whole",),
        ),
        (
            "rules",
            "escalation.early_signoff_fraction.value",
            "130",
            "rules.escalation.early_signoff_fraction.value",
            ("130 is more than the whole",),
        ),
        (
            "rules",
            "pain.max_pct_vmax.value",
            "0.95",
            "rules.pain.max_pct_vmax.value",
            ("write 95 for 95 %",),
        ),
        (
            "H5",
            "min_sessions.at_pct_vmax",
            "50",
            "stages[H5].min_sessions.at_pct_vmax",
            ("50: only sessions at the stage's speed count in H5", "expected ≥ 95"),
        ),
        (
            "H4",
            "min_sessions.at_pct_vmax",
            "null",
            "stages[H4].min_sessions.at_pct_vmax",
            ("missing", "expected ≥ 83"),
        ),
    ],
)
def test_fractions_and_shares_over_100_are_refused(
    stage: str, path: str, value: str, where: str, words: tuple[str, ...]
) -> None:
    _refused("hamstring", stage, path, value, where, *words)


def test_any_run_still_starts_a_rest_interval_at_1() -> None:
    p = _accepted("hamstring", "H2", "rest.applies_from_pct_vmax", "1")
    assert p.stage("H2").rest_rules[0].applies_from_pct_vmax == 1


# --- 5. duplicate keys -----------------------------------------------------------------------


def test_a_key_written_twice_is_refused_with_both_lines() -> None:
    text = (PROTOCOL_DIR / "hamstring.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.strip() == "signoff: required")
    lines.insert(first + 1, "    signoff: none")
    with pytest.raises(ProtocolError) as exc:
        load_text("\n".join(lines), source="up.yaml")
    assert exc.value.problems == [
        f"up.yaml: line {first + 2}: duplicate key 'signoff' (first on line {first + 1}): keep one"
    ]


def test_merge_keys_may_still_be_overridden() -> None:
    data = load_text("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  x: 3\n", source="m.yaml")
    assert data["m"] == {"x": 3, "y": 2}
