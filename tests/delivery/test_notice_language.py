"""Delivery notices are written in the reader's language, whatever the language of the code
that queues them (issue 17: "unreachable"/"undelivered" notices)."""

from __future__ import annotations

import gettext
from collections.abc import Iterator

import pytest

from bot.delivery.outcomes import _unreachable_notice
from bot.store.models import Person
from bot.support import i18n

UNREACHABLE = (
    "{name} can no longer be reached on Telegram (they blocked the bot or deleted their "
    "account). Messages to them are not delivered until they write to the bot again."
)


class _German(gettext.NullTranslations):
    """A stand-in German catalogue holding the two texts the test needs."""

    texts = {
        UNREACHABLE: "{name} ist auf Telegram nicht mehr erreichbar.",
        "Undelivered {what}:": "Nicht zugestellt ({what}):",
        "alert": "Meldung",
    }

    def gettext(self, message: str) -> str:
        return self.texts.get(message, message)


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


def test_the_unreachable_notice_is_in_the_readers_language(german: None) -> None:
    jo = Person(id=7, role="athlete", display_name="Jo", telegram_user_id=1, timezone="UTC")
    with i18n.use_language("en"):  # the code queuing it runs in someone else's language
        german_notice = _unreachable_notice(jo, "clinician_alert", "⛔ Stop", "de")
        english_notice = _unreachable_notice(jo, "clinician_alert", "⛔ Stop", "en")
    assert german_notice == "Jo ist auf Telegram nicht mehr erreichbar.\n\n" + (
        "Nicht zugestellt (Meldung):\n⛔ Stop"
    )
    assert english_notice.startswith("Jo can no longer be reached on Telegram")
    assert english_notice.endswith("Undelivered alert:\n⛔ Stop")
