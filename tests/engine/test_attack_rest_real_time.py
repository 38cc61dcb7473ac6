"""Attack: rest intervals counted in calendar dates only, broken by a change of time zone.

H2 needs 48 h between runs (reference §2.2 H2 "every other day"; §4.4 item 6: "rest interval
since the last HV/max session met"). East: a run reported in Los Angeles on Tuesday 3 March
at 21:00 (05:00 UTC on the 4th); the athlete flies to Auckland, where it is already Thursday
5 March: two local dates on, but only hours later in real time. West: a run in Auckland on
Wednesday 4 March at 08:30, then Los Angeles, where it is still the 3rd: a second run booked
to the earlier date 6.5 hours later. The rule holds in real elapsed time as well (at least
48 h less the 25 h the calendar itself allows), so the morning after the flight east has no
running and a run inside the real interval is flagged and does not count, exactly as a
calendar violation. Without a change of zone nothing changes (the planner mirrors it)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.scheduling.planner import AthleteSchedule, RestRule, session_due
from engine.models import DayRecord, LaterRun, SessionReport
from engine.programme import DayOutcome, ProgrammeState
from tests.engine.builders import day, rec, session
from tests.engine.test_programme import decide, ready, rules

LA = ZoneInfo("America/Los_Angeles")
NZ = ZoneInfo("Pacific/Auckland")
H2_RUN = 64.8  # % Vmax: 5.9 m/s against the 9.1 m/s baseline


def local(n: int, hour: int, minute: int, zone: ZoneInfo) -> dt.datetime:
    """Programme day ``n`` (day 0 = Tuesday 3 March) at a local time, as a UTC instant."""
    when = dt.datetime.combine(day(n), dt.time(hour, minute), tzinfo=zone)
    return when.astimezone(dt.UTC)


def h2() -> ProgrammeState:
    """H2 with nothing run yet."""
    return ready("H2", run_log=(), last_session=None, qualifying_sessions=0)


def tuesday_in_la() -> ProgrammeState:
    """Tuesday 3 March in Los Angeles: check-in at 07:00, a run reported at 21:00; Wednesday
    has no check-in (the athlete is flying)."""
    first = rec(0, s=session(H2_RUN), morning_at=local(0, 7, 0, LA), session_at=local(0, 21, 0, LA))
    out, st = decide(h2(), first)
    assert "session.flag.rest" not in rules(out)
    _, st = decide(st, DayRecord(date=day(1)))
    return st


def thursday(zone: ZoneInfo, s: SessionReport | None = None) -> tuple[DayOutcome, ProgrammeState]:
    """Thursday 5 March in ``zone``: check-in at 07:30, a run reported at 10:00."""
    record = rec(2, s=s, morning_at=local(2, 7, 30, zone), session_at=local(2, 10, 0, zone))
    return decide(tuesday_in_la(), record)


def test_the_morning_after_a_flight_east_has_no_running_inside_the_real_interval() -> None:
    out, _ = thursday(NZ)  # 07:30 in Auckland: 13.5 real hours after Tuesday's run
    assert out.readiness == "go"
    assert out.plan is not None and not out.plan.running
    assert "gate.6" in rules(out)


def test_a_run_16_real_hours_after_the_last_is_flagged_and_does_not_count() -> None:
    out, st = thursday(NZ, session(H2_RUN))
    flag = next(r for r in out.reasons if r.rule == "session.flag.rest")
    assert flag.observed == 16 and flag.threshold == "≥ 48 h"
    assert "16 h after your last one" in flag.text
    assert st.qualifying_sessions == 1  # Tuesday's only
    assert st.last_session is not None and not st.last_session.counts_for_progress
    # Without a change of zone the same days decide as before: Thursday in Los Angeles is
    # 37 real hours later, two dates on.
    out, st = thursday(LA, session(H2_RUN))
    assert out.plan is not None and out.plan.running
    assert "session.flag.rest" not in rules(out)
    assert st.qualifying_sessions == 2


def west(s: SessionReport) -> DayRecord:
    """Tuesday 3 March in Los Angeles, after a run in Auckland on Wednesday 4 March at 08:30:
    the check-in was Tuesday's in Auckland (07:00), the run is reported 6.5 hours after the
    Auckland one."""
    earlier = LaterRun(date=day(1), at=local(1, 8, 30, NZ), session=session(H2_RUN))
    return rec(
        0,
        s=s,
        morning_at=local(0, 7, 0, NZ),
        session_at=local(1, 8, 30, NZ) + dt.timedelta(hours=6, minutes=30),
        later_runs=[earlier],
    )


def test_a_run_booked_to_an_earlier_date_after_a_flight_west_is_flagged() -> None:
    out, st = decide(h2(), west(session(H2_RUN)))
    flag = next(r for r in out.reasons if r.rule == "session.flag.rest")
    assert flag.observed == 6 and "6 h after your last one" in flag.text
    assert st.qualifying_sessions == 0


def test_the_planner_keeps_the_real_interval_after_a_flight_east() -> None:
    rule = RestRule(stage_has_hv=True, min_rest=dt.timedelta(hours=48))
    auckland = AthleteSchedule(tz="Pacific/Auckland", checkin_time=dt.time(7, 30))
    ran = local(0, 21, 0, LA)
    due, why = session_due(auckland, day(2), rule, day(0), last_hv_at=ran)
    assert not due and why is not None and "14 h before" in why
    assert session_due(auckland, day(3), rule, day(0), last_hv_at=ran) == (True, None)
    los_angeles = AthleteSchedule(tz="America/Los_Angeles", checkin_time=dt.time(7, 30))
    assert session_due(los_angeles, day(2), rule, day(0), last_hv_at=ran) == (True, None)
    assert session_due(auckland, day(2), rule, day(0)) == (True, None)  # the calendar alone
