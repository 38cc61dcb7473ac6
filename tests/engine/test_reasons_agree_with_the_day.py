"""Property tests (hypothesis) and targeted histories: a day's reasons never claim what the
decision and the plan shown beside them deny. An athlete and their clinician read the reasons
next to the day's action and plan; each claim below is checked against those:

* "running may start again" (a clinician's review lifting a stop) only on a day whose plan
  has running, no stop and nothing awaiting a review;
* "modified session" and "repeat the last successful session" (a modify morning's causes)
  only beside a modified plan, never beside a stop, a rest plan, no plan (a pause) or a stop
  awaiting a review;
* "eligible for progression" (a green session) only when the session counts at the stage the
  athlete ends the day in: never beside a stop, a review awaited, or a step back the session
  did not count for;
* a report of tests alone counted as a run by feel for the days without a run says so, and
  one not counted never says it was.

Histories of both protocols: the issue-12 histories (``test_safety_properties``), the sparse
ones with gaps, pauses and reviews (``test_attack_invariants``), and ones with reports of
tests only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.models import DayRecord, Injury
from engine.programme import DayOutcome, ProgrammeState
from engine.schema import Protocol
from tests.engine.builders import CALF_INJURY, HAM_INJURY, protocol
from tests.engine.test_attack_invariants import SPARSE, _records, sparse_histories
from tests.engine.test_safety_properties import (
    CHECKS,
    SETTINGS,
    START,
    Run,
    _fold,
    _morning,
    _session,
    histories,
)

HAM = protocol("hamstring")
CALF = protocol("calf")
BOTH = ((HAM, HAM_INJURY), (CALF, CALF_INJURY))
TESTS_ONLY = {"strength_lsi_pct": 95, "hop_lsi_pct": 95, "slhb_reps_injured": 27}
RED_FLAG = {"red_flags": ["swelling"]}


def _claims_denied(p: Protocol, run: Run, i: int) -> list[str]:
    """What day ``i``'s reasons claim that its decision or plan denies."""
    out: DayOutcome = run.outcomes[i]
    before: ProgrammeState = run.before[i]
    after: ProgrammeState = run.after[i]
    plan = out.plan
    stopped = out.decision == "stop" or out.review_pending
    found: list[str] = []
    for r in out.reasons:
        text = r.text
        if "running may start again" in text and (stopped or plan is None or not plan.running):
            found.append(f"{out.date} {r.rule}: running may start again, but no running today")
        if "modified session" in text and (stopped or plan is None or plan.readiness != "modify"):
            shown = plan.readiness if plan is not None else None
            found.append(f"{out.date} {r.rule}: modified session beside {out.decision}/{shown}")
        if "repeat the last successful session" in text and (
            stopped or plan is None or plan.readiness != "modify"
        ):
            shown = plan.readiness if plan is not None else None
            found.append(f"{out.date} {r.rule}: repeat a session beside {out.decision}/{shown}")
        if "eligible for progression" in text:
            ls = after.last_session
            counted = (
                ls is not None
                and ls.date == out.date
                and ls.counts_for_progress
                and ls.stage == out.stage_after
            )
            if stopped or not counted:
                found.append(
                    f"{out.date} {r.rule}: eligible for progression beside {out.decision} "
                    f"(counted: {counted})"
                )
        if r.rule == "session.no_run":
            # At a stage of running at the end of the day, a run at its speed (the one the
            # days-without-a-run rule reads) sets that count to 0; any other day adds one.
            running = p.stage(out.stage_after).running and p.stage(before.stage).running
            as_run = running and after.no_run_days == 0
            by_feel = "by feel" in text
            if running and as_run != by_feel:
                found.append(
                    f"{out.date} session.no_run: counted as a run for the gap: {as_run}, "
                    f"says so: {by_feel}"
                )
    return found


def _check(p: Protocol, injury: Injury, records: list[DayRecord]) -> None:
    run = _fold(p, injury, records)
    found = [c for i in range(len(run.records)) for c in _claims_denied(p, run, i)]
    assert not found, "\n".join(found)


