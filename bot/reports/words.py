"""Small pieces of wording the chart, the PDF report and the digest share: dates with a short
month as the reader's language writes them (French "1er mars" on the first of a month), a list
of items that themselves hold commas, and a person's name made safe for the chart's font.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable

from bot.support.formats import first_of_month, format_date_range, format_locale
from bot.support.i18n import current_language, normalise_language

# French sets a narrow no-break space before a semicolon ("a ; b"), so the line never breaks
# before it; the other languages write "a; b".
_FRENCH_SEMICOLON = "\u202f; "
# Variation selectors: they only choose how the character before them (an emoji) looks.
_ZWJ = "\u200d"
_VARIATION = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def _french(lang: str | None = None) -> bool:
    return normalise_language(lang or current_language()) == "fr"


def short_date(day: dt.date, *, year: bool = False, lang: str | None = None) -> str:
    """A day and short month, with the year if asked, in the reader's language ("9 Mar",
    "9 Mar 2026", "9. März 2026", "1er mars 2026")."""
    from babel import dates as babel_dates

    skeleton = "yMMMd" if year else "MMMd"
    text = str(babel_dates.format_skeleton(skeleton, day, locale=format_locale(lang)))
    return first_of_month(text, day, lang)


def date_range(start: dt.date, end: dt.date, lang: str | None = None) -> str:
    """A span of days with short month names and the year ("2–8 Mar 2026", "1er–7 juin
    2026", "23 févr. – 1er mars 2026")."""
    return format_date_range(start, end, lang)


def joined(items: Iterable[str], lang: str | None = None) -> str:
    """Items that may hold commas themselves, one after another: "a; b" ("a ; b" in French,
    with a narrow no-break space before the semicolon)."""
    return (_FRENCH_SEMICOLON if _french(lang) else "; ").join(items)


def _invisible(ch: str) -> bool:
    """A control or format character (a zero-width space or joiner, a bidirectional
    control, a tab or bell): nothing a reader should see."""
    return unicodedata.category(ch)[0] == "C"


def _clusters(text: str) -> list[str]:
    """``text`` cut into what a reader sees as one character: a character with the marks,
    variation selectors and skin tones after it, and emoji joined by zero-width joiners
    ("🏃‍♀️" is one runner, not a runner and a "♀")."""
    clusters: list[str] = []
    for ch in text:
        joins = clusters and (
            clusters[-1].endswith(_ZWJ)
            or ch == _ZWJ
            or _VARIATION.match(ch)
            or "\U0001f3fb" <= ch <= "\U0001f3ff"
            or unicodedata.category(ch) in ("Mn", "Me")
        )
        if joins:
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def printable_name(name: str, drawn: frozenset[int]) -> str:
    """Return a name as a font whose code points are ``drawn`` can print it: what it has no
    glyph for (emoji, CJK ideographs: a whole emoji sequence, with what is joined to it) and
    invisible characters left out, line breaks and runs of spaces as one space; empty when
    no letter or digit of it can be drawn."""
    kept: list[str] = []
    for cluster in _clusters(name):
        if cluster.isspace():
            kept.append(" ")
            continue
        visible = [ch for ch in cluster if not _invisible(ch) and not _VARIATION.match(ch)]
        if visible and all(ord(ch) in drawn for ch in visible):
            kept.append("".join(visible))
    text = " ".join("".join(kept).split())
    # Brackets and punctuation that held only what was left out ("Léa (🏃)" → "Léa").
    text = re.sub(r"\(\s*\)|\[\s*\]", "", text)
    text = " ".join(text.split()).strip(" ·-–—,;:")
    return text if any(unicodedata.category(ch)[0] in "LN" for ch in text) else ""
