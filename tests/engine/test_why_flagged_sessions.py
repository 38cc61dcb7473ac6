"""A session that does not count (above the day's cap, on a day without running, before the
check-in, while running is stopped) is never called a green session that counts, and the
results that came with it are remembered as not counted, never lost from sight.

The reviewer's case: an athlete at H2 (50–65 % Vmax) ran at 88 % of top speed with pain 0 and
typed a straight-leg raise of 85 % and a knee extension of 80 %. The engine left the session
out of the exit criteria (the conservative choice: a session against the plan tests nothing,
a result it fails still counts against) but said "Session green: eligible for progression",
and the exit criteria it left out read as never reported.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.models import ClinicianAction, DayRecord, SessionReport
from engine.programme import (
    NOT_COUNTED_TEXT,
    DayOutcome,
    ProgrammeState,
    Timeline,
    criteria_items,
    enter_stage,
    replay,
)
from tests.engine.builders import protocol
from tests.engine.test_reference_conformance import BASE, D0, HAM, d, day, morning, session

HAMSTRING = protocol("hamstring")
ROM = {"slr_lsi_pct": 85, "aket_lsi_pct": 80}


def _run(days: list[DayRecord]) -> Timeline:
    return replay(HAMSTRING, HAM, BASE, days, start=D0)


def _rules(o: DayOutcome) -> list[str]:
    return [str(r.rule) for r in o.reasons]


def _over_cap(**checks: Any) -> list[DayRecord]:
    """H2 entered by the clinician, then a run at 88 % (cap 65 %) with the range checks."""
    return [day(0, set_stage="H2", s=session(88, checks=dict(ROM, **checks)))]


def _at(n: int, hour: int) -> dt.datetime:
    return dt.datetime.combine(d(n), dt.time(hour), tzinfo=dt.UTC)


def _before_checkin(n: int, s: SessionReport) -> DayRecord:
    return day(n, s=s).model_copy(update={"session_at": _at(n, 7), "morning_at": _at(n, 9)})


def test_a_session_above_the_cap_is_not_called_green_and_counting() -> None:
    o = _run(_over_cap()).days[0]
    assert o.session_class == "green"
    assert "session.flag.over_cap" in _rules(o)
    assert "session.green" not in _rules(o)
    assert "session.green.not_counted" in _rules(o)
    said = next(r for r in o.reasons if r.rule == "session.green.not_counted")
    assert "eligible for progression" not in said.text


def test_a_counted_green_session_still_says_it_counts() -> None:
    o = _run([day(0, set_stage="H2", s=session(62, checks=ROM))]).days[0]
    assert "session.green" in _rules(o) and "session.green.not_counted" not in _rules(o)


def test_the_results_of_a_session_that_did_not_count_are_remembered_as_not_counted() -> None:
    st = _run(_over_cap()).final_state
    # Range checks and the speed criterion (88 % ≥ 65 %) would have passed: not counted.
    assert st.not_counted == {"H2a": "session", "H2c": "session", "H2c2": "session"}
    assert "H2c2" not in st.observed and st.streaks.get("H2c2", 0) == 0  # still conservative
    items = {i.rule: i for i in criteria_items(HAMSTRING.stage("H2"), st)}
    assert items["H2c2"].not_counted == "session" and not items["H2c2"].met
    assert items["H2d"].not_counted is None  # strength was not typed: nothing to say


def test_a_failed_result_in_such_a_session_still_counts_against_and_is_not_marked() -> None:
    st = _run(_over_cap(slr_lsi_pct=60)).final_state
    assert st.observed["H2c2"] == 60 and "H2c2" not in st.not_counted


def test_the_next_counted_result_replaces_the_not_counted_one() -> None:
    days = [*_over_cap(), day(1), day(2, s=session(62, checks={"slr_lsi_pct": 70}))]
    st = _run(days).final_state
    assert "H2c2" not in st.not_counted and st.observed["H2c2"] == 70
    assert st.not_counted.get("H2c") == "session"  # not measured again: still the flagged one


def test_the_next_mornings_not_yet_reasons_say_the_result_was_not_counted() -> None:
    o = _run([*_over_cap(), day(1)]).days[1]
    slr = next(r for r in o.reasons if r.rule == "H2.H2c2")
    assert slr.text.startswith("Not yet:") and slr.text.endswith(NOT_COUNTED_TEXT["session"])
    strength = next(r for r in o.reasons if r.rule == "H2.H2d")
    assert not strength.text.endswith(tuple(NOT_COUNTED_TEXT.values()))


def test_a_run_on_a_rest_morning_is_not_called_green_and_counting() -> None:
    days = [
        day(0, set_stage="H2", s=session(60)),
        day(1),
        day(2, m=morning(tightness=3), s=session(62, checks=ROM)),
    ]
    o = _run(days).days[2]
    assert o.readiness == "rest" and "session.flag.no_running" in _rules(o)
    assert "session.green" not in _rules(o) and "session.green.not_counted" in _rules(o)


def test_a_run_before_the_checkin_is_not_called_green_and_counting() -> None:
    days = [day(0, set_stage="H2", s=session(60)), day(1), _before_checkin(2, session(62))]
    o = _run(days).days[2]
    assert any(r.rule == "session.flag.no_running" and r.observed == "missing" for r in o.reasons)
    assert "session.green" not in _rules(o) and "session.green.not_counted" in _rules(o)


def test_checks_logged_while_running_is_stopped_are_not_counted_for_the_review() -> None:
    days = [
        day(0, set_stage="H2", s=session(60)),
        day(1, s=session(60, sharp_pain=True)),  # a stop: running waits for the review
        DayRecord(date=d(2), morning=morning(), checks={"slr_lsi_pct": 85}),
    ]
    st = _run(days).final_state
    assert st.suspended and st.not_counted.get("H2c2") == "review"


def test_a_session_while_running_is_stopped_is_not_counted_for_the_review() -> None:
    days = [
        day(0, set_stage="H2", s=session(60)),
        day(1, s=session(60, sharp_pain=True)),
        day(2, s=session(62, checks=ROM)),
    ]
    tl = _run(days)
    assert "session.green" not in _rules(tl.days[2])
    assert tl.final_state.not_counted.get("H2c2") == "review"


def test_a_new_stage_and_a_stop_forget_what_was_not_counted() -> None:
    st = _run(_over_cap()).final_state
    assert st.not_counted
    assert enter_stage(st, "H3", d(1)).not_counted == {}
    stopped = _run([*_over_cap(), day(1, s=session(60, sharp_pain=True))]).final_state
    assert stopped.not_counted == {}


def test_a_met_criterion_is_never_marked_not_counted() -> None:
    days = [
        day(0, set_stage="H2", s=session(62, checks={"slr_lsi_pct": 80})),
        day(1),
        day(2, s=session(88, checks={"slr_lsi_pct": 85})),
    ]
    st = _run(days).final_state
    item = next(i for i in criteria_items(HAMSTRING.stage("H2"), st) if i.rule == "H2c2")
    assert item.met and item.not_counted is None


def test_a_snapshot_stored_before_the_field_still_loads() -> None:
    st = _run(_over_cap()).final_state
    data = st.model_dump(mode="json")
    del data["not_counted"]
    assert ProgrammeState.model_validate(data).not_counted == {}


def test_a_clinician_review_keeps_running_and_counting_apart() -> None:
    """Control: after the review the next session counts again, and its result replaces the
    one logged while running was stopped."""
    days = [
        day(0, set_stage="H2", s=session(60)),
        day(1, s=session(60, sharp_pain=True)),
        DayRecord(date=d(2), morning=morning(), checks={"slr_lsi_pct": 85}),
        DayRecord(
            date=d(3),
            morning=morning(),
            clinician_actions=[ClinicianAction(kind="review", note="all clear")],
        ),
        day(4, s=session(62, checks={"slr_lsi_pct": 80})),
    ]
    st = _run(days).final_state
    assert not st.suspended and "H2c2" not in st.not_counted and st.observed["H2c2"] == 80
