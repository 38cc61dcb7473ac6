"""The step machine walks each questionnaire in the order an athlete would see it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.services.questionnaires import MORNING, ONBOARDING, SESSION, SETTINGS
from bot.services.questionnaires.model import QuestionContext, Questionnaire
from bot.services.questionnaires.morning import provocation_test
from bot.services.questionnaires.onboarding import INVITE_KEY
from bot.services.questionnaires.session import collected_checks, collected_metrics
from bot.services.questionnaires.steps import (
    apply_answer,
    draft,
    final_answers,
    next_step,
    position,
    toggle_draft,
)

CTX = QuestionContext(injury="hamstring", stage="H2", today=dt.date(2026, 3, 10))


def walk(
    q: Questionnaire,
    replies: dict[str, Any],
    ctx: QuestionContext = CTX,
    start: dict[str, Any] | None = None,
) -> list[str]:
    """Answer each asked question from ``replies``; return the keys in the order asked."""
    answers: dict[str, Any] = dict(start or {})
    asked = []
    while (step := next_step(q, answers, ctx)) is not None:
        key = step.question.key
        asked.append(key)
        assert key in replies, f"unexpected question {key}"
        answers = apply_answer(q, answers, key, replies[key])
        assert len(asked) < 60
    return asked


MORNING_REPLIES = {
    "red_flags": [],
    "pain_rest": 0,
    "pain_test": 1,
    "tightness": 2,
    "confidence": 7,
    "sleep_quality": 3,
    "fatigue": 3,
    "stress": 2,
    "soreness": 3,
    "sleep_hours": 7.5,
}


def test_morning_asks_every_item_in_reference_order() -> None:
    assert walk(MORNING, MORNING_REPLIES) == list(MORNING_REPLIES)


def test_a_red_flag_ends_the_morning_check_in_at_once() -> None:
    assert walk(MORNING, {**MORNING_REPLIES, "red_flags": ["pop"]}) == ["red_flags"]


def test_provocation_test_changes_with_injury_and_stage() -> None:
    assert "single-leg bridges" in provocation_test("hamstring", "H1")
    assert "leg swings" not in provocation_test("hamstring", "H2")
    assert "leg swings" in provocation_test("hamstring", "H3")
    assert "heel raises" in provocation_test("calf", "C1")
    assert "pogo" not in provocation_test("calf", "C2")
    assert "pogo" in provocation_test("calf", "C4")
    prompt = MORNING.question("pain_test").render_prompt(
        QuestionContext(injury="calf", stage="C3"), {}
    )
    assert "pogo" in prompt


SESSION_REPLIES = {
    "completion": "full",
    "completed_pct": 50,
    "stop_reason": "pain",
    "pain_max": 0,
    "pain_location": "injured_spot",
    "sharp_pain": False,
    "red_flags": [],
    "tightness": 1,
    "held_back": False,
    "confidence": 8,
    "rpe": 5,
    "minutes": 45,
    "pain_1h": None,
    "metrics": {"split_10m_s": 1.82},
    "metrics_confirm": True,
}


def test_full_session_skips_the_partial_items_and_pain_location_when_painless() -> None:
    asked = walk(SESSION, SESSION_REPLIES)
    assert "completed_pct" not in asked and "stop_reason" not in asked
    assert "pain_location" not in asked
    assert asked[-2:] == ["metrics", "metrics_confirm"]


def test_partial_or_stopped_session_asks_share_and_reason() -> None:
    for completion in ("partial", "stopped"):
        asked = walk(SESSION, {**SESSION_REPLIES, "completion": completion, "pain_max": 3})
        assert asked[:5] == [
            "completion",
            "completed_pct",
            "stop_reason",
            "pain_max",
            "pain_location",
        ]


def test_sharp_pain_ends_the_session_questionnaire_at_once() -> None:
    asked = walk(SESSION, {**SESSION_REPLIES, "sharp_pain": True})
    assert asked == ["completion", "pain_max", "sharp_pain"]


def test_a_session_red_flag_ends_the_session_questionnaire_at_once() -> None:
    asked = walk(SESSION, {**SESSION_REPLIES, "red_flags": ["swelling"]})
    assert asked == ["completion", "pain_max", "sharp_pain", "red_flags"]


def test_no_metrics_means_no_confirmation_step() -> None:
    asked = walk(SESSION, {**SESSION_REPLIES, "metrics": {}})
    assert asked[-1] == "metrics"


def test_rejecting_the_metrics_echo_asks_for_them_again() -> None:
    answers: dict[str, Any] = {k: v for k, v in SESSION_REPLIES.items() if k != "metrics_confirm"}
    step = next_step(SESSION, answers, CTX)
    assert step is not None and step.question.key == "metrics_confirm"
    answers = apply_answer(SESSION, answers, "metrics_confirm", False)
    assert "metrics" not in answers and "metrics_confirm" not in answers
    assert answers["minutes"] == 45  # earlier answers are kept
    step = next_step(SESSION, answers, CTX)
    assert step is not None and step.question.key == "metrics"


def test_step_by_step_metrics_follow_the_injury_and_stop_on_finish() -> None:
    answers: dict[str, Any] = {k: v for k, v in SESSION_REPLIES.items() if k != "metrics_confirm"}
    answers["metrics"] = "steps"
    asked = []
    values = {"m_vmax_ms": 8.7, "m_split_10m_s": None, "m_split_20m_s": "finish"}
    while (step := next_step(SESSION, answers, CTX)) is not None:
        asked.append(step.question.key)
        answers = apply_answer(
            SESSION, answers, step.question.key, values.get(step.question.key, True)
        )
    assert asked == ["m_vmax_ms", "m_split_10m_s", "m_split_20m_s", "metrics_confirm"]
    assert collected_metrics(answers) == {"vmax_ms": 8.7}


def test_step_by_step_asks_calf_metrics_for_a_calf() -> None:
    ctx = QuestionContext(injury="calf", stage="C4")
    answers: dict[str, Any] = {k: v for k, v in SESSION_REPLIES.items() if k != "metrics_confirm"}
    answers["metrics"] = "steps"
    asked = []
    while (step := next_step(SESSION, answers, ctx)) is not None:
        asked.append(step.question.key)
        answers = apply_answer(SESSION, answers, step.question.key, None)
    assert "m_heel_raise_reps_injured" in asked and "m_nordic_n" not in asked
    assert "metrics_confirm" not in asked  # every metric skipped: nothing to confirm


def test_functional_checks_are_asked_only_for_the_current_stage() -> None:
    ctx = QuestionContext(
        injury="hamstring",
        stage="H1",
        stage_checks=("single_leg_squat_pain", "knee_extension_full"),
    )
    replies = {
        **SESSION_REPLIES,
        "check_single_leg_squat_pain": 1,
        "check_knee_extension_full": None,
    }
    asked = walk(SESSION, replies, ctx)
    assert [k for k in asked if k.startswith("check_")] == [
        "check_single_leg_squat_pain",
        "check_knee_extension_full",
    ]
    answers = {"check_single_leg_squat_pain": 1, "check_knee_extension_full": None}
    assert collected_checks(answers) == {"single_leg_squat_pain": 1}


ONBOARDING_REPLIES = {
    "consent_store": True,
    "consent_share": True,
    "injury": "calf",
    "muscle": "soleus",
    "side": "left",
    "grade": 1,
    "injury_date": "2026-03-08",
    "mechanism": "sprint",
    "sport": "Rugby",
    "baseline": {},
    "tz_region": "Europe",
    "timezone": "Europe/Berlin",
    "checkin_time": "07:00",
    "confirm": True,
}


INVITED = {INVITE_KEY: "code123"}


def test_onboarding_asks_consent_first_and_confirms_last() -> None:
    assert walk(ONBOARDING, ONBOARDING_REPLIES, start=INVITED) == list(ONBOARDING_REPLIES)
    # Sharing with a clinician is asked about only when a clinician invited the athlete.
    without = [key for key in ONBOARDING_REPLIES if key != "consent_share"]
    assert walk(ONBOARDING, ONBOARDING_REPLIES) == without


def test_declining_consent_ends_onboarding() -> None:
    assert walk(ONBOARDING, {**ONBOARDING_REPLIES, "consent_store": False}) == ["consent_store"]
    declined = {**ONBOARDING_REPLIES, "consent_share": False}
    assert walk(ONBOARDING, declined, start=INVITED) == ["consent_store", "consent_share"]


def test_a_typed_zone_at_the_region_step_skips_the_city_step() -> None:
    asked = walk(ONBOARDING, {**ONBOARDING_REPLIES, "tz_region": "Asia/Tokyo"})
    assert "timezone" not in asked


def test_muscle_and_city_options_depend_on_earlier_answers() -> None:
    muscle = ONBOARDING.question("muscle")
    calf = {o.value for o in muscle.render_options(CTX, {"injury": "calf"})}
    hamstring = {o.value for o in muscle.render_options(CTX, {"injury": "hamstring"})}
    assert calf == {"soleus", "gastrocnemius", "unknown"}
    assert "biceps_femoris" in hamstring and "soleus" not in hamstring
    cities = ONBOARDING.question("timezone").render_options(CTX, {"tz_region": "Oceania"})
    assert "Australia/Sydney" in {o.value for o in cities}


def test_start_again_clears_details_but_keeps_consent() -> None:
    answers = dict(ONBOARDING_REPLIES)
    del answers["confirm"]
    answers = apply_answer(ONBOARDING, answers, "confirm", False)
    assert answers == {"consent_store": True, "consent_share": True}
    step = next_step(ONBOARDING, answers, CTX)
    assert step is not None and step.question.key == "injury"


def test_settings_asks_only_the_chosen_setting() -> None:
    assert walk(SETTINGS, {"setting": "checkin_time", "checkin_time": "06:30"}) == [
        "setting",
        "checkin_time",
    ]
    assert walk(
        SETTINGS, {"setting": "timezone", "tz_region": "Americas", "timezone": "America/Chicago"}
    ) == ["setting", "tz_region", "timezone"]


def test_multi_select_drafts_toggle_and_vanish_on_submit() -> None:
    answers = toggle_draft({}, "red_flags", "pop")
    answers = toggle_draft(answers, "red_flags", "swelling")
    answers = toggle_draft(answers, "red_flags", "pop")
    assert draft(answers, "red_flags") == ["swelling"]
    answers = apply_answer(MORNING, answers, "red_flags", draft(answers, "red_flags"))
    assert final_answers(answers) == answers == {"red_flags": ["swelling"]}


def test_position_counts_only_items_that_apply() -> None:
    assert position(MORNING, {}, CTX) == (1, 10)
    assert position(SESSION, {"completion": "full"}, CTX)[0] == 2
    full = position(SESSION, {"completion": "full"}, CTX)[1]
    # "Part of it" opens how much and why: follow-ups sharing its number, so the total the
    # first question showed does not grow (a growing total reads as going backwards).
    assert position(SESSION, {"completion": "partial"}, CTX) == (1, full)
    assert position(SESSION, {}, CTX) == (1, full)


ONBOARDING_VALUES: dict[str, Any] = {
    "consent_store": True,
    "consent_share": True,
    "injury": "hamstring",
    "muscle": "unknown",
    "side": "left",
    "grade": 1,
    "injury_date": "2026-03-09",
    "mechanism": "sprint",
    "sport": "Rugby",
    "baseline": {},
    "timezone": "Europe/Berlin",
    "checkin_time": "07:00",
}


def _numbering(
    q: Questionnaire, values: dict[str, Any], start: dict[str, Any] | None = None
) -> list[tuple[str, int, int]]:
    """Answer ``q`` with ``values`` and return (key, n, total) of every question asked."""
    answers: dict[str, Any] = dict(start or {})
    seen = []
    while (step := next_step(q, answers, CTX)) is not None and step.question.key in values:
        seen.append((step.question.key, *position(q, answers, CTX)))
        answers = apply_answer(q, answers, step.question.key, values[step.question.key])
    return seen


def test_onboarding_total_stays_the_same_through_the_time_zone_steps() -> None:
    by_region = _numbering(ONBOARDING, {**ONBOARDING_VALUES, "tz_region": "Europe"}, INVITED)
    assert {total for _, _, total in by_region} == {14}
    assert [n for _, n, _ in by_region] == list(range(1, 14))
    assert by_region[-3:] == [("tz_region", 11, 14), ("timezone", 12, 14), ("checkin_time", 13, 14)]
    # A zone typed at the region step skips the city, which keeps its number.
    typed = _numbering(ONBOARDING, {**ONBOARDING_VALUES, "tz_region": "Asia/Tokyo"}, INVITED)
    assert {total for _, _, total in typed} == {14}
    uninvited = _numbering(ONBOARDING, {**ONBOARDING_VALUES, "tz_region": "Europe"})
    assert {total for _, _, total in uninvited} == {13}
    assert typed[-2:] == [("tz_region", 11, 14), ("checkin_time", 13, 14)]


def test_settings_time_zone_counts_the_city_from_the_region_on() -> None:
    seen = _numbering(
        SETTINGS, {"setting": "timezone", "tz_region": "Asia", "timezone": "Asia/Tokyo"}
    )
    assert [(key, n, total) for key, n, total in seen][1:] == [
        ("tz_region", 2, 3),
        ("timezone", 3, 3),
    ]


def test_a_new_answer_drops_the_question_that_corrected_the_old_one() -> None:
    """The injury date asked again (it was after the athlete's today) belongs to the first
    answer: answering the first question anew drops it, so the new date is the one used."""
    answers = {"injury_date": "2026-03-02", "injury_date_again": "2026-02-28", "sport": "Rugby"}
    updated = apply_answer(ONBOARDING, answers, "injury_date", "2026-02-20")
    assert updated == {"injury_date": "2026-02-20", "sport": "Rugby"}
