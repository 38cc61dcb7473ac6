"""The symptom baseline (reference §0.2: the median of the last 3 green mornings) and the
clinician's review that re-sets it.

A sign-off (``clear``) or the review that lifts a stop (``review``, ``resume``) used to empty
the baseline before the same day's morning was judged: tightness +3..+9 or test pain +1 over
the athlete's usual then read "go" instead of rest / modify (§4.1 p3/p4), and the bot files a
sign-off under its date, so one tapped in the evening re-ran that morning as "go" (return to
play with tightness 6/10). The next "go" morning alone then became the new usual, and with no
baseline at all tightness had no rule (9/10 read "go" with 85–95 % runs).

Now the day's morning is judged against the baseline it had before the clinician's action
(the re-set takes effect for later mornings), a baseline is trusted only once it rests on its
3 green mornings, and until then (or with none) fixed tightness limits apply: ≥ 4/10 rests,
2–3/10 modifies (engine.readiness.no_baseline_limits); test pain keeps its absolute rules.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest

from bot.services.protocol_files import load_protocol
from engine.models import ClinicianAction, DayRecord, Injury, Metrics, MorningCheckIn
from engine.programme import DayOutcome, replay
from engine.readiness import SymptomBaseline, morning_verdict
from engine.schema import Protocol
from tests.scenarios.follow_plan import GREEN, follow_plan

BASE = Metrics(vmax_ms=9.1, split_10m_s=1.78, split_20m_s=2.93, split_30m_s=4.05, split_40m_s=5.16)
START = dt.date(2026, 3, 3)
HAM = Injury(injury="hamstring", side="left", grade=1, injury_date=dt.date(2026, 3, 1))
CALF = Injury(
    injury="calf", muscle="soleus", side="right", grade=1, injury_date=dt.date(2026, 3, 1)
)
HAMSTRING = load_protocol("hamstring")


@cache
def _ideal(name: str) -> tuple[Protocol, Injury, list[DayRecord], list[DayOutcome]]:
    """The ideal athlete (green mornings at 0/10, the plan followed, sign-offs when asked)."""
    protocol = load_protocol(name)
    injury = HAM if name == "hamstring" else CALF
    records, outcomes, _ = follow_plan(protocol, injury, BASE, START, 40)
    return protocol, injury, records, outcomes


def _m(**kw: Any) -> MorningCheckIn:
    return GREEN.model_copy(update=kw)


def _running(out: DayOutcome) -> list[float]:
    """The top % of top speed of every run in the day's plan (empty: no running)."""
    if out.plan is None:
        return []
    return [d.pct_vmax[1] for d in out.plan.drills if d.pct_vmax is not None]


# 1. The morning of the clinician's action is judged against the baseline it had.

ACTIONS = ["clear", "review"]
RISES = [({"tightness": 6}, "rest"), ({"tightness": 3}, "rest"), ({"pain_test": 1}, "modify")]


@pytest.mark.parametrize(("rise", "verdict"), RISES, ids=["tight6", "tight3", "test1"])
@pytest.mark.parametrize("kind", ACTIONS)
def test_a_sign_off_or_review_that_morning_does_not_hide_a_rise_over_the_usual(
    kind: str, rise: dict[str, int], verdict: str
) -> None:
    """A hamstring athlete set to H4 whose usual is 0/10 (three green mornings): the clinician's
    sign-off or review recorded on the morning of tightness 6/10 (or 3/10, or test pain 1/10)
    leaves that morning a rest (or modified) day, without the full high-speed session."""
    d = [START + dt.timedelta(days=n) for n in range(4)]
    days = [
        DayRecord(
            date=d[0],
            morning=_m(),
            clinician_actions=[ClinicianAction(kind="set_stage", stage="H4")],
        ),
        DayRecord(date=d[1], morning=_m()),
        DayRecord(date=d[2], morning=_m()),
        DayRecord(date=d[3], morning=_m(**rise), clinician_actions=[ClinicianAction(kind=kind)]),
    ]
    out = replay(HAMSTRING, HAM, BASE, days, start=START).days[-1]
    assert out.readiness == verdict and out.decision != "progress"
    if verdict == "rest":
        assert _running(out) == []
    else:  # fewer fast reps, nothing at max speed (reference §4.1 p4)
        assert out.plan is not None and max(_running(out)) < 95


