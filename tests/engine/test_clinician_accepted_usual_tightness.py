"""A tightness the clinician accepts as usual for the athlete (``usual_tightness``, ``/usual``).

Without a trusted symptom baseline (reference §0.2: the median of 3 green mornings) fixed
limits apply: tightness 4/10 or more rests. An athlete whose tightness stays at 4/10 after an
acute strain never forms a baseline (rest mornings do not count towards it) and cycles at the
first stage through rest days, held step backs and review requests. The clinician who has
examined them records "tightness 4/10 is usual": from the next morning the trusted tightness
baseline is the lower of it and the recent green mornings (none of which is kept above it),
so only a change modifies (+2) or rests (+3). At a stage with running tightness of 4/10 or
more rests whatever the baseline (a Sprintback rule beyond the reference: P4, H4 exit (a),
C6), and nobody moves up into such a stage with it. A review that lifts a stop drops the
usual; a routine sign-off keeps it.

The review of commit 0dc1a43 (findings F1–F5) has one test each below, on both protocols.
"""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from bot.services.protocol_files import load_protocol
from engine.models import ClinicianAction, DayRecord, Injury, Metrics, SessionReport
from engine.programme import (
    RECENT_DAYS,
    DayOutcome,
    ProgrammeState,
    decide_day,
    initial_state,
    symptom_baseline,
)
from engine.schema import Protocol
from tests.scenarios.follow_plan import CHECKS, GREEN, _metrics

BASE = Metrics(vmax_ms=9.1, split_10m_s=1.78, split_20m_s=2.93, split_30m_s=4.05, split_40m_s=5.16)
START = dt.date(2026, 3, 3)
HAM = Injury(injury="hamstring", side="left", grade=1, injury_date=dt.date(2026, 3, 1))
CALF_INJURY = Injury(
    injury="calf", muscle="soleus", side="left", grade=1, injury_date=dt.date(2026, 3, 1)
)
HAMSTRING = load_protocol("hamstring")
CALF = load_protocol("calf")
BOTH = [HAMSTRING, CALF]
USUAL = ClinicianAction(kind="usual_tightness", value=4)
CLEAR = ClinicianAction(kind="clear")  # a sign-off: it re-sets the symptom baseline
REVIEW = ClinicianAction(kind="review")


def _usual(value: int) -> ClinicianAction:
    return ClinicianAction(kind="usual_tightness", value=value)


def _live(
    days: int,
    *,
    tightness: dict[int, int] | None = None,
    actions: dict[int, list[ClinicianAction]] | None = None,
    protocol: Protocol = HAMSTRING,
    usual_tightness: int = 4,
    pain_test: dict[int, int] | None = None,
) -> tuple[list[DayOutcome], list[ProgrammeState]]:
    """An athlete at tightness ``usual_tightness`` every morning (``tightness``: other values
    by day; ``pain_test``: test pain by day, 0 otherwise) who follows the plan, reports
    sessions at the morning's tightness and gets the sign-off the day it is asked;
    ``actions``: the clinician's, by day. Returns each day's outcome and the state after it."""
    injury = HAM if protocol.name == HAMSTRING.name else CALF_INJURY
    st = initial_state(protocol, START)
    window: list[DayRecord] = []
    outcomes: list[DayOutcome] = []
    states: list[ProgrammeState] = []
    n = 0
    for i in range(days):
        tight = (tightness or {}).get(i, usual_tightness)
        morning = GREEN.model_copy(
            update={"tightness": tight, "pain_test": (pain_test or {}).get(i, 0)}
        )
        record = DayRecord(
            date=START + dt.timedelta(days=i),
            morning=morning,
            clinician_actions=(actions or {}).get(i, []),
        )
        early, _ = decide_day(protocol, injury, BASE, st, record, window)
        if early.awaiting_clearance:
            record = record.model_copy(update={"clearance": True})
            early, _ = decide_day(protocol, injury, BASE, st, record, window)
        plan = early.plan
        stage = protocol.stage(early.stage_after)
        if plan is not None and plan.drills and (plan.running or not stage.running):
            n += 1
            report = dict(
                completion="full",
                pain_max=0,
                sharp_pain=False,
                red_flags=[],
                tightness=tight,
                confidence=9,
                rpe=5,
                minutes=45,
                metrics=_metrics(plan, BASE, n, injury.injury),
                checks=dict(CHECKS),
            )
            record = record.model_copy(update={"session": SessionReport.model_validate(report)})
        out, st = decide_day(protocol, injury, BASE, st, record, window)
        window = [*window, record][-RECENT_DAYS:]
        outcomes.append(out)
        states.append(st)
    return outcomes, states


