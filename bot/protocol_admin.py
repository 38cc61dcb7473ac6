"""Protocol editing for admins: drafts, differences, dry-runs, publishing and rollback.

A draft is the full YAML text of a protocol that has passed the engine's schema but is not yet
published. Publishing stores it as a new :class:`ProtocolVersion` and makes it the active one;
athletes move to it at their next decision (every decision records the version it used).
Rollback never rewrites history: it publishes the text of the chosen old version again, as a
new version number, so the history reads as what was actually in force and when.

The dry-run replays every scenario in ``examples/`` and the last 60 days of every athlete on
the protocol through both the active protocol and the draft, and lists the days whose decision
(or resulting stage) would change.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict

DRYRUN_DAYS = 60
MAX_REPORTED_CHANGES = 25


class DayOutcome(BaseModel):
    """The part of one replayed day a dry-run compares."""

    model_config = ConfigDict(frozen=True)

    date: dt.date
    stage: str | None
    decision: str | None
    stage_after: str | None


class DecisionChange(BaseModel):
    """One day of one case whose outcome differs between the active protocol and the draft."""

    model_config = ConfigDict(frozen=True)

    case: str
    date: dt.date
    before: DayOutcome | None
    after: DayOutcome | None


class DryRunReport(BaseModel):
    """Which cases were replayed, which days changed, and which cases could not be replayed."""

    model_config = ConfigDict(frozen=True)

    cases: tuple[str, ...]
    changes: tuple[DecisionChange, ...]
    failures: tuple[tuple[str, str], ...] = ()

    @property
    def changed_cases(self) -> list[str]:
        """The cases with at least one changed day, in case order."""
        changed = {c.case for c in self.changes}
        return [c for c in self.cases if c in changed]


def yaml_diff(old_text: str, new_text: str, name: str, old_label: str, new_label: str) -> str:
    """Return a unified diff of two protocol texts, or '' when they are identical."""
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True),
        new_text.splitlines(keepends=True),
        fromfile=f"{name} ({old_label})",
        tofile=f"{name} ({new_label})",
        n=2,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def compare_outcomes(
    case: str, before: Sequence[DayOutcome], after: Sequence[DayOutcome]
) -> list[DecisionChange]:
    """Return the days of ``case`` whose decision or resulting stage differs, by date."""
    before_by_date = {d.date: d for d in before}
    after_by_date = {d.date: d for d in after}
    changes: list[DecisionChange] = []
    for date in sorted(set(before_by_date) | set(after_by_date)):
        b = before_by_date.get(date)
        a = after_by_date.get(date)
        same = (
            b is not None
            and a is not None
            and (b.decision, b.stage_after, b.stage) == (a.decision, a.stage_after, a.stage)
        )
        if not same:
            changes.append(DecisionChange(case=case, date=date, before=b, after=a))
    return changes


Replay = Callable[[str], list[DayOutcome]]
"""Replays one case under one protocol and returns its days (raises on a case it cannot run)."""


def dry_run(
    case_names: Sequence[str],
    replay_active: Callable[[str], list[DayOutcome]],
    replay_draft: Callable[[str], list[DayOutcome]],
) -> DryRunReport:
    """Replay every case under the active protocol and the draft; report the changed days.

    A case that fails to replay under either protocol is listed under ``failures`` with the
    error text instead of aborting the whole dry-run.
    """
    changes: list[DecisionChange] = []
    failures: list[tuple[str, str]] = []
    for case in case_names:
        try:
            before = replay_active(case)
        except Exception as exc:
            failures.append((case, f"active protocol: {exc}"))
            continue
        try:
            after = replay_draft(case)
        except Exception as exc:
            failures.append((case, f"draft: {exc}"))
            continue
        changes.extend(compare_outcomes(case, before, after))
    return DryRunReport(cases=tuple(case_names), changes=tuple(changes), failures=tuple(failures))


def _describe(outcome: DayOutcome | None) -> str:
    if outcome is None:
        return "(no day)"
    stage = outcome.stage or "?"
    after = outcome.stage_after or "?"
    move = stage if stage == after else f"{stage}→{after}"
    return f"{outcome.decision or 'no decision'} ({move})"


def render_dry_run(report: DryRunReport, name: str) -> str:
    """Return the dry-run summary an admin reads before publishing."""
    lines = [f"Dry-run of the draft of {name}: {len(report.cases)} case(s) replayed."]
    if not report.changes:
        lines.append("No decision would change.")
    else:
        lines.append(
            f"{len(report.changes)} day(s) in {len(report.changed_cases)} case(s) would change:"
        )
        for change in report.changes[:MAX_REPORTED_CHANGES]:
            lines.append(
                f"• {change.case} {change.date.isoformat()}: "
                f"{_describe(change.before)} → {_describe(change.after)}"
            )
        hidden = len(report.changes) - MAX_REPORTED_CHANGES
        if hidden > 0:
            lines.append(f"… and {hidden} more.")
    for case, error in report.failures:
        lines.append(f"⚠️ {case} could not be replayed: {error}")
    return "\n".join(lines)


def next_version(existing_versions: Sequence[int]) -> int:
    """Return the version number a new publication gets: one above the highest so far."""
    return max(existing_versions, default=0) + 1