@pytest.mark.parametrize(("name", "to"), [("hamstring", "H7"), ("calf", "C7")])
@pytest.mark.parametrize("rise", [{"tightness": 6}, {"pain_test": 1}], ids=["tight6", "test1"])
def test_a_return_to_play_sign_off_tapped_the_evening_of_a_bad_morning_does_not_return_to_play(
    name: str, to: str, rise: dict[str, int]
) -> None:
    """The engine asks for the return-to-play sign-off on day X; on day X+1 the athlete checks
    in with tightness 6/10 (or test pain 1/10) and the clinician taps the sign-off later that
    day (the bot files it under X+1): the day stays a rest (or modified) day in the stage."""
    protocol, injury, records, outcomes = _ideal(name)
    k = next(i for i, o in enumerate(outcomes) if o.stage_after == to)
    asked = records[k].model_copy(update={"clearance": False, "session": None})
    signed = DayRecord(date=asked.date + dt.timedelta(days=1), morning=_m(**rise), clearance=True)
    days = replay(protocol, injury, BASE, [*records[:k], asked, signed], start=START).days
    assert days[-2].awaiting_clearance
    out = days[-1]
    assert out.readiness in ("rest", "modify")
    assert out.decision == "hold" and out.stage_after == out.stage != to
    assert max(_running(out), default=0) < 95  # no max sprint, no match


@pytest.mark.parametrize("kind", ["review", "resume", "clear"])
def test_the_review_lifting_a_stop_is_judged_with_the_baseline_before_it(kind: str) -> None:
    """A red flag ("pop") stops an H4 athlete; the clinician's review is recorded on the
    morning they report tightness 6/10: that morning rests."""
    protocol, injury, records, outcomes = _ideal("hamstring")
    k = next(i for i, o in enumerate(outcomes) if o.stage == "H4") + 1
    stop = DayRecord(date=records[k].date, morning=_m(red_flags=["pop"]))
    quiet = DayRecord(date=records[k + 1].date, morning=_m())
    back = DayRecord(
        date=records[k + 2].date,
        morning=_m(tightness=6),
        clinician_actions=[ClinicianAction(kind=kind)],
    )
    out = replay(protocol, injury, BASE, [*records[:k], stop, quiet, back], start=START).days[-1]
    assert not out.review_pending  # the stop is lifted ...
    assert out.readiness == "rest" and _running(out) == []  # ... but not that morning's rise


# 2. After the re-set: fixed limits until the new baseline rests on 3 green mornings.


def _reviewed_at(
    stage: str, before: list[MorningCheckIn], *after: MorningCheckIn
) -> list[DayOutcome]:
    """An athlete set to ``stage`` with a usual of 0/10 (three green mornings), then the
    ``before`` mornings, then a sign-off recorded on the first of the ``after`` mornings: the
    outcomes of the ``after`` days."""
    mornings = [_m(), _m(), _m(), *before]
    days = [
        DayRecord(
            date=START + dt.timedelta(days=n),
            morning=m,
            clinician_actions=([ClinicianAction(kind="set_stage", stage=stage)] if n == 0 else []),
        )
        for n, m in enumerate(mornings)
    ]
    first = len(days)
    for n, m in enumerate(after):
        acts = [ClinicianAction(kind="clear")] if n == 0 else []
        days.append(
            DayRecord(date=START + dt.timedelta(days=first + n), morning=m, clinician_actions=acts)
        )
    return replay(HAMSTRING, HAM, BASE, days, start=START).days[first:]


def test_after_a_review_high_tightness_is_not_the_new_usual_after_one_morning() -> None:
    """The first morning after the review at tightness 6/10 is a rest morning (not "go" and
    the new usual), and so is the next one at 6/10 (the usual was not set by the first)."""
    _, first, second = _reviewed_at("H4", [], _m(), _m(tightness=6), _m(tightness=6))
    assert first.readiness == "rest" and "morning.p3.tightness" in [r.rule for r in first.reasons]
    assert second.readiness == "rest"


