"""Every 0–10 pain or tightness question the athlete reads after a session names its ends, in
the words the morning check-in uses ("0 = none, 10 = worst imaginable"): tightness after the
session, the pain an hour after, and each stage's functional check (walking, squat, bike, knee
extension, heel raises, jumps, hops, pressing on the spot, change of direction). The sharp-pain
question says what a "grab" is in plain words. Through the real bot on the Bot API sandbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from tests.athlete.conftest import CLINICIAN_ID, Phone, World
from tests.athlete.test_plan_and_questions_agree import _move_to

WorldFactory = Callable[[], Awaitable[World]]
ANCHOR = "(0 = none, 10 = worst imaginable)"
GRID = [str(n) for n in range(11)]
# Scales anchored otherwise on purpose: 10 is the good end, or not a symptom.
OTHER_SCALES = ("Confidence in the injured leg", "How hard was the whole session?")
# The stages that ask each 0–10 functional check (protocols/*.yaml), and the words of its question.
STAGES = {
    "Hamstring": {
        "H0": ("walking",),
        "H1": ("single-leg squat", "on the bike", "walking"),
        "H4": ("active knee extension test",),
        "H5": ("change of direction",),
        "H6": ("press on the injured spot",),
    },
    "Calf": {
        "C1": ("walking", "heel raises"),
        "C2": ("walking", "jumps / pogos"),
        "C3": ("hopping on the injured leg",),
    },
}


async def _session_questions(alex: Phone) -> list[str]:
    """Report a completed, painless session by buttons up to the metrics line; return each
    question asked that was answered on the 0–10 grid (without the echo of the answer before)."""
    replies = await alex.say("/done")
    scales: list[str] = []
    while "Any numbers from today" not in (replies[-1].text or ""):
        question = replies[-1]
        labels = question.button_labels
        text = (question.text or "").split("\n\n")[-1]
        if labels[:11] == GRID:
            scales.append(text)
            answer = "0"
        elif "All of it" in labels:
            answer = "All of it"
        elif "None of these ✅" in labels:
            answer = "None of these ✅"
        elif "No" in labels:
            answer = "No"
        elif "45" in labels:
            answer = "45"
        else:
            answer = "Not done"
        replies = await alex.tap(answer, question)
    return scales


def _symptom_scales(scales: list[str]) -> list[str]:
    return [q for q in scales if not any(other in q for other in OTHER_SCALES)]


async def test_tightness_and_the_pain_an_hour_after_name_the_ends_of_the_scale(
    world: WorldFactory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite())
    await alex.morning()
    scales = await _session_questions(alex)
    tightness = [q for q in scales if "Tightness in the injured muscle now" in q]
    assert len(tightness) == 1, scales
    assert tightness[0].endswith(f"after the session? {ANCHOR}"), tightness
    hour = [q for q in scales if "about an hour after the session" in q]
    assert len(hour) == 1, scales
    assert f"an hour after the session? {ANCHOR}" in hour[0], hour
    # Skipping is still offered, in the words of its button.
    assert "If it is not an hour yet, tap 'Skip'." in hour[0], hour
    for question in _symptom_scales(scales):
        assert ANCHOR in question and "(0–10" not in question, question


@pytest.mark.parametrize("injury", list(STAGES))
async def test_every_stage_check_on_the_0_to_10_scale_names_its_ends(
    world: WorldFactory, injury: str
) -> None:
    """An athlete moved by their clinician through every stage that asks a 0–10 check: each
    such question (and every other pain or tightness question on the way) says what 0 and 10
    mean."""
    w = await world()
    doctor = w.sandbox.user(CLINICIAN_ID, "Kim")
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite("Dr Kim"), injury=injury)
    person = w.person(1001)
    assert person is not None and person.id is not None
    for stage, words in STAGES[injury].items():
        await _move_to(doctor, person.id, stage)
        w.clock.advance(dt.timedelta(days=1))
        await alex.morning()
        symptoms = _symptom_scales(await _session_questions(alex))
        for question in symptoms:
            assert ANCHOR in question and "(0–10" not in question, (stage, question)
        for word in words:
            assert [q for q in symptoms if word in q], (stage, word, symptoms)


async def test_the_sharp_pain_question_says_what_a_grab_is(world: WorldFactory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite())
    await alex.morning()
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("0")
    question = alex.last.split("\n\n")[-1]
    assert question.endswith(
        "Was any pain sharp, stabbing or sudden, or did you feel a 'pop' or a sudden tight "
        "pull in the muscle?"
    ), question
    assert "grab" not in question.lower()
    assert alex.user.last_bot_message.button_labels[:2] == ["Yes", "No"]
    # Its meaning is kept: "Yes" still stops the session report with a warning sign.
    await alex.tap("Yes")
    assert alex.last.startswith("⛔ Stop training."), alex.last
