"""The "✓ label: answer" echo after each answer reads in the athlete's language: every
question's label is a catalogue text translated when shown, never an English string built
when the module was imported."""

from __future__ import annotations

import pytest

from bot.services.questionnaires.model import Questionnaire
from bot.services.questionnaires.morning import MORNING
from bot.services.questionnaires.onboarding import BASELINE, DELETE, ONBOARDING, SETTINGS
from bot.services.questionnaires.problem import PAUSE, PROBLEM
from bot.services.questionnaires.session import SESSION
from bot.support import i18n
from bot.support.i18n import LazyText

QUESTIONNAIRES: dict[str, Questionnaire] = {
    "morning": MORNING,
    "session": SESSION,
    "onboarding": ONBOARDING,
    "settings": SETTINGS,
    "delete": DELETE,
    "baseline": BASELINE,
    "problem": PROBLEM,
    "pause": PAUSE,
}


@pytest.mark.parametrize("name", QUESTIONNAIRES)
def test_every_label_is_translated_when_shown(name: str) -> None:
    fixed = [
        q.key
        for q in QUESTIONNAIRES[name].questions
        if q.label and not isinstance(q.label, LazyText)
    ]
    assert not fixed, f"{name}: labels fixed in English at import: {fixed}"


def test_the_stage_checks_echo_in_german_with_a_capital() -> None:
    i18n.reload_catalogues()
    checks = {q.key: q for q in SESSION.questions if q.key.startswith("check_")}
    with i18n.use_language("de"):
        shown = {key: checks[key].shown_label for key in checks}
        warning = next(q for q in SESSION.questions if q.key == "red_flags").shown_label
    assert shown["check_walk_pain"] == "Schmerz beim Gehen"
    assert shown["check_bike_pain"] == "Schmerz beim Radfahren"
    assert shown["check_knee_extension_full"] == "Knie lässt sich ganz strecken"
    assert warning == "Warnzeichen"
    english = {key: q.shown_label for key, q in checks.items()}
    assert english["check_walk_pain"] == "Walking pain"
    assert english["check_single_leg_squat_pain"] == "Pain in a single-leg squat"
    with i18n.use_language("es"):
        assert next(q for q in SESSION.questions if q.key == "red_flags").shown_label == (
            "Señales de alarma"
        )
