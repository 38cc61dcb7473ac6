"""The gap rule counts days without a run, not days without an answer (protocol notes (21)).

History that produced the unsafe plan: an athlete at H5 (or the calf's C6) who kept checking in
every day, or once every six days, but did not run for three to five weeks was prescribed
flying sprints and full accelerations at 95–100 % on the first day back, because any check-in
reset the gap counter; the same weeks without a word stepped them back with a capped first run.
Reference §3.2 item 5 ("no load spikes, especially late-stage"); note (21): a max-sprint stage
steps back after 7 days without speed. Every day at a stage of running counts unless the
athlete ran at the stage's speed (a rest interval and a morning capped below the speed count
too: test_no_run_gap_holes_closed.py); only a stage without running counts none. The days of a
stop awaiting a review count, and act once the review lifts it; paused days count, and act on
the first day back (test_paused_days_count_without_a_run.py).
"""

from __future__ import annotations

from engine.models import ClinicianAction, DayRecord
from engine.programme import DayOutcome, ProgrammeState, RunEntry, decide_day
from tests.engine.builders import BASELINE, CALF_INJURY, day, morning, protocol, rec, session
from tests.engine.test_programme import decide, ready, rules

CALF = protocol("calf")


def _top(out: DayOutcome) -> float:
    assert out.plan is not None
    return max((d.pct_vmax[1] for d in out.plan.drills if d.pct_vmax), default=0.0)


def _at(stage: str, last_pct: float) -> ProgrammeState:
    """An athlete in ``stage`` who last ran (at ``last_pct``) on day 4 and has not yet done
    what the stage needs (no progression on a good day)."""
    return ready(
        stage, qualifying_sessions=0, run_log=(RunEntry(date=day(4), pct=last_pct, stage=stage),)
    )


def _days(st: ProgrammeState, records: list[DayRecord]) -> tuple[list[DayOutcome], ProgrammeState]:
    outs = []
    for r in records:
        out, st = decide(st, r)
        outs.append(out)
    return outs, st


def test_daily_check_ins_without_a_run_step_back_from_max_sprints() -> None:
    outs, _ = _days(_at("H5", 100), [rec(n) for n in range(5, 27)])
    back = next(o for o in outs if "gap.step_back" in rules(o))
    # 7 days without a run (the 2 days of rest after the last max run count too), then the
    # step back.
    assert back.date == day(12) and back.stage_after == "H4"
    said = next(r for r in back.reasons if r.rule == "gap.step_back")
    assert said.text.startswith("No run at this stage's speed for 7 days") and said.observed == 7
    alert = next(a for a in back.alerts if a.rule == "gap.step_back")
    assert alert.text.startswith("No run at H5's speed for 7 days")
    # Three weeks without a run: the count starts afresh at H4 after the step back (a restart
    # on day 19, a step back on day 26); the first plan back is H3's capped first run.
    last = outs[-1]
    assert last.stage_after == "H3" and _top(last) <= 70, last.plan
    assert last.plan is not None and any("First run back" in n for n in last.plan.notes)
    acted = [(o.date, r) for o in outs for r in rules(o) if r.startswith("gap.")]
    assert acted == [
        (day(12), "gap.step_back"),
        (day(19), "gap.restart"),
        (day(26), "gap.step_back"),
    ], acted


def test_a_check_in_every_six_days_at_c6_steps_back() -> None:
    st = ProgrammeState(
        stage="C6",
        stage_entered=day(0),
        start=day(0),
        last_progress=day(0),
        run_log=(RunEntry(date=day(4), pct=100, stage="C6"),),
    )
    outs = []
    for n in range(5, 42):
        record = rec(n) if (n - 4) % 6 == 0 else DayRecord(date=day(n))
        out, st = decide_day(CALF, CALF_INJURY, BASELINE, st, record, [])
        outs.append(out)
    assert any("gap.step_back" in rules(o) for o in outs)
    # The last check-in, 36 days without a run: C6 stepped back on day 16, the count started
    # afresh at C5 (a restart on day 28, a step back on day 34).
    back = next(o for o in outs if o.date == day(40))
    assert back.stage_after == "C4" and back.readiness == "go"
    assert _top(back) < 95, back.plan


def test_a_stage_below_max_speed_restarts_after_a_week_and_steps_back_after_two() -> None:
    outs, _ = _days(_at("H4", 90), [rec(n) for n in range(5, 30)])
    restart = next(o for o in outs if "gap.restart" in rules(o))
    assert restart.date == day(12) and restart.stage_after == "H4"
    said = next(r for r in restart.reasons if r.rule == "gap.restart")
    assert said.text.startswith("No run at this stage's speed for 7 days")
    assert _top(restart) <= 85, restart.plan  # the first run back, not H4's 85–90 %
    back = next(o for o in outs if "gap.step_back" in rules(o))
    assert back.date == day(19) and back.stage_after == "H3"
    # The count starts afresh at H3: a week later it restarts H3.
    acted = [(o.date, r) for o in outs for r in rules(o) if r.startswith("gap.")]
    assert acted == [
        (day(12), "gap.restart"),
        (day(19), "gap.step_back"),
        (day(26), "gap.restart"),
    ], acted