def test_a_new_usual_the_clinician_saw_is_trusted_after_three_mornings() -> None:
    """Tightness up from 0 to 2/10 (modify); the clinician reviews it (sign-off) on the
    second such morning, which is still judged against the usual of 0 (modify). Then the
    fixed limits modify the day (a lighter session, no moving up) while the new usual forms
    from those mornings; from the 4th morning 2/10 is the athlete's usual and the day is
    green. A rise to 5/10 from that usual (+3) rests, as the reference's change rule says."""
    two = _m(tightness=2)
    outs = _reviewed_at("H1", [two], two, two, two, two, two, _m(tightness=5))
    assert [o.readiness for o in outs] == ["modify"] * 4 + ["go", "rest"]
    assert "morning.p4.tightness_delta" in [r.rule for r in outs[0].reasons]
    assert all("morning.p4.tightness" in [r.rule for r in o.reasons] for o in outs[1:4])
    assert "morning.p3.tightness_delta" in [r.rule for r in outs[5].reasons]


def test_a_rise_after_a_review_on_a_good_morning_is_a_rise() -> None:
    """Reviewed on a green morning at 0/10, which starts the new usual: tightness 3/10 the
    next morning is +3 over it (rest), test pain 1/10 is +1 (modify), and the fixed limits
    are said to apply while the usual forms."""
    _, tight = _reviewed_at("H1", [], _m(), _m(tightness=3))
    _, test = _reviewed_at("H1", [], _m(), _m(pain_test=1))
    assert tight.readiness == "rest"
    assert test.readiness == "modify"
    assert {"morning.p4.pain_test_delta", "morning.baseline"} <= {r.rule for r in test.reasons}


# 3. With no baseline at all: fixed limits for tightness and test pain.

NO_BASELINE = [
    ({"tightness": 9}, "rest", "morning.p3.tightness"),
    ({"tightness": 4}, "rest", "morning.p3.tightness"),
    ({"tightness": 3}, "modify", "morning.p4.tightness"),
    ({"tightness": 2}, "modify", "morning.p4.tightness"),
    ({"pain_test": 1}, "go", "morning.p8"),  # the absolute test-pain rules tolerate 1/10
    ({"pain_test": 2}, "modify", "morning.p4.pain_test"),
    ({"pain_test": 4}, "rest", "morning.p3.pain_test"),
    ({"tightness": 1}, "go", "morning.p8"),
    ({}, "go", "morning.p8"),
]


@pytest.mark.parametrize(("answers", "verdict", "rule"), NO_BASELINE)
def test_without_a_baseline_fixed_limits_apply(
    answers: dict[str, int], verdict: str, rule: str
) -> None:
    result = morning_verdict(HAMSTRING, _m(**answers), [], None)
    assert result.readiness == verdict
    assert rule in [r.rule for r in result.reasons]
    # The limits stand in for the baseline: a morning they alone modify still forms it.
    assert result.symptom_sample == (rule in ("morning.p8", "morning.p4.tightness"))


def test_a_baseline_of_fewer_than_three_mornings_is_not_trusted() -> None:
    forming = SymptomBaseline(pain_test=5, tightness=5, trusted=False)
    trusted = SymptomBaseline(pain_test=0, tightness=5, trusted=True)
    assert morning_verdict(HAMSTRING, _m(tightness=6), [], forming).readiness == "rest"
    assert morning_verdict(HAMSTRING, _m(tightness=6), [], trusted).readiness == "go"


@pytest.mark.parametrize(("name", "stage"), [("hamstring", "H4"), ("calf", "C5")])
def test_tightness_9_on_the_first_morning_is_no_high_speed_day(name: str, stage: str) -> None:
    protocol = load_protocol(name)
    injury = HAM if name == "hamstring" else CALF
    first = DayRecord(
        date=START,
        morning=_m(tightness=9),
        clinician_actions=[ClinicianAction(kind="set_stage", stage=stage)],
    )
    out = replay(protocol, injury, BASE, [first], start=START).days[-1]
    assert out.readiness == "rest" and _running(out) == []
