"""Buttons in the reader's language: shown translated, and a typed label matches the
translated label (accents folded) as well as the English one."""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Iterator

import pytest

from bot.services.athlete.keyboards import question_keyboard
from bot.services.questionnaires import QUESTIONNAIRES
from bot.services.questionnaires.answers import Accepted, parse_typed
from bot.services.questionnaires.model import QuestionContext
from bot.support import i18n

CTX = QuestionContext(injury="hamstring", stage="H2", today=dt.date(2026, 3, 10))
# A stand-in Spanish catalogue for labels the shipped one has not translated yet.
_SPANISH = {
    "Left": "Izquierda",
    "Right": "Derecha",
    "None of these ✅": "Ninguno de estos ✅",
    "Done": "Listo",
    "Sprinting / running fast": "Esprintando / corriendo rápido",
}


class _Fake(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return _SPANISH.get(message, message)


@pytest.fixture
def spanish(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(i18n._loaded, "es", _Fake())
    with i18n.use_language("es"):
        yield


def test_a_button_shows_the_translated_label(spanish: None) -> None:
    side = QUESTIONNAIRES["onboarding"].question("side")
    keyboard = question_keyboard(1, 0, side, side.render_options(CTX, {}))
    assert keyboard is not None
    labels = [b.text for row in keyboard.inline_keyboard for b in row]
    assert labels == ["Izquierda", "Derecha"]
    flags = QUESTIONNAIRES["morning"].question("red_flags")
    keyboard = question_keyboard(1, 0, flags, flags.render_options(CTX, {}))
    assert keyboard is not None
    assert [b.text for b in keyboard.inline_keyboard[-1]] == ["Ninguno de estos ✅", "Listo"]


def test_the_keyboard_cache_never_serves_another_language(spanish: None) -> None:
    side = QUESTIONNAIRES["onboarding"].question("side")
    with i18n.use_language("en"):
        english = question_keyboard(2, 0, side, side.render_options(CTX, {}))
    spanish_kb = question_keyboard(2, 0, side, side.render_options(CTX, {}))
    assert english is not None and spanish_kb is not None
    assert english.inline_keyboard[0][0].text == "Left"
    assert spanish_kb.inline_keyboard[0][0].text == "Izquierda"


@pytest.mark.parametrize(
    ("typed", "value"),
    [("Izquierda", "left"), ("izquierda", "left"), ("DERECHA", "right"), ("Left", "left")],
)
def test_a_typed_label_matches_in_the_readers_language_and_in_english(
    spanish: None, typed: str, value: str
) -> None:
    side = QUESTIONNAIRES["onboarding"].question("side")
    assert parse_typed(side, typed, CTX, {}) == Accepted(value)


def test_accents_are_folded_when_a_label_is_typed(spanish: None) -> None:
    mechanism = QUESTIONNAIRES["onboarding"].question("mechanism")
    typed = "esprintando / corriendo rapido"
    assert parse_typed(mechanism, typed, CTX, {}) == Accepted("sprint")
