"""A protocol's display texts in the reader's language.

Protocols stay language-neutral (ids, numbers, English source texts); their display texts are
translated where they are shown, through the catalogue's context ``protocol``
(``bot.support.protocol_texts``). Every screen that shows a stage name, goal, drill, criterion
or red-flag instruction read from a protocol calls :func:`protocol_text` on it.
"""

from __future__ import annotations

from bot.support.protocol_texts import protocol_text as _protocol_text


def protocol_text(source: str) -> str:
    """Return a protocol's display text (a stage name, goal, drill, criterion text, red-flag
    instruction...) in the current language: ``pgettext("protocol", source)``, the English
    source while the catalogue has no translation (or an admin's new text is not yet in it)."""
    return _protocol_text(source)
