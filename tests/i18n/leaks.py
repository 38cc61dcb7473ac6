"""A small checker for English text left in a message that should be in another language.

A heuristic, on purpose simple: a line is English when it holds at least two distinct English
function words ("the", "your", "with"...) that the other four languages do not use as words,
after names, commands, links, numbers and units are taken out. Each offending line is reported
with the words that gave it away, so a translator sees what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# English function words that are not words in Spanish, Portuguese, French or German (so "in",
# "on", "die", "was", "will", "me", "a", "or" are left out).
_STOP_WORDS_TEXT = """
    the and you your yours with this that these those is are be been being have has had
    what when where which who how why today tomorrow yesterday please if from we our they
    their them it its can could should would shall must not don't doesn't didn't isn't
    aren't won't can't i'm you're it's there here than then after before about into
    only just still yet again any some every each other very more less also too because
    while until since over under between through per
    """
ENGLISH_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_IGNORED = re.compile(
    r"https?://\S+"  # links
    r"|/[a-z_]+(?:@\w+)?"  # commands
    r"|#\d+"  # athlete numbers
    r"|\d+(?:[.,:]\d+)*\s*(?:%|m/s|km/h|s|m|h|cm|kg|min)?\b"  # numbers and units
    r"|\b(?:Sprintback|Sam|Dr Lee|Lee|Ada|Vmax|LSI|sRPE|RPE|UTC|PDF|CSV|JSON|OK)\b"
)
_WORD = re.compile(r"[A-Za-z']+")
MIN_WORDS = 2


@dataclass(frozen=True)
class Leak:
    """An English-looking line and the English words found in it."""

    line: str
    words: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.line!r} (English: {', '.join(self.words)})"


def english_words(line: str) -> tuple[str, ...]:
    """Return the distinct English function words of ``line`` (names, numbers, units,
    commands and links ignored), in order of appearance."""
    cleaned = _IGNORED.sub(" ", line)
    found: list[str] = []
    for word in _WORD.findall(cleaned):
        lower = word.lower()
        if lower in ENGLISH_STOP_WORDS and lower not in found:
            found.append(lower)
    return tuple(found)


def leaks(texts: Iterable[str]) -> list[Leak]:
    """Return every line of ``texts`` that reads as English."""
    found: list[Leak] = []
    for text in texts:
        for line in text.splitlines():
            words = english_words(line)
            if len(words) >= MIN_WORDS:
                found.append(Leak(line.strip(), words))
    return found


# --- English vocabulary left in a translated message ------------------------------------------

_LETTERS = re.compile(r"[^\W\d_]+")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _words_of(texts: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for text in texts:
        words.update(w.casefold() for w in _LETTERS.findall(_PLACEHOLDER.sub(" ", text)))
    return words


def english_vocabulary(english: Iterable[str], translated: Iterable[str]) -> frozenset[str]:
    """Return the words of the English messages (``english``: the catalogue's msgids, protocol
    texts included) that no translation of the language (``translated``: its msgstrs) uses:
    a word from this set in a message of that language is English left untranslated ("tier",
    "numbness", "loading"), whatever the function words around it. Words of three letters or
    fewer are left out (units, codes, "Mar")."""
    return frozenset(w for w in _words_of(english) - _words_of(translated) if len(w) > 3)


def english_vocabulary_in(line: str, vocabulary: frozenset[str]) -> tuple[str, ...]:
    """Return the words of ``line`` that belong to ``vocabulary`` (names, commands, links and
    numbers ignored), in order of appearance."""
    found: list[str] = []
    for word in _LETTERS.findall(_IGNORED.sub(" ", line)):
        lower = word.casefold()
        if lower in vocabulary and lower not in found:
            found.append(lower)
    return tuple(found)


# --------------------------------------------------------------------------- catalogue sources
#
# The function-word check above misses short English that has none of those words: a label
# ("Walking pain: 1"), a drill ("Walking as tolerated: 10–20 min"), a protocol text. Those are
# all English source texts of the catalogue, so a line of another language holding one that
# the language translates differently is English left untranslated (an English string looked
# up in the wrong form, or shown without the catalogue).

_SOURCE_SPLIT = re.compile(r"\{[^{}]*\}|\n")
_ASCII_WORD = re.compile(r"[A-Za-z]+")
MIN_SOURCE_CHARS = 10
# A number written with a decimal point ("7.5", "1.78 s") where the language writes a comma;
# dates ("09.03.2026", "1.3.") and times ("07:30") are not decimals.
_DOTTED_DECIMAL = re.compile(r"(?<![\d.:/\w])\d+\.\d+(?![\d.]|\w)")


def _fragments(message_id: str) -> list[str]:
    """The literal parts of an English source text that are long enough to tell it apart."""
    found = []
    for part in _SOURCE_SPLIT.split(message_id):
        part = part.strip(" •–—-:;,.!?()'\"✓⚠")
        if len(part) >= MIN_SOURCE_CHARS and len(_ASCII_WORD.findall(part)) >= 2:
            found.append(part)
    return found


def source_fragments(catalogue: Iterable[object]) -> frozenset[str]:
    """Return, lower-cased, the parts of every English source text of ``catalogue`` (a Babel
    catalogue) that its language translates differently: if one is read in a line, that line
    shows the English source instead of its translation."""
    found: set[str] = set()
    for message in catalogue:
        msgid = getattr(message, "id", "")
        if not msgid:
            continue
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        string = getattr(message, "string", "")
        forms = string if isinstance(string, tuple) else (string,)
        translated = " ".join(f for f in forms if f).lower()
        if not translated:
            continue
        for each in ids:
            for part in _fragments(each):
                if part.lower() not in translated:
                    found.add(part.lower())
    return frozenset(found)


def source_leaks(texts: Iterable[str], fragments: frozenset[str]) -> list[Leak]:
    """Return every line of ``texts`` that holds an English source text of ``fragments``
    (word-bounded, any case)."""
    found: list[Leak] = []
    for text in texts:
        for line in text.splitlines():
            lower = line.lower()
            hits = tuple(
                sorted(
                    f
                    for f in fragments
                    if f in lower and re.search(rf"(?<!\w){re.escape(f)}(?!\w)", lower)
                )
            )
            if hits:
                found.append(Leak(line.strip(), hits))
    return found


def decimal_point_leaks(texts: Iterable[str]) -> list[Leak]:
    """Return every line of ``texts`` with a number written with a decimal point (for a
    language that writes a decimal comma)."""
    found: list[Leak] = []
    for text in texts:
        for line in text.splitlines():
            numbers = tuple(_DOTTED_DECIMAL.findall(line))
            if numbers:
                found.append(Leak(line.strip(), numbers))
    return found
