"""The demo's words in the language it is played in (``sprintback demo --lang de``).

The scripted story is written with the English texts people see (button labels, bits of the
bot's messages it waits for). In another language the demo reads them from the same
catalogues the bot writes with: a button label is its translation (or the English text while
the catalogue has none, which is also what the bot shows), and a bit of a message is found
when the message holds the English bit or the fixed part of a translation of a message that
contains it. Numbers typed by the people use the language's decimal sign ("9,1").
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from functools import cache

from babel.messages.pofile import read_po

from bot.services.timezones import all_cities, city_name
from bot.support.formats import decimal_sign
from bot.support.i18n import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE, normalise_language

_DECIMAL = re.compile(r"(?<=\d)\.(?=\d)")
# A label that starts with a symbol ("▫️ Numbness…"): the symbol, then the text.
_PREFIXED = re.compile(r"^(\W+\s)(.+)$")


@cache
def _entries(lang: str) -> tuple[tuple[str | None, str, str], ...]:
    """(context, English, translation) of every translated message of ``lang`` (each form
    of a plural one)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == SOURCE_LANGUAGE or not path.is_file():
        return ()
    with path.open("rb") as po_file:
        catalogue = read_po(po_file, locale=lang)
    found: list[tuple[str | None, str, str]] = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for index, text in enumerate(forms):
            if text:
                found.append((message.context, str(ids[min(index, len(ids) - 1)]), str(text)))
    return tuple(found)


def _fixed_parts(text: str) -> list[str]:
    """The literal parts of a str.format text, longest first."""
    try:
        parts = [literal for literal, *_ in string.Formatter().parse(text)]
    except ValueError:
        parts = [text]
    return sorted((p.strip() for p in parts if p.strip()), key=len, reverse=True)


@dataclass
class DemoWords:
    """Labels and expected bits of messages in ``lang`` (English: unchanged)."""

    lang: str = SOURCE_LANGUAGE
    _labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lang = normalise_language(self.lang)

    @property
    def english(self) -> bool:
        """Whether the demo is played in English."""
        return self.lang == SOURCE_LANGUAGE

    def label(self, english: str, offered: list[str] | None = None) -> str:
        """Return the button label ``english`` as the bot shows it in this language; among
        ``offered`` labels, the English one when the translation is not on offer (a label
        the bot does not translate yet)."""
        shown = self._label(english)
        if offered is not None and shown not in offered and english in offered:
            return english
        return shown

    def _label(self, english: str) -> str:
        if self.english:
            return english
        if english not in self._labels:
            self._labels[english] = self._translate(english)
        return self._labels[english]

    def _translate(self, english: str) -> str:
        by_context = {ctx: text for ctx, msgid, text in _entries(self.lang) if msgid == english}
        if by_context:
            return by_context.get(None) or next(iter(by_context.values()))
        city = next((c for c in all_cities() if c.name == english), None)
        if city is not None:  # the picker names its cities in the reader's language
            return city_name(city, self.lang)
        prefixed = _PREFIXED.match(english)
        if prefixed:
            rest = self._translate(prefixed.group(2))
            if rest != prefixed.group(2):
                return prefixed.group(1) + rest
        return english

    def confirms(self, text: str, english: str) -> bool:
        """Like :meth:`says`, for a step's check: a bit no translated message holds (one with
        its placeholders filled in, "move up to Stage 2 of 8", or not translated yet) cannot
        be looked for in another language, so there any reply confirms the step."""
        if self.says(text, english):
            return True
        if self.english:
            return False
        holders = [msgid for _ctx, msgid, _t in _entries(self.lang) if english in msgid]
        return not holders and bool(text.strip())

    def says(self, text: str, english: str) -> bool:
        """Whether the bot's ``text`` says ``english`` (a bit of one of its messages) in this
        language."""
        if english in text:
            return True
        holders = [t for _ctx, msgid, t in _entries(self.lang) if english in msgid]
        for translated in holders:
            parts = _fixed_parts(translated)
            if parts and parts[0] in text:
                return True
        return False

    def number(self, typed: str) -> str:
        """Return what a person types, with this language's decimal sign ("9.1" → "9,1")."""
        return _DECIMAL.sub(decimal_sign(self.lang), typed)
