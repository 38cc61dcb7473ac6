"""Attack on the calf protocol's possible-Achilles-rupture rule: the first pair, and repeats.

The rule (reference §5 tier 2, "unable to rise onto tiptoe on that side"; the engine's
reading: single-leg heel raises at half of the other side or less, after having been above
it, with pain that day, the day before or the next morning) compares the injured side with
the other side of the same pair. "Having been above it" was read as an earlier pair only, so
the first pair ever logged was never checked: an athlete placed straight into C4 by their
clinician could report 12 of 30 with pain and train on. A stage reached only through a
heel-raise symmetry criterion above half (C2's > 90 %, so C3 onwards) has been above it by
its entry: its first pair is now read against the other side, with the rule's thresholds as
they are. Before it (C1 asks for 10 single-leg raises, not for symmetry) a weak injured side
is expected, and a first pair at half or less is still no collapse. A count logged without
the other side's is compared with earlier counts of the stage: a first one has nothing to be
compared with and stays unchecked.

Repeats: a collapse without pain that day but with pain the day before stops the athlete
with a same-day alert; the painful morning after raised a second same-day alert for the
same collapse while the athlete was already stopped awaiting the clinician. The athlete is
still told to stop and be assessed today; the clinician gets no fresh alert for it, but a
new red flag or a more urgent tier that morning always alerts, as does the same picture
after the clinician's review.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.support.i18n import use_language
from bot.wording.alerts import red_flag_signs
from engine.models import ClinicianAction, DayRecord, MorningCheckIn, SessionReport
from engine.programme import DayOutcome
from tests.engine.test_attack_calf_achilles import SAME_DAY_WORDS, heel, same_day_stop
from tests.engine.test_reference_conformance import CALF, d, day, morning, rules, run, session

FIRST = "the first pair logged"


def first_pair(
    stage: str, then: SessionReport, **later: MorningCheckIn
) -> dict[dt.date, DayOutcome]:
    """``stage`` set by the clinician on day 0 and ``then`` on day 1: the first heel-raise
    pair ever logged; ``later['next_morning']`` the check-in of day 2."""
    days = [day(0, set_stage=stage), day(1, s=then)]
    if "next_morning" in later:
        days.append(day(2, m=later["next_morning"]))
    return run("calf", CALF, days)


def counts_only(injured: int, other: int, pain: int) -> SessionReport:
    """Heel raises and no run (a stage without running, or a test day)."""
    met = {"heel_raise_reps_injured": injured, "heel_raise_reps_uninjured": other}
    return session(None, metrics=met, pain_max=pain)


# --- 1. the first pair ----------------------------------------------------------------------


def test_a_first_pair_at_half_or_less_with_pain_stops_the_same_day() -> None:
    o = first_pair("C4", heel(12, 30, pain_max=1))[d(1)]
    assert same_day_stop(o)
    assert any("collapsed to 12 of 30" in a.text and FIRST in a.text for a in o.alerts)
    assert o.plan is None or not o.plan.running


@pytest.mark.parametrize("injured,other", [(30, 12), (15, 30), (3, 30)])
def test_a_first_pair_typed_the_wrong_way_round_or_at_exactly_half_stops(
    injured: int, other: int
) -> None:
    assert same_day_stop(first_pair("C4", heel(injured, other, pain_max=1))[d(1)])


@pytest.mark.parametrize("stage", ["C3", "C5", "C6", "C7"])
def test_every_stage_entered_above_half_checks_its_first_pair(stage: str) -> None:
    assert same_day_stop(first_pair(stage, counts_only(10, 30, pain=2))[d(1)]), stage


@pytest.mark.parametrize("injured", [16, 24, 29, 30])
def test_a_normal_first_test_raises_no_alarm(injured: int) -> None:
    """Just above half and a bit weaker (the rule's 50 % as it is): no Achilles picture."""
    o = first_pair("C4", heel(injured, 30, pain_max=1))[d(1)]
    assert o.decision != "stop" and "redflag.achilles" not in rules(o)
    assert not any("Achilles" in a.text for a in o.alerts)


@pytest.mark.parametrize("stage", ["C1", "C2"])
def test_an_early_first_pair_at_half_or_less_is_expected_and_does_not_stop(stage: str) -> None:
    """C1 asks for 10 single-leg heel raises (pain ≤ 2/10), not for symmetry: 8 of 30 with
    mild pain is an ordinary early test, not "unable to rise onto tiptoe"."""
    o = first_pair(stage, counts_only(8, 30, pain=2))[d(1)]
    assert o.decision != "stop" and "redflag.achilles" not in rules(o)
    assert not any("Achilles" in a.text for a in o.alerts)


def test_an_early_pair_above_half_still_makes_a_later_collapse_stop() -> None:
    """Guard: before C3 the earlier pair is what the collapse is read against, as before."""
    days: list[DayRecord] = [
        day(0, set_stage="C2", s=counts_only(24, 30, pain=0)),
        day(1, s=counts_only(12, 30, pain=1)),
    ]
    assert same_day_stop(run("calf", CALF, days)[d(1)])


def test_a_painless_first_collapse_then_pain_the_next_morning_stops_that_morning() -> None:
    by = first_pair("C4", heel(12, 30), next_morning=morning(pain_test=2))
    assert by[d(1)].decision != "stop"  # no pain that day: the rule waits for one
    o = by[d(2)]
    assert same_day_stop(o) and "redflag.achilles" in rules(o)
    assert o.readiness == "stop" and o.plan is not None and not o.plan.running


def test_a_low_first_pair_does_not_excuse_a_painful_low_pair_later() -> None:
    """12 of 30 without pain first (nothing fired), then 12 of 30 with pain: it stops."""
    days: list[DayRecord] = [
        day(0, set_stage="C4", s=heel(12, 30)),
        day(1),
        day(2, s=heel(12, 30, pain_max=1)),
    ]
    by = run("calf", CALF, days)
    assert by[d(0)].decision != "stop"
    assert same_day_stop(by[d(2)])


def test_a_first_count_without_the_other_side_has_nothing_to_compare_with() -> None:
    """Guard: a count alone is read against the stage's earlier counts; the first one is not
    a collapse from anything (and 12 alone may be an honest early count)."""
    o = first_pair("C4", heel(12, None, pain_max=1))[d(1)]
    assert "redflag.achilles" not in rules(o)


def test_the_clinician_reads_the_first_pair_sign_in_words() -> None:
    outcomes = [
        first_pair("C4", heel(30, 12, pain_max=1))[d(1)],
        first_pair("C4", heel(12, 30), next_morning=morning(pain_test=2))[d(2)],
    ]
    with use_language("en"):
        for o in outcomes:
            words = [red_flag_signs(a.text) for a in o.alerts if a.severity == "same_day"]
            assert words and all(w and "another sign" not in w for w in words), words
            assert all(w and "12 of 30" in w and FIRST in w for w in words), words


# --- 2. the painful morning after a collapse that already stopped -------------------------


def _pain_before_then_collapse(
    next_morning: MorningCheckIn, *, review: bool = False
) -> dict[dt.date, DayOutcome]:
    """C4 with 30 of 30 on day 0, a painful test on day 1, 12 of 30 without pain on day 2 (a
    stop for the pain the day before), ``next_morning`` on day 3 (after the clinician's
    review that morning with ``review``)."""
    third = day(3, m=next_morning)
    if review:
        third = third.model_copy(
            update={"clinician_actions": [ClinicianAction(kind="review", note="seen")]}
        )
    return run(
        "calf",
        CALF,
        [
            day(0, set_stage="C4", s=heel(30, 30)),
            day(1, s=session(None, pain_max=2, metrics={"hop_lsi_pct": 95})),
            day(2, s=heel(12, 30)),
            third,
        ],
    )


def _achilles_alerts(o: DayOutcome) -> list[str]:
    return [a.severity for a in o.alerts if "Achilles" in a.text]


def test_the_painful_morning_after_is_not_a_second_alert_for_the_same_collapse() -> None:
    by = _pain_before_then_collapse(morning(pain_test=2))
    assert same_day_stop(by[d(2)]) and by[d(2)].review_pending
    o = by[d(3)]
    assert o.alerts == [], [a.text for a in o.alerts]
    # The athlete is still stopped and told again to be assessed today.
    assert o.readiness == "stop" and o.plan is not None and not o.plan.running
    assert any(SAME_DAY_WORDS in i.text for i in o.instructions)
    assert "redflag.achilles" in rules(o) and o.review_pending


def test_a_new_red_flag_that_morning_still_alerts() -> None:
    o = _pain_before_then_collapse(morning(pain_test=2, red_flags=["bruising"]))[d(3)]
    assert o.decision == "stop"
    alerted = [a for a in o.alerts if a.severity != "info"]
    assert alerted and any("bruising" in a.text for a in alerted), [a.text for a in o.alerts]


def test_a_more_urgent_tier_that_morning_still_alerts() -> None:
    m = morning(pain_rest=8, red_flags=["calf_warm_red"])
    o = _pain_before_then_collapse(m)[d(3)]
    assert o.decision == "stop"
    assert any(a.severity == "emergency" for a in o.alerts), [a.text for a in o.alerts]


def test_pain_at_rest_at_the_stop_threshold_that_morning_still_alerts() -> None:
    """Pain at rest ≥ 4/10 is a red flag of the morning's own (tier 3): not held back."""
    o = _pain_before_then_collapse(morning(pain_rest=4, pain_test=2))[d(3)]
    assert o.decision == "stop"
    assert [a for a in o.alerts if a.severity != "info"], [a.text for a in o.alerts]


def test_after_the_clinicians_review_the_same_picture_alerts_again() -> None:
    o = _pain_before_then_collapse(morning(pain_test=2), review=True)[d(3)]
    assert _achilles_alerts(o) == ["same_day"], [a.text for a in o.alerts]


def test_a_first_alert_on_the_morning_after_is_never_held_back() -> None:
    """Guard: a painless collapse (no stop, no alert) then a painful morning alerts."""
    days: list[DayRecord] = [
        day(0, set_stage="C4", s=heel(30, 30)),
        day(1),
        day(2, s=heel(12, 30)),
        day(3, m=morning(pain_test=2)),
    ]
    o = run("calf", CALF, days)[d(3)]
    assert _achilles_alerts(o) == ["same_day"]
