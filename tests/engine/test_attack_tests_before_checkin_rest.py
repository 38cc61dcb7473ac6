"""Attack: tests (or a report without any numbers) answered before the day's check-in started
no rest interval.

A session report with strength or hop tests and no run logged is not one of the stage's runs
(protocol note 22), but on a day whose plan had running it starts the stage's rest before the
next fast session: a report cannot tell a test day from a run by feel (reference §0.3, P6).
Answered at 07:00, before the check-in at 07:30, the same report was judged as on a day
without a check-in (no plan), which read neither the tests nor a report without numbers as a
possible run: nothing entered the run log, and the next morning's plan had H2's fast running
24 hours later, where H2 needs 48 h between runs. The same held on a day without any
check-in, which is also how the day reads while the report waits for the check-in. Fixed:
such a report starts the rest after an unmeasured run at the stage's top (+ the
perceived-effort offset), as on a plan with running, and still counts for nothing else.
"""

from __future__ import annotations

import datetime as dt

from engine.models import DayRecord, SessionReport
from engine.programme import DayOutcome, decide_day, initial_state
from tests.engine.builders import (
    BASELINE,
    CALF_INJURY,
    day,
    protocol,
    rec,
    session,
)
from tests.engine.test_attack_rest_real_time import H2_RUN, h2
from tests.engine.test_programme import decide, ready, rules

TESTS = session(metrics={"nordic_n": 300, "strength_lsi_pct": 86})
NO_NUMBERS = session()


def at(n: int, hour: int, minute: int = 0) -> dt.datetime:
    """Programme day ``n`` (day 0 = Tuesday 3 March) at ``hour``:``minute`` UTC."""
    return dt.datetime.combine(day(n), dt.time(hour, minute), tzinfo=dt.UTC)


def report_then_checkin(n: int, s: SessionReport) -> DayRecord:
    """Day ``n``: the session reported at 07:00, the check-in answered at 07:30."""
    return rec(n, s=s, session_at=at(n, 7), morning_at=at(n, 7, 30))


def checkin_then_report(n: int, s: SessionReport) -> DayRecord:
    """Day ``n`` in the usual order: the check-in at 07:00, the session at 08:30."""
    return rec(n, s=s, morning_at=at(n, 7), session_at=at(n, 8, 30))


def report_without_checkin(n: int, s: SessionReport) -> DayRecord:
    """Day ``n``: the session reported at 07:00 and no check-in (yet)."""
    return rec(n, m=None, s=s, session_at=at(n, 7))


def _running(out: DayOutcome) -> bool:
    return out.plan is not None and out.plan.running


def next_morning(record: DayRecord) -> DayOutcome:
    """The check-in at 07:00 on day 1, after day 0's ``record`` (from H2 with nothing run
    yet)."""
    _, st = decide(h2(), record)
    out, _ = decide(st, rec(1, morning_at=at(1, 7)))
    return out


def test_with_the_check_in_first_the_next_morning_has_no_fast_running() -> None:
    """The reference case: after a check-in whose plan had H2's run, the tests keep the rest
    (48 h) and the next morning's plan says so."""
    out = next_morning(checkin_then_report(0, TESTS))
    assert not _running(out)
    assert "gate.6" in rules(out)


def test_tests_answered_before_the_check_in_keep_the_next_morning_free_of_fast_running() -> None:
    out = next_morning(report_then_checkin(0, TESTS))
    assert out.readiness == "go"
    assert not _running(out)
    rest = next(r for r in out.reasons if r.rule == "gate.6")
    # 07:00 on the 3rd to 07:00 on the 4th, H2 needs 48 h (the report's instant counts).
    assert rest.observed == 24 and rest.threshold == "≥ 48 h"


