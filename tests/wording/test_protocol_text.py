"""Protocol display texts are translated where they are shown (bot.wording.protocol_text)."""

from __future__ import annotations

import gettext
from collections.abc import Iterator

import pytest

from bot.store.standing import parse_text
from bot.support import i18n
from bot.support.protocol_texts import PROTOCOL_CONTEXT
from bot.wording import protocol_text, stage_label


class _German(gettext.NullTranslations):
    """A stand-in German catalogue with two protocol texts."""

    texts = {
        "Progressive running 70–80 % Vmax": "Progressives Laufen 70–80 % Vmax",
        "Confidence ≥ 6/10 in the fastest efforts": "Zuversicht ≥ 6/10 bei den schnellsten Läufen",
    }

    def pgettext(self, context: str, message: str) -> str:
        return self.texts.get(message, message) if context == PROTOCOL_CONTEXT else message


@pytest.fixture
def german() -> Iterator[None]:
    saved = i18n._loaded.get("de")
    i18n._loaded["de"] = _German()
    try:
        yield
    finally:
        if saved is None:
            i18n._loaded.pop("de", None)
        else:
            i18n._loaded["de"] = saved


def test_a_display_text_reads_in_the_current_language(german: None) -> None:
    with i18n.use_language("de"):
        assert protocol_text("Progressive running 70–80 % Vmax") == (
            "Progressives Laufen 70–80 % Vmax"
        )
        assert protocol_text("not in any catalogue") == "not in any catalogue"
    assert protocol_text("Progressive running 70–80 % Vmax") == "Progressive running 70–80 % Vmax"


def test_stage_names_for_clinicians_come_from_the_catalogue(german: None) -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "protocols" / "hamstring.yaml").read_text()
    protocol = parse_text(text, "hamstring")
    with i18n.use_language("de"):
        assert stage_label(protocol, "H3", "clinician") == "H3 · Progressives Laufen 70–80 % Vmax"
    assert stage_label(protocol, "H3", "clinician") == "H3 · Progressive running 70–80 % Vmax"
