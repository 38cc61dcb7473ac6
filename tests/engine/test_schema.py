"""Protocol files as data: the shipped protocols validate, bad ones are refused with a path."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.protocol_files import (
    PROTOCOL_DIR,
    available,
    load_protocol,
    parse_text,
    read_data,
)
from engine.schema import ProtocolError, parse_protocol, protocol_to_data, set_value


@cache
def _read(name: str) -> dict[str, Any]:
    data = read_data(PROTOCOL_DIR / f"{name}.yaml")
    assert isinstance(data, dict)
    return data


def _raw(name: str) -> dict[str, Any]:
    """A fresh copy of a shipped protocol's raw data (read once)."""
    return copy.deepcopy(_read(name))


def _walk_thresholds(node: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every mapping that carries a threshold value (``value`` or a criterion ``threshold``)."""
    out: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        if "value" in node or "threshold" in node:
            out.append((path, node))
        for k, v in node.items():
            out += _walk_thresholds(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _walk_thresholds(v, f"{path}[{i}]")
    return out


@pytest.mark.parametrize(
    ("name", "ids"),
    [("hamstring", [f"H{i}" for i in range(8)]), ("calf", [f"C{i}" for i in range(8)])],
)
def test_shipped_protocols_have_the_reference_stage_ids(name: str, ids: list[str]) -> None:
    p = load_protocol(name)
    assert [s.id for s in p.stages] == ids
    assert p.injury == name
    assert set(available()) >= {"hamstring", "calf"}


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_every_threshold_names_its_evidence_and_source(name: str) -> None:
    found = _walk_thresholds(_raw(name))
    assert len(found) > 60
    for path, node in found:
        assert node.get("evidence") in ("V", "S", "U"), path
        assert str(node.get("source", "")).strip(), path


@pytest.mark.parametrize(
    ("stage", "signoff"),
    [
        ("H0", "required"),
        ("H4", "recommended"),
        ("H5", "required"),
        ("H6", "required"),
        ("C0", "required"),
        ("C5", "recommended"),
        ("C6", "required"),
    ],
)
def test_signoff_gates_follow_reference_4_4_item_8(stage: str, signoff: str) -> None:
    p = load_protocol("hamstring" if stage[0] == "H" else "calf")
    assert p.stage(stage).signoff == signoff


def _mutate(edit: Any) -> dict[str, Any]:
    data = copy.deepcopy(_raw("hamstring"))
    edit(data)
    return data


def _h3(data: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in data["stages"] if s["id"] == "H3")


BAD = [
    ("unknown key", lambda d: _h3(d).update(bogus=1), "stages[H3].bogus", "unknown key"),
    (
        "unknown item",
        lambda d: _h3(d)["exit_criteria"][1].update(item="metrics.speed"),
        "stages[H3].exit_criteria[1].item",
        "unknown item 'metrics.speed'",
    ),
    (
        "threshold out of range",
        lambda d: _h3(d)["exit_criteria"][1].update(threshold=150),
        "stages[H3].exit_criteria[1].threshold",
        "expected 0–130",
    ),
    (
        "pain threshold out of range",
        lambda d: d["rules"]["pain"]["running_hv_max"].update(value=11),
        "rules.pain.running_hv_max.value",
        "expected at most 10, not 11",
    ),
    (
        "bool threshold on a number",
        lambda d: _h3(d)["exit_criteria"][0].update(threshold=True),
        "stages[H3].exit_criteria[0].threshold",
        "expected a numeric threshold",
    ),
    (
        "duplicate stage id",
        lambda d: d["stages"][4].update(id="H3"),
        "stages[H3].id",
        "duplicate stage id",
    ),
    (
        "dangling step_back_to",
        lambda d: _h3(d).update(step_back_to="H9"),
        "stages[H3].step_back_to",
        "'H9' is not a stage",
    ),
    (
        "dangling full-training stage",
        lambda d: d.update(full_training_stage="H8"),
        "full_training_stage",
        "'H8' is not a stage",
    ),
    (
        "duplicate criterion id",
        lambda d: _h3(d)["exit_criteria"][1].update(id="H3a"),
        "stages[H3].exit_criteria[1].id",
        "duplicate criterion id",
    ),
    (
        "missing source",
        lambda d: _h3(d)["min_days"].pop("source"),
        "stages[H3].min_days.source",
        "missing",
    ),
    (
        "unknown evidence tag",
        lambda d: _h3(d)["min_days"].update(evidence="X"),
        "stages[H3].min_days.evidence",
        "'V'",
    ),
    (
        "unknown red-flag code",
        lambda d: d["rules"]["red_flags"]["codes"].update(headache=3),
        "rules.red_flags",
        "unknown red-flag code",
    ),
    (
        "speed above 100 %",
        lambda d: _h3(d)["session"][0].update(pct_vmax=[70, 120]),
        "stages[H3].session[0]",
        "pct_vmax out of range",
    ),
]


@pytest.mark.parametrize(("label", "edit", "path", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_protocols_are_refused_naming_file_path_and_expectation(
    label: str, edit: Any, path: str, message: str
) -> None:
    with pytest.raises(ProtocolError) as exc:
        parse_protocol(_mutate(edit), source="protocols/bad.yaml")
    text = str(exc.value)
    line = next((ln for ln in exc.value.problems if f": {path}" in ln), None)
    assert line is not None, text
    assert line.startswith("protocols/bad.yaml: ")
    assert message in line


def test_every_problem_is_listed_not_just_the_first() -> None:
    def edit(d: dict[str, Any]) -> None:
        _h3(d).update(bogus=1)
        d["stages"][4].update(id="H3")
        d["rules"]["pain"]["running_hv_max"].update(value=11)

    with pytest.raises(ProtocolError) as exc:
        parse_protocol(_mutate(edit), source="x.yaml")
    assert len(exc.value.problems) == 3


def test_not_a_mapping_and_broken_yaml_give_messages_not_tracebacks() -> None:
    with pytest.raises(ProtocolError, match="expected a mapping"):
        parse_protocol(["H0"], source="x.yaml")
    with pytest.raises(ProtocolError, match=r"x.yaml: line 2, column \d+: .*expected valid YAML"):
        parse_text("name: a\n  stages: [", source="x.yaml")


def test_round_trip_through_plain_data() -> None:
    p = load_protocol("calf")
    again = parse_protocol(yaml.safe_load(yaml.safe_dump(protocol_to_data(p))), source="rt")
    assert again == p


def test_set_value_edits_one_field_by_stage_and_path() -> None:
    data = protocol_to_data(load_protocol("hamstring"))
    edited = set_value(data, "H3", "min_days.value", "5")
    p = parse_protocol(edited, source="edited")
    assert p.stage("H3").min_days.value == 5
    assert data["stages"][3]["min_days"]["value"] == 4  # the input is not modified
    edited = set_value(data, "H3", "exit_criteria[H3c].threshold", "88")
    assert parse_protocol(edited, source="e").stage("H3").exit_criteria[1].threshold == 88
    edited = set_value(data, "rules", "pain.running_hv_max.value", "0")
    assert parse_protocol(edited, source="e").rules.pain.running_hv_max.value == 0
    edited = set_value(data, "H2", "session[0].reps", "[4, 8]")
    assert parse_protocol(edited, source="e").stage("H2").session[0].reps == (4, 8)


def test_set_value_refuses_unknown_stage_and_path_and_invalid_result_is_caught() -> None:
    data = protocol_to_data(load_protocol("hamstring"))
    with pytest.raises(ProtocolError, match="no such stage"):
        set_value(data, "H9", "min_days.value", "3")
    with pytest.raises(ProtocolError, match="no field 'min_dayz'"):
        set_value(data, "H3", "min_dayz.value", "3")
    with pytest.raises(ProtocolError, match="no list item 'H3z'"):
        set_value(data, "H3", "exit_criteria[H3z].threshold", "3")
    bad = set_value(data, "H3", "exit_criteria[H3c].threshold", "200")
    with pytest.raises(ProtocolError, match=r"stages\[H3\]\.exit_criteria\[1\]\.threshold"):
        parse_protocol(bad, source="admin edit")


def test_protocol_files_resolve_names_and_paths(tmp_path: Path) -> None:
    assert load_protocol(str(PROTOCOL_DIR / "calf.yaml")).name == "calf"
    with pytest.raises(ProtocolError, match="known: calf, hamstring"):
        load_protocol("quadriceps")
    custom = tmp_path / "mine.yaml"
    custom.write_text(yaml.safe_dump(_raw("hamstring")), encoding="utf-8")
    assert load_protocol("mine", directory=tmp_path).injury == "hamstring"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["rules"]["red_flags"]["tiers"][1].update(severity="same_day"),
            "tier 1 must have severity 'emergency'",
        ),
        (
            lambda d: d["rules"]["red_flags"]["tiers"][2].update(severity="within_24h"),
            "tier 2 must be 'same_day' or 'emergency'",
        ),
        (
            lambda d: d["rules"]["red_flags"]["tiers"][1].update(instruction="Stop and rest."),
            "include '112 / 911 / 999 / 000'",
        ),
        (
            lambda d: d["rules"]["red_flags"]["tiers"][1].update(
                morning_instruction="Stop and rest today."
            ),
            "include '112 / 911 / 999 / 000'",
        ),
        (lambda d: d["rules"]["red_flags"]["codes"].pop("pop"), "have no tier"),
    ],
)
def test_red_flag_tiers_cannot_be_made_laxer_than_reference_5(edit: Any, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        parse_protocol(_mutate(edit), source="x.yaml")


_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 500),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.just({"x": [1]}),
    st.just(["H1"]),
    st.just({"H1": None}),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


_HAM_PATHS = _paths(_raw("hamstring"))
# Reference fields are few among ~1,000 paths: list them again so they are tried often.
_REF_PATHS = [
    p
    for p in _HAM_PATHS
    if p[-1]
    in ("id", "step_back_to", "full_training_stage", "early_signoff_stage", "stages", "item", "op")
]


@pytest.mark.parametrize(
    ("key", "junk"),
    [("full_training_stage", ["H1"]), ("early_signoff_stage", {"a": 1}), ("stages", "H0")],
)
def test_wrong_types_in_references_are_messages(key: str, junk: Any) -> None:
    data = copy.deepcopy(_raw("hamstring"))
    data[key] = junk
    with pytest.raises(ProtocolError, match=f"x.yaml: {key}"):
        parse_protocol(data, source="x.yaml")
    data = copy.deepcopy(_raw("hamstring"))
    data["stages"][2]["step_back_to"] = ["H1"]
    data["stages"][3]["exit_criteria"][0]["id"] = {"a": 1}
    with pytest.raises(ProtocolError, match=r"stages\[H2\]\.step_back_to"):
        parse_protocol(data, source="x.yaml")


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(st.sampled_from(_HAM_PATHS) | st.sampled_from(_REF_PATHS), _JUNK),
        min_size=1,
        max_size=4,
    )
)
def test_any_corruption_gives_protocol_error_never_a_crash(
    edits: list[tuple[tuple[Any, ...], Any]],
) -> None:
    data = copy.deepcopy(_raw("hamstring"))
    for path, junk in edits:
        node: Any = data
        try:
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = junk
        except (KeyError, IndexError, TypeError):
            continue
    try:
        parse_protocol(data, source="fuzz.yaml")
    except ProtocolError as exc:
        assert exc.problems
        assert all(line.startswith("fuzz.yaml: ") for line in exc.problems)