def _never_progresses_on_unmet(outcomes: list[DayOutcome]) -> None:
    for out in outcomes:
        if out.decision == "progress":
            unmet = [r.text for r in out.reasons if r.text.startswith("Not yet:")]
            assert out.readiness == "go" and not unmet, (out.date, unmet)


def test_without_an_accepted_usual_tightness_4_keeps_resting_at_the_first_stage() -> None:
    """The review's history: tightness 4/10 every morning, 30 days at the first stage, every
    morning a rest day, the clinician asked to review (3 rest mornings in a row)."""
    outcomes, _ = _live(30)
    assert {o.stage_after for o in outcomes} == {HAMSTRING.stages[0].id}
    assert all(o.readiness == "rest" for o in outcomes)
    assert any(a.rule == "escalate.rest_mornings" for o in outcomes for a in o.alerts)


def _runs_with(outcomes: list[DayOutcome], tightness: dict[int, int], usual: int) -> list[str]:
    """The days whose plan has running although the morning's tightness was 4/10 or more."""
    return [
        f"{o.date} {o.stage_after} tightness {tightness.get(i, usual)}"
        for i, o in enumerate(outcomes)
        if o.plan is not None and o.plan.running and tightness.get(i, usual) >= 4
    ]


def _last_without_running(protocol: Protocol) -> int:
    return max(i for i, s in enumerate(protocol.stages) if not s.running)


def test_an_accepted_usual_of_4_lets_the_athlete_work_and_a_rise_still_holds() -> None:
    """Accepted on day 2 (before that day's check-in, as the bot files it): from that morning
    the mornings at 4/10 are green at the stages without running, through which the athlete
    moves as their criteria are met, but not into running: the gate holds, saying why. 6/10
    (+2) is a lighter day and 7/10 (+3) a rest day, neither moves up."""
    outcomes, _ = _live(14, tightness={7: 6, 9: 7}, actions={1: [USUAL]})
    assert outcomes[0].readiness == "rest"
    accepted = [r for r in outcomes[1].reasons if r.rule == "clinician.usual_tightness"]
    assert accepted and accepted[0].observed == 4
    assert all(outcomes[i].readiness == "go" for i in (1, 2, 3, 4, 5, 6))
    stages = [s.id for s in HAMSTRING.stages]
    top = max(stages.index(o.stage_after) for o in outcomes)
    assert top == _last_without_running(HAMSTRING)
    held = [r for o in outcomes for r in o.reasons if r.rule == "gate.tightness_running"]
    assert held and held[0].text == (
        "Tightness 4/10: no running with tightness of 4/10 or more, so no moving up to a "
        "stage with running today."
    )
    # The day it takes effect, the acceptance says it; the next mornings note it once each
    # (not beside the hold for running).
    assert not [r for r in outcomes[1].reasons if r.rule == "morning.usual_tightness"]
    said = [r.text for r in outcomes[2].reasons if r.rule == "morning.usual_tightness"]
    assert said == ["Tightness 4/10, +0 vs the usual your clinician accepted (4/10)."]
    rise, worse = outcomes[7], outcomes[9]
    assert rise.readiness == "modify" and rise.decision != "progress"
    assert any(r.rule == "morning.p4.tightness_delta" and r.observed == 2 for r in rise.reasons)
    assert worse.readiness == "rest" and worse.decision != "progress"
    assert worse.plan is None or not worse.plan.running
    assert any(r.rule == "morning.p3.tightness_delta" and r.observed == 3 for r in worse.reasons)
    _never_progresses_on_unmet(outcomes)


def test_the_accepted_usual_stays_after_a_sign_off_and_green_mornings() -> None:
    """Green mornings after the acceptance and the sign-off of the next gate (which re-sets
    the samples, as for anyone) leave the accepted value in force: the athlete does not fall
    back into resting at 4/10 at a stage without running."""
    outcomes, states = _live(14, actions={1: [USUAL], 5: [CLEAR]})
    assert len(states[5].symptom_samples) == 1  # re-set, then that morning
    assert all(o.readiness == "go" for o in outcomes[1:])
    assert states[-1].usual_tightness == 4
    _never_progresses_on_unmet(outcomes)


@pytest.mark.parametrize("protocol", BOTH, ids=lambda p: p.name)
def test_f1_an_accepted_usual_never_runs_at_5_or_6(protocol: Protocol) -> None:
    """F1: /usual 5 on day 2, tightness 5/10 (6/10 every third morning) from then on: the
    athlete never has running at 5–6/10 (before: every morning go, the last stage by day 20
    with full sprints); at a stage with running such a morning rests, and nobody moves into
    one with it."""
    tightness = {i: 6 for i in range(2, 40, 3)}
    outcomes, _ = _live(
        40, tightness=tightness, actions={1: [_usual(5)]}, protocol=protocol, usual_tightness=5
    )
    assert not _runs_with(outcomes, tightness, 5)
    top = max(protocol.index(o.stage_after) for o in outcomes)
    assert top <= _last_without_running(protocol)