def test_a_jog_is_not_a_run_at_the_stages_speed() -> None:
    # A 60 % jog every third day at H5 keeps no sprint speed: the first sprint after two weeks
    # of jogging would be the load spike.
    records = [rec(n, s=session(60, reps=4) if n % 3 == 0 else None) for n in range(5, 27)]
    outs, st = _days(_at("H5", 100), records)
    assert any("gap.step_back" in rules(o) for o in outs)
    # Stepped back to H4 on day 12; the jogs keep no H4 speed either: restarted on day 19 and
    # stepped back again on day 26.
    assert st.stage == "H3"


def test_running_at_the_stages_speed_keeps_the_stage() -> None:
    records = [rec(n, s=session(92, reps=4) if n % 4 == 0 else None) for n in range(5, 40)]
    outs, st = _days(_at("H5", 100), records)
    assert not any(r.startswith("gap.") for o in outs for r in rules(o))
    assert st.stage == "H5" and st.no_run_days is not None and st.no_run_days < 7


def test_a_stage_without_running_counts_no_days_without_a_run() -> None:
    outs, st = _days(ready("H1", qualifying_sessions=0, run_log=()), [rec(n) for n in range(5, 40)])
    assert not any(r.startswith("gap.") for o in outs for r in rules(o))
    assert st.stage == "H1"


def test_days_awaiting_a_review_step_nobody_back_during_the_stop() -> None:
    # A stop on day 5, reviewed on day 16: the athlete was told not to run for 11 days; those
    # days step nobody back while the stop lasts (they count once the review lifts it:
    # test_days_of_a_stop_count_as_days_without_a_run.py).
    stop = rec(5, m=morning(red_flags=["pop"]))
    review = rec(16, clinician_actions=[ClinicianAction(kind="review")])
    records = [stop, *[rec(n) for n in range(6, 16)], review, *[rec(n) for n in range(17, 20)]]
    outs, _ = _days(_at("H5", 100), records)
    assert outs[0].decision == "stop"
    assert not any(r.startswith("gap.") for o in outs[:11] for r in rules(o))
    assert all(o.stage_after == "H5" for o in outs[:11])


def test_paused_days_count_as_days_without_a_run_and_act_on_the_day_back() -> None:
    paused = [DayRecord(date=day(n), paused=True) for n in range(9, 14)]
    records = [*[rec(n) for n in range(5, 9)], *paused, *[rec(n) for n in range(14, 20)]]
    outs, _ = _days(_at("H5", 100), records)
    back = next(o for o in outs if "gap.step_back" in rules(o))
    # Days 5–8 and the paused 9–13 counted: the step back comes on the first day back, not
    # during the pause.
    assert back.date == day(14) and back.stage_after == "H4"
    said = next(r for r in back.reasons if r.rule == "gap.step_back")
    assert said.text.startswith("No run at this stage's speed for 9 days") and said.observed == 9
    assert all(o.stage_after == "H5" for o in outs if o.date < day(14))


def test_return_to_play_caps_the_first_run_after_a_week_of_check_ins_without_one() -> None:
    # H7 stays (nothing to step back to by itself), but no match or max sprint is the first
    # session after a week without speed, and after two weeks the clinician is told.
    outs, _ = _days(_at("H7", 100), [rec(n) for n in range(5, 23)])
    capped = next(o for o in outs if "gap.final" in rules(o))
    # 7 days without a run (the 2 days of rest after the last max exposure, notes (25),
    # count too).
    assert capped.date == day(12) and capped.stage_after == "H7"
    assert _top(capped) <= 90 and capped.plan is not None
    assert not any(d.kind == "sport" for d in capped.plan.drills)
    said = next(r for r in capped.reasons if r.rule == "gap.final")
    assert said.text.startswith("No run at this stage's speed for 7 days")
    told = [a.text for o in outs for a in o.alerts if a.rule == "gap.final"]
    assert len(told) == 1 and told[0].startswith("At the final stage H7, no run at its speed")


def test_a_clinicians_move_is_not_undone_by_the_days_without_a_run_before_it() -> None:
    outs, st = _days(_at("H4", 90), [rec(n) for n in range(5, 12)])
    assert not any(r.startswith("gap.") for o in outs for r in rules(o))
    moved = rec(12, clinician_actions=[ClinicianAction(kind="set_stage", stage="H5")])
    outs, st = _days(st, [moved, *[rec(n) for n in range(13, 16)]])
    assert outs[0].stage_after == "H5"
    assert not any(r.startswith("gap.") for o in outs for r in rules(o)) and st.stage == "H5"


def test_days_without_a_run_after_a_clinicians_move_are_counted_afresh() -> None:
    """The move decides for the days before it; an athlete who then never runs is restarted
    at the new stage after 7 days without a run and stepped back after 14, like anyone."""
    _, st = _days(_at("H4", 90), [rec(n) for n in range(5, 12)])
    moved = rec(12, clinician_actions=[ClinicianAction(kind="set_stage", stage="H3")])
    outs, st = _days(st, [moved, *[rec(n) for n in range(13, 40)]])
    assert outs[0].stage_after == "H3"
    acted = [(o.date, r) for o in outs for r in rules(o) if r.startswith("gap.")]
    assert acted, "no gap step after four weeks without a run"
    first_day, first_rule = acted[0]
    assert first_rule == "gap.restart" and first_day > day(12 + 6), acted
    assert any(r == "gap.step_back" for _, r in acted), acted
