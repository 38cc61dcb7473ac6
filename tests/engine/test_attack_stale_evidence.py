"""Attacks with results that are no longer current: an athlete back after a week or weeks away
(paused, or no check-in at all), mornings while running is stopped for a review, and a sign-off
carried in a snapshot whose criteria the engine now reads differently. A physio would not sign
a move up on any of them (reference P1, §4.4, §5; protocol notes (10), (11), (21))."""

from __future__ import annotations

import datetime as dt

from engine.models import ClinicianAction, DayRecord
from engine.programme import carry_over, carry_over_rules, criteria_items, replay
from engine.schema import parse_protocol, protocol_to_data, set_value
from tests.engine.builders import protocol, rec
from tests.engine.test_programme import decide, ready
from tests.engine.test_programme import rules as rules_of
from tests.engine.test_reference_conformance import HAM, d, day, morning, rules, run, session

HAMSTRING = protocol("hamstring")
H3M = dict(hv_reps=4, strength_lsi_pct=90, slhb_reps_injured=25, slhb_reps_uninjured=26)


def _h3_met_then_away(away: int) -> list[DayRecord]:
    """Everything H3 needs is met by day 3 but the 48 h rest holds that morning; then the
    athlete is away ``away`` days and comes back with a green morning."""
    back = 4 + away
    return [
        day(0, set_stage="H3", s=session(80, metrics=H3M)),
        day(1),
        day(2, s=session(80, metrics=H3M)),
        day(3),
        day(back),
        day(back + 1, s=session(None)),
        day(back + 2),
    ]


def test_the_first_morning_back_after_three_weeks_steps_back_not_up() -> None:
    by = run("hamstring", HAM, _h3_met_then_away(21))
    back = by[d(25)]
    assert back.decision == "step_back" and (back.stage, back.stage_after) == ("H3", "H2")
    assert "gap.step_back" in rules(back)
    assert [(a.severity, a.rule) for a in back.alerts] == [("info", "gap.step_back")]
    # Re-entering H3 needs green sessions in H2 first, not the day after.
    assert by[d(26)].stage_after == "H2" and by[d(27)].stage_after == "H2"


def test_a_week_away_restarts_what_the_stage_needs() -> None:
    by = run("hamstring", HAM, _h3_met_then_away(8))
    back = by[d(12)]
    assert back.decision == "hold" and back.stage_after == "H3"
    assert "gap.restart" in rules(back)
    assert {"gate.3", "gate.5.days", "gate.5.sessions", "H3.H3a"} <= set(rules(back))
    assert [(a.severity, a.rule) for a in back.alerts] == [("info", "gap.restart")]
    assert all(by[d(n)].stage_after == "H3" for n in (12, 13, 14))


def test_six_days_away_changes_nothing() -> None:
    """Control: under a week without a run (the day after the last run counts: 6 days with
    5 away), results stand and the gate opens on the morning back."""
    back = run("hamstring", HAM, _h3_met_then_away(5))[d(9)]
    assert back.decision == "progress" and back.stage_after == "H4"
    assert not {"gap.restart", "gap.step_back"} & set(rules(back))


def test_a_long_pause_counts_as_time_away() -> None:
    """Ten days paused (illness, a holiday), then resumed: the stage restarts as after ten
    days without a check-in (the minimum days are calendar days, the results are not)."""
    days = _h3_met_then_away(10)
    pause = DayRecord(date=d(4), clinician_actions=[ClinicianAction(kind="pause")])
    resume = days[4].model_copy(update={"clinician_actions": [ClinicianAction(kind="resume")]})
    by = run("hamstring", HAM, [*days[:4], pause, resume, *days[5:]])
    assert by[d(14)].decision == "hold" and "gap.restart" in rules(by[d(14)])