@given(histories())
@SETTINGS
def test_reasons_agree_with_the_day_in_generated_histories(days: list[DayRecord]) -> None:
    for p, injury in BOTH:
        _check(p, injury, days)


@given(sparse_histories())
@SPARSE
def test_reasons_agree_with_the_day_after_gaps_and_reviews(days: list[dict[str, Any]]) -> None:
    for p, injury in BOTH:
        _check(p, injury, _records(p, days))


@st.composite
def _tested_histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Days with sessions of tests only (done in full or not), runs and stops with reviews."""
    noise = draw(st.sampled_from([5, 30]))
    first = draw(st.sampled_from(["3", "4", "5", "6"]))
    out: list[dict[str, Any]] = []
    for i in range(draw(st.integers(8, 30))):
        actions: list[dict[str, Any]] = []
        if i == 0:
            actions.append({"kind": "set_stage", "stage": first})
        elif draw(st.integers(0, 6)) == 0:
            actions.append({"kind": draw(st.sampled_from(["review", "clear", "step_back"]))})
        kind = draw(st.sampled_from(["none", "run", "tests", "tests", "tests_partial"]))
        sess: dict[str, Any] | None = None
        if kind == "run":
            sess = draw(_session(noise))
        elif kind.startswith("tests"):
            sess = {
                "completion": "full" if kind == "tests" else "partial",
                "completed_pct": None if kind == "tests" else 50,
                "stop_reason": None if kind == "tests" else "weather_time",
                "pain_max": 0,
                "sharp_pain": False,
                "tightness": 0,
                "confidence": 9,
                "rpe": 5,
                "minutes": 30,
                "metrics": TESTS_ONLY,
                "checks": {**CHECKS, "full_training": None},
            }
        morning = draw(_morning(noise))
        if morning is not None and draw(st.integers(0, 5)) == 0:
            morning = {**morning, "confidence": 3}  # low confidence: repeat a session
        out.append(
            {
                "date": START + dt.timedelta(days=i),
                "morning": morning,
                "session": sess,
                "clinician_actions": actions,
                "clearance": False,
            }
        )
    return out


@given(_tested_histories())
@SPARSE
def test_reasons_agree_with_the_day_with_reports_of_tests_only(
    days: list[dict[str, Any]],
) -> None:
    for p, injury in BOTH:
        _check(p, injury, _records(p, days))


# Targeted histories: each was found contradicting by the properties above.


def _day(n: int, **kw: Any) -> dict[str, Any]:
    green = {
        "red_flags": [],
        "pain_rest": 0,
        "pain_test": 0,
        "tightness": 0,
        "confidence": 9,
        "sleep_quality": 3,
        "fatigue": 3,
        "stress": 2,
        "soreness": 3,
        "sleep_hours": 8,
    }
    morning = {**green, **kw.pop("morning", {})}
    return {
        "date": START + dt.timedelta(days=n),
        "morning": morning,
        "session": kw.pop("session", None),
        "clinician_actions": kw.pop("actions", []),
        "clearance": False,
    }


def _run(p: Protocol, injury: Injury, days: list[dict[str, Any]]) -> Run:
    return _fold(p, injury, _records(p, days))


def _texts(out: DayOutcome) -> list[str]:
    return [r.text for r in out.reasons]


def test_a_review_after_a_long_stop_does_not_say_running_starts_on_a_day_without_running() -> None:
    """A red flag stops the athlete at the first stage of running; the clinician reviews two
    weeks later. The stop's days were days without a run, so the review's day steps back to a
    stage without running: its reasons say the clinician reviewed, never that running may
    start again."""
    for (p, injury), first_run in zip(BOTH, ("2", "3"), strict=True):
        days = [_day(0, actions=[{"kind": "set_stage", "stage": first_run}])]
        days.append(_day(1, morning=RED_FLAG))
        days += [_day(n) for n in range(2, 17)]
        days.append(_day(17, actions=[{"kind": "review"}]))
        run = _run(p, injury, days)
        out = run.outcomes[-1]
        assert out.decision == "step_back"
        assert out.plan is not None and not out.plan.running
        texts = _texts(out)
        assert any(t.startswith("Your clinician has reviewed you") for t in texts), texts
        assert not any("running may start again" in t for t in texts), texts
        _check(p, injury, _records(p, days))


def test_a_lighter_morning_while_stopped_does_not_say_modified_session() -> None:
    """A red flag stops the athlete; the next morning has test pain and tightness up on the
    usual and low confidence: the stop's "no running until your clinician has reviewed you"
    is not beside "modified session" or "repeat the last successful session"."""
    for p, injury in BOTH:
        days = [
            _day(n, actions=[{"kind": "set_stage", "stage": "4"}] if n == 0 else [])
            for n in range(4)
        ]
        days.append(_day(4, morning=RED_FLAG))
        days.append(_day(5, morning={"pain_test": 1, "tightness": 2, "confidence": 3}))
        run = _run(p, injury, days)
        out = run.outcomes[-1]
        assert out.review_pending and out.readiness == "rest"
        texts = _texts(out)
        assert any(t.startswith("No running until your clinician") for t in texts), texts
        assert not any("modified session" in t for t in texts), texts
        assert not any("repeat the last successful session" in t for t in texts), texts
        assert "Confidence 3/10: a check-in with your clinician is offered." in texts
        # What the morning saw is still said.
        assert any(r.rule.startswith("morning.p4.") for r in out.reasons), texts


def _green_session(**kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "completion": "full",
        "pain_max": 0,
        "sharp_pain": False,
        "tightness": 0,
        "confidence": 9,
        "rpe": 6,
        "minutes": 45,
        "metrics": {},
        "checks": {**CHECKS, "full_training": None},
    }
    data.update(kw)
    return data


def test_a_green_session_whose_trigger_steps_back_is_not_eligible_for_progression() -> None:
    """At the stage before return to play, any symptom in training steps back (H6r1, C6r1):
    a session with pain 1/10 is green by the pain rules, and its trigger steps the athlete
    back. Its reason is not "eligible for progression" beside that step back."""
    for p, injury in BOTH:
        days = [_day(0, actions=[{"kind": "set_stage", "stage": "6"}])]
        days.append(_day(1, session=_green_session(pain_max=1, checks=CHECKS)))
        run = _run(p, injury, days)
        out = run.outcomes[-1]
        assert out.decision == "step_back" and out.session_class == "green"
        texts = _texts(out)
        assert not any("eligible for progression" in t for t in texts), texts
        assert "session.green.not_counted" in [r.rule for r in out.reasons]
        _check(p, injury, _records(p, days))


def _tests_only(**kw: Any) -> dict[str, Any]:
    return _green_session(metrics=TESTS_ONLY, **kw)


def test_tests_only_done_in_full_on_a_running_day_say_they_are_taken_as_a_run_by_feel() -> None:
    """A report of tests only, done in full on a day whose plan had running, is taken as a run
    by feel for the days without a run (the count restarts): its reason says so, and still
    that it is no run the stage counts. Done in part, it is no run for either, and says so."""
    for (p, injury), first_run in zip(BOTH, ("3", "4"), strict=True):
        days = [_day(0, actions=[{"kind": "set_stage", "stage": first_run}])]
        days.append(_day(1, session=_tests_only()))
        days.append(_day(2))
        days.append(
            _day(
                3,
                session=_tests_only(
                    completion="partial", completed_pct=50, stop_reason="weather_time"
                ),
            )
        )
        run = _run(p, injury, days)
        full, partial = run.outcomes[1], run.outcomes[3]
        assert full.plan is not None and full.plan.running
        assert run.after[1].no_run_days == 0  # taken as a run for the gap rule
        said = {r.rule: r.text for r in full.reasons}
        assert "by feel" in said["session.no_run"], said
        assert "does not count as one of the runs this stage needs" in said["session.no_run"]
        assert partial.plan is not None and partial.plan.running
        assert run.after[3].no_run_days > 0
        said = {r.rule: r.text for r in partial.reasons}
        assert "by feel" not in said["session.no_run"], said
        _check(p, injury, _records(p, days))
