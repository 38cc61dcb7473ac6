"""What an athlete reads under "Why?" after a session that does not count.

The reviewer's transcript: at stage 3 of 8 (H2, 50–65 % of top speed) an athlete ran at
87.9 %, typed a straight-leg raise of 85 % and a knee extension of 80 %, and read "Good
session: it counts towards moving up…" right above "…it does not count towards moving on",
then "(not reported yet)" beside the two values they had just typed, and a speed "65 % or
more" beside "above today's limit of 65 %". Each line here is what the athlete reads.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.services.texts import why_text
from bot.support.i18n import use_language
from bot.wording.alerts import alert_line
from bot.wording.criteria import describe_criterion
from engine.models import DayRecord, SessionReport
from engine.programme import replay
from engine.status import stage_status
from tests.engine.builders import protocol
from tests.engine.test_reference_conformance import BASE, D0, HAM, d, day, morning, session

HAMSTRING = protocol("hamstring")
ROM = {"slr_lsi_pct": 85, "aket_lsi_pct": 80}
GOOD_SESSION = "Good session: it counts towards moving up"
NOT_REPORTED = "(not reported yet)"
NOT_COUNTED = "(your latest result was not counted: that session did not count)"


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")  # Babel's no-break spaces


def _why(days: list[DayRecord], n: int, *, after_session: bool = True) -> str:
    """The "Why?" of day ``n`` as the athlete reads it (after the session: with what the
    stage needs as it stands; the next morning: the day's own reasons)."""
    tl = replay(HAMSTRING, HAM, BASE, days, start=D0)
    o = tl.days[n]
    status = stage_status(HAMSTRING, HAM, BASE, tl.final_state, days, on=o.date)
    with use_language("en"):
        return _plain(why_text(o, HAMSTRING, o.date, status if after_session else None))


def _line(why: str, start: str) -> str:
    return next(line for line in why.splitlines() if start in line)


def _over_cap(**checks: Any) -> list[DayRecord]:
    return [day(0, set_stage="H2", s=session(87.9, checks=dict(ROM, **checks)))]


def _at(n: int, hour: int) -> dt.datetime:
    return dt.datetime.combine(d(n), dt.time(hour), tzinfo=dt.UTC)


def _before_checkin(n: int, s: SessionReport) -> DayRecord:
    return day(n, s=s).model_copy(update={"session_at": _at(n, 7), "morning_at": _at(n, 9)})


def test_a_run_above_the_cap_is_not_called_a_good_session_that_counts() -> None:
    why = _why(_over_cap(), 0)
    assert "above today's limit of 65 %" in why and "does not count" in why
    assert GOOD_SESSION not in why, why
    assert "• Pain stayed low during the session." in why, why


def test_the_values_typed_in_that_session_are_not_called_unreported() -> None:
    why = _why(_over_cap(), 0)
    assert _line(why, "straight-leg raise").endswith(NOT_COUNTED), why
    assert _line(why, "knee-straightening stretch").endswith(NOT_COUNTED), why
    # The speed of that run would have met the criterion: it was not counted either.
    assert _line(why, "of your top speed (with session pain").endswith(NOT_COUNTED), why
    # Strength was not typed: that one is really not reported yet.
    assert _line(why, "strength compared").endswith(NOT_REPORTED), why


def test_the_speed_to_reach_does_not_read_as_a_contradiction_of_the_days_cap() -> None:
    why = _why(_over_cap(), 0)
    speed = _line(why, "of your top speed (with session pain")
    assert speed.startswith("⬜ runs reaching 65 % of your top speed"), speed
    assert "65 % or more" not in why, why
    with use_language("en"):
        h2a = HAMSTRING.stage("H2").exit_criteria[0]
        assert "% Vmax 65" in describe_criterion(h2a, "clinician")  # clinicians keep theirs


def test_the_next_mornings_why_says_the_result_was_not_counted() -> None:
    why = _why([*_over_cap(), day(1)], 1, after_session=False)
    assert _line(why, "straight-leg raise").endswith(NOT_COUNTED), why
    assert _line(why, "strength compared").endswith(NOT_REPORTED), why


def test_an_older_counted_value_is_named_as_such_beside_the_one_not_counted() -> None:
    days = [
        day(0, set_stage="H2", s=session(62, checks={"slr_lsi_pct": 70})),
        day(1),
        day(2, s=session(88, checks={"slr_lsi_pct": 85})),
    ]
    line = _line(_why(days, 2), "straight-leg raise")
    assert line.endswith(
        "(last counted 70 %; your latest result was not counted: that session did not count)"
    ), line


def test_a_run_on_a_rest_morning() -> None:
    days = [
        day(0, set_stage="H2", s=session(60)),
        day(1),
        day(2, m=morning(tightness=3), s=session(62, checks=ROM)),
    ]
    why = _why(days, 2)
    assert "That run was on a day without running (your morning check-in said rest)" in why
    assert GOOD_SESSION not in why, why
    assert _line(why, "straight-leg raise").endswith(NOT_COUNTED), why


def test_a_run_before_the_checkin() -> None:
    days = [
        day(0, set_stage="H2", s=session(60)),
        day(1),
        _before_checkin(2, session(62, checks=ROM)),
    ]
    why = _why(days, 2)
    assert GOOD_SESSION not in why, why
    # The check-in came later that day: "a day without running" and "rest days" were untrue.
    assert "That run came when there was no morning check-in yet" in why, why
    assert "Rest days" not in why and "a day without running" not in why, why
    assert _line(why, "straight-leg raise").endswith(NOT_COUNTED), why


def test_a_run_while_running_waits_for_the_clinicians_review() -> None:
    days = [
        day(0, set_stage="H2", s=session(60)),
        day(1, s=session(60, sharp_pain=True)),
        day(2, s=session(62, checks=ROM)),
    ]
    why = _why(days, 2)
    assert GOOD_SESSION not in why, why
    # Running comes back with the review, not with a morning check-in.
    assert "Running starts again only after their review." in why, why
    assert "your morning check-in tells you when running is back" not in why, why
    assert _line(why, "straight-leg raise").endswith(
        "(your latest result was not counted: running was stopped for your clinician's review)"
    ), why


def test_no_internal_name_reaches_the_athlete() -> None:
    """A guard (it held before too): the new rule and the record's sentence stay unseen."""
    for why in (_why(_over_cap(), 0), _why([*_over_cap(), day(1)], 1, after_session=False)):
        assert "session.green" not in why and "not_counted" not in why
        assert "Its latest result came" not in why  # the engine's sentence for the record


def test_the_clinicians_stall_alert_does_not_call_a_result_not_counted_none_recorded() -> None:
    """A week without progress names what is missing: a result sent with a session that did
    not count is "not counted", not "none recorded yet"."""
    days = [*_over_cap(), *(day(n) for n in range(1, 8))]
    tl = replay(HAMSTRING, HAM, BASE, days, start=D0)
    stall = next((o, a) for o in tl.days for a in o.alerts if a.rule == "stall")
    with use_language("en"):
        said = _plain(alert_line("stall", stall[1].text, HAMSTRING, stall[0].date))
    assert (
        "Straight-leg raise ≥ 75 % of the uninjured side: latest result not counted (it came "
        "with a session that did not count)" in said
    ), said
    assert "Straight-leg raise ≥ 75 % of the uninjured side: none recorded" not in said, said
    assert "Isometric knee-flexor strength LSI ≥ 80 %: none recorded yet" in said, said
