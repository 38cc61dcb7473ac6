"""Words typed instead of a tap or a number are read in the athlete's language (issue 17:
"the localised words that the English parser understands"): a score written as a word
("drei", "cinq"), a wellness level ("muy bueno", "sehr hoch"), a score out of ten
("3 sur 10"), hours slept ("7 Stunden 30") and a date as days back ("hace 3 días")."""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Awaitable, Callable, Iterator

import pytest
from sqlmodel import Session, col, select

from bot.services.questionnaires.answers import Accepted, Rejected, parse_typed
from bot.services.questionnaires.model import Question, QuestionContext
from bot.services.questionnaires.morning import MORNING
from bot.services.questionnaires.onboarding import ONBOARDING
from bot.store.models import QuestionnaireProgress
from bot.support import i18n
from bot.support.i18n import LANGUAGES
from bot.support.typed_words import number_word, scale_word
from tests.athlete.conftest import World, db, services, world
from tests.i18n.onboarding import onboard_in

__all__ = ["db", "services", "world"]
WorldFactory = Callable[[], Awaitable[World]]
TODAY = dt.date(2026, 3, 10)
CTX = QuestionContext(injury="hamstring", stage="H2", today=TODAY)


@pytest.fixture(autouse=True)
def catalogues() -> Iterator[None]:
    i18n.reload_catalogues()
    yield


def _question(key: str) -> Question:
    for questionnaire in (MORNING, ONBOARDING):
        for question in questionnaire.questions:
            if question.key == key:
                return question
    raise KeyError(key)


def _read(lang: str, key: str, typed: str) -> object:
    with i18n.use_language(lang):
        parsed = parse_typed(_question(key), typed, CTX, {})
    assert isinstance(parsed, Accepted), f"{lang} {typed!r}: {parsed}"
    return parsed.value


@pytest.mark.parametrize(
    ("lang", "key", "typed", "value"),
    [
        ("de", "pain_rest", "drei", 3),
        ("de", "pain_rest", "keine", 0),
        ("es", "pain_rest", "Dos", 2),
        ("pt", "confidence", "três", 3),
        ("pt", "confidence", "tres", 3),  # typed without the accent
        ("fr", "confidence", "cinq", 5),
        ("fr", "pain_rest", "3 sur 10", 3),
        ("es", "tightness", "4 de 10", 4),
        ("de", "tightness", "2 von 10", 2),
        ("es", "sleep_quality", "muy buena", 2),
        ("fr", "sleep_quality", "Très, très mauvais", 7),
        ("pt", "sleep_quality", "ruim", 5),
        ("de", "fatigue", "sehr hoch", 6),
        ("fr", "stress", "faible", 3),
        ("es", "soreness", "normal", 4),
        ("de", "sleep_hours", "7 Stunden 30", 7.5),
        ("de", "sleep_hours", "7 Std. 45", 7.75),
        ("fr", "sleep_hours", "7h30", 7.5),
        ("es", "sleep_hours", "6 horas", 6),
        ("pt", "sleep_hours", "8 horas 15 min", 8.25),
        ("de", "sleep_hours", "7,5", 7.5),
        # English is read in every language: people copy what they know.
        ("de", "pain_rest", "three", 3),
        ("en", "sleep_quality", "very good", 2),
        ("en", "sleep_hours", "7 hours 30", 7.5),
        ("en", "pain_rest", "3 out of 10", 3),
    ],
)
def test_words_typed_for_a_score_are_read_in_the_athletes_language(
    lang: str, key: str, typed: str, value: float
) -> None:
    assert _read(lang, key, typed) == value


@pytest.mark.parametrize(
    ("lang", "typed", "days"),
    [
        ("es", "hace 3 días", 3),
        ("pt", "há 2 dias", 2),
        ("pt", "5 dias atrás", 5),
        ("fr", "il y a 4 jours", 4),
        ("de", "vor 6 Tagen", 6),
        ("de", "vor 1 Tag", 1),
        ("en", "3 days ago", 3),
        ("fr", "3 days ago", 3),
    ],
)
def test_an_injury_date_typed_as_days_back_is_read(lang: str, typed: str, days: int) -> None:
    assert _read(lang, "injury_date", typed) == (TODAY - dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("lang", "key", "typed"),
    [
        ("de", "pain_rest", "elf"),  # 11 is off the 0–10 scale: a number word never stretches
        ("fr", "pain_rest", "3 sur 7"),  # a score out of something else is not guessed
        ("de", "sleep_hours", "7 Stunden 75"),
        ("es", "fatigue", "muy bueno"),  # the sleep words are not the fatigue words
        ("de", "pain_rest", "-drei"),
    ],
)
def test_what_cannot_be_read_safely_is_refused_with_a_message(
    lang: str, key: str, typed: str
) -> None:
    with i18n.use_language(lang):
        parsed = parse_typed(_question(key), typed, CTX, {})
    assert isinstance(parsed, Rejected) and parsed.message


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_typed_word_stands_for_two_numbers_or_two_levels(lang: str) -> None:
    """Each language's words, English included: one word, one value, on every scale."""
    from bot.support.typed_words import _LEVELS, _NUMBERS, _SLEEP_LEVELS, _read

    for scale in (_NUMBERS, _SLEEP_LEVELS, _LEVELS):
        seen: dict[str, int] = {}
        for value, message in enumerate(scale):
            for word in _read(message, lang, phrases=True):
                assert seen.setdefault(word, value) == value, f"{lang}: {word!r} is ambiguous"
    assert number_word("zehn", lang="de") == 10 and scale_word("gut", good_to_bad=True, lang="de")


async def test_a_german_athlete_answers_a_check_in_in_words(world: WorldFactory) -> None:
    """Through the bot: every answer typed as German words is stored as its value."""
    w = await world()
    w.sandbox.user(1001, "Lena", language_code="de")
    lena = w.phone(1001, "Lena")
    await onboard_in(lena, "de")
    await lena.say("/checkin")
    for typed in ("keine", "null", "eins", "zwei", "acht", "sehr gut", "niedrig", "normal"):
        await lena.say(typed)
    await lena.say("sehr niedrig")
    await lena.say("7 Stunden 30")
    person = w.person(1001)
    assert person is not None

    def morning(session: Session) -> QuestionnaireProgress | None:
        return session.exec(
            select(QuestionnaireProgress)
            .where(QuestionnaireProgress.athlete_id == person.id)
            .where(QuestionnaireProgress.kind == "morning")
            .order_by(col(QuestionnaireProgress.id).desc())
        ).first()

    progress = w.read(morning)
    assert progress is not None, lena.user.format_transcript()
    answers = progress.answers
    assert answers["red_flags"] == [], lena.user.format_transcript()
    assert (answers["pain_rest"], answers["pain_test"], answers["tightness"]) == (0, 1, 2)
    assert answers["confidence"] == 8
    assert (answers["sleep_quality"], answers["fatigue"]) == (2, 3)
    assert (answers["stress"], answers["soreness"]) == (4, 2)
    assert answers["sleep_hours"] == 7.5
    assert progress.status == "done", lena.user.format_transcript()


def test_the_word_lists_are_read_again_with_the_catalogues(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A catalogue read again (compiled anew in a running process) brings its words too."""
    monkeypatch.setitem(i18n._loaded, "es", gettext.NullTranslations())
    assert number_word("dos", lang="es") is None  # not translated: English words only
    monkeypatch.undo()
    i18n.reload_catalogues()
    assert number_word("dos", lang="es") == 2
