"""`sprintback simulate SCENARIO.yaml`: replay a scenario through the engine, day by day."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.protocol import load_readable
from bot.services.protocol_files import EXAMPLES_DIR, load_text, resolve
from engine.programme import DayOutcome, Timeline, replay
from engine.scenario import Scenario, ScenarioError, parse_scenario
from engine.schema import Protocol, ProtocolError


def register(subparsers: Any) -> None:
    """Add the `simulate` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="replay a scenario file through the protocol engine",
        description="Replay a scenario (data-dictionary format) and print the day-by-day "
        "timeline and a summary. Exit status: 0, or 2 with the problems of an invalid scenario "
        "or protocol, each with its place as `sprintback protocol validate` names it.",
    )
    parser.add_argument(
        "scenario",
        help="scenario YAML file (see docs/protocols.md), or the name of a shipped example "
        "such as hamstring_grade1",
    )
    parser.add_argument(
        "--protocol", help="name of a shipped protocol or a path (default: the scenario's)"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people, json for tools (default: text)",
    )
    parser.set_defaults(func=run)


def load_scenario(path: str) -> Scenario:
    """Read and validate a scenario file, or a shipped example by name (``hamstring_grade1``);
    raise ScenarioError with a clear message."""
    bare_name = "/" not in path and "." not in path
    try:
        source = resolve(path, directory=EXAMPLES_DIR, kind="example") if bare_name else Path(path)
        text = source.read_text(encoding="utf-8")
    except ProtocolError as exc:
        raise ScenarioError(exc.problems) from None
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read the file ({exc.strerror})"]) from None
    try:
        data = load_text(text, source=path)
    except ProtocolError as exc:
        raise ScenarioError(exc.problems) from None
    return parse_scenario(data, source=path)


def simulate(scenario: Scenario, protocol: Protocol) -> Timeline:
    """Replay a scenario with a protocol; the protocol must be for the athlete's injury."""
    if protocol.injury != scenario.athlete.injury:
        raise ScenarioError(
            [
                f"protocol {protocol.name!r} is for a {protocol.injury} injury but the athlete "
                f"has a {scenario.athlete.injury} injury: choose a matching protocol"
            ]
        )
    return replay(
        protocol,
        scenario.injury(),
        scenario.athlete.baseline,
        scenario.days,
        start=scenario.start,
        until=scenario.until,
    )


def run(args: argparse.Namespace) -> int:
    """Run the simulation and print it; return 0, or 2 with a message on bad input."""
    try:
        scenario = load_scenario(args.scenario)
        name = args.protocol or scenario.protocol or scenario.athlete.injury
        # An invalid protocol file's problems are placed as `protocol validate` places them.
        timeline = simulate(scenario, load_readable(name))
    except (ScenarioError, ProtocolError) as exc:
        print(f"sprintback simulate: invalid input:\n{exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(timeline.to_json_data(), indent=2, ensure_ascii=False))
    else:
        print(render_text(timeline))
    return 0


def _day_lines(d: DayOutcome) -> list[str]:
    move = d.stage if d.stage == d.stage_after else f"{d.stage}→{d.stage_after}"
    session = f" session={d.session_class}" if d.session_class else ""
    out = [
        f"{d.date.isoformat()}  {move:<7} morning={d.readiness:<7}{session:<15} "
        f"decision={d.decision.upper()}"
    ]
    for r in d.reasons:
        if r.rule.startswith(("gate.", "H", "C")) and r.text.startswith("Met:"):
            continue
        extra = ""
        if r.observed is not None or r.threshold is not None:
            seen = "not recorded" if r.observed is None else r.observed
            extra = f" [seen {seen}, needed {r.threshold}]"
        out.append(f"    - {r.rule}: {r.text}{extra}")
    out += [f"    ! ALERT {a.severity}: {a.text}" for a in d.alerts]
    return out


def render_text(timeline: Timeline) -> str:
    """Return the timeline and summary as readable text."""
    lines: list[str] = []
    for d in timeline.days:
        lines += _day_lines(d)
    s = timeline.summary
    lines.append("")
    lines.append("Summary")
    days_in_stage = s["days_in_stage"]
    assert isinstance(days_in_stage, dict)
    lines.append("  days in each stage: " + ", ".join(f"{k} {v}" for k, v in days_in_stage.items()))
    if s["full_training_date"]:
        lines.append(
            f"  full training ({s['full_training_stage']}) reached on {s['full_training_date']}: "
            f"programme day {s['programme_day_of_full_training']}, "
            f"{s['days_from_injury_to_full_training']} days after the injury"
        )
    else:
        lines.append(f"  full training ({s['full_training_stage']}) not reached")
    lines.append(
        f"  final stage: {s['final_stage']}; progressions {s['progressions']}, "
        f"step-backs {s['step_backs']}, stops {s['stops']}"
    )
    esc = s["escalations"]
    assert isinstance(esc, dict)
    lines.append("  alerts: " + ", ".join(f"{k} {v}" for k, v in esc.items()))
    return "\n".join(lines)
