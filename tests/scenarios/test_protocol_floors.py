"""Issue 12, point 11: a protocol cannot switch safety off. The schema refuses, one line per
field and naming it, anything looser than the reference: red-flag tiers, stages without exit
criteria, dropped REQUIRED sign-offs, looser pain thresholds, zero minimum days or sessions for
running stages, symptom-free days and where a stop in full training leads. A protocol may be
stricter. Before the fix the loose upload validated and could be published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.services.protocol_files import PROTOCOL_DIR, load_protocol
from engine.schema import ProtocolError, parse_protocol, protocol_to_data, set_value

LOOSE = Path(__file__).parent / "protocols" / "loose_hamstring.yaml"


def _problems(data: Any, source: str = "mine.yaml") -> list[str]:
    with pytest.raises(ProtocolError) as err:
        parse_protocol(data, source=source)
    return err.value.problems


def test_the_loose_upload_is_refused_naming_every_field() -> None:
    with pytest.raises(ProtocolError) as err:
        load_protocol(str(LOOSE))
    text = "\n".join(err.value.problems)
    for path in (
        "rules.red_flags.codes.chest_breathless: tier 3 is below the reference's tier 1",
        "rules.red_flags.codes.calf_warm_red: tier 3",
        "rules.red_flags.codes.numbness: tier 3",
        "rules.red_flags.sharp_pain_tier: tier 3",
        "stages[H3].exit_criteria: a stage without exit criteria",
        "stages[H0].signoff: “none” drops a sign-off the reference marks REQUIRED",
        "stages[H5].signoff: “none”",
        "stages[H6].signoff: “none”",
        "rules.pain.running_hv_max.value: 10 is looser than the reference",
        "rules.morning.stop_pain_rest_min.value: 10",
        "rules.session.red_pain_min.value: 10",
        "rules.red_flags.severe_pain_rest_min.value: 10",
        "stages[H2].min_days.value: 0 is below the reference",
        "stages[H2].min_sessions.value: 0",
        "stages[H4].min_days.value: 0 for a running stage: expected at least 1",
        "stages[H4].symptom_free_days.value: 0 is below the reference",
        "stages[H3].regression_triggers[0].threshold: 10 on session.pain_max fires later",
        "reinjury_stage: “H6”",
    ):
        assert path in text, path
    assert all(line.startswith(f"{LOOSE}: ") for line in err.value.problems)
    paths = [line.split(": ")[1] for line in err.value.problems]
    assert len(paths) == len(set(paths)), "one line per field"


@pytest.mark.parametrize(
    ("stage", "field", "value", "expected"),
    [
        ("rules", "red_flags.codes.pop", "3", "rules.red_flags.codes.pop: tier 3 is below"),
        ("rules", "pain.running_below_hv_max.value", "3", "expected ≤ 2"),
        ("rules", "next_morning.step_back_delta.value", "3", "expected ≤ 2"),
        ("rules", "morning.hooper_fallback_heavy.value", "20", "expected ≤ 17"),
        ("H5", "signoff", "recommended", "stages[H5].signoff: “recommended” drops"),
        ("H3", "min_sessions.value", "1", "stages[H3].min_sessions.value: 1 is below"),
        ("H6", "exit_criteria[H6b].threshold", "3", "stages[H6].exit_criteria[1].threshold"),
        ("H6", "symptom_free_days.value", "1", "stages[H6].symptom_free_days.value: 1"),
    ],
)
def test_an_admin_edit_cannot_loosen_one_value(
    stage: str, field: str, value: str, expected: str
) -> None:
    data = protocol_to_data(load_protocol("hamstring"))
    problems = _problems(set_value(data, stage, field, value))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("stage", "field", "value"),
    [
        ("rules", "red_flags.codes.swelling", "2"),
        ("rules", "red_flags.codes.numbness", "1"),
        ("rules", "pain.running_hv_max.value", "0"),
        ("rules", "red_flags.severe_session_pain_min.value", "6"),
        ("H3", "min_days.value", "6"),
        ("H6", "symptom_free_days.value", "5"),
        ("-", "reinjury_stage", "H4"),
    ],
)
def test_an_admin_may_tighten(stage: str, field: str, value: str) -> None:
    data = protocol_to_data(load_protocol("hamstring"))
    parse_protocol(set_value(data, stage, field, value), source="stricter.yaml")


@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_the_shipped_protocols_sit_on_or_above_the_floor(name: str) -> None:
    data = yaml.safe_load((PROTOCOL_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    parse_protocol(data, source=name)


def test_a_calf_protocol_cannot_drop_the_c6_gate_or_its_symptom_free_days() -> None:
    data = protocol_to_data(load_protocol("calf"))
    data = set_value(data, "C6", "signoff", "none")
    data = set_value(data, "C6", "symptom_free_days.value", "0")
    problems = _problems(data)
    assert any("stages[C6].signoff: “none” drops" in p for p in problems), problems
    assert any("stages[C6].symptom_free_days.value: 0" in p for p in problems), problems