@pytest.mark.parametrize("protocol", BOTH, ids=lambda p: p.name)
def test_f2_a_morning_above_the_usual_never_raises_the_baseline(protocol: Protocol) -> None:
    """F2: /usual 5, then mornings at 6/10 (+1, green at a stage without running): they are
    kept at 5/10, so 7/10 the day after is +2, a lighter day (before: the samples at 6/10
    formed a baseline of 6/10 and 7/10 read go, then 8/10 only lightened)."""
    tightness = {0: 6, 1: 6, 2: 6, 3: 6, 4: 6, 5: 7}
    outcomes, states = _live(
        6, tightness=tightness, actions={1: [_usual(5)]}, protocol=protocol, usual_tightness=5
    )
    assert [o.readiness for o in outcomes[1:5]] == ["go"] * 4
    assert all(t <= 5 for s in states for _, t in s.symptom_samples)
    assert outcomes[5].readiness == "modify"
    assert any(r.rule == "morning.p4.tightness_delta" for r in outcomes[5].reasons)


def _first_day_at(protocol: Protocol, stage: str, days: int) -> int:
    outcomes, _ = _live(days, protocol=protocol, usual_tightness=0)
    return next(i for i, o in enumerate(outcomes) if o.stage_after == stage)


@pytest.mark.parametrize(("protocol", "stage"), [(HAMSTRING, "H4"), (CALF, "C4")])
def test_f3_usual_keeps_the_test_pain_of_the_green_mornings(protocol: Protocol, stage: str) -> None:
    """F3: green mornings with test pain 0 at a stage with running, /usual 0, then test pain
    2/10 every morning: +2 over the green mornings' test pain rests, steps back on the 2nd
    morning and stops running for a review on the 3rd (before: /usual dropped the green
    mornings and 1/10 stood in, so each was a lighter day with running every other day)."""
    day = _first_day_at(protocol, stage, 60) + 3
    pain = {i: 2 for i in range(day, day + 4)}
    outcomes, states = _live(
        day + 4, actions={day: [_usual(0)]}, protocol=protocol, usual_tightness=0, pain_test=pain
    )
    assert outcomes[day - 1].stage_after == stage
    after = outcomes[day:]
    assert [o.readiness for o in after[:3]] == ["rest", "rest", "rest"]
    assert after[1].decision == "step_back"
    assert states[day + 2].suspended
    assert not any(o.plan is not None and o.plan.running for o in after)


@pytest.mark.parametrize("protocol", BOTH, ids=lambda p: p.name)
def test_f4_lower_green_mornings_come_before_the_usual(protocol: Protocol) -> None:
    """F4: /usual 5, a sign-off re-sets the samples, mornings at 1/10 and 1/10, then 6/10:
    +5 over the recent green mornings rests (§4.1 p3; before: "go, +1 vs the usual 5")."""
    tightness = {3: 1, 4: 1, 5: 6}
    outcomes, _ = _live(
        6,
        tightness=tightness,
        actions={1: [_usual(5)], 3: [CLEAR]},
        protocol=protocol,
        usual_tightness=5,
    )
    assert [o.readiness for o in outcomes[1:5]] == ["go"] * 4
    six = outcomes[5]
    assert six.readiness == "rest"
    assert any(r.rule == "morning.p3.tightness_delta" and r.observed == 5 for r in six.reasons)
    assert not any(r.rule == "morning.usual_tightness" for r in six.reasons)


@pytest.mark.parametrize("protocol", BOTH, ids=lambda p: p.name)
def test_f5_a_review_that_lifts_a_stop_drops_the_usual(protocol: Protocol) -> None:
    """F5: /usual 4, a rise to 7/10 rests three mornings and stops running for a review; the
    review lifts the stop and drops the usual: 4/10 the next morning rests again, as for
    anyone without a usual level (before: the usual applied again at once). While stopped
    awaiting the review, no morning notes the usual (F6)."""
    tightness = {3: 7, 4: 7, 5: 7}
    outcomes, states = _live(
        9, tightness=tightness, actions={1: [USUAL], 7: [REVIEW]}, protocol=protocol
    )
    assert [o.readiness for o in outcomes[3:6]] == ["rest", "rest", "rest"]
    assert states[5].suspended and states[6].suspended
    assert not any(r.rule == "morning.usual_tightness" for r in outcomes[6].reasons)
    assert states[7].usual_tightness is None and not states[7].suspended
    assert outcomes[8].readiness == "rest"
    assert any(r.rule == "morning.p3.tightness" for r in outcomes[8].reasons)
    # Recorded again after the review, the usual holds; recorded before it on the same day
    # (filed for the next check-in, then a stop and the review), the review drops it; a
    # sign-off that lifts no stop keeps it.
    outcomes, states = _live(
        9, tightness=tightness, actions={1: [USUAL], 7: [REVIEW, USUAL]}, protocol=protocol
    )
    assert states[7].usual_tightness == 4 and not states[7].suspended
    assert outcomes[8].readiness == "go"
    outcomes, states = _live(
        9, tightness=tightness, actions={1: [USUAL], 7: [USUAL, REVIEW]}, protocol=protocol
    )
    assert states[7].usual_tightness is None and not states[7].suspended
    assert outcomes[8].readiness == "rest"
    _, states = _live(5, actions={1: [USUAL], 3: [CLEAR]}, protocol=protocol)
    assert states[3].usual_tightness == 4


