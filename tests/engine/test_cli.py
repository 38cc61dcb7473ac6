"""`sprintback simulate` and `sprintback protocol`: output, JSON shape, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples_simulate_as_text(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Summary" in out and "days in each stage:" in out
    assert "decision=" in out


def test_simulate_json_is_the_data_dictionary_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(ROOT / "examples/red_flag.yaml"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"days", "summary"}
    for d in data["days"]:
        assert set(d) == {
            "date",
            "stage",
            "readiness",
            "decision",
            "stage_after",
            "reasons",
            "alerts",
        }
        for r in d["reasons"]:
            assert set(r) == {"rule", "observed", "threshold", "text"}
        for a in d["alerts"]:
            assert set(a) == {"severity", "text"}
    stop = next(d for d in data["days"] if d["decision"] == "stop")
    assert stop["readiness"] == "stop" and stop["alerts"][0]["severity"] == "same_day"
    assert {"days_in_stage", "full_training_date", "step_backs", "escalations"} <= set(
        data["summary"]
    )


def _scenario(tmp_path: Path, edit: dict[str, object]) -> Path:
    data = yaml.safe_load((ROOT / "examples/hamstring_grade1.yaml").read_text(encoding="utf-8"))
    data.update(edit)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"athelete": {}}, "athelete: unknown key"),
        ({"start": "2026-02-01"}, "start is before athlete.injury_date"),
        (
            {"days": [{"date": "2026-03-03", "morning": {"pain_rest": 12}}]},
            "days[2026-03-03].morning.pain_rest: Input should be less than or equal to 10",
        ),
        (
            {"days": [{"date": "2026-03-03", "session": {"metrics": {"vmax_ms": 14}}}]},
            "days[2026-03-03].session.metrics.vmax_ms",
        ),
        ({"days": [{"date": "2026-03-03"}, {"date": "2026-03-03"}]}, "appears twice"),
        ({"protocol": "calf"}, "protocol 'calf' is for a calf injury"),
        ({"protocol": "knee"}, "no protocol of that name"),
    ],
)
def test_invalid_scenarios_exit_non_zero_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: dict[str, object], message: str
) -> None:
    assert main(["simulate", str(_scenario(tmp_path, edit))]) == 2
    said = capsys.readouterr()
    assert message in said.err and said.out == ""  # errors on stderr, as every command's
    assert "Traceback" not in said.err


def test_missing_and_broken_scenario_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read the file" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("athlete: [", encoding="utf-8")
    assert main(["simulate", str(bad)]) == 2
    assert "expected valid YAML" in capsys.readouterr().err


def test_simulate_protocol_option_takes_a_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load((ROOT / "protocols/hamstring.yaml").read_text(encoding="utf-8"))
    data["name"] = "strict"
    data["stages"][0]["min_days"]["value"] = 5
    custom = tmp_path / "strict.yaml"
    custom.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    args = ["simulate", str(ROOT / "examples/hamstring_grade1.yaml"), "--format", "json"]
    assert main([*args, "--protocol", str(custom)]) == 0
    strict = json.loads(capsys.readouterr().out)
    assert main(args) == 0
    default = json.loads(capsys.readouterr().out)
    assert strict["summary"]["days_in_stage"]["H0"] > default["summary"]["days_in_stage"]["H0"]


def test_protocol_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = [str(ROOT / "protocols/hamstring.yaml"), str(ROOT / "protocols/calf.yaml")]
    assert main(["protocol", "validate", *ok]) == 0
    assert capsys.readouterr().out.count("OK ") == 2
    data = yaml.safe_load((ROOT / "protocols/calf.yaml").read_text(encoding="utf-8"))
    data["stages"][3]["exit_criteria"][0]["item"] = "checks.knee_hop"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["protocol", "validate", *ok, str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"INVALID {bad}" in out
    assert (
        f"{bad}: stage 4 (C3), exit_criteria 1 (C3a), item: unknown item 'checks.knee_hop'" in out
    )


def test_protocol_show_with_target_times(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["protocol", "show", "hamstring", "--vmax", "9.0"]) == 0
    out = capsys.readouterr().out
    for sid in ("H0", "H3", "H7"):
        assert f"\n{sid}  " in out
    assert "target 20 m in 3.17–2.78 s" in out  # t = 20 / (0.70 × 9.0) at 70 %
    assert main(["protocol", "show", "calf"]) == 0
    assert "target" not in capsys.readouterr().out.split("C3")[1].split("C4")[0]


def test_protocol_show_reads_minimums_and_rest_as_an_admin_would_say_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["protocol", "show", "hamstring"]) == 0
    out = capsys.readouterr().out
    h0 = out.split("\nH0  ")[1].split("\nH1  ")[0]
    assert "minimum: 1 day;" in h0 and "0 sessions" not in h0
    h2 = out.split("\nH2  ")[1].split("\nH3  ")[0]
    assert "rest ≥ 48 h between runs" in h2  # not "before the next run ≥ 1 %"
    h5 = out.split("\nH5  ")[1].split("\nH6  ")[0]
    assert "rest ≥ 72 h before a run at ≥ 95 % Vmax" in h5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["protocol", "show", "knee"], "no protocol of that name"),
        (["protocol", "show", "calf", "--vmax", "50"], "--vmax 50 looks wrong"),
    ],
)
def test_protocol_show_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    said = capsys.readouterr()
    assert message in said.err and said.out == ""
