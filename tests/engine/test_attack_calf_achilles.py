"""Attack on the calf protocol: histories a physio would not sign.

The possible-Achilles-rupture rule (reference §5 tier 2: "unable to rise onto tiptoe on that
side"; the engine's reading: single-leg heel raises collapsing to half of the other side or
less, after having been above it, with pain) could be dodged by:

- the counts typed the wrong way round (30 for the injured side, 12 for the other): the pair
  read as an implausible 250 % and fired nothing;
- a drop to exactly half (15 of 30): "under half" only;
- the injured side's count logged without the other side's (or with 0 for it);
- no pain that day, and pain the next morning (the morning only stepped back: no clinician);
- the counts logged the day after the painful test (pain the day before, none that day).

Each now stops, with the clinician alerted the same day. A swollen limb with pain still
≥ 8/10 an hour after a session is the compartment-syndrome picture, as with pain at rest
≥ 8/10 in the morning (tier 1); it was only same day. Guards: the DVT picture ("calf warm,
red or swollen") stops the same day, tier 1 with severe pain at rest, and a run on a paused
day or a day without a check-in inside the calf's 48 h is flagged and does not count.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.support.i18n import use_language
from bot.wording.alerts import red_flag_signs
from engine.models import DayRecord, MorningCheckIn, SessionReport
from engine.programme import DayOutcome
from tests.engine.test_reference_conformance import CALF, d, day, morning, rules, run, session

TIER1_WORDS = "112 / 911 / 999 / 000"
SAME_DAY_WORDS = "medical assessment today"


def heel(injured: int | None, other: int | None, pct: float = 80.0, **kw: Any) -> SessionReport:
    """A C4 session at ``pct`` % Vmax with single-leg heel raises logged (None: not logged)."""
    met: dict[str, Any] = {"hv_reps": 6}
    if injured is not None:
        met["heel_raise_reps_injured"] = injured
    if other is not None:
        met["heel_raise_reps_uninjured"] = other
    return session(pct, metrics=met, **kw)


def c4(
    then: SessionReport,
    *,
    that_morning: MorningCheckIn | None = None,
    next_morning: MorningCheckIn | None = None,
) -> dict[dt.date, DayOutcome]:
    """C4 with 30 of 30 heel raises on day 0, ``then`` on day 2 and a check-in on day 3."""
    return run(
        "calf",
        CALF,
        [
            day(0, set_stage="C4", s=heel(30, 30)),
            day(1),
            day(2, m=that_morning, s=then),
            day(3, m=next_morning),
        ],
    )


def same_day_stop(o: DayOutcome) -> bool:
    """Stopped with a same-day alert for the Achilles picture and the tier-2 instruction."""
    return (
        o.decision == "stop"
        and any(
            a.severity == "same_day" and "Achilles" in a.text and "collapsed" in a.text
            for a in o.alerts
        )
        and any(SAME_DAY_WORDS in i.text for i in o.instructions)
    )


def test_the_reference_collapse_stops_the_same_day() -> None:
    assert same_day_stop(c4(heel(12, 30, pain_max=1))[d(2)])


def test_a_collapse_typed_the_wrong_way_round_stops_as_well() -> None:
    o = c4(heel(30, 12, pain_max=1))[d(2)]
    assert same_day_stop(o)
    assert any("collapsed to 12 of 30" in a.text for a in o.alerts)


def test_a_collapse_to_exactly_half_stops() -> None:
    assert same_day_stop(c4(heel(15, 30, pain_max=1))[d(2)])


def test_just_above_half_is_not_the_achilles_picture() -> None:
    o = c4(heel(16, 30, pain_max=1))[d(2)]
    assert o.decision != "stop" and "redflag.achilles" not in rules(o)


def test_a_count_without_the_other_side_is_read_against_the_stage_best() -> None:
    for other in (None, 0):
        o = c4(heel(12, other, pain_max=1))[d(2)]
        assert same_day_stop(o), other
        assert any("other side not logged, 30 earlier" in a.text for a in o.alerts)


def test_pain_the_next_morning_after_a_painless_collapse_stops_that_morning() -> None:
    by = c4(heel(12, 30), next_morning=morning(pain_test=2))
    assert by[d(2)].decision != "stop"  # no pain that day: the rule waits for one
    o = by[d(3)]
    assert same_day_stop(o)
    assert o.readiness == "stop" and o.plan is not None and not o.plan.running
    assert "redflag.achilles" in rules(o)


def test_a_painless_collapse_and_a_painless_next_morning_do_not_stop() -> None:
    by = c4(heel(12, 30))
    assert all(o.decision != "stop" for o in by.values())


def test_counts_logged_the_day_after_a_painful_test_stop() -> None:
    """Pain in the session of day 1 (the heel-raise test), the counts logged on day 2 with
    no pain that day."""
    by = run(
        "calf",
        CALF,
        [
            day(0, set_stage="C4", s=heel(30, 30)),
            day(1, s=session(None, pain_max=2, metrics={"hop_lsi_pct": 95})),
            day(2, s=heel(12, 30)),
        ],
    )
    assert same_day_stop(by[d(2)])


def _swollen_after(pain_1h: int) -> DayOutcome:
    days: list[DayRecord] = [
        day(0, set_stage="C4"),
        day(1, s=session(70, red_flags=["swelling"], pain_max=3, pain_1h=pain_1h)),
    ]
    return run("calf", CALF, days)[d(1)]


def test_new_swelling_with_severe_pain_an_hour_after_is_an_emergency() -> None:
    o = _swollen_after(8)
    assert o.decision == "stop"
    assert any(a.severity == "emergency" and "compartment" in a.text for a in o.alerts)
    assert any(TIER1_WORDS in i.text for i in o.instructions)


def test_new_swelling_with_less_pain_an_hour_after_stays_same_day() -> None:
    o = _swollen_after(6)
    assert o.decision == "stop"
    assert {a.severity for a in o.alerts if a.rule == "session.red_flag"} == {"same_day"}


def test_a_warm_red_or_swollen_calf_always_stops_the_same_day() -> None:
    """Guard (the DVT picture): a stop and a same-day alert; tier 1 with severe pain at rest."""
    for pain_rest, severity in ((0, "same_day"), (5, "same_day"), (8, "emergency")):
        m = morning(red_flags=["calf_warm_red"], pain_rest=pain_rest)
        o = run("calf", CALF, [day(0, set_stage="C4"), day(1, m=m)])[d(1)]
        assert o.decision == "stop" and o.readiness == "stop", pain_rest
        assert {a.severity for a in o.alerts} == {severity}, pain_rest


def test_a_run_inside_the_calf_rest_is_flagged_on_a_paused_day_or_without_a_check_in() -> None:
    """Guard: "never consecutive running days" (§3.2) on a day the programme is paused, and
    on a day without a check-in (no plan to break, the run still falls inside the 48 h)."""
    first = day(0, set_stage="C3", s=session(65))
    for second in (
        day(1, s=session(65)).model_copy(update={"paused": True}),
        day(1, s=session(65)).model_copy(update={"morning": None}),
    ):
        o = run("calf", CALF, [first, second])[d(1)]
        assert "session.flag.rest" in rules(o)
        assert any(a.rule == "session.against_plan" for a in o.alerts)


def test_the_clinician_reads_every_new_achilles_sign_in_words() -> None:
    """The alerts' signs are worded (not "another sign"), also for a count without the other
    side and on the morning after."""
    outcomes = [
        c4(heel(30, 12, pain_max=1))[d(2)],
        c4(heel(12, None, pain_max=1))[d(2)],
        c4(heel(12, 30), next_morning=morning(pain_test=2))[d(3)],
    ]
    with use_language("en"):
        for o in outcomes:
            words = [red_flag_signs(a.text) for a in o.alerts if a.severity == "same_day"]
            assert words and all(w and "another sign" not in w for w in words), words
