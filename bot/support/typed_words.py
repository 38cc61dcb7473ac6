"""Words a person types instead of tapping a button or writing digits, read in their language.

Athletes answer on whatever keyboard they have, and many type words: "sí", "keine", "drei",
"très bon", "7 Stunden 30", "il y a 3 jours". Every list lives in the catalogues (contexts
``typed words``, ``typed number``, ``typed sleep scale``, ``typed level scale``), so a
translator adds what people of that language really type. The person's language and English
are both read, compared folded: lower case, accents dropped ("Sí!" → "si").

Only the words the question accepts are tried, so "no" is "no" to a yes/no question and
"none" to a symptoms list; a number word never stands for two numbers (tests check it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Literal

from bot.support.i18n import (
    LazyText,
    current_language,
    lazy_pgettext,
    normalise_language,
    on_reload,
    use_language,
)

TypedWord = Literal[
    "yes", "no", "none", "skip", "today", "yesterday", "tomorrow", "a week ago", "km/h",
    "out of", "hours", "minutes",
]  # fmt: skip

# Translators: lower case, accents as people type them (they are also matched without),
# alternatives separated by commas, no word that could mean the opposite in this language.
_WORDS: dict[TypedWord, LazyText] = {
    # TRANSLATORS: comma-separated words meaning "yes" that a person may type instead of
    # tapping the Yes button.
    "yes": lazy_pgettext("typed words", "yes, y, yeah, yep, ok"),
    # TRANSLATORS: comma-separated words meaning "no" that a person may type.
    "no": lazy_pgettext("typed words", "no, n, nope"),
    # TRANSLATORS: comma-separated words meaning "none of these" (no symptom ticked).
    "none": lazy_pgettext("typed words", "none, nothing, no, none of these"),
    # TRANSLATORS: comma-separated words meaning "skip this question".
    "skip": lazy_pgettext("typed words", "skip, pass, later"),
    # TRANSLATORS: comma-separated words meaning "today" (typed as a date).
    "today": lazy_pgettext("typed words", "today"),
    # TRANSLATORS: comma-separated words meaning "yesterday" (typed as a date).
    "yesterday": lazy_pgettext("typed words", "yesterday"),
    # TRANSLATORS: comma-separated words meaning "tomorrow" (typed as a date: it is refused
    # as a day that has not come yet, never read as another day).
    "tomorrow": lazy_pgettext("typed words", "tomorrow"),
    # TRANSLATORS: comma-separated ways to write "one week before today" without a digit
    # ("hace una semana"); read as 7 days back.
    "a week ago": lazy_pgettext("typed words", "a week ago, one week ago"),
    # TRANSLATORS: comma-separated ways to write kilometres per hour after a speed.
    "km/h": lazy_pgettext("typed words", "km/h, kmh, kph, km per hour"),
    # TRANSLATORS: comma-separated words between two numbers in a score such as "3 out of 10"
    # ("/" is always understood).
    "out of": lazy_pgettext("typed words", "out of, of"),
    # TRANSLATORS: comma-separated ways to write "hours" after a number of hours slept
    # ("7 hours 30", "7h30").
    "hours": lazy_pgettext("typed words", "hours, hour, hrs, hr, h"),
    # TRANSLATORS: comma-separated ways to write "minutes" after the minutes of a duration
    # ("7 hours 30 min").
    "minutes": lazy_pgettext("typed words", "minutes, minute, mins, min, m"),
}

# The numbers 0–10 written as words, as a pain, tightness or confidence score may be typed.
_NUMBERS: tuple[LazyText, ...] = (
    # TRANSLATORS: comma-separated words a person may type for the number 0 as a score (no
    # pain, no confidence): never a word that could also mean another number.
    lazy_pgettext("typed number", "zero, none, nil"),
    # TRANSLATORS: comma-separated words for the number 1 (every form people type).
    lazy_pgettext("typed number", "one"),
    lazy_pgettext("typed number", "two"),
    lazy_pgettext("typed number", "three"),
    lazy_pgettext("typed number", "four"),
    lazy_pgettext("typed number", "five"),
    lazy_pgettext("typed number", "six"),
    lazy_pgettext("typed number", "seven"),
    lazy_pgettext("typed number", "eight"),
    lazy_pgettext("typed number", "nine"),
    lazy_pgettext("typed number", "ten"),
)

# The 1–7 wellness scale's levels as words: sleep quality from good to bad, fatigue, stress
# and soreness from low to high. The buttons show the two ends ("very, very good").
_SLEEP_LEVELS: tuple[LazyText, ...] = (
    # TRANSLATORS: comma-separated ways to type level 1 of 7 of sleep quality (the best).
    lazy_pgettext("typed sleep scale", "very very good"),
    lazy_pgettext("typed sleep scale", "very good"),
    lazy_pgettext("typed sleep scale", "good"),
    # TRANSLATORS: the middle level (4 of 7) of sleep quality.
    lazy_pgettext("typed sleep scale", "normal"),
    lazy_pgettext("typed sleep scale", "bad"),
    lazy_pgettext("typed sleep scale", "very bad"),
    # TRANSLATORS: comma-separated ways to type level 7 of 7 of sleep quality (the worst).
    lazy_pgettext("typed sleep scale", "very very bad"),
)
_LEVELS: tuple[LazyText, ...] = (
    # TRANSLATORS: comma-separated ways to type level 1 of 7 of fatigue, stress or muscle
    # soreness (the lowest).
    lazy_pgettext("typed level scale", "very very low"),
    lazy_pgettext("typed level scale", "very low"),
    lazy_pgettext("typed level scale", "low"),
    # TRANSLATORS: the middle level (4 of 7) of fatigue, stress or muscle soreness.
    lazy_pgettext("typed level scale", "normal"),
    lazy_pgettext("typed level scale", "high"),
    lazy_pgettext("typed level scale", "very high"),
    # TRANSLATORS: level 7 of 7 of fatigue, stress or muscle soreness (the highest).
    lazy_pgettext("typed level scale", "very very high"),
)

# A typed minus sign: ASCII, Unicode minus, or a dash a phone keyboard may substitute.
_MINUS_SIGNS = "-\u2212\u2013"

# A date typed as a number of days, weeks, months or years back; {n} stands for the number.
AgoUnit = Literal["days", "weeks", "months", "years"]
_AGO: dict[AgoUnit, tuple[LazyText, ...]] = {
    "days": (
        # TRANSLATORS: comma-separated ways to write a date as days back from today; keep {n}
        # where the number goes ("hace {n} días").
        lazy_pgettext("typed words", "{n} days ago, {n} day ago"),
        # TRANSLATORS: comma-separated ways to answer "when did the injury happen?" with a
        # number of days alone, meaning that many days ago ("10 days"); keep {n}.
        lazy_pgettext("typed words", "{n} days, {n} day"),
    ),
    "weeks": (
        # TRANSLATORS: comma-separated ways to write a date as weeks back from today, with or
        # without "ago" ("hace {n} semanas, {n} semanas"); keep {n} where the number goes.
        lazy_pgettext("typed words", "{n} weeks ago, {n} week ago, {n} weeks, {n} week"),
    ),
    "months": (
        # TRANSLATORS: comma-separated ways to write a date as months back from today, with or
        # without "ago" ("hace {n} meses, {n} meses"); keep {n} where the number goes.
        lazy_pgettext("typed words", "{n} months ago, {n} month ago, {n} months, {n} month"),
    ),
    "years": (
        # TRANSLATORS: comma-separated ways to write a date as years back from today, with or
        # without "ago" ("hace {n} años, {n} años"); keep {n} where the number goes.
        lazy_pgettext("typed words", "{n} years ago, {n} year ago, {n} years, {n} year"),
    ),
}


def _fold(text: str) -> str:
    """Lower case, accents removed, surrounding punctuation and spaces dropped."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.strip(" \t\n.!?¡¿,;:'\"").split())


