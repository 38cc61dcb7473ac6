"""Every reason the engine gives an athlete reads in the athlete's language (issue 17).

The engine writes each reason's sentence in English for the record; the athlete's morning
message, session message and "Why?" list word it from the rule instead
(``bot.wording.reasons``, ``bot.wording.engine_reasons``). The samples are the reasons of
every shipped scenario and example, plus the engine's own sentence for each rule those never
reach; a test checks the samples cover every rule the engine source gives.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.services.protocol_files import load_protocol
from bot.support.i18n import use_language
from bot.wording.reasons import describe_reason
from engine import programme
from engine.models import Reason
from engine.schema import Protocol
from tests.i18n.leaks import leaks
from tests.wording.test_verdicts import DAYS

HAMSTRING = load_protocol("hamstring")


def _r(rule: str, text: str, observed: object = None, threshold: object = None) -> Reason:
    return Reason(rule=rule, text=text, observed=observed, threshold=threshold)  # type: ignore[arg-type]


# The engine's sentences (engine/*.py) for the rules the scenarios never reach.
_ENGINE_SENTENCES = [
    _r(
        "morning.usual_tightness",
        "Tightness 5/10, +1 vs the usual your clinician accepted (4/10).",
        5,
        4,
    ),
    _r(
        "clinician.usual_tightness",
        "Your clinician accepted tightness 4/10 as usual for you: only a change from it makes "
        "a lighter or rest day (at a stage with running, tightness of 4/10 or more is still a "
        "rest day).",
        4,
    ),
    _r(
        "morning.p3.tightness_running",
        "Tightness 5/10: no running with tightness of 4/10 or more.",
        5,
        "< 4 at a stage with running",
    ),
    _r(
        "gate.tightness_running",
        "Tightness 4/10: no running with tightness of 4/10 or more, so no moving up to a stage "
        "with running today.",
        4,
        "< 4 at a stage with running",
    ),
    _r(
        "gate.tightness_usual",
        "Tightness 6/10: above 5/10, more than anybody's usual, so no moving up today.",
        6,
        "≤ 5 to move up",
    ),
    _r(
        "stall",
        "You have been at this level for 21 days. What is still missing: tightness 5/10: "
        "running starts once it is below 4/10. Your clinician has been told as well.",
    ),
    _r(
        "stall",
        "You have been at this level for 7 days. What is still missing: tightness 6/10: "
        "moving up waits until it is below 6/10. Your clinician has been told as well.",
    ),
    _r(
        "clinician.usual_tightness",
        "A usual tightness of 6/10 was not applied: this protocol accepts at most 5/10.",
        6,
        5,
    ),
    _r(
        "24h.missing",
        "The morning after the last session was not fully answered: its 24-hour response is "
        "unknown, counted as not met.",
    ),
    _r(
        "24h.unpaired",
        "No check-in came before the last session, so the morning after cannot be compared "
        "with it: its 24-hour response is unknown, counted as not met.",
    ),
    _r("24h.week_rise", "Morning symptoms rose week on week: hold the stage.", 1.5, "< 1"),
    _r("clinician.decline", "Clinician declined sign-off for stage H1 (not yet)."),
    _r(
        "gate.8.lapsed",
        "A result since your clinician's sign-off did not meet what this stage needs: they "
        "will be asked again once it does.",
        "Painless single-leg squat",
        "still met after the sign-off",
    ),
    _r("clinician.hold", "Clinician asked to hold today."),
    _r("clinician.paused", "Programme paused: no prompts, no progression."),
    _r(
        "clinician.clear.other_stage",
        "A clearance given for stage H1 does not count for stage H2.",
        "H1",
        "H2",
    ),
    _r("hold", "Held today (see the reasons above)."),
    _r(
        "session.flag.full_training",
        "Full team or event training comes at a later stage of the plan. This session is saved, "
        "but it does not count towards moving on, and your clinician has been told.",
        "full training",
        "a stage whose plan includes it",
    ),
    _r("clinician.pause", "Programme paused (away for a week)."),
    _r("clinician.review", "Clinician review recorded."),
    _r(
        "clinician.review",
        "Your clinician has reviewed you: running may start again (all clear). Your symptom "
        "baseline starts afresh from your next green mornings.",
    ),
    _r(
        "clinician.clear",
        "Your clinician has reviewed you: running may start again. Your symptom baseline starts "
        "afresh from your next green mornings.",
    ),
    _r("clinician.step_back", "Clinician moved the athlete back to H1.", "H2", "H1"),
    _r(
        "clinician.step_back",
        "Clinician asked for a step back, but this is already the first stage: held there.",
    ),
    _r(
        "missing.answer",
        "Unanswered: pain_test, confidence. Counted as not met: no progression today.",
        "pain_test, confidence",
        "answered",
    ),
    _r("missing.hooper", "Wellness items missing: no progression today.", None, "answered"),
    _r("missing.sleep_hours", "Hours slept missing: no progression today.", None, "answered"),
    _r(
        "missing.session",
        "Unanswered: pain_max, sharp_pain: the session cannot count as green.",
        "pain_max, sharp_pain",
        "answered",
    ),
    _r(
        "missing.session",
        "Tightness after the session not answered: cannot count as green.",
        None,
        "answered",
    ),
    _r(
        "morning.p1.unanswered",
        "The red-flag questions were not answered: no training until they are.",
    ),
    _r("morning.p3.pain_rest", "Pain at rest 4/10.", 4, "< 4"),
    _r("morning.p3.repeat", "Rest verdict 3 mornings in a row: step back one stage.", 3, "< 3"),
    _r(
        "morning.p3.review",
        "Rest verdict 3 mornings in a row: no running until the clinician has reviewed.",
        3,
        3,
    ),
    _r("morning.p3.tightness_delta", "Tightness +3 vs baseline.", 3, "< 3"),
    _r("morning.p4.pain_test", "Pain test 3/10.", 3, "< 3"),
    _r("morning.p4.tightness_delta", "Tightness +2 vs baseline.", 2, "< 2"),
    _r(
        "morning.p5.hooper_z",
        "Hooper index 19 (z +1.6): no HV today, max 70 % Vmax.",
        1.6,
        "< 1.5",
    ),
    _r(
        "morning.p6.hooper_z",
        "Hooper index 17 (z +1.1): no progression, no max sprint.",
        1.1,
        "< 1",
    ),
    _r("morning.p5.hooper_item", "fatigue 6/7: no HV today.", 6, "< 6"),
    _r("morning.p5.hooper_item", "sleep quality 7/7: no HV today.", 7, "< 6"),
    _r("morning.p5.sleep", "Slept 4.5 h: no HV today.", 4.5, "≥ 5"),
    _r("morning.p6.sleep", "Slept 5.5 h: no progression, no max sprint.", 5.5, "≥ 6"),
    _r("morning.p6.hooper_abs", "Hooper index 15 (absolute rule): no progression.", 15, "< 14"),
    _r(
        "morning.p7",
        "Confidence 3/10: repeat the last successful session; a check-in with your clinician is "
        "offered.",
        3,
        "> 4",
    ),
    _r(
        "protocol.grade",
        "Grade 3 is above what this default protocol is for (≤ 2): the clinician should use a "
        "clinician-authored variant.",
        "3",
        "≤ 2",
    ),
    _r("session.amber", "Session pain 3/10: amber, repeat the session, don't progress.", 3, "< 3"),
    _r(
        "session.amber.hv",
        "Pain 2/10 at high speed: amber, drop to the previous intensity.",
        2,
        "≤ 1 at ≥ 90 % Vmax",
    ),
    _r(
        "session.green.tightness",
        "No tightness baseline to compare with: cannot count as green.",
        3,
        "a tightness baseline",
    ),
    _r("session.green.tightness", "Tightness 5/10 above baseline + 1: amber.", 5, "≤ 3"),
    _r(
        "session.low_confidence",
        "Low confidence or held back on consecutive high-speed sessions: hold.",
        2,
        "< 2",
    ),
    _r("session.red.pain_1h", "Pain 1 h after 5/10: red session, step back.", 5, "< 5"),
    _r(
        "session.flag.no_running",
        "You ran today although your programme is paused. The session is saved, but it does "
        "not count towards moving on, and your clinician has been told. Please don't run until "
        "your plan includes running again.",
        "paused",
        "no running",
    ),
    _r(
        "session.flag.no_running",
        "You ran today although today's plan had no running (rest between fast sessions). The "
        "session is saved, but it does not count towards moving on, and your clinician has "
        "been told. Please don't run until your plan includes running again.",
        "no running in the plan",
        "no running",
    ),
    _r(
        "session.against_plan",
        "This session was on a day without running (there was no morning check-in): it is "
        "saved, but it does not count towards moving on.",
        "missing",
        "go/modify",
    ),
    _r(
        "gap.restart",
        "Welcome back: after 9 days without training with the plan, what this stage needs "
        "(results, sessions and days) is earned again before you move on.",
        9,
        "< 7 days",
    ),
    _r(
        "gap.step_back",
        "Welcome back: after 15 days without training with the plan, you restart one stage "
        "lower, and what the stage needs is earned again: fitness fades in that time, and the "
        "muscle needs to get used to the speed again.",
        15,
        "< 14 days",
    ),
    _r(
        "gap.final",
        "Welcome back: after 20 days without training with the plan, your first session back "
        "stays below full speed (nothing above 90 % Vmax) and without full team or event "
        "training or matches: the muscle needs to get used to the speed again. Your usual "
        "sessions return 48 h after that run.",
        20,
        "< 7 days",
    ),
    _r(
        "session.no_run.after",
        "A session without running counts towards moving on only after a run that counted: "
        "your next run that goes well opens the way again.",
        "no counted run before it",
        "a counted run",
    ),
    _r(
        "metric.lower_leg",
        "Single-leg bridges: the injured side (30) read higher than the other side (25), which "
        "is unusual after this injury and often means the two counts were typed the wrong way "
        "round; they were read the other way round, the lower count (25) for the injured side.",
        "30/25",
        "injured side ≤ other side",
    ),
    _r(
        "session.flag.unconfirmed",
        "Some readings look faster than your baseline allows (10m split 1.5 s, 19 % faster "
        "than baseline; top speed 116 % of your baseline): please check your device. They are "
        "saved, but not used to decide anything.",
        "10m split 1.5 s, 19 % faster than baseline; top speed 116 % of your baseline",
        "≤ 110 % of baseline",
    ),
    _r(
        "session.flag.conflicting",
        "Some of your times do not add up (10m split 1.8 s and 20m split 2.73 s do not add up "
        "with top speed 8.2 m/s: 10 m in 0.93 s is 10.8 m/s): please check them. They are "
        "saved, but not used to decide anything.",
        "10m split 1.8 s and 20m split 2.73 s do not add up with top speed 8.2 m/s: 10 m in "
        "0.93 s is 10.8 m/s",
        "times that add up",
    ),
]


def _samples() -> list[tuple[Reason, Protocol, str]]:
    samples = [(r, protocol, day.stage) for _, protocol, day in DAYS for r in day.reasons]
    samples += [(r, HAMSTRING, "H2") for r in _ENGINE_SENTENCES]
    return samples


SAMPLES = _samples()


def _engine_rules() -> set[str]:
    """The rules of every reason the engine source gives (a literal rule name)."""
    source = " ".join(p.read_text() for p in Path(programme.__file__).parent.glob("*.py"))
    pattern = r'(?:acc\.reason\(\s*|rule=|_r\(\s*|_gi\(\s*)"([a-z0-9_.]+)"'
    return set(re.findall(pattern, source.replace("\n", " ")))


def test_the_samples_cover_every_reason_the_engine_gives() -> None:
    rules = _engine_rules()
    sampled = {str(r.rule) for r, _, _ in SAMPLES}
    assert len(rules) > 60 and rules <= sampled, sorted(rules - sampled)
    assert any(rule.startswith("morning.p1.redflag.tier") for rule in sampled)


@pytest.mark.parametrize("lang", ["de", "es", "pt", "fr"])
def test_every_reason_reads_in_the_athletes_language(lang: str) -> None:
    english: list[str] = []
    for reason, protocol, stage in SAMPLES:
        with use_language("en"):
            _, en = describe_reason(reason, protocol, stage)
        with use_language(lang):
            _, words = describe_reason(reason, protocol, stage)
        if leaks([words]) or (words == en and re.search(r"[a-z]{4}", en)):
            english.append(f"{reason.rule}: {words}")
    assert not english, f"{lang}: {len(english)} reasons in English:\n" + "\n".join(
        sorted(set(english))[:40]
    )


def _english(rule: str, text_start: str = "") -> str:
    reason = next(
        r for r, _, _ in SAMPLES if str(r.rule) == rule and str(r.text).startswith(text_start)
    )
    with use_language("en"):
        words = describe_reason(reason, HAMSTRING, "H2")[1]
    return words.replace("\u00a0", " ").replace("\u202f", " ")  # Babel's no-break spaces


def test_the_worded_reasons_keep_the_values_the_engine_saw() -> None:
    assert _english("morning.p5.hooper_z") == (
        "Sleep, tiredness, stress and soreness (19 of 28) are well above your usual: no fast "
        "running today, at most 70 % of your top speed."
    )
    assert _english("morning.p5.sleep") == "Slept 4.5 h: no fast running today."
    # A fully answered morning after a session that came before its check-in is not called
    # "not fully answered": the athlete is told what was missing.
    assert _english("24h.unpaired").startswith(
        "Your last session came before that day's check-in, so this morning cannot be compared"
    )
    assert "pain in the daily test, confidence in the leg" in _english(
        "missing.answer", "Unanswered: pain_test, confidence"
    )
    assert _english("clinician.step_back", "Clinician moved") == (
        "Your clinician moved you back to Stage 2 of 8 · early strength."
    )
    # A clearance that lifts a stop says so, not "OK to move on".
    assert _english("clinician.clear", "Your clinician has reviewed").startswith(
        "Your clinician has reviewed you: running"
    )
    # A stage without running yet, or a rest between fast sessions: neither is guessed.
    assert _english("session.flag.no_running", "You ran today although today's plan") == (
        "Today's plan had no running, so that run is saved but does not count towards moving "
        "on, and your clinician has been told. Please run only when your session includes it: "
        "/plan shows today's."
    )
    unconfirmed = _english(
        "session.flag.unconfirmed",
        "Some readings look faster than your baseline allows (10m split 1.5 s, 19 % faster "
        "than baseline; top",
    )
    assert "10m split 1.5 s, 19 % faster than your baseline; top speed 116 %" in unconfirmed
    assert _english("session.flag.conflicting") == (
        "Some of your times do not add up (10m split 1.8 s and 20m split 2.73 s with top speed "
        "8.2 m/s): please check them. They are saved, but not used to decide anything."
    )
    with use_language("de"):
        reason = _r(
            "gate.1",
            "No running until your clinician has reviewed you (on hold since 2 March). They "
            "have been told and are the one to act: rest, walk as comfortable and keep "
            "checking in.",
            "awaiting clinician review",
            "clinician review",
        )
        assert "2. März" in describe_reason(reason, HAMSTRING, "H2")[1]


def test_a_rise_of_one_point_is_one_point() -> None:
    """ "1 points above your usual" read wrong: the rise over the usual is counted."""
    with use_language("en"):
        one = describe_reason(
            _r("morning.p3.pain_test_delta", "Test pain above usual", 1, 1), HAMSTRING, "H2"
        )[1]
        two = describe_reason(
            _r("morning.p3.tightness_delta", "Tightness above usual", 2, 1), HAMSTRING, "H2"
        )[1]
    assert one == "Pain in today's test is 1 point above your usual."
    assert two == "Tightness is 2 points above your usual."
