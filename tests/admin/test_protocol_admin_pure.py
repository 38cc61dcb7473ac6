"""Protocol diff and dry-run comparison."""

from __future__ import annotations

import datetime as dt

from bot.services.protocol_admin import (
    DayOutcome,
    compare_outcomes,
    dry_run,
    next_version,
    render_dry_run,
    yaml_diff,
)

D1 = dt.date(2026, 3, 3)
D2 = dt.date(2026, 3, 4)


def day(date: dt.date, decision: str, stage: str = "H1", after: str | None = None) -> DayOutcome:
    return DayOutcome(date=date, stage=stage, decision=decision, stage_after=after or stage)


def test_diff_shows_only_the_changed_line() -> None:
    old = "name: h\nstages:\n  - id: H1\n    min_days: 2\n    max_pain: 3\n"
    new = old.replace("min_days: 2", "min_days: 3")
    diff = yaml_diff(old, new, "hamstring", "v1", "draft")
    assert "-    min_days: 2\n" in diff and "+    min_days: 3\n" in diff
    assert "--- hamstring (v1)" in diff and "+++ hamstring (draft)" in diff
    assert "max_pain" in diff  # context line
    assert yaml_diff(old, old, "hamstring", "v1", "draft") == ""


def test_only_days_with_a_different_outcome_are_reported() -> None:
    before = [day(D1, "hold"), day(D2, "progress", after="H2")]
    after = [day(D1, "hold"), day(D2, "hold")]
    changes = compare_outcomes("case", before, after)
    assert [(c.date, c.before.decision, c.after.decision) for c in changes] == [
        (D2, "progress", "hold")
    ]  # type: ignore[union-attr]


def test_a_day_missing_on_one_side_counts_as_changed() -> None:
    changes = compare_outcomes("case", [day(D1, "hold")], [day(D1, "hold"), day(D2, "hold")])
    assert [(c.date, c.before) for c in changes] == [(D2, None)]


def test_dry_run_reports_changes_and_keeps_going_after_a_broken_case() -> None:
    runs = {
        "examples/a.yaml": ([day(D1, "progress", after="H2")], [day(D1, "hold")]),
        "athlete #7": ([day(D1, "hold")], [day(D1, "hold")]),
    }

    def active(case: str) -> list[DayOutcome]:
        if case == "broken":
            raise ValueError("bad scenario")
        return runs[case][0]

    def draft(case: str) -> list[DayOutcome]:
        return runs[case][1]

    report = dry_run(["examples/a.yaml", "broken", "athlete #7"], active, draft)
    assert report.changed_cases == ["examples/a.yaml"]
    assert report.failures == (("broken", "active protocol: bad scenario"),)
    text = render_dry_run(report, "hamstring")
    assert "3 cases replayed" in text
    assert "examples/a.yaml 2026-03-03: progress (H1→H2) → hold (H1)" in text
    assert "broken could not be replayed" in text


def test_no_change_is_said_plainly() -> None:
    report = dry_run(["x"], lambda c: [day(D1, "hold")], lambda c: [day(D1, "hold")])
    assert "No decision would change." in render_dry_run(report, "calf")


def test_next_version_is_one_above_the_highest() -> None:
    assert next_version([]) == 1
    assert next_version([1, 3, 2]) == 4
