"""Scenario files (tests/scenarios/*.yaml): a data-dictionary scenario plus ``expect:``.

Expected outcomes: ``decisions`` / ``stage_after`` / ``readiness`` per date, ``alerts`` (the
severities raised that date, in order), ``alerts_include`` (``{rule, severity}`` that must be
among that date's alerts), ``reasons`` (rule ids that must appear that date), ``reasons_absent``
(rule ids that must not appear that date), ``no_reasons`` (rule ids that appear on no day),
``readiness_not`` (``{from, until, values}``: no day in the range has one of these verdicts),
``texts_include`` (``{date: [words]}``: each appears in a reason or alert text that date),
``instructions`` (``{date: [rule]}``: athlete instructions given that date),
``instructions_say`` / ``instructions_never_say`` (``{date: [words]}``: words that appear /
never appear in that date's athlete instructions), ``plan_max_pct``
(``{date: p}``: nothing in that day's plan is prescribed above p % Vmax; 0 =
no running), ``final_state`` (fields of the engine state after the last day), ``summary``
(values of the timeline summary), ``full_training_days_from_injury: [lo, hi]`` and
``min_days_respected`` (full training no sooner than the sum of the earlier stages' minimum days).

Every scenario about issue 12 (``issue12_*.yaml``) failed on the engine before that issue's
changes and passes after them.
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
    for key, wanted in expect.get("alerts_include", {}).items():
        got = [{"rule": a.rule, "severity": a.severity} for a in day(key).alerts]
        for alert in wanted:
            assert alert in got, f"{key}: {alert} not in {got}"
    for key, words in expect.get("texts_include", {}).items():
        texts = [r.text for r in day(key).reasons] + [a.text for a in day(key).alerts]
        for w in words:
            assert any(w in t for t in texts), f"{key}: {w!r} not in {texts}"
    for key, wanted in expect.get("instructions", {}).items():
        assert [i.rule for i in day(key).instructions] == wanted, key
    for key, words in expect.get("instructions_say", {}).items():
        told = " ".join(i.text for i in day(key).instructions)
        for w in words:
            assert w in told, f"{key}: {w!r} not in {told!r}"
    for key, words in expect.get("instructions_never_say", {}).items():
        told = " ".join(i.text for i in day(key).instructions)
        for w in words:
            assert w not in told, f"{key}: {w!r} in {told!r}"
    for key, unwanted in expect.get("reasons_absent", {}).items():
        got = [r.rule for r in day(key).reasons]
        for rule in unwanted:
            assert rule not in got, f"{key}: {rule} in {got}"
    for rule in expect.get("no_reasons", []):
        hits = [d.date for d in timeline.days if any(r.rule == rule for r in d.reasons)]
        assert not hits, f"{rule} on {hits}"
    for span in expect.get("readiness_not", []):
        lo, hi = (dt.date.fromisoformat(str(span[k])) for k in ("from", "until"))
        bad = [(d.date, d.readiness) for d in timeline.days if lo <= d.date <= hi]
        bad = [(date, r) for date, r in bad if r in span["values"]]
        assert not bad, f"readiness {span['values']} between {lo} and {hi}: {bad}"
    for key, most in expect.get("plan_max_pct", {}).items():
        plan = day(key).plan
        assert plan is not None, f"{key}: no plan"
        top = max((d.pct_vmax[1] for d in plan.drills if d.pct_vmax), default=0.0)
        if not plan.running:
            top = 0.0
        assert top <= most, f"{key}: plan up to {top} % Vmax, expected ≤ {most}"
    for key, value in expect.get("final_state", {}).items():
        assert getattr(timeline.final_state, key) == value, key
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