def test_the_next_morning_s_plan_is_the_one_after_the_check_in_first() -> None:
    """What the athlete reads the next day: the same plan (no running, the rest named) as
    after the same tests reported after the check-in."""
    usual = next_morning(checkin_then_report(0, TESTS))
    early = next_morning(report_then_checkin(0, TESTS))
    assert early.plan == usual.plan
    assert early.plan is not None
    assert any(n.startswith("No running today") for n in early.plan.notes)


def test_a_report_without_numbers_before_the_check_in_keeps_the_rest_as_well() -> None:
    out = next_morning(report_then_checkin(0, NO_NUMBERS))
    assert not _running(out)
    assert "gate.6" in rules(out)


def test_a_report_on_a_day_without_a_check_in_keeps_the_rest() -> None:
    """Also how the day reads while the report waits for the check-in."""
    for s in (TESTS, NO_NUMBERS):
        out = next_morning(report_without_checkin(0, s))
        assert not _running(out), s
        assert "gate.6" in rules(out)


def test_the_rest_ends_when_its_hours_have_passed() -> None:
    """Two days on, 48 h after the report, H2's run is back."""
    _, st = decide(h2(), report_then_checkin(0, TESTS))
    _, st = decide(st, rec(1, morning_at=at(1, 7)))
    out, _ = decide(st, rec(2, morning_at=at(2, 7)))
    assert _running(out)
    assert "gate.6" not in rules(out)


def test_a_run_the_next_evening_is_flagged_and_not_counted() -> None:
    _, st = decide(h2(), report_then_checkin(0, TESTS))
    out, st = decide(st, checkin_then_report(1, session(H2_RUN)))
    flag = next(r for r in out.reasons if r.rule == "session.flag.rest")
    assert flag.observed == 24 and flag.threshold == "≥ 48 h"  # one calendar day
    assert "24 h after your last one" in flag.text
    assert st.qualifying_sessions == 0
    assert st.last_session is not None and not st.last_session.counts_for_progress


def test_the_report_still_counts_for_nothing_else() -> None:
    """Not one of the stage's sessions, no moving up that day, nothing for the gate."""
    st0 = ready("H2", qualifying_sessions=0)
    out, st = decide(st0, report_then_checkin(6, TESTS))
    assert out.decision == "hold" and st.stage == "H2"
    assert st.qualifying_sessions == 0
    assert st.last_session is not None and not st.last_session.counts_for_progress
    assert "session.against_plan" in rules(out)  # "a day without running (no check-in)"


def test_it_does_not_end_the_first_run_back_after_a_gap() -> None:
    """The first run back stays capped: a report without a run is not that run."""
    st0 = ready("H3", easy_first_run=True, run_log=())
    _, st = decide(st0, report_then_checkin(6, TESTS))
    assert st.easy_first_run
    assert st.final_gap_run is None


def test_a_measured_run_before_the_check_in_keeps_its_own_reading() -> None:
    _, st = decide(h2(), report_then_checkin(0, session(H2_RUN)))
    assert [round(r.pct, 1) for r in st.run_log] == [H2_RUN]


def test_a_stage_without_running_starts_no_rest() -> None:
    _, st = decide(ready("H1", run_log=()), report_then_checkin(6, TESTS))
    assert st.run_log == ()


def test_calf_heel_raises_before_the_check_in_keep_the_next_day_free_of_running() -> None:
    """C3: never consecutive running days (P6)."""
    calf = protocol("calf")
    st0 = initial_state(calf, day(0)).model_copy(update={"stage": "C3"})
    heel_raises = session(metrics={"heel_raise_reps_injured": 22, "heel_raise_reps_uninjured": 25})
    for record in (checkin_then_report(0, heel_raises), report_then_checkin(0, heel_raises)):
        _, st = decide_day(calf, CALF_INJURY, BASELINE, st0, record, [])
        out, _ = decide_day(calf, CALF_INJURY, BASELINE, st, rec(1, morning_at=at(1, 7)), [])
        assert out.readiness == "go"
        assert not _running(out), record