def _fold_phrase(text: str) -> str:
    """Folded, with punctuation inside read as a space ("very, very good" → "very very good")."""
    return " ".join(re.sub(r"[^\w/]+", " ", _fold(text)).split())


@cache
def _read(message: LazyText, language: str, phrases: bool = False) -> frozenset[str]:
    """The comma-separated words of ``message`` in ``language`` and in English, folded."""
    fold = _fold_phrase if phrases else _fold
    found: set[str] = set()
    for each in dict.fromkeys((language, "en")):
        with use_language(each):
            found.update(fold(w) for w in str(message).split(","))
    found.discard("")
    return frozenset(found)


def _language(lang: str | None) -> str:
    return normalise_language(lang or current_language())


def words_for(word: TypedWord, lang: str | None = None) -> frozenset[str]:
    """Return what a person may type for ``word`` in ``lang`` (default: current), English
    included, folded (lower case, no accents)."""
    return _read(_WORDS[word], _language(lang))


def typed_word(typed: str, among: Iterable[TypedWord], lang: str | None = None) -> TypedWord | None:
    """Return which of the words ``among`` the typed text is ("Sí" → "yes" in Spanish), or
    None."""
    folded = _fold(typed)
    if not folded:
        return None
    for word in among:
        if folded in words_for(word, lang):
            return word
    return None


def _level(typed: str, levels: Sequence[LazyText], first: int, lang: str | None) -> int | None:
    folded = _fold_phrase(typed)
    if not folded:
        return None
    language = _language(lang)
    for offset, message in enumerate(levels):
        if folded in _read(message, language, phrases=True):
            return first + offset
    return None


def number_word(typed: str, lang: str | None = None) -> int | None:
    """Return the number 0–10 that ``typed`` writes as a word ("drei" → 3 in German, "none"
    → 0), or None; a word after a minus sign ("-drei") is no number of the scale."""
    if typed.lstrip()[:1] in _MINUS_SIGNS:
        return None
    return _level(typed, _NUMBERS, 0, lang)