def test_a_sign_off_recorded_before_a_gap_does_not_open_the_gate_after_it() -> None:
    st = ready("H5", clearance=True, clearance_on=dt.date(2026, 3, 7), missed_streak=9)
    out, after = decide(st.model_copy(update={"away_days": 9}), rec(12))
    # H5 is a stage of maximal sprints: a week away already steps back (its first session
    # back would be a max sprint after a week without speed), and the sign-off is gone.
    assert out.decision == "step_back" and after.stage == "H4" and not after.clearance
    assert "gap.step_back" in rules_of(out)
    # Below the max-sprint stages a week away restarts the stage and its sign-off alike.
    st = ready("H3", clearance=True, clearance_on=dt.date(2026, 3, 7), missed_streak=9)
    out, after = decide(st.model_copy(update={"away_days": 9}), rec(12))
    assert out.decision == "hold" and after.stage == "H3" and not after.clearance
    assert "gap.restart" in rules_of(out)


def test_an_older_snapshot_counts_its_missed_check_ins_as_time_away() -> None:
    """A snapshot saved before the engine counted days away (no ``away_days``)."""
    st = ready("H3", missed_streak=9).model_copy(update={"away_days": None})
    out, after = decide(st, rec(15))
    assert out.decision == "hold" and "gap.restart" in rules_of(out)
    assert after.away_days == 0
    control, _ = decide(ready("H3", missed_streak=2).model_copy(update={"away_days": None}), rec(8))
    assert control.decision == "progress"


# --- A stop is a stop: mornings while awaiting a review earn nothing --------------------------
def test_mornings_while_awaiting_a_review_earn_nothing_of_the_stage() -> None:
    """H1 (e) "morning pain at rest ≤ 1/10 on 2 consecutive mornings": after a pop, the quiet
    mornings spent waiting for the clinician's review are not shown (/status, the clinician's
    card) as meeting it; it counts again from the review (protocol notes (10))."""
    days = [day(0, set_stage="H1"), day(1, m=morning(red_flags=["pop"])), day(2), day(3)]
    tl = replay(HAMSTRING, HAM, None, days, start=d(0))
    st = tl.final_state
    assert st.suspended and st.stage == "H1"
    h1e = next(i for i in criteria_items(HAMSTRING.stage("H1"), st) if i.rule == "H1e")
    assert not h1e.met and st.streaks.get("H1e", 0) == 0
    # From the review on, the mornings count.
    review = DayRecord(
        date=d(4), morning=day(4).morning, clinician_actions=[ClinicianAction(kind="review")]
    )
    tl = replay(HAMSTRING, HAM, None, [*days, review, day(5)], start=d(0))
    assert tl.final_state.streaks.get("H1e") == 2


# --- A sign-off carried in a snapshot whose criteria restart ------------------------------
def test_a_sign_off_in_an_old_snapshot_lapses_with_the_criteria_it_rested_on() -> None:
    """Saved before split criteria needed every split: H5 (b) and (e) restart, and the sign-off
    given when they read as met lapses with them; once they are met again the clinician is
    asked again, as a full replay would (a sign-off before its criteria lapses)."""
    st = ready("H5", clearance=True, clearance_on=dt.date(2026, 3, 7))
    carried = carry_over_rules(st, HAMSTRING, 1)
    assert "H5b" not in carried.streaks and not carried.clearance
    remet = carried.model_copy(update={"streaks": st.streaks})
    out, after = decide(remet, rec(8, m=morning(tightness=0)))  # symptom-free, as H5 needs
    assert out.decision == "hold" and after.stage == "H5"
    assert "gate.8" in rules_of(out) and "gate.8" in [a.rule for a in out.alerts]
    # Control: the snapshot of the current rules keeps it, and the athlete moves on.
    kept = carry_over_rules(st, HAMSTRING, 2)
    assert kept.clearance
    assert decide(kept, rec(8, m=morning(tightness=0)))[0].decision == "progress"


def test_a_sign_off_lapses_when_a_new_protocol_version_changes_a_criterion_of_the_stage() -> None:
    newer = parse_protocol(
        set_value(protocol_to_data(HAMSTRING), "H5", "exit_criteria[H5a].threshold", "97"),
        source="test",
    )
    st = ready("H5", clearance=True, clearance_on=dt.date(2026, 3, 7))
    carried = carry_over(st, HAMSTRING, newer)
    assert "H5a" not in carried.streaks and not carried.clearance
    same = carry_over(st, HAMSTRING, parse_protocol(protocol_to_data(HAMSTRING), source="test"))
    assert same.clearance
