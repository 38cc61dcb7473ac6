"""Attack: tests logged on a later date and answered before an earlier date's answers (a move
west across time zones) started no rest interval.

A session report with strength or hop tests and no run logged is not one of the stage's runs
(protocol note 22), but on its own day, on a plan with running, it starts the stage's rest
before the next fast session: a report cannot tell a test day from a run by feel (reference
§0.3, P6). Reported from Auckland on Wednesday 4 March at 08:30 and booked to that date, then,
after a flight to Los Angeles (still Tuesday 3 March there), followed by Tuesday's check-in
90 minutes later: the engine read only the later report's run readings, so the tests (or a
report without any numbers) were left out and Tuesday's plan had fast running, and a run
that evening counted. H2 needs 48 h between runs. Fixed: such a later report is taken as an
unmeasured run (its day's plan is not decided yet), as on its own day.
"""

from __future__ import annotations

from engine.models import LaterRun, SessionReport
from engine.programme import DayOutcome, ProgrammeState
from tests.engine.builders import day, rec, session
from tests.engine.test_attack_rest_real_time import H2_RUN, LA, NZ, h2, local
from tests.engine.test_programme import decide, rules

TESTS = session(metrics={"nordic_n": 300, "strength_lsi_pct": 86})
NO_NUMBERS = session()


def _running(out: DayOutcome) -> bool:
    return out.plan is not None and out.plan.running


def tuesday_after_the_flight(
    later: SessionReport | None, s: SessionReport | None = None
) -> tuple[DayOutcome, ProgrammeState]:
    """Tuesday 3 March, checked in from Los Angeles at 13:00 (21:00 UTC), after ``later``
    was reported in Auckland on Wednesday 4 March at 08:30 (19:30 UTC on the 3rd); ``s`` is
    reported at 17:00 in Los Angeles."""
    runs = [] if later is None else [LaterRun(date=day(1), at=local(1, 8, 30, NZ), session=later)]
    record = rec(
        0,
        s=s,
        morning_at=local(0, 13, 0, LA),
        session_at=local(0, 17, 0, LA) if s is not None else None,
        later_runs=runs,
    )
    return decide(h2(), record)


def test_tests_reported_on_their_own_day_keep_the_next_morning_free_of_fast_running() -> None:
    """The reference case: the same tests after a check-in whose plan had running; the next
    check-in, 22.5 hours later, has no fast running."""
    out, st = decide(
        h2(), rec(0, s=TESTS, morning_at=local(0, 7, 0, NZ), session_at=local(0, 8, 30, NZ))
    )
    assert _running(out) and "session.no_run" in rules(out)
    out, _ = decide(st, rec(1, morning_at=local(1, 7, 0, NZ)))
    assert not _running(out) and "gate.6" in rules(out)


def test_without_the_later_report_the_afternoon_plan_has_running() -> None:
    """The check-in alone, nothing run before it: H2's run is on."""
    out, _ = tuesday_after_the_flight(None)
    assert _running(out)


def test_tests_reported_before_a_flight_west_keep_the_next_check_in_free_of_fast_running() -> None:
    out, _ = tuesday_after_the_flight(TESTS)
    assert out.readiness == "go"
    assert not _running(out)
    assert "gate.6" in rules(out)


def test_a_report_without_numbers_before_a_flight_west_keeps_the_rest_as_well() -> None:
    """No numbers at all: taken to have followed a plan with running (no device), as on its
    own day."""
    out, _ = tuesday_after_the_flight(NO_NUMBERS)
    assert not _running(out)
    assert "gate.6" in rules(out)


def test_a_run_hours_after_tests_reported_before_a_flight_west_is_flagged_and_not_counted() -> None:
    out, st = tuesday_after_the_flight(TESTS, session(H2_RUN))
    flag = next(r for r in out.reasons if r.rule == "session.flag.rest")
    # 19:30 UTC (Auckland, 08:30 on the 4th) to 01:00 UTC on the 4th (Los Angeles, 17:00).
    assert flag.observed == 5 and flag.threshold == "≥ 48 h"
    assert "5 h after your last one" in flag.text
    assert st.qualifying_sessions == 0
    assert st.last_session is not None and not st.last_session.counts_for_progress


def test_the_later_report_is_not_stored_as_a_run_of_the_earlier_day() -> None:
    """For the rest intervals only: the earlier day's run log does not gain it (its own day
    logs it when that day is decided)."""
    _, st = tuesday_after_the_flight(TESTS)
    assert all(r.date != day(1) for r in st.run_log)
