"""Right-to-left text (Hebrew, Arabic) for the PDF report.

fpdf2 sets text left to right, one character after another, unless text shaping is on, which
needs the uharfbuzz package (not a dependency). So the report does the two steps itself:

- :func:`shape` gives each Arabic letter the form it takes between its neighbours (initial,
  medial, final or isolated, and the lam-alef ligature) from the font's presentation forms,
  which DejaVu Sans draws; order does not matter for it, so it runs on the logical text,
  before the text is measured and broken into lines;
- :func:`visual` reorders one line as it is seen (the Unicode bidirectional algorithm of
  fpdf2's own ``fpdf.bidi``), brackets mirrored where they run right to left.

A line holding no right-to-left letter is left exactly as it is.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from fpdf.bidi import BidiParagraph
from fpdf.enums import TextDirection

from bot.reports.glyphs import drawn_by_every_face

_RTL_CLASSES = frozenset({"R", "AL"})
_MIRRORED = str.maketrans("()[]{}<>«»‹›", ")(][}{><»«›‹")
_ZWJ, _ZWNJ, _TATWEEL, _LAM = "\u200d", "\u200c", "\u0640", "\u0644"
_ALEFS = frozenset("\u0622\u0623\u0625\u0627")


def has_rtl(text: str) -> bool:
    """Tell whether ``text`` holds a right-to-left letter (Hebrew, Arabic...)."""
    return any(unicodedata.bidirectional(ch) in _RTL_CLASSES for ch in text)


def rtl_paragraph(text: str) -> bool:
    """Tell whether ``text`` reads right to left as a whole: most of its letters do. The
    report's own words are in a left-to-right language, so a cell that puts a Hebrew name
    before them ("דנה, 9 Mar 2026 12:00: signed off") still reads left to right, and a note
    written in Hebrew with a Latin word in it reads right to left."""
    classes = [unicodedata.bidirectional(ch) for ch in text]
    right = sum(1 for c in classes if c in _RTL_CLASSES)
    return right > sum(1 for c in classes if c == "L")


@cache
def _presentation_forms() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Return, from the Unicode data of the Arabic presentation forms (A for the letters of
    Persian and Urdu, B for Arabic's), each letter's forms by position ("initial", "medial",
    "final", "isolated") and each lam-alef ligature's (keyed by its alef); only the forms the
    report's font draws."""
    drawn = drawn_by_every_face()
    forms: dict[str, dict[str, str]] = {}
    lam_alef: dict[str, dict[str, str]] = {}
    for code in [*range(0xFB50, 0xFDFF), *range(0xFE70, 0xFEFF)]:
        if code not in drawn:
            continue
        decomposition = unicodedata.decomposition(chr(code)).split()
        if len(decomposition) < 2 or not decomposition[0].startswith("<"):
            continue
        position = decomposition[0].strip("<>")
        base = [chr(int(part, 16)) for part in decomposition[1:]]
        if len(base) == 1:
            forms.setdefault(base[0], {})[position] = chr(code)
        elif len(base) == 2 and base[0] == _LAM and base[1] in _ALEFS:
            lam_alef.setdefault(base[1], {})[position] = chr(code)
    return forms, lam_alef


def _transparent(ch: str) -> bool:
    """A combining mark (a vowel sign): letters join across it."""
    return unicodedata.category(ch) in ("Mn", "Me")


def _joins_forward(ch: str | None) -> bool:
    """Whether ``ch`` joins the letter after it (a dual-joining letter, a tatweel, a ZWJ)."""
    if ch in (_ZWJ, _TATWEEL):
        return True
    found = _presentation_forms()[0].get(ch or "")
    return found is not None and "initial" in found


def _joins_back(ch: str | None) -> bool:
    """Whether ``ch`` joins the letter before it."""
    if ch in (_ZWJ, _TATWEEL):
        return True
    found = _presentation_forms()[0].get(ch or "")
    return found is not None and "final" in found


def shape(text: str) -> str:
    """Return ``text`` with each Arabic letter in its joined form (and lam-alef as one
    ligature); anything else is left as it is."""
    if not any("\u0600" <= ch <= "\u06ff" for ch in text):
        return text
    forms, lam_alef = _presentation_forms()
    out: list[str] = []
    at = 0
    while at < len(text):
        ch = text[at]
        if ch not in forms:
            out.append(ch)
            at += 1
            continue
        before = next((c for c in reversed(text[:at]) if not _transparent(c)), None)
        after_at = next((i for i in range(at + 1, len(text)) if not _transparent(text[i])), None)
        after = text[after_at] if after_at is not None else None
        joined_before = _joins_forward(before) and _joins_back(ch)
        if ch == _LAM and after in lam_alef and after_at == at + 1 and after is not None:
            ligature = lam_alef[after]
            out.append(ligature.get("final" if joined_before else "isolated", ch + after))
            at += 2
            continue
        joined_after = _joins_forward(ch) and _joins_back(after)
        position = {
            (True, True): "medial",
            (True, False): "final",
            (False, True): "initial",
            (False, False): "isolated",
        }[(joined_before, joined_after)]
        out.append(forms[ch].get(position) or forms[ch].get("isolated") or ch)
        at += 1
    return "".join(out)


def visual(line: str, *, rtl: bool = False) -> str:
    """Return one line of text in the order it is seen, left to right, for a renderer that
    draws characters in the order given: right-to-left runs reversed (numbers and Latin words
    inside them kept in their own order), brackets mirrored where they run right to left.
    ``rtl``: the line belongs to a paragraph that reads right to left (:func:`rtl_paragraph`)."""
    if not has_rtl(line):
        return line
    base = TextDirection.RTL if rtl else TextDirection.LTR
    ordered = BidiParagraph(line, base_direction=base).get_reordered_characters()
    return "".join(
        c.character.translate(_MIRRORED) if c.embedding_level % 2 else c.character for c in ordered
    )
