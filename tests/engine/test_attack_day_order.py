"""Attack: a session reported BEFORE the day's morning check-in. It was done without a
check-in (nothing was prescribed yet), so it is judged as a session on a day without one: it
never counts and stays against the plan, whatever the check-in says when it comes; the
check-in then prescribes no second session, and its own verdict (a red flag above all) still
applies in full. Days answered in the normal order decide exactly as before."""

from __future__ import annotations

import datetime as dt

from engine.models import DayRecord, SessionReport
from engine.programme import DayOutcome, ProgrammeState
from tests.engine.builders import day, morning, rec, session
from tests.engine.test_programme import decide, ready, rules


def at(n: int, hour: int, minute: int = 0) -> dt.datetime:
    """Programme day ``n`` at ``hour``:``minute`` UTC."""
    return dt.datetime.combine(day(n), dt.time(hour, minute), tzinfo=dt.UTC)


def run_then_checkin(n: int, s: SessionReport, **kw: object) -> DayRecord:
    """Day ``n``: the session reported at 07:00, the check-in answered at 07:30."""
    return rec(n, s=s, session_at=at(n, 7), morning_at=at(n, 7, 30), **kw)


def checkin_then_run(n: int, s: SessionReport, **kw: object) -> DayRecord:
    """Day ``n`` in the normal order: the check-in at 07:00, the session at 18:00."""
    return rec(n, s=s, morning_at=at(n, 7), session_at=at(n, 18), **kw)


def h2_before_its_sessions() -> ProgrammeState:
    """H2 with no session counted yet (the last run 48 h before day 6)."""
    return ready("H2", qualifying_sessions=0)


def test_a_run_before_the_checkin_does_not_count_once_the_checkin_comes() -> None:
    st0 = h2_before_its_sessions()
    out, st = decide(st0, run_then_checkin(6, session(64.8)))
    assert out.readiness == "go"  # the check-in itself was all fine
    flagged = [r for r in out.reasons if r.rule == "session.flag.no_running"]
    assert [r.observed for r in flagged] == ["missing"]  # "there was no morning check-in"
    assert "session.against_plan" in [a.rule for a in out.alerts]
    assert st.qualifying_sessions == st0.qualifying_sessions
    assert st.last_session is not None and not st.last_session.counts_for_progress
    # The same run after the check-in counts.
    normal, st = decide(st0, checkin_then_run(6, session(64.8)))
    assert "session.flag.no_running" not in rules(normal)
    assert st.qualifying_sessions == st0.qualifying_sessions + 1


def test_the_later_checkin_prescribes_no_second_session_but_a_red_flag_still_stops() -> None:
    out, _ = decide(h2_before_its_sessions(), run_then_checkin(6, session(64.8)))
    assert out.plan is None
    normal, _ = decide(h2_before_its_sessions(), checkin_then_run(6, session(64.8)))
    assert normal.plan is not None and normal.plan.running
    # A warning sign in that late check-in: stop, tier alert and instruction, review awaited.
    out, st = decide(
        h2_before_its_sessions(), run_then_checkin(6, session(64.8), m=morning(red_flags=["pop"]))
    )
    assert out.readiness == "stop" and out.decision == "stop"
    assert out.instructions
    assert any(a.severity != "info" and a.rule.startswith("redflag.") for a in out.alerts)
    assert st.suspended
    assert out.plan is not None and not out.plan.running


def test_no_moving_up_on_a_day_whose_training_came_before_the_checkin() -> None:
    assert decide(ready("H2"), checkin_then_run(6, session(64.8)))[0].decision == "progress"
    out, st = decide(ready("H2"), run_then_checkin(6, session(64.8)))
    assert out.decision == "hold" and st.stage == "H2"


def test_the_next_morning_has_no_pre_session_check_in_to_compare_with() -> None:
    # The check-in came after the run: its answers are not the pre-session values.
    _, st = decide(h2_before_its_sessions(), run_then_checkin(6, session(64.8)))
    out, _ = decide(st, rec(7, morning_at=at(7, 7)))
    # Not met, and said as what it is: the morning was answered, the pre-session one was not.
    assert "24h.unpaired" in rules(out) and "24h.missing" not in rules(out)
    assert out.decision == "hold"
    # In the normal order they are (green, back to baseline).
    _, st = decide(h2_before_its_sessions(), checkin_then_run(6, session(64.8)))
    out, _ = decide(st, rec(7, morning_at=at(7, 7)))
    assert "24h.green" in rules(out)
    assert_the_normal_order_decides_exactly_as_without_instants()


def assert_the_normal_order_decides_exactly_as_without_instants() -> None:
    for st0 in (h2_before_its_sessions(), ready("H2"), ready("H3")):
        timed: tuple[DayOutcome, ProgrammeState] = decide(st0, checkin_then_run(6, session(70)))
        plain = decide(st0, rec(6, s=session(70)))
        assert timed[0] == plain[0]
        drop = {"run_log"}
        assert timed[1].model_dump(exclude=drop) == plain[1].model_dump(exclude=drop)
        assert [(r.date, r.pct) for r in timed[1].run_log] == [
            (r.date, r.pct) for r in plain[1].run_log
        ]
