"""French typography: a no-break space before ":", ";", "?" and "!" (so a line never starts
with one on a phone), in the catalogue and in text the code puts together."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from bot.support import i18n
from bot.support.i18n import catalogue_path, labelled, use_language


def test_the_french_catalogue_puts_a_no_break_space_before_high_punctuation() -> None:
    with catalogue_path("fr").with_suffix(".po").open("rb") as po:
        catalogue = read_po(po)
    bad = []
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            if re.search(r"\S [:;?!](?=\s|$)", string or ""):
                bad.append(string)
    assert not bad, bad[:5]


def test_a_label_and_its_value_follow_the_readers_typography() -> None:
    i18n.reload_catalogues()
    with use_language("fr"):
        assert labelled("Douleur au repos", "2") == "Douleur au repos\u00a0: 2"
    with use_language("de"):
        assert labelled("Schmerz in Ruhe", "2") == "Schmerz in Ruhe: 2"
    assert labelled("Pain at rest", "2") == "Pain at rest: 2"
