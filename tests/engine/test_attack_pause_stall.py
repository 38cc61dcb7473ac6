"""Attack: pausing to keep a stall from being named (report: "pausing every other day slows
stall alerts").

Pausing on alternate days does not hide a stall: paused days are not counted and do not
reset the count, so the stall is named after 7 days not paused (on day 14). What did hide it:
a week's pause restarts the stage on the first day back (protocol notes (21)), and the restart
also started the stall clock again. An athlete in H2 who never logs what the stage needs
(no run at 65 %, no range-of-motion or strength tests), checking in for 6 days and pausing for
7, again and again, was never told what is missing and neither was the clinician: 6 days
counted, then back to 0. The restart earns the stage's results again; the clock of a stage
that has not moved runs on through it (paused days still not counted).
"""

from __future__ import annotations

from engine.models import DayRecord, SessionReport
from tests.engine.builders import rec, session
from tests.engine.test_attack_pause_clock import _act, on, paused_days, run, stall


def _jog(n: int) -> SessionReport | None:
    """An easy run at 55 % every third day: below what H2 needs (runs at 65 %), so the stage
    never moves, but running, so the athlete has no gap of days without a run (protocol notes
    (21)): what these tests watch is the stall clock through pauses and silent days."""
    return session(55, reps=6) if n % 3 == 0 else None


def _cycles(active: int, paused: int, until: int) -> list[DayRecord]:
    """Green check-ins (an easy run every third day) for ``active`` days, then ``paused``
    days paused (/pause, /resume on the next check-in), over and over up to day ``until``."""
    days = []
    for n in range(until + 1):
        k = n % (active + paused)
        if k < active:
            resume = [_act("resume")] if k == 0 and n else []
            days.append(rec(n, s=_jog(n), clinician_actions=resume))
        elif k == active:
            days.append(rec(n, m=None, paused=True, clinician_actions=[_act("pause")]))
        else:
            days.append(rec(n, m=None, paused=True))
    return days


def _stalls(active: int, paused: int, until: int) -> list[int]:
    timeline = run(_cycles(active, paused, until))
    return [n for n in range(until + 1) if stall(on(timeline, n))]


def test_six_days_in_and_a_weeks_pause_over_and_over_still_names_the_stall() -> None:
    # Days 0–5 counted, 6–12 paused, back on 13 (the stage restarts: "gap.restart"); on 14,
    # 7 days not paused have passed (as on day 7 without a pause).
    timeline = run(_cycles(6, 7, 40))
    assert any(r.rule == "gap.restart" for r in on(timeline, 13).reasons)
    fired = [n for n in range(41) if stall(on(timeline, n))]
    assert fired == [14, 28], fired  # then every 7 days not paused, as without the pauses
    athlete = next(r.text for r in on(timeline, 14).reasons if r.rule == "stall")
    assert "for 7 days" in athlete
    clinician = next(a.text for a in on(timeline, 14).alerts if a.rule == "stall")
    assert clinician.startswith("No progress in H2 for 7 days.")


def test_pausing_every_other_day_names_the_stall_after_seven_days_not_paused() -> None:
    """Control: alternate pauses neither reset nor stretch the count beyond the days paused."""
    assert _stalls(1, 1, 30)[:2] == [14, 28]


def test_a_stage_restarted_after_a_gap_is_not_named_before_seven_days_not_paused() -> None:
    """The clock runs on, it does not jump: 3 days in (0–2), a week paused, back on day 10;
    7 days not paused have passed on day 14 (as on day 7 without a pause), not on the day
    back."""
    # With the easy runs of the other tests: without them, the pause's 7 days count as days
    # without a run too, and 14 such days (3 before, 7 paused, 4 after) step back on day 14.
    days = [
        d if d.paused else d.model_copy(update={"session": _jog(n)})
        for n, d in enumerate(paused_days(3, 10, 20))
    ]
    timeline = run(days)
    assert any(r.rule == "gap.restart" for r in on(timeline, 10).reasons)
    assert [n for n in range(21) if stall(on(timeline, n))] == [14]


def test_a_stall_named_before_a_silent_gap_repeats_seven_counted_days_on() -> None:
    """Named on day 7, then nothing from day 10 to 19, back on day 20. Nothing is named on a
    day without any answer (it was named on day 14, in the middle of the gap, before the
    silent days were treated as time away): the gap's days are not counted (the gap rule
    speaks for them), so the next stall comes 7 counted days after day 7 (8, 9, then 20–24:
    day 24), then every 7 days."""
    days = [rec(n, s=_jog(n)) for n in range(10)] + [rec(n, s=_jog(n)) for n in range(20, 35)]
    timeline = run(days)
    assert any(r.rule == "gap.restart" for r in on(timeline, 20).reasons)
    assert [n for n in range(35) if stall(on(timeline, n))] == [7, 24, 31]
