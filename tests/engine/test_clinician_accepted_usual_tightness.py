"""A tightness the clinician accepts as usual for the athlete (``usual_tightness``, ``/usual``).

Without a trusted symptom baseline (reference §0.2: the median of 3 green mornings) fixed
limits apply: tightness 4/10 or more rests. An athlete whose tightness stays at 4/10 after an
acute strain never forms a baseline (rest mornings do not count towards it) and cycles at the
first stage through rest days, held step backs and review requests. The clinician who has
examined them records "tightness 4/10 is usual": from the next morning it is the trusted
tightness baseline, so only a change from it modifies (+2) or rests (+3). Green mornings after
it form the athlete's own baseline, which takes over; a review or sign-off re-sets that (as
for anyone) and the accepted value stands in again, never above what the green mornings
showed.
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
HAMSTRING = load_protocol("hamstring")
USUAL = ClinicianAction(kind="usual_tightness", value=4)
CLEAR = ClinicianAction(kind="clear")  # a sign-off: it re-sets the symptom baseline


def _live(
    days: int,
    *,
    tightness: dict[int, int] | None = None,
    actions: dict[int, list[ClinicianAction]] | None = None,
    protocol: Protocol = HAMSTRING,
) -> tuple[list[DayOutcome], list[ProgrammeState]]:
    """An athlete at tightness 4/10 every morning (``tightness``: other values by day) who
    follows the plan, reports sessions at 4/10 and gets the sign-off the day it is asked;
    ``actions``: the clinician's, by day. Returns each day's outcome and the state after it."""
    st = initial_state(protocol, START)
    window: list[DayRecord] = []
    outcomes: list[DayOutcome] = []
    states: list[ProgrammeState] = []
    n = 0
    for i in range(days):
        morning = GREEN.model_copy(update={"tightness": (tightness or {}).get(i, 4)})
        record = DayRecord(
            date=START + dt.timedelta(days=i),
            morning=morning,
            clinician_actions=(actions or {}).get(i, []),
        )
        early, _ = decide_day(protocol, HAM, BASE, st, record, window)
        if early.awaiting_clearance:
            record = record.model_copy(update={"clearance": True})
            early, _ = decide_day(protocol, HAM, BASE, st, record, window)
        plan = early.plan
        stage = protocol.stage(early.stage_after)
        if plan is not None and plan.drills and (plan.running or not stage.running):
            n += 1
            report = dict(
                completion="full",
                pain_max=0,
                sharp_pain=False,
                red_flags=[],
                tightness=4,
                confidence=9,
                rpe=5,
                minutes=45,
                metrics=_metrics(plan, BASE, n, "hamstring"),
                checks=dict(CHECKS),
            )
            record = record.model_copy(update={"session": SessionReport.model_validate(report)})
        out, st = decide_day(protocol, HAM, BASE, st, record, window)
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


def test_an_accepted_usual_of_4_lets_the_athlete_progress_and_a_rise_still_holds() -> None:
    """Accepted on day 2 (before that day's check-in, as the bot files it): from that morning
    the mornings at 4/10 are green and the athlete moves up through the stages as their
    criteria are met; 6/10 (+2) is a lighter day and 7/10 (+3) a rest day, neither moves up;
    nothing moves up on unmet criteria."""
    outcomes, _ = _live(14, tightness={7: 6, 9: 7}, actions={1: [USUAL]})
    assert outcomes[0].readiness == "rest"
    accepted = [r for r in outcomes[1].reasons if r.rule == "clinician.usual_tightness"]
    assert accepted and accepted[0].observed == 4
    assert all(outcomes[i].readiness == "go" for i in (1, 2, 3, 4, 5, 6))
    stages = [s.id for s in HAMSTRING.stages]
    assert max(stages.index(o.stage_after) for o in outcomes[:7]) >= 2
    said = [r.text for r in outcomes[1].reasons if r.rule == "morning.usual_tightness"]
    assert said == ["Tightness 4/10, +0 vs the usual your clinician accepted (4/10)."]
    rise, worse = outcomes[7], outcomes[9]
    assert rise.readiness == "modify" and rise.decision != "progress"
    assert any(r.rule == "morning.p4.tightness_delta" and r.observed == 2 for r in rise.reasons)
    assert worse.readiness == "rest" and worse.decision != "progress"
    assert worse.plan is None or not worse.plan.running
    assert any(r.rule == "morning.p3.tightness_delta" and r.observed == 3 for r in worse.reasons)
    _never_progresses_on_unmet(outcomes)


def test_green_mornings_take_over_and_the_accepted_usual_stands_in_after_each_re_set() -> None:
    """Three green mornings after the acceptance form the athlete's own baseline (4/10),
    which takes over; the sign-off of the next gate re-sets it (as for anyone), and the
    accepted value stands in again: the athlete does not fall back into resting at 4/10."""
    outcomes, states = _live(14, actions={1: [USUAL], 10: [CLEAR]})
    formed = next(i for i, s in enumerate(states) if len(s.symptom_samples) == 3)
    assert formed < 9
    assert not any(r.rule == "morning.usual_tightness" for r in outcomes[9].reasons)
    assert len(states[10].symptom_samples) < 3  # the sign-off re-set the baseline
    assert any(r.rule == "morning.usual_tightness" for r in outcomes[11].reasons)
    assert all(o.readiness == "go" for o in outcomes[1:])
    assert states[-1].usual_tightness == 4
    _never_progresses_on_unmet(outcomes)


def test_green_mornings_lower_than_the_accepted_usual_bring_it_down() -> None:
    """The athlete's tightness comes down to 1/10: once three green mornings show it, the
    accepted 4/10 comes down to 1/10, so after the next re-set 4/10 is a rise (+3) again."""
    calm = {i: 1 for i in range(2, 12)}
    _, states = _live(12, tightness=calm, actions={1: [USUAL]})
    assert states[-1].usual_tightness == 1
    outcomes, _ = _live(14, tightness={**calm, 12: 4}, actions={1: [USUAL], 12: [CLEAR]})
    assert outcomes[12].readiness == "rest"


def test_a_review_before_green_mornings_formed_a_baseline_keeps_the_accepted_usual() -> None:
    """A review while the accepted value is in use (a rise to 7/10 rested three mornings and
    stopped running) does not drop it: the clinician's acceptance stands until they record
    another."""
    outcomes, states = _live(
        10,
        tightness={3: 7, 4: 7, 5: 7},
        actions={1: [USUAL], 6: [ClinicianAction(kind="review")]},
    )
    assert [o.readiness for o in outcomes[3:6]] == ["rest", "rest", "rest"]
    assert states[5].suspended
    assert states[6].usual_tightness == 4 and not states[6].suspended
    assert outcomes[6].readiness == "go" and outcomes[7].readiness == "go"


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
