"""Holes in the "days without a run at the stage's speed" gap rule, closed (protocol notes (21)).

History that produced the unsafe plans (second adversarial review of the engine):

- Days whose plan was capped below the stage's speed (a modified morning: poor sleep, a
  painful test, tightness, low confidence) and rest-interval days neither counted nor ended
  the count: 21 mornings of 4 h sleep at H5, following the plan at ≤ 70 %, and the first good
  morning planned max sprints at 95–100 %; "7 days" was 9 after a max run.
- A report without numbers counted as a run whatever its completion: 21 reports of "stopped"
  or "partial" kept the count at 0.
- After the gap's step back nothing more happened however long the athlete went without a
  run, and the capped first run back was lifted by any run, even a 66 % jog below the cap.
- A clinician's stage move right after a 16-day stop planned the new stage's full session.

Reference §3.2 item 5: "no load spikes, especially late-stage".
"""

from __future__ import annotations

from engine.models import ClinicianAction
from engine.programme import DayOutcome, ProgrammeState, RunEntry, decide_day
from tests.engine.builders import BASELINE, CALF_INJURY, day, morning, protocol, rec, session
from tests.engine.test_gap_counts_days_without_a_run import _at, _days, _top
from tests.engine.test_programme import decide, ready, rules

CALF = protocol("calf")


def _gap_steps(outs: list[DayOutcome]) -> list[tuple[object, str]]:
    """The gap rule's actions: (date, rule)."""
    return [(o.date, r) for o in outs for r in rules(o) if r.startswith("gap.")]


def test_weeks_of_short_sleep_mornings_give_no_max_sprint_on_the_first_good_one() -> None:
    # H5: 21 mornings of 4 h sleep, each following its capped plan (a run below the stage's
    # speed), then a good morning.
    slept = morning(sleep_hours=4)
    poor = [rec(n, m=slept, s=session(65, reps=3)) for n in range(5, 26)]
    outs, _ = _days(_at("H5", 100), [*poor, rec(26)])
    assert any(r == "gap.step_back" for _, r in _gap_steps(outs)), _gap_steps(outs)
    good = outs[-1]
    assert good.stage_after != "H5" and _top(good) < 95, good.plan


def test_full_reports_without_numbers_of_capped_plans_are_no_run_at_speed() -> None:
    # The same mornings with the capped plan reported done in full, without numbers: the
    # plan had no run at the stage's speed, so neither had the athlete.
    slept = morning(sleep_hours=4)
    poor = [rec(n, m=slept, s=session()) for n in range(5, 26)]
    outs, _ = _days(_at("H5", 100), [*poor, rec(26)])
    assert any(r == "gap.step_back" for _, r in _gap_steps(outs)), _gap_steps(outs)
    assert outs[-1].stage_after != "H5" and _top(outs[-1]) < 95


def test_seven_days_after_a_max_run_are_seven_not_nine() -> None:
    # The two days of rest after the max run on day 4 count: days 5–11 are 7 days.
    outs, _ = _days(_at("H5", 100), [rec(n) for n in range(5, 14)])
    back = next(o for o in outs if "gap.step_back" in rules(o))
    assert back.date == day(12) and back.stage_after == "H4"
    said = next(r for r in back.reasons if r.rule == "gap.step_back")
    assert said.text.startswith("No run at this stage's speed for 7 days")


def test_the_usual_rhythm_is_never_restarted() -> None:
    # H5: a max session every 72 h with easy days between, for six weeks.
    records = [rec(n, s=session(97, reps=3) if n % 3 == 0 else None) for n in range(5, 48)]
    outs, st = _days(_at("H5", 100), records)
    assert not _gap_steps(outs) and st.stage == "H5"
    # Without a device: the max sessions reported done in full without numbers, or with a
    # strength test only (run by feel, reference §0.3).
    for report in (session(), session(metrics={"strength_lsi_pct": 92})):
        by_feel = [rec(n, s=report if n % 3 == 0 else None) for n in range(5, 48)]
        outs, st = _days(_at("H5", 100), by_feel)
        assert not _gap_steps(outs) and st.stage == "H5", report
    # H7: max exposures 72 h apart.
    outs, st = _days(_at("H7", 100), records)
    assert not _gap_steps(outs) and st.stage == "H7"
    # Calf C3–C6: a run at the stage's top every other day.
    for stage in ("C3", "C4", "C5", "C6"):
        top = CALF.stage(stage).top_pct_vmax
        st = ProgrammeState(
            stage=stage,
            stage_entered=day(0),
            start=day(0),
            last_progress=day(0),
            run_log=(RunEntry(date=day(4), pct=top, stage=stage),),
        )
        acted = []
        for n in range(5, 40):
            s = session(top, reps=3) if n % 2 == 0 else None
            out, st = decide_day(CALF, CALF_INJURY, BASELINE, st, rec(n, s=s), [])
            acted += [r for r in rules(out) if r.startswith("gap.")]
        assert not acted, (stage, acted)


