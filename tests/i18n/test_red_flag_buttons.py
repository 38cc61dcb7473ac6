"""Warning-sign buttons fit a phone in every language: a long label is cut on a small screen,
and these are the buttons that must be read in full."""

from __future__ import annotations

import pytest

from bot.services import texts
from bot.support import i18n

# The longest label a phone shows in full on a one-button row, with the "▫️ " tick box.
LIMIT = 50


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_warning_sign_button_is_short(lang: str) -> None:
    i18n.reload_catalogues()
    with i18n.use_language(lang):
        labels = {
            str(label)
            for table in (texts.RED_FLAG_LABELS, texts.SESSION_RED_FLAG_LABELS)
            for label in table.values()
        }
    long = sorted(label for label in labels if len(label) > LIMIT)
    assert not long, f"{lang}: {long}"