def scale_word(typed: str, *, good_to_bad: bool, lang: str | None = None) -> int | None:
    """Return the 1–7 level that ``typed`` names on the wellness scale ("très bon" → 2 for
    sleep quality, ``good_to_bad``; "hoch" → 5 for fatigue, stress or soreness), or None."""
    return _level(typed, _SLEEP_LEVELS if good_to_bad else _LEVELS, 1, lang)


def _alternatives(word: TypedWord, lang: str | None) -> str:
    return _alternatives_in(word, _language(lang))


@cache
def _alternatives_in(word: TypedWord, language: str) -> str:
    # Longest first, so "hours" is tried before "h"; English is always among them.
    found = sorted(_read(_WORDS[word], language), key=len, reverse=True)
    return "|".join(re.escape(w) for w in found)


def score_out_of(typed: str, lang: str | None = None) -> tuple[int, int] | None:
    """Return (score, top) of a score typed as "3/10", "3 out of 10", "3 de 10", or None."""
    words = _alternatives("out of", lang)
    match = re.fullmatch(rf"(\d+)\s*(?:/|(?:{words})(?![a-z]))\s*(\d+)", _fold(typed))
    return (int(match.group(1)), int(match.group(2))) if match else None


def hours_typed(typed: str, lang: str | None = None) -> float | None:
    """Return the hours of a duration typed with words or a colon ("7h30", "7:30", "7 hours 30
    min", "7 Stunden 30"), or None; minutes must be under 60."""
    hours, minutes = _alternatives("hours", lang), _alternatives("minutes", lang)
    match = re.fullmatch(
        rf"(\d{{1,2}})\s*(?::|(?:{hours})\.?(?![a-z]))\s*(?:(\d{{1,2}})\s*(?:{minutes})?)?",
        _fold(typed),
    )
    if not match or (match.group(2) is not None and int(match.group(2)) >= 60):
        return None
    return int(match.group(1)) + int(match.group(2) or 0) / 60


def days_ago(typed: str, lang: str | None = None) -> int | None:
    """Return how many days back a date typed as "3 days ago" ("hace 3 días", "vor 3 Tagen")
    is, or None."""
    found = time_ago(typed, lang)
    return found[0] if found is not None and found[1] == "days" else None


def time_ago(typed: str, lang: str | None = None) -> tuple[int, AgoUnit] | None:
    """Return how far back a date typed as a number of days, weeks, months or years is ("3
    days ago" → (3, "days"), "vor 2 Wochen" → (2, "weeks"), "10 days" → (10, "days")), or
    None. The number may be a word from one to ten ("three weeks ago", "hace dos días"; "a
    month ago": one). Converting months and years to days is the caller's choice (they
    vary)."""
    folded = _fold(typed)
    language = _language(lang)
    for unit in _AGO:
        for pattern in _ago_patterns(unit, language):
            match = pattern.fullmatch(folded)
            if match:
                number = match.group(1)
                if number.isdigit():
                    return int(number), unit
                word = _number_words(language).get(number)
                return (word, unit) if word is not None else None
    return None


# Written before a unit for one of it, as "one" is: "a month ago".
_ARTICLES = {"en": ("a", "an"), "de": ("einem", "einer")}


@cache
def _number_words(language: str) -> dict[str, int]:
    """The words for one to ten in ``language`` and English, folded, each with its number
    (a word that could be two numbers is left out)."""
    found: dict[str, set[int]] = {}
    for number, message in enumerate(_NUMBERS[1:], start=1):
        for word in _read(message, language, phrases=True):
            found.setdefault(word, set()).add(number)
    for article in (*_ARTICLES.get(language, ()), *_ARTICLES["en"]):
        found.setdefault(article, set()).add(1)
    return {word: next(iter(n)) for word, n in found.items() if len(n) == 1}


@cache
def _ago_patterns(unit: AgoUnit, language: str) -> tuple[re.Pattern[str], ...]:
    written_all = set().union(*(_read(message, language) for message in _AGO[unit]))
    words = "|".join(re.escape(w) for w in sorted(_number_words(language), key=len, reverse=True))
    number = rf"(\d{{1,4}}|(?<![^\W\d_])(?:{words})(?![^\W\d_]))"
    patterns = []
    # Longest first, so "3 days ago" is read whole before "3 days" could be tried.
    for written in sorted(written_all, key=len, reverse=True):
        if written.count("{n}") != 1:
            continue
        before, after = (re.escape(part.strip()) for part in written.split("{n}"))
        patterns.append(re.compile(rf"{before}\s*{number}\s*{after}"))
    return tuple(patterns)


@on_reload
def clear_word_cache() -> None:
    """Forget the word lists read so far (after the catalogues were reloaded)."""
    _read.cache_clear()
    _alternatives_in.cache_clear()
    _ago_patterns.cache_clear()
    _number_words.cache_clear()