def test_tightness_creeping_up_never_runs_at_4_or_more() -> None:
    """Without /usual (the review's calf history): tightness rising 1 point every 8 days from
    0/10. Each morning +1 over the baseline was green, so the baseline crept up with it and
    9/10 ran at C5; at a stage with running 4/10 or more now rests, whatever the baseline.
    (The hamstring athlete of this history is stopped by the 48-hour rule first.)"""
    tightness = {i: min(i // 8, 9) for i in range(80)}
    outcomes, _ = _live(80, tightness=tightness, protocol=CALF)
    assert any(o.plan is not None and o.plan.running for o in outcomes)
    assert not _runs_with(outcomes, tightness, 0)


def test_a_later_acceptance_replaces_the_earlier_one() -> None:
    outcomes, _ = _live(
        5, actions={1: [USUAL], 2: [ClinicianAction(kind="usual_tightness", value=2)]}
    )
    assert outcomes[3].readiness == "modify"  # 4/10 is +2 over the usual now accepted
    assert any(r.rule == "morning.p4.tightness_delta" for r in outcomes[3].reasons)


def test_a_value_above_the_protocols_highest_usual_is_not_applied() -> None:
    """The protocol's ``usual_tightness_max`` (5/10): 6/10 is not applied, and the reason
    says so; a protocol without the rule honours no accepted usual."""
    too_high = ClinicianAction(kind="usual_tightness", value=6)
    outcomes, states = _live(4, tightness={i: 6 for i in range(4)}, actions={1: [too_high]})
    assert states[1].usual_tightness is None
    assert all(o.readiness == "rest" for o in outcomes)
    said = [r.text for r in outcomes[1].reasons if r.rule == "clinician.usual_tightness"]
    assert said == [
        "A usual tightness of 6/10 was not applied: this protocol accepts at most 5/10."
    ]
    morning = HAMSTRING.rules.morning.model_copy(update={"usual_tightness_max": None})
    bare = HAMSTRING.model_copy(
        update={"rules": HAMSTRING.rules.model_copy(update={"morning": morning})}
    )
    outcomes, _ = _live(4, actions={1: [USUAL]}, protocol=bare)
    assert all(o.readiness == "rest" for o in outcomes)


def test_the_accepted_usual_reads_test_pain_as_without_a_baseline_until_a_green_morning() -> None:
    """Before the first green morning after the acceptance, test pain 0–1/10 reads go, 2/10
    lightens (its absolute rule) and nothing is more lenient than without a baseline."""
    st = initial_state(HAMSTRING, START).model_copy(update={"usual_tightness": 4})
    sym = symptom_baseline(st, 3, HAMSTRING)
    assert sym is not None and sym.trusted and sym.tightness == 4 and sym.pain_test == 1
    formed = st.model_copy(update={"symptom_samples": ((0, 3), (0, 3), (1, 3))})
    sym = symptom_baseline(formed, 3, HAMSTRING)
    assert sym is not None and sym.tightness == 3 and sym.pain_test == 0


@pytest.mark.parametrize("value", [None, -1, 11])
def test_an_accepted_usual_needs_a_value_on_the_scale(value: int | None) -> None:
    with pytest.raises(ValidationError):
        ClinicianAction(kind="usual_tightness", value=value)


def test_only_the_usual_tightness_action_carries_a_value() -> None:
    with pytest.raises(ValidationError):
        ClinicianAction(kind="hold", value=3)


def test_a_protocols_highest_usual_leaves_room_for_a_rest_morning() -> None:
    data = HAMSTRING.model_dump(mode="json", exclude_none=True)
    data["rules"]["morning"]["usual_tightness_max"]["value"] = 8
    with pytest.raises(ValidationError, match="leaves no rest morning"):
        Protocol.model_validate(data)
