"""The athlete's words for a day's reasons never claim what the day's decision and plan deny
(the engine side: tests/engine/test_reasons_agree_with_the_day.py).

History: the athlete read "Your clinician has reviewed you: running may start again" on the
day the stop's weeks without a run stepped them back to a stage without running;
"Confidence 3/10: repeat your last good session" beside "No running until your clinician has
reviewed you"; "Good session: it counts towards moving up" beside the step back that session
caused; and a report of tests alone, done in full on a running day, taken as a run for the
days without a run while its sentence said only that it was no run. Each case is an engine
history, worded as the athlete reads it (every language: tests/wording/test_reason_words.py).
"""

from __future__ import annotations

from bot.support.i18n import use_language
from bot.wording.reasons import word_reasons
from engine.programme import DayOutcome
from engine.schema import Protocol
from tests.engine.test_reasons_agree_with_the_day import (
    BOTH,
    CHECKS,
    RED_FLAG,
    _day,
    _green_session,
    _run,
    _tests_only,
)


def _words(p: Protocol, out: DayOutcome) -> list[str]:
    with use_language("en"):
        return [w.text for w in word_reasons(out.reasons, p, out.stage_after)]


def test_a_review_on_a_day_without_running_does_not_say_running_may_start_again() -> None:
    for (p, injury), first_run in zip(BOTH, ("2", "3"), strict=True):
        days = [_day(0, actions=[{"kind": "set_stage", "stage": first_run}])]
        days.append(_day(1, morning=RED_FLAG))
        days += [_day(n) for n in range(2, 17)]
        days.append(_day(17, actions=[{"kind": "review"}]))
        out = _run(p, injury, days).outcomes[-1]
        assert out.plan is not None and not out.plan.running
        words = _words(p, out)
        assert (
            "Your clinician has reviewed you. What is usual for you is learned afresh from your "
            "next good mornings." in words
        ), words
        assert not any("running may start again" in w for w in words), words


def test_a_review_on_a_day_with_running_still_says_running_may_start_again() -> None:
    for (p, injury), stage in zip(BOTH, ("3", "4"), strict=True):
        days = [_day(0, actions=[{"kind": "set_stage", "stage": stage}])]
        days.append(_day(1, morning=RED_FLAG))
        days.append(_day(2, actions=[{"kind": "review"}]))
        out = _run(p, injury, days).outcomes[-1]
        assert out.plan is not None and out.plan.running
        words = _words(p, out)
        assert any(w.startswith("Your clinician has reviewed you: running may") for w in words)


def test_low_confidence_while_stopped_does_not_say_repeat_your_last_session() -> None:
    for p, injury in BOTH:
        days = [_day(0, actions=[{"kind": "set_stage", "stage": "4"}])]
        days.append(_day(1, morning=RED_FLAG))
        days.append(_day(2, morning={"confidence": 3}))
        out = _run(p, injury, days).outcomes[-1]
        assert out.review_pending
        words = _words(p, out)
        assert "Confidence 3/10: a talk with your clinician is offered." in words, words
        assert not any("repeat your last good session" in w for w in words), words


def test_a_green_session_that_steps_back_does_not_say_it_counts_towards_moving_up() -> None:
    for p, injury in BOTH:
        days = [_day(0, actions=[{"kind": "set_stage", "stage": "6"}])]
        days.append(_day(1, session=_green_session(pain_max=1, checks=CHECKS)))
        out = _run(p, injury, days).outcomes[-1]
        assert out.decision == "step_back"
        words = _words(p, out)
        assert "Pain stayed low during the session." in words, words
        assert not any("counts towards moving up" in w for w in words), words


def test_tests_only_taken_as_a_run_by_feel_say_so() -> None:
    for (p, injury), stage in zip(BOTH, ("3", "4"), strict=True):
        days = [_day(0, actions=[{"kind": "set_stage", "stage": stage}])]
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
        full, partial = _words(p, run.outcomes[1]), _words(p, run.outcomes[3])
        assert any("I take it you ran as planned" in w for w in full), full
        assert any("does not count as one of the runs this stage needs" in w for w in full)
        assert not any("ran as planned" in w for w in partial), partial
        assert any("does not count as one of the runs this stage needs" in w for w in partial)
