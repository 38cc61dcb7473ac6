"""Review fixes: the floors keep every reference stage, in order, and the early sign-off gate;
a changed criterion's streak is not carried onto a new protocol version; schema messages speak
of values, not Python types."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
import yaml

from bot.services.protocol_files import PROTOCOL_DIR, read_data
from engine.models import Injury
from engine.programme import ProgrammeState, _early_signoff, carry_over
from engine.reference import FLOORS
from engine.schema import Protocol, ProtocolError, parse_protocol, set_value
from tests.engine.builders import protocol

REFERENCE_ORDER = {
    "hamstring": ["H0", "H1", "H2", "H3", "H4", "H5", "H6", "H7"],
    "calf": ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7"],
}


def _raw(name: str) -> dict[str, Any]:
    data = read_data(PROTOCOL_DIR / f"{name}.yaml")
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ProtocolError) as exc:
        parse_protocol(data, source="x.yaml")
    return exc.value.problems


def _stage(data: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in data["stages"] if s["id"] == sid)


# --- 1. every reference stage, under its own id ----------------------------------------------


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_the_packaged_protocols_pass_every_floor(name: str) -> None:
    p = parse_protocol(_raw(name), source=name)
    assert [s.id for s in p.stages] == REFERENCE_ORDER[name]


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_the_reference_lists_every_stage_in_order(name: str) -> None:
    floor = FLOORS[name]
    assert list(floor.order) == REFERENCE_ORDER[name]
    assert set(floor.stages) <= set(floor.order)
    assert floor.reinjury_stage in floor.order and floor.early_signoff.stage in floor.order


def test_a_renamed_stage_is_refused() -> None:
    data = _raw("hamstring")
    _stage(data, "H3")["id"] = "H8"
    problems = _problems(data)
    assert any("stages: no stage H3" in p and "cannot be dropped or renamed" in p for p in problems)


@pytest.mark.parametrize(
    ("name", "sid"), [(n, s) for n, ids in REFERENCE_ORDER.items() for s in ids]
)
def test_no_reference_stage_can_be_dropped(name: str, sid: str) -> None:
    data = _raw(name)
    data["stages"] = [s for s in data["stages"] if s["id"] != sid]
    for s in data["stages"]:
        if s.get("step_back_to") == sid:
            s.pop("step_back_to")
    # Stages the protocol names elsewhere point at a neighbour, so only the floor can object.
    ids = [s["id"] for s in data["stages"]]
    for key in ("full_training_stage", "early_signoff_stage", "reinjury_stage"):
        if data.get(key) == sid:
            data[key] = ids[min(REFERENCE_ORDER[name].index(sid), len(ids) - 1)]
    problems = _problems(data)
    assert any(f"no stage {sid}" in p for p in problems), problems


def test_a_stage_without_a_required_signoff_cannot_be_dropped_either() -> None:
    """H4 carries no sign-off: it was the hole (H3 led straight to H5)."""
    data = _raw("hamstring")
    data["stages"] = [s for s in data["stages"] if s["id"] != "H4"]
    assert any("no stage H4" in p for p in _problems(data))


# --- 2. reference order --------------------------------------------------------------------


def test_h5_moved_after_full_training_is_refused() -> None:
    data = _raw("hamstring")
    h5 = _stage(data, "H5")
    rest = [s for s in data["stages"] if s["id"] != "H5"]
    data["stages"] = [*rest[:-1], h5, rest[-1]]  # H0..H4, H6, H5, H7
    problems = _problems(data)
    assert any(p.startswith("x.yaml: stages[H5]: H5 comes after H6") for p in problems), problems


def test_swapped_calf_stages_are_refused() -> None:
    data = _raw("calf")
    st = data["stages"]
    st[3], st[4] = st[4], st[3]
    assert any("C3 comes after C4" in p for p in _problems(data))


def test_an_extra_stage_between_reference_stages_is_allowed() -> None:
    data = _raw("hamstring")
    extra = {**copy.deepcopy(_stage(data, "H4")), "id": "H8", "name": "Extra HV block"}
    data["stages"].insert(5, extra)  # H4, H8, H5
    p = parse_protocol(data, source="x.yaml")
    assert [s.id for s in p.stages][4:7] == ["H4", "H8", "H5"]


def test_an_extra_stage_before_the_first_is_refused() -> None:
    data = _raw("hamstring")
    extra = {**copy.deepcopy(_stage(data, "H1")), "id": "H9"}
    data["stages"].insert(0, extra)
    assert any("stages[H9]: the programme would start at H9" in p for p in _problems(data))


# --- 3. early sign-off gate and expected times ---------------------------------------------


@pytest.mark.parametrize(("name", "gate"), [("hamstring", "H5"), ("calf", "C6")])
def test_the_early_signoff_stage_cannot_be_dropped(name: str, gate: str) -> None:
    data = _raw(name)
    assert data["early_signoff_stage"] == gate == FLOORS[name].early_signoff.stage
    data.pop("early_signoff_stage")
    problems = _problems(data)
    assert any(p.startswith("x.yaml: early_signoff_stage: missing") for p in problems), problems


@pytest.mark.parametrize(("name", "later"), [("hamstring", "H6"), ("calf", "C7")])
def test_the_early_signoff_stage_cannot_move_later(name: str, later: str) -> None:
    data = _raw(name)
    data["early_signoff_stage"] = later
    assert any(f"“{later}” comes after" in p for p in _problems(data))


def test_the_early_signoff_stage_cannot_be_the_first_stage() -> None:
    data = _raw("hamstring")
    data["early_signoff_stage"] = "H0"
    assert any("would never be asked" in p for p in _problems(data))


def test_an_earlier_early_signoff_stage_is_stricter_and_allowed() -> None:
    data = _raw("hamstring")
    data["early_signoff_stage"] = "H4"
    assert parse_protocol(data, source="x").early_signoff_stage == "H4"


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_the_reference_times_are_the_packaged_ones(name: str) -> None:
    p = protocol(name)
    ref = FLOORS[name].early_signoff
    assert p.expected_rtp_days == ref.rtp_days
    assert dict(p.expected_rtp_days_by_muscle) == ref.rtp_days_by_muscle
    assert p.default_muscle == ref.default_muscle


def test_expected_days_cannot_shrink() -> None:
    data = _raw("hamstring")
    data["expected_rtp_days"] = {0: 1, 1: 1, 2: 1, 3: 1}
    problems = _problems(data)
    for grade, least in {0: 8, 1: 17, 2: 22, 3: 73}.items():
        line = f"x.yaml: expected_rtp_days.{grade}: 1 day for grade {grade} is shorter"
        assert any(p.startswith(line) and f"expected ≥ {least}" in p for p in problems)
    data["expected_rtp_days"] = {0: 8, 1: 16, 2: 22, 3: 73}
    assert [p for p in _problems(data) if "expected_rtp_days" in p] == [
        "x.yaml: expected_rtp_days.1: 16 days for grade 1 is shorter than the reference "
        "(§2.1: Ekstrand 2012 lay-off by grade: 17 days), so the early sign-off would be asked "
        "less: expected ≥ 17 (a protocol may be stricter, never looser)"
    ]


def test_longer_or_missing_expected_days_are_stricter_and_allowed() -> None:
    """A grade left out means no expected time: the engine then always asks."""
    data = _raw("hamstring")
    data["expected_rtp_days"] = {1: 30}
    p = parse_protocol(data, source="x")
    injury = Injury(injury="hamstring", side="left", grade=2, injury_date=dt.date(2026, 3, 1))
    assert _early_signoff(p, injury, "H5", dt.date(2026, 6, 1)) is True  # 92 days later


def test_calf_times_by_muscle_and_the_default_muscle_are_floored() -> None:
    data = _raw("calf")
    data["expected_rtp_days_by_muscle"] = {"soleus": 24}
    problems = _problems(data)
    assert any(
        p.startswith("x.yaml: expected_rtp_days_by_muscle.soleus: 24 days") for p in problems
    )
    assert any("expected_rtp_days_by_muscle.gastrocnemius: missing" in p for p in problems)
    data = _raw("calf")
    data["default_muscle"] = "gastrocnemius"
    assert any(p.startswith("x.yaml: default_muscle: 'gastrocnemius'") for p in _problems(data))
    data.pop("default_muscle")
    assert any(p.startswith("x.yaml: default_muscle: missing") for p in _problems(data))
    data = _raw("calf")
    data["expected_rtp_days_by_muscle"] = {"soleus": 30, "gastrocnemius": 20}
    parse_protocol(data, source="x")  # longer: stricter


# --- 4. a changed criterion's streak is not carried -----------------------------------------


def _edited(name: str, stage: str, path: str, value: str) -> Protocol:
    return parse_protocol(set_value(_raw(name), stage, path, value), source="edited")


def _in_h1(streaks: dict[str, int]) -> ProgrammeState:
    day = dt.date(2026, 3, 3)
    return ProgrammeState(
        stage="H1", stage_entered=day, start=day, last_progress=day, streaks=streaks
    )


def test_a_stricter_exit_criterion_starts_its_streak_again() -> None:
    old = protocol("hamstring")
    new = _edited("hamstring", "H1", "exit_criteria[H1d].threshold", "0")
    state = _in_h1({"H1a": 1, "H1d": 1, "H1e": 2})
    assert carry_over(state, old, new).streaks == {"H1a": 1, "H1e": 2}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("count", 3),
        ("item", "morning.pain_test"),
        ("op", "lt"),
        ("threshold", 0),
        ("at_pct_vmax", 50),
        ("pain_max", 0),
    ],
)
def test_any_change_of_definition_counts(key: str, value: object) -> None:
    data = _raw("hamstring")
    criteria = _stage(data, "H1")["exit_criteria"]
    h1e = next(c for c in criteria if c["id"] == "H1e")
    # The reference's criterion stays under another id (the floors keep it); H1e changes.
    criteria.append({**h1e, "id": "H1e_kept"})
    h1e[key] = value
    new = parse_protocol(data, source="edited")
    assert carry_over(_in_h1({"H1e": 1}), protocol("hamstring"), new).streaks == {}


def test_wording_and_other_stages_keep_the_streak() -> None:
    state = _in_h1({"H1d": 1})
    worded = _edited("hamstring", "H1", "exit_criteria[H1d].text", "A brisk walk, pain 0-1")
    assert carry_over(state, protocol("hamstring"), worded) == state
    other = _edited("hamstring", "H3", "min_days.value", "6")
    assert carry_over(state, protocol("hamstring"), other) == state


def test_an_unknown_old_version_resets_the_exit_streaks_but_keeps_the_triggers() -> None:
    p = protocol("hamstring")
    trigger = p.stage("H1").regression_triggers[0].id
    state = _in_h1({"H1d": 1, trigger: 1})
    assert carry_over(state, None, p).streaks == {trigger: 1}


# --- 5. / 6. setting red-flag tiers; messages in words ---------------------------------------


def _data(name: str) -> dict[str, Any]:
    """The protocol as protocol_admin builds its drafts (integer tier keys)."""
    data = _raw(name)
    tiers = data["rules"]["red_flags"]["tiers"]
    data["rules"]["red_flags"]["tiers"] = {int(k): v for k, v in tiers.items()}
    return data


def test_a_red_flag_tier_text_can_be_set_by_number() -> None:
    text = "Stop and see your clinician within 24 h."
    edited = set_value(_data("hamstring"), "rules", "red_flags.tiers.3.instruction", text)
    assert parse_protocol(edited, source="x").rules.red_flags.tiers[3].instruction == text
    with pytest.raises(ProtocolError, match="no field '4'"):
        set_value(_data("hamstring"), "rules", "red_flags.tiers.4.instruction", text)


def _set_problems(stage: str, path: str, value: str) -> list[str]:
    return _problems(set_value(_data("hamstring"), stage, path, value))


def test_a_wrong_shape_names_the_fields_not_a_class() -> None:
    [line] = _set_problems("H3", "min_days", "5")
    assert line == (
        "x.yaml: stages[H3].min_days: expected a group of fields (value, evidence, source, "
        "note), not 5: to change the number alone, set 'min_days.value'"
    )
    [line] = _set_problems("H3", "rest", "5")
    assert (
        "RestRule" not in line
        and "list[" not in line
        and line.startswith("x.yaml: stages[H3].rest: expected a group of fields")
    )


@pytest.mark.parametrize(
    ("value", "read"),
    [("yes", "yes was read as a yes/no value"), ("2026-05-01", "2026-05-01 was read as a date")],
)
def test_a_text_read_as_another_kind_of_value_says_to_quote_it(value: str, read: str) -> None:
    [line] = _set_problems("H3", "goal", value)
    assert (
        line
        == f'x.yaml: stages[H3].goal: expected a text, but {read}: put it in quotes, e.g. "{value}"'
    )
    assert (
        parse_protocol(set_value(_data("hamstring"), "H3", "goal", f'"{value}"'), source="x")
        .stage("H3")
        .goal
        == value
    )


def test_an_empty_stage_list_says_so() -> None:
    problems = _set_problems("-", "stages", "[]")
    assert "x.yaml: stages: expected at least 1 item, found none" in problems
    assert all(not p.rstrip().endswith("expected one of") for p in problems)
    assert any("there is no stage to choose from" in p for p in problems)


def test_union_members_and_python_types_stay_out_of_paths() -> None:
    [line] = _set_problems("H3", "exit_criteria[H3a].threshold", "abc")
    assert line.startswith("x.yaml: stages[H3].exit_criteria[0].threshold: expected a number")
    assert ".float" not in line and ".bool" not in line
    for problem in _set_problems("-", "expected_rtp_days", "{a: 20}"):
        assert "[key]" not in problem and "the key 'a'" in problem


def test_a_yaml_tag_is_named_as_written() -> None:
    from bot.store.standing import parse_text

    with pytest.raises(ProtocolError) as exc:
        parse_text("name: !!python/object/apply:os.system ['id']\n", "tag.yaml")
    [line] = exc.value.problems
    assert "tag:yaml.org" not in line
    assert line.startswith("tag.yaml: not accepted at line 1: the tag !!python/object/apply:os")


def test_yaml_dump_of_a_tier_edit_round_trips() -> None:
    edited = set_value(_data("hamstring"), "rules", "red_flags.tiers.2.instruction", "Stop now.")
    again = yaml.safe_load(yaml.safe_dump(edited))
    assert parse_protocol(again, source="x").rules.red_flags.tiers[2].instruction == "Stop now."