def test_stopped_or_partial_reports_without_numbers_are_no_run() -> None:
    for report in (
        session(completion="stopped", stop_reason="weather_time"),
        session(completion="partial", completed_pct=10, stop_reason="other"),
    ):
        outs, st = _days(_at("H5", 100), [rec(n, s=report) for n in range(5, 26)])
        assert any(r == "gap.step_back" for _, r in _gap_steps(outs)), report
        assert st.stage != "H5"


def test_a_typed_max_over_a_slow_reading_is_no_run_at_speed() -> None:
    # Typed 95 %, measured 65 %: the measured speed is what the muscle met.
    report = session(65, reps=3, metrics={"top_pct_vmax": 95})
    outs, st = _days(_at("H5", 100), [rec(n, s=report) for n in range(5, 26)])
    assert any(r == "gap.step_back" for _, r in _gap_steps(outs)) and st.stage != "H5"


def test_daily_jogs_after_the_step_back_are_acted_on_again() -> None:
    # Daily 66 % jogs at H5: the step back to H4, then the count starts afresh there: a
    # restart a week later, and a step back to H3 a week after that.
    jogs = [rec(n, s=session(66, reps=3)) for n in range(5, 31)]
    outs, st = _days(_at("H5", 100), jogs)
    steps = _gap_steps(outs)
    assert [r for _, r in steps[:3]] == ["gap.step_back", "gap.restart", "gap.step_back"], steps
    first = steps[0][0]
    assert [(d - first).days for d, _ in steps[1:3]] == [7, 14], steps
    assert st.stage == "H3"


def test_a_jog_below_the_cap_keeps_the_capped_first_run() -> None:
    # H4 restarted after a week without a run: its first run back is capped (≤ 85 %).
    st, n = _at("H4", 90), 5
    while True:
        out, st = decide(st, rec(n))
        n += 1
        if "gap.restart" in rules(out):
            break
    assert _top(out) <= 85
    # A 66 % jog is not that run: the next plan is still the capped one.
    _, st = decide(st, rec(n, s=session(66, reps=3)))
    assert st.easy_first_run
    out, st = decide(st, rec(n + 1))
    assert _top(out) <= 85 and out.plan is not None
    assert any("First run back" in note for note in out.plan.notes)
    # A run at the cap lifts it: the stage's full session follows (after its rest).
    _, st = decide(st, rec(n + 2, s=session(85, reps=3)))
    assert not st.easy_first_run


def test_a_clinicians_step_back_after_a_long_stop_caps_the_first_run() -> None:
    # A stop on day 5 (a pop), 16 days awaiting the review, then review and step back.
    stop = rec(5, m=morning(red_flags=["pop"]))
    waiting = [rec(n) for n in range(6, 21)]
    acts = [ClinicianAction(kind="review"), ClinicianAction(kind="step_back")]
    outs, st = _days(ready("H5", run_log=(RunEntry(date=day(4), pct=100, stage="H5"),)), [stop])
    assert outs[0].decision == "stop"
    outs, st = _days(st, [*waiting, rec(21, clinician_actions=acts)])
    moved = outs[-1]
    assert moved.stage_after == "H4"  # the clinician's move stands
    assert moved.plan is not None and _top(moved) <= 85, moved.plan
    assert any("First run back" in n for n in moved.plan.notes)


def test_a_clinician_setting_the_same_stage_after_a_long_stop_caps_the_first_run() -> None:
    # Review and "set the stage to H5" after a 16-day stop at H5: the stage stands (no step
    # back the next day), and its first run back is the capped one, not max sprints.
    stop = rec(5, m=morning(red_flags=["pop"]))
    acts = [ClinicianAction(kind="review"), ClinicianAction(kind="set_stage", stage="H5")]
    start = ready("H5", run_log=(RunEntry(date=day(4), pct=100, stage="H5"),))
    waiting = [rec(n) for n in range(6, 21)]
    outs, st = _days(start, [stop, *waiting, rec(21, clinician_actions=acts)])
    moved = outs[-1]
    assert moved.stage_after == "H5" and _top(moved) <= 90, moved.plan
    outs, st = _days(st, [rec(22)])
    assert not _gap_steps(outs) and st.stage == "H5"
    assert _top(outs[0]) <= 90


def test_a_clinicians_move_without_a_long_gap_is_not_capped() -> None:
    """Control: a move a few days after the last run plans the new stage's full session."""
    _, st = _days(_at("H4", 90), [rec(5), rec(6)])
    moved = rec(7, clinician_actions=[ClinicianAction(kind="set_stage", stage="H5")])
    outs, st = _days(st, [moved])
    assert outs[0].stage_after == "H5" and not st.easy_first_run
