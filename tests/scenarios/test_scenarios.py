"""Scenario files (tests/scenarios/*.yaml): a data-dictionary scenario plus ``expect:``.

Expected outcomes: ``decisions`` / ``stage_after`` / ``readiness`` per date, ``alerts`` (the
severities raised that date, in order), ``reasons`` (rule ids that must appear that date),
``summary`` (values of the timeline summary), ``full_training_days_from_injury: [lo, hi]`` and
``min_days_respected`` (full training no sooner than the sum of the earlier stages' minimum days).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli.simulate import simulate
from bot.services.protocol_files import load_protocol
from engine.programme import Timeline
from engine.scenario import parse_scenario

HERE = Path(__file__).parent
FILES = sorted(HERE.glob("*.yaml"))


def _load(path: Path) -> tuple[Timeline, dict[str, Any], Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    expect = data.pop("expect")
    scenario = parse_scenario(data, source=str(path))
    protocol = load_protocol(scenario.protocol or scenario.athlete.injury)
    return simulate(scenario, protocol), expect, (scenario, protocol)


def test_there_are_scenarios() -> None:
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario(path: Path) -> None:
    timeline, expect, (scenario, protocol) = _load(path)
    by_date = {d.date: d for d in timeline.days}

    def day(key: Any) -> Any:
        date = key if isinstance(key, dt.date) else dt.date.fromisoformat(str(key))
        assert date in by_date, f"{path.name}: no day {date} in the timeline"
        return by_date[date]

    for key, decision in expect.get("decisions", {}).items():
        assert day(key).decision == decision, f"{key}: {[r.rule for r in day(key).reasons]}"
    for key, stage in expect.get("stage_after", {}).items():
        assert day(key).stage_after == stage, key
    for key, readiness in expect.get("readiness", {}).items():
        assert day(key).readiness == readiness, key
    for key, severities in expect.get("alerts", {}).items():
        assert [a.severity for a in day(key).alerts] == severities, key
    for key, wanted in expect.get("reasons", {}).items():
        got = [r.rule for r in day(key).reasons]
        for rule in wanted:
            assert rule in got, f"{key}: {rule} not in {got}"
    for key, value in expect.get("summary", {}).items():
        assert timeline.summary[key] == value, key
    if "full_training_days_from_injury" in expect:
        lo, hi = expect["full_training_days_from_injury"]
        got = timeline.summary["days_from_injury_to_full_training"]
        assert got is not None and lo <= got <= hi, got
    if expect.get("min_days_respected"):
        full = timeline.summary["full_training_date"]
        assert isinstance(full, str)
        before = protocol.index(protocol.full_training_stage)
        floor = sum(s.min_days.value for s in protocol.stages[:before])
        assert (dt.date.fromisoformat(full) - scenario.start).days >= floor
