"""`sprintback protocol validate [FILE...]` and `sprintback protocol show NAME [--vmax V]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.services.protocol_admin import readable_error
from bot.services.protocol_files import available, load_protocol, read_data, resolve
from engine.models import Metrics
from engine.plan import prescribe
from engine.schema import Protocol, ProtocolError


def register(subparsers: Any) -> None:
    """Add the `protocol` sub-command with `validate` and `show`."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "protocol", help="validate protocol files or show a protocol's stages"
    )
    sub = parser.add_subparsers(dest="protocol_command", metavar="ACTION")
    validate = sub.add_parser(
        "validate",
        help="validate protocol YAML files (default: every shipped protocol)",
        description="Check protocol files as the bot does before using them; print OK or "
        "every problem with its file and where it is, as admins read it in the bot: each list "
        "item by its position (counted from 1) and id, e.g. 'stage 4 (H3), exit_criteria 4 "
        "(H3e), threshold'. Exit status: 0 when all are valid, 1 if not.",
    )
    validate.add_argument(
        "files", nargs="*", metavar="FILE", help="protocol files or names (default: all shipped)"
    )
    validate.set_defaults(func=run_validate)
    show = sub.add_parser(
        "show",
        help="print a protocol's stage table",
        description="Print a protocol's stages: goal, minimum, session, exit criteria and "
        "regression triggers. Exit status: 0, or 2 for an unknown or invalid protocol or a "
        "--vmax out of range.",
    )
    show.add_argument("name", help="name of a shipped protocol (e.g. hamstring) or a path")
    show.add_argument(
        "--vmax",
        type=float,
        help="athlete's baseline Vmax in m/s (3 to 12.5): shows target split times",
    )
    show.set_defaults(func=run_show)

    def usage(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=usage)


def run_validate(args: argparse.Namespace) -> int:
    """Validate every file (or every shipped protocol when none is given); print OK or each
    problem; return 1 if any file is invalid."""
    failed = 0
    for name in args.files or available():
        try:
            p = load_readable(name)
        except ProtocolError as exc:
            failed += 1
            print(f"INVALID {name}")
            for line in exc.problems:
                print(f"  {line}")
            continue
        print(f"OK {name}: protocol {p.name!r} ({p.injury}), {len(p.stages)} stages")
    return 1 if failed else 0


def load_readable(name: str) -> Protocol:
    """Load protocol ``name`` (a shipped name or a path) as the bot does (``load_protocol``),
    for every command that reads one (``protocol``, ``simulate``); a ProtocolError names each
    place as an admin reads it in the bot (``readable_error``): "stage 4 (H3), exit_criteria 4
    (H3e), threshold", not the schema's ``stages[H3].exit_criteria[3].threshold``."""
    try:
        return load_protocol(name)
    except ProtocolError as exc:
        try:
            data = read_data(resolve(name))
        except ProtocolError:
            raise exc from None  # no such file, or not YAML: no place in it to name
        raise readable_error(exc, data) from None


def run_show(args: argparse.Namespace) -> int:
    """Print the stage table of a protocol; return 2 on an unknown or invalid protocol."""
    if args.vmax is not None and not 3.0 <= args.vmax <= 12.5:
        print(
            f"sprintback protocol show: --vmax {args.vmax:g} looks wrong: expected a sprint "
            "speed between 3 and 12.5 m/s",
            file=sys.stderr,
        )
        return 2
    try:
        p = load_readable(args.name)
    except ProtocolError as exc:
        print(f"sprintback protocol show: {exc}", file=sys.stderr)
        return 2
    print(render_table(p, args.vmax))
    return 0


def render_table(p: Protocol, vmax: float | None) -> str:
    """Return a readable stage table (with target split times when ``vmax`` is given)."""
    baseline = Metrics(vmax_ms=vmax) if vmax is not None else None
    out = [f"{p.title or p.name}  [{p.name}, {p.injury}, v{p.version}]"]
    if vmax is not None:
        out.append(f"Target times for Vmax {vmax:g} m/s: t = distance / (%Vmax × Vmax)")
    out.append("")
    for s in p.stages:
        rest = "".join(
            f", rest ≥ {r.value} h between runs"
            if r.applies_from_pct_vmax <= 1
            else f", rest ≥ {r.value} h before a run at ≥ {r.applies_from_pct_vmax:g} % Vmax"
            for r in s.rest_rules
        )
        days = s.min_days.value
        minimum = f"{days} day" if days == 1 else f"{days} days"
        sessions = s.min_sessions.value
        if sessions:
            minimum += f", ≥ {sessions} session" + ("" if sessions == 1 else "s")
            if s.min_sessions.at_pct_vmax is not None:
                minimum += f" at ≥ {s.min_sessions.at_pct_vmax:g} % Vmax"
        out.append(f"{s.id}  {s.name}")
        out.append(f"    goal: {s.goal}")
        out.append(f"    minimum: {minimum}{rest}; sign-off: {s.signoff}")
        plan = prescribe(p, s.id, baseline, None)
        out += [f"    {line}" for line in plan.lines()[1:]]
        if s.exit_criteria:
            out.append("    exit (all):")
            for c in s.exit_criteria:
                cond = c.describe()
                if c.at_pct_vmax is not None:
                    cond += f" at ≥ {c.at_pct_vmax:g} % Vmax"
                if c.pain_max is not None:
                    cond += f", pain ≤ {c.pain_max}"
                out.append(f"      [{c.id}] {c.text}  ({cond}; {c.evidence}: {c.source})")
        if s.regression_triggers:
            out.append("    regression:")
            for t in s.regression_triggers:
                out.append(f"      [{t.id}] {t.text} → {t.action.replace('_', ' ')}")
        out.append("")
    return "\n".join(out)
